"""Compute units: one frozen, validated description per hardware family."""

from .bitserial import WEIGHT_TYPES, BitSerialArray
from .fpga_lut import LUT_DESIGNS, FitReport, LutAccelerator, LutUnit, fit, load_lut_design, max_units
from .logic_pim import PIM_LOCATIONS, PimUnit
from .systolic import DATAFLOWS, SystolicArray
from .tensor_core import ACCUMULATORS, MXTensorCore
from .xpu import Link, Xpu

Unit = SystolicArray | MXTensorCore | BitSerialArray

__all__ = [
    "ACCUMULATORS",
    "DATAFLOWS",
    "LUT_DESIGNS",
    "PIM_LOCATIONS",
    "WEIGHT_TYPES",
    "BitSerialArray",
    "FitReport",
    "Link",
    "LutAccelerator",
    "LutUnit",
    "MXTensorCore",
    "PimUnit",
    "SystolicArray",
    "Unit",
    "Xpu",
    "fit",
    "load_lut_design",
    "max_units",
]
