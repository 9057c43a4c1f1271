"""Tensor-core instruction kinds: which operand pairs an MMA takes, its shape and its rate.

    >>> table = load_kinds("sm100_tcgen05")
    >>> table.pick("mxfp8_e4m3", "mxfp4").name, table.pick("mxfp4", "mxfp4").name
    ('mxf8f6f4', 'mxf4')

A kind (PTX ``tcgen05.mma .kind::mxf8f6f4`` and friends) lists the formats its A and B
operands may take, the block-scale type and block size (block-scaled kinds), the MMA shapes
(M per CTA, M per CTA pair, N step and maximum, K) and the multiply-accumulates one SM
completes per cycle. :meth:`KindTable.pick` chooses, for an operand pair, the fastest kind
that takes it; a pair no kind takes is an error naming the pairs the table supports.
The tables live in ``arch/data/mma_kinds/*.yaml``, each number with its source.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from numerics import FORMATS, SCHEMES

from ..config import builtin_names, check, load_builtin
from .systolic import check_positive_int

__all__ = ["KIND_TABLES", "KindTable", "MmaKind", "load_kinds"]

_DATA = Path(__file__).resolve().parents[1] / "data" / "mma_kinds"
_SCALES = ("e8m0fnu", "ue4m3")


def _check_formats(names: tuple[str, ...], field: str) -> None:
    check(len(names) > 0, field, "must list at least one format")
    for name in names:
        check(name in FORMATS or name in SCHEMES, field,
              f"unknown format {name!r}; allowed: element formats and block schemes (bitplane formats)")


@dataclass(frozen=True)
class MmaKind:
    """One instruction kind; ``macs_per_sm_cycle`` is its dense rate on one SM."""

    name: str
    a_formats: tuple[str, ...]
    b_formats: tuple[str, ...]
    mma_m: tuple[int, ...]
    mma_n_step: int
    mma_n_max: int
    mma_k: int
    macs_per_sm_cycle: int
    source: str
    pair_mma_m: tuple[int, ...] = ()  # M of one MMA issued by a CTA pair (empty: no pairs)
    full_rate_m: int = 64  # rows per SM below which an MMA still takes the full-M time
    scale: str | None = None  # block-scale format (None: no block scaling in the MMA)
    block_size: int | None = None

    def __post_init__(self):
        _check_formats(self.a_formats, "a_formats")
        _check_formats(self.b_formats, "b_formats")
        for name in ("mma_n_step", "mma_n_max", "mma_k", "macs_per_sm_cycle", "full_rate_m"):
            check_positive_int(getattr(self, name), name)
        check(len(self.mma_m) > 0, "mma_m", "must list at least one M")
        for m in (*self.mma_m, *self.pair_mma_m):
            check_positive_int(m, "mma_m")
        check(self.mma_n_max % self.mma_n_step == 0, "mma_n_max",
              f"must be a multiple of mma_n_step ({self.mma_n_step}), not {self.mma_n_max}")
        check(self.scale is None or self.scale in _SCALES, "scale",
              f"must be one of {', '.join(_SCALES)} or absent, not {self.scale!r}")
        check((self.scale is None) == (self.block_size is None), "block_size",
              "a block-scaled kind needs both scale and block_size; an unscaled kind neither")
        check(bool(self.source.strip()), "source", "must cite where the kind comes from")

    def takes(self, a_format: str, b_format: str) -> bool:
        return a_format in self.a_formats and b_format in self.b_formats

    @property
    def n_shapes(self) -> range:
        return range(self.mma_n_step, self.mma_n_max + 1, self.mma_n_step)


@dataclass(frozen=True)
class KindTable:
    """The instruction kinds of one tensor-core generation."""

    name: str
    source: str
    kinds: tuple[MmaKind, ...]
    schema_version: int = 1

    def __post_init__(self):
        check(self.schema_version == 1, "schema_version", f"must be 1, not {self.schema_version!r}")
        check(len(self.kinds) > 0, "kinds", "must list at least one kind")
        names = [k.name for k in self.kinds]
        check(len(set(names)) == len(names), "kinds", f"names must be unique, not {names}")

    def supported_pairs(self) -> list[str]:
        """One ``kind: A formats x B formats`` line per kind."""
        return [f"{k.name}: {'|'.join(k.a_formats)} x {'|'.join(k.b_formats)}" for k in self.kinds]

    def pick(self, a_format: str, b_format: str) -> MmaKind:
        """The fastest kind that multiplies ``a_format`` by ``b_format``; ValueError if none."""
        fits = [k for k in self.kinds if k.takes(a_format, b_format)]
        if not fits:
            raise ValueError(f"{self.name} has no MMA kind for A {a_format} x B {b_format}; "
                             f"supported: {'; '.join(self.supported_pairs())}")
        return max(fits, key=lambda k: k.macs_per_sm_cycle)


KIND_TABLES: tuple[str, ...] = builtin_names(_DATA)


@functools.lru_cache(maxsize=32)
def load_kinds(name_or_path: str | Path) -> KindTable:
    """A built-in kind table (see :data:`KIND_TABLES`) by name, or a YAML file by path."""
    return load_builtin(KindTable, name_or_path, _DATA, "MMA kind table")
