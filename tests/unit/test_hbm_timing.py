"""DRAM timing limits on PIM bandwidth, the power budget, and static power in serving."""

from __future__ import annotations

from dataclasses import replace

import pytest

from arch.config import ConfigError, from_dict, to_dict
from arch.hbm import HbmDevice, load_hbm_device
from arch.hbm_timing import HbmCurrents, HbmTiming, pim_bandwidth
from sim.pim import System
from sim.serving import ServingConfig, poisson_requests, simulate_serving

TIMING = HbmTiming(tccd_l_ns=3.077, trrd_s_ns=1.538, tfaw_ns=30.0, trfc_ns=450.0, trefi_ns=3900.0)


def test_every_pim_kind_loses_refresh_time_and_none_runs_at_its_peak():
    for name in ("duplex", "bg_pim", "bank_pim"):
        limits = load_hbm_device(name).pim_limits
        assert limits.refresh_factor == pytest.approx(1 - 450 / 3900)
        assert limits.achievable_bytes_per_s < 0.9 * limits.peak_bytes_per_s


def test_activation_window_binds_all_bank_streaming_only():
    # Logic-die reader: 2.68 TB/s over 32 PCs -> 83.75 GB/s per PC -> 8.05 rows open (one 32 B
    # access per 3.077 ns each); a 1 KB row lasts 32 x 3.077 = 98.5 ns, and a PC may open
    # 4 per 30 ns = 13.1 rows in that time: no slowdown.
    assert pim_bandwidth(2.68e12, 32, 32, TIMING).activation_factor == 1.0
    # All banks (16x): 341 GB/s per PC -> 32.8 rows open, 13.1 allowed -> 0.40.
    bank = pim_bandwidth(512 * 32 / 1.5e-9, 32, 32, TIMING)
    rows_open = 512 * 32 / 1.5e-9 / 32 * 3.077e-9 / 32
    assert bank.activation_factor == pytest.approx(4 / 30 * 32 * 3.077 / rows_open)
    assert bank.activation_factor == pytest.approx(0.40, abs=0.005)


def test_power_budget_caps_the_draw():
    free = pim_bandwidth(2.68e12, 32, 32, TIMING, draw_pj_per_byte=30.0)
    capped = pim_bandwidth(2.68e12, 32, 32, TIMING, draw_pj_per_byte=30.0, power_budget_w=20.0)
    draw_w = free.achievable_bytes_per_s * 30.0e-12
    assert capped.power_factor == pytest.approx(20.0 / draw_w)
    assert capped.achievable_bytes_per_s * 30.0e-12 == pytest.approx(20.0)


def test_rated_budget_is_a_standard_stack_at_its_rated_bandwidth():
    duplex = load_hbm_device("duplex")
    # FGDRAM: 0.11 + 0.44 + 1.01 + 1.23 + 0.50 + 0.30 pJ/bit over 670 GB/s
    assert duplex.rated_stack_power_w == pytest.approx(670e9 * 8 * 3.59e-12)
    rated = replace(duplex, pim_power_budget="rated").pim_limits
    # Logic-PIM moves 8 x (3.59 - 0.30) pJ per byte to the logic die plus 4.36 MACs x 0.32 pJ
    draw_pj_per_byte = 8 * 3.29 + 21.2992e12 / 2 / 2.68e12 * 0.32
    draw_w = 2.68e12 * (1 - 450 / 3900) * draw_pj_per_byte * 1e-12
    assert rated.power_factor == pytest.approx(duplex.rated_stack_power_w / draw_w)
    assert duplex.pim_limits.power_factor == 1.0  # the built-in devices carry no budget


def test_stack_without_timing_keeps_its_column_rate_peak():
    duplex = load_hbm_device("duplex")
    bare = replace(duplex, stack=replace(duplex.stack, timing=None, currents=None))
    assert bare.pim_bandwidth_bytes_per_s == pytest.approx(5 * 2.68e12)
    assert "hbm_background" not in bare.static_power_w


def test_background_power_from_currents():
    stack = load_hbm_device("h100").stack
    standby = 16 * 1.2 * 0.055
    refresh = 16 * 1.2 * (0.250 - 0.055) * 450 / 3900
    assert stack.background_power_w == pytest.approx(standby + refresh)
    assert HbmCurrents(1.2, 55.0, 250.0).refresh_w(16, TIMING) == pytest.approx(refresh)


def test_static_power_by_component():
    assert load_hbm_device("h100").static_power_w.keys() == {"xpu_static", "hbm_background"}
    duplex = load_hbm_device("duplex").static_power_w
    assert duplex["pim_static"] == pytest.approx(5 * 1.53)
    assert duplex["xpu_static"] == 70.0


def test_serving_charges_static_power_for_the_makespan_on_every_device():
    requests = poisson_requests(6, None, 128, 8, seed=3)
    device = load_hbm_device("duplex")
    result = simulate_serving("mixtral-8x7b", System(device, 2), requests, ServingConfig(max_batch=4))
    silent = replace(device, xpu=replace(device.xpu, static_power_w=0.0),
                     stack=replace(device.stack, currents=None), pim=replace(device.pim, static_power_w=0.0))
    bare = simulate_serving("mixtral-8x7b", System(silent, 2), requests, ServingConfig(max_batch=4))
    assert bare.static_energy_pj == {} and bare.energy_pj == result.energy_pj
    watts = sum(device.static_power_w.values())
    expected_j = watts * 2 * result.makespan_ns * 1e-9
    assert sum(result.static_energy_pj.values()) * 1e-12 == pytest.approx(expected_j)
    assert result.energy_per_token_j == pytest.approx(result.dynamic_energy_per_token_j
                                                     + expected_j / result.output_tokens)


@pytest.mark.parametrize(("stack_update", "message"), [
    ({"timing": {"tccd_l_ns": 3.0, "trrd_s_ns": 1.5, "tfaw_ns": 30.0, "trfc_ns": 4000.0, "trefi_ns": 3900.0}},
     "stack.timing.trfc_ns: must be below trefi_ns (3900.0), not 4000.0"),
    ({"currents": {"vdd_v": 1.2, "idd3n_ma": 55.0, "idd5ab_ma": 0.0}},
     "stack.currents.idd5ab_ma: must be positive, not 0.0"),
])
def test_bad_timing_and_currents_are_one_line(stack_update, message):
    data = to_dict(load_hbm_device("h100"))
    data["stack"].update(stack_update)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_dict(HbmDevice, data)
