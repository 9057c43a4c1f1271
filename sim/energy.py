"""Energy as a fold of action counts over an energy table (Accelergy's separation).

    >>> from arch.tech import load_energy_table
    >>> energy_by_component({"dram.read_bit": 8.0}, load_energy_table("horowitz_45nm"))
    {'dram': 160.0}
"""

from __future__ import annotations

from collections.abc import Mapping

from arch.tech import EnergyTable

__all__ = ["energy_by_component", "total_energy_pj"]


def energy_by_component(actions: Mapping[str, float], table: EnergyTable) -> dict[str, float]:
    """Picojoules per component: sum of count x energy over that component's actions."""
    energy: dict[str, float] = {}
    for action, count in actions.items():
        if count == 0:
            continue
        component = action.split(".", 1)[0]
        energy[component] = energy.get(component, 0.0) + count * table.energy_pj(action)
    return energy


def total_energy_pj(actions: Mapping[str, float], table: EnergyTable) -> float:
    return sum(energy_by_component(actions, table).values())
