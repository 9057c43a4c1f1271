"""Blackwell-style MX tensor cores: a grid of block dot-product units with block scales."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from numerics import FORMATS, SCHEMES, get_scheme

from ..config import FieldError, check, finite_non_negative, finite_positive, positive_int
from .mma_kinds import KindTable, MmaKind, load_kinds
from .systolic import check_positive_int

# What the accumulator of a dot unit is assumed to be; each name is a numerics model
# (see sim.accuracy): exact sum rounded once, an FP32 FMA chain, or a tensor-core preset
# fitted bit-exactly to real GPU outputs (numerics.tensor_core_model).
ACCUMULATORS: tuple[str, ...] = ("exact_fp32", "fma_fp32", "tensor_core_b200", "tensor_core_h100")
# Where a GEMM kernel applies per-block scales its MMA kind does not (KernelTiming.promotion).
PROMOTIONS: tuple[str, ...] = ("cuda_cores", "in_mma")
# How a kernel's time is observed (KernelTiming.launch_gap_s): a GPU-side profiler's kernel
# duration, or the time per call of back-to-back launches from a CUDA graph or a stream.
LAUNCHES: tuple[str, ...] = ("profiler", "cuda_graph", "stream")


def check_launch(launch: str) -> None:
    """FieldError unless ``launch`` is one of :data:`LAUNCHES`."""
    check(launch in LAUNCHES, "launch", f"must be one of {', '.join(LAUNCHES)}, not {launch!r}")


def _default_rates() -> dict[str, float]:
    # Relative to the 8-bit rate, as NVIDIA's Blackwell datasheet gives dense throughput:
    # FP4 twice FP8/FP6, FP16/BF16 half (B200: 9 / 4.5 / 2.25 PFLOPS dense, sparsity off).
    eight = ("mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxint8")
    return {**dict.fromkeys(eight, 1.0), "mxfp4": 2.0, "nvfp4": 2.0, "nvint4": 2.0, "fp16": 0.5, "bf16": 0.5}


def _is_plain(name: str) -> bool:
    """An element format (fp16, bf16, ...) rather than a block scheme."""
    return name in FORMATS


@dataclass(frozen=True)
class MXTensorCore:
    """``rows x cols`` dot-product units; each multiplies ``dot_width x rate`` pairs a cycle.

    A unit owns one output element (output stationary), sums its products per block with
    the block's two scales applied (exponent add for E8M0, a multiply for UE4M3), and
    accumulates blocks with ``accumulator``. ``rates`` gives, per block scheme (or plain
    FP16/BF16), the pairs a unit takes per cycle relative to ``dot_width`` (the 8-bit rate).
    An operand pair runs at the slower operand's rate (MXFP8 x MXFP4 at the 8-bit rate,
    MXFP4 x MXFP4 at twice it); a plain-float operand paired with a block scheme is taken as
    quantized to that scheme on the fly (:meth:`pair_rate`).

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
            check(scheme in SCHEMES or scheme in ("fp16", "bf16"), f"rates.{scheme}",
                  f"unknown block scheme; allowed: fp16, bf16, {', '.join(sorted(SCHEMES))}")
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

    def pair_rate(self, a_format: str | None, b_format: str) -> float:
        """Pairs per cycle per unit for ``a_format x b_format``: the slower operand's rate.

        ``a_format`` None, or a plain float paired with a block scheme, takes ``b_format``'s rate.
        """
        b_pairs = self.pairs_per_cycle(b_format)
        if a_format is None or a_format == b_format or (_is_plain(a_format) and not _is_plain(b_format)):
            return b_pairs
        return min(self.pairs_per_cycle(a_format), b_pairs)

    def macs_per_cycle(self, scheme: str, a_format: str | None = None) -> float:
        return self.rows * self.cols * self.pair_rate(a_format, scheme)

    def block_size(self, scheme: str) -> int:
        return get_scheme(scheme).block_size


@dataclass(frozen=True)
class KernelTiming:
    """What a GEMM kernel costs on a GPU beyond its MMAs, for :mod:`sim.gpu_kernel`.

    ``launch_ns``: grid launch to the first instruction plus the drain after the last store;
    ``dram_latency_ns``: the first operand load of the K loop (pipeline fill);
    ``l2_latency_ns``: one L2 round trip (a tile waits on two between its K loops: its output
    store and the next tile's scale loads); ``l2_bytes_per_cycle``: L2-to-SM bandwidth of the
    whole GPU at the core clock; ``smem_bytes_per_cycle``: one SM's shared-memory bandwidth (the
    epilogue stages the output tile through it); ``fma_lanes_per_sm``: FP32 FMA lanes of one SM (block scales
    applied outside the MMA are promoted there); ``multicast``: CTAs one TMA load of a shared
    operand reaches (a cluster); ``multicast_min_m``: the smallest GEMM M for which the kernels
    form such clusters (below it every CTA loads its own operands). ``promotion``: where
    per-block scales that the operand pair's MMA kind does not apply reach the sums:
    ``cuda_cores`` (Hopper's wgmma has no scaled kind and kernels promote FP32 partial sums on
    CUDA cores) or ``in_mma`` (Blackwell's tcgen05 takes them as block scales and accumulates in
    FP32 in tensor memory: no promotion).
    ``epilogue_overlap``: the accumulator is double-buffered where two copies fit the
    accumulator storage, so one tile's epilogue runs under the next tile's MMAs.
    ``graph_launch_gap_ns`` and ``stream_launch_gap_ns``: what a kernel launched right after
    another in the same stream (replayed from a CUDA graph, or launched into the stream) waits
    between the two, beyond the kernel's own duration as a GPU-side profiler times it (0: not
    known). ``tma_row_ns``: the time one SM's TMA engine takes per box row it issues (a row of
    one operand tile for one pipeline stage, at most a 128-byte swizzle atom), whatever the
    row's length (0: not measured, no such limit). Each figure's source is in the design file.
    """

    launch_ns: float
    dram_latency_ns: float
    l2_latency_ns: float
    l2_bytes_per_cycle: float
    smem_bytes_per_cycle: int
    fma_lanes_per_sm: int
    multicast: int
    source: str
    promotion: str = "cuda_cores"
    epilogue_overlap: bool = False
    multicast_min_m: int = 1
    graph_launch_gap_ns: float = 0.0
    stream_launch_gap_ns: float = 0.0
    tma_row_ns: float = 0.0

    def launch_gap_s(self, launch: str) -> float:
        """Seconds a call waits beyond its kernel's duration when launched the way ``launch``
        (one of :data:`LAUNCHES`) names: 0 for a profiler's kernel duration."""
        check_launch(launch)
        gaps = {"profiler": 0.0, "cuda_graph": self.graph_launch_gap_ns, "stream": self.stream_launch_gap_ns}
        return gaps[launch] * 1e-9

    def __post_init__(self):
        check(self.promotion in PROMOTIONS, "promotion",
              f"must be one of {', '.join(PROMOTIONS)}, not {self.promotion!r}")
        for name in ("launch_ns", "dram_latency_ns", "l2_latency_ns", "l2_bytes_per_cycle"):
            finite_positive(getattr(self, name), name, 1e9)
        for name in ("graph_launch_gap_ns", "stream_launch_gap_ns", "tma_row_ns"):
            finite_non_negative(getattr(self, name), name, 1e9)
        for name in ("smem_bytes_per_cycle", "fma_lanes_per_sm", "multicast", "multicast_min_m"):
            positive_int(getattr(self, name), name, 1 << 16)
        check(bool(self.source.strip()), "source", "must cite where the figures come from")


@dataclass(frozen=True)
class ClusterLimit:
    """Thread-block clusters of ``sms`` SMs (one CTA each) that a GPU holds at once, as the CUDA
    driver reports it (``cudaOccupancyMaxActiveClusters``): a cluster must sit within one GPC,
    so where floorsweeping leaves GPCs whose SM count ``sms`` does not divide, SMs idle."""

    sms: int
    clusters: int

    def __post_init__(self):
        positive_int(self.sms, "sms", 1 << 16)
        positive_int(self.clusters, "clusters", 1 << 16)


@dataclass(frozen=True)
class SmTensorCore:
    """A GPU's tensor cores as the hardware runs them: ``sms`` SMs issuing MMA instructions.

    Each SM multiplies at the rate of the instruction kind (:mod:`arch.units.mma_kinds`) that
    the operand pair selects; output tiles map onto SMs (or CTA pairs) in waves, and a tile
    must fit its double-buffered operand stages in ``smem_bytes_per_sm`` and its FP32
    accumulator in ``accumulator_bytes_per_sm`` (Blackwell's tensor memory, Hopper's
    registers). ``compute_efficiency`` is the sustained fraction of the peak MMA rate a real
    kernel keeps (clock under load, issue gaps), with its source in the design file.
    ``max_active_clusters`` lists, per thread-block cluster size, how many such clusters the GPU
    holds at once (:class:`ClusterLimit`); a size not listed fits every SM (``sms // size``).

    >>> core = SmTensorCore(sms=148, kinds="sm100_tcgen05", smem_bytes_per_sm=232448,
    ...                     accumulator_bytes_per_sm=262144)
    >>> core.kind("mxfp8_e4m3", "mxfp4").macs_per_sm_cycle, core.kind("mxfp4", "mxfp4").macs_per_sm_cycle
    (8192, 16384)
    """

    TYPE: ClassVar[str] = "sm_tensor_core"
    sms: int
    kinds: str
    smem_bytes_per_sm: int
    accumulator_bytes_per_sm: int
    accumulator: str = "exact_fp32"
    compute_efficiency: float = 1.0
    swap_ab: bool = True  # kernels may run out^T = B^T A^T to put a skinny M on the MMA's N side
    component: str = "tc"
    timing: KernelTiming | None = None  # None: MMA issue and DRAM traffic only (sim.tensor_core)
    max_active_clusters: tuple[ClusterLimit, ...] = ()
    source: str = ""

    def __post_init__(self):
        for name in ("sms", "smem_bytes_per_sm", "accumulator_bytes_per_sm"):
            check_positive_int(getattr(self, name), name)
        check(0 < self.compute_efficiency <= 1, "compute_efficiency",
              f"must be in (0, 1], not {self.compute_efficiency!r}")
        check(self.accumulator in ACCUMULATORS, "accumulator",
              f"must be one of {', '.join(ACCUMULATORS)}, not {self.accumulator!r}")
        sizes = [limit.sms for limit in self.max_active_clusters]
        check(len(sizes) == len(set(sizes)), "max_active_clusters", f"lists a cluster size twice: {sizes}")
        self.kind_table  # noqa: B018 - an unknown table name fails here, not at the first GEMM

    @property
    def kind_table(self) -> KindTable:
        try:
            return load_kinds(self.kinds)
        except ValueError as exc:
            raise FieldError("kinds", str(exc)) from None

    def kind(self, a_format: str, b_format: str) -> MmaKind:
        """The instruction kind that runs ``a_format x b_format`` (ValueError naming the pairs)."""
        return self.kind_table.pick(a_format, b_format)

    def macs_per_cycle(self, a_format: str, b_format: str) -> float:
        return self.sms * self.kind(a_format, b_format).macs_per_sm_cycle

    def clusters(self, size: int) -> int:
        """Clusters of ``size`` SMs resident at once (``max_active_clusters``, at most ``sms // size``)."""
        listed = next((c.clusters for c in self.max_active_clusters if c.sms == size), self.sms)
        return min(listed, self.sms // size)

    @property
    def area_mm2(self) -> float | None:
        return None
