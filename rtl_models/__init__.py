"""Verilog references of bitplane's datapaths, checked against ``numerics`` with cocotb.

    >>> from rtl_models import UNITS
    >>> "mx_dot" in UNITS
    True

``hdl/`` holds the synthesizable units (``bp_*.sv``) and their testbench wrappers
(``hdl/tb``); ``models/`` the stimulus and golden models per unit, built on ``numerics``;
``runner`` builds and simulates them (Icarus Verilog, Verilator); ``synth`` runs Yosys.
"""

from .models import UNITS, get_unit
from .runner import SIMULATORS, CheckResult, RtlError, check

__all__ = ["SIMULATORS", "UNITS", "CheckResult", "RtlError", "check", "get_unit"]
