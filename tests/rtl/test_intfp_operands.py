"""The operands the physical-cost flow drives into the ivf_dot design points: one value per
input port per cycle, from quantized test tensors, and the RTL's model computes their dot."""

from __future__ import annotations

import re

import numpy as np
import pytest

from numerics import quantize, test_tensor
from rtl_models.models.intfp_operands import OPERANDS
from rtl_models.models.ivf_dot import CONFIGS, ivf_model
from rtl_models.synth import DESIGN_POINTS, HDL_DIR

POINTS = [p for p in DESIGN_POINTS if p.unit == "ivf_dot"]


def _input_ports(top: str) -> set[str]:
    text = (HDL_DIR / f"{top}.sv").read_text()
    head = text[text.index(f"module {top}"):]
    head = head[:head.index(");")]
    return set(re.findall(r"input\s+logic\s*(?:\[[^\]]*\])?\s*(\w+)", head))


@pytest.mark.parametrize("point", POINTS, ids=[p.name for p in POINTS])
@pytest.mark.parametrize("distribution", ["gaussian", "student_t3", "outliers"])
def test_every_input_port_gets_one_value_a_cycle(point, distribution):
    ops = OPERANDS[point.unit](point, distribution, 16, 3)
    assert set(ops) == _input_ports(point.top) == {"a", "b", "xa", "xb"}
    p = dict(point.parameters)
    width = p.get("K", 32) * p.get("W", 8)
    for port, values in ops.items():
        assert len(values) == 16
        assert all(0 <= int(v) < (1 << (width if port in "ab" else 8)) for v in values)
    again = OPERANDS[point.unit](point, distribution, 16, 3)
    assert all((ops[k] == again[k]).all() for k in ops)


def test_operands_are_the_quantized_tensor_blocks():
    point = next(p for p in POINTS if p.name == "ivf_mxfp8_e4m3")
    ops = OPERANDS["ivf_dot"](point, "gaussian", 4, 11)
    q = quantize(test_tensor("gaussian", (4, 32), 11), "mxfp8_e4m3")
    codes = np.array([[(int(w) >> (8 * i)) & 0xFF for i in range(32)] for w in ops["a"]], np.uint64)
    assert (codes == q.codes).all() and (ops["xa"] == q.scales.reshape(-1)).all()
    cfg = next(c for c in CONFIGS if c.scheme == "mxfp8_e4m3")
    b = np.array([[(int(w) >> (8 * i)) & 0xFF for i in range(32)] for w in ops["b"]], np.uint64)
    got = ivf_model(cfg, codes, b, ops["xa"], ops["xb"])
    want = (test_tensor("gaussian", (4, 32), 11) * test_tensor("gaussian", (4, 32), 12)).sum(axis=1)
    assert np.allclose(got, want, rtol=0.1, atol=0.5)
