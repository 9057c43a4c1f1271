"""The synthesis results file: complete, current with the HDL and readable; the CLI's
errors; regeneration is a slow test."""

from __future__ import annotations

import json

import pytest

from experiments.cli import main
from rtl_models import synth


def test_results_file_covers_every_design_point():
    data = synth.load()
    assert data["format_version"] == synth.FORMAT_VERSION
    assert data["yosys"].startswith("Yosys 0.70")
    assert data["scripts"] == {"generic": synth.GENERIC_SCRIPT, "xilinx": synth.XILINX_SCRIPT}
    rows = {r["name"]: r for r in data["rows"]}
    assert set(rows) == {p.name for p in synth.DESIGN_POINTS}
    for point in synth.DESIGN_POINTS:
        row = rows[point.name]
        assert row["generic_cells"] > 0
        assert row["xilinx_lut"] > 0 and row["xilinx_ff"] is not None
        assert row["source_sha256"] == synth.source_hash(point), \
            f"{point.name}: its HDL changed since synthesis; run bitplane synth --point {point.name}"


def test_the_parameter_points_asked_for_differ_in_area():
    rows = {r["name"]: r for r in synth.load()["rows"]}
    one, two = rows["pe_bitserial_1bpc"], rows["pe_bitserial_2bpc"]
    assert one["generic_cells"] < two["generic_cells"]  # half the shift-add width
    int8, fp8 = rows["dot_mxint8_exact"], rows["dot_mxfp8_e4m3_exact"]
    assert int8["xilinx_dsp"] > fp8["xilinx_dsp"]  # int8 x int8 products map to DSP48s
    assert rows["lut_unit_4x64x16"]["xilinx_lutram"] > 0  # the tables become LUT-RAM


def test_cli_rejects_an_unknown_design_point(capsys):
    assert main(["synth", "--point", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown design point 'nope'; known: mul_fp8_e4m3" in err and err.count("\n") == 1


def test_a_run_keeps_current_rows_without_yosys(tmp_path, monkeypatch):
    """Rows whose sources are unchanged are kept (and a stale one would be redone)."""
    out = tmp_path / "results.json"
    out.write_text(json.dumps(synth.load()))
    monkeypatch.setattr(synth, "synthesize", lambda point: pytest.fail(f"re-synthesized {point.name}"))
    seen = []
    rows = synth.run(out, synth.DESIGN_POINTS[:3], progress=lambda row, kept: seen.append(kept))
    assert seen == [True, True, True] and [r["name"] for r in rows] == [
        p.name for p in synth.DESIGN_POINTS[:3]]


@pytest.mark.slow
def test_synthesis_regenerates_a_row(tmp_path):
    point = synth.DESIGN_POINTS[0]
    [row] = synth.run(tmp_path / "results.json", points=(point,))
    assert row == {r["name"]: r for r in synth.load()["rows"]}[point.name]
