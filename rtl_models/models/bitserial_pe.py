"""Unit ``bitserial_pe``: BitMoD-style bit-serial PE (bp_bitserial_pe) at 2 and 1 bits a cycle.

One vector is one group: G = 8 weight codes of one type (INT4/INT3 or a BitMoD FP4/FP3
type, ``numerics.bitmod``), 8 FP16 activations and one FP16 group scale. Model: each
weight decodes to its integer value (``BitModType.values`` or two's complement), which
``numerics.bitserial_multiply`` multiplies digit by digit (bit planes, ``bits_per_cycle``
1 or 2) with its activation; the group's exact sum times the scale is rounded once to FP32
(``ExactFP32``). NaN or infinite activations or scales give the canonical NaN and an exact
zero gives +0, as the RTL defines. The cycle count is checked too: (G / DW) steps of
``bitserial_multiply``'s cycles, plus one dequantization cycle. Stimulus: corners (zero
groups, the largest FP16 values and weights, FP16 subnormals, negative and subnormal
scales, every weight code of every type, FP32 rounding ties), every FP16 code as an
activation, then random groups.
"""

from __future__ import annotations

import numpy as np

from numerics import ExactFP32, bitserial_multiply, get_format
from numerics.bitmod import BITMOD_TYPES

from .._fields import Field
from .._unit import Lane, Unit, lane_stimulus
from ._common import fp32_bits

G, DW = 8, 4
# wtype index -> type name, as bp_bitserial_pe decodes it
WEIGHT_TYPES = ("int4", "int3", "fp4", "fp3",
                "fp4_er_pos", "fp4_er_neg", "fp4_ea_pos", "fp4_ea_neg",
                "fp3_er_pos", "fp3_er_neg", "fp3_ea_pos", "fp3_ea_neg")
FP16 = get_format("fp16")
THREE_BIT = [t for t, name in enumerate(WEIGHT_TYPES) if name.split("_")[0][-1] == "3"]


def weight_bits(wtype: int) -> int:
    return int(WEIGHT_TYPES[wtype].split("_")[0][-1])


def weight_values(wtype: int) -> np.ndarray:
    """Integer value of every code of the type (index = code)."""
    name = WEIGHT_TYPES[wtype]
    if name.startswith("int"):
        bits = weight_bits(wtype)
        codes = np.arange(1 << bits)
        return np.where(codes >= 1 << (bits - 1), codes - (1 << bits), codes)
    return BITMOD_TYPES[name].values.astype(np.int64)


def odd_part(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(s, h) with values = s * 2^h and s odd (or zero): the PE's significand and shift."""
    h = np.zeros(values.shape, np.int64)
    for _ in range(4):
        even = (values != 0) & ((values >> h) % 2 == 0)
        h = h + even
    return values >> h, h


def pe_model(wtype, w, a, scale, bits_per_cycle: int):
    """(FP32 bit patterns, busy cycles) for groups of codes w (n, G), FP16 codes a (n, G)."""
    n = len(wtype)
    a_val, s_val = FP16.decode(a), FP16.decode(scale)
    terms = np.zeros((n, G))
    cycles = np.zeros(n, np.int64)
    for t in np.unique(wtype):
        rows = wtype == t
        ints = weight_values(int(t))[w[rows].astype(np.int64)]
        sig, shift = (ints, 0) if WEIGHT_TYPES[t].startswith("int") else odd_part(ints)
        a_safe = np.where(np.isfinite(a_val[rows]), a_val[rows], 0.0)
        s_safe = np.where(np.isfinite(s_val[rows]), s_val[rows], 0.0)
        r = bitserial_multiply(sig, a_safe, weight_bits(int(t)), bits_per_cycle)
        terms[rows] = np.ldexp(r.product, shift) * s_safe[:, None]
        cycles[rows] = (G // DW) * r.cycles + 1
    result = ExactFP32().accumulate(terms).astype(np.float64)
    nan = ~np.isfinite(a_val).all(axis=1) | ~np.isfinite(s_val)
    result = np.where(nan, np.nan, np.where(result == 0, 0.0, result))
    return fp32_bits(result), cycles


# ---------------------------------------------------------------- stimulus


def _fp16(values) -> np.ndarray:
    return FP16.encode(np.asarray(values, np.float64)).astype(np.int64)


def _corners() -> dict[str, np.ndarray]:
    rows = []  # (wtype, w codes, a codes, scale code)
    ones, big = _fp16([1.0] * G), _fp16([65504.0] * G)
    for t in range(len(WEIGHT_TYPES)):  # every code of every type (16 codes: two groups)
        codes = np.arange(1 << weight_bits(t))
        for half in (codes[:G], codes[-G:]):
            rows.append((t, np.resize(half, G), ones, _fp16(1.0)))
        top = int(np.argmax(np.abs(weight_values(t))))
        rows.append((t, np.full(G, top), big, _fp16(65504.0)))  # largest result
        rows.append((t, np.full(G, top), np.full(G, 1), _fp16(-2.0**-24)))  # subnormals
    rows.append((0, np.zeros(G), ones, _fp16(1.0)))  # zero group: +0
    rows.append((0, np.full(G, 1), ones, _fp16(-0.0)))  # zero scale: +0
    rows.append((0, np.r_[1, 15, np.zeros(G - 2)], ones, _fp16(3.0)))  # exact cancellation
    for k in (0, 6, 15):  # 1 + 2^-24 and 1 + 3 * 2^-24: FP32 ties at 1.0 (times 2^k)
        for low in (1, 3, 5):
            a = np.r_[_fp16([2.0**k]), _fp16([2.0 ** (k - 24)] * low), np.zeros(G - 1 - low)]
            rows.append((0, np.r_[1, np.ones(low), np.zeros(G - 1 - low)], a, _fp16(1.0)))
    rows.append((2, np.full(G, 1), np.r_[_fp16([np.inf]), ones[1:]], _fp16(1.0)))
    rows.append((2, np.full(G, 1), ones, _fp16(np.nan)))
    cols = list(zip(*rows, strict=True))
    return {"wtype": np.array(cols[0]), "w": np.stack(cols[1]).astype(np.int64),
            "a": np.stack(cols[2]).astype(np.int64), "scale": np.array(cols[3], np.int64)}


def _activation_sweep(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every FP16 code once as an activation (8 consecutive codes a group, so a group
    shares one exponent and NaN/infinity codes fill groups of their own), with random
    types, non-zero weights and scales."""
    a = np.arange(1 << 16, dtype=np.int64).reshape(-1, G)
    n = len(a)
    wtype = rng.integers(0, len(WEIGHT_TYPES), n)
    bits = np.where(np.isin(wtype, THREE_BIT), 3, 4)[:, None]
    magnitude = rng.integers(1, 1 << 3, (n, G)) % (1 << (bits - 1))  # non-zero low bits
    w = np.where(magnitude == 0, 1, magnitude) | (rng.integers(0, 2, (n, G)) << (bits - 1))
    return {"wtype": wtype, "w": w, "a": a, "scale": _fp16(np.exp2(rng.uniform(-10, 10, n)))}


def pe_inputs(vectors: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Corners, every FP16 code as an activation, then random groups: random types and
    codes; activations half uniform finite FP16 codes, half normal data; scales positive
    normal FP16 (a few any code, NaN and infinity included)."""
    corners = _corners()
    sweep = _activation_sweep(rng)
    n = max(0, vectors - len(corners["wtype"]) - len(sweep["wtype"]))
    wtype = rng.integers(0, len(WEIGHT_TYPES), n)
    w = rng.integers(0, 16, (n, G)) & np.where(np.isin(wtype, THREE_BIT), 7, 15)[:, None]
    uniform = rng.integers(0, 0x7C00, (n, G)) | (rng.integers(0, 2, (n, G)) << 15)
    data = _fp16(rng.standard_normal((n, G)) * np.exp2(rng.integers(-20, 12, (n, 1))))
    a = np.where((rng.random(n) < 0.5)[:, None], uniform, data)
    scale = _fp16(np.exp2(rng.uniform(-20, 15, n)))
    odd = rng.random(n) < 0.05
    scale[odd] = rng.integers(0, 0x10000, int(odd.sum()))  # any code, NaN/inf included
    return {key: np.concatenate([corners[key], sweep[key], new]) for key, new in
            (("wtype", wtype), ("w", w), ("a", a), ("scale", scale))}


def _lane(name: str, bits_per_cycle: int, mutate: bool) -> Lane:
    def model(inputs, mutant: bool):
        result, cycles = pe_model(inputs["wtype"], inputs["w"], inputs["a"], inputs["scale"],
                                  bits_per_cycle)
        if mutant and mutate:  # one ulp off wherever the group uses fp4 with EA = -16
            finite = (result & np.uint64(0x7F800000)) != np.uint64(0x7F800000)
            hit = (inputs["wtype"] == WEIGHT_TYPES.index("fp4_ea_neg")) & finite & (result != 0)
            result = np.where(hit, result ^ np.uint64(1), result)
        return {"result": result, "cycles": cycles}

    inputs = (Field("wtype", 4), Field("w", 4, G), Field("a", 16, G), Field("scale", 16))
    return Lane(name, inputs, (Field("result", 32), Field("cycles", 8)), pe_inputs, model)


LANES = (_lane("bpc2", 2, True), _lane("bpc1", 1, False))


def stimulus(vectors: int, rng: np.random.Generator, mutant: bool):
    return lane_stimulus(LANES, max(1, -(-vectors // len(LANES))), rng, mutant)


UNIT = Unit(
    name="bitserial_pe",
    summary="BitMoD-style bit-serial PE: INT4/INT3 and BitMoD FP4/FP3 weights, 2 and 1 "
            "bits a cycle, FP16 activations, per-group FP16 dequantization to FP32",
    toplevel="tb_bitserial_pe",
    sources=("bp_to_fp32.sv", "bp_bitserial_pe.sv", "tb/tb_bitserial_pe.sv"),
    stimulus=stimulus,
    exhaustive="every weight code of every type; every FP16 code as an activation",
)
