"""Packing of named integer fields into the flat buses of the testbench wrappers.

A layout is a sequence of ``Field(name, width, count)``; the first field sits at bit 0 and
a field with ``count`` > 1 holds its items from bit ``offset`` upward, item 0 lowest,
as a Verilog ``bus[i*W +: W]``. Field arrays have shape (n,) or (n, count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Field:
    name: str
    width: int
    count: int = 1

    @property
    def bits(self) -> int:
        return self.width * self.count


def layout_bits(layout) -> int:
    return sum(f.bits for f in layout)


def _row_ints(values: np.ndarray, field: Field) -> list[int]:
    """Each row of a field as one integer (items packed item 0 lowest)."""
    values = np.asarray(values)
    if field.count == 1:
        return [int(v) & ((1 << field.width) - 1) for v in values.reshape(-1).tolist()]
    values = values.reshape(len(values), field.count).astype(np.uint64)
    if field.width in (8, 16, 32):
        dtype = {8: "<u1", 16: "<u2", 32: "<u4"}[field.width]
        raw = np.ascontiguousarray(values.astype(dtype))
        return [int.from_bytes(row.tobytes(), "little") for row in raw]
    mask = (1 << field.width) - 1
    rows = []
    for row in values.tolist():
        acc = 0
        for i, v in enumerate(row):
            acc |= (int(v) & mask) << (i * field.width)
        rows.append(acc)
    return rows


def pack(layout, fields: dict[str, np.ndarray], n: int) -> list[int]:
    """Rows of ``fields`` packed by ``layout`` into ``n`` integers."""
    packed = [0] * n
    offset = 0
    for field in layout:
        for i, v in enumerate(_row_ints(fields[field.name], field)):
            packed[i] |= v << offset
        offset += field.bits
    return packed


def unpack(layout, word: int) -> dict[str, int | list[int]]:
    """One packed integer back into its fields (lists for fields with count > 1)."""
    out: dict[str, int | list[int]] = {}
    offset = 0
    for field in layout:
        mask = (1 << field.width) - 1
        items = [(word >> (offset + i * field.width)) & mask for i in range(field.count)]
        out[field.name] = items[0] if field.count == 1 else items
        offset += field.bits
    return out
