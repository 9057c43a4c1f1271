"""Bit-serial multiplication: the golden model for bit-serial PEs (BitMoD style).

A weight enters as a sequence of digits, least significant first; each cycle the PE adds
digit * activation * 2^(shift) to its accumulator, with the activation held in parallel::

    >>> r = bitserial_multiply(-3, 1.5, weight_bits=4, bits_per_cycle=2)
    >>> float(r.product), r.cycles, r.digits.tolist()
    (-4.5, 2, [1, -1])

Encodings: "planes" (two's complement bit planes, 1 or 2 bits per cycle; the top plane
carries the negative weight) and "booth4" (radix-4 Booth digits in {-2..2}, 2 bits per
cycle). Either way the product is exact and cycles = ceil(weight_bits / bits_per_cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ENCODINGS = ("booth4", "planes")


@dataclass(frozen=True)
class BitSerialResult:
    """product: float64 (exact); cycles: int; digits: (..., cycles) int64, LSB digit first."""

    product: np.ndarray
    cycles: int
    digits: np.ndarray


def plane_digits(w: np.ndarray, weight_bits: int, bits_per_cycle: int, signed: bool):
    """Digits of ``w`` in base 2^bits_per_cycle; the top digit is signed for signed weights."""
    cycles = -(-weight_bits // bits_per_cycle)
    raw = w & ((1 << weight_bits) - 1)
    shifts = np.arange(cycles) * bits_per_cycle
    digits = (raw[..., None] >> shifts) & ((1 << bits_per_cycle) - 1)
    if signed:  # sign-extend the top digit: its bits above weight_bits copy the sign bit
        top_bits = weight_bits - bits_per_cycle * (cycles - 1)
        top = digits[..., -1]
        digits[..., -1] = np.where(top >> (top_bits - 1), top - (1 << top_bits), top)
    return digits


def booth4_digits(w: np.ndarray, weight_bits: int):
    """Radix-4 Booth recoding: digit_i = -2 b(2i+1) + b(2i) + b(2i-1), b(-1) = 0."""
    cycles = -(-weight_bits // 2)
    ext = w.astype(np.int64) << 1  # b(-1) = 0 sits at bit 0
    i = np.arange(cycles)
    bit = lambda k: (ext[..., None] >> k) & 1  # noqa: E731 (sign-extended by >>)
    return -2 * bit(2 * i + 2) + bit(2 * i + 1) + bit(2 * i)


def _check_weights(w, weight_bits, signed):
    w = np.asarray(w)
    if w.dtype.kind not in "iu":
        raise ValueError(f"weights must be integers, not {w.dtype}")
    lo, hi = (-(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1) if signed else (
        0, (1 << weight_bits) - 1)
    if w.size and (w.min() < lo or w.max() > hi):
        raise ValueError(f"weights must lie in {lo}..{hi} for {weight_bits}-bit "
                         f"{'signed' if signed else 'unsigned'} weights")
    return w.astype(np.int64)


def bitserial_multiply(w, a, weight_bits: int, bits_per_cycle: int = 2,
                       encoding: str = "planes", signed: bool = True) -> BitSerialResult:
    """Multiply integer weights ``w`` by activations ``a`` one weight digit per cycle."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
    if not (isinstance(weight_bits, int) and 1 <= weight_bits <= 32):
        raise ValueError(f"weight_bits must be an integer in 1..32, not {weight_bits!r}")
    if encoding == "booth4":
        if bits_per_cycle != 2 or not signed:
            raise ValueError("booth4 recodes signed weights 2 bits per cycle (bits_per_cycle=2)")
        digits = booth4_digits(_check_weights(w, weight_bits, True), weight_bits)
    else:
        if bits_per_cycle not in (1, 2):
            raise ValueError(f"bits_per_cycle must be 1 or 2, not {bits_per_cycle!r}")
        digits = plane_digits(_check_weights(w, weight_bits, signed), weight_bits,
                              bits_per_cycle, signed)
    step = 2 if encoding == "booth4" else bits_per_cycle
    a = np.asarray(a, np.float64)
    acc = np.zeros(np.broadcast_shapes(digits.shape[:-1], a.shape))
    for cycle in range(digits.shape[-1]):  # one partial product per cycle, as the PE does
        acc = acc + np.ldexp(digits[..., cycle] * a, step * cycle)
    return BitSerialResult(acc, digits.shape[-1], digits)
