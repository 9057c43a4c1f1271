"""GPU-like tensor cores: instruction kinds per operand pair, tiles, SMs, waves and capacity."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from arch import FieldError, load_accelerator
from arch.units import SmTensorCore, load_kinds
from sim import simulate_gemm
from sim.tensor_core import plan_gemm

# The MMA-issue model (sim.tensor_core): the b200 without its kernel timing, whose own
# mechanisms (operand traffic through L2, epilogue, launch) tests/unit/test_gpu_kernel.py covers.
B200_TIMED = load_accelerator("b200")
B200 = replace(B200_TIMED, unit=replace(B200_TIMED.unit, timing=None))
H800 = load_accelerator("h800")
BITS = {"mxfp8_e4m3": 8.25, "mxfp4": 4.25, "nvfp4": 4.5, "fp16": 16.0, "bf16": 16.0, "fp8_e4m3fn": 8.0,
        "fp4_e2m1fn": 4.0}


def _gemm(acc, m, n, k, a, b, **kw):
    return simulate_gemm(m, n, k, acc, a_format=a, b_format=b, a_bits=BITS[a], b_bits=BITS[b], **kw)


@pytest.mark.parametrize(("a", "b", "kind", "rate", "scale", "block"), [
    ("mxfp8_e4m3", "mxfp4", "mxf8f6f4", 8192, "e8m0fnu", 32),
    ("mxfp4", "mxfp8_e4m3", "mxf8f6f4", 8192, "e8m0fnu", 32),
    ("mxfp4", "mxfp4", "mxf4", 16384, "e8m0fnu", 32),
    ("nvfp4", "nvfp4", "mxf4nvf4", 16384, "ue4m3", 16),
    ("fp8_e4m3fn", "fp4_e2m1fn", "f8f6f4", 8192, None, None),
    ("bf16", "fp16", "f16", 4096, None, None),
])
def test_the_operand_pair_picks_the_kind(a, b, kind, rate, scale, block):
    picked = load_kinds("sm100_tcgen05").pick(a, b)
    got = (picked.name, picked.macs_per_sm_cycle, picked.scale, picked.block_size)
    assert got == (kind, rate, scale, block)


def test_the_kernel_timed_b200_runs_the_kind_of_the_pair():
    fp4 = _gemm(B200_TIMED, 8192, 8192, 8192, "mxfp4", "mxfp4")
    mixed = _gemm(B200_TIMED, 8192, 8192, 8192, "mxfp8_e4m3", "mxfp4")
    assert fp4.mapping.startswith("mxf4 ") and mixed.mapping.startswith("mxf8f6f4 ")
    assert fp4.cycles < mixed.cycles


def test_an_unsupported_pair_names_the_supported_ones():
    with pytest.raises(ValueError, match=r"no MMA kind for A fp16 x B mxfp4; supported: f16: fp16\|bf16 x "
                                         r"fp16\|bf16; .*mxf4: mxfp4 x mxfp4; mxf4nvf4: nvfp4 x nvfp4"):
        _gemm(B200, 256, 256, 256, "fp16", "mxfp4")
    with pytest.raises(ValueError, match="sm90_wgmma has no MMA kind for A mxfp4 x B mxfp4"):
        _gemm(H800, 256, 256, 256, "mxfp4", "mxfp4")


def test_b200_peak_rates_match_the_data_sheet():
    # HGX B200 dense: FP8 4.5, FP4 9, FP16 2.25 PFLOPS (2 FLOP per MAC).
    for a, b, pflops in [("mxfp8_e4m3", "mxfp4", 4.5), ("mxfp4", "mxfp4", 9.0), ("bf16", "bf16", 2.25)]:
        peak = B200.unit.macs_per_cycle(a, b) * 2 * B200.clock_hz / 1e15
        assert peak == pytest.approx(pflops, rel=2e-3)


def test_mxfp8_x_mxfp4_runs_at_the_fp8_rate_and_mxfp4_x_mxfp4_at_twice_it():
    fp8 = _gemm(B200, 8192, 8192, 8192, "mxfp8_e4m3", "mxfp4")
    fp4 = _gemm(B200, 8192, 8192, 8192, "mxfp4", "mxfp4")
    fp8_fp8 = _gemm(B200, 8192, 8192, 8192, "mxfp8_e4m3", "mxfp8_e4m3")
    assert fp8.compute_cycles == fp8_fp8.compute_cycles == 2 * fp4.compute_cycles
    assert "mxf8f6f4" in fp8.mapping and "mxf4 " in fp4.mapping
    assert fp8.actions["tc.block_scale_e8m0fnu"] == 8192 * 8192 * 8192 / 32
    nv = _gemm(B200, 8192, 8192, 8192, "nvfp4", "nvfp4")
    assert nv.actions["tc.block_scale_ue4m3"] == 8192 * 8192 * 8192 / 16


def test_a_skinny_gemm_shows_the_128_row_mma_tile():
    core = replace(B200.unit, swap_ab=False)
    plan = plan_gemm(16, 8192, 8192, core, "mxfp8_e4m3", "mxfp4", 8.25, 4.25)
    # 16 useful rows of a 128-row MMA, here a CTA pair's (which runs at the full rate of both SMs:
    # a 2-SM M = 128 MMA sustains 98 % of their peak, the SemiAnalysis UMMA sweep on B200); the
    # 8192 columns make 74 tiles of 112, one per pair.
    assert (plan.tile_m, plan.cta_group, plan.tile_n, plan.waves) == (128, 2, 112, 1)
    assert plan.utilization == pytest.approx(16 / 128 * 8192 / (74 * 112) * 0.8)  # 80 % sustained
    big = plan_gemm(8192, 8192, 8192, core, "mxfp8_e4m3", "mxfp4", 8.25, 4.25)
    assert big.utilization > 6 * plan.utilization
    # Swapping A and B puts the 16 tokens on the MMA's N side (N step 16): no padded rows.
    swapped = plan_gemm(16, 8192, 8192, B200.unit, "mxfp8_e4m3", "mxfp4", 8.25, 4.25)
    assert swapped.swapped and swapped.tile_n == 16 and swapped.compute_cycles < plan.compute_cycles


def test_one_more_column_of_tiles_costs_a_wave():
    # h800: 132 SMs, FP8 4096 MACs/SM/cycle, no CTA pairs, 80 % sustained.
    fits = _gemm(H800.unit, 128, 132 * 256, 4096, "fp8_e4m3fn", "fp8_e4m3fn")
    # 132 tiles of 128x256: one wave of 128 x 256 x 4096 / 4096 cycles.
    assert fits.compute_cycles == math.ceil(128 * 256 * 4096 / 4096 / 0.8)
    over = _gemm(H800.unit, 128, 133 * 256, 4096, "fp8_e4m3fn", "fp8_e4m3fn")
    # No tiling of 128 x 34048 fits one wave (it would need N tiles wider than 256); the best
    # is 64x104 tiles: 2 x 328 = 656 tiles = 5 waves of 64 x 104 x 4096 / 4096 cycles.
    assert over.compute_cycles == math.ceil(5 * 64 * 104 / 0.8)
    assert "64x104" in over.mapping and "5 waves" in over.mapping


def test_accumulator_and_shared_memory_capacity_limit_the_tile():
    small_tmem = replace(B200.unit, accumulator_bytes_per_sm=32 * 1024)
    plan = plan_gemm(8192, 8192, 8192, small_tmem, "bf16", "bf16", 16, 16)
    assert plan.tile_m // plan.cta_group * plan.tile_n * 4 <= 32 * 1024
    small_smem = replace(B200.unit, smem_bytes_per_sm=64 * 1024)
    plan = plan_gemm(8192, 8192, 8192, small_smem, "bf16", "bf16", 16, 16)
    assert plan.stages >= 2 and plan.stages * plan.tile_k * (plan.tile_m + plan.tile_n) * 2 <= 64 * 1024 * 2
    with pytest.raises(ValueError, match="no f16 tile fits 4096 B of shared memory"):
        plan_gemm(256, 256, 256, replace(B200.unit, smem_bytes_per_sm=4096), "bf16", "bf16", 16, 16)


def test_independent_gemms_share_the_sms():
    # 32 heads of a 1 x 128 x 256 score GEMM: one wave together, not 32 one after another.
    alone = _gemm(B200.unit, 1, 256, 128, "bf16", "bf16")
    heads = _gemm(B200.unit, 1, 256, 128, "bf16", "bf16", repeats=32, concurrent=32)
    assert heads.compute_cycles == alone.compute_cycles
    serial = _gemm(B200.unit, 1, 256, 128, "bf16", "bf16", repeats=32)
    assert serial.compute_cycles == 32 * alone.compute_cycles


def test_sm_tensor_core_validates():
    with pytest.raises(FieldError, match="kinds: unknown MMA kind table .sm42."):
        SmTensorCore(sms=1, kinds="sm42", smem_bytes_per_sm=1, accumulator_bytes_per_sm=1)
    with pytest.raises(ValueError, match="compute_efficiency: must be in"):
        replace(B200.unit, compute_efficiency=1.5)


def test_sustained_bandwidth_and_batch_guard():
    # 7.26 TB/s of TMA reads measured on B200 (90.75 % of 8 TB/s) at 1.856 GHz.
    assert B200.dram_bytes_per_cycle == pytest.approx(7.26e12 / 1.856e9)
    from sim.batch import designs_from_accelerators
    with pytest.raises(ValueError, match="b200: batch evaluation covers systolic"):
        designs_from_accelerators([B200], "mxfp4", 4.25)


def test_memory_bound_decode_gemm_on_b200_moves_the_weights_once():
    op = _gemm(B200, 1, 4096, 4096, "mxfp8_e4m3", "mxfp4")
    weights_bits = 4096 * 4096 * 4.25
    assert op.bound == "memory" and op.actions["hbm.read_bit"] == pytest.approx(weights_bits + 4096 * 8.25)
    total_bytes = (weights_bits + 4096 * 8.25 + 4096 * 16) / 8  # weights, activations in, out
    assert op.memory_cycles == math.ceil(total_bytes / B200.dram_bytes_per_cycle)
