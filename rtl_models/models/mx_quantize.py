"""Unit ``mx_quantize``: FP32 -> MX block quantizer (bp_mx_quantize), OCP "floor" rule.

Model: ``numerics.blocks.mx_quantize_reference(blocks, element, "floor")``. Stimulus: the
element path exhaustively (at several shared exponents, every element value, every
midpoint between neighbours (RNE ties) and the FP32 neighbours of each midpoint, the
saturation range and negative zeros), then random blocks (wide and narrow dynamic range,
FP32 subnormals, NaN/inf blocks, all-zero blocks).
"""

from __future__ import annotations

import numpy as np

from numerics import get_scheme
from numerics.blocks import E8M0_BIAS, mx_quantize_reference, mx_scale_exponents

from .._fields import Field
from .._unit import Lane, Unit, lane_stimulus

K = 32
SCHEMES = ("mxfp8_e4m3", "mxfp4")
SHARED_EXPONENTS = (-127, -120, -20, 0, 17, 100, 117)


def element_path_values(elem) -> np.ndarray:
    """Every element value, every midpoint and its float32 neighbours, past-max values."""
    codes = elem.all_codes()
    values = elem.decode(codes)
    pos = np.unique(values[np.isfinite(values) & (values >= 0)])
    mids = (pos[:-1] + pos[1:]) / 2
    m32 = mids.astype(np.float32)
    near = np.concatenate([np.nextafter(m32, np.float32(0)), np.nextafter(m32, np.float32(np.inf))])
    top = elem.max_value
    beyond = np.array([top * 1.03, top * 1.0625, top * 1.1, top * 1.5, top * 1.99], np.float64)
    vals = np.concatenate([pos, mids, near.astype(np.float64), beyond])
    return np.concatenate([vals, -vals, [-0.0]])


def exhaustive_blocks(elem) -> np.ndarray:
    """Blocks whose first element fixes the shared exponent and the rest walk the path."""
    vals = element_path_values(elem)
    per = K - 1
    chunks = -(-len(vals) // per)
    padded = np.concatenate([vals, np.zeros(chunks * per - len(vals))])
    blocks = []
    for se in SHARED_EXPONENTS:
        body = padded.reshape(chunks, per) * 2.0**se
        head = np.full((chunks, 1), elem.max_value * 2.0**se)
        blocks.append(np.concatenate([head, body], axis=1))
    return np.concatenate(blocks).astype(np.float32)


def random_blocks(n: int, rng: np.random.Generator) -> np.ndarray:
    mode = rng.integers(0, 5, size=n)
    bits = rng.integers(0, 1 << 32, size=(n, K), dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32).copy()
    finite = np.isfinite(x)
    x = np.where(finite, x, np.float32(1.0))  # mode 0: random bit patterns (finite)
    normal = (rng.standard_normal((n, K)) * np.exp2(rng.integers(-140, 120, (n, 1)))).astype(np.float32)
    x = np.where((mode == 1)[:, None], normal, x)
    narrow = (rng.uniform(-1, 1, (n, K)) * np.exp2(rng.integers(-149, 127, (n, 1)))).astype(np.float32)
    x = np.where((mode == 2)[:, None], narrow, x)
    sparse = (mode == 3)[:, None] & (rng.random((n, K)) < 0.8)
    x = np.where(sparse, np.float32(0.0), x)
    special = np.flatnonzero(mode == 4)
    for r in special:
        x[r, rng.integers(0, K)] = rng.choice([np.inf, -np.inf, np.nan])
    x[:2] = 0.0
    x[1, ::3] = -0.0
    return x


def _quantize_model(elem, blocks: np.ndarray, mutant: bool):
    if not mutant:
        return mx_quantize_reference(blocks.astype(np.float64), elem, "floor")
    # Deliberate bug: round half away from zero instead of to even.
    blocks = blocks.astype(np.float64)
    e = mx_scale_exponents(blocks, elem, "floor")
    bad = e == 0xFF - E8M0_BIAS
    scaled = np.ldexp(np.where(bad[..., None], 0.0, blocks), -np.where(bad, 0, e)[..., None])
    return elem.encode(scaled, rounding="rna", saturate=True), (e + E8M0_BIAS).astype(np.uint8)


def _lane(scheme_name: str, mutate: bool) -> Lane:
    elem = get_scheme(scheme_name).element

    def generate(vectors: int, rng: np.random.Generator):
        x = np.concatenate([exhaustive_blocks(elem), random_blocks(vectors, rng)])
        return {"x": x.view(np.uint32).astype(np.uint64)}

    def model(inputs, mutant: bool):
        x = inputs["x"].astype(np.uint32).view(np.float32)
        codes, scales = _quantize_model(elem, x, mutant and mutate)
        return {"scale": scales.astype(np.uint64), "codes": codes.astype(np.uint64)}

    outputs = (Field("scale", 8), Field("codes", elem.bits, K))
    return Lane(scheme_name, (Field("x", 32, K),), outputs, generate, model)


LANES = tuple(_lane(s, i == 0) for i, s in enumerate(SCHEMES))


def stimulus(vectors: int, rng: np.random.Generator, mutant: bool):
    return lane_stimulus(LANES, max(1, vectors // len(LANES)), rng, mutant)


UNIT = Unit(
    name="mx_quantize",
    summary="FP32 -> MXFP8 (e4m3) / MXFP4 block quantizer, floor scale rule, RNE, saturation",
    toplevel="tb_mx_quantize",
    sources=("bp_mx_quantize.sv", "tb/tb_register_stage.sv", "tb/tb_mx_quantize.sv"),
    stimulus=stimulus,
    exhaustive="every element value, midpoint and midpoint neighbour at 7 shared exponents",
)
