"""Energy as a fold of action counts over an energy table (Accelergy's separation).

    >>> from arch.tech import load_energy_table
    >>> energy_by_component({"dram.read_bit": 8.0}, load_energy_table("horowitz_45nm"))
    {'dram': 160.0}
"""

from __future__ import annotations

from collections.abc import Mapping

from arch.tech import EnergyTable

__all__ = ["energy_by_component", "timing_flags", "total_energy_pj"]


def energy_by_component(actions: Mapping[str, float], table: EnergyTable,
                        aliases: Mapping[str, str] | None = None) -> dict[str, float]:
    """Picojoules per component: sum of count x energy over that component's actions.

    ``aliases`` maps a component to the table component that prices it (a buffer named
    ``weight_sram`` priced as ``sram_1mb``); the result keeps the component's own name.
    """
    aliases = aliases or {}
    energy: dict[str, float] = {}
    for key, count in actions.items():
        if count == 0:
            continue
        component, action = key.split(".", 1)
        priced = table.energy_pj(f"{aliases.get(component, component)}.{action}")
        energy[component] = energy.get(component, 0.0) + count * priced
    return energy


def total_energy_pj(actions: Mapping[str, float], table: EnergyTable,
                    aliases: Mapping[str, str] | None = None) -> float:
    return sum(energy_by_component(actions, table, aliases).values())


def timing_flags(actions, table: EnergyTable, clock_hz: float) -> tuple[str, ...]:
    """One line per action priced by a unit that cannot close timing at ``clock_hz`` (its
    entry's ``fmax_mhz`` is lower): that unit needs pipelining the table does not price.

    >>> from arch.tech import EnergyEntry, EnergyTable
    >>> t = EnergyTable("t", {"u.op": EnergyEntry(1.0, "synthesized", 130, fmax_mhz=50.0)})
    >>> timing_flags({"u.op": 3.0}, t, 1e9)
    ('u.op: fmax 50 MHz < clock 1000 MHz',)
    """
    flags = []
    for key in sorted(actions):
        entry = table.entries.get(key)
        if entry is not None and entry.fmax_mhz is not None and entry.fmax_mhz * 1e6 < clock_hz:
            flags.append(f"{key}: fmax {entry.fmax_mhz:.0f} MHz < clock {clock_hz / 1e6:.0f} MHz")
    return tuple(flags)
