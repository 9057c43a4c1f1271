"""Energy as a fold of action counts over an energy table (Accelergy's separation).

    >>> from arch.tech import load_energy_table
    >>> energy_by_component({"dram.read_bit": 8.0}, load_energy_table("horowitz_45nm"))
    {'dram': 160.0}
"""

from __future__ import annotations

from collections.abc import Mapping

from arch.tech import EnergyTable

__all__ = ["energy_by_component", "total_energy_pj"]


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
