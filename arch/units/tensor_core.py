"""Blackwell-style MX tensor cores: a grid of block dot-product units with block scales."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numerics import SCHEMES, get_scheme

from ..config import check
from .systolic import check_positive_int

# What the accumulator of a dot unit is assumed to be; each name is a numerics model
# (see sim.accuracy): exact sum rounded once, an FP32 FMA chain, or a tensor-core preset
# fitted bit-exactly to real GPU outputs (numerics.tensor_core_model).
ACCUMULATORS: tuple[str, ...] = ("exact_fp32", "fma_fp32", "tensor_core_b200", "tensor_core_h100")


def _default_rates() -> dict[str, float]:
    # Relative to the 8-bit rate, as NVIDIA's Blackwell datasheet gives dense throughput:
    # FP4 twice FP8/FP6, FP16 half (B200: 9 / 4.5 / 2.25 PFLOPS dense, sparsity off).
    eight = ("mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxint8")
    return {**dict.fromkeys(eight, 1.0), "mxfp4": 2.0, "nvfp4": 2.0, "nvint4": 2.0}


@dataclass(frozen=True)
class MXTensorCore:
    """``rows x cols`` dot-product units; each multiplies ``dot_width x rate`` pairs a cycle.

    A unit owns one output element (output stationary), sums its products per block with
    the block's two scales applied (exponent add for E8M0, a multiply for UE4M3), and
    accumulates blocks with ``accumulator``. ``rates`` gives, per block scheme, the pairs a
    unit takes per cycle relative to ``dot_width`` (the 8-bit rate).

    >>> core = MXTensorCore(rows=8, cols=8, dot_width=32)
    >>> core.macs_per_cycle("mxfp4")
    4096.0
    """

    TYPE: ClassVar[str] = "mx_tensor_core"
    rows: int
    cols: int
    dot_width: int = 32
    rates: dict[str, float] = field(default_factory=_default_rates)
    accumulator: str = "exact_fp32"
    pipeline_depth: int = 4
    component: str = "mx_pe"
    scale_component: str = "mx_scale"  # block-scale handling, priced per block
    quant_component: str = "mx_quant"  # activation quantizer, priced per quantized element
    dot_unit_area_um2: float | None = None  # one dot unit; None when no sourced figure exists

    def __post_init__(self):
        for name in ("rows", "cols", "dot_width", "pipeline_depth"):
            check_positive_int(getattr(self, name), name)
        check(bool(self.rates), "rates", "must list at least one block scheme")
        for scheme, rate in self.rates.items():
            check(scheme in SCHEMES, f"rates.{scheme}",
                  f"unknown block scheme; allowed: {', '.join(sorted(SCHEMES))}")
            check(rate > 0, f"rates.{scheme}", f"must be positive, not {rate!r}")
        check(self.accumulator in ACCUMULATORS, "accumulator",
              f"must be one of {', '.join(ACCUMULATORS)}, not {self.accumulator!r}")

    @property
    def area_mm2(self) -> float | None:
        if self.dot_unit_area_um2 is None:
            return None
        return self.rows * self.cols * self.dot_unit_area_um2 / 1e6

    def pairs_per_cycle(self, scheme: str) -> float:
        """Element pairs one dot unit multiplies per cycle in ``scheme``."""
        if scheme not in self.rates:
            raise ValueError(f"this tensor core does not support {scheme!r}; "
                             f"it supports: {', '.join(sorted(self.rates))}")
        return self.dot_width * self.rates[scheme]

    def macs_per_cycle(self, scheme: str) -> float:
        return self.rows * self.cols * self.pairs_per_cycle(scheme)

    def block_size(self, scheme: str) -> int:
        return get_scheme(scheme).block_size
