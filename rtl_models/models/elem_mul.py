"""Unit ``elem_mul``: exact MX element products (bp_elem_mul), every pair exhaustively.

The model: both codes decoded by ``numerics`` formats, multiplied exactly in float64 and
put on the fixed-point grid 2^-(FRAC_A + FRAC_B); NaN and infinite products are flags.
"""

from __future__ import annotations

import numpy as np

from numerics import get_format, get_scheme

from .._fields import Field
from .._unit import Lane, Unit, lane_stimulus
from ._common import every_pair, frac_bits, signed_ints

# (lane name, format A, format B): the wrapper tb_elem_mul.sv instantiates them in order.
PAIRS = (
    ("e4m3", "fp8_e4m3fn", "fp8_e4m3fn"),
    ("e5m2", "fp8_e5m2", "fp8_e5m2"),
    ("e2m3", "fp6_e2m3fn", "fp6_e2m3fn"),
    ("e3m2", "fp6_e3m2fn", "fp6_e3m2fn"),
    ("e2m1", "fp4_e2m1fn", "fp4_e2m1fn"),
    ("int8", "mxint8", "mxint8"),
    ("e4m3_e5m2", "fp8_e4m3fn", "fp8_e5m2"),
    ("e2m1_e3m2", "fp4_e2m1fn", "fp6_e3m2fn"),
)


def element_format(name: str):
    """An element format by name; "mxint8" is the MXINT8 element (int8 x 2^-6)."""
    return get_scheme("mxint8").element if name == "mxint8" else get_format(name)


def fixed_width(fmt) -> int:
    """Magnitude bits of one element on its fixed-point grid (as the RTL sizes it)."""
    if fmt.__class__.__name__ == "IntFormat":
        return fmt.bits
    return fmt.mantissa_bits + 1 + (1 << fmt.exponent_bits) - 2


def _sign(fmt, codes: np.ndarray) -> np.ndarray:
    return (codes.astype(np.int64) >> (fmt.bits - 1)) & 1


def _lane(name: str, fa_name: str, fb_name: str) -> Lane:
    fa, fb = element_format(fa_name), element_format(fb_name)
    pw = fixed_width(fa) + fixed_width(fb) + 1

    def generate(vectors: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        a, b = every_pair(fa.bits, fb.bits)  # every pair space here is at most 2^16
        return {"a": a.astype(np.uint64), "b": b.astype(np.uint64)}

    def model(inputs, mutant: bool) -> dict[str, np.ndarray]:
        a, b = inputs["a"], inputs["b"]
        with np.errstate(invalid="ignore"):
            p = fa.decode(a) * fb.decode(b)
        special = ~np.isfinite(p)
        scaled = np.ldexp(np.where(special, 0.0, p), frac_bits(fa) + frac_bits(fb))
        if mutant and name == "e4m3":  # one ulp too much for subnormal x subnormal
            sub = lambda c: ((c >> np.uint64(3)) & np.uint64(15)) == 0  # noqa: E731
            scaled = scaled + ((scaled != 0) & sub(a) & sub(b))
        return {"prod": signed_ints(scaled, pw), "neg": _sign(fa, a) ^ _sign(fb, b),
                "nan": np.isnan(p).astype(np.int64), "inf": np.isinf(p).astype(np.int64)}

    inputs = (Field("a", fa.bits), Field("b", fb.bits))
    outputs = (Field("prod", pw), Field("neg", 1), Field("nan", 1), Field("inf", 1))
    return Lane(name, inputs, outputs, generate, model)


LANES = tuple(_lane(*pair) for pair in PAIRS)
COPIES = 16  # blocks of all lanes side by side in the wrapper (vectors per beat)


def stimulus(vectors: int, rng: np.random.Generator, mutant: bool):
    return lane_stimulus(LANES, vectors, rng, mutant, COPIES)


UNIT = Unit(
    name="elem_mul",
    summary="exact element products, fixed-point out: " + ", ".join(p[0] for p in PAIRS),
    toplevel="tb_elem_mul",
    sources=("bp_elem_decode.sv", "bp_elem_mul.sv", "tb/tb_elem_mul_block.sv", "tb/tb_register_stage.sv",
             "tb/tb_elem_mul.sv"),
    stimulus=stimulus,
    exhaustive="every code pair of every lane",
)
