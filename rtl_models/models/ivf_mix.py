"""Unit ``ivf_mix``: one block dot that runs MXINT8 or MXFP8 (E4M3) blocks (ivf_mix.sv).

A format-select input picks, per block, the arithmetic of ``ivf_dot``'s MXINT8 point (exact
integer products) or its MXFP8 E4M3 point (products cut to the paper's 24-bit window);
the lane multiplier, adder tree, E8M0 scale adder and normaliser are shared. Model: the
``ivf_dot`` model (``ivf_model``, numerics decoders, independent of the RTL's encoding) of
the selected format, row by row. Stimulus: both formats' vectors (exhaustive rows and
mixed vectors of ``ivf_inputs``) shuffled together, so consecutive blocks switch format.
"""

from __future__ import annotations

import numpy as np

from .._fields import Field
from .._unit import Lane, Unit, lane_stimulus
from ._common import fp32_bits
from .ivf_dot import CONFIGS, HDL, ivf_inputs, ivf_model

MIX_HDL = tuple(h for h in HDL if h != "ivf_dot.sv") + ("ivf_mul_mix.sv", "ivf_mix.sv")
# is_int -> the ivf_dot configuration a block of that format follows
FORMATS = {1: next(c for c in CONFIGS if c.scheme == "mxint8"),
           0: next(c for c in CONFIGS if c.scheme == "mxfp8_e4m3")}


def mix_inputs(vectors: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each format's rows (``ivf_inputs``, about ``vectors`` / 2 mixed ones each) with its
    select bit, in a random order."""
    parts = []
    for is_int, cfg in FORMATS.items():
        rows = ivf_inputs(cfg, max(1, vectors // 2), rng)
        parts.append(rows | {"is_int": np.full(len(rows["a"]), is_int, np.uint64)})
    joined = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    order = rng.permutation(len(joined["a"]))
    return {key: value[order] for key, value in joined.items()}


def mix_model(inputs: dict[str, np.ndarray], mutant: bool = False) -> np.ndarray:
    """float32 results: each row by the model of its selected format (the mutant keeps one
    window bit more on FP8 rows)."""
    out = np.zeros(len(inputs["a"]), np.float32)
    for is_int, cfg in FORMATS.items():
        rows = inputs["is_int"] == is_int
        window = cfg.window + 1 if (mutant and cfg.window) else None
        out[rows] = ivf_model(cfg, inputs["a"][rows], inputs["b"][rows], inputs["xa"][rows],
                              inputs["xb"][rows], window)
    return out


LANE = Lane("mxint8_or_mxfp8",
            (Field("a", 8, 32), Field("b", 8, 32), Field("xa", 8), Field("xb", 8), Field("is_int", 1)),
            (Field("result", 32),), mix_inputs,
            lambda inputs, mutant: {"result": fp32_bits(mix_model(inputs, mutant))})


def _stimulus(vectors: int, rng: np.random.Generator, mutant: bool):
    return lane_stimulus((LANE,), vectors, rng, mutant)


UNIT = Unit("ivf_mix", "INT v.s. FP mixed block dot: MXINT8 or MXFP8 E4M3 per block (format "
            "select), sharing the lane multiplier, adder tree, scale adder and normaliser",
            "tb_ivf_mix", MIX_HDL + ("tb/tb_register_stage.sv", "tb/tb_ivf_mix.sv"), _stimulus,
            exhaustive="every MXINT8 and E4M3 code beside the largest (ivf_dot's rows), both formats")
