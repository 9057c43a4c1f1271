"""Event-driven fidelity (simpy): DRAM transfers overlapped with compute by double buffering.

    >>> from arch import load_accelerator
    >>> from arch.workloads import expand
    >>> acc = load_accelerator("bitmod_fp16")
    >>> result = simulate_workload_events(expand("opt-1.3b", "decode"), acc)
    >>> result.fidelity, result.cycles > 0
    ('event', True)

Each op's off-chip traffic (the totals of the analytic model) is cut into tiles of half
the weight buffer; a loader process streams tiles over the DRAM channel into one of two
buffer slots, and the compute process takes them in order, spending the op's compute
cycles spread evenly over its tiles. The loader runs ahead across op boundaries, so the
next op's weights arrive while the current op computes. Time is an integer cycle count.

Where both levels apply they agree: an op alone takes ``max(compute, memory)`` plus at
most one tile of the other (pipeline fill or drain); a workload takes at least
``max(sum compute, sum memory)`` and at most the analytic sum plus one tile per op.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import simpy

from arch import Accelerator
from arch.workloads import Workload

from .analytic import simulate_op
from .result import OpResult, WorkloadResult

__all__ = ["Tile", "run_tiles", "simulate_workload_events", "tiles_of"]


@dataclass(frozen=True)
class Tile:
    op: int
    load_cycles: int
    compute_cycles: int


def _split(total: int, parts: int) -> list[int]:
    """``total`` cut into ``parts`` integers that differ by at most one and sum to it."""
    base, extra = divmod(total, parts)
    return [base + (i < extra) for i in range(parts)]


def tiles_of(index: int, op: OpResult, tile_bytes: float) -> list[Tile]:
    """The tiles of one op: DRAM bytes cut into ``tile_bytes`` pieces, compute spread evenly."""
    count = max(1, math.ceil(op.dram_bytes / tile_bytes))
    loads, computes = _split(op.memory_cycles, count), _split(op.compute_cycles, count)
    return [Tile(index, load, comp) for load, comp in zip(loads, computes, strict=True)]


def run_tiles(tiles: list[Tile], slots: int = 2) -> dict[int, int]:
    """Simulate the loader/compute pipeline; returns the finish cycle of each op's last tile."""
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
    tiles = [t for i, op in enumerate(analytic) for t in tiles_of(i, op, tile_bytes)]
    finish = run_tiles(tiles)
    starts = [0] + [finish[i] for i in range(len(analytic) - 1)]
    ops = tuple(replace(op, cycles=finish[i] - starts[i]) for i, op in enumerate(analytic))
    return WorkloadResult(acc.name, workload.model, workload.phase, workload.batch, workload.context,
                          acc.clock_hz, "event", ops, finish[len(analytic) - 1])
