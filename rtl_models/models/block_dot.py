"""Units ``mx_dot``, ``mxint8_dot`` and ``nvfp4_dot``: block-scaled dot products (bp_block_dot).

Model: ``numerics.mx_dot_general`` on the codes and scales, with the default ExactFP32
accumulator (the exact sum rounded once) or, for the truncating lanes, a
``TensorCoreModel`` block accumulator (products cut toward zero to WIN fraction bits below
the largest, sum cut toward zero to FP32 precision) whose result is scaled and rounded
once. Rows holding NaN or infinity are decided on the whole row first (NaN for NaN,
inf * 0 or infinities of both signs, else that infinity), as the RTL does; ExactFP32
itself cannot take infinite terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics import TensorCoreModel, get_scheme, mx_dot_general
from numerics.blocks import QuantizedTensor
from numerics.formats import FloatFormat

from .._fields import Field
from .._unit import Lane, Unit, lane_stimulus
from ._common import finite_codes, fp32_bits

HDL = ("bp_elem_decode.sv", "bp_elem_mul.sv", "bp_to_fp32.sv", "bp_block_dot.sv")


@dataclass(frozen=True)
class DotConfig:
    """One bp_block_dot parameter point: scheme name, accumulator (WIN None = exact)."""

    name: str
    scheme: str
    win: int | None = None

    @property
    def block(self):
        return get_scheme(self.scheme)


def _row_specials(pa, pb, scale):
    """(special rows, their result) with the RTL's rules, from float64 terms."""
    with np.errstate(invalid="ignore", over="ignore"):
        terms = pa * pb * scale[:, None]
    special = ~np.isfinite(terms).all(axis=1)
    pos, neg = (terms == np.inf).any(axis=1), (terms == -np.inf).any(axis=1)
    nan = np.isnan(terms).any(axis=1) | (pos & neg)
    return special, np.where(nan, np.nan, np.where(pos, np.inf, -np.inf))


def dot_model(cfg: DotConfig, a, b, xa, xb) -> np.ndarray:
    """float32 results of the numerics model for rows of codes (n, k) and scales (n,)."""
    scheme = cfg.block
    elem, scale_fmt = scheme.element, scheme.scale
    pa, pb = elem.decode(a), elem.decode(b)
    special, special_value = _row_specials(pa, pb, scale_fmt.decode(xa) * scale_fmt.decode(xb))
    a = np.where(special[:, None], 0, a).astype(elem.code_dtype)
    b = np.where(special[:, None], 0, b).astype(elem.code_dtype)
    k = a.shape[1]

    def tensor(codes, scales):
        return QuantizedTensor(scheme, codes, scales.reshape(-1, 1).astype(np.uint8), 1, k)

    block_acc = None
    if cfg.win is not None:
        block_acc = TensorCoreModel(elem.name, fma_group_size=k, extra_alignment_bits=cfg.win - 23,
                                    alignment_rounding="rtz", result_rounding="rtz")
    with np.errstate(over="ignore"):  # overflow to inf in the float32 cast is the result
        out = mx_dot_general(tensor(a, xa), tensor(b, xb), block_accumulator=block_acc)
    return np.where(special, special_value, out).astype(np.float32)


# ---------------------------------------------------------------- stimulus


def _codes_of(elem, values) -> np.ndarray:
    return elem.encode(np.asarray(values, np.float64), saturate=True, nan="zero")


def _tie_rows(elem, n, k, rng):
    """Rows whose exact sum is a rounding tie (or one step off) at FP32 precision."""
    a = np.zeros((n, k), np.uint64)
    b = np.zeros((n, k), np.uint64)
    one = _codes_of(elem, 1.0)
    lo_exp = int(np.log2(elem.min_subnormal)) if isinstance(elem, FloatFormat) else -6
    for r in range(n):
        gap = int(rng.integers(23, 27))
        top = int(rng.integers(lo_exp + gap, lo_exp + gap + 6))
        a[r, 0], b[r, 0] = _codes_of(elem, 2.0**top), one
        small = 2.0 ** (top - gap) * rng.choice([1, 3, 5, -1, -3])
        a[r, 1], b[r, 1] = _codes_of(elem, small), one
    return a, b


def dot_inputs(scheme_name: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """n dot vectors: corners first, then a mix of random codes, quantized normal data,
    sparse rows with FP32 rounding ties, extreme scales and NaN/inf sprinkles."""
    scheme = get_scheme(scheme_name)
    elem, scale_fmt, k = scheme.element, scheme.scale, scheme.block_size
    codes = lambda m: finite_codes(elem, m * k, rng).reshape(m, k)  # noqa: E731
    a, b = codes(n), codes(n)
    scale_max = (1 << scale_fmt.bits) - 2 if scale_fmt.name == "e8m0fnu" else 0x7E
    xa = rng.integers(0, scale_max + 1, size=n, dtype=np.uint64)
    xb = rng.integers(0, scale_max + 1, size=n, dtype=np.uint64)
    mode = rng.integers(0, 6, size=n)
    # quantized normal data (realistic cancellation), moderate scales
    q = (mode == 1) | (mode == 2)
    if q.any():
        data = rng.standard_normal((2, int(q.sum()), k)) * np.exp(rng.normal(0, 4, (2, int(q.sum()), 1)))
        a[q], xa[q] = _quantize(scheme_name, data[0])
        b[q], xb[q] = _quantize(scheme_name, data[1])
    ties = mode == 3
    if ties.any():
        a[ties], b[ties] = _tie_rows(elem, int(ties.sum()), k, rng)
    moderate = mode <= 3
    if scale_fmt.name == "e8m0fnu":
        xa[moderate & ~q] = rng.integers(107, 148, size=int((moderate & ~q).sum()))
        xb[moderate & ~q] = rng.integers(107, 148, size=int((moderate & ~q).sum()))
    specials = mode == 5
    if specials.any():
        _sprinkle_specials(elem, scale_fmt, a, b, xa, xb, specials, rng)
    corners = _corner_rows(elem, scale_fmt, k)
    m = min(len(corners["a"]), n)
    for key, arr in (("a", a), ("b", b), ("xa", xa), ("xb", xb)):
        arr[:m] = corners[key][:m]
    return {"a": a, "b": b, "xa": xa, "xb": xb}


def _quantize(scheme_name, data):
    from numerics import quantize

    q = quantize(data.astype(np.float32), scheme_name)
    return q.codes.astype(np.uint64), q.scales.reshape(-1).astype(np.uint64)


def _sprinkle_specials(elem, scale_fmt, a, b, xa, xb, rows, rng):
    idx = np.flatnonzero(rows)
    specials = [c for c in range(1 << elem.bits) if not np.isfinite(elem.decode(np.array([c]))[0])]
    for r in idx:
        what = rng.integers(0, 3)
        if what == 0 and specials:
            a[r, rng.integers(0, a.shape[1])] = rng.choice(specials)
        elif what == 1 and specials:
            a[r, rng.integers(0, a.shape[1])] = rng.choice(specials)
            b[r, rng.integers(0, b.shape[1])] = rng.choice(specials)
        else:
            (xa if rng.integers(0, 2) else xb)[r] = scale_fmt.encode(np.nan)


def _corner_rows(elem, scale_fmt, k) -> dict[str, np.ndarray]:
    max_code = _codes_of(elem, elem.max_value)
    neg_max = _codes_of(elem, -elem.max_value)
    sub = _codes_of(elem, elem.min_subnormal)
    one = _codes_of(elem, 1.0)
    e8 = scale_fmt.name == "e8m0fnu"
    s_one = 127 if e8 else int(scale_fmt.encode(1.0))
    s_max = 254 if e8 else 0x7E
    s_min = 0 if e8 else 1
    rows = [  # (a, b, xa, xb)
        (0, 0, s_one, s_one),
        (max_code, max_code, s_one, s_one),
        (max_code, max_code, s_max, s_max),
        (max_code, neg_max, s_max, s_max),
        (sub, sub, s_min, s_min),
        (sub, sub, s_one, s_one),
        (one, one, s_min, s_min),
        (one, sub, s_min, s_one),
        (max_code, one, s_one, s_max),
        (one, one, 0x7F if not e8 else 0xFF, s_one),
        (one, one, 0 if not e8 else s_one, s_one),
    ]
    a = np.array([[r[0]] * k for r in rows], np.uint64)
    b = np.array([[r[1]] * k for r in rows], np.uint64)
    a[-1, ::2] = neg_max  # cancelling halves
    b[-1, ::2] = max_code
    return {"a": a, "b": b, "xa": np.array([r[2] for r in rows], np.uint64),
            "xb": np.array([r[3] for r in rows], np.uint64)}


# ---------------------------------------------------------------- lanes and units


def dot_lane(cfg: DotConfig, mutate: bool) -> Lane:
    scheme = cfg.block
    w, k = scheme.element.bits, scheme.block_size

    def generate(vectors: int, rng: np.random.Generator):
        return dot_inputs(cfg.scheme, vectors, rng)

    def model(inputs, mutant: bool):
        bits = fp32_bits(dot_model(cfg, inputs["a"], inputs["b"], inputs["xa"], inputs["xb"]))
        if mutant and mutate:  # one-bit slip in the last place when X_A is the smallest scale
            smallest = inputs["xa"] == (0 if cfg.block.scale.name == "e8m0fnu" else 1)
            finite = (bits & np.uint64(0x7F800000)) != np.uint64(0x7F800000)
            bits = np.where(smallest & finite & (bits != 0), bits ^ np.uint64(1), bits)
        return {"result": bits}

    inputs = (Field("a", w, k), Field("b", w, k), Field("xa", 8), Field("xb", 8))
    return Lane(cfg.name, inputs, (Field("result", 32),), generate, model)


def _unit(name, summary, configs, vectors_per_lane_share, mutate_first=True):
    lanes = tuple(dot_lane(c, mutate_first and i == 0) for i, c in enumerate(configs))

    def stimulus(vectors: int, rng: np.random.Generator, mutant: bool):
        per_lane = max(1, -(-vectors // len(lanes)))
        return lane_stimulus(lanes, per_lane, rng, mutant)

    sources = HDL + ("tb/tb_register_stage.sv", f"tb/tb_{name}.sv")
    return Unit(name, summary, f"tb_{name}", sources, stimulus), lanes


MX_CONFIGS = (
    DotConfig("e4m3_exact", "mxfp8_e4m3"),
    DotConfig("e4m3_trunc25", "mxfp8_e4m3", 25),
    DotConfig("e5m2_exact", "mxfp8_e5m2"),
    DotConfig("e5m2_trunc13", "mxfp8_e5m2", 13),
    DotConfig("e2m3_exact", "mxfp6_e2m3"),
    DotConfig("e3m2_exact", "mxfp6_e3m2"),
    DotConfig("e2m1_exact", "mxfp4"),
)
MXINT8_CONFIGS = (DotConfig("int8_exact", "mxint8"),)
NVFP4_CONFIGS = (DotConfig("nvfp4_exact", "nvfp4"), DotConfig("nvfp4_trunc25", "nvfp4", 25))

MX_UNIT, MX_LANES = _unit(
    "mx_dot", "MX block dot (k=32, E8M0 scales): FP8/FP6/FP4, exact-FP32 and truncating "
    "accumulators", MX_CONFIGS, True)
MXINT8_UNIT, MXINT8_LANES = _unit(
    "mxint8_dot", "MXINT8 block dot (k=32, E8M0 scales), exact sum rounded once to FP32",
    MXINT8_CONFIGS, True)
NVFP4_UNIT, NVFP4_LANES = _unit(
    "nvfp4_dot", "NVFP4 block dot (k=16, ue4m3 scales), exact and truncating accumulators",
    NVFP4_CONFIGS, True)
