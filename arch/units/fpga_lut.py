"""FPGA table-lookup units in the style of LUT-LLM: vector-quantized products as 2D lookups.

    >>> unit = LutUnit()
    >>> unit.table_bits, unit.table_rows_per_cycle, unit.weight_index_bits
    (8192, 2, 4)
    >>> unit_resources(unit).bram
    6

How a unit computes ``y = x W`` (activation-weight co-quantization): ``x`` is cut into
vectors of ``act_vector_len`` elements, each replaced by the index of its nearest of
``act_centroids`` centroids (a parallel centroid search, ``search_lanes`` vector-centroid
distances a cycle). The weights of one input vector position and ``codebook_outputs``
output columns share a codebook of ``weight_centroids`` vectors; each weight sub-vector is a
``weight_index_bits`` index into it. Every (activation centroid, weight centroid) dot product
is precomputed into a 2D table of ``table_entry_bits`` entries; a lookup reads the row of
the activation index once, copies it to ``lookups_per_cycle`` lanes (each picks the entry
of its own weight index: a ``weight_centroids``:1 multiplexer) and adds it into the lane's
partial sum. Tables and weight indices stream from off-chip memory through one
``load_bits_per_cycle`` port per unit; ``double_buffer`` overlaps the load of the next
tables with the lookups of the current ones (a port of each table memory then writes).

The resource model (:func:`unit_resources`, :func:`fit`) counts LUTs, FFs, BRAM/URAM blocks
and DSPs per unit with the per-element costs of :class:`LutCosts` (our estimates, named
there), multiplies by the number of units, adds a fixed part and compares with a device;
the resource with the highest utilization is the binding one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Literal

from ..config import MAX_CLOCK_HZ, builtin_names, check, finite_positive, load_builtin
from ..fpga import RESOURCES, FpgaDevice, load_fpga
from .systolic import check_positive_int

__all__ = ["DEFAULT_COSTS", "LUT_DESIGNS", "FitReport", "LutAccelerator", "LutCosts", "LutUnit",
           "ResourceUse", "fit", "load_lut_design", "max_units", "unit_resources"]

TableMemory = Literal["bram", "uram", "lutram"]


@dataclass(frozen=True)
class LutUnit:
    """One table-lookup engine (see the module docstring). Defaults: LUT-LLM's uint8 engine;
    the built-in design ``lutllm_v80`` uses its final 4-bit engines (see that file).

    64 activation centroids of 2 elements, 16 weight centroids, uint8 table entries
    (docs/sources.md [lutllm]; LUT-FPGA/LUT-LLM config/config.h ``n_cent``/``w_n_cent`` and the
    ``vec_t<float, 2>`` inputs). Its ``memory_matcher_w_vq`` engine updates 1,024 outputs a
    cycle from a 512-bit table/index stream, shares one weight codebook over 512 outputs,
    keeps 24 tables (12,288 outputs / 512) and accumulates in 12-bit lanes.
    """

    TYPE: ClassVar[str] = "fpga_lut"
    act_centroids: int = 64
    act_vector_len: int = 2
    weight_centroids: int = 16
    table_entry_bits: int = 8
    centroid_bits: int = 32
    codebook_outputs: int = 512
    lookups_per_cycle: int = 1024
    search_lanes: int = 64
    load_bits_per_cycle: int = 512
    resident_tables: int = 24
    accumulator_bits: int = 12
    double_buffer: bool = False
    table_memory: TableMemory = "bram"
    component: str = "lut_unit"

    def __post_init__(self):
        for f in fields(self):
            if f.type in ("int", int):
                check_positive_int(getattr(self, f.name), f.name)
        for name in ("act_centroids", "weight_centroids"):
            value = getattr(self, name)
            check(value >= 2, name, f"must be at least 2, not {value!r}")
        check(self.table_memory in ("bram", "uram", "lutram"), "table_memory",
              f"must be one of bram, uram, lutram, not {self.table_memory!r}")
        check(self.resident_tables * self.codebook_outputs >= self.lookups_per_cycle, "resident_tables",
              f"must hold the {self.table_rows_per_cycle} tables one cycle reads, not {self.resident_tables}")

    @property
    def act_index_bits(self) -> int:
        return math.ceil(math.log2(self.act_centroids))

    @property
    def weight_index_bits(self) -> int:
        return math.ceil(math.log2(self.weight_centroids))

    @property
    def table_bits(self) -> int:
        """One 2D table: ``act_centroids x weight_centroids`` entries."""
        return self.act_centroids * self.weight_centroids * self.table_entry_bits

    @property
    def table_row_bits(self) -> int:
        return self.weight_centroids * self.table_entry_bits

    @property
    def table_rows_per_cycle(self) -> int:
        """Distinct tables (hence rows) one cycle of lookups touches."""
        return math.ceil(self.lookups_per_cycle / self.codebook_outputs)

    @property
    def load_bytes_per_cycle(self) -> float:
        return self.load_bits_per_cycle / 8


@dataclass(frozen=True)
class LutCosts:
    """Per-element resource costs of a LUT unit: our first-order estimates, not synthesis.

    A LUT6 is a 4:1 multiplexer, so an n:1 multiplexer tree of one bit takes ceil((n-1)/3)
    LUTs (Versal has no F7/F8 muxes); an adder takes one LUT per bit on the carry chain; a
    LUTRAM (RAM64X1) stores 64 bits in one LUT; each lookup lane registers its entry and its
    partial sum. A search lane (one vector-centroid distance a cycle) takes one DSPFP32 per
    vector element (an FMA of the difference) and ``search_lane_luts`` for the FP32
    subtract and the running minimum.
    """

    lutram_bits_per_lut: int = 64
    search_lane_luts: int = 96
    search_lane_ffs: int = 64


DEFAULT_COSTS = LutCosts()


@dataclass(frozen=True)
class ResourceUse:
    """Counts of each FPGA resource (:data:`arch.fpga.RESOURCES`)."""

    lut: int = 0
    ff: int = 0
    bram: int = 0
    uram: int = 0
    dsp: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in RESOURCES}

    def __add__(self, other: ResourceUse) -> ResourceUse:
        return ResourceUse(**{k: v + getattr(other, k) for k, v in self.as_dict().items()})

    def times(self, count: int) -> ResourceUse:
        return ResourceUse(**{k: v * count for k, v in self.as_dict().items()})


def _mux_luts(inputs: int) -> int:
    return math.ceil((inputs - 1) / 3)


def _table_copies(unit: LutUnit) -> int:
    return 2 if unit.double_buffer else 1


def _table_blocks(unit: LutUnit, device_like: FpgaDevice | None) -> int:
    """Blocks the resident tables need: by capacity, or by ports (whichever is more); none
    when they sit in LUTRAM (partitioned into registers and LUT memories, as LUT-LLM's final
    engines leave them)."""
    if unit.table_memory == "lutram":
        return 0
    uram = unit.table_memory == "uram"
    block_bits = 288 * 1024 if uram else 36 * 1024
    ports = (device_like.uram_ports if uram else device_like.bram_ports) if device_like else 2
    port_bits = (device_like.uram_port_bits if uram else device_like.bram_port_bits) if device_like else (
        72 if uram else 36)
    read_ports = ports - 1 if unit.double_buffer else ports
    by_capacity = math.ceil(_table_copies(unit) * unit.resident_tables * unit.table_bits / block_bits)
    port_reads = unit.table_rows_per_cycle * math.ceil(unit.table_row_bits / port_bits)
    return max(by_capacity, math.ceil(port_reads / read_ports))


def unit_resources(unit: LutUnit, device: FpgaDevice | None = None,
                   costs: LutCosts = DEFAULT_COSTS) -> ResourceUse:
    """LUT/FF/BRAM/URAM/DSP of one unit (ports and widths from ``device``, else BRAM36/URAM288)."""
    lanes = unit.lookups_per_cycle
    index_bits = (2 if unit.double_buffer else 1) * unit.resident_tables * unit.codebook_outputs \
        * unit.weight_index_bits
    index_luts = max(math.ceil(index_bits / costs.lutram_bits_per_lut), lanes * unit.weight_index_bits)
    table_luts = 0 if unit.table_memory != "lutram" else math.ceil(
        _table_copies(unit) * unit.resident_tables * unit.table_bits / costs.lutram_bits_per_lut)
    lut = (lanes * unit.table_entry_bits * _mux_luts(unit.weight_centroids) + lanes * unit.accumulator_bits
           + index_luts + table_luts + unit.search_lanes * costs.search_lane_luts)
    ff = lanes * (unit.table_entry_bits + unit.accumulator_bits) + unit.search_lanes * costs.search_lane_ffs
    blocks = _table_blocks(unit, device)
    return ResourceUse(lut=lut, ff=ff, bram=blocks if unit.table_memory == "bram" else 0,
                       uram=blocks if unit.table_memory == "uram" else 0,
                       dsp=unit.search_lanes * unit.act_vector_len)


@dataclass(frozen=True)
class FitReport:
    """What a design uses against what a device has; ``binding`` is the most used resource."""

    device: str
    used: dict[str, int]
    available: dict[str, int]

    @property
    def utilization(self) -> dict[str, float]:
        return {k: self.used[k] / self.available[k] for k in RESOURCES}

    @property
    def binding(self) -> str:
        util = self.utilization
        return max(RESOURCES, key=lambda k: util[k])

    @property
    def fits(self) -> bool:
        return all(u <= 1.0 for u in self.utilization.values())

    def describe(self) -> str:
        """One line: fits or not, and the limiting resource with its numbers."""
        k = self.binding
        verdict = "fits" if self.fits else "does not fit"
        return (f"{verdict} on {self.device}: limited by {k} ({self.used[k]:,} of {self.available[k]:,}, "
                f"{100 * self.utilization[k]:.1f}%)")


def fit(device: FpgaDevice, unit: LutUnit, units: int, fixed: ResourceUse = ResourceUse(),
        costs: LutCosts = DEFAULT_COSTS) -> FitReport:
    """``units`` copies of ``unit`` plus ``fixed`` (other engines) against ``device``."""
    check_positive_int(units, "units")
    used = unit_resources(unit, device, costs).times(units) + fixed
    return FitReport(device.name, used.as_dict(), device.capacity)


def max_units(device: FpgaDevice, unit: LutUnit, fixed: ResourceUse = ResourceUse(),
              costs: LutCosts = DEFAULT_COSTS) -> int:
    """The most copies of ``unit`` that fit next to ``fixed`` (0 when even one does not)."""
    per_unit, spare = unit_resources(unit, device, costs).as_dict(), device.capacity
    fixed_d = fixed.as_dict()
    counts = [(spare[k] - fixed_d[k]) // per_unit[k] for k in RESOURCES if per_unit[k] > 0]
    return max(0, min(counts))


# --- a whole design: units on a device, plus the engines that are not table lookups -------

_DESIGNS = Path(__file__).parent.parent / "data" / "fpga" / "designs"


@dataclass(frozen=True)
class LutAccelerator:
    """``units`` copies of ``unit`` on the FPGA ``device`` (a built-in name or a YAML path).

    ``attention_macs_per_cycle`` is the DSP engine that runs the attention matmuls (QK^T and
    PV stay arithmetic in LUT-LLM); ``fixed`` is what that engine and the other non-lookup
    engines (norms, RoPE, SwiGLU, shell) take from the device. ``overlap_qkv_attention``
    pipelines the Q/K/V projections with the attention over the KV heads (:mod:`sim.lut`).
    """

    name: str
    source: str
    schema_version: int
    device: str
    unit: LutUnit
    units: int
    clock_hz: float
    attention_macs_per_cycle: int
    fixed: ResourceUse = ResourceUse()
    overlap_qkv_attention: bool = False

    def __post_init__(self):
        check(self.schema_version == 1, "schema_version", f"must be 1, not {self.schema_version!r}")
        check(bool(self.source.strip()), "source", "must say where the configuration comes from")
        check_positive_int(self.units, "units")
        check_positive_int(self.attention_macs_per_cycle, "attention_macs_per_cycle")
        finite_positive(self.clock_hz, "clock_hz", MAX_CLOCK_HZ)
        check(isinstance(self.overlap_qkv_attention, bool), "overlap_qkv_attention",
              f"must be true or false, not {self.overlap_qkv_attention!r}")

    @cached_property
    def fpga(self) -> FpgaDevice:
        return load_fpga(self.device)

    def fit(self, costs: LutCosts = DEFAULT_COSTS) -> FitReport:
        return fit(self.fpga, self.unit, self.units, self.fixed, costs)


LUT_DESIGNS: tuple[str, ...] = builtin_names(_DESIGNS)


def load_lut_design(name_or_path: str | Path) -> LutAccelerator:
    """A built-in design (:data:`LUT_DESIGNS`) or a YAML file; errors are one ``file:line: field`` line."""
    return load_builtin(LutAccelerator, name_or_path, _DESIGNS, "LUT design")
