"""Static timing and power with OpenSTA (Debian's ``opensta``, binary ``sta``).

Timing: the flat netlist, one clock of the given period on the clock port (a virtual clock
for a combinational unit), inputs arriving at the clock edge and outputs due at the next
one, ideal input drivers and unloaded outputs, no wire load (pre-layout). The critical path
is the period minus the worst slack (clock-to-Q and setup included on register paths).

Power: the cut netlist (``_netlist.cut``) with each net's simulated activity (transitions a
clock period) and duty on its input port; ``report_power`` gives internal, switching and
leakage power in watts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class StaError(RuntimeError):
    """OpenSTA is missing or failed (the message quotes its first error)."""


@dataclass(frozen=True)
class Timing:
    critical_path_ns: float
    slack_ns: float
    startpoint: str
    endpoint: str

    @property
    def fmax_mhz(self) -> float:
        return 1e3 / self.critical_path_ns


@dataclass(frozen=True)
class Power:
    internal_w: float
    switching_w: float
    leakage_w: float
    by_instance_w: dict[str, tuple[float, float, float]]  # name -> (internal, switching, leakage)

    @property
    def total_w(self) -> float:
        return self.internal_w + self.switching_w + self.leakage_w


def sta_version() -> str:
    if shutil.which("sta") is None:
        raise StaError("OpenSTA ('sta') is not installed: apt-get install -y opensta")
    done = subprocess.run(["sta", "-version"], capture_output=True, text=True, timeout=60)
    return f"OpenSTA {done.stdout.strip()}"


def _run(script: str, workdir: Path, name: str) -> str:
    sta_version()
    (workdir / name).write_text(script)
    done = subprocess.run(["sta", "-no_splash", "-exit", name], cwd=workdir,
                          capture_output=True, text=True)
    out = done.stdout + done.stderr
    errors = [ln for ln in out.splitlines() if ln.startswith("Error")]
    if errors or done.returncode != 0:
        raise StaError(errors[0] if errors else f"sta exited with {done.returncode}")
    return out


def _setup(liberty: Path, netlist: str, module: str, period_ns: float, clock: str | None,
           inputs: list[str]) -> list[str]:
    clk = (f"create_clock -name clk -period {period_ns} [get_ports {{{clock}}}]" if clock
           else f"create_clock -name clk -period {period_ns}")
    data = " ".join(f"{{{p}}}" for p in inputs if p != clock)
    lines = [f"read_liberty {liberty}", f"read_verilog {netlist}", f"link_design {module}", clk]
    if data:
        lines.append(f"set_input_delay 0 -clock clk [get_ports [list {data}]]")
    lines += ["set_output_delay 0 -clock clk [all_outputs]", "set_load 0 [all_outputs]"]
    return lines


def timing(liberty: Path, netlist: Path, module: str, inputs: list[str], clock: str | None,
           period_ns: float, workdir: Path) -> Timing:
    """Worst setup path of the netlist at the given clock period."""
    lines = _setup(liberty, netlist.name, module, period_ns, clock, inputs)
    out = _run("\n".join(lines + ["report_checks -path_delay max -digits 4"]) + "\n",
               workdir, "timing.tcl")
    slack = re.search(r"(-?[\d.]+)\s+slack \((MET|VIOLATED)\)", out)
    if not slack:
        raise StaError("no constrained path found (report_checks printed no slack)")
    start = re.search(r"Startpoint: (\S+)", out).group(1)
    end = re.search(r"Endpoint: (\S+)", out).group(1)
    s = float(slack.group(1))
    return Timing(round(period_ns - s, 4), s, start, end)


def _tcl_array(name: str, values: dict[str, str]) -> list[str]:
    items = [f"{k} {{{v}}}" for k, v in values.items()]
    return [f"array set {name} {{{' '.join(items[i:i + 2000])}}}" for i in range(0, len(items), 2000)]


def power(liberty: Path, netlist: Path, module: str, clock_port: str | None, period_ns: float,
          loads_pf: dict[str, float], activity: dict[str, tuple[float, float]],
          workdir: Path) -> Power:
    """Power of the cut netlist with (transitions a period, duty) on each input port.

    Ports are looked up once each in Tcl arrays (one get_ports per port is quadratic)."""
    clk = (f"create_clock -name clk -period {period_ns} [get_ports {{{clock_port}}}]" if clock_port
           else f"create_clock -name clk -period {period_ns}")
    lines = [f"read_liberty {liberty}", f"read_verilog {netlist.name}", f"link_design {module}",
             clk, "set data {}",
             f'foreach p [all_inputs] {{ if {{[get_full_name $p] ne "{clock_port}"}} '
             "{ lappend data $p } }",
             "set_input_delay 0 -clock clk $data", "set_output_delay 0 -clock clk [all_outputs]"]
    lines += _tcl_array("act", {p: f"{a:.6g} {d:.6g}" for p, (a, d) in activity.items()
                                if p != clock_port})
    # every output port loaded explicitly: an unloaded port would get the tool's default
    lines += _tcl_array("load", {p: f"{c:.6g}" for p, c in loads_pf.items()})
    lines += ["foreach p [all_inputs] { set n [get_full_name $p]; if {[info exists act($n)]} "
              "{ sta::set_power_input_port_activity $p {*}$act($n) } }",
              "foreach p [all_outputs] { set n [get_full_name $p]; if {[info exists load($n)]} "
              "{ set_load $load($n) $p } }",
              "report_power -digits 8", "report_power -digits 8 -instances [get_cells *]"]
    out = _run("\n".join(lines) + "\n", workdir, "power.tcl")
    total = re.search(r"^Total\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", out, re.M)
    if not total:
        raise StaError("report_power printed no Total line")
    rows = re.findall(r"^\s*(\S+e[-+]\d+)\s+(\S+e[-+]\d+)\s+(\S+e[-+]\d+)\s+\S+\s+(\S+)$",
                      out, re.M)
    by_instance = {name: (float(i), float(s), float(lk)) for i, s, lk, name in rows}
    return Power(float(total.group(1)), float(total.group(2)), float(total.group(3)), by_instance)
