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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .systolic import check_positive_int

__all__ = ["VectorUnit"]


@dataclass(frozen=True)
class VectorUnit:
    """``lanes`` simple operations and ``special_lanes`` special functions per cycle."""

    lanes: int
    special_lanes: int
    component: str = "vector"
    source: str = ""

    def __post_init__(self):
        check_positive_int(self.lanes, "lanes")
        check_positive_int(self.special_lanes, "special_lanes")

    def cycles(self, elements: float, ops_per_element: float, special_per_element: float) -> int:
        """Cycles for ``elements`` each needing the given simple and special operations."""
        simple = elements * ops_per_element / self.lanes
        special = elements * special_per_element / self.special_lanes
        return math.ceil(max(simple, special))
