"""A sweep's points as blocks: many designs of one base on one workload, built with arrays.

    >>> from experiments.spec import spec_from_dict
    >>> spec = spec_from_dict({"schema_version": 1, "name": "t", "base": "systolic_32x32_ws",
    ...                        "axes": {"unit.rows": [16, 32], "phase": ["decode", "prefill"]}})
    >>> plan = plan_sweep(spec)
    >>> plan.points, plan.skipped, [(b.workload.phase, len(b.designs)) for b in plan.blocks]
    (4, 0, [('decode', 2), ('prefill', 2)])

A spec design's axes split into design axes and workload axes. Every combination of the
design axes is built once (:func:`arch.replace_path` along each axis) and hashed once; so is
every combination of the workload axes. A point is a pair of indices into the two, in the
spec's order (the last axis varies fastest; random sampling draws indices); its
``point_id`` is the sha256 of the two hashes, the same id :func:`experiments.points.point_id`
gives the typed point. Unsupported pairs (:func:`arch.unsupported`, decided once per design
and format triple) are skipped and counted; a pair seen before is dropped. The points of one
workload are cut into :class:`Block` s of at most ``block_size`` designs: the unit a worker
evaluates (:mod:`experiments.blocks`) and the store commits in one transaction. A point's
``seq`` numbers it in block order (spec design by spec design, workload combination by
workload combination in the spec's order, then designs in the spec's order), so each block
holds a run of consecutive ``seq`` and the stored blocks sort by their first point.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from arch import Design, unsupported

from .points import design_hash, workload_hash
from .spec import SweepSpec, WorkloadSpec, base_design, workload_field

__all__ = ["Block", "SweepPlan", "plan_sweep", "spec_size"]


@dataclass(frozen=True)
class Block:
    """Designs of one base, each paired with one workload; ``key`` names the design set (a
    worker keeps one prepared fleet per key, reused across the workloads)."""

    key: str
    base: str
    designs: tuple[Design, ...]
    design_labels: tuple[tuple[tuple[str, Any], ...], ...]
    workload: WorkloadSpec
    workload_labels: tuple[tuple[str, Any], ...]
    point_ids: tuple[str, ...]
    seqs: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.designs)


@dataclass(frozen=True)
class SweepPlan:
    blocks: tuple[Block, ...]
    points: int
    skipped: int


@dataclass(frozen=True)
class _Side:
    """Every combination of some axes: the objects, their hashes and their labels."""

    objects: list
    hashes: list[str]
    labels: list[tuple[tuple[str, Any], ...]]


def _combinations(axes: dict, start, apply, digest) -> _Side:
    """Axis by axis (the last varies fastest), so that combinations sharing a prefix share
    the objects that prefix built (and their canonical JSON)."""
    level: list[tuple[Any, tuple]] = [(start, ())]
    for axis, values in axes.items():
        level = [(apply(obj, axis, v), labels + ((axis, v),)) for obj, labels in level for v in values]
    return _Side([o for o, _ in level], [digest(o) for o, _ in level], [labels for _, labels in level])


def _design_side(base: str, axes: dict) -> _Side:
    from arch import replace_path
    return _combinations(axes, base_design(base), replace_path, design_hash)


def _workload_side(spec: SweepSpec, axes: dict) -> _Side:
    from arch import replace_path
    return _combinations(axes, spec.workload, lambda w, a, v: replace_path(w, workload_field(a), v),
                         workload_hash)


def _indices(spec: SweepSpec, sizes: list[int]) -> list[np.ndarray]:
    """Per spec design, the grid indices to visit (all, or a seeded random draw over all)."""
    starts = np.cumsum([0, *sizes])
    if spec.sampling.method == "grid":
        return [np.arange(n) for n in sizes]
    rng = np.random.default_rng(spec.sampling.seed)
    drawn = np.sort(rng.choice(starts[-1], size=min(spec.sampling.count, int(starts[-1])), replace=False))
    return [drawn[(drawn >= starts[i]) & (drawn < starts[i + 1])] - starts[i] for i in range(len(sizes))]


def _split(index: np.ndarray, axes: dict, design_axes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(design combination, workload combination) of each grid index (last axis fastest)."""
    names, sizes = list(axes), [len(v) for v in axes.values()]
    digits = np.unravel_index(index, sizes) if names else ()
    pick = lambda wanted: [i for i, n in enumerate(names) if (n in design_axes) == wanted]  # noqa: E731

    def combo(positions):
        if not positions:
            return np.zeros(len(index), np.int64)
        return np.ravel_multi_index([digits[i] for i in positions], [sizes[i] for i in positions])
    return combo(pick(True)), combo(pick(False))


def _supported(designs: _Side, workloads: _Side, d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Whether each (design, workload) pair can run: decided once per design and (formats, scope)
    that some pair meets, then looked up for every pair as an array."""
    triples = [(x.weight_format, x.activation_format, x.kv_format, x.scope) for x in workloads.objects]
    unique = list(dict.fromkeys(triples))
    triple_of = np.array([unique.index(t) for t in triples], np.int64)[w]
    pairs = d * len(unique) + triple_of
    table = np.zeros(len(designs.objects) * len(unique), bool)
    for pair in np.unique(pairs).tolist():
        table[pair] = unsupported(designs.objects[pair // len(unique)], *unique[pair % len(unique)]) is None
    return table[pairs]


class _Seen:
    """The (design hash, workload hash) pairs planned so far, as integer keys: a point whose
    pair was planned before (so its ``point_id`` too) is dropped, found with array lookups."""

    def __init__(self):
        self.codes: dict[str, int] = {}
        self.keys = np.zeros(0, np.int64)

    def new(self, designs: _Side, workloads: _Side, d: np.ndarray, w: np.ndarray) -> np.ndarray:
        before = len(self.codes)
        code = lambda hashes: np.array([self.codes.setdefault(h, len(self.codes)) for h in hashes],  # noqa: E731
                                       np.int64)
        design_codes = code(designs.hashes)
        keys = design_codes[d] * (1 << 32) + code(workloads.hashes)[w]
        first = np.zeros(len(keys), bool)
        first[np.unique(keys, return_index=True)[1]] = True
        if len(design_codes) and design_codes.min() < before:  # a design planned before: look back
            first &= ~np.isin(keys, self.keys)
        self.keys = np.concatenate([self.keys, keys[first]])
        return first


def _blocks(base: str, designs: _Side, workloads: _Side, d, w, ids, seqs,
            size: int) -> Iterator[Block]:
    for wi in dict.fromkeys(w.tolist()):
        rows = np.flatnonzero(w == wi)
        for start in range(0, len(rows), size):
            part = rows[start:start + size]
            dcs = d[part].tolist()
            key = hashlib.sha256("".join(designs.hashes[i] for i in dcs).encode()).hexdigest()
            yield Block(key, base, tuple(designs.objects[i] for i in dcs),
                        tuple(designs.labels[i] for i in dcs), workloads.objects[wi], workloads.labels[wi],
                        tuple(ids[j] for j in part), tuple(seqs[j] for j in part))


def spec_size(spec: SweepSpec) -> int:
    """How many grid points the spec visits (before skipping and de-duplication)."""
    total = sum(math.prod(len(v) for v in spec.design_axes(i).values()) for i in range(len(spec.designs)))
    return min(total, spec.sampling.count) if spec.sampling.method == "random" else total


def plan_sweep(spec: SweepSpec, block_size: int = 4096) -> SweepPlan:
    """Every distinct, supported point of ``spec`` in order, as blocks (module docstring)."""
    axes = [spec.design_axes(i) for i in range(len(spec.designs))]
    sizes = [math.prod(len(v) for v in a.values()) for a in axes]
    blocks, seen, skipped, seq = [], _Seen(), 0, 0
    for i, index in enumerate(_indices(spec, sizes)):
        design_axes = [a for a in axes[i] if not workload_field(a)]
        designs = _design_side(spec.designs[i].base, {a: axes[i][a] for a in design_axes})
        workloads = _workload_side(spec, {a: v for a, v in axes[i].items() if workload_field(a)})
        d, w = _split(index, axes[i], design_axes)
        keep = _supported(designs, workloads, d, w)
        skipped += int((~keep).sum())
        d, w = d[keep], w[keep]
        new = seen.new(designs, workloads, d, w)
        d, w = d[new], w[new]
        _, first = np.unique(w, return_index=True)  # block order: by workload, first seen first
        rank = np.empty(int(w.max()) + 1 if len(w) else 0, np.int64)
        rank[w[np.sort(first)]] = np.arange(len(first))
        order = np.argsort(rank[w], kind="stable")
        d, w = d[order], w[order]
        ids = [hashlib.sha256((designs.hashes[a] + workloads.hashes[b]).encode()).hexdigest()
               for a, b in zip(d.tolist(), w.tolist(), strict=True)]
        seqs = list(range(seq, seq + len(ids)))
        seq += len(ids)
        blocks += _blocks(spec.designs[i].base, designs, workloads, d, w, ids, seqs, block_size)
    return SweepPlan(tuple(blocks), seq, skipped)
