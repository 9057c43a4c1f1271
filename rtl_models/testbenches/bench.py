"""The cocotb testbench every unit shares: driver, monitor, model and in-order scoreboard.

Run by ``rtl_models.runner`` inside the simulator; it reads its job from the environment
(BITPLANE_RTL_UNIT, _VECTORS, _SEED, _MUTANT, _SUMMARY, and _PREFIX: the unit's port prefix
in a model of several units), builds the unit's stimulus with
the models of ``numerics`` (``rtl_models.models``), drives it through the wrapper's
valid/ready port and writes a JSON summary that the runner reads back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from rtl_models.models import get_unit

DRAIN_CYCLES = 2000  # cycles to wait for outstanding results after the last beat


@dataclass(frozen=True)
class Ports:
    """Handles of one wrapper's ports (``prefix`` + clk, in_valid, ... on the top)."""

    clk: object
    in_valid: object
    in_ready: object
    in_data: object
    out_valid: object
    out_data: object

    @classmethod
    def of(cls, dut, prefix: str = "") -> Ports:
        return cls(*(getattr(dut, prefix + name) for name in cls.__dataclass_fields__))


def _high(handle) -> bool:
    return str(handle.value) == "1"  # X/Z before the first edges count as low


class Driver:
    """Puts beats on in_data/in_valid; a beat moves at a rising edge with in_ready high.

    Signals change on the falling edge, half a cycle away from the DUT's sampling edge;
    in_ready depends on DUT state only, so its falling-edge value holds at the next edge.
    While the DUT is busy the driver sleeps until in_ready rises (no wake-up a cycle).
    """

    def __init__(self, ports: Ports, beats: list[int]):
        self.ports, self.beats = ports, beats

    async def run(self) -> None:
        p = self.ports
        clk, data, valid, ready = p.clk, p.in_data, p.in_valid, p.in_ready
        valid.value = 0
        high = False
        for beat in self.beats:
            await FallingEdge(clk)
            while not _high(ready):
                if high:
                    valid.value = high = 0
                await RisingEdge(ready)
                await FallingEdge(clk)
            data.value = beat
            if not high:
                valid.value = high = 1
        await FallingEdge(clk)
        valid.value = 0


class Monitor:
    """Samples out_data on every cycle with out_valid high and hands it to ``callback``;
    while out_valid is low it sleeps until it rises."""

    def __init__(self, ports: Ports, callback):
        self.ports, self.callback = ports, callback

    async def run(self) -> None:
        clk, valid, data = self.ports.clk, self.ports.out_valid, self.ports.out_data
        while True:
            await FallingEdge(clk)
            if _high(valid):
                self.callback(int(data.value))
            else:
                await RisingEdge(valid)


class Scoreboard:
    """Compares results with the expected words in order; keeps the first mismatch."""

    def __init__(self, expected: list[int], describe):
        self.expected, self.describe = expected, describe
        self.received = 0
        self.mismatches = 0
        self.first_mismatch: str | None = None

    def __call__(self, got: int) -> None:
        i = self.received
        self.received += 1
        if i >= len(self.expected):
            self.mismatches += 1
            self.first_mismatch = self.first_mismatch or f"unexpected extra result {got:#x}"
        elif got != self.expected[i]:
            self.mismatches += 1
            self.first_mismatch = self.first_mismatch or self.describe(i, got)

    @property
    def done(self) -> bool:
        return self.received >= len(self.expected)


@cocotb.test()
async def check_unit(dut):
    """Drive the unit's vectors and compare every result with the numerics model."""
    unit = get_unit(os.environ["BITPLANE_RTL_UNIT"])
    vectors = int(os.environ["BITPLANE_RTL_VECTORS"])
    seed = int(os.environ["BITPLANE_RTL_SEED"])
    mutant = os.environ.get("BITPLANE_RTL_MUTANT", "0") == "1"
    dut._log.info("unit %s: seed %d, %d vectors requested, mutant model %s",
                  unit.name, seed, vectors, mutant)
    ports = Ports.of(dut, os.environ.get("BITPLANE_RTL_PREFIX", ""))
    stim = unit.stimulus(vectors, np.random.default_rng(seed), mutant)
    scoreboard = Scoreboard(stim.expected, stim.describe)
    cocotb.start_soon(Clock(ports.clk, 10, unit="ns").start())
    cocotb.start_soon(Monitor(ports, scoreboard).run())
    await Driver(ports, stim.beats).run()
    for _ in range(DRAIN_CYCLES):
        if scoreboard.done:
            break
        await FallingEdge(ports.clk)
    summary = {
        "unit": unit.name, "seed": seed, "vectors": stim.vectors, "results": scoreboard.received,
        "expected_results": len(stim.expected), "mismatches": scoreboard.mismatches,
        "first_mismatch": scoreboard.first_mismatch,
    }
    if not scoreboard.done and scoreboard.first_mismatch is None:
        summary["first_mismatch"] = (f"only {scoreboard.received} of {len(stim.expected)} "
                                     "results arrived")
    with open(os.environ["BITPLANE_RTL_SUMMARY"], "w") as f:
        json.dump(summary, f)
    assert scoreboard.done, summary["first_mismatch"]
    assert scoreboard.mismatches == 0, f"{scoreboard.mismatches} mismatches; first: " \
        f"{scoreboard.first_mismatch}"
