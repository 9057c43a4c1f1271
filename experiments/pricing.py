"""Energy-table cross-references resolved when a design is loaded, not when a point is evaluated.

    >>> from arch import load_accelerator
    >>> check_priced(load_accelerator("systolic_32x32_ws"), "systolic_32x32_ws")

Every component a design names (its unit's ``component``, each buffer's and the DRAM's
``name`` or ``price_as``) must have an entry in the merged energy tables for every action
the simulator emits for it; otherwise a sweep would store every point as failed with a
KeyError. The actions come from the simulator itself (:func:`sim.analytic.compute_actions`),
so this check cannot drift from what is priced.
"""

from __future__ import annotations

from arch import Accelerator, ConfigError
from arch.units import MXTensorCore, SmTensorCore
from sim.analytic import compute_actions

__all__ = ["check_priced", "required_actions"]

_MEMORY_ACTIONS = ("read_bit", "write_bit")


def _levels(acc: Accelerator) -> dict[str, object]:
    return {"weight_buffer": acc.weight_buffer, "input_buffer": acc.input_buffer,
            "output_buffer": acc.output_buffer, "dram": acc.dram}


def _unit_actions(unit) -> list[str]:
    if isinstance(unit, SmTensorCore):  # one MAC action per MMA kind, one scale step per scale type
        kinds = unit.kind_table.kinds
        return [f"{unit.component}.mac_{k.name}" for k in kinds] + sorted(
            {f"{unit.component}.block_scale_{k.scale}" for k in kinds if k.scale is not None})
    formats = sorted(unit.rates) if isinstance(unit, MXTensorCore) else ["fp16"]
    return [key for fmt in formats for key in compute_actions(unit, None, 1, 1, 1, 1, fmt)]


def required_actions(acc: Accelerator) -> dict[str, str]:
    """``component.action`` the simulator can emit for ``acc`` -> the design field naming it."""
    needed = dict.fromkeys(_unit_actions(acc.unit), "unit.component")
    for field, level in _levels(acc).items():
        where = f"{field}.price_as" if level.price_as else f"{field}.name"
        needed |= {f"{level.name}.{action}": where for action in _MEMORY_ACTIONS}
    return needed


def check_priced(acc: Accelerator, source: str) -> None:
    """Raise one :class:`ConfigError` line for the first action no energy table prices."""
    try:
        table = acc.energy
    except ConfigError as exc:
        raise ConfigError(f"{source}: energy_tables: {exc}") from None
    aliases = acc.price_aliases
    for key, field in sorted(required_actions(acc).items()):
        component, action = key.split(".", 1)
        priced = f"{aliases.get(component, component)}.{action}"
        if priced not in table.entries:
            raise ConfigError(f"{source}: {field}: no entry {priced!r} in energy tables "
                              f"{', '.join(acc.energy_tables)}")
