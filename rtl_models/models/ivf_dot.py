"""Unit ``ivf_dot``: the block dot organisation of "INT v.s. FP" (arXiv 2510.25602, appendix C).

One lane per format the paper costs: MXINT8 and MXFP8 (E4M3) with k = 32 and E8M0 scales,
NVINT4 and NVFP4 with k = 16 and UE4M3 scales. Float lanes align every product into a
window of n bits below the largest product exponent, n = min(2^(x+1) + 2y, 24) (the
paper's eq. 44: 24 for E4M3, 10 for E2M1), truncating; integer lanes keep exact products.

Model (independent of the RTL's encoding; values from ``numerics`` decoders): products
P_i = A_i B_i exact in float64; for floats e(v) = max(floor(log2|v|), emin) of each
element, the window's last place 2^(max_i(e(A_i) + e(B_i)) + 2 - n) over the non-zero
products (every product is below 2^(e(A) + e(B) + 2)), each |P_i| cut down to that grid;
the signed sum times X_A X_B, exact in float64, is rounded once to float32 (RNE, by the
float64 -> float32 cast); an exact zero is +0 (a negative result that rounds to zero
is -0); a NaN element or scale gives NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics import get_scheme
from numerics.formats import FloatFormat

from .._fields import Field
from .._unit import Lane, Unit, lane_stimulus
from ._common import every_pair, fp32_bits
from .block_dot import dot_inputs

HDL = ("bp_elem_decode.sv", "bp_to_fp32.sv", "ivf_mul.sv", "ivf_maxexp.sv", "ivf_align.sv",
       "ivf_tree.sv", "ivf_scale.sv", "ivf_norm.sv", "ivf_dot.sv")
PSUM_BITS = 24  # the paper's psum_bit_width (appendix C)


def window_bits(exponent_bits: int, mantissa_bits: int) -> int:
    """The aligner width n of the paper's eq. 44: min(2^(x+1) + 2y, psum_bit_width)."""
    return min(2 ** (exponent_bits + 1) + 2 * mantissa_bits, PSUM_BITS)


@dataclass(frozen=True)
class IvfConfig:
    """One ivf_dot parameter point: lane name and block scheme (its window from eq. 44)."""

    name: str
    scheme: str

    @property
    def block(self):
        return get_scheme(self.scheme)

    @property
    def window(self) -> int | None:
        elem = self.block.element
        if not isinstance(elem, FloatFormat):
            return None
        return window_bits(elem.exponent_bits, elem.mantissa_bits)


def _element_exponent(values: np.ndarray, elem: FloatFormat) -> np.ndarray:
    """floor(log2|v|) clamped below at the format's emin (subnormals share emin)."""
    _, e = np.frexp(np.where(values == 0, 1.0, np.abs(values)))
    return np.maximum(e - 1, elem.emin)


def _window_terms(pa, pb, elem, window: int | None):
    """(integer magnitudes of the aligned products, exponent of their last place) per row."""
    prod = pa * pb
    if window is None:
        lsb = np.full(len(prod), -2 * elem.frac_bits)
        return np.abs(prod) * 2.0 ** (2 * elem.frac_bits), lsb, prod
    t = _element_exponent(pa, elem) + _element_exponent(pb, elem)
    top = np.where(prod != 0, t, np.iinfo(np.int64).min).max(axis=1)
    lsb = np.where(top == np.iinfo(np.int64).min, 0, top + 2 - window)
    return np.floor(np.ldexp(np.abs(prod), -lsb[:, None])), lsb, prod


def ivf_model(cfg: IvfConfig, a, b, xa, xb, window: int | None = None) -> np.ndarray:
    """float32 results for rows of codes (n, k) and scale codes (n,); ``window`` overrides
    the configuration's (the mutant check keeps one bit more)."""
    scheme = cfg.block
    elem = scheme.element
    pa, pb = elem.decode(a), elem.decode(b)
    scale = scheme.scale.decode(xa) * scheme.scale.decode(xb)
    nan = np.isnan(pa).any(axis=1) | np.isnan(pb).any(axis=1) | np.isnan(scale)
    pa, pb = np.where(np.isnan(pa), 0.0, pa), np.where(np.isnan(pb), 0.0, pb)
    mags, lsb, prod = _window_terms(pa, pb, elem, window or cfg.window)
    total = np.where(prod < 0, -mags, mags).astype(np.int64).sum(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        value = np.ldexp(total.astype(np.float64), lsb) * np.where(nan, 0.0, scale)
        out = value.astype(np.float32)
    out = np.where(value == 0, np.float32(0.0), out)  # an exact zero is +0
    return np.where(nan, np.float32(np.nan), out).astype(np.float32)


# ---------------------------------------------------------------- stimulus


def _one_lane_rows(k: int, scale_one: int, codes_a, codes_b, filler=None):
    """Rows with element 0 = (codes_a, codes_b), element 1 = filler (or zero), rest zero."""
    n = len(codes_a)
    a = np.zeros((n, k), np.uint64)
    b = np.zeros((n, k), np.uint64)
    a[:, 0], b[:, 0] = codes_a, codes_b
    if filler is not None:
        a[:, 1], b[:, 1] = filler
    x = np.full(n, scale_one, np.uint64)
    return {"a": a, "b": b, "xa": x, "xb": x.copy()}


def exhaustive_rows(cfg: IvfConfig) -> dict[str, np.ndarray]:
    """4-bit lanes: every element code pair alone in the block. 8-bit lanes: every code
    times 1.0 beside the largest product (for E4M3 each value is cut by the window).

    (Zero products are left out of the max-exponent compare; with E4M3 that rule cannot
    change a result: a zero element has shift 0, so a zero product's exponent sum is at
    most 14, and a product shifted right by at most 14 places keeps every bit in the 16
    bits of window headroom below its significand.)"""
    scheme = cfg.block
    elem, k = scheme.element, scheme.block_size
    one_scale = 127 if scheme.scale.name == "e8m0fnu" else int(scheme.scale.encode(1.0))
    if elem.bits <= 4:
        ca, cb = every_pair(elem.bits, elem.bits)
        return _one_lane_rows(k, one_scale, ca, cb)
    every = np.arange(1 << elem.bits, dtype=np.uint64)
    big, one = (int(elem.encode(np.array(v))) for v in (elem.max_value, 1.0))
    full = lambda code: np.full(len(every), code, np.uint64)  # noqa: E731
    return _one_lane_rows(k, one_scale, every, full(one), (full(big), full(one)))


def ivf_inputs(cfg: IvfConfig, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The exhaustive rows, then n mixed vectors (corners, random codes, quantized data,
    FP32 rounding ties, NaN sprinkles; see ``block_dot.dot_inputs``)."""
    first = exhaustive_rows(cfg)
    mixed = dot_inputs(cfg.scheme, n, rng)
    return {key: np.concatenate([first[key], mixed[key]]) for key in first}


# ---------------------------------------------------------------- lane and unit


def ivf_lane(cfg: IvfConfig) -> Lane:
    scheme = cfg.block
    w, k = scheme.element.bits, scheme.block_size

    def generate(vectors: int, rng: np.random.Generator):
        return ivf_inputs(cfg, vectors, rng)

    def model(inputs, mutant: bool):
        window = cfg.window + 1 if (mutant and cfg.window) else None
        out = ivf_model(cfg, inputs["a"], inputs["b"], inputs["xa"], inputs["xb"], window)
        return {"result": fp32_bits(out)}

    inputs = (Field("a", w, k), Field("b", w, k), Field("xa", 8), Field("xb", 8))
    return Lane(cfg.name, inputs, (Field("result", 32),), generate, model)


CONFIGS = (
    IvfConfig("mxint8", "mxint8"),
    IvfConfig("mxfp8_e4m3", "mxfp8_e4m3"),
    IvfConfig("nvint4", "nvint4"),
    IvfConfig("nvfp4", "nvfp4"),
)
LANES = tuple(ivf_lane(c) for c in CONFIGS)


def _stimulus(vectors: int, rng: np.random.Generator, mutant: bool):
    per_lane = max(1, -(-vectors // len(LANES)))  # the lanes share the vector count
    return lane_stimulus(LANES, per_lane, rng, mutant)


UNIT = Unit("ivf_dot", "INT v.s. FP block dots (arXiv 2510.25602): MXINT8, MXFP8 E4M3 (24-bit "
            "window), NVINT4, NVFP4 (10-bit window); one shared normaliser, scale dequantizer",
            "tb_ivf_dot", HDL + ("tb/tb_register_stage.sv", "tb/tb_ivf_dot.sv"), _stimulus,
            exhaustive="every element code pair (4-bit), every E4M3 code beside the largest")
