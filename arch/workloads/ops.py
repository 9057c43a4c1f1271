"""The ops a workload expands into: GEMMs whose B operand is either weights or the KV cache.

Every op is ``out[m, n] = A[m, k] @ B[k, n]`` repeated ``instances`` times per layer in
``layers`` layers. A linear layer has B = weights (read from memory once per use) and
``instances = 1`` (or the expected number of active experts for an MoE expert); an
attention matmul has B = keys or values of one KV head and ``instances = batch x kv_heads``,
with the query heads that share that KV head stacked into ``m`` (GQA).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..config import check

OpKind = Literal["linear", "attention"]
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

    def __post_init__(self):
        for field in ("m", "k", "n", "layers"):
            value = getattr(self, field)
            check(isinstance(value, int) and value > 0, field, f"must be a positive integer, not {value!r}")
        check(self.instances > 0, "instances", f"must be positive, not {self.instances!r}")

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
class Workload:
    """A model in one phase (prefill of ``context`` tokens, or one decode step at ``context``)."""

    model: str
    phase: Phase
    batch: int
    context: int
    weight_format: str
    activation_format: str
    kv_format: str
    ops: tuple[Op, ...]

    @property
    def macs(self) -> float:
        return sum(op.macs for op in self.ops)

    @property
    def tokens(self) -> int:
        """Tokens this workload produces or consumes: batch x context (prefill) or batch (decode)."""
        return self.batch * (self.context if self.phase == "prefill" else 1)
