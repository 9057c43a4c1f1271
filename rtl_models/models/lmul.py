"""Unit ``lmul``: L-Mul in the integer-add form (bp_lmul), FP8 exhaustively, BF16/FP16 sampled.

Model: ``numerics.lmul(x, y, fmt, form="integer")``, whose exact value is put back on the
format's codes (sign bit from the operands, so an underflow keeps its sign as -0).
Stimulus: every code pair for fp8 e4m3 and e5m2; for bf16 and fp16, the corners (zeros,
subnormals, smallest normals whose sum just underflows, largest values that saturate,
all-ones exponents, mantissa sums that carry into the exponent) and then random codes,
half uniform over all codes and half with exponents near the bias (values near 1).
"""

from __future__ import annotations

import numpy as np

from numerics import get_format, lmul
from numerics.lmul import offset_exponent

from .._fields import Field
from .._unit import Lane, Unit, lane_stimulus
from ._common import every_pair

# (lane, format): the order of tb_lmul.sv's block.
FORMATS = (("e4m3", "fp8_e4m3fn"), ("e5m2", "fp8_e5m2"), ("bf16", "bf16"), ("fp16", "fp16"))
COPIES = 16  # blocks of all lanes side by side in the wrapper (vectors per beat)


def lmul_codes(fmt, x, y) -> np.ndarray:
    """Codes of ``fmt`` that the integer-add L-Mul gives for code arrays x and y."""
    value = lmul(x, y, fmt, form="integer")
    sign = ((x.astype(np.int64) ^ y.astype(np.int64)) >> (fmt.bits - 1)) & 1
    return fmt.encode(np.abs(value)).astype(np.int64) | (sign << (fmt.bits - 1))


def _corner_codes(fmt) -> np.ndarray:
    m, top = fmt.mantissa_bits, (1 << (fmt.bits - 1)) - 1
    bias_code = fmt.bias << m
    picks = [0, 1, (1 << m) - 1, 1 << m, (1 << m) + 1, bias_code, bias_code + (1 << m) - 1,
             bias_code - 1, fmt._max_magnitude_code, top, top - (1 << m) + 1]
    picks += [(fmt.bias // 2) << m, ((fmt.bias // 2) << m) + (1 << m) - 1]
    mags = np.array(sorted(set(picks)), np.int64)
    return np.concatenate([mags, mags | (1 << (fmt.bits - 1))])


def _sampled(fmt, vectors: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    corners = _corner_codes(fmt)
    cx, cy = np.meshgrid(corners, corners)
    n = max(0, vectors - cx.size)
    uniform = rng.integers(0, 1 << fmt.bits, size=(2, n // 2))
    m, e = fmt.mantissa_bits, fmt.exponent_bits
    span = max(2, (1 << e) // 8)
    near = rng.integers(fmt.bias - span, fmt.bias + span, size=(2, n - n // 2)) << m
    near |= rng.integers(0, 1 << m, size=near.shape)
    near |= rng.integers(0, 2, size=near.shape) << (fmt.bits - 1)
    x = np.concatenate([cx.ravel(), uniform[0], near[0]])
    y = np.concatenate([cy.ravel(), uniform[1], near[1]])
    return {"x": x.astype(np.int64), "y": y.astype(np.int64)}


def _lane(name: str, fmt_name: str, mutate: bool) -> Lane:
    fmt = get_format(fmt_name)
    exhaustive = fmt.bits <= 8

    def generate(vectors: int, rng: np.random.Generator):
        if exhaustive:
            x, y = every_pair(fmt.bits, fmt.bits)
            return {"x": x, "y": y}
        return _sampled(fmt, max(vectors, 1 << 16), rng)

    def model(inputs, mutant: bool):
        x, y = inputs["x"].astype(np.int64), inputs["y"].astype(np.int64)
        z = lmul_codes(fmt, x, y)
        if mutant and mutate:  # one ulp more wherever the mantissa sum carries
            m = fmt.mantissa_bits
            low = (1 << m) - 1
            carry = (x & low) + (y & low) + (1 << (m - offset_exponent(m))) > low
            mag = z & ((1 << (fmt.bits - 1)) - 1)
            z = np.where(carry & (mag > 0) & (mag < fmt._max_magnitude_code), z + 1, z)
        return {"z": z}

    inputs = (Field("x", fmt.bits), Field("y", fmt.bits))
    return Lane(name, inputs, (Field("z", fmt.bits),), generate, model)


LANES = tuple(_lane(name, fmt, i == 0) for i, (name, fmt) in enumerate(FORMATS))


def stimulus(vectors: int, rng: np.random.Generator, mutant: bool):
    return lane_stimulus(LANES, vectors, rng, mutant, COPIES)


UNIT = Unit(
    name="lmul",
    summary="L-Mul, integer-add form: fp8 e4m3/e5m2 (every pair), bf16 and fp16 (sampled)",
    toplevel="tb_lmul",
    sources=("bp_lmul.sv", "tb/tb_register_stage.sv", "tb/tb_lmul.sv"),
    stimulus=stimulus,
    exhaustive="every code pair of fp8 e4m3 and e5m2",
)
