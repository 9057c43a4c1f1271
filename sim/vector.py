"""Vector ops (norms, softmax, activations, rotary, residual adds, quantize) on a vector unit.

    >>> from arch import load_accelerator
    >>> from arch.workloads import VectorOp
    >>> op = VectorOp("attn.norm", 4096, 1.0, 32, 3, 1 / 4096, 16, 16)
    >>> simulate_vector_op(op, load_accelerator("b200")).compute_cycles
    32

An op takes the larger of its simple-operation and special-function cycles on the
design's :class:`arch.units.VectorUnit` and its DRAM transfer time; energy folds the
actions ``<vector>.op``, ``<vector>.special`` and the DRAM bits over the design's table.
"""

from __future__ import annotations

import math

from arch import Accelerator
from arch.workloads import VectorOp

from .energy import energy_by_component
from .result import OpResult

__all__ = ["simulate_vector_op"]


def simulate_vector_op(op: VectorOp, acc: Accelerator) -> OpResult:
    """One vector op of a workload, run ``op.repeats`` times, on ``acc``'s vector unit."""
    vector = acc.vector_unit
    if vector is None:
        raise ValueError(f"design {acc.name!r} declares no vector_unit, so it cannot run {op.name!r}; "
                         "add one or expand the workload with scope='gemm'")
    compute = vector.cycles(op.elements, op.ops_per_element, op.special_per_element)
    memory = math.ceil(op.dram_bytes / acc.dram_bytes_per_cycle)
    reps, dram = op.repeats, acc.dram.name
    actions = {f"{vector.component}.op": op.elements * op.ops_per_element * reps,
               f"{vector.component}.special": op.elements * op.special_per_element * reps,
               f"{dram}.read_bit": op.elements * op.read_bits * reps,
               f"{dram}.write_bit": op.elements * op.write_bits * reps}
    energy = energy_by_component(actions, acc.energy, acc.price_aliases)
    return OpResult(op.name, round(compute * reps), round(memory * reps), round(max(compute, memory) * reps),
                    0.0, 0.0, op.dram_bytes * reps, reps, actions, energy, mapping="vector unit")
