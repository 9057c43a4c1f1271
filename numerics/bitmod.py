"""BitMoD's mixture of datatypes (Chen et al., HPCA 2025).

Each group of weights (128 by default) picks, from a small list of 3- or 4-bit types, the
one with the lowest mean squared error; the choice is recorded per group. The types are
FP3 = {0, +-1, +-2, +-4} and FP4 = {0, +-1, +-2, +-3, +-4, +-6, +-8, +-12} in units of the
group scale, where the redundant negative-zero code (sign bit set, magnitude 0) is
repurposed for one extra value: ER ("extra resolution") adds +-3 to FP3 and +-10 to FP4,
EA ("extra asymmetry") adds +-6 to FP3 and +-16 to FP4.

Codes are sign-magnitude: the top bit is the sign, the low bits index the magnitude list;
code ``1 << (bits - 1)`` (negative zero) is the extra value when the type has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

_MAGNITUDES = {3: (0, 1, 2, 4), 4: (0, 1, 2, 3, 4, 6, 8, 12)}
_EXTRAS = {3: {"er": 3, "ea": 6}, 4: {"er": 10, "ea": 16}}


@dataclass(frozen=True)
class BitModType:
    """One BitMoD element type: ``bits`` wide, with an optional extra value at -0's code."""

    name: str
    bits: int
    extra_value: float | None = None

    @cached_property
    def values(self) -> np.ndarray:
        """Value of each code (float64, in units of the group scale), indexed by code."""
        mags = np.array(_MAGNITUDES[self.bits], np.float64)
        table = np.concatenate([mags, -mags])
        if self.extra_value is not None:
            table[len(mags)] = self.extra_value
        return table

    @property
    def max_magnitude(self) -> float:
        return float(np.abs(self.values).max())


def _builtin_types() -> dict[str, BitModType]:
    types = {f"fp{b}": BitModType(f"fp{b}", b) for b in (3, 4)}
    for bits, extras in _EXTRAS.items():
        for kind, value in extras.items():
            for sign, signed_value in (("pos", value), ("neg", -value)):
                name = f"fp{bits}_{kind}_{sign}"
                types[name] = BitModType(name, bits, float(signed_value))
    return types


BITMOD_TYPES: dict[str, BitModType] = _builtin_types()

#: The mixtures BitMoD evaluates: the four ER/EA variants at each precision.
DEFAULT_MIXTURES = {
    bits: tuple(f"fp{bits}_{k}_{s}" for k in ("er", "ea") for s in ("pos", "neg"))
    for bits in (3, 4)
}


def resolve_types(types, bits: int) -> tuple[BitModType, ...]:
    """The BitModType objects named by ``types`` (default: BitMoD's mixture for ``bits``)."""
    if bits not in DEFAULT_MIXTURES:
        raise ValueError(f"bitmod bits must be 3 or 4, not {bits!r}")
    names = DEFAULT_MIXTURES[bits] if types is None else tuple(types)
    unknown = [n for n in names if n not in BITMOD_TYPES or BITMOD_TYPES[n].bits != bits]
    if unknown or not names:
        allowed = ", ".join(n for n, t in BITMOD_TYPES.items() if t.bits == bits)
        raise ValueError(f"bitmod types for {bits} bits must be among {allowed}, not {unknown}")
    return tuple(BITMOD_TYPES[n] for n in names)


def nearest_codes(scaled: np.ndarray, dtype: BitModType) -> np.ndarray:
    """Code of the nearest value of ``dtype`` for each scaled input (ties: lower code)."""
    distance = np.abs(scaled[..., None] - dtype.values)
    return np.argmin(distance, axis=-1).astype(np.uint8)


def quantize_groups(blocks: np.ndarray, mixture: tuple[BitModType, ...], fp16):
    """Per-group best type: returns (codes, fp16 scale codes, type index per group).

    blocks: (..., groups, group_size) float64. Scale = fp16(absmax / max|v|) per type;
    the type with the lowest MSE wins (ties: the earlier type in ``mixture``).
    """
    amax = np.abs(blocks).max(axis=-1)
    best = None
    for index, dtype in enumerate(mixture):
        scale_codes = fp16.encode(amax / dtype.max_magnitude, saturate=True)
        scale = fp16.decode(scale_codes)
        safe = np.where(scale > 0, scale, 1.0)[..., None]
        codes = nearest_codes(blocks / safe, dtype)
        mse = np.mean((dtype.values[codes] * scale[..., None] - blocks) ** 2, axis=-1)
        if best is None:
            best = [codes, scale_codes, np.zeros(mse.shape, np.uint8), mse]
            continue
        better = mse < best[3]
        best[0] = np.where(better[..., None], codes, best[0])
        best[1] = np.where(better, scale_codes, best[1])
        best[2] = np.where(better, np.uint8(index), best[2])
        best[3] = np.where(better, mse, best[3])
    return best[0], best[1], best[2]


def dequantize_groups(codes, scales, type_index, mixture) -> np.ndarray:
    """Exact float64 values of BitMoD codes given per-group scales and type choices."""
    tables = np.stack([t.values for t in mixture])
    return tables[type_index[..., None], codes] * scales[..., None]
