"""The ops a workload expands into: GEMMs whose B operand is either weights or the KV cache,
and (whole-layer expansion) the vector ops between them.

Every op is ``out[m, n] = A[m, k] @ B[k, n]`` repeated ``instances`` times per layer in
``layers`` layers. A linear layer has B = weights (read from memory once per use) and
``instances = 1`` (or the expected number of active experts for an MoE expert); an
attention matmul has B = keys or values of one KV head and ``instances = batch x kv_heads``,
with the query heads that share that KV head stacked into ``m`` (GQA).

An op whose A operand or output stays on chip (FlashAttention keeps Q tiles, scores and
probabilities in shared/tensor memory) says which fraction of that operand's reads or
writes reach DRAM (``a_dram_fraction``, ``out_dram_fraction``; 1 for every plain GEMM).

A :class:`VectorOp` is an element-wise or row-wise step (norm, softmax, activation,
rotary embedding, residual add, quantize): ``elements`` per instance, each costing
``ops_per_element`` simple operations and ``special_per_element`` special functions
(exp, rsqrt) on the design's vector unit, and ``read_bits``/``write_bits`` of DRAM traffic
per element (0 where the step is fused into its neighbour).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..config import check

OpKind = Literal["linear", "attention"]
Scope = Literal["gemm", "layer"]
Phase = Literal["prefill", "decode"]


@dataclass(frozen=True)
class Op:
    """One GEMM shape of a workload, with the storage bits of its operands.

    >>> Op("mlp.up", "linear", m=1, k=4096, n=11008, instances=1.0, layers=32,
    ...    a_bits=16, b_bits=4.25, out_bits=16).macs
    1442840576.0
    """

    name: str
    kind: OpKind
    m: int
    k: int
    n: int
    instances: float
    layers: int
    a_bits: float
    b_bits: float
    out_bits: float
    a_dram_fraction: float = 1.0
    out_dram_fraction: float = 1.0

    def __post_init__(self):
        for field in ("m", "k", "n", "layers"):
            value = getattr(self, field)
            check(isinstance(value, int) and value > 0, field, f"must be a positive integer, not {value!r}")
        check(self.instances > 0, "instances", f"must be positive, not {self.instances!r}")
        for field in ("a_dram_fraction", "out_dram_fraction"):
            value = getattr(self, field)
            check(0 <= value <= 1, field, f"must be in [0, 1], not {value!r}")

    @property
    def b_is_weight(self) -> bool:
        return self.kind == "linear"

    @property
    def repeats(self) -> float:
        """Total number of times this GEMM runs in the workload."""
        return self.instances * self.layers

    @property
    def macs(self) -> float:
        return float(self.m) * self.k * self.n * self.repeats


@dataclass(frozen=True)
class VectorOp:
    """A non-GEMM step, run ``instances x layers`` times on ``elements`` elements each.

    >>> VectorOp("attn.norm", elements=4096, instances=1.0, layers=32, ops_per_element=3,
    ...          special_per_element=1 / 4096, read_bits=16, write_bits=16).repeats
    32.0
    """

    name: str
    elements: float
    instances: float
    layers: int
    ops_per_element: float
    special_per_element: float
    read_bits: float
    write_bits: float
    kind: str = "vector"  # "quantize" for a quantize step into ``fmt``
    fmt: str = ""

    def __post_init__(self):
        check(isinstance(self.layers, int) and self.layers > 0, "layers",
              f"must be a positive integer, not {self.layers!r}")
        for field in ("elements", "instances"):
            check(getattr(self, field) > 0, field, f"must be positive, not {getattr(self, field)!r}")
        for field in ("ops_per_element", "special_per_element", "read_bits", "write_bits"):
            check(getattr(self, field) >= 0, field, f"must be >= 0, not {getattr(self, field)!r}")

    @property
    def repeats(self) -> float:
        return self.instances * self.layers

    @property
    def macs(self) -> float:
        return 0.0

    @property
    def dram_bytes(self) -> float:
        """DRAM bytes of one instance."""
        return self.elements * (self.read_bits + self.write_bits) / 8


@dataclass(frozen=True)
class Workload:
    """A model in one phase (prefill of ``context`` tokens, or one decode step at ``context``)."""

    model: str
    phase: Phase
    batch: int
    context: int
    weight_format: str
    activation_format: str
    kv_format: str
    ops: tuple[Op | VectorOp, ...]
    scope: Scope = "gemm"

    @property
    def gemm_ops(self) -> tuple[Op, ...]:
        """The GEMM ops only (every op when ``scope`` is "gemm")."""
        return tuple(op for op in self.ops if isinstance(op, Op))

    @property
    def vector_ops(self) -> tuple[VectorOp, ...]:
        return tuple(op for op in self.ops if isinstance(op, VectorOp))

    @property
    def macs(self) -> float:
        return sum(op.macs for op in self.ops)

    @property
    def tokens(self) -> int:
        """Tokens this workload produces or consumes: batch x context (prefill) or batch (decode)."""
        return self.batch * (self.context if self.phase == "prefill" else 1)
