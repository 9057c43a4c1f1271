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
from .pim import System, place_op, simulate_workload_pim
from .result import OpResult, WorkloadResult
from .run import simulate
from .serving import ServingConfig, ServingResult, load_trace, poisson_requests, simulate_serving
from .tensor_core import KernelTile, TileSpace

__all__ = [
    "EndToEnd",
    "KernelTile",
    "TileSpace",
    "OpResult",
    "ServingConfig",
    "ServingResult",
    "System",
    "WorkloadResult",
    "compute_cycles",
    "end_to_end",
    "energy_by_component",
    "gpu_end_to_end",
    "load_trace",
    "place_op",
    "poisson_requests",
    "simulate",
    "simulate_gemm",
    "simulate_lut",
    "simulate_serving",
    "simulate_workload",
    "simulate_workload_pim",
    "total_energy_pj",
]
