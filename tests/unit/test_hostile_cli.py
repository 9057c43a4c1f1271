"""Hostile input, case by case (issue 15): each ends in one line and exit 2 (or 130 for
Ctrl-C), with the exact message pinned, and no input file or store is damaged."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import arch
from experiments.cli import main

ROOT = Path(arch.__file__).resolve().parents[1]
SYSTOLIC = (ROOT / "arch" / "data" / "accelerators" / "systolic_32x32_ws.yaml").read_text()
TINY = """schema_version: 1
name: tiny
base: {base}
workload: {{model: opt-1.3b, context: 64}}
axes: {{unit.rows: [8, 16]}}
qsnr: {{rows: 8, cols: 128}}
"""


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)``: exit code, stdout, stderr; a non-zero exit must be exactly one line."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    if code != 0:
        assert err.count("\n") == 1, err
    return code, out, err


def error(capsys, argv: list[str], code: int = 2) -> str:
    got, _, err = run(capsys, argv)
    assert got == code, err
    return err.strip()


def line_of(key: str) -> int:
    """The line of the built-in systolic design where ``key`` starts (1-based)."""
    return next(i for i, line in enumerate(SYSTOLIC.splitlines(), 1) if line.startswith(key))


def design(tmp_path: Path, old: str, new: str, name: str = "d.yaml") -> Path:
    assert old in SYSTOLIC
    path = tmp_path / name
    path.write_text(SYSTOLIC.replace(old, new))
    return path


def tiny_spec(tmp_path: Path, base: str = "systolic_32x32_ws", extra: str = "") -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.format(base=base) + extra)
    return path


# --- files -----------------------------------------------------------------------------

def test_yaml_that_is_not_utf8(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"schema_version: 1\nname: \xff\xfe\n")
    assert error(capsys, ["sweep", path]) == (
        f"bitplane sweep: error: {path}:2: not UTF-8 text (byte 0xff at offset 24)")


def test_yaml_with_a_nul_byte_and_a_directory_as_spec(tmp_path, capsys):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"schema_version: 1\n\x00\n")
    assert error(capsys, ["sweep", path]).endswith(f"{path}:2: not a text file (contains a NUL byte)")
    assert error(capsys, ["sweep", tmp_path]).endswith(f"{tmp_path}: is a directory, not a YAML file")


def test_yaml_alias_bomb_is_refused(tmp_path, capsys):
    path = tmp_path / "bomb.yaml"
    path.write_text("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n")
    assert error(capsys, ["sweep", path]).endswith(
        f"{path}:2: YAML aliases (*a) are not supported; write the value out")


def test_yaml_bad_timestamp_is_one_line(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text("schema_version: 1\nname: 2024-13-45\n")
    assert error(capsys, ["sweep", path]) == (
        f"bitplane sweep: error: {path}: invalid YAML value: month must be in 1..12")


def test_clock_hz_inf(tmp_path, capsys):
    path = design(tmp_path, "clock_hz: 1.0e+9", "clock_hz: .inf")
    assert error(capsys, ["simulate", path, "opt-1.3b"]) == (
        f"bitplane simulate: error: {path}:{line_of('clock_hz:')}: clock_hz: "
        "must be a finite number, not inf")


def test_dram_bandwidth_inf(tmp_path, capsys):
    path = design(tmp_path, "bandwidth_bytes_per_s: 6.4e+10", "bandwidth_bytes_per_s: .inf")
    assert error(capsys, ["simulate", path, "opt-1.3b"]) == (
        f"bitplane simulate: error: {path}:{line_of('dram:')}: dram.bandwidth_bytes_per_s: "
        "must be a finite number, not inf")


def test_dram_bandwidth_beyond_the_declared_bound(tmp_path, capsys):
    path = design(tmp_path, "bandwidth_bytes_per_s: 6.4e+10", "bandwidth_bytes_per_s: 1.0e+300")
    assert error(capsys, ["simulate", path, "opt-1.3b"]).endswith(
        f"{path}:{line_of('dram:')}: dram.bandwidth_bytes_per_s: must be at most 1e+16, not 1e+300")


def test_sram_size_of_10_to_the_12(tmp_path, capsys):
    path = design(tmp_path, "size_bytes: 262144", "size_bytes: 1000000000000")
    assert error(capsys, ["simulate", path, "opt-1.3b"]).endswith(
        f"{path}:{line_of('output_buffer:')}: output_buffer.size_bytes: "
        "must be at most 68,719,476,736, not 1000000000000")


def test_array_rows_of_10_to_the_12(tmp_path, capsys):
    path = design(tmp_path, "rows: 32", "rows: 1000000000000")
    assert error(capsys, ["simulate", path, "opt-1.3b"]).endswith(
        f"{path}:{line_of('unit:')}: unit.rows: must be at most 65,536, not 1000000000000")


def test_model_with_10_to_the_12_layers(tmp_path, capsys):
    model = (ROOT / "arch" / "data" / "models" / "opt-1.3b.yaml").read_text()
    path = tmp_path / "m.yaml"
    path.write_text(re.sub(r"layers: \d+", "layers: 1000000000000", model))
    err = error(capsys, ["simulate", "systolic_32x32_ws", path])
    assert err.endswith("layers: must be at most 65,536, not 1000000000000") and str(path) in err


def test_price_as_naming_a_missing_entry(tmp_path, capsys):
    path = design(tmp_path, "output_buffer: {name: output_sram, size_bytes: 262144, price_as: sram_1mb}",
                  "output_buffer: {name: output_sram, size_bytes: 262144, price_as: sram_9mb}")
    assert error(capsys, ["simulate", path, "opt-1.3b"]) == (
        f"bitplane simulate: error: {path}: output_buffer.price_as: no entry 'sram_9mb.read_bit' in "
        "energy tables horowitz_45nm, mx_estimates_45nm, vector_estimates_45nm")


def test_energy_table_without_dram_fails_the_sweep_at_load(tmp_path, capsys):
    table = tmp_path / "nodram.yaml"
    table.write_text("name: nodram\nentries:\n"
                     "  pe.mac: {energy_pj: 1.0, source: test, node_nm: 45}\n"
                     "  sram_1mb.read_bit: {energy_pj: 1.0, source: test, node_nm: 45}\n"
                     "  sram_1mb.write_bit: {energy_pj: 1.0, source: test, node_nm: 45}\n")
    path = design(tmp_path, "energy_tables: [horowitz_45nm, mx_estimates_45nm, vector_estimates_45nm]",
                  f"energy_tables: ['{table}']")
    spec = tiny_spec(tmp_path, base=path.name)
    out = tmp_path / "out"
    assert error(capsys, ["sweep", spec, "--out", out]) == (
        f"bitplane sweep: error: {path}: dram.name: no entry 'dram.read_bit' in energy tables {table}")
    assert not out.exists()  # nothing evaluated, nothing stored


def test_price_as_given_by_a_sweep_axis(tmp_path, capsys):
    spec = tiny_spec(tmp_path, extra="")
    spec.write_text(spec.read_text().replace("axes: {unit.rows: [8, 16]}",
                                             "axes: {dram.price_as: [dram, hbm]}"))
    assert error(capsys, ["sweep", spec, "--check"]) == (
        f"bitplane sweep: error: {spec}:5: axes.dram.price_as: value 'hbm': dram.price_as: no entry "
        "'hbm.read_bit' in energy tables horowitz_45nm, mx_estimates_45nm, vector_estimates_45nm")


def test_simulate_csv_to_a_directory(tmp_path, capsys):
    assert error(capsys, ["simulate", "systolic_32x32_ws", "opt-1.3b", "--csv", tmp_path]) == (
        f"bitplane simulate: error: argument --csv: {tmp_path} is a folder; give the name of a file "
        "(see bitplane simulate --help)")


def test_simulate_csv_to_an_unwritable_path(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where a folder should be: unwritable even for root
    target = blocker / "ops.csv"
    assert error(capsys, ["simulate", "systolic_32x32_ws", "opt-1.3b", "--csv", target]) == (
        f"bitplane simulate: error: cannot write {target}: {blocker} is not a folder")
    assert blocker.read_text() == "x"


def test_csv_to_dev_null_does_not_replace_the_device(capsys):
    code, out, _ = run(capsys, ["formats", "--csv", "/dev/null"])
    assert code == 0 and Path("/dev/null").is_char_device()


# --- options ---------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "message"), [
    (["search", "s.yaml", "--population", "1"],
     "bitplane search: error: argument --population: must be from 2 to 10,000, not 1"),
    (["sweep", "--dask", "bogus"],
     "bitplane sweep: error: argument --dask: must be local:N (N from 1 to 256) or tcp://host:port, "
     "not 'bogus'"),
    (["sweep", "--dask", "local:0"],
     "bitplane sweep: error: argument --dask: must be local:N (N from 1 to 256) or tcp://host:port, "
     "not 'local:0'"),
    (["qsnr", "--shape", "100000x100000"],
     "bitplane qsnr: error: argument --shape: shape 100000x100000 has 10,000,000,000 elements; "
     "at most 16,777,216 (64 MiB of float32)"),
    (["rtl-check", "--seed", "-5"],
     "bitplane rtl-check: error: argument --seed: must be from 0 to 4,294,967,295, not -5"),
    (["rtl-check", "--vectors", "0"],
     "bitplane rtl-check: error: argument --vectors: must be from 1 to 100,000,000, not 0"),
    (["sweep", "--jobs", "100000"],
     "bitplane sweep: error: argument --jobs: must be from 1 to 256, not 100000"),
    (["search", "s.yaml", "--trials", "0"],
     "bitplane search: error: argument --trials: must be from 1 to 100,000, not 0"),
    (["simulate", "bitmod_fp16", "opt-1.3b", "--batch", str(10**12)],
     "bitplane simulate: error: argument --batch: must be from 1 to 65,536, not 1000000000000"),
    (["sweep", "--out", ""], "bitplane sweep: error: argument --out: must name a path, not ''"),
    (["report", ""], "bitplane report: error: argument dir: must name a path, not ''"),
    (["reproduce", "bitmod", "--out", " "],
     "bitplane reproduce: error: argument --out: must name a path, not ' '"),
    (["nosuch"], "bitplane: error: argument command: invalid choice: 'nosuch'"),
])
def test_bad_options(capsys, argv, message):
    err = error(capsys, argv)
    assert err.startswith(message), err
    assert err.endswith("--help)")


def test_limits_are_stated_in_help(capsys):
    code, out, _ = run(capsys, ["sweep", "--help"])
    text = " ".join(out.split())
    assert code == 0
    assert "local worker processes (1 to 256;" in text


def test_version(capsys):
    code, out, _ = run(capsys, ["--version"])
    assert code == 0 and re.fullmatch(r"bitplane \S+\n", out)


def test_formats_lists_element_formats_and_block_schemes(capsys):
    code, out, _ = run(capsys, ["formats"])
    assert code == 0 and "block schemes" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["mxfp4"][1:3] == ["mx", "fp4_e2m1fn"] and rows["mxfp4"][-1] == "4.250000"
    assert rows["bitmod3"][1] == "bitmod" and rows["bitmod3"][-1] == "3.140625"
    assert rows["nvfp4"][-2:] == ["16", "4.500000"]


def test_designs_show_family_and_formats(capsys):
    code, out, _ = run(capsys, ["designs"])
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert code == 0 and "mx_tensor_core" in rows["mx_tensor_core"].split()[1]
    assert "mxfp4, mxfp6_e2m3" in rows["mx_tensor_core"] and "nvint4" in rows["mx_tensor_core"]
    assert rows["systolic_32x32_ws"].split()[1:5] == ["systolic", "systolic", "32x32", "ws"]
    assert "weight types fp3, fp3_er" in rows["bitmod_bitmod"]


def test_simulate_total_is_in_picojoules_like_the_table(capsys):
    code, out, _ = run(capsys, ["simulate", "systolic_32x32_ws", "opt-1.3b"])
    assert code == 0 and re.search(r"total: [\d,]+ cycles = [\d.]+ ms, [\d.e+]+ pJ,", out)
    assert "uJ" not in out


# --- numerics --------------------------------------------------------------------------

def test_signalling_nan_float32_quantizes_without_a_warning():
    import numerics
    x = np.ones((1, 32), np.float32)
    x.view(np.uint32)[0, 3] = 0x7FA00000  # a signalling NaN
    ref = numerics.quantize(x, "mxfp4", kernel="numpy")
    fast = numerics.quantize(x, "mxfp4", kernel="numba")
    assert ref.scales.tolist() == [[0xFF]] == fast.scales.tolist()
    assert np.array_equal(ref.codes, fast.codes)


@pytest.mark.parametrize(("content", "message"), [
    (b"arrival_s,prompt_tokens,output_tokens\n0.0,10,5\n0.5,ten,5\n",
     ":3: trace rows need arrival_s, prompt_tokens and output_tokens: invalid literal for int() with "
     "base 10: 'ten'"),
    (b"arrival,prompt_tokens,output_tokens\n0.0,10,5\n",
     ":2: trace rows need arrival_s, prompt_tokens and output_tokens: 'arrival_s'"),
    (b"arrival_s,prompt_tokens,output_tokens\ninf,10,5\n",
     ":2: trace rows need arrival_s, prompt_tokens and output_tokens: arrival_s must be >= 0 and token "
     "counts positive, not (inf, 10, 5)"),
    (b"arrival_s,prompt_tokens\n\xff\n", ":2: not UTF-8 text (byte 0xff at offset 24)"),
])
def test_trace_files_go_through_the_one_loader(tmp_path, content, message):
    from arch import ConfigError
    from sim import load_trace
    path = tmp_path / "trace.csv"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_trace(path)
    assert str(info.value) == f"{path}{message}"


def test_qsnr_tensor_of_a_spec_is_bounded(tmp_path, capsys):
    spec = tiny_spec(tmp_path)
    spec.write_text(spec.read_text().replace("qsnr: {rows: 8, cols: 128}", "qsnr: {rows: 65536, cols: 1024}"))
    assert error(capsys, ["sweep", spec, "--check"]) == (
        f"bitplane sweep: error: {spec}:6: qsnr.cols: rows x cols must be at most 16,777,216 elements, "
        "not 67,108,864")


def test_reproduce_and_synth_say_what_they_start(tmp_path, capsys, monkeypatch):
    import experiments.papers.bitmod
    import rtl_models.synth

    def fake(out_dir):
        said = capsys.readouterr().out
        assert said == f"reproducing bitmod into {out_dir} (this can take a minute or two) ...\n"
        return []

    monkeypatch.setattr(experiments.papers.bitmod, "reproduce", fake)
    assert run(capsys, ["reproduce", "bitmod", "--out", tmp_path])[0] == 0

    def fake_synth(out, points, force, progress):
        assert capsys.readouterr().out.startswith(
            f"synthesizing {len(points)} design points with Yosys (the first run compiles Yosys")
        Path(out).write_text("{}")

    monkeypatch.setattr(rtl_models.synth, "run", fake_synth)
    assert run(capsys, ["synth", "--out", tmp_path / "s.json"])[0] == 0
