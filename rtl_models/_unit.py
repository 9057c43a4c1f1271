"""What a checked RTL unit is: a testbench wrapper plus a stimulus/model generator.

Every wrapper (``hdl/tb/tb_<unit>.sv``) has the same ports: ``clk``, ``in_valid``,
``in_ready``, ``in_data``, ``out_valid``, ``out_data``. A beat moves when ``in_valid`` and
``in_ready`` are both high at a rising edge; each ``out_valid`` cycle carries one result,
in input order. ``Stimulus`` holds the beats, the expected results (from the models in
``numerics``) and a way to print the vector behind any result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._fields import Field, layout_bits, pack, unpack


@dataclass(frozen=True)
class Stimulus:
    """beats: input words in order; expected: one output word per result, in order.

    vectors: how many input vectors the results check; describe(i, got) prints result i's
    vector in full with the expected and the received word.
    """

    beats: list[int]
    expected: list[int]
    vectors: int
    describe: Callable[[int, int], str]


@dataclass(frozen=True)
class Unit:
    """A checked unit: name, wrapper module, HDL files (relative to ``hdl/``) and its
    stimulus builder ``stimulus(vectors, rng, mutant) -> Stimulus``."""

    name: str
    summary: str
    toplevel: str
    sources: tuple[str, ...]
    stimulus: Callable[[int, np.random.Generator, bool], Stimulus]
    exhaustive: str = ""


@dataclass(frozen=True)
class Lane:
    """One independent datapath inside a one-beat-per-vector wrapper.

    generate(vectors, rng) -> dict of input field arrays (any number of rows: an exhaustive
    lane returns its whole input space); model(inputs, mutant) -> dict of output field
    arrays. Lanes sit in the wrapper's buses in list order, lane 0 lowest.
    """

    name: str
    inputs: tuple[Field, ...]
    outputs: tuple[Field, ...]
    generate: Callable[[int, np.random.Generator], dict[str, np.ndarray]]
    model: Callable[[dict[str, np.ndarray], bool], dict[str, np.ndarray]]


def lane_stimulus(lanes, vectors: int, rng: np.random.Generator, mutant: bool,
                  copies: int = 1) -> Stimulus:
    """Stimulus for a wrapper of ``copies`` blocks of ``lanes`` (one vector per lane per block
    per beat). Beat j carries vector j * copies + c in block c (block 0 lowest); a lane
    with fewer vectors than the longest repeats its last one (an unchanged input costs an
    event-driven simulator nothing), and only distinct vectors are counted."""
    generated = [lane.generate(vectors, rng) for lane in lanes]
    counts = [len(next(iter(g.values()))) for g in generated]
    n = -(-max(counts) // copies) * copies
    words_in, words_out = [0] * n, [0] * n
    in_off = out_off = 0
    inputs = []
    for lane, fields in zip(lanes, generated, strict=True):
        fields = {k: _pad(np.asarray(v), n) for k, v in fields.items()}
        outs = lane.model(fields, mutant)
        for i, w in enumerate(pack(lane.inputs, fields, n)):
            words_in[i] |= w << in_off
        for i, w in enumerate(pack(lane.outputs, outs, n)):
            words_out[i] |= w << out_off
        inputs.append(fields)
        in_off += layout_bits(lane.inputs)
        out_off += layout_bits(lane.outputs)
    block_in, block_out = in_off, out_off
    beats = [_join(words_in[j:j + copies], block_in) for j in range(0, n, copies)]
    expected = [_join(words_out[j:j + copies], block_out) for j in range(0, n, copies)]

    def describe(i: int, got: int) -> str:
        lines = []
        for c in range(copies):
            v = i * copies + c
            have = (got >> (c * block_out)) & ((1 << block_out) - 1)
            if have != words_out[v]:
                lines.append(f"vector {v}: " + _describe_block(lanes, words_in[v], words_out[v], have))
        return "; ".join(lines[:1]) + (f" (and {len(lines) - 1} more in this beat)" if len(lines) > 1 else "")

    return Stimulus(beats, expected, sum(counts), describe)


def _pad(values: np.ndarray, n: int) -> np.ndarray:
    if len(values) >= n:
        return values[:n]
    return np.concatenate([values, np.repeat(values[-1:], n - len(values), axis=0)])


def _join(words: list[int], width: int) -> int:
    out = 0
    for c, w in enumerate(words):
        out |= w << (c * width)
    return out


def _describe_block(lanes, word_in: int, want_all: int, have_all: int) -> str:
    lines = []
    in_off = out_off = 0
    for lane in lanes:
        in_w, out_w = layout_bits(lane.inputs), layout_bits(lane.outputs)
        want = (want_all >> out_off) & ((1 << out_w) - 1)
        have = (have_all >> out_off) & ((1 << out_w) - 1)
        if want != have:
            vec = unpack(lane.inputs, (word_in >> in_off) & ((1 << in_w) - 1))
            lines.append(f"lane {lane.name}: inputs {_hex(vec, lane.inputs)}; "
                         f"expected {_hex(unpack(lane.outputs, want), lane.outputs)}, "
                         f"got {_hex(unpack(lane.outputs, have), lane.outputs)}")
        in_off += in_w
        out_off += out_w
    return "; ".join(lines)


def _hex(values: dict, layout) -> str:
    parts = []
    for field in layout:
        digits = max(1, -(-field.width // 4))
        v = values[field.name]
        text = ("[" + " ".join(f"{x:0{digits}x}" for x in v) + "]") if isinstance(v, list) \
            else f"0x{v:0{digits}x}"
        parts.append(f"{field.name}={text}")
    return " ".join(parts)
