"""Typed hardware descriptions, technology/energy tables and LLM workload descriptions.

    >>> from arch import SystolicArray
    >>> SystolicArray(rows=32, cols=32, dataflow="ws").pes
    1024
    >>> family_of(load_design("duplex"))
    'logic_pim'
"""

from .accelerator import ACCELERATORS, Accelerator, load_accelerator
from .config import ConfigError, FieldError, from_dict, load_yaml, to_dict
from .design import DESIGNS, FAMILIES, Design, family_of, load_design, replace_path
from .fpga import FPGAS, GPUS, FpgaDevice, GpuDevice, load_fpga, load_gpu
from .hbm import HBM_DEVICES, HbmDevice, HbmStack, load_hbm_device
from .memory import Dram, Sram
from .support import check_supported, unsupported
from .tech import TABLES, EnergyEntry, EnergyTable, load_energy_table
from .units import ACCUMULATORS, DATAFLOWS, BitSerialArray, MXTensorCore, SystolicArray

__all__ = [
    "ACCELERATORS",
    "ACCUMULATORS",
    "DATAFLOWS",
    "DESIGNS",
    "FAMILIES",
    "FPGAS",
    "GPUS",
    "HBM_DEVICES",
    "TABLES",
    "Accelerator",
    "BitSerialArray",
    "ConfigError",
    "Design",
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
    "check_supported",
    "family_of",
    "from_dict",
    "load_accelerator",
    "load_design",
    "load_energy_table",
    "load_fpga",
    "load_gpu",
    "load_hbm_device",
    "load_yaml",
    "replace_path",
    "to_dict",
    "unsupported",
]
