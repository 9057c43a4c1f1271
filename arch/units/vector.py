"""The vector unit beside a compute array: the non-GEMM ops of a layer run here.

    >>> VectorUnit(lanes=64, special_lanes=8).cycles(elements=1024, ops_per_element=4,
    ...                                               special_per_element=1)
    128

Norms, softmax, activations, rotary embedding, residual adds and quantize/dequantize
steps (:class:`arch.workloads.VectorOp`) are element-wise or reduce along a row; each
element costs some simple operations (add, multiply, compare, FMA: ``lanes`` per cycle)
and some special functions (exp, rsqrt, sigmoid: ``special_lanes`` per cycle). An op
takes the larger of the two counts; actions ``<component>.op`` and ``<component>.special``
are priced by the design's energy table.

A unit may also hold a dedicated block quantizer (like ``rtl_models/hdl/bp_mx_quantize.sv``:
one block of FP32 values to MX codes per evaluation): quantize steps into one of
``quantizer_formats`` then take ``elements / quantizer_elements_per_cycle`` cycles and one
``quantizer.block_<format>`` action per block instead of lane operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from numerics import SCHEMES

from ..config import check
from .systolic import check_positive_int

__all__ = ["VectorUnit"]


@dataclass(frozen=True)
class VectorUnit:
    """``lanes`` simple operations and ``special_lanes`` special functions per cycle."""

    lanes: int
    special_lanes: int
    component: str = "vector"
    source: str = ""
    quantizer_formats: tuple[str, ...] = ()
    quantizer_elements_per_cycle: int = 32
    quantizer_component: str = "quantizer"

    def __post_init__(self):
        check_positive_int(self.lanes, "lanes")
        check_positive_int(self.special_lanes, "special_lanes")
        check_positive_int(self.quantizer_elements_per_cycle, "quantizer_elements_per_cycle")
        for fmt in self.quantizer_formats:
            check(fmt in SCHEMES, "quantizer_formats", f"must be block schemes, not {fmt!r}")

    def cycles(self, elements: float, ops_per_element: float, special_per_element: float) -> int:
        """Cycles for ``elements`` each needing the given simple and special operations."""
        simple = elements * ops_per_element / self.lanes
        special = elements * special_per_element / self.special_lanes
        return math.ceil(max(simple, special))
