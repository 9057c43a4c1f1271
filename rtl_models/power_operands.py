"""Operand streams for the gate-level power runs: real-looking data, not uniform random bits.

``OPERANDS[unit](point, distribution, cycles, seed)`` returns, for every input port of
``point.top`` but the clock and reset, ``cycles`` non-negative integers (the port's value in
each cycle). Values come from ``numerics.test_tensor(distribution)`` quantized with the
unit's own scheme (``numerics.quantize``): activations from one draw, weights from another.

    >>> from rtl_models.synth import DESIGN_POINTS
    >>> point = next(p for p in DESIGN_POINTS if p.name == "mul_fp4_e2m1")
    >>> sorted(OPERANDS["elem_mul"](point, "gaussian", 4, 0))
    ['a', 'b']
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from numerics import get_format, quantize, test_tensor

from .models.intfp_operands import OPERANDS as IVF_OPERANDS
from .synth import DesignPoint

Operands = dict[str, np.ndarray]


def _params(point: DesignPoint) -> dict[str, int]:
    return dict(point.parameters)


def _scheme(p: dict[str, int]) -> str:
    """The block scheme whose elements the point's parameters describe (bp_block_dot's
    W/EXP_BITS/MAN_BITS/IS_INT/SCALE or bp_elem_mul's WA/EA/MA/IA)."""
    if p.get("IS_INT") or p.get("IA"):
        return "mxint8"
    if p.get("SCALE"):
        return "nvfp4"
    fields = (p.get("W", p.get("WA", 8)), p.get("EXP_BITS", p.get("EA", 4)),
              p.get("MAN_BITS", p.get("MA", 3)))
    return {(8, 4, 3): "mxfp8_e4m3", (8, 5, 2): "mxfp8_e5m2", (6, 2, 3): "mxfp6_e2m3",
            (6, 3, 2): "mxfp6_e3m2", (4, 2, 1): "mxfp4"}[fields]


def _tensors(distribution: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Activations and weights, ``n`` values each, as rows of 128 (whole blocks)."""
    rows = -(-n // 128)
    a = test_tensor(distribution, (rows, 128), seed)
    w = test_tensor(distribution, (rows, 128), seed + 1)
    return a, w


def _codes(x: np.ndarray, scheme: str, block: int):
    q = quantize(x, scheme)
    return (q.codes.reshape(-1, block).astype(np.int64), q.scales.reshape(-1).astype(np.int64))


def _pack(codes: np.ndarray, width: int) -> np.ndarray:
    """Rows of codes as one integer a row, element i at bits [i*width, (i+1)*width)."""
    mask = (1 << width) - 1
    return np.array([sum((int(c) & mask) << (i * width) for i, c in enumerate(row))
                     for row in codes], dtype=object)


def elem_mul(point, distribution, cycles, seed) -> Operands:
    a, w = _tensors(distribution, cycles, seed)
    scheme = _scheme(_params(point))
    return {"a": _codes(a, scheme, 32)[0].reshape(-1)[:cycles],
            "b": _codes(w, scheme, 32)[0].reshape(-1)[:cycles]}


def block_dot(point, distribution, cycles, seed) -> Operands:
    p = _params(point)
    k, width = p.get("K", 32), p.get("W", 8)
    a, w = _tensors(distribution, cycles * k, seed)
    scheme = _scheme(p)
    (ca, sa), (cb, sb) = _codes(a, scheme, k), _codes(w, scheme, k)
    return {"a": _pack(ca[:cycles], width), "b": _pack(cb[:cycles], width),
            "xa": sa[:cycles], "xb": sb[:cycles]}


def mx_quantize(point, distribution, cycles, seed) -> Operands:
    k = _params(point).get("K", 32)
    x, _ = _tensors(distribution, cycles * k, seed)
    bits = x.reshape(-1, k)[:cycles].view(np.uint32)
    return {"x": _pack(bits, 32)}


def _fp16(x: np.ndarray) -> np.ndarray:
    return get_format("fp16").encode(np.asarray(x, np.float64)).astype(np.int64)


def bitserial_pe(point, distribution, cycles, seed) -> Operands:
    """INT4 weight groups (``int4_group`` codes and scales) and FP16 activations, one group
    started every ``bitserial_interval(point)`` cycles (the PE is busy in between)."""
    g = _params(point).get("G", 8)
    a, w = _tensors(distribution, cycles * g, seed)
    q = quantize(w, "int4_group")
    codes = q.codes.reshape(-1, g).astype(np.int64)
    scales = np.repeat(q.scales.reshape(-1), 128 // g).astype(np.int64)
    acts = _fp16(a).reshape(-1, g)
    interval = bitserial_interval(point)
    group = np.arange(cycles) // interval
    return {"start": (np.arange(cycles) % interval == 0).astype(np.int64),
            "wtype": np.zeros(cycles, np.int64), "w": _pack(codes[group], 4),
            "a": _pack(acts[group], 16), "scale": scales[group]}


def bitserial_interval(point: DesignPoint) -> int:
    """Cycles between group starts: (G / DW) steps of ceil(4 / BPC) cycles, one dequantization
    cycle, one cycle for start to be seen again."""
    p = _params(point)
    g, dw, bpc = p.get("G", 8), p.get("DW", 4), p.get("BPC", 2)
    return (g // dw) * -(-4 // bpc) + 2


def lmul(point, distribution, cycles, seed) -> Operands:
    p = _params(point)
    a, w = _tensors(distribution, cycles, seed)
    if p.get("EXP_BITS", 8) == 8:  # bf16: float32 rounded to nearest even, top 16 bits
        def bf16(x):
            b = x.reshape(-1)[:cycles].view(np.uint32).astype(np.int64)
            return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF
        return {"x": bf16(a), "y": bf16(w)}
    return {"x": _codes(a, "mxfp8_e4m3", 32)[0].reshape(-1)[:cycles],
            "y": _codes(w, "mxfp8_e4m3", 32)[0].reshape(-1)[:cycles]}


def pim_mac(point, distribution, cycles, seed) -> Operands:
    """FP16 products accumulated in one running sum, cleared in the first cycle only."""
    a, w = _tensors(distribution, cycles, seed)
    clear = np.zeros(cycles, np.int64)
    clear[0] = 1
    return {"clear": clear, "en": 1 - clear, "fmt": np.zeros(cycles, np.int64),
            "a": _fp16(a.reshape(-1)[:cycles]), "b": _fp16(w.reshape(-1)[:cycles])}


def lut_unit(point, distribution, cycles, seed) -> Operands:
    """Rows written in the first half of the stream (uint8 entries: the distribution's
    magnitudes scaled to 0..255), lookups with random centroid indices in the second."""
    rng = np.random.default_rng(seed)
    p, a_bits, w_bits, n = 4, 6, 4, 4
    writes = cycles // 2
    x, _ = _tensors(distribution, writes * 16, seed)
    mag = np.abs(x.reshape(-1)[:writes * 16])
    entries = np.minimum(255, np.round(mag / max(mag.max(), 1e-30) * 255)).astype(np.int64)
    wdata = np.r_[_pack(entries.reshape(-1, 16), 8), np.zeros(cycles - writes, dtype=object)]
    we = (np.arange(cycles) < writes).astype(np.int64)
    addr = np.arange(cycles) % (p * 64)
    a_idx = _pack(rng.integers(0, 1 << a_bits, (cycles, p)) * (1 - we)[:, None], a_bits)
    w_idx = _pack(rng.integers(0, 1 << w_bits, (cycles, p * n)) * (1 - we)[:, None], w_bits)
    return {"we": we, "wbank": addr // 64 * we, "wrow": addr % 64 * we, "wdata": wdata,
            "lookup": 1 - we, "a_idx": a_idx, "w_idx": w_idx}


OPERANDS: dict[str, Callable[[DesignPoint, str, int, int], Operands]] = {
    "elem_mul": elem_mul,
    "mx_dot": block_dot,
    "mxint8_dot": block_dot,
    "nvfp4_dot": block_dot,
    "mx_quantize": mx_quantize,
    "bitserial_pe": bitserial_pe,
    "lmul": lmul,
    "pim_mac": pim_mac,
    "lut_unit": lut_unit,
    **IVF_OPERANDS,  # the INT v.s. FP paper's block-dot datapaths
}
