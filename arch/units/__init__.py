"""Compute units: one frozen, validated description per hardware family."""

from .bitserial import WEIGHT_TYPES, BitSerialArray
from .fpga_lut import LUT_DESIGNS, FitReport, LutAccelerator, LutUnit, fit, load_lut_design, max_units
from .systolic import DATAFLOWS, SystolicArray
from .tensor_core import ACCUMULATORS, MXTensorCore

Unit = SystolicArray | MXTensorCore | BitSerialArray

__all__ = ["ACCUMULATORS", "DATAFLOWS", "LUT_DESIGNS", "WEIGHT_TYPES", "BitSerialArray", "FitReport",
           "LutAccelerator", "LutUnit", "MXTensorCore", "SystolicArray", "Unit", "fit", "load_lut_design",
           "max_units"]
