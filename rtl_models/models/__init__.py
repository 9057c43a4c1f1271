"""Transaction models of the RTL units, built on ``numerics``, and the unit registry."""

from __future__ import annotations

from .._unit import Unit
from . import bitserial_pe, block_dot, elem_mul, ivf_dot, ivf_mix, lmul, lut_unit, mx_quantize, pim_mac

UNITS: dict[str, Unit] = {
    u.name: u
    for u in (  # in the order of the issue that asked for them
        elem_mul.UNIT,
        block_dot.MX_UNIT,
        block_dot.NVFP4_UNIT,
        block_dot.MXINT8_UNIT,
        mx_quantize.UNIT,
        bitserial_pe.UNIT,
        lmul.UNIT,
        lut_unit.UNIT,
        pim_mac.UNIT,
        ivf_dot.UNIT,
        ivf_mix.UNIT,
    )
}


def get_unit(name: str) -> Unit:
    """The unit called ``name``; ValueError naming the known units otherwise."""
    if name not in UNITS:
        raise ValueError(f"unknown RTL unit {name!r}; known units: {', '.join(UNITS)}")
    return UNITS[name]


__all__ = ["UNITS", "get_unit"]
