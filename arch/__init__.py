"""Typed hardware descriptions, technology/energy tables and LLM workload descriptions.

    >>> from arch import SystolicArray
    >>> SystolicArray(rows=32, cols=32, dataflow="ws").pes
    1024
"""

from .accelerator import ACCELERATORS, Accelerator, load_accelerator
from .config import ConfigError, FieldError, from_dict, load_yaml, to_dict
from .fpga import FPGAS, GPUS, FpgaDevice, GpuDevice, load_fpga, load_gpu
from .hbm import HBM_DEVICES, HbmDevice, HbmStack, load_hbm_device
from .memory import Dram, Sram
from .tech import TABLES, EnergyEntry, EnergyTable, load_energy_table
from .units import ACCUMULATORS, DATAFLOWS, BitSerialArray, MXTensorCore, SystolicArray

__all__ = [
    "ACCELERATORS",
    "ACCUMULATORS",
    "DATAFLOWS",
    "FPGAS",
    "GPUS",
    "HBM_DEVICES",
    "TABLES",
    "Accelerator",
    "BitSerialArray",
    "ConfigError",
    "Dram",
    "EnergyEntry",
    "EnergyTable",
    "FieldError",
    "FpgaDevice",
    "GpuDevice",
    "HbmDevice",
    "HbmStack",
    "MXTensorCore",
    "Sram",
    "SystolicArray",
    "from_dict",
    "load_accelerator",
    "load_energy_table",
    "load_fpga",
    "load_gpu",
    "load_hbm_device",
    "load_yaml",
    "to_dict",
]
