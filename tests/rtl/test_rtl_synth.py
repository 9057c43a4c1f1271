"""The synthesis results file: complete and readable; regeneration is a slow test."""

from __future__ import annotations

import pytest

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
        assert (row["xilinx_lut"] is not None) == point.xilinx


@pytest.mark.slow
def test_synthesis_regenerates_a_row(tmp_path):
    point = synth.DESIGN_POINTS[0]
    [row] = synth.run(tmp_path / "results.json", points=(point,))
    assert row == {r["name"]: r for r in synth.load()["rows"]}[point.name]
