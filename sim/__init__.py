"""Maps workload ops onto units: cycle models, memory traffic, action counts and energy.

    >>> from arch import SystolicArray
    >>> from sim import simulate_gemm
    >>> simulate_gemm(256, 128, 256, SystolicArray(rows=32, cols=32, dataflow="ws")).compute_cycles
    11199
"""

from .analytic import simulate_gemm, simulate_workload
from .energy import energy_by_component, total_energy_pj
from .lut import EndToEnd, end_to_end, gpu_end_to_end, simulate_lut
from .mapping import compute_cycles
from .result import OpResult, WorkloadResult

__all__ = ["EndToEnd", "OpResult", "WorkloadResult", "compute_cycles", "end_to_end", "energy_by_component",
           "gpu_end_to_end", "simulate_gemm", "simulate_lut", "simulate_workload", "total_energy_pj"]
