"""Vector ops (norms, softmax, activations, rotary, residual adds, quantize) on a vector unit.

    >>> from arch import load_accelerator
    >>> from arch.workloads import VectorOp
    >>> op = VectorOp("attn.norm", 4096, 1.0, 32, 3, 1 / 4096, 16, 16)
    >>> simulate_vector_op(op, load_accelerator("b200")).compute_cycles
    32

An op takes the larger of its simple-operation and special-function cycles on the
design's :class:`arch.units.VectorUnit` and its DRAM transfer time; energy folds the
actions ``<vector>.op``, ``<vector>.special`` and the DRAM bits over the design's table.
A quantize step into a format the unit's block quantizer handles runs there instead:
one block per ``block_size / quantizer_elements_per_cycle`` cycles, one
``quantizer.block_<format>`` action per block.
"""

from __future__ import annotations

import math

from arch import Accelerator
from arch.units import VectorUnit
from arch.workloads import VectorOp
from numerics import get_scheme

from .energy import energy_by_component
from .result import OpResult

__all__ = ["simulate_vector_op"]


def simulate_vector_op(op: VectorOp, acc: Accelerator) -> OpResult:
    """One vector op of a workload, run ``op.repeats`` times, on ``acc``'s vector unit."""
    vector = acc.vector_unit
    if vector is None:
        raise ValueError(f"design {acc.name!r} declares no vector_unit, so it cannot run {op.name!r}; "
                         "add one or expand the workload with scope='gemm'")
    compute, work, where = _compute(op, vector)
    memory = math.ceil(op.dram_bytes / acc.dram_bytes_per_cycle)
    reps, dram = op.repeats, acc.dram.name
    actions = {key: count * reps for key, count in work.items()} | {
        f"{dram}.read_bit": op.elements * op.read_bits * reps,
        f"{dram}.write_bit": op.elements * op.write_bits * reps}
    energy = energy_by_component(actions, acc.energy, acc.price_aliases)
    return OpResult(op.name, round(compute * reps), round(memory * reps), round(max(compute, memory) * reps),
                    0.0, 0.0, op.dram_bytes * reps, reps, actions, energy, mapping=where)


def _compute(op: VectorOp, vector: VectorUnit) -> tuple[int, dict, str]:
    """(cycles, actions, where) of one instance: on the block quantizer or on the lanes."""
    if op.kind == "quantize" and op.fmt in vector.quantizer_formats:
        blocks = op.elements / get_scheme(op.fmt).block_size
        cycles = math.ceil(op.elements / vector.quantizer_elements_per_cycle)
        return cycles, {f"{vector.quantizer_component}.block_{op.fmt}": blocks}, "block quantizer"
    cycles = vector.cycles(op.elements, op.ops_per_element, op.special_per_element)
    work = {f"{vector.component}.op": op.elements * op.ops_per_element,
            f"{vector.component}.special": op.elements * op.special_per_element}
    return cycles, work, "vector unit"
