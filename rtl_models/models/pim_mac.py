"""Unit ``pim_mac``: a Logic-PIM GEMM-module lane (bp_pim_mac), FP16/BF16 products into FP32.

One vector is one dot product: a format bit (FP16 or BF16) and K = 8 pairs, taken one a
cycle. Model: ``numerics.SequentialFMA32`` on the exact float64 products (the lane's
``acc = fl32(acc + a * b)``, each step rounded once to nearest even, starting from +0);
NaN results as the canonical 0x7fc00000. Stimulus: corners (zeros and negative zeros,
BF16 overflow to infinity, FP16 subnormal products, BF16 products at and around half the
smallest FP32 subnormal, exact cancellation, FP32 ties at 2^24, far smaller terms
subtracted from powers of two, infinities, NaN, inf * 0, inf - inf), then random dot
products: uniform finite codes, normal data at random magnitudes, and near-cancelling
pairs; half FP16, half BF16.
"""

from __future__ import annotations

import numpy as np

from numerics import SequentialFMA32, get_format

from .._fields import Field
from .._unit import Lane, Unit, lane_stimulus
from ._common import fp32_bits

K = 8
COPIES = 4  # lanes side by side in the wrapper (vectors per beat)
FORMATS = (get_format("fp16"), get_format("bf16"))  # index = the fmt bit


def mac_model(fmt: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """FP32 bit patterns of the FMA chain for rows of codes a, b (n, K)."""
    out = np.zeros(len(fmt), np.float32)
    for bit, f in enumerate(FORMATS):
        rows = fmt == bit
        with np.errstate(invalid="ignore", over="ignore"):
            terms = f.decode(a[rows]) * f.decode(b[rows])
            out[rows] = SequentialFMA32().accumulate(terms)
    return fp32_bits(out)


def _codes(f, values) -> np.ndarray:
    return f.encode(np.asarray(values, np.float64)).astype(np.int64)


def _pad(values, fill=0.0) -> list:
    return list(values) + [fill] * (K - len(values))


def _corner_rows():
    """(fmt, a values, b values) of the hand-made dot products."""
    tiny, big = 2.0**-75, 2.0**120
    rows = [
        (0, [0.0] * K, [0.0] * K), (1, [-0.0] * K, [1.0] * K), (1, [-0.0] * K, [-0.0] * K),
        (1, _pad([3.0e38, 3.0e38, -1.0]), _pad([3.0e38, 1.0, 1.0])),  # overflow to inf
        (0, [2.0**-24] * K, [2.0**-24] * K),  # FP16 subnormal products
        (1, _pad([tiny]), _pad([tiny])),  # 2^-150: a tie, rounds to +0
        (1, _pad([-tiny], -0.0), _pad([tiny], 1.0)),  # rounds to -0; -0 + -0 stays -0
        (1, _pad([-tiny, 2.0**-140], -0.0), _pad([tiny, -(2.0**-10)], 1.0)),
        (1, _pad([tiny * 1.5]), _pad([tiny])),  # 1.5 * 2^-150: rounds up to 2^-149
        (1, _pad([tiny, tiny]), _pad([tiny, tiny])),  # 2^-149 exactly
        (0, _pad([3.0, -3.0]), _pad([5.0, 5.0])),  # exact cancellation: +0
        (0, _pad([2048.0, 1.0]), _pad([8192.0, 1.0])),  # 2^24 + 1: a tie, to even
        (0, _pad([2048.0, 1.0, 1.0, 1.0]), _pad([8192.0, 1.0, 1.0, 1.0])),
        (0, _pad([2048.0, 3.0]), _pad([8192.0, 1.0])),  # 2^24 + 3: a tie, up
        (1, _pad([big, -(2.0**-30)]), _pad([1.0, big])),  # far smaller term subtracted
        (1, _pad([big, -(2.0**94)]), _pad([1.0, 0.75])),  # 3/8 ulp below 2^120: up
        (1, _pad([big, -(2.0**96)]), _pad([1.0, 0.75])),  # 3/4 ulp below 2^120: down
        (0, _pad([32768.0, 128.0, 255 * 2.0**-10]), _pad([32768.0, 1.0, 257.0])),  # tie - tiny
        (0, _pad([np.inf]), _pad([1.0])), (0, _pad([np.inf]), _pad([0.0])),
        (1, _pad([np.inf, -np.inf]), _pad([1.0, 1.0])), (1, _pad([np.nan]), _pad([1.0])),
        (1, _pad([np.inf, 1.0]), _pad([-1.0, 2.0])),
    ]
    fmt = np.array([r[0] for r in rows])
    a = np.stack([_codes(FORMATS[r[0]], r[1]) for r in rows])
    b = np.stack([_codes(FORMATS[r[0]], r[2]) for r in rows])
    return fmt, a, b


def _random_rows(f, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n dot products in format f: a third uniform finite codes, a third normal data at a
    random magnitude, a third pairs that nearly cancel (a[2i+1] = -a[2i] * (1 + small))."""
    kind = rng.integers(0, 3, (n, 1))
    uniform = (_finite_codes(f, (n, K), rng), _finite_codes(f, (n, K), rng))
    spread = np.exp2(rng.integers(-12, 12, (n, 1)))
    data = (_codes(f, rng.standard_normal((n, K)) * spread), _codes(f, rng.standard_normal((n, K))))
    x = rng.standard_normal((n, K // 2)) * np.exp2(rng.integers(-8, 8, (n, 1)))
    y = -x * (1 + rng.choice([0.0, 2.0**-8, -(2.0**-10), 2.0**-6], x.shape))
    near = (_codes(f, np.stack([x, y], axis=-1).reshape(n, K)), _codes(f, np.ones((n, K))))
    pick = lambda i: np.where(kind == 0, uniform[i], np.where(kind == 1, data[i], near[i]))  # noqa: E731
    return pick(0), pick(1)


def mac_inputs(vectors: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Corners, then random dot products, half FP16 and half BF16."""
    fmt0, a0, b0 = _corner_rows()
    n = max(0, vectors - len(fmt0))
    fmt = rng.integers(0, 2, n)
    a = np.zeros((n, K), np.int64)
    b = np.zeros((n, K), np.int64)
    for bit, f in enumerate(FORMATS):
        rows = fmt == bit
        a[rows], b[rows] = _random_rows(f, int(rows.sum()), rng)
    return {"fmt": np.concatenate([fmt0, fmt]), "a": np.concatenate([a0, a]),
            "b": np.concatenate([b0, b])}


def _finite_codes(f, shape, rng: np.random.Generator) -> np.ndarray:
    codes = rng.integers(0, 1 << f.bits, shape)
    bad = ~np.isfinite(f.decode(codes))
    codes[bad] = rng.integers(0, 1 << (f.bits - 2), int(bad.sum()))  # small finite codes
    return codes


def _lane(mutate: bool) -> Lane:
    def model(inputs, mutant: bool):
        result = mac_model(inputs["fmt"], inputs["a"], inputs["b"])
        if mutant and mutate:  # one ulp off for BF16 sums whose first a code is odd
            finite = (result & np.uint64(0x7F800000)) != np.uint64(0x7F800000)
            hit = (inputs["fmt"] == 1) & (inputs["a"][:, 0] % 2 == 1) & finite & (result != 0)
            result = np.where(hit, result ^ np.uint64(1), result)
        return {"result": result}

    inputs = (Field("fmt", 1), Field("a", 16, K), Field("b", 16, K))
    return Lane("mac", inputs, (Field("result", 32),), mac_inputs, model)


LANES = (_lane(True),)


def stimulus(vectors: int, rng: np.random.Generator, mutant: bool):
    return lane_stimulus(LANES, vectors, rng, mutant, COPIES)


UNIT = Unit(
    name="pim_mac",
    summary="Logic-PIM GEMM lane: FP16/BF16 multiply, FP32 fused accumulate (RNE), "
            f"{COPIES} lanes of {K}-pair dot products",
    toplevel="tb_pim_mac",
    sources=("bp_to_fp32.sv", "bp_pim_mac.sv", "tb/tb_pim_mac.sv"),
    stimulus=stimulus,
)
