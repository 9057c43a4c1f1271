"""One continuous-batching iteration on a Duplex-style system, priced from the expanded ops.

    >>> from arch.hbm import load_hbm_device
    >>> from arch.workloads import load_model
    >>> from sim.pim import System
    >>> cost = iteration_cost(load_model("mixtral-8x7b"), System(load_hbm_device("duplex"), 2),
    ...                       Batch(prefill_tokens=(300,), decode_context=(512, 700)))
    >>> round(cost.time_s * 1e3, 2)
    13.03

An iteration prefills some prompts and decodes one token of every running request, all in
one forward pass. Its ops are those :func:`arch.workloads.expand` gives (GEMM scope), priced
by :mod:`sim.pim`'s one byte rule and grouped as :func:`sim.pim.groups_of` groups them:

- the linear ops (QKV, output projection, dense FFN, MoE router and experts) see every token
  of the iteration, ``T = prompt tokens + decoding requests``: they are the linear ops of a
  decode step of ``T`` one-token sequences, expected-value experts included;
- the LM head sees one token per sequence: that of a decode step of ``S = sequences``;
- attention is per sequence: a prompt's is that of a prefill of that prompt (batch 1), a
  decoding request's that of a decode step at its KV length (batch 1); together they form
  the attention group, one item per sequence.

So an iteration of ``B`` requests decoding at one KV length costs what :func:`sim.simulate`
gives for ``expand(model, "decode", batch=B, context=...)`` (and likewise for prompts of one
length), plus two ring all-reduces of the layer's activations per layer when ``devices >
1``. Expanded workloads are cached per (model, phase, batch, context) shape; a
:class:`Pricer` (one per model and system, shared by serving runs) caches the token-bound
parts per (tokens, sequences) and a sequence's attention per (phase, context).
With sampled routing (``rng``) each token picks its experts (:func:`route_tokens`) and the
experts of each MoE layer are the items of one group.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from arch.support import check_supported
from arch.workloads import Workload, expand

from .pim import EXPERT_OPS, Group, System, Works, fused, groups_of, op_works, run_group, total, work_of_op

__all__ = ["Batch", "IterationCost", "Pricer", "iteration_cost", "pricer", "route_tokens", "workload"]


class Batch(NamedTuple):
    """One iteration's work: prompts prefilled now, and the KV length each decoding request
    attends to (its prompt plus the tokens it has produced, its own new one included)."""

    prefill_tokens: tuple[int, ...]
    decode_context: tuple[int, ...]

    @property
    def tokens(self) -> int:
        return sum(self.prefill_tokens) + len(self.decode_context)

    @property
    def sequences(self) -> int:
        return len(self.prefill_tokens) + len(self.decode_context)


class IterationCost(NamedTuple):
    time_s: float
    totals: np.ndarray  # sim.pim.TOTALS, system-wide


@functools.lru_cache(maxsize=4096)
def workload(model, phase: str, batch: int, context: int) -> Workload:
    """``expand(model, phase, batch, context)`` at GEMM scope in FP16, cached per shape."""
    return expand(model, phase, batch=batch, context=context)


def route_tokens(rng: np.random.Generator, tokens: int, experts: int, top_k: int, layers: int) -> np.ndarray:
    """Tokens per expert, ``(layers, experts)``: each token picks ``top_k`` distinct experts
    uniformly at random in every layer (the ``top_k`` smallest of ``experts`` uniform draws)."""
    draws = rng.random((layers, tokens, experts))
    picks = np.argpartition(draws, top_k - 1, axis=-1)[..., :top_k] if top_k < experts else \
        np.broadcast_to(np.arange(experts), (layers, tokens, experts))
    flat = (picks + experts * np.arange(layers)[:, None, None]).ravel()
    return np.bincount(flat, minlength=layers * experts).reshape(layers, experts)


def _is_attention(group: Group) -> bool:
    return group.ops[0].kind == "attention"


class Pricer:
    """Iterations of ``model`` on ``system``, with the shapes met so far cached (serving runs
    meet few token counts, and KV lengths up to the model's ``max_context``)."""

    def __init__(self, model, system: System):
        check_supported(system.device, workload(model, "decode", 1, 1))  # the FP16 ops priced here
        self.model, self.system = model, system
        self._bound: dict[tuple[int, int, bool], tuple] = {}
        self._attention: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._expert_ops: tuple | None = None

    def _token_bound(self, tokens: int, sequences: int, expected: bool) -> tuple:
        """(time, totals) of the linear ops and LM head (groups of one, scheduled as one stack)
        and of the ``expected`` expert group, and the all-reduce payload: they depend on the
        token and sequence counts alone."""
        model, device = self.model, self.system.device
        head = next(op for op in workload(model, "decode", sequences, 1).gemm_ops if op.name == "lm_head")
        expanded = workload(model, "decode", tokens, 1)
        singles, parts = [], []
        for group in groups_of(expanded):
            if len(group.ops) == 1 and not _is_attention(group):
                op = head if group.ops[0].name == "lm_head" else group.ops[0]
                singles.append(work_of_op(op, device))
            elif group.ops[0].name in EXPERT_OPS and expected:
                parts.append(run_group(total(group.works(device)), self.system))
        parts.append(run_group(Works(*(np.stack([w[i] for w in singles]) for i in range(6))), self.system))
        out = next(op for op in expanded.gemm_ops if op.name == "attn.out")
        return tuple(parts), float(op_works(out, device).out_bytes)

    def _attention_group(self, batch: Batch) -> Works:
        """One item per sequence: its fused attention over all layers (tables per KV length)."""
        items = [self._attention_items("prefill", batch.prefill_tokens),
                 self._attention_items("decode", batch.decode_context)]
        return Works(*np.concatenate(items).T[:, None, :])

    def _attention_items(self, phase: str, contexts: tuple[int, ...]) -> np.ndarray:
        if phase not in self._attention:
            self._attention[phase] = _attention_table(self.model, phase, self.system.device.xpu)
        table, known = self._attention[phase]
        index = np.asarray(contexts, dtype=np.int64)
        for context in set(index[~known[index]].tolist()):
            expanded = workload(self.model, phase, 1, context)
            group = next(g for g in groups_of(expanded) if _is_attention(g))
            table[context] = [float(f.sum()) for f in total(group.works(self.system.device))]
            known[context] = True
        return table[index]

    def _sampled_experts(self, tokens: int, rng: np.random.Generator) -> Works:
        """Each MoE layer a group, its experts the items, with the tokens each one drew."""
        model = self.model
        if self._expert_ops is None:  # the shapes of one expert's ops do not depend on its rows
            ops = workload(model, "decode", 1, 1).gemm_ops
            self._expert_ops = tuple(fused(op) for op in ops if op.name in EXPERT_OPS)
        counts = route_tokens(rng, tokens, model.experts, model.experts_per_token, model.moe_layers)
        return total(op_works(op, self.system.device, m=counts) for op in self._expert_ops)

    def cost(self, batch: Batch, rng: np.random.Generator | None = None) -> IterationCost:
        """:func:`iteration_cost` of ``batch``."""
        model, system = self.model, self.system
        sampled = rng is not None and model.moe_layers > 0
        key = (batch.tokens, batch.sequences, not sampled)
        if key not in self._bound:
            self._bound[key] = self._token_bound(*key)
        bound, payload = self._bound[key]
        parts = [*bound, run_group(self._attention_group(batch), system)]
        if sampled:
            parts.append(run_group(self._sampled_experts(batch.tokens, rng), system))
        link, reduces = system.device.link, 2 * model.layers
        time_s = sum(p[0] for p in parts) + reduces * link.allreduce_s(payload, system.devices)
        totals = sum(p[1] for p in parts)
        totals[-1] += reduces * link.allreduce_bytes(payload, system.devices)
        return IterationCost(time_s, totals)


@functools.lru_cache(maxsize=64)
def _attention_table(model, phase: str, xpu) -> tuple[np.ndarray, np.ndarray]:
    """(works per KV length, which are filled) of one sequence's attention: shared by every
    system with this xPU (the work depends on the device only through its L2/L1 tiles)."""
    size = model.max_context + 1
    return np.zeros((size, 6)), np.zeros(size, dtype=bool)


@functools.lru_cache(maxsize=16)
def pricer(model, system: System) -> Pricer:
    """The shared :class:`Pricer` of ``model`` on ``system`` (runs on one pair share its caches)."""
    return Pricer(model, system)


def iteration_cost(model, system: System, batch: Batch,
                   rng: np.random.Generator | None = None) -> IterationCost:
    """Time and totals of one forward pass of ``batch`` through ``model`` on ``system``.

    MoE layers route by expected value when ``rng`` is None, else by sampling with ``rng``.
    Per layer: QKV, attention (co-processed), output projection, all-reduce, FFN (dense, or
    router + co-processed experts), all-reduce; then the LM head on one token per sequence.
    """
    return pricer(model, system).cost(batch, rng)
