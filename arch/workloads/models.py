"""LLM model configurations as data: one YAML file per model, read into a frozen ``ModelConfig``.

    >>> model = load_model("llama-3-8b")
    >>> model.kv_heads, model.head_dim, round(model.params / 1e9, 2)
    (8, 128, 8.03)

Built-in models live in ``arch/data/models/<name>.yaml`` (``MODELS`` lists them); any other
YAML file with the same fields loads through ``load_model(path)``. Every file names its
``source`` (the Hugging Face ``config.json`` or the paper table) and ``schema_version: 1``.

Parameter counts cover weight matrices only: biases, norms and relative-position tables are
left out (well under 0.1 % for every built-in model).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..config import MAX_EDGE, check, from_dict, load_yaml, positive_int

__all__ = ["MODELS", "SCHEMA_VERSION", "FfnKind", "ModelConfig", "load_model"]

FfnKind = Literal["gated", "plain"]
FFN_KINDS: tuple[str, ...] = ("gated", "plain")
SCHEMA_VERSION = 1
MODELS_DIR = Path(__file__).parent.parent / "data" / "models"
MODELS: tuple[str, ...] = tuple(sorted(p.stem for p in MODELS_DIR.glob("*.yaml")))


def _check_positive(value: object, field: str) -> None:
    positive_int(value, field, MAX_EDGE if field in _EDGES else MAX_MODEL_DIM)


# Layers, heads and experts are at most MAX_EDGE (65,536); widths, vocab and context 2^24.
_EDGES = ("layers", "heads", "kv_heads", "experts", "experts_per_token", "moe_every")
MAX_MODEL_DIM = 1 << 24


@dataclass(frozen=True)
class ModelConfig:
    """The shape of a decoder-only transformer, dense or mixture-of-experts.

    hidden: model width; heads / kv_heads: query and key-value heads (kv_heads divides
    heads; fewer KV heads is GQA); head_dim: per-head width, ``hidden // heads`` when left
    out (Qwen3 sets it apart from hidden). ffn: intermediate width of one FFN (one expert
    in an MoE layer); ffn_kind: "gated" (gate, up, down: SwiGLU/GeGLU) or "plain" (up,
    down). experts / experts_per_token: E and top-k of MoE layers (1 / 1 for dense models);
    moe_every: every ``moe_every``-th layer is an MoE layer (1 = all, 2 = every other as in
    GLaM; it divides layers); expert_ffn_kind: the experts' FFN kind where it differs from
    the dense layers' (GLaM: gated dense FFNs, plain experts). tied_embeddings: the LM head
    reuses the input embedding; position_embeddings: rows of a learned absolute position
    table (OPT: 2050; 0 for rotary or relative positions). max_context in tokens.
    """

    name: str
    source: str
    schema_version: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    ffn: int
    ffn_kind: FfnKind
    vocab: int
    max_context: int
    head_dim: int | None = None
    experts: int = 1
    experts_per_token: int = 1
    moe_every: int = 1
    expert_ffn_kind: FfnKind | None = None
    tied_embeddings: bool = False
    position_embeddings: int = 0

    def __post_init__(self):
        check(self.schema_version == SCHEMA_VERSION, "schema_version",
              f"must be {SCHEMA_VERSION}, not {self.schema_version!r}")
        check(bool(self.name), "name", "must not be empty")
        check(bool(self.source), "source", "must cite where the numbers come from")
        for field in ("hidden", "layers", "heads", "kv_heads", "ffn", "vocab", "max_context"):
            _check_positive(getattr(self, field), field)
        self._check_heads()
        self._check_experts()
        for field in ("ffn_kind", "expert_ffn_kind"):
            kind = getattr(self, field)
            check(kind in FFN_KINDS or (field == "expert_ffn_kind" and kind is None), field,
                  f"must be one of {', '.join(FFN_KINDS)}, not {kind!r}")
        check(self.position_embeddings >= 0, "position_embeddings",
              f"must be zero or positive, not {self.position_embeddings!r}")
        if self.expert_ffn_kind is None:
            object.__setattr__(self, "expert_ffn_kind", self.ffn_kind)

    def _check_heads(self) -> None:
        check(self.heads % self.kv_heads == 0, "kv_heads",
              f"must divide heads ({self.heads}), not {self.kv_heads}")
        if self.head_dim is None:
            check(self.hidden % self.heads == 0, "heads",
                  f"must divide hidden ({self.hidden}) when head_dim is not given, not {self.heads}")
            object.__setattr__(self, "head_dim", self.hidden // self.heads)
        _check_positive(self.head_dim, "head_dim")

    def _check_experts(self) -> None:
        for field in ("experts", "experts_per_token", "moe_every"):
            _check_positive(getattr(self, field), field)
        check(self.experts_per_token <= self.experts, "experts_per_token",
              f"must be at most experts ({self.experts}), not {self.experts_per_token}")
        check(self.layers % self.moe_every == 0, "moe_every",
              f"must divide layers ({self.layers}), not {self.moe_every}")

    # --- layer groups -----------------------------------------------------------------

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    @property
    def moe_layers(self) -> int:
        """Layers whose FFN is a mixture of experts (0 for a dense model)."""
        return self.layers // self.moe_every if self.is_moe else 0

    @property
    def dense_layers(self) -> int:
        """Layers with one dense FFN."""
        return self.layers - self.moe_layers

    @property
    def q_dim(self) -> int:
        """Width of the concatenated query heads (``heads x head_dim``)."""
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        """Width of the keys (or values) of one token (``kv_heads x head_dim``)."""
        return self.kv_heads * self.head_dim

    # --- parameter counts (weights only) ----------------------------------------------

    @property
    def attention_params(self) -> int:
        """Q, K, V and output projections of one layer."""
        return 2 * self.hidden * self.q_dim + 2 * self.hidden * self.kv_dim

    def ffn_params(self, kind: str) -> int:
        """One FFN (one expert) of ``kind``: 3 or 2 matrices of ``hidden x ffn``."""
        return (3 if kind == "gated" else 2) * self.hidden * self.ffn

    @property
    def embedding_params(self) -> int:
        """Token embedding, untied LM head and learned position table."""
        tables = 1 if self.tied_embeddings else 2
        return (tables * self.vocab + self.position_embeddings) * self.hidden

    def _moe_layer_params(self, experts: int) -> int:
        return experts * self.ffn_params(self.expert_ffn_kind) + self.hidden * self.experts

    def _total(self, experts: int) -> int:
        return (self.layers * self.attention_params
                + self.dense_layers * self.ffn_params(self.ffn_kind)
                + self.moe_layers * self._moe_layer_params(experts)
                + self.embedding_params)

    @property
    def params(self) -> int:
        """All weight parameters, every expert and the embeddings included."""
        return self._total(self.experts)

    @property
    def active_params(self) -> int:
        """Weight parameters one token uses: ``experts_per_token`` experts per MoE layer."""
        return self._total(self.experts_per_token)


def _model_path(name_or_path: str | Path) -> Path:
    if isinstance(name_or_path, str) and name_or_path in MODELS:
        return MODELS_DIR / f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    raise ValueError(f"unknown model {str(name_or_path)!r}; built-in models: {', '.join(MODELS)} "
                     "(or give the path of a YAML file)")


@functools.lru_cache(maxsize=64)
def _load(path: Path) -> ModelConfig:
    return from_dict(ModelConfig, load_yaml(path), source=str(path))


def load_model(name_or_path: str | Path) -> ModelConfig:
    """The model called ``name_or_path`` (one of ``MODELS``) or read from that YAML file.

    Raises ValueError for an unknown name and ``ConfigError`` (one line, ``file:line:
    field: message``) for an invalid file.
    """
    path = _model_path(name_or_path)
    if path.parent == MODELS_DIR:
        return _load(path)
    return from_dict(ModelConfig, load_yaml(path), source=str(path))
