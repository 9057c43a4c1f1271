"""LLM workloads: model configs as data, parameter counts, op expansion, format bits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arch.config import ConfigError, FieldError, load_yaml, to_dict
from arch.workloads import MODELS, ModelConfig, Op, Workload, expand, format_bits, load_model
from arch.workloads.expand import expected_active_experts
from arch.workloads.models import MODELS_DIR
from numerics import quantize

# Published sizes (billions of parameters): total and, for MoE models, activated per token.
PUBLISHED_PARAMS_B = {
    "opt-1.3b": 1.3,      # OPT paper, Table 1
    "opt-66b": 66.0,      # OPT paper, Table 1
    "phi-2": 2.7,         # Phi-2 model card
    "yi-6b": 6.06,        # Yi paper / model card (6B)
    "llama-2-7b": 6.74,   # Llama 2 (7B; 6.74B as counted by transformers)
    "llama-2-13b": 13.0,  # Llama 2
    "llama-3-8b": 8.03,   # Llama 3 model card (8B)
    "llama-3-70b": 70.6,  # Llama 3 model card (70B)
    "qwen3-1.7b": 1.7,    # Qwen3-1.7B model card: 1.7B (1.4B non-embedding), tied embeddings
    "mixtral-8x7b": 46.7,  # Mixtral paper: 47B total (46.7B), 13B active (12.9B)
    "grok-1": 314.0,      # xai-org/grok-1 README
    "glam": 1200.0,       # GLaM paper, Table 4: 1.2T total, 96.6B activated
}
PUBLISHED_ACTIVE_B = {"mixtral-8x7b": 12.9, "glam": 96.6}


def linear_macs(workload: Workload) -> float:
    return sum(op.macs for op in workload.ops if op.kind == "linear")


def op(workload: Workload, name: str) -> Op:
    (found,) = [o for o in workload.ops if o.name == name]
    return found


# --- model configs ------------------------------------------------------------------------

def test_builtin_models_listed():
    assert tuple(sorted(PUBLISHED_PARAMS_B)) == MODELS


@pytest.mark.parametrize("name", MODELS)
def test_builtin_model_loads(name):
    model = load_model(name)
    assert model.name == name
    assert model.schema_version == 1
    assert model.source
    assert model.heads % model.kv_heads == 0
    assert load_model(MODELS_DIR / f"{name}.yaml") == model


@pytest.mark.parametrize("name", MODELS)
def test_params_match_published(name):
    model = load_model(name)
    assert model.params / 1e9 == pytest.approx(PUBLISHED_PARAMS_B[name], rel=0.04)
    if name in PUBLISHED_ACTIVE_B:
        assert model.active_params / 1e9 == pytest.approx(PUBLISHED_ACTIVE_B[name], rel=0.02)
    elif not model.is_moe:
        assert model.active_params == model.params


def test_exact_counts_of_known_models():
    # weights only: transformers counts 6_738_415_616 and 8_030_261_248 with the norm weights
    assert load_model("llama-2-7b").params == 6_738_149_376
    assert load_model("llama-3-8b").params == 8_029_995_008
    assert load_model("qwen3-1.7b").params == 1_720_451_072


def test_key_numbers():
    llama3 = load_model("llama-3-8b")
    assert (llama3.hidden, llama3.layers, llama3.kv_heads, llama3.ffn, llama3.vocab) == (
        4096, 32, 8, 14336, 128256)
    qwen = load_model("qwen3-1.7b")
    assert (qwen.layers, qwen.hidden, qwen.ffn, qwen.heads, qwen.kv_heads, qwen.head_dim, qwen.vocab) == (
        28, 2048, 6144, 16, 8, 128, 151936)
    grok = load_model("grok-1")
    assert (grok.layers, grok.hidden, grok.heads, grok.kv_heads, grok.experts, grok.ffn) == (
        64, 6144, 48, 8, 8, 32768)
    glam = load_model("glam")
    assert (glam.moe_layers, glam.dense_layers, glam.q_dim) == (32, 32, 16384)
    assert load_model("yi-6b").kv_heads == 4
    assert load_model("phi-2").head_dim == 80


def test_model_round_trips_through_dict():
    model = load_model("glam")
    assert ModelConfig(**to_dict(model)) == model


def test_unknown_model_names_choices():
    with pytest.raises(ValueError, match=r"unknown model 'llama-9'; built-in models: glam, grok-1"):
        load_model("llama-9")


# --- bad YAML -------------------------------------------------------------------------------

GOOD_YAML = """\
schema_version: 1
name: tiny
source: test
hidden: 64
layers: 2
heads: 4
kv_heads: 2
ffn: 128
ffn_kind: gated
vocab: 100
max_context: 32
"""


def write(tmp_path, text):
    path = tmp_path / "model.yaml"
    path.write_text(text)
    return path


def test_user_yaml_loads(tmp_path):
    model = load_model(write(tmp_path, GOOD_YAML))
    assert (model.head_dim, model.q_dim, model.kv_dim) == (16, 64, 32)
    assert model.expert_ffn_kind == "gated"


@pytest.mark.parametrize(("old", "new", "message"), [
    ("ffn: 128\n", "ffn: 128\nfnn: 3\n", r":9: fnn: unknown field; allowed: expert_ffn_kind, experts, "),
    ("layers: 2\n", "layers: 2\nlayers: 3\n", r":6: duplicate key 'layers' \(first at line 5\)"),
    ("hidden: 64\n", "hidden: -64\n", r":4: hidden: must be a positive integer, not -64"),
    ("heads: 4\n", "heads: 6\n", r":6: heads: must divide hidden \(64\) when head_dim is not given, not 6"),
    ("kv_heads: 2\n", "kv_heads: 3\n", r":7: kv_heads: must divide heads \(4\), not 3"),
    ("ffn_kind: gated\n", "ffn_kind: swiglu\n", r":9: ffn_kind: must be one of gated, plain, not 'swiglu'"),
    ("schema_version: 1\n", "schema_version: 2\n", r":1: schema_version: must be 1, not 2"),
    ("ffn: 128\n", "ffn: 128\nexperts: 4\nexperts_per_token: 5\n",
     r":10: experts_per_token: must be at most experts \(4\), not 5"),
    ("ffn: 128\n", "ffn: 128\nexperts: 4\nmoe_every: 3\n",
     r":10: moe_every: must divide layers \(2\), not 3"),
    ("hidden: 64\n", "hidden: 64.0\n", r":4: hidden: must be an integer, not 64.0"),
])
def test_bad_yaml_is_one_line_error(tmp_path, old, new, message):
    path = write(tmp_path, GOOD_YAML.replace(old, new))
    with pytest.raises(ConfigError, match=message) as info:
        load_model(path)
    text = str(info.value)
    assert text.startswith(f"{path}:") and "\n" not in text


def test_missing_field_is_named(tmp_path):
    path = write(tmp_path, GOOD_YAML.replace("vocab: 100\n", ""))
    with pytest.raises(ConfigError, match=r"vocab: missing required field"):
        load_model(path)


def test_builtin_files_are_strict_yaml():
    for name in MODELS:
        data = load_yaml(MODELS_DIR / f"{name}.yaml")
        assert data["schema_version"] == 1 and data["name"] == name


# --- format bits --------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "bits"), [
    ("fp16", 16.0), ("bf16", 16.0), ("fp8_e4m3fn", 8.0), ("int8", 8.0), ("int4", 4.0),
    ("mxfp4", 4.25), ("mxfp8_e4m3", 8.25), ("nvfp4", 4.5), ("int4_group", 4.125),
    ("bitmod3", 3 + 18 / 128), ("fp6_channel", 6.0),
])
def test_format_bits(name, bits):
    assert format_bits(name) == bits


@pytest.mark.parametrize("scheme", ["mxfp4", "nvfp4", "int4_group", "int8_group", "bitmod3", "bitmod4"])
def test_format_bits_agree_with_quantized_tensor(scheme):
    x = np.random.default_rng(0).standard_normal((2, 256)).astype(np.float32)
    assert format_bits(scheme) == quantize(x, scheme).bits_per_element


def test_unknown_format_names_allowed_values():
    with pytest.raises(ValueError, match=r"unknown format 'fp5'; allowed: element formats .*bf16.*; "
                                         r"block schemes .*mxfp4"):
        format_bits("fp5")


def test_bits_overrides():
    w = expand("llama-2-7b", "decode", weight_format="bitmod4", weight_bits=4.0625, kv_bits=8)
    assert op(w, "mlp.up").b_bits == 4.0625
    assert op(w, "attn.score").b_bits == 8.0
    assert w.weight_format == "bitmod4"
    with pytest.raises(FieldError, match="weight_bits: must be positive, not 0"):
        expand("llama-2-7b", "decode", weight_bits=0)


def test_operand_bits():
    w = expand("llama-3-8b", "decode", weight_format="mxfp4", activation_format="fp8_e4m3fn",
               kv_format="nvfp4")
    for o in w.ops:
        assert o.a_bits == 8.0 and o.out_bits == 8.0
        assert o.b_bits == (4.25 if o.kind == "linear" else 4.5)


# --- expansion ----------------------------------------------------------------------------

def test_llama_decode_ops():
    w = expand("llama-2-7b", "decode", batch=2, context=100)
    assert [o.name for o in w.ops] == ["attn.q", "attn.k", "attn.v", "attn.score", "attn.context",
                                       "attn.out", "mlp.gate", "mlp.up", "mlp.down", "lm_head"]
    assert (op(w, "attn.q").m, op(w, "attn.q").k, op(w, "attn.q").n) == (2, 4096, 4096)
    assert (op(w, "mlp.down").k, op(w, "mlp.down").n, op(w, "mlp.down").layers) == (11008, 4096, 32)
    assert (op(w, "lm_head").m, op(w, "lm_head").n, op(w, "lm_head").layers) == (2, 32000, 1)
    assert w.tokens == 2


def test_gqa_stacking_decode():
    w = expand("llama-3-8b", "decode", batch=3, context=512)
    score, context = op(w, "attn.score"), op(w, "attn.context")
    assert (score.m, score.k, score.n, score.instances) == (4, 128, 512, 24.0)
    assert (context.m, context.k, context.n, context.instances) == (4, 512, 128, 24.0)
    assert (op(w, "attn.k").n, op(w, "attn.v").n) == (1024, 1024)
    assert not score.b_is_weight


def test_prefill_shapes_full_score_matrix():
    w = expand("llama-3-8b", "prefill", batch=2, context=256)
    assert op(w, "attn.q").m == 512
    score = op(w, "attn.score")
    assert (score.m, score.n, score.instances) == (256 * 4, 256, 16.0)
    # every query row against every key: the full (not causal) matrix per head
    assert score.macs == 2 * 32 * 256 * 256 * 128 * 32
    assert op(w, "lm_head").m == 2
    assert w.tokens == 512


def test_prefill_linear_macs_scale_with_tokens():
    model = load_model("llama-2-7b")
    prefill = expand(model, "prefill", batch=1, context=128)
    decode = expand(model, "decode", batch=1, context=128)
    lm_head = model.vocab * model.hidden
    assert linear_macs(prefill) - lm_head == 128 * (linear_macs(decode) - lm_head)


@pytest.mark.parametrize("name", MODELS)
def test_decode_macs_per_token_match_active_params(name):
    model = load_model(name)
    w = expand(model, "decode", batch=1, context=min(256, model.max_context))
    lookups = model.vocab * model.hidden + model.position_embeddings * model.hidden
    lm_head = model.vocab * model.hidden if model.tied_embeddings else 0
    assert linear_macs(w) == model.active_params - lookups + lm_head
    attention = sum(o.macs for o in w.ops if o.kind == "attention")
    assert attention == 2 * model.layers * model.heads * model.head_dim * w.context


def test_expected_active_experts_formula():
    assert expected_active_experts(1, 8, 2) == 2.0
    assert expected_active_experts(2, 8, 2) == pytest.approx(8 * (1 - 0.75**2))
    assert expected_active_experts(4096, 8, 2) == 8.0
    assert expected_active_experts(1, 64, 2) == 2.0


def test_moe_batch_one_decode_two_experts():
    w = expand("mixtral-8x7b", "decode", batch=1, context=64)
    assert [o.name for o in w.ops if o.name.startswith("moe")] == ["moe.router", "moe.gate", "moe.up",
                                                                   "moe.down"]
    up = op(w, "moe.up")
    assert (up.m, up.instances, up.layers) == (1, 2.0, 32)
    assert (op(w, "moe.router").n, op(w, "moe.router").m) == (8, 1)


def test_moe_large_batch_all_experts():
    w = expand("mixtral-8x7b", "decode", batch=256, context=64)
    up = op(w, "moe.up")
    assert up.instances == 8.0 and up.m == 64  # 256 tokens x 2 / 8 experts


def test_moe_expected_tokens_round_up():
    w = expand("mixtral-8x7b", "decode", batch=3, context=64)
    active = 8 * (1 - 0.75**3)
    up = op(w, "moe.up")
    assert up.instances == pytest.approx(active)
    assert up.m == math.ceil(3 * 2 / active) == 2
    # expected expert-token work equals tokens x top-k up to the rounding of m
    assert up.m * up.instances >= 3 * 2


def test_glam_two_layer_groups():
    w = expand("glam", "decode", batch=1, context=128)
    assert (op(w, "mlp.gate").layers, op(w, "mlp.up").layers) == (32, 32)
    assert [o.name for o in w.ops if o.name.startswith("moe.")] == ["moe.router", "moe.up", "moe.down"]
    assert (op(w, "moe.up").layers, op(w, "moe.up").instances, op(w, "moe.up").m) == (32, 2.0, 1)
    assert op(w, "attn.q").n == 16384 and op(w, "attn.out").k == 16384


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"phase": "train"}, "phase: must be one of prefill, decode, not 'train'"),
    ({"phase": "decode", "batch": 0}, "batch: must be a positive integer, not 0"),
    ({"phase": "decode", "context": 5000}, r"context: must be at most max_context \(4096\) of llama-2-7b"),
    ({"phase": "decode", "weight_format": "fp5"}, "unknown format 'fp5'"),
])
def test_expand_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        expand("llama-2-7b", **kwargs)
