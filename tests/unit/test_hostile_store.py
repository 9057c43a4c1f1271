"""Stores and reports under hostile conditions (issue 15): locks, corrupt files, Ctrl-C,
constraints in every table, file modes, byte-identical outputs, duplicate search points."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import experiments.sweep as sweep_module
from experiments.cli import main
from experiments.report import build_report
from experiments.search import run_search
from experiments.spec import spec_from_dict
from experiments.store import ResultStore
from experiments.sweep import run_sweep

from .test_hostile_cli import error, run

SPEC = """schema_version: 1
name: tiny
base: systolic_32x32_ws
workload: {{model: opt-1.3b, context: 64}}
axes: {{unit.rows: [{rows}]}}
qsnr: {{rows: 8, cols: 128}}
"""


def spec_file(tmp_path: Path, rows: str = "8, 32", extra: str = "", name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(SPEC.format(rows=rows) + extra)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_runs_on_one_out_folder(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    holder = ResultStore(out / "results.sqlite")  # another run, holding the store
    try:
        assert error(capsys, ["sweep", spec_file(tmp_path), "--out", out, "--no-report"]) == (
            f"bitplane sweep: error: {out / 'results.sqlite'} is in use by another bitplane run "
            f"(pid {os.getpid()}); wait for it to finish or choose another --out")
        assert len(holder) == 0
    finally:
        holder.close()
    code, out_text, _ = run(capsys, ["sweep", spec_file(tmp_path), "--out", out, "--no-report"])
    assert code == 0 and "2 evaluated now" in out_text  # the lock is gone with its holder


@pytest.mark.parametrize("content", [b"garbage, not a database\n" * 100,
                                     b"SQLite format 3\x00" + b"\x01" * 500])
def test_corrupt_store_is_reported_and_left_alone(tmp_path, capsys, content):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.sqlite").write_bytes(content)
    err = error(capsys, ["sweep", spec_file(tmp_path), "--out", out, "--no-report"])
    assert err.startswith(f"bitplane sweep: error: {out / 'results.sqlite'} is not a readable bitplane "
                          "result store (")
    assert err.endswith("); move it away (its points will be evaluated again) or choose another --out")
    assert (out / "results.sqlite").read_bytes() == content


def test_foreign_sqlite_database_is_not_taken_for_a_store(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    with sqlite3.connect(out / "results.sqlite") as con:
        con.execute("CREATE TABLE points (name TEXT)")
        con.execute("INSERT INTO points VALUES ('mine')")
    con.close()
    before = (out / "results.sqlite").read_bytes()
    assert error(capsys, ["sweep", spec_file(tmp_path), "--out", out]) == (
        f"bitplane sweep: error: {out / 'results.sqlite'} is not a readable bitplane result store "
        "(table points has columns ['name'], not ['point_id', 'seq', 'status', 'error', 'row']); "
        "move it away (its points will be evaluated again) or choose another --out")
    assert (out / "results.sqlite").read_bytes() == before


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished two-point sweep folder (with report) and its spec file."""
    tmp = tmp_path_factory.mktemp("finished")
    spec = spec_file(tmp)
    assert main(["sweep", str(spec), "--out", str(tmp / "out"), "--jobs", "1", "--quiet"]) == 0
    return tmp / "out", spec


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("results.parquet", b"PAR1 truncated", "Could not open Parquet input source"),
    ("metadata.json", b"{not json", "Expecting property name enclosed in double quotes"),
    ("metadata.json", b"[1, 2]", "not a JSON object"),
])
def test_corrupt_sweep_output_names_the_file_and_the_fix(tmp_path, capsys, finished, name, content, problem):
    out = tmp_path / "copy"
    out.mkdir()
    for item in ("results.parquet", "ops.parquet", "metadata.json"):
        (out / item).write_bytes((finished[0] / item).read_bytes())
    (out / name).write_bytes(content)
    err = error(capsys, ["report", out])
    assert err.startswith(f"bitplane report: error: {out / name}: not a readable sweep output (")
    assert problem in err
    assert err.endswith("); rebuild it from the store with the same bitplane sweep or search command")


def test_ctrl_c_during_a_sweep_says_what_is_stored_and_resumes(tmp_path, capsys, monkeypatch):
    spec, out = spec_file(tmp_path, rows="8, 16, 24, 32"), tmp_path / "out"
    real, calls = sweep_module.evaluate_block, []

    def interrupted(block, qsnr, op_rows=True):
        calls.append(len(block))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(block, qsnr, op_rows)

    monkeypatch.setattr(sweep_module, "block_size", lambda points, workers: 1)  # a block per point
    monkeypatch.setattr(sweep_module, "evaluate_block", interrupted)
    assert error(capsys, ["sweep", spec, "--out", out, "--jobs", "1", "--no-report"], code=130) == (
        f"bitplane sweep: interrupted: 1 points are stored in {out / 'results.sqlite'} (4 were to run); "
        "run the same command again to resume")
    monkeypatch.setattr(sweep_module, "evaluate_block", real)
    code, text, _ = run(capsys, ["sweep", spec, "--out", out, "--jobs", "1", "--no-report"])
    assert code == 0 and "sweep: 4 points (3 evaluated now, 0 failed" in text


def test_result_files_have_the_mode_of_plots(finished):
    out, _ = finished
    expected = 0o666 & ~_umask()
    for name in ("results.parquet", "results.csv", "ops.parquet", "pareto.csv", "metadata.json",
                 "report.html", "summary.md", "plots/pareto.svg", "plots/pareto.png"):
        assert (out / name).stat().st_mode & 0o777 == expected, name


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_report_is_byte_identical_when_rebuilt(tmp_path, finished):
    out = tmp_path / "again"
    out.mkdir()
    for item in ("results.parquet", "ops.parquet", "metadata.json"):
        (out / item).write_bytes((finished[0] / item).read_bytes())
    build_report(out)
    first = snapshot(out)
    build_report(out)
    assert snapshot(out) == first
    svg = (out / "plots" / "pareto.svg").read_text()
    assert "<dc:date>" not in svg and "energy (pJ)" in svg and "latency (s)" in svg


def test_lowest_edp_table_lists_feasible_points_only(tmp_path):
    frame = pd.read_parquet(_sweep(tmp_path, "free", "").out_dir / "results.parquet")
    edp = frame.set_index("unit_rows")["edp_j_s"]
    best, worst = edp.idxmin(), edp.idxmax()
    bound = float(edp.min() + edp.max()) / 2  # excludes the lowest-EDP point
    outcome = _sweep(tmp_path, "bound", f"constraints: ['edp_j_s >= {bound!r}']\n")
    summary = (outcome.out_dir / "summary.md").read_text()
    assert "- feasible: 1 of 2 stored points (2 evaluated ok; constraints: edp_j_s >=" in summary
    table = summary.split("## Lowest energy-delay product per base design and phase (feasible points)")[1]
    rows = [line for line in table.split("##")[0].splitlines() if line.startswith("| systolic")]
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]  # design, family, format, unit_rows, ...
    assert len(rows) == 1 and float(cells[3]) == worst != best


def test_no_feasible_point_is_said_plainly(tmp_path):
    outcome = _sweep(tmp_path, "none", "constraints: ['latency_s <= 1e-12']\n")
    summary = (outcome.out_dir / "summary.md").read_text()
    assert ("- feasible: NONE of 2 stored points is feasible (2 evaluated ok; constraints: "
            "latency_s <= 1e-12): no table or plot below has a point") in summary
    assert "## Lowest energy-delay product" not in summary and "## Pareto set" not in summary
    assert not (outcome.out_dir / "plots").exists()
    assert "NONE of 2 stored points is feasible" in (outcome.out_dir / "report.html").read_text()


def _sweep(tmp_path: Path, name: str, extra: str):
    from arch import load_yaml
    from experiments.report import build_report as report
    path = spec_file(tmp_path, extra=extra, name=f"{name}.yaml")
    spec = spec_from_dict(load_yaml(path), source=str(path), spec_dir=tmp_path)
    outcome = run_sweep(spec, tmp_path / name, jobs=1, quiet=True)
    report(outcome.out_dir)
    return outcome


def test_search_evaluates_a_duplicate_point_once(tmp_path, monkeypatch):
    from arch import load_yaml
    real, evaluated = sweep_module.evaluate_block, []

    def counting(block, qsnr, op_rows=True):
        evaluated.extend(block.point_ids)
        return real(block, qsnr, op_rows)

    monkeypatch.setattr(sweep_module, "evaluate_block", counting)
    path = spec_file(tmp_path)  # two points, so a generation of 6 proposes duplicates
    spec = spec_from_dict(load_yaml(path), source=str(path), spec_dir=tmp_path)
    outcome = run_search(spec, tmp_path / "search", 12, population=6, jobs=1, quiet=True)
    assert len(evaluated) == len(set(evaluated)) == outcome.evaluated <= 2
    assert outcome.points == len(set(evaluated))


def test_rtl_check_prints_progress_before_each_unit(capsys, monkeypatch):
    import rtl_models

    def fake(unit, sim, vectors, seed):
        assert capsys.readouterr().out.endswith(f"{unit:<12} {sim:<9} building and simulating ...\n")
        raise rtl_models.RtlError("not built in this test")

    monkeypatch.setattr(rtl_models, "check", fake)
    assert error(capsys, ["rtl-check", "--unit", "lmul", "--sim", "icarus"]) == (
        "bitplane rtl-check: error: 1 of 1 unit runs failed to build or run (see above)")


def test_metadata_with_a_wrong_type_is_reported(tmp_path, capsys, finished):
    out = tmp_path / "copy"
    out.mkdir()
    for item in ("results.parquet", "ops.parquet"):
        (out / item).write_bytes((finished[0] / item).read_bytes())
    (out / "metadata.json").write_text('{"constraints": 5}')
    assert error(capsys, ["report", out]) == (
        f"bitplane report: error: {out / 'metadata.json'}: not a readable sweep output (constraints is not a "
        "list of strings); rebuild it from the store with the same bitplane sweep or search command")
