"""Cycle, traffic and energy models of sim/, and the two fidelity levels against each other."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arch import BitSerialArray, MXTensorCore, SystolicArray, load_accelerator
from arch.workloads import expand
from sim import compute_cycles, simulate_gemm, simulate_workload
from sim.events import Tile, run_tiles, simulate_workload_events, tiles_of
from sim.traffic import gemm_traffic


def test_bit_serial_cycles_are_tiles_times_serial_passes():
    array = BitSerialArray(rows=64, cols=16, dot_width=4, bits_per_cycle=2)
    tiles = math.ceil(4096 / 64) * math.ceil(1 / 16) * math.ceil(11008 / 4)
    for bits, passes in ((3.0625, 2), (4.0625, 2), (6.0625, 3), (8, 4)):
        result = simulate_gemm(1, 4096, 11008, array, b_bits=bits)
        assert result.compute_cycles == tiles * passes
    parallel = BitSerialArray(rows=64, cols=16, dot_width=1, bits_per_cycle=0)
    assert simulate_gemm(1, 4096, 11008, parallel, b_bits=16).compute_cycles == 64 * 11008


def test_mx_tensor_core_rates_and_unsupported_formats():
    core = MXTensorCore(rows=8, cols=8, dot_width=32)
    fp8 = simulate_gemm(64, 64, 4096, core, b_format="mxfp8_e4m3").compute_cycles
    fp4 = simulate_gemm(64, 64, 4096, core, b_format="mxfp4").compute_cycles
    assert fp8 == 8 * 8 * 4096 // 32 + 3 and fp4 == 8 * 8 * 4096 // 64 + 3
    # FP16/BF16 run at half the 8-bit rate (an FP16 KV cache works on the MX core).
    fp16 = simulate_gemm(64, 64, 4096, core, b_format="fp16").compute_cycles
    assert fp16 == 8 * 8 * 4096 // 16 + 3
    with pytest.raises(ValueError, match="does not support 'int4_group'; it supports: bf16"):
        simulate_gemm(64, 64, 64, core, b_format="int4_group")


def test_mx_tensor_core_pair_runs_at_the_slower_operand_rate():
    core = MXTensorCore(rows=8, cols=8, dot_width=32)
    cycles = {(a, b): simulate_gemm(64, 64, 4096, core, a_format=a, b_format=b).compute_cycles
              for a, b in [("mxfp8_e4m3", "mxfp4"), ("mxfp4", "mxfp4"), ("mxfp4", "mxfp8_e4m3"),
                           ("fp16", "mxfp4"), ("fp16", "fp16")]}
    fp8_rate, fp4_rate = 8 * 8 * 4096 // 32 + 3, 8 * 8 * 4096 // 64 + 3
    assert cycles[("mxfp8_e4m3", "mxfp4")] == cycles[("mxfp4", "mxfp8_e4m3")] == fp8_rate
    assert cycles[("mxfp4", "mxfp4")] == fp4_rate
    assert cycles[("fp16", "mxfp4")] == fp4_rate  # a plain-float A is quantized to B's scheme on the fly
    assert cycles[("fp16", "fp16")] == 8 * 8 * 4096 // 16 + 3


def test_dram_traffic_picks_the_cheaper_loop_order():
    kib = 1024
    # A fits: everything read once.
    t = gemm_traffic(4, 1024, 1024, 16, 16, 16, 8, 8, "ws", 1, 64 * kib, 64 * kib)
    assert t.dram_read_bits == (4 * 1024 + 1024 * 1024) * 16 and t.dram_write_bits == 4 * 1024 * 16
    # Neither fits: B is 2 MiB (32 weight-buffer loads), A is 256 KiB (4 input-buffer loads).
    a_bits, b_bits = 128 * 1024 * 16, 1024 * 1024 * 16
    t = gemm_traffic(128, 1024, 1024, 16, 16, 16, 8, 8, "ws", 1, 64 * kib, 64 * kib)
    assert t.dram_read_bits == min(a_bits * 32 + b_bits, a_bits + b_bits * 4)


def test_energy_is_action_counts_times_table():
    acc = load_accelerator("bitmod_fp16")
    result = simulate_gemm(1, 4096, 4096, acc, b_bits=16)
    table = acc.energy
    expected = {"dram": (result.actions["dram.read_bit"] + result.actions["dram.write_bit"]) * 18.75,
                "fp16_pe": result.actions["fp16_pe.cycle"] * table.energy_pj("fp16_pe.cycle")}
    assert result.energy_pj["dram"] == pytest.approx(expected["dram"])
    assert result.energy_pj["fp16_pe"] == pytest.approx(expected["fp16_pe"])
    assert result.actions["fp16_pe.cycle"] == 64 * 12 * result.compute_cycles


def test_op_is_bounded_by_compute_or_memory():
    acc = load_accelerator("bitmod_fp16")
    decode = simulate_gemm(1, 4096, 4096, acc)  # GEMV: weight streaming dominates
    prefill = simulate_gemm(256, 4096, 4096, acc)
    assert decode.bound == "memory" and decode.cycles == decode.memory_cycles
    assert prefill.bound == "compute" and prefill.cycles == prefill.compute_cycles


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.integers(1, 300), st.integers(1, 40), st.integers(1, 40),
       st.sampled_from(["ws", "os", "is"]))
def test_vectorized_cycles_equal_scalar(m, n, k, rows, cols, dataflow):
    scalar = simulate_gemm(m, n, k, SystolicArray(rows=rows, cols=cols, dataflow=dataflow)).compute_cycles
    codes = {"ws": 0, "os": 1, "is": 2}
    vector = compute_cycles(np.array([m, 1]), np.array([n, 1]), np.array([k, 1]), rows, cols,
                            np.array([codes[dataflow]] * 2))
    # SCALE-Sim reports the last cycle index, hence the + 1 in the work bound.
    assert vector[0] == scalar and scalar + 1 >= math.ceil(m * n * k / (rows * cols))


def test_pipeline_of_tiles_by_hand():
    # Two slots: loads 5, 5, 5; computes 1, 1, 1 -> memory bound, last compute ends at 16.
    assert run_tiles([Tile(0, 5, 1)] * 3) == {0: 16}
    # Compute bound: first load 1 then three computes of 5 -> 16.
    assert run_tiles([Tile(0, 1, 5)] * 3) == {0: 16}


@pytest.mark.parametrize("m", [1, 64, 512])
def test_event_level_agrees_with_analytic_per_op(m):
    acc = load_accelerator("bitmod_fp16")
    op = simulate_gemm(m, 4096, 4096, acc)
    tiles = tiles_of(0, op, acc.weight_buffer.size_bytes / 2)
    measured = run_tiles(tiles)[0]
    one_tile = max(max(t.load_cycles, t.compute_cycles) for t in tiles)
    assert op.cycles <= measured <= op.cycles + one_tile


@pytest.mark.parametrize("phase", ["decode", "prefill"])
def test_event_level_agrees_with_analytic_per_workload(phase):
    acc = load_accelerator("systolic_32x32_ws")
    workload = expand("opt-1.3b", phase, context=64)
    analytic = simulate_workload(workload, acc)
    events = simulate_workload_events(workload, acc)
    lower = max(sum(op.compute_cycles for op in analytic.ops), sum(op.memory_cycles for op in analytic.ops))
    slack = sum(max(t.load_cycles, t.compute_cycles) for i, op in enumerate(analytic.ops)
                for t in tiles_of(i, op, acc.weight_buffer.size_bytes / 2)[:1])
    assert lower <= events.cycles <= analytic.cycles + slack
    assert events.total_energy_pj == pytest.approx(analytic.total_energy_pj)
    assert simulate_workload_events(workload, acc).cycles == events.cycles  # deterministic


def test_workload_frame_is_tidy():
    result = simulate_workload(expand("llama-2-7b", "decode"), load_accelerator("bitmod_fp16"))
    frame = result.to_frame()
    assert len(frame) == len(result.ops) and frame.cycles.sum() == result.cycles
    assert frame.energy_pj.sum() == pytest.approx(result.total_energy_pj)
    assert {"energy_dram_pj", "energy_fp16_pe_pj"} <= set(frame.columns)


def test_per_group_dequantization_cost_is_paid_once_per_group_per_fold():
    hidden = BitSerialArray(rows=64, cols=16, dot_width=4, bits_per_cycle=2)
    exposed = BitSerialArray(rows=64, cols=16, dot_width=4, bits_per_cycle=2, dequant_cycles_per_group=3)
    base = simulate_gemm(1, 4096, 4096, hidden, b_bits=3.0625).compute_cycles
    folds = math.ceil(4096 / 64) * math.ceil(1 / 16)
    assert simulate_gemm(1, 4096, 4096, exposed, b_bits=3.0625).compute_cycles == base + folds * 32 * 3
