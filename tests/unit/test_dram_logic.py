"""Logic in the DRAM process: PIM units on a DRAM die run at the die's column rate and take
cell capacity, priced from Samsung's HBM-PIM; Logic-PIM on the logic die pays neither."""

from __future__ import annotations

from dataclasses import replace

import pytest

from arch.config import ConfigError, FieldError
from arch.hbm import load_dram_logic, load_hbm_device
from arch.hbm_timing import DramLogic


def test_the_reference_is_hbm_pim_as_built():
    ref = load_dram_logic("hbm2_pim")
    # 4 PIM dies x 512 FP16 lanes x 2 FLOP x 300 MHz: the ISSCC title's 1.2 TFLOPS per stack
    assert 4 * ref.mac_lanes_per_die * 2 * ref.pim_clock_hz == pytest.approx(1.2e12, rel=0.03)
    # its PCU clock is its HBM2's same-bank-group column rate: 4 clocks of 1.2 GHz
    assert ref.column_clocks == pytest.approx(1.0, abs=1e-6)
    # a PIM die keeps half its cells: 4 x 8 Gb + 4 x 4 Gb = 6 GB
    assert (4 * 8 + 4 * 8 * (1 - ref.die_share_lost)) / 8 == pytest.approx(6.0)
    assert ref.die_share_per_mac_lane == pytest.approx(1 / 1024)


def test_dram_die_units_run_at_the_column_rate_and_logic_die_units_do_not():
    duplex, bg, bank = (load_hbm_device(n) for n in ("duplex", "bg_pim", "bank_pim"))
    tccd_l_ns = bg.stack.timing.tccd_l_ns
    assert duplex.pim_clock_hz == duplex.pim.clock_hz == 650e6  # logic die: the paper's clock
    for device in (bg, bank):
        assert device.pim.clock_hz == 650e6  # as the paper sizes them ...
        assert device.pim_clock_hz == pytest.approx(1e9 / tccd_l_ns)  # ... as the DRAM process runs them
        lanes = device.stacks * device.pim.macs_per_cycle
        assert device.pim_flops == pytest.approx(2 * lanes * 1e9 / tccd_l_ns)
    assert bg.pim_flops == pytest.approx(duplex.pim_flops * (1e9 / tccd_l_ns) / 650e6)  # half of Logic-PIM


def test_dram_die_units_take_cells_and_the_baselines_do_not_fit():
    duplex, bg, bank = (load_hbm_device(n) for n in ("duplex", "bg_pim", "bank_pim"))
    assert duplex.pim_capacity_share == 0.0
    # lanes x (half a die per 512 lanes) over 8 dies
    assert bg.pim_capacity_share == pytest.approx(16384 / 1024 / 8)  # 2.0: twice the stack
    assert bank.pim_capacity_share == pytest.approx(8192 / 1024 / 8)  # 1.0: the whole stack
    small = replace(bg, pim=replace(bg.pim, macs_per_unit=16))  # HBM-PIM's lanes per bank pair, per BG
    assert small.pim_capacity_share == pytest.approx(128 * 16 / 1024 / 8)


def test_dropping_the_dram_process_gives_the_dram_die_units_logic_die_speed():
    bg = load_hbm_device("bg_pim")
    free = replace(bg, dram_logic=None)
    assert free.pim_clock_hz == 650e6 and free.pim_capacity_share == 0.0
    assert free.pim_flops == pytest.approx(2 * bg.pim_flops, rel=0.01)


def test_a_reference_is_validated():
    with pytest.raises(FieldError, match="die_share_lost: must be in"):
        DramLogic(pim_clock_hz=3e8, tccd_l_ns=3.3, mac_lanes_per_die=512, die_share_lost=1.5)
    with pytest.raises(FieldError, match="tccd_l_ns: must be positive"):
        DramLogic(pim_clock_hz=3e8, tccd_l_ns=0, mac_lanes_per_die=512, die_share_lost=0.5)
    with pytest.raises(ConfigError, match="unknown DRAM logic reference 'nope'"):
        load_dram_logic("nope")
