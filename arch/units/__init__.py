"""Compute units: one frozen, validated description per hardware family."""

from .bitserial import WEIGHT_TYPES, BitSerialArray
from .fpga_lut import LUT_DESIGNS, FitReport, LutAccelerator, LutUnit, fit, load_lut_design, max_units
from .logic_pim import PIM_LOCATIONS, PimUnit
from .mma_kinds import KIND_TABLES, KindTable, MmaKind, load_kinds
from .systolic import DATAFLOWS, SystolicArray
from .tensor_core import (
    ACCUMULATORS,
    LAUNCHES,
    ClusterLimit,
    KernelTiming,
    MXTensorCore,
    SmTensorCore,
    check_launch,
)
from .vector import VectorUnit
from .xpu import Link, Xpu

Unit = SystolicArray | MXTensorCore | BitSerialArray | SmTensorCore

__all__ = [
    "ACCUMULATORS",
    "DATAFLOWS",
    "KIND_TABLES",
    "LUT_DESIGNS",
    "PIM_LOCATIONS",
    "WEIGHT_TYPES",
    "BitSerialArray",
    "ClusterLimit",
    "FitReport",
    "KernelTiming",
    "LAUNCHES",
    "check_launch",
    "KindTable",
    "Link",
    "LutAccelerator",
    "LutUnit",
    "MXTensorCore",
    "MmaKind",
    "PimUnit",
    "SmTensorCore",
    "SystolicArray",
    "Unit",
    "VectorUnit",
    "Xpu",
    "fit",
    "load_kinds",
    "load_lut_design",
    "max_units",
]
