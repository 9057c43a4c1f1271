"""One model in one phase -> its GEMM ops (``Op``), with the storage bits of every operand.

    >>> w = expand("llama-3-8b", "decode", batch=4, context=1024, weight_format="mxfp4")
    >>> score = next(op for op in w.ops if op.name == "attn.score")
    >>> score.m, score.k, score.n, score.instances, score.b_bits
    (4, 128, 1024, 32.0, 16.0)

Phases. ``prefill`` runs ``batch`` sequences of ``context`` tokens each (T = batch x context
rows in every linear op); ``decode`` is one step of one new token per sequence (T = batch)
attending to ``context`` cached tokens (the new token's own key is not counted).

Per layer, in order: ``attn.q``, ``attn.k``, ``attn.v`` (k and v are ``kv_heads x head_dim``
wide), ``attn.score`` (Q K^T), ``attn.context`` (P V), ``attn.out``; then the FFN of the
layer: ``mlp.gate``/``mlp.up``/``mlp.down`` (``mlp.gate`` only when gated) on dense layers,
or ``moe.router`` and ``moe.gate``/``moe.up``/``moe.down`` on MoE layers. Models whose MoE
layers alternate with dense ones (GLaM) get two FFN groups, told apart by ``Op.layers``.
Last, ``lm_head`` (``layers = 1``).

Attention is counted as dense GEMMs, SCALE-Sim style: in prefill the full ``context x
context`` score matrix of every sequence (the causal mask is not exploited, so attention
MACs are twice what a kernel that skips masked tiles performs). The query heads that share
one KV head are stacked into ``m`` (GQA): ``m = query tokens x heads / kv_heads`` and
``instances = batch x kv_heads``; score has ``k = head_dim, n = kv length``, context has
``k = kv length, n = head_dim``.

MoE layers use expected-value routing: T tokens each pick ``experts_per_token`` = k of E
experts uniformly at random, so an expert is idle with probability (1 - k/E)^T and the
expected number of active experts is ``E (1 - (1 - k/E)^T)``. Each active expert sees
``T k / active`` tokens in expectation; ``m`` is that rounded up to an integer and
``instances`` is the (float) expected number of active experts.

The LM head runs on one token per sequence in both phases (``m = batch``): prefill only
needs the logits of the last prompt token to sample the first output token. With
``prefill_logits="all"`` prefill computes logits for every prompt token (``m = T``), as
scoring or BitMoD's simulator does.

Bits. Linear ops: A = activations, B = weights, out = activations. Attention ops: A =
activations (queries, or probabilities), B = the KV cache, out = activations. The router
and the LM head use the weight format like every other linear op.

Scope. ``scope="gemm"`` (the default) gives the GEMMs above and nothing else: what
BitMoD's simulator and the PIM and FPGA models count. ``scope="layer"`` gives whole
layers: the vector ops between the GEMMs (norms, rotary, softmax, activation, residual
adds, quantize steps) and causal FlashAttention-style attention tiled by
``attention_tile`` (see :mod:`arch.workloads.layer`); the linear GEMMs are the same.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from numerics import FORMATS, SCHEMES, get_format, get_scheme
from numerics.bitmod import resolve_types

from ..config import MAX_COUNT, MAX_EDGE, check, positive_int
from .layer import flash_attention_ops, norm_op, quantize_op, vector_op
from .models import ModelConfig, load_model
from .ops import Op, Phase, Scope, VectorOp, Workload

__all__ = ["PHASES", "SCOPES", "expand", "expected_active_experts", "format_bits"]

PHASES: tuple[str, ...] = ("prefill", "decode")
SCOPES: tuple[str, ...] = ("gemm", "layer")


# --- formats -> bits per element -----------------------------------------------------------

def _scheme_bits(name: str) -> float:
    """Element bits + amortized per-block bits (scale, zero point, type selector).

    NV schemes' per-tensor FP32 scale is ignored; a per-channel scheme (one scale per
    whole axis) counts only its element bits, the scale being amortized over a full row.
    """
    scheme = get_scheme(name)
    options = scheme.option_defaults
    if scheme.family == "bitmod":
        types = resolve_types(options["types"], options["bits"])
        element_bits = options["bits"]
        extra_bits = scheme.scale.bits + (math.ceil(math.log2(len(types))) if len(types) > 1 else 0)
    else:
        element_bits = scheme.element.bits
        zero_point_bits = 0 if options.get("symmetric", True) else element_bits
        extra_bits = scheme.scale.bits + zero_point_bits
    block_size = options.get("group_size", scheme.block_size)
    return float(element_bits) if block_size is None else element_bits + extra_bits / block_size


def format_bits(name: str) -> float:
    """Storage bits per element of a format or block-scheme name.

    An element format (``fp16``, ``bf16``, ``fp8_e4m3fn``, ``int8``, ``int4``, ...) gives its
    code width; a block scheme (``mxfp4``, ``nvfp4``, ``int4_group``, ``bitmod3``, ...) gives
    element bits plus amortized scale bits with its default block size, as
    ``QuantizedTensor.bits_per_element`` counts them.

    >>> format_bits("fp16"), format_bits("mxfp4"), format_bits("nvfp4"), format_bits("int4_group")
    (16.0, 4.25, 4.5, 4.125)
    """
    if name in FORMATS:
        return float(get_format(name).bits)
    if name in SCHEMES:
        return _scheme_bits(name)
    raise ValueError(f"unknown format {name!r}; allowed: element formats {', '.join(sorted(FORMATS))}; "
                     f"block schemes {', '.join(sorted(SCHEMES))}")


class _Bits(NamedTuple):
    weight: float
    activation: float
    kv: float


def _resolve_bits(name: str, override: float | None, field: str) -> float:
    if override is None:
        return format_bits(name)
    check(override > 0, field, f"must be positive, not {override!r}")
    return float(override)


# --- expected-value MoE routing ------------------------------------------------------------

def expected_active_experts(tokens: int, experts: int, top_k: int) -> float:
    """Expected distinct experts hit when ``tokens`` each pick ``top_k`` of ``experts`` uniformly.

    >>> expected_active_experts(1, 8, 2), expected_active_experts(1000, 8, 2)
    (2.0, 8.0)
    """
    return experts * (1.0 - (1.0 - top_k / experts) ** tokens)


def _tokens_per_expert(tokens: int, top_k: int, active: float) -> int:
    # round() first so that an exact integer computed in floating point is not bumped up
    return math.ceil(round(tokens * top_k / active, 9))


# --- op builders ---------------------------------------------------------------------------

def _linear(name: str, m: int, k: int, n: int, layers: int, bits: _Bits, instances: float = 1.0) -> Op:
    return Op(name, "linear", m=m, k=k, n=n, instances=float(instances), layers=layers,
              a_bits=bits.activation, b_bits=bits.weight, out_bits=bits.activation)


def _attention_ops(model: ModelConfig, batch: int, q_len: int, kv_len: int, bits: _Bits) -> list[Op]:
    group = model.heads // model.kv_heads
    shape = dict(kind="attention", instances=float(batch * model.kv_heads), layers=model.layers,
                 a_bits=bits.activation, b_bits=bits.kv, out_bits=bits.activation)
    m = q_len * group
    return [Op("attn.score", m=m, k=model.head_dim, n=kv_len, **shape),
            Op("attn.context", m=m, k=kv_len, n=model.head_dim, **shape)]


def _attention_block(model: ModelConfig, batch: int, q_len: int, kv_len: int, bits: _Bits) -> list[Op]:
    tokens, layers = batch * q_len, model.layers
    return [_linear("attn.q", tokens, model.hidden, model.q_dim, layers, bits),
            _linear("attn.k", tokens, model.hidden, model.kv_dim, layers, bits),
            _linear("attn.v", tokens, model.hidden, model.kv_dim, layers, bits),
            *_attention_ops(model, batch, q_len, kv_len, bits),
            _linear("attn.out", tokens, model.q_dim, model.hidden, layers, bits)]


def _ffn(prefix: str, kind: str, model: ModelConfig, m: int, layers: int, bits: _Bits,
         instances: float = 1.0) -> list[Op]:
    up = [f"{prefix}.gate", f"{prefix}.up"] if kind == "gated" else [f"{prefix}.up"]
    ops = [_linear(name, m, model.hidden, model.ffn, layers, bits, instances) for name in up]
    return ops + [_linear(f"{prefix}.down", m, model.ffn, model.hidden, layers, bits, instances)]


def _moe_block(model: ModelConfig, tokens: int, bits: _Bits) -> list[Op]:
    active = expected_active_experts(tokens, model.experts, model.experts_per_token)
    m = _tokens_per_expert(tokens, model.experts_per_token, active)
    router = _linear("moe.router", tokens, model.hidden, model.experts, model.moe_layers, bits)
    return [router, *_ffn("moe", model.expert_ffn_kind, model, m, model.moe_layers, bits, active)]


def _ffn_blocks(model: ModelConfig, tokens: int, bits: _Bits) -> list[Op]:
    dense = _ffn("mlp", model.ffn_kind, model, tokens, model.dense_layers, bits) if model.dense_layers else []
    return dense + (_moe_block(model, tokens, bits) if model.moe_layers else [])


# --- whole layers (scope="layer") ------------------------------------------------------------

class _Formats(NamedTuple):
    activation: str
    kv: str


def _present(*ops) -> list:
    return [op for op in ops if op is not None]


def _layer_attention(model: ModelConfig, batch: int, q_len: int, kv_len: int, bits: _Bits,
                     formats: _Formats, tile: int) -> list[Op | VectorOp]:
    tokens, layers = batch * q_len, model.layers
    rotary = [] if model.position_embeddings else [
        vector_op("attn.rotary", tokens * (model.q_dim + model.kv_dim), layers, 3, 0, True)]
    return [norm_op("attn.norm", model, tokens, layers),
            *_present(quantize_op("attn.quantize", formats.activation, tokens * model.hidden, layers)),
            _linear("attn.q", tokens, model.hidden, model.q_dim, layers, bits),
            _linear("attn.k", tokens, model.hidden, model.kv_dim, layers, bits),
            _linear("attn.v", tokens, model.hidden, model.kv_dim, layers, bits),
            *rotary,
            *_present(quantize_op("attn.kv_quantize", formats.kv, 2 * tokens * model.kv_dim, layers)),
            *flash_attention_ops(model, batch, q_len, kv_len, bits.activation, bits.kv, bits.activation,
                                 tile),
            _linear("attn.out", tokens, model.q_dim, model.hidden, layers, bits),
            vector_op("attn.residual", tokens * model.hidden, layers, 1, 0, True, reads=2)]


def _layer_ffn(prefix: str, kind: str, model: ModelConfig, m: int, layers: int, bits: _Bits,
               formats: _Formats, instances: float = 1.0) -> list[Op | VectorOp]:
    gemms = _ffn(prefix, kind, model, m, layers, bits, instances)
    gated = kind == "gated"  # SiLU(gate) x up reads two tensors; GELU one
    act = vector_op(f"{prefix}.act", m * model.ffn, layers, 3 if gated else 4, 1, True, instances,
                    reads=2 if gated else 1)
    quant = quantize_op(f"{prefix}.down_quantize", formats.activation, m * model.ffn, layers, instances)
    return [*gemms[:-1], act, *_present(quant), gemms[-1]]


def _layer_mlp(model: ModelConfig, tokens: int, bits: _Bits, formats: _Formats) -> list[Op | VectorOp]:
    layers = model.layers
    ops = [norm_op("mlp.norm", model, tokens, layers),
           *_present(quantize_op("mlp.quantize", formats.activation, tokens * model.hidden, layers))]
    if model.dense_layers:
        ops += _layer_ffn("mlp", model.ffn_kind, model, tokens, model.dense_layers, bits, formats)
    if model.moe_layers:
        active = expected_active_experts(tokens, model.experts, model.experts_per_token)
        m = _tokens_per_expert(tokens, model.experts_per_token, active)
        ops += [_linear("moe.router", tokens, model.hidden, model.experts, model.moe_layers, bits),
                vector_op("moe.router_softmax", tokens * model.experts, model.moe_layers, 4, 1, False),
                *_layer_ffn("moe", model.expert_ffn_kind, model, m, model.moe_layers, bits, formats, active)]
    return ops + [vector_op("mlp.residual", tokens * model.hidden, layers, 1, 0, True, reads=2)]


def _layer_scope(model: ModelConfig, batch: int, q_len: int, kv_len: int, bits: _Bits, formats: _Formats,
                 tile: int, logit_rows: int) -> list[Op | VectorOp]:
    return [*_layer_attention(model, batch, q_len, kv_len, bits, formats, tile),
            *_layer_mlp(model, batch * q_len, bits, formats),
            norm_op("final_norm", model, logit_rows, 1),
            _linear("lm_head", logit_rows, model.hidden, model.vocab, 1, bits)]


# --- entry point ---------------------------------------------------------------------------

def _check_shape(model: ModelConfig, phase: str, batch: int, context: int) -> None:
    check(phase in PHASES, "phase", f"must be one of {', '.join(PHASES)}, not {phase!r}")
    positive_int(batch, "batch", MAX_EDGE)
    positive_int(context, "context", MAX_COUNT)
    check(context <= model.max_context, "context",
          f"must be at most max_context ({model.max_context}) of {model.name}, not {context}")


def expand(model: ModelConfig | str, phase: Phase, batch: int = 1, context: int = 256,
           weight_format: str = "fp16", activation_format: str = "fp16", kv_format: str = "fp16", *,
           weight_bits: float | None = None, activation_bits: float | None = None,
           kv_bits: float | None = None, prefill_logits: str = "last", scope: Scope = "gemm",
           attention_tile: int = 128) -> Workload:
    """The ops of ``model`` (a ``ModelConfig``, a built-in name or a YAML path) in ``phase``.

    ``scope`` is "gemm" (GEMMs only, dense attention) or "layer" (whole layers: vector ops
    and causal FlashAttention tiles of ``attention_tile`` rows); see the module docstring.

    Format names resolve through :func:`format_bits`; ``*_bits`` override them (fractional
    widths such as BitMoD's 4.0625 included) while the workload keeps the names given.
    Raises ``FieldError`` (a ValueError) for a bad phase, batch or context, and ValueError
    for an unknown format name.
    """
    model = model if isinstance(model, ModelConfig) else load_model(model)
    _check_shape(model, phase, batch, context)
    bits = _Bits(_resolve_bits(weight_format, weight_bits, "weight_bits"),
                 _resolve_bits(activation_format, activation_bits, "activation_bits"),
                 _resolve_bits(kv_format, kv_bits, "kv_bits"))
    check(prefill_logits in ("last", "all"), "prefill_logits",
          f"must be one of last, all, not {prefill_logits!r}")
    check(scope in SCOPES, "scope", f"must be one of {', '.join(SCOPES)}, not {scope!r}")
    check(isinstance(attention_tile, int) and attention_tile > 0, "attention_tile",
          f"must be a positive integer, not {attention_tile!r}")
    q_len = context if phase == "prefill" else 1
    logit_rows = batch * q_len if prefill_logits == "all" else batch
    if scope == "layer":
        formats = _Formats(activation_format, kv_format)
        ops = _layer_scope(model, batch, q_len, context, bits, formats, attention_tile, logit_rows)
    else:
        ops = [*_attention_block(model, batch, q_len, context, bits),
               *_ffn_blocks(model, batch * q_len, bits),
               _linear("lm_head", logit_rows, model.hidden, model.vocab, 1, bits)]
    return Workload(model=model.name, phase=phase, batch=batch, context=context,
                    weight_format=weight_format, activation_format=activation_format,
                    kv_format=kv_format, ops=tuple(ops), scope=scope)
