"""Fuzzing every command in-process (issue 15): hypothesis-generated argument lists, spec and
design YAML (valid structure with hostile values, and garbage) and corrupt output files.

The property, for every case: ``main(argv)`` exits 0 with valid outputs (every file it says
it wrote can be read back), or exits 2 with exactly one line on stderr; never a traceback,
and files already in the output folder are never damaged (a sentinel file is unchanged and
every point of an earlier store is still there, row for row).

The default run has a few thousand cases (about a minute or two on 2 cores); ``-m slow``
runs five times as many. The commands that drive simulators, Yosys or paper reproductions run
against cheap fakes here (their own tests run them for real), and the built-in default sweep
is replaced by a two-point spec, so that no generated argument list can start a long job.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import string
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arch
import experiments.cmd_sweep
import experiments.report
import experiments.tables
import rtl_models
import rtl_models.synth
from experiments.cli import main
from experiments.cmd_reproduce import PAPERS

ROOT = Path(arch.__file__).resolve().parents[1]
SYSTOLIC = yaml.safe_load((ROOT / "arch" / "data" / "accelerators" / "systolic_32x32_ws.yaml").read_text())
TINY = {
    "schema_version": 1,
    "name": "tiny",
    "base": "systolic_32x32_ws",
    "workload": {"model": "opt-1.3b", "context": 64},
    "axes": {"unit.rows": [8, 16]},
    "qsnr": {"rows": 8, "cols": 128},
}
SENTINEL = b"an earlier file in the output folder\n"
SLOW = 5  # how many times more cases the -m slow variants run

# --- values -------------------------------------------------------------------------------

# Relative paths only (no "/"): whatever a case writes stays inside its own folder.
_PATH_CHARS = string.ascii_letters + string.digits + "._- \x00\u00e9\u4e2d"
PATHS = st.text(alphabet=_PATH_CHARS, max_size=10)
INT_TEXT = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "-5",
            "1",
            "2",
            "3",
            "255",
            "256",
            "257",
            "65536",
            "65537",
            "100000",
            str(2**32 - 1),
            str(2**32),
            str(10**12),
            "1e3",
            "1.5",
            "nan",
            "inf",
            "-inf",
            "",
            " ",
            "0x10",
            "\u0663",
            "1_000",
            "+7",
            "--",
        ]
    ),
    st.integers(-(10**20), 10**20).map(str),
)
HOSTILE_NUMBERS = st.one_of(
    st.sampled_from(
        [
            0,
            -1,
            1,
            2,
            3,
            7,
            8,
            16,
            128,
            1023,
            2**16,
            2**16 + 1,
            2**31,
            2**50,
            10**12,
            10**30,
            0.0,
            -0.0,
            0.5,
            1e-300,
            1e300,
            float("inf"),
            float("-inf"),
            float("nan"),
        ]
    ),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALARS = st.one_of(HOSTILE_NUMBERS, st.booleans(), st.none(), st.text(max_size=12))
HOSTILE = st.one_of(
    SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), SCALARS, max_size=2)
)


def maybe(good, bad=HOSTILE):
    """Mostly the valid value, sometimes a hostile one (so deeper checks are reached)."""
    return st.one_of(st.just(good), st.just(good), bad)


# --- the property -------------------------------------------------------------------------


def _points(store: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as con:
        rows = set(con.execute("SELECT point_id, row FROM points"))
    con.close()
    return rows


def _check_written(text: str) -> None:
    for line in text.splitlines():
        if not line.startswith("wrote "):
            continue
        path = Path(line[6:])
        assert path.exists(), line
        if path.suffix == ".csv" and path.is_file():
            pd.read_csv(path)
        elif path.suffix == ".parquet":
            pd.read_parquet(path)
        elif path.is_file():
            assert path.stat().st_size > 0, line


class Harness:
    """Runs cases in fresh folders under ``root``; each starts with an earlier store and a sentinel."""

    def __init__(self, root: Path, capsys, earlier: Path):
        self.root, self.capsys, self.earlier, self.count = root, capsys, earlier, 0

    def case(self) -> Path:
        self.count += 1
        folder = self.root / f"case{self.count}"
        shutil.copytree(self.earlier, folder / "prev")
        (folder / "prev" / "keep.txt").write_bytes(SENTINEL)
        return folder

    def check(self, folder: Path, argv: list[str], keep: bool = False) -> int:
        """Run ``argv`` in ``folder`` and check the property; the folder goes unless ``keep``."""
        before = _points(folder / "prev" / "results.sqlite")
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            code = main(argv)
            out, err = self.capsys.readouterr()
            assert code in (0, 2), (argv, code, err)
            assert "Traceback" not in out + err, argv
            if code == 2:
                assert err.count("\n") == 1 and err.startswith("bitplane"), (argv, err)
            if code == 0:
                _check_written(out)
        finally:
            os.chdir(cwd)
        if not any("keep.txt" in a for a in argv):
            assert (folder / "prev" / "keep.txt").read_bytes() == SENTINEL, argv
        assert before <= _points(folder / "prev" / "results.sqlite"), argv
        if not keep:
            shutil.rmtree(folder)
        return code


def _fake_reproduce(out_dir: Path) -> list[Path]:
    path = Path(out_dir) / "summary.md"
    path.write_text("fake reproduction\n")
    return [path]


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """A folder holding the store of an earlier run of another spec."""
    root = tmp_path_factory.mktemp("earlier")
    spec = root / "earlier.yaml"
    spec.write_text(yaml.safe_dump({**TINY, "name": "earlier", "axes": {"unit.cols": [8, 16]}}))
    assert (
        main(["sweep", str(spec), "--out", str(root / "prev"), "--jobs", "1", "--quiet", "--no-report"]) == 0
    )
    return root / "prev"


@pytest.fixture
def harness(tmp_path, capsys, earlier, monkeypatch):
    tiny = tmp_path / "default.yaml"
    tiny.write_text(yaml.safe_dump(TINY))
    monkeypatch.setattr(experiments.cmd_sweep, "default_spec_path", lambda: tiny)
    monkeypatch.setattr(experiments.tables, "DEFAULT_QSNR_SCHEMES", ("mxfp4", "int4_group"))
    monkeypatch.setattr(experiments.tables, "DEFAULT_DISTRIBUTIONS", ("gaussian",))
    monkeypatch.setattr(
        rtl_models,
        "check",
        lambda unit, sim, vectors, seed: SimpleNamespace(
            ok=True, vectors=vectors, mismatches=0, seconds=0.0, first_mismatch=None
        ),
    )
    monkeypatch.setattr(rtl_models.synth, "DEFAULT_RESULTS", Path("synth-results.json"))  # relative: per case
    monkeypatch.setattr(
        rtl_models.synth, "run", lambda out, points, force, progress: Path(out).write_text("{}\n")
    )
    for module in PAPERS.values():
        monkeypatch.setattr(__import__(module, fromlist=["reproduce"]), "reproduce", _fake_reproduce)
    capsys.readouterr()
    return Harness(tmp_path, capsys, earlier)


def fuzz(strategy, examples: int, slow: bool = False):
    """Run ``body(harness, case)`` for ``examples`` generated cases (fixed ones in CI, fresh with slow)."""

    def run(body, harness):
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=not slow,
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def inner(case):
            body(harness, case)

        inner()

    return run


# --- 1. argument lists --------------------------------------------------------------------

COMMANDS = [
    "formats",
    "qsnr",
    "simulate",
    "designs",
    "reproduce",
    "sweep",
    "search",
    "report",
    "rtl-check",
    "synth",
]
FLAGS = [
    "--out",
    "--csv",
    "--jobs",
    "--dask",
    "--trials",
    "--population",
    "--shape",
    "--seed",
    "--schemes",
    "--distributions",
    "--phase",
    "--batch",
    "--context",
    "--weight-format",
    "--fidelity",
    "--vectors",
    "--unit",
    "--sim",
    "--point",
    "--force",
    "--check",
    "--quiet",
    "--no-report",
    "--list",
    "--all",
    "--help",
    "--version",
    "-h",
    "--",
    "-",
]
NAMES = [
    "systolic_32x32_ws",
    "bitmod_fp16",
    "mx_tensor_core",
    "opt-1.3b",
    "llama-2-7b",
    "prev",
    "prev/keep.txt",
    "default.yaml",
    "bitmod",
    "duplex",
    "mxfp4",
    "nvfp4",
    "bitmod3",
    "decode",
    "prefill",
    "event",
    "icarus",
    "lmul",
    "local:0",
    "local:x",
    "tcp://",
    "tcp://127.0.0.1:0",
    "8x128",
]
TOKENS = st.one_of(st.sampled_from(FLAGS), st.sampled_from(NAMES), PATHS, INT_TEXT)
ARGV = st.tuples(st.sampled_from(COMMANDS), st.lists(TOKENS, max_size=6)).map(lambda t: [t[0], *t[1]])
GARBAGE_ARGV = st.lists(st.one_of(TOKENS, st.sampled_from(COMMANDS)), max_size=5)


def _argv_case(harness, argv):
    if argv[:1] == ["qsnr"] and "--shape" not in argv:
        argv = [*argv, "--shape", "4x64"]  # keep the default 256x1024 tensor out of a thousand runs
    harness.check(harness.case(), argv)


def test_fuzz_argument_lists(harness):
    fuzz(ARGV, 800)(_argv_case, harness)
    fuzz(GARBAGE_ARGV, 200)(_argv_case, harness)


@pytest.mark.slow
def test_fuzz_argument_lists_long(harness):
    fuzz(ARGV, 1000 * SLOW, slow=True)(_argv_case, harness)
    fuzz(GARBAGE_ARGV, 200 * SLOW, slow=True)(_argv_case, harness)
    print(f"{__name__}: {harness.count} cases")


# --- 2. bounded options, per command ------------------------------------------------------


def _option(flag, good):
    return st.one_of(st.just([]), st.tuples(st.just(flag), st.one_of(st.just(good), INT_TEXT)).map(list))


OPTIONS = {
    "qsnr": [
        _option("--shape", "4x64"),
        _option("--seed", "3"),
        st.just(["--schemes", "mxfp4"]),
        _option("--out", "q.csv"),
    ],
    "simulate": [
        st.just(["systolic_32x32_ws", "opt-1.3b"]),
        _option("--batch", "4"),
        _option("--context", "128"),
        _option("--phase", "prefill"),
        _option("--csv", "ops.csv"),
        _option("--weight-format", "fp8_e4m3fn"),
    ],
    "sweep": [
        st.just(["default.yaml", "--quiet", "--no-report"]),
        _option("--jobs", "1"),
        _option("--out", "new"),
        _option("--dask", "local:0"),
        st.sampled_from([[], ["--check"]]),
    ],
    "search": [
        st.just(["default.yaml", "--quiet", "--no-report", "--jobs", "1"]),
        _option("--trials", "4"),
        _option("--population", "2"),
        _option("--out", "new"),
    ],
    "rtl-check": [
        _option("--vectors", "10"),
        _option("--seed", "0"),
        _option("--unit", "lmul"),
        _option("--sim", "icarus"),
    ],
    "reproduce": [st.sampled_from([["bitmod"], ["duplex"], ["nope"]]), _option("--out", "repro")],
    "synth": [_option("--out", "synth.json"), _option("--point", "nope")],
    "formats": [_option("--csv", "f.csv")],
    "report": [st.sampled_from([[], ["prev"], ["new"], ["prev/keep.txt"]])],
}
OPTION_ARGV = st.sampled_from(sorted(OPTIONS)).flatmap(
    lambda cmd: st.tuples(*OPTIONS[cmd]).map(lambda parts: [cmd, *(a for p in parts for a in p)])
)


def _option_case(harness, argv):
    if argv[0] == "search" and "--trials" not in argv:
        argv = [*argv, "--trials", "3"]  # the default 100 trials are a minute, not a fuzz case
    if argv[0] in ("search", "sweep") and "--trials" in argv:
        trials = argv[argv.index("--trials") + 1]
        if trials.strip().lstrip("+").isdigit() and int(trials) > 8:
            return  # valid but long: a search of that many trials is the search tests' business
    harness.check(harness.case(), argv)


def test_fuzz_bounded_options(harness):
    fuzz(OPTION_ARGV, 500)(_option_case, harness)


@pytest.mark.slow
def test_fuzz_bounded_options_long(harness):
    fuzz(OPTION_ARGV, 500 * SLOW, slow=True)(_option_case, harness)
    print(f"{__name__}: {harness.count} cases")


# --- 3. sweep specs -----------------------------------------------------------------------

AXES = {
    "unit.rows": [4, 8, 16],
    "unit.cols": [8, 32],
    "dram.bandwidth_bytes_per_s": [1.6e10, 6.4e10],
    "clock_hz": [5e8, 1e9],
    "batch": [1, 4],
    "context": [32, 64],
    "weight_format": ["fp16", "int4"],
    "phase": ["decode", "prefill"],
    "dram.price_as": ["dram"],
    "weight_buffer.size_bytes": [65536],
    "model": ["opt-1.3b"],
    "kv_format": ["fp16"],
}
AXIS = st.sampled_from(sorted(AXES)).flatmap(
    lambda name: st.tuples(st.just(name), maybe(AXES[name], st.lists(HOSTILE, min_size=0, max_size=3)))
)
SPEC = st.fixed_dictionaries(
    {
        "schema_version": maybe(1),
        "name": maybe("fz"),
        "base": maybe(
            "systolic_32x32_ws",
            st.one_of(st.sampled_from(["bitmod_fp16", "mx_tensor_core", "d.yaml", "nope", ""]), HOSTILE),
        ),
        "workload": maybe(
            {"model": "opt-1.3b", "context": 64},
            st.fixed_dictionaries(
                {
                    "model": maybe("opt-1.3b"),
                    "context": maybe(64),
                    "batch": maybe(2),
                    "phase": maybe("decode"),
                    "weight_format": maybe("fp16", st.sampled_from(["mxfp4", "bitmod3", "fp5", "nvfp4"])),
                }
            ),
        ),
        "axes": st.lists(AXIS, max_size=2).map(dict),
        "qsnr": maybe(
            {"rows": 8, "cols": 128}, st.fixed_dictionaries({"rows": maybe(8), "cols": maybe(128)})
        ),
    },
    optional={
        "sampling": st.fixed_dictionaries({"method": maybe("random"), "count": maybe(2), "seed": maybe(1)}),
        "constraints": st.lists(
            st.sampled_from(
                ["latency_s <= 1", "energy_pj >= 0", "nope < 1", "latency_s <= nan", "x", "qsnr_db > 1e400"]
            ),
            max_size=2,
        ),
        "objectives": st.lists(st.sampled_from(["latency_s", "energy_pj", "qsnr_db", "nope"]), max_size=3),
        "unknown": HOSTILE,
    },
)


def _yaml(data) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True).encode()


def _mangle(text: bytes, draws) -> bytes:
    cut, junk = draws
    return text[:cut] + junk + text[cut + len(junk) :]


GARBAGE_YAML = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.tuples(SPEC.map(_yaml), st.tuples(st.integers(0, 300), st.binary(max_size=8))).map(
        lambda t: _mangle(*t)
    ),
    st.sampled_from(
        [
            b"&a [1]\n",
            b"a: *b\n",
            b"!!python/object:os.system ls\n",
            b"a: 1\na: 2\n",
            b"[" * 5000,
            b"a: 2024-13-45\n",
            b"\xef\xbb\xbfschema_version: 1\n",
            b"---\n---\n",
        ]
    ),
)
SPEC_FILE = st.one_of(SPEC.map(_yaml), SPEC.map(_yaml), GARBAGE_YAML)


def _spec_case(harness, args):
    content, run_it = args
    folder = harness.case()
    (folder / "d.yaml").write_text(yaml.safe_dump(SYSTOLIC))
    (folder / "s.yaml").write_bytes(content)
    tail = ["--out", "new", "--jobs", "1", "--quiet", "--no-report"] if run_it else ["--check"]
    harness.check(folder, ["sweep", "s.yaml", *tail])


def test_fuzz_sweep_specs(harness):
    fuzz(st.tuples(SPEC_FILE, st.sampled_from([False, False, False, True])), 400)(_spec_case, harness)


@pytest.mark.slow
def test_fuzz_sweep_specs_long(harness):
    fuzz(st.tuples(SPEC_FILE, st.sampled_from([False, False, False, True])), 400 * SLOW, slow=True)(
        _spec_case, harness
    )
    print(f"{__name__}: {harness.count} cases")


# --- 4. design, model and energy-table files ------------------------------------------------

FIELDS = [
    "clock_hz",
    "unit.rows",
    "unit.cols",
    "unit.dataflow",
    "unit.type",
    "unit.component",
    "weight_buffer.size_bytes",
    "weight_buffer.price_as",
    "input_buffer.width_bits",
    "output_buffer.banks",
    "dram.bandwidth_bytes_per_s",
    "dram.capacity_bytes",
    "dram.name",
    "energy_tables",
    "schema_version",
    "name",
    "unit.pe_area_um2",
    "weight_buffer.area_mm2",
]
TABLE = st.dictionaries(
    st.sampled_from(
        [
            "pe.mac",
            "dram.read_bit",
            "dram.write_bit",
            "sram_1mb.read_bit",
            "sram_1mb.write_bit",
            "bad",
            "a.b.c",
        ]
    ),
    st.fixed_dictionaries({"energy_pj": maybe(1.0), "source": maybe("fuzz"), "node_nm": maybe(45)}),
    max_size=5,
)


def _set(data: dict, path: str, value) -> dict:
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[leaf] = value
    return data


DESIGN = st.tuples(
    st.lists(st.tuples(st.sampled_from(FIELDS), HOSTILE), max_size=3),
    st.one_of(st.none(), TABLE),
    st.sampled_from(["analytic", "analytic", "analytic", "analytic", "event"]),
)


def _design_case(harness, args):
    changes, table, fidelity = args
    import copy

    data = copy.deepcopy(SYSTOLIC)
    for path, value in changes:
        _set(data, path, value)
    folder = harness.case()
    if table is not None:
        (folder / "t.yaml").write_text(yaml.safe_dump({"name": "t", "entries": table}))
        data["energy_tables"] = ["horowitz_45nm", "t.yaml"]
    (folder / "d.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    harness.check(folder, ["simulate", "d.yaml", "opt-1.3b", "--fidelity", fidelity, "--csv", "prev/ops.csv"])


def test_fuzz_design_files(harness):
    fuzz(DESIGN, 300)(_design_case, harness)


@pytest.mark.slow
def test_fuzz_design_files_long(harness):
    fuzz(DESIGN, 300 * SLOW, slow=True)(_design_case, harness)
    print(f"{__name__}: {harness.count} cases")


# --- 5. stores and sweep outputs ------------------------------------------------------------

OUTPUT_FILE = st.sampled_from(["results.sqlite", "results.parquet", "metadata.json", "ops.parquet"])
CORRUPTION = st.tuples(
    OUTPUT_FILE,
    st.one_of(
        st.binary(max_size=300),
        st.sampled_from([b"", b"SQLite format 3\x00", b"PAR1", b"{}", b"[]", b"null", b'{"constraints": 5}']),
    ),
    st.sampled_from(["report", "sweep"]),
)


def _store_case(harness, args):
    name, content, command = args
    folder = harness.case()
    out = folder / "out"
    shutil.copytree(harness.earlier.parent / "finished", out)
    (out / name).write_bytes(content)
    argv = (
        ["report", "out"]
        if command == "report"
        else ["sweep", "default.yaml", "--out", "out", "--jobs", "1", "--quiet", "--no-report"]
    )
    (folder / "default.yaml").write_text(yaml.safe_dump(TINY))
    if harness.check(folder, argv, keep=True) == 2:
        assert (out / name).read_bytes() == content  # reported, never written over
    shutil.rmtree(folder)


@pytest.fixture(scope="module")
def finished(earlier):
    """A finished sweep of the tiny spec with its report, next to the earlier store."""
    spec = earlier.parent / "tiny.yaml"
    spec.write_text(yaml.safe_dump(TINY))
    assert (
        main(["sweep", str(spec), "--out", str(earlier.parent / "finished"), "--jobs", "1", "--quiet"]) == 0
    )
    return earlier.parent / "finished"


def test_fuzz_corrupt_outputs(harness, finished, monkeypatch):
    monkeypatch.setattr(experiments.report, "plot_all", lambda frame, ops, out: {})  # seconds each
    fuzz(CORRUPTION, 100)(_store_case, harness)


@pytest.mark.slow
def test_fuzz_corrupt_outputs_long(harness, finished, monkeypatch):
    monkeypatch.setattr(experiments.report, "plot_all", lambda frame, ops, out: {})
    fuzz(CORRUPTION, 100 * SLOW, slow=True)(_store_case, harness)
    print(f"{__name__}: {harness.count} cases")
