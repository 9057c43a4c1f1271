"""Sweep specs: valid specs load; every malformed or invalid one is one line, exit code 2."""

from __future__ import annotations

import contextlib
import copy
import io
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arch import FAMILIES, ConfigError, family_of
from experiments.cli import main
from experiments.cmd_sweep import default_spec_path
from experiments.spec import load_spec, spec_from_dict
from experiments.sweep import enumerate_points

VALID = {
    "schema_version": 1,
    "name": "mini",
    "base": "systolic_32x32_ws",
    "workload": {"model": "llama-2-7b", "phase": "decode", "batch": 1, "context": 128,
                 "weight_format": "fp16"},
    "axes": {"unit.rows": [16, 32], "phase": ["decode", "prefill"], "dram.bandwidth_bytes_per_s": [3.2e10]},
    "sampling": {"method": "random", "count": 3, "seed": 1},
    "constraints": ["latency_s <= 1.0"],
    "objectives": ["latency_s", "energy_pj"],
    "qsnr": {"rows": 8, "cols": 128},
}


def _write(path, data) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=False))


def _run(argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


def test_valid_spec_loads_and_samples_reproducibly(tmp_path):
    _write(tmp_path / "s.yaml", VALID)
    spec = load_spec(tmp_path / "s.yaml")
    first, _ = enumerate_points(spec)
    again, _ = enumerate_points(load_spec(tmp_path / "s.yaml"))
    assert len(first) == 3 and [p.point_id for p in first] == [p.point_id for p in again]
    assert _run(["sweep", str(tmp_path / "s.yaml"), "--check"])[0] == 0


def test_default_spec_is_valid_and_names_every_family():
    spec = load_spec(default_spec_path())
    families = {family_of(p.design) for p in enumerate_points(spec)[0]}
    assert families == set(FAMILIES) - {"sm_tensor_core"}  # GPU tensor cores are not in the default sweep


@pytest.mark.parametrize(("change", "message"), [
    ({"axes": {"unit.rows": [0]}}, r"s\.yaml:\d+: axes\.unit\.rows: value 0: unit\.rows: must be a positive"),
    ({"axes": {"unit.rowz": [1]}}, r"s\.yaml:\d+: axes\.unit\.rowz: systolic_32x32_ws has no field"),
    ({"base": "nope"}, r"s\.yaml:3: base: unknown design 'nope'"),
    ({"constraints": ["latency_s << 1"]}, r"s\.yaml:\d+: constraints: must look like"),
    ({"objectives": ["speed"]}, r"unknown objective 'speed'"),
    ({"sampling": {"count": 0}}, r"sampling\.count: must be a positive integer, not 0"),
    ({"workload": {"weight_format": "fp5"}}, r"workload\.weight_format: unknown format 'fp5'"),
])
def test_spec_errors_name_file_line_and_field(tmp_path, change, message):
    data = copy.deepcopy(VALID)
    for key, value in change.items():
        data[key] = value if not isinstance(value, dict) or key == "axes" else {**data[key], **value}
    _write(tmp_path / "s.yaml", data)
    with pytest.raises(ConfigError, match=message):
        load_spec(tmp_path / "s.yaml")


def test_python_dict_spec_without_file():
    spec = spec_from_dict({"schema_version": 1, "name": "x", "designs": [{"base": "mx_tensor_core",
                                                                          "axes": {"unit.rows": [4]}}]})
    assert spec.designs[0].axes == {"unit.rows": (4,)}


# --- a few hundred generated bad specs -----------------------------------------------------

_SCALARS = [("schema_version",), ("name",), ("base",), ("workload", "model"), ("workload", "phase"),
            ("workload", "batch"), ("workload", "context"), ("workload", "weight_format"),
            ("sampling", "method"), ("sampling", "count"), ("sampling", "seed"), ("qsnr", "rows"),
            ("qsnr", "cols")]
_NUMERIC = [("workload", "batch"), ("workload", "context"), ("sampling", "count"), ("sampling", "seed"),
            ("qsnr", "rows"), ("qsnr", "cols"), ("axes", "unit.rows"), ("axes", "dram.bandwidth_bytes_per_s")]
_RENAMEABLE = [(), ("workload",), ("axes",), ("sampling",), ("qsnr",)]
_OUT_OF_RANGE = [(("schema_version",), 2), (("workload", "phase"), "middle"),
                 (("workload", "model"), "gpt-9"),
                 (("sampling", "method"), "sobol"), (("objectives",), ["latency_s", "latency_s"]),
                 (("constraints",), ["power_w <= 3"]), (("axes", "unit.dataflow"), ["diagonal"]),
                 (("axes", "weight_format"), ["mxfp4", "fp5"]), (("axes", "phase"), []),
                 (("workload", "context"), 10**7), (("name",), "has space")]


def _set(data, path, value):
    node = data
    for key in path[:-1]:
        node = node[key]
    if path[-1] in ("unit.rows", "dram.bandwidth_bytes_per_s") and not isinstance(value, list):
        value = [value]
    node[path[-1]] = value


@st.composite
def bad_specs(draw):
    """(file text) of a spec that is invalid in one way: structure, type, range or syntax."""
    data = copy.deepcopy(VALID)
    kind = draw(st.sampled_from(["drop", "rename", "type", "negative", "range", "duplicate", "syntax"]))
    if kind == "drop":
        data.pop(draw(st.sampled_from(["schema_version", "name", "base"])))
    elif kind == "rename":
        parent = draw(st.sampled_from(_RENAMEABLE))
        node = data
        for key in parent:
            node = node[key]
        key = draw(st.sampled_from(sorted(node)))
        node[key + draw(st.sampled_from(["_x", "s", "Z"]))] = node.pop(key)
    elif kind == "type":
        path = draw(st.sampled_from(_SCALARS))
        text_field = path[-1] in ("name", "base", "model", "phase", "weight_format", "method")
        others = [7, 1.5] if text_field else ["abc", 2.5]
        wrong = draw(st.sampled_from([[1, 2], {"a": 1}, True, None, *others]))
        _set(data, path, wrong)
    elif kind == "negative":
        _set(data, draw(st.sampled_from(_NUMERIC)), -draw(st.integers(1, 10**6)))
    elif kind == "range":
        path, value = draw(st.sampled_from(_OUT_OF_RANGE))
        _set(data, path, value)
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    lines = text.splitlines()
    if kind == "duplicate":
        keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[\w.]+: \S", line)]
        i = draw(st.sampled_from(keyed))
        lines.insert(i + 1, lines[i])
    elif kind == "syntax":
        junk = draw(st.sampled_from(["bad: [unclosed", "\tx: 1", "- : :"]))
        lines.insert(draw(st.integers(0, len(lines))), junk)
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=bad_specs())
def test_generated_bad_specs_exit_2_with_one_line(tmp_path, text):
    path = tmp_path / "bad_spec.yaml"
    path.write_text(text)
    code, err = _run(["sweep", str(path), "--check"])
    assert code == 2, text
    assert err.count("\n") == 1 and "bad_spec.yaml" in err and "Traceback" not in err, (err, text)


def test_missing_spec_file_is_one_line(tmp_path):
    code, err = _run(["sweep", str(tmp_path / "absent.yaml"), "--check"])
    assert code == 2 and "absent.yaml: cannot read" in err and err.count("\n") == 1
