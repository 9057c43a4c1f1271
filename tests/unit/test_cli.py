"""The bitplane command line: output, files, and one-line errors with exit code 2."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.cli import main


def test_formats_table_lists_every_format(capsys, tmp_path):
    assert main(["formats", "--csv", str(tmp_path / "f.csv")]) == 0
    out = capsys.readouterr().out
    assert "fp8_e4m3fn" in out and "4.480000e+02" in out and "NaN = all ones, no inf" in out
    table = pd.read_csv(tmp_path / "f.csv")
    assert len(table) == 24 and table.set_index("format").loc["fp4_e2m1fn", "max"] == 6.0


def test_qsnr_writes_csv_with_every_scheme_and_distribution(capsys, tmp_path):
    out = tmp_path / "q.csv"
    assert main(["qsnr", "--shape", "8x256", "--schemes", "mxint8", "mxfp8_e4m3",
                 "--distributions", "gaussian", "outliers+hadamard", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert len(table) == 4 and set(table.scheme) == {"mxint8", "mxfp8_e4m3"}
    gauss = table[table.distribution == "gaussian"].set_index("scheme").qsnr_db
    assert gauss["mxint8"] > gauss["mxfp8_e4m3"] + 5  # the paper's 8-bit finding
    assert "mxint8" in capsys.readouterr().out


def test_bad_scheme_is_one_line_and_exit_2(capsys):
    assert main(["qsnr", "--schemes", "mxfp5", "--shape", "4x64", "--out", "/dev/null"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown scheme 'mxfp5'" in err


def test_simulate_prints_ops_and_writes_csv(capsys, tmp_path):
    out = tmp_path / "ops.csv"
    assert main(["simulate", "bitmod_fp16", "llama-2-7b", "--scope", "gemm", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "total: 417,344,208 cycles" in text and "mlp.down" in text
    assert len(pd.read_csv(out)) == 10


@pytest.mark.parametrize(("design", "family", "weights"), [
    ("systolic_32x32_ws", "systolic", "fp16"), ("mx_tensor_core", "mx_tensor_core", "mxfp4"),
    ("bitmod_ant", "bitserial", "int4_group"), ("duplex", "logic_pim", "fp16"),
    ("lutllm_v80", "fpga_lut", "fp16"),
])
def test_simulate_runs_a_design_of_every_family(capsys, design, family, weights):
    kv = "mxfp8_e4m3" if family == "mx_tensor_core" else "fp16"
    assert main(["simulate", design, "opt-1.3b", "--weight-format", weights, "--kv-format", kv]) == 0
    out = capsys.readouterr().out
    attention = "attn.qkv+attention" if family == "fpga_lut" else "attn.score"  # LUT-LLM pipelines the two
    assert f"{design} ({family})" in out and "lm_head" in out and attention in out


def test_simulate_whole_layer_lists_softmax_and_norms(capsys, tmp_path):
    out = tmp_path / "ops.csv"
    assert main(["simulate", "bitmod_fp16", "llama-2-7b", "--phase", "decode", "--csv", str(out)]) == 0
    ops = pd.read_csv(out).op
    assert ops.str.contains("softmax").any() and ops.str.contains("norm").sum() == 3
    assert {"attn.rotary", "mlp.act", "attn.residual"} <= set(ops)


@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "nope", "llama-2-7b"], "unknown design 'nope'"),
    (["simulate", "bitmod_fp16", "gpt-5"], "unknown model"),
    (["simulate", "bitmod_ant", "llama-2-7b", "--weight-format", "bitmod3"], "runs weight types int;"),
    (["simulate", "duplex", "llama-2-7b", "--weight-format", "mxfp4"], "not 'mxfp4'"),
    (["simulate", "lutllm_v80", "llama-2-7b", "--fidelity", "event"], "event fidelity covers accelerator"),
    (["simulate", "mx_tensor_core", "llama-2-7b", "--kv-format", "int4_group"],
     "has no rate for 'int4_group'"),
    (["simulate", "b200", "llama-2-7b", "--weight-format", "mxfp4"], "no MMA kind for A fp16 x B mxfp4"),
    (["simulate", "bitmod_fp16", "llama-2-7b", "--weight-format", "fp5"], "fp5"),
])
def test_simulate_mistakes_are_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_designs_lists_builtins(capsys):
    assert main(["designs"]) == 0
    assert "bitmod_bitmod" in capsys.readouterr().out


def test_readme_python_example_runs_a_design_of_every_family(capsys):
    import re
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed] == ["systolic_32x32_ws", "bitmod_fp16", "duplex", "h100",
                                                     "lutllm_v80"]
