"""Whole-layer expansion: the vector ops of a decoder layer and FlashAttention-style attention.

    >>> from arch.workloads import expand
    >>> w = expand("llama-2-7b", "prefill", context=1024, scope="layer")
    >>> score = next(op for op in w.ops if op.name == "attn.score")
    >>> score.m, score.n, score.instances  # 128 x 128 tiles; 8 query tiles -> 36 unmasked pairs
    (128, 128, 1152.0)

Vector ops (``VectorOp``), per layer in order: ``attn.norm`` (RMSNorm for gated-FFN models,
LayerNorm otherwise), ``attn.quantize`` when activations are a block scheme, ``attn.rotary``
(models without a learned position table), ``attn.kv_quantize`` when the KV cache is not
FP16/BF16, ``attn.softmax`` (online softmax over every computed score), ``attn.residual``,
``mlp.norm``, ``mlp.quantize``, ``mlp.act`` (SiLU x up for gated FFNs, GELU otherwise),
``mlp.down_quantize``, ``mlp.residual``; MoE layers add ``moe.router_softmax``; last,
``final_norm`` before the LM head. Costs per element (simple operations / special
functions): RMSNorm 3 / one rsqrt per row, LayerNorm 5 / one rsqrt per row, rotary 3 / 0,
online softmax 4 / 1 exp, SiLU x up 3 / 1, GELU 4 / 1, residual add 1 / 0, block quantize
5 / one scale per block (amax, scale, round, clamp, pack), plain quantize 3 / 0. Norms,
rotary, activations and residual adds read and write their tensors in 16-bit from DRAM
(unfused kernels); quantize and softmax are fused into their neighbours (no DRAM traffic).

Attention, FlashAttention-style (Dao et al., "FlashAttention-2", 2023: query tiles of
``tile`` rows stream key/value tiles of ``tile`` rows; scores and probabilities never
leave the chip). Per (query tile, key tile) pair, ``attn.score`` is ``m = tile x group``
(GQA heads stacked), ``k = head_dim``, ``n = tile`` and ``attn.context`` is ``k = tile,
n = head_dim``; ``instances = batch x kv_heads x pairs``. With the causal mask, a query
tile visits only key tiles that hold a visible key: masked tiles are skipped, and the
partly masked diagonal tile is computed whole. The Q tile is read once per query tile and
the output written once per query tile (``a_dram_fraction`` of the score op and
``out_dram_fraction`` of the context op are ``query tiles / pairs``); scores and
probabilities stay on chip (fractions 0). Decode (one query per sequence) has one query
tile that sees all ``context`` keys: ``n = context``.
"""

from __future__ import annotations

from dataclasses import replace

from numerics import FORMATS, SCHEMES, get_scheme

from .models import ModelConfig
from .ops import Op, VectorOp

__all__ = ["attention_pairs", "flash_attention_ops", "norm_op", "quantize_op", "vector_op"]

COMPUTE_BITS = 16.0  # vector ops read and write activations in FP16/BF16


def vector_op(name: str, elements: float, layers: int, ops: float, special: float, traffic: bool,
              instances: float = 1.0, reads: int = 1) -> VectorOp:
    """A vector op; with ``traffic`` it reads ``reads`` and writes one 16-bit tensor from DRAM."""
    read, write = (COMPUTE_BITS * reads, COMPUTE_BITS) if traffic else (0.0, 0.0)
    return VectorOp(name, float(elements), float(instances), layers, float(ops), float(special), read, write)


def norm_op(name: str, model: ModelConfig, tokens: int, layers: int) -> VectorOp:
    ops = 3 if model.ffn_kind == "gated" else 5  # RMSNorm / LayerNorm
    return vector_op(name, tokens * model.hidden, layers, ops, 1 / model.hidden, True)


def quantize_op(name: str, fmt: str, elements: float, layers: int, instances: float = 1.0) -> VectorOp | None:
    """The quantize step into ``fmt`` (None for FP16/BF16/FP32, which need none)."""
    if fmt in ("fp16", "bf16", "fp32"):
        return None
    if fmt in SCHEMES:
        block = get_scheme(fmt).option_defaults.get("group_size", get_scheme(fmt).block_size) or 1
        op = vector_op(name, elements, layers, 5, 1 / block, False, instances)
    elif fmt in FORMATS:
        op = vector_op(name, elements, layers, 3, 0, False, instances)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return replace(op, kind="quantize", fmt=fmt)


def attention_pairs(q_len: int, kv_len: int, tile: int) -> tuple[int, int]:
    """(query tiles, computed (query tile, key tile) pairs) under the causal mask.

    Query ``i`` (0-based) sees keys ``0 .. kv_len - q_len + i``; a pair is computed when its
    key tile holds at least one visible key.

    >>> attention_pairs(1024, 1024, 128), attention_pairs(1, 4096, 128)
    ((8, 36), (1, 32))
    """
    q_tiles, kv_tiles, offset = -(-q_len // tile), -(-kv_len // tile), kv_len - q_len
    pairs = 0
    for i in range(q_tiles):
        last_visible = offset + min((i + 1) * tile, q_len) - 1
        pairs += min(kv_tiles, last_visible // tile + 1)
    return q_tiles, pairs


def flash_attention_ops(model: ModelConfig, batch: int, q_len: int, kv_len: int, a_bits: float,
                        kv_bits: float, out_bits: float, tile: int) -> list[Op | VectorOp]:
    """``attn.score``, ``attn.softmax`` and ``attn.context`` (see the module docstring)."""
    group, heads = model.heads // model.kv_heads, batch * model.kv_heads
    if q_len == 1:
        q_tiles, pairs, rows, keys = 1, 1, group, kv_len
    else:
        (q_tiles, pairs), rows, keys = attention_pairs(q_len, kv_len, tile), tile * group, tile
    shape = dict(kind="attention", instances=float(heads * pairs), layers=model.layers, a_bits=a_bits,
                 b_bits=kv_bits, out_bits=out_bits)
    once = q_tiles / pairs
    score = Op("attn.score", m=rows, k=model.head_dim, n=keys, a_dram_fraction=once, out_dram_fraction=0.0,
               **shape)
    context = Op("attn.context", m=rows, k=keys, n=model.head_dim, a_dram_fraction=0.0,
                 out_dram_fraction=once, **shape)
    softmax = vector_op("attn.softmax", rows * keys, model.layers, 4, 1, False, heads * pairs)
    return [score, softmax, context]
