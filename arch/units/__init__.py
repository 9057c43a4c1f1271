"""Compute units: one frozen, validated description per hardware family."""

from .bitserial import WEIGHT_TYPES, BitSerialArray
from .systolic import DATAFLOWS, SystolicArray
from .tensor_core import ACCUMULATORS, MXTensorCore

Unit = SystolicArray | MXTensorCore | BitSerialArray

__all__ = ["ACCUMULATORS", "DATAFLOWS", "WEIGHT_TYPES", "BitSerialArray", "MXTensorCore", "SystolicArray",
           "Unit"]
