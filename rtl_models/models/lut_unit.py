"""Unit ``lut_unit``: LUT-LLM-style lookup-accumulate (bp_lut_unit), P = 4 banks of 8-bit tables.

A beat either writes one table row or looks up: each bank gets an activation-centroid
index and, for each of the N = 4 outputs, a weight-centroid index; each output is the
sum of one entry a bank. Model: ``numerics.vq.lut_accumulate`` (the integer core of
``lut_matmul``) on the model's copy of the tables as written so far. Stimulus: every row
of every bank written (random entries, a row of 0xFF in each bank and a row of zeros),
every entry of every table read once, the largest sum (4 x 255), then random lookups with
a row rewritten before about one lookup in 20, that lookup reading the new row in its bank
(a write must reach the very next lookup). ``vectors`` counts lookups.
"""

from __future__ import annotations

import numpy as np

from numerics.vq import lut_accumulate

from .._fields import Field, pack
from .._unit import Stimulus, Unit

P, A, WC, N, EB = 4, 64, 16, 4, 8
OW = EB + 2  # bits of an output: EB + log2(P)
# Beat layouts, field order from bit 0 (tb_lut_unit.sv has the same in bit ranges):
#   write  = op 0 [0], bank [2:1], row [8:3], data [136:9] (entry w at 9 + 8w);
#   lookup = op 1 [0], a_idx [24:1] (bank p at 1 + 6p), w_idx [88:25] (bank p, output n at
#            25 + 4(4p + n)); result = out [39:0] (output n at 10n).
WRITE = (Field("op", 1), Field("bank", 2), Field("row", 6), Field("data", EB, WC))
LOOKUP = (Field("op", 1), Field("a_idx", 6, P), Field("w_idx", 4, P * N))
RESULT = (Field("out", OW, N),)
MAX_ROW, ZERO_ROW = A - 1, 7


def _write(bank: int, row: int, data: np.ndarray) -> int:
    fields = {"op": np.array([0]), "bank": np.array([bank]), "row": np.array([row]),
              "data": data.reshape(1, WC)}
    return pack(WRITE, fields, 1)[0]


def _lookup(a_idx: np.ndarray, w_idx: np.ndarray) -> int:
    fields = {"op": np.array([1]), "a_idx": a_idx.reshape(1, P), "w_idx": w_idx.reshape(1, P * N)}
    return pack(LOOKUP, fields, 1)[0]


def _planned_lookups(vectors: int, rng: np.random.Generator):
    """(a_idx [P], w_idx [P, N]) of the sweep over every entry, the maximum, then random."""
    for a in range(A):  # every entry of every table, all banks at the same (row, entry)
        for group in range(WC // N):
            yield np.full(P, a), np.tile(np.arange(N) + group * N, (P, 1))
    yield np.full(P, MAX_ROW), rng.integers(0, WC, (P, N))  # 4 x 255
    yield np.full(P, ZERO_ROW), rng.integers(0, WC, (P, N))  # 0
    for _ in range(max(0, vectors - A * WC // N - 2)):
        yield rng.integers(0, A, P), rng.integers(0, WC, (P, N))


def stimulus(vectors: int, rng: np.random.Generator, mutant: bool) -> Stimulus:
    tables = rng.integers(0, 1 << EB, (P, A, WC))
    tables[:, MAX_ROW], tables[:, ZERO_ROW] = (1 << EB) - 1, 0
    beats = [_write(p, a, tables[p, a]) for p in range(P) for a in range(A)]
    expected, lookups = [], []
    for a_idx, w_idx in _planned_lookups(vectors, rng):
        if len(lookups) > A * WC // N + 2 and rng.random() < 0.05:  # rewrite a row first
            p, a = int(rng.integers(0, P)), int(rng.integers(0, A))
            tables[p, a] = rng.integers(0, 1 << EB, WC)
            beats.append(_write(p, a, tables[p, a]))
            a_idx[p] = a  # the lookup right after the write reads the row written
        out = lut_accumulate(tables, a_idx[None, :], w_idx)[0]
        if mutant and a_idx[0] == A - 1:  # last bit flipped where bank 0 reads row A-1
            out = out ^ 1
        beats.append(_lookup(a_idx, w_idx))
        expected.append(pack(RESULT, {"out": out.reshape(1, N)}, 1)[0])
        lookups.append((a_idx, w_idx, tables[np.arange(P)[:, None], a_idx[:, None], w_idx]))

    def describe(i: int, got: int) -> str:
        a_idx, w_idx, entries = lookups[i]
        unpack = lambda word: [(word >> (n * OW)) & ((1 << OW) - 1) for n in range(N)]  # noqa: E731
        return (f"lookup {i}: a_idx={a_idx.tolist()} w_idx={w_idx.tolist()} "
                f"(entries read, [bank][output]: {entries.tolist()}); "
                f"expected out={unpack(expected[i])}, got out={unpack(got)}")

    return Stimulus(beats, expected, len(expected), describe)


UNIT = Unit(
    name="lut_unit",
    summary=f"LUT-LLM lookup-accumulate: {P} banks of {A}x{WC} {EB}-bit tables, {N} outputs a lookup",
    toplevel="tb_lut_unit",
    sources=("bp_lut_unit.sv", "tb/tb_lut_unit.sv"),
    stimulus=stimulus,
    exhaustive="every entry of every table read",
)
