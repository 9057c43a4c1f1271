"""Whole-layer workloads: vector ops with element counts, causal FlashAttention tiles, KV formats,
and the event engine's memory on a long prefill."""

from __future__ import annotations

import random
import tracemalloc

import pytest

from arch import load_accelerator
from arch.workloads import VectorOp, expand
from arch.workloads.layer import attention_pairs
from sim import simulate_workload
from sim.events import Tile, run_tiles, run_tiles_simpy, simulate_workload_events, tiles_of


def _ops(workload):
    return {op.name: op for op in workload.ops}


def test_gemm_scope_is_unchanged_and_the_default():
    names = [op.name for op in expand("llama-2-7b", "decode").ops]
    assert names == ["attn.q", "attn.k", "attn.v", "attn.score", "attn.context", "attn.out", "mlp.gate",
                     "mlp.up", "mlp.down", "lm_head"]


def test_causal_pairs_by_hand():
    # 4 query tiles of 2 over 4 key tiles: 1 + 2 + 3 + 4 pairs; a ragged last tile; a KV prefix.
    assert attention_pairs(8, 8, 2) == (4, 10)
    assert attention_pairs(7, 7, 2) == (4, 10)
    assert attention_pairs(4, 8, 2) == (2, 3 + 4)  # queries 4..7 of 8 see keys up to their own
    assert attention_pairs(1, 300, 128) == (1, 3)


def test_prefill_attention_skips_masked_tiles_and_keeps_scores_on_chip():
    layer, dense = (_ops(expand("llama-2-7b", "prefill", context=2048, scope=s)) for s in ("layer", "gemm"))
    tiles = 2048 // 128
    ratio = layer["attn.score"].macs / dense["attn.score"].macs
    assert ratio == pytest.approx((tiles + 1) / (2 * tiles))
    score, context = layer["attn.score"], layer["attn.context"]
    assert (score.out_dram_fraction, context.a_dram_fraction) == (0.0, 0.0)
    once = tiles / (tiles * (tiles + 1) / 2)  # Q read and output written once per query tile
    assert score.a_dram_fraction == context.out_dram_fraction == pytest.approx(once)
    acc = load_accelerator("bitmod_fp16")
    runs = {scope: {op.name: op for op in simulate_workload(
        expand("llama-2-7b", "prefill", context=2048, scope=scope), acc).ops} for scope in ("layer", "gemm")}
    scored, dense_run = runs["layer"], runs["gemm"]
    # The dense score matrix (2048 x 2048 x 16 bit per head per layer) no longer goes to DRAM,
    # nor do the probabilities come back; the output is written once per query tile.
    assert dense_run["attn.score"].actions["dram.write_bit"] == 2048 * 2048 * 16 * 32 * 32
    assert scored["attn.score"].actions["dram.write_bit"] == 0
    assert scored["attn.context"].actions["dram.write_bit"] == pytest.approx(2048 * 128 * 16 * 32 * 32)


def test_vector_ops_count_their_elements():
    w = expand("llama-3-8b", "prefill", batch=2, context=512, scope="layer", activation_format="mxfp8_e4m3",
               kv_format="fp8_e4m3fn")
    ops, tokens = _ops(w), 2 * 512
    assert ops["attn.norm"].elements == tokens * 4096 and ops["attn.norm"].special_per_element == 1 / 4096
    assert ops["attn.rotary"].elements == tokens * (4096 + 1024)
    assert ops["mlp.act"].elements == tokens * 14336 and ops["mlp.act"].read_bits == 32
    assert ops["attn.quantize"].special_per_element == 1 / 32  # one E8M0 scale per block of 32
    assert ops["attn.kv_quantize"].elements == tokens * 2 * 1024
    softmax, score = ops["attn.softmax"], ops["attn.score"]
    assert softmax.elements * softmax.repeats == score.macs / 128  # one exp per computed score
    assert ops["final_norm"].layers == 1 and ops["final_norm"].elements == 2 * 4096
    assert [op.name for op in w.ops][-2:] == ["final_norm", "lm_head"]


def test_norm_kind_and_rotary_follow_the_model():
    opt = _ops(expand("opt-1.3b", "decode", scope="layer"))
    assert "attn.rotary" not in opt and opt["attn.norm"].ops_per_element == 5  # LayerNorm, learned positions
    llama = _ops(expand("llama-2-7b", "decode", scope="layer"))
    assert llama["attn.norm"].ops_per_element == 3 and "attn.quantize" not in llama  # RMSNorm, FP16


def test_moe_layers_have_router_softmax_and_per_expert_activation():
    ops = _ops(expand("mixtral-8x7b", "decode", scope="layer"))
    assert ops["moe.router_softmax"].elements == 8 and ops["moe.act"].instances == 2.0


def test_kv_cache_format_may_differ_from_the_weights_on_b200():
    w = expand("llama-2-7b", "decode", context=1024, scope="layer", weight_format="mxfp4",
               activation_format="mxfp4", kv_format="fp8_e4m3fn")
    result = {op.name: op for op in simulate_workload(w, load_accelerator("b200")).ops}
    assert result["attn.q"].mapping.startswith("mxf4 ") and result["attn.score"].mapping.startswith("f8f6f4")
    fp16_kv = expand("llama-2-7b", "decode", context=1024, scope="layer", weight_format="mxfp4",
                     activation_format="mxfp4", kv_format="fp16")
    assert {op.name: op for op in simulate_workload(fp16_kv, load_accelerator("b200")).ops}[
        "attn.context"].mapping.startswith("f16")


def test_a_design_without_a_vector_unit_says_so():
    from dataclasses import replace
    acc = replace(load_accelerator("bitmod_fp16"), vector_unit=None)
    with pytest.raises(ValueError, match="declares no vector_unit, so it cannot run 'attn.norm'"):
        simulate_workload(expand("llama-2-7b", "decode", scope="layer"), acc)


def test_run_tiles_in_closed_form_equals_the_simpy_pipeline():
    rng = random.Random(1)
    for _ in range(200):
        tiles = [Tile(i // 2, rng.randint(0, 9), rng.randint(0, 9), rng.randint(1, 7))
                 for i in range(rng.randint(1, 9))]
        assert run_tiles(tiles) == run_tiles_simpy(tiles)


def test_tiles_of_keeps_runs_not_tiles():
    acc = load_accelerator("bitmod_fp16")
    op = simulate_workload(expand("llama-2-7b", "prefill", context=1024), acc).ops[-2]
    runs = tiles_of(0, op, acc.weight_buffer.size_bytes / 2)
    assert len(runs) <= 3 and sum(t.count for t in runs) > 1000
    assert sum(t.count * t.load_cycles for t in runs) == op.memory_cycles
    assert sum(t.count * t.compute_cycles for t in runs) == op.compute_cycles


def test_llama_3_70b_prefill_at_4096_event_level_stays_small():
    tracemalloc.start()
    try:
        w = expand("llama-3-70b", "prefill", context=4096, scope="layer")
        result = simulate_workload_events(w, load_accelerator("bitmod_fp16"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    analytic = simulate_workload(w, load_accelerator("bitmod_fp16"))
    assert peak < 50e6  # bytes; one object per DRAM tile would need tens of gigabytes here
    lower = max(sum(op.compute_cycles for op in analytic.ops), sum(op.memory_cycles for op in analytic.ops))
    assert lower <= result.cycles <= analytic.cycles + sum(max(op.compute_cycles, op.memory_cycles) for op in
                                                           analytic.ops)
    assert isinstance(w.ops[0], VectorOp)


def test_quantize_runs_on_the_block_quantizer_where_the_design_has_one():
    acc = load_accelerator("mx_tensor_core")
    runs = {fmt: {op.name: op for op in simulate_workload(
        expand("llama-2-7b", "decode", scope="layer", weight_format="mxfp4", activation_format=fmt), acc).ops}
        for fmt in ("mxfp8_e4m3", "nvfp4")}
    quant = runs["mxfp8_e4m3"]["attn.quantize"]
    assert quant.mapping == "block quantizer" and quant.compute_cycles == 4096 // 32 * 32  # 32 layers
    assert quant.actions == {"quantizer.block_mxfp8_e4m3": 4096 / 32 * 32, "dram.read_bit": 0.0,
                             "dram.write_bit": 0.0}
    assert quant.energy_pj["quantizer"] == pytest.approx(4096 / 32 * 32 * 17.19)
    # No NVFP4 quantizer RTL: that step runs on the vector lanes (5 operations per element).
    nv = runs["nvfp4"]["attn.quantize"]
    assert nv.mapping == "vector unit" and nv.actions["vector.op"] == 5 * 4096 * 32
    assert nv.actions["vector.special"] == pytest.approx(4096 / 16 * 32)  # one UE4M3 scale per 16
