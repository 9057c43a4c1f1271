"""Event-driven fidelity (simpy): DRAM transfers overlapped with compute by double buffering.

    >>> from arch import load_accelerator
    >>> from arch.workloads import expand
    >>> acc = load_accelerator("bitmod_fp16")
    >>> result = simulate_workload_events(expand("opt-1.3b", "decode"), acc)
    >>> result.fidelity, result.cycles > 0
    ('event', True)

Each op's off-chip traffic (the totals of the analytic model) is cut into tiles of half
the weight buffer; a loader streams tiles over the DRAM channel into one of two buffer
slots, and the compute stage takes them in order, spending the op's compute cycles spread
evenly over its tiles. The loader runs ahead across op boundaries, so the next op's
weights arrive while the current op computes. Time is an integer cycle count.

An op's tiles are identical up to one cycle, so they are kept as at most three runs
(:class:`Tile` with a ``count``), never one object per tile: a prefill of a 70B model on a
small buffer has tens of millions of tiles. :func:`run_tiles` steps the pipeline's
recurrence (load ``i`` starts when load ``i - 1`` is done and slot ``i - slots`` is free;
compute ``i`` starts when load ``i`` and compute ``i - 1`` are done) tile by tile until,
within a run, one tile shifts every finish time by the same amount; from then on each
tile of the run shifts them by that amount again (the recurrence is max-plus linear), so
the rest of the run is one addition. :func:`run_tiles_simpy` is the same pipeline as two
simpy processes, one event per tile; tests hold the two equal.

Where both levels apply they agree: an op alone takes ``max(compute, memory)`` plus at
most one tile of the other (pipeline fill or drain); a workload takes at least
``max(sum compute, sum memory)`` and at most the analytic sum plus one tile per op.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import simpy

from arch import Accelerator
from arch.workloads import Workload

from .analytic import simulate_op
from .result import OpResult, WorkloadResult

__all__ = ["Tile", "run_tiles", "run_tiles_simpy", "simulate_workload_events", "tiles_of"]


@dataclass(frozen=True)
class Tile:
    """``count`` identical tiles of op ``op`` in a row."""

    op: int
    load_cycles: int
    compute_cycles: int
    count: int = 1


def tiles_of(index: int, op: OpResult, tile_bytes: float) -> list[Tile]:
    """The tiles of one op as runs: DRAM bytes cut into ``tile_bytes`` pieces, loads and compute
    spread evenly (the first ``total mod count`` tiles take one cycle more)."""
    count = max(1, math.ceil(op.dram_bytes / tile_bytes))
    (load, extra_load), (comp, extra_comp) = divmod(op.memory_cycles, count), divmod(op.compute_cycles, count)
    edges = sorted({0, extra_load, extra_comp, count})
    return [Tile(index, load + (start < extra_load), comp + (start < extra_comp), end - start)
            for start, end in zip(edges, edges[1:], strict=False)]


def _expanded(tiles: Iterable[Tile]) -> Iterator[Tile]:
    for tile in tiles:
        for _ in range(tile.count):
            yield replace(tile, count=1)


def run_tiles(tiles: Iterable[Tile], slots: int = 2) -> dict[int, int]:
    """Finish cycle of each op's last tile in the loader/compute pipeline (runs in closed form)."""
    load_end, computes, finish = 0, deque([0] * slots, maxlen=slots), {}
    for tile in tiles:
        remaining = tile.count
        while remaining:
            before = (load_end, *computes)
            load_end = max(load_end, computes[0]) + tile.load_cycles
            computes.append(max(computes[-1], load_end) + tile.compute_cycles)
            remaining -= 1
            shifts = {after - b for after, b in zip((load_end, *computes), before, strict=True)}
            if remaining and len(shifts) == 1:  # steady state: every later tile shifts by the same
                jump = shifts.pop() * remaining
                load_end, computes, remaining = load_end + jump, deque((c + jump for c in computes), slots), 0
        finish[tile.op] = computes[-1]
    return finish


def run_tiles_simpy(tiles: Iterable[Tile], slots: int = 2) -> dict[int, int]:
    """:func:`run_tiles` as two simpy processes, one event per tile (the reference)."""
    tiles = list(_expanded(tiles))
    env = simpy.Environment()
    free, ready = simpy.Container(env, capacity=slots, init=slots), simpy.Store(env)
    finish: dict[int, int] = {}

    def loader():
        for tile in tiles:
            yield free.get(1)
            yield env.timeout(tile.load_cycles)
            yield ready.put(tile)

    def compute():
        for _ in tiles:
            tile = yield ready.get()
            yield env.timeout(tile.compute_cycles)
            yield free.put(1)
            finish[tile.op] = int(env.now)

    env.process(loader())
    env.run(until=env.process(compute()))
    return finish


def simulate_workload_events(workload: Workload, acc: Accelerator) -> WorkloadResult:
    """Every op of ``workload`` on ``acc`` through the double-buffered event pipeline."""
    analytic = [simulate_op(op, workload, acc) for op in workload.ops]
    tile_bytes = acc.weight_buffer.size_bytes / 2
    finish = run_tiles(t for i, op in enumerate(analytic) for t in tiles_of(i, op, tile_bytes))
    starts = [0] + [finish[i] for i in range(len(analytic) - 1)]
    ops = tuple(replace(op, cycles=finish[i] - starts[i]) for i, op in enumerate(analytic))
    return WorkloadResult(acc.name, workload.model, workload.phase, workload.batch, workload.context,
                          acc.clock_hz, "event", ops, finish[len(analytic) - 1])
