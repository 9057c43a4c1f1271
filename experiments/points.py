"""Design points of a sweep: typed (design, workload) pairs, enumerated and evaluated.

    >>> from experiments.spec import spec_from_dict
    >>> spec = spec_from_dict({"schema_version": 1, "name": "t", "base": "systolic_32x32_ws",
    ...                        "axes": {"unit.rows": [16, 32], "phase": ["decode", "prefill"]}})
    >>> points, skipped = enumerate_points(spec)
    >>> len(points), points[0].workload.phase, points[0].design.unit.rows
    (4, 'decode', 16)

A point is a frozen :data:`arch.Design` (the base design with the axes applied by
:func:`arch.replace_path`, i.e. ``dataclasses.replace`` along dotted paths) and a frozen
:class:`experiments.spec.WorkloadSpec`; no raw dict is handled after the spec is loaded.
Its ``point_id`` is the sha256 of the two hashes of the canonical JSON of each (the design's
with its family), computed once when the point is made. Points whose formats the design cannot run
(:func:`arch.unsupported`) are skipped at enumeration and counted, not evaluated. Sweeps
plan the same points as blocks (:mod:`experiments.grid`); a search makes them one by one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np

from arch import Design, family_of, replace_path, unsupported
from arch.workloads import expand

from .spec import QsnrSpec, SweepSpec, WorkloadSpec, base_design, canonical_json, workload_field

__all__ = ["DEFAULT_QSNR", "DesignPoint", "design_hash", "enumerate_points", "iter_points", "make_point",
           "point_id", "workload_hash"]

DEFAULT_QSNR = QsnrSpec()


@dataclass(frozen=True)
class DesignPoint:
    """One design point x workload (frozen objects; they travel to worker processes)."""

    seq: int
    base: str
    design: Design
    workload: WorkloadSpec
    labels: tuple[tuple[str, Any], ...]
    point_id: str


_MEMO: dict[int, tuple[Any, str]] = {}  # id -> (object, its canonical JSON); objects are frozen


@cache
def _layout(cls: type) -> tuple[tuple[str, str], ...]:
    """(field, its JSON key and colon) of a dataclass in sorted key order (``type`` = its TYPE)."""
    names = [f.name for f in dataclasses.fields(cls) if f.init] + (["type"] if hasattr(cls, "TYPE") else [])
    return tuple((n, json.dumps(n) + ":") for n in sorted(names))


@lru_cache(maxsize=65536)
def _string(text: str) -> str:
    return json.dumps(text)


def _canonical(obj: Any) -> str:
    """The canonical JSON of a config object (``canonical_json(to_dict(obj))``, keys sorted).

    A dataclass's text is kept by identity: the designs of a sweep share every part an axis
    does not change, so each part is written once."""
    if dataclasses.is_dataclass(obj):
        hit = _MEMO.get(id(obj))
        if hit is None or hit[0] is not obj:
            parts = [key + (_string(obj.TYPE) if name == "type" else _canonical(getattr(obj, name)))
                     for name, key in _layout(type(obj))]
            if len(_MEMO) > 200_000:
                _MEMO.clear()
            hit = _MEMO[id(obj)] = (obj, "{" + ",".join(parts) + "}")
        return hit[1]
    if isinstance(obj, str):
        return _string(obj)
    if obj is None or isinstance(obj, bool):
        return {None: "null", True: "true", False: "false"}[obj]
    if isinstance(obj, int) or (isinstance(obj, float) and math.isfinite(obj)):
        return repr(obj)  # what json.dumps writes for them
    if isinstance(obj, tuple | list):
        return "[" + ",".join(map(_canonical, obj)) + "]"
    if isinstance(obj, dict):
        return "{" + ",".join(f"{_string(k)}:{_canonical(obj[k])}" for k in sorted(obj)) + "}"
    return canonical_json(obj)


def design_hash(design: Design) -> str:
    """sha256 of the canonical JSON of a design and its family."""
    text = '{"design":' + _canonical(design) + ',"family":' + json.dumps(family_of(design)) + "}"
    return hashlib.sha256(text.encode()).hexdigest()


def workload_hash(workload: WorkloadSpec) -> str:
    """sha256 of the workload's canonical JSON; the default GEMM scope is left out, so that
    points of stores written before sweeps had a scope keep their ids."""
    fields = asdict(workload)
    if fields["scope"] == "gemm":
        del fields["scope"]
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def point_id(design: Design, workload: WorkloadSpec) -> str:
    """sha256 of the design's and the workload's hashes (each of its canonical JSON)."""
    return hashlib.sha256((design_hash(design) + workload_hash(workload)).encode()).hexdigest()


def make_point(spec: SweepSpec, design_index: int, values: dict[str, Any], seq: int) -> DesignPoint:
    """The point of design ``design_index`` with axis ``values`` (axis name -> value)."""
    base = spec.designs[design_index].base
    design, workload = base_design(base), spec.workload
    for axis, value in values.items():
        field = workload_field(axis)
        if field:
            workload = replace_path(workload, field, value)
        else:
            design = replace_path(design, axis, value)
    return DesignPoint(seq, base, design, workload, tuple(values.items()), point_id(design, workload))


def supported(point: DesignPoint) -> bool:
    """False where the design has no datapath for the point's formats or scope (skipped, not failed)."""
    w = point.workload
    return unsupported(point.design, w.weight_format, w.activation_format, w.kv_format, w.scope) is None


def _grid_indices(spec: SweepSpec, total: int) -> Iterable[int]:
    if spec.sampling.method == "grid":
        return range(total)
    rng = np.random.default_rng(spec.sampling.seed)
    return np.sort(rng.choice(total, size=min(spec.sampling.count, total), replace=False)).tolist()


def _decode(index: int, names: list[str], axes: dict) -> dict[str, Any]:
    values = {}
    for name in reversed(names):  # the last axis varies fastest, as itertools.product
        index, digit = divmod(index, len(axes[name]))
        values[name] = axes[name][digit]
    return {name: values[name] for name in names}


def iter_points(spec: SweepSpec, skipped: list[int] | None = None) -> Iterator[DesignPoint]:
    """The spec's distinct, supported points in order, one at a time; unsupported points are
    counted in ``skipped[0]`` when a one-element list is given."""
    axes = [spec.design_axes(i) for i in range(len(spec.designs))]
    starts = list(itertools.accumulate([0, *(math.prod(len(v) for v in a.values()) for a in axes)]))
    seen, seq = set(), 0
    for index in _grid_indices(spec, starts[-1]):
        design = int(np.searchsorted(starts, index, side="right")) - 1
        values = _decode(index - starts[design], list(axes[design]), axes[design])
        point = make_point(spec, design, values, seq)
        if not supported(point):
            if skipped is not None:
                skipped[0] += 1
        elif point.point_id not in seen:
            seen.add(point.point_id)
            seq += 1
            yield point


def enumerate_points(spec: SweepSpec) -> tuple[list[DesignPoint], int]:
    """The spec's distinct, supported points in order, and how many unsupported were skipped."""
    skipped = [0]
    points = list(iter_points(spec, skipped))
    return points, skipped[0]


@lru_cache(maxsize=256)
def expanded(spec: WorkloadSpec):
    """The ops of a workload spec (expanded once per process)."""
    return expand(spec.model, spec.phase, spec.batch, spec.context, spec.weight_format,
                  spec.activation_format, spec.kv_format, scope=spec.scope)
