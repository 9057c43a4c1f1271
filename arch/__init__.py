"""Typed hardware descriptions, technology/energy tables and LLM workload descriptions.

    >>> from arch import SystolicArray
    >>> SystolicArray(rows=32, cols=32, dataflow="ws").pes
    1024
"""

from .accelerator import ACCELERATORS, Accelerator, load_accelerator
from .config import ConfigError, FieldError, from_dict, load_yaml, to_dict
from .memory import Dram, Sram
from .tech import TABLES, EnergyEntry, EnergyTable, load_energy_table
from .units import ACCUMULATORS, DATAFLOWS, BitSerialArray, MXTensorCore, SystolicArray

__all__ = [
    "ACCELERATORS",
    "ACCUMULATORS",
    "DATAFLOWS",
    "TABLES",
    "Accelerator",
    "BitSerialArray",
    "ConfigError",
    "Dram",
    "EnergyEntry",
    "EnergyTable",
    "FieldError",
    "MXTensorCore",
    "Sram",
    "SystolicArray",
    "from_dict",
    "load_accelerator",
    "load_energy_table",
    "load_yaml",
    "to_dict",
]
