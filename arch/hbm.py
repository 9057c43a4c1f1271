"""HBM3 stacks, and the devices built on them: an xPU, its stacks, optional PIM units, a link.

    >>> stack = load_hbm_device("h100").stack
    >>> stack.pseudo_channels, stack.banks, round(stack.external_bandwidth_bytes_per_s / 1e9, 1)
    (32, 512, 670.0)
    >>> duplex = load_hbm_device("duplex")
    >>> round(duplex.stack.bandwidth_at("logic_die") / duplex.stack.external_bandwidth_bytes_per_s, 2)
    4.0
    >>> round(duplex.stack.bandwidth_at("logic_die") / 1e12, 2), round(duplex.pim_op_per_byte, 2)
    (2.68, 8.98)

A stack has ``channels`` x ``pseudo_channels_per_channel`` pseudo-channels (PCs), each with
``bank_groups_per_pseudo_channel`` bank groups (BGs) of ``banks_per_bank_group`` banks. One
column access of a PC moves ``access_bytes`` (32 DQ x burst 8 = 32 B in HBM3), and accesses
to different bank groups can issue every tCCD_S. Bandwidth at each place a reader can sit:

- ``xpu`` (through the interposer): ``dq_pins x pin_rate / 8``, capped by the data TSVs;
- ``logic_die``: the data TSVs (``data_tsvs x tsv_rate / 8``), capped by every bank group of
  every PC streaming at once (``PCs x BGs x access_bytes / tCCD_S``): Duplex's 4x TSVs
  (pitch 50 -> 22 um) reach that cap, which is why more TSVs would not help;
- ``bank_group``: every bank group streaming (4x the PC rate);
- ``bank``: every bank streaming (16x): Bank-PIM's all-bank mode.

A byte read from the cells crosses the FGDRAM segments (:data:`SEGMENTS`) in order: bank
activation/precharge (amortized per bit), the cell array, column decoder -> BG mux, BG mux
-> global I/O, TSV, interposer I/O. A reader at ``location`` takes the segments up to it
from the cells and the rest between itself and the xPU (:meth:`HbmStack.path`); the
simulator emits one ``<segment>.bit`` action per bit per segment and an energy table
(``arch/data/pim/energy/hbm3_fgdram.yaml``) prices them.

PIM units on a DRAM die (``bank``, ``bank_group``) are logic in the DRAM process: their clock
is capped at the die's column rate and their area takes cell capacity, both from a built
reference design named by ``dram_logic`` (``arch/data/pim/process/``; :class:`DramLogic`):
:attr:`HbmDevice.pim_clock_hz` and :attr:`HbmDevice.pim_capacity_share`. Logic-PIM on the
logic die keeps its clock and costs no cells.

What PIM units sustain is that column-rate peak cut by refresh, by the activation window and,
when the device sets ``pim_power_budget: rated``, by the power a standard stack draws at its
rated bandwidth (:mod:`arch.hbm_timing`; :attr:`HbmDevice.pim_limits`). A stack with
``timing`` and ``currents`` also has a background power (standby plus refresh), which a
serving run charges per second next to the xPU's and the PIM units' static power.

Built-in devices live in ``arch/data/pim/<name>.yaml`` (:data:`HBM_DEVICES`); every number
carries its source in the file. Energy tables named by a device are looked up in
``arch/data/pim/energy/`` first, then among the built-in tables of :mod:`arch.tech`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, reduce
from pathlib import Path
from typing import Literal

from .config import MAX_BYTES, builtin_names, check, from_dict, load_builtin, load_yaml
from .config import finite_positive as _positive
from .hbm_timing import DramLogic, HbmCurrents, HbmTiming, PimBandwidth, pim_bandwidth
from .tech import EnergyTable, load_energy_table
from .units.logic_pim import PimUnit
from .units.systolic import check_positive_int
from .units.xpu import Link, Xpu

__all__ = ["HBM_DEVICES", "SEGMENTS", "DramLogic", "HbmCurrents", "HbmDevice", "HbmStack", "HbmTiming",
           "load_dram_logic", "load_hbm_device", "load_pim_energy"]

_DATA = Path(__file__).parent / "data" / "pim"
_ENERGY = _DATA / "energy"
_PROCESS = _DATA / "process"

# Path segments from the DRAM cells to the xPU, in order (FGDRAM, O'Connor et al. MICRO 2017).
SEGMENTS: tuple[str, ...] = ("hbm_act_pre", "hbm_cell", "hbm_column_bg", "hbm_bg_gio", "hbm_tsv",
                             "hbm_interposer")
# How many leading segments lie between the cells and a reader at each location.
_CELL_SIDE = {"bank": 2, "bank_group": 3, "logic_die": 5, "xpu": 6}



@dataclass(frozen=True)
class HbmStack:
    """One HBM stack: organization, timing, TSVs and capacity (see the module docstring).

    ``tsv_rate_bps`` is the rate of one data TSV (the DQ pin rate when left out). ``timing``
    and ``currents`` (per pseudo-channel and per channel) are optional: without them PIM
    units see the column-rate peak and the stack has no background power.
    """

    name: str
    capacity_bytes: int
    pin_rate_bps: float
    channels: int = 16
    pseudo_channels_per_channel: int = 2
    bank_groups_per_pseudo_channel: int = 4
    banks_per_bank_group: int = 4
    dq_pins: int = 1024
    access_bytes: int = 32
    tccd_s_ps: int = 1500
    data_tsvs: int = 1024
    tsv_pitch_um: float = 50.0
    tsv_rate_bps: float | None = None
    dram_dies: int = 8
    timing: HbmTiming | None = None
    currents: HbmCurrents | None = None
    source: str = ""

    def __post_init__(self):
        check_positive_int(self.capacity_bytes, "capacity_bytes", MAX_BYTES)
        for field in ("channels", "pseudo_channels_per_channel",
                      "bank_groups_per_pseudo_channel", "banks_per_bank_group", "dq_pins",
                      "access_bytes", "tccd_s_ps", "data_tsvs", "dram_dies"):
            check_positive_int(getattr(self, field), field)
        _positive(self.pin_rate_bps, "pin_rate_bps")
        _positive(self.tsv_pitch_um, "tsv_pitch_um")
        if self.tsv_rate_bps is not None:
            _positive(self.tsv_rate_bps, "tsv_rate_bps")

    @property
    def pseudo_channels(self) -> int:
        return self.channels * self.pseudo_channels_per_channel

    @property
    def bank_groups(self) -> int:
        return self.pseudo_channels * self.bank_groups_per_pseudo_channel

    @property
    def banks(self) -> int:
        return self.bank_groups * self.banks_per_bank_group

    @property
    def tccd_s_s(self) -> float:
        return self.tccd_s_ps * 1e-12

    @property
    def external_bandwidth_bytes_per_s(self) -> float:
        """What the xPU sees through the interposer (DQ pins, capped by the data TSVs)."""
        return min(self.dq_pins * self.pin_rate_bps / 8, self.tsv_bandwidth_bytes_per_s)

    @property
    def tsv_bandwidth_bytes_per_s(self) -> float:
        rate = self.pin_rate_bps if self.tsv_rate_bps is None else self.tsv_rate_bps
        return self.data_tsvs * rate / 8

    def column_bandwidth_bytes_per_s(self, streams: int) -> float:
        """``streams`` readers (PCs, BGs or banks) each moving one access every tCCD_S."""
        return streams * self.access_bytes / self.tccd_s_s

    def bandwidth_at(self, location: str) -> float:
        """Bytes per second a reader at ``location`` (xpu, logic_die, bank_group, bank) sees."""
        if location == "xpu":
            return self.external_bandwidth_bytes_per_s
        if location == "logic_die":
            return min(self.tsv_bandwidth_bytes_per_s, self.column_bandwidth_bytes_per_s(self.bank_groups))
        if location == "bank_group":
            return self.column_bandwidth_bytes_per_s(self.bank_groups)
        if location == "bank":
            return self.column_bandwidth_bytes_per_s(self.banks)
        raise ValueError(f"location must be one of {', '.join(_CELL_SIDE)}, not {location!r}")

    @staticmethod
    def path(location: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(segments from the cells to a reader at ``location``, segments from it to the xPU)."""
        if location not in _CELL_SIDE:
            raise ValueError(f"location must be one of {', '.join(_CELL_SIDE)}, not {location!r}")
        cut = _CELL_SIDE[location]
        return SEGMENTS[:cut], SEGMENTS[cut:]

    @property
    def background_power_w(self) -> float:
        """Standby plus refresh power of the whole stack (0 without currents and timing)."""
        if self.currents is None or self.timing is None:
            return 0.0
        return self.currents.standby_w(self.channels) + self.currents.refresh_w(self.channels, self.timing)

    @property
    def tsv_area_mm2(self) -> float:
        """Footprint of the data-TSV array: ``data_tsvs x pitch^2``."""
        return self.data_tsvs * self.tsv_pitch_um**2 / 1e6


def load_dram_logic(name_or_path: str | Path) -> DramLogic:
    """A DRAM-process reference of ``arch/data/pim/process/`` by name, or a user YAML by path."""
    return load_builtin(DramLogic, name_or_path, _PROCESS, "DRAM logic reference")


def load_pim_energy(name_or_path: str | Path) -> EnergyTable:
    """An energy table of ``arch/data/pim/energy/`` by name, a built-in tech table, or a path."""
    path = Path(name_or_path)
    if not path.suffix and (_ENERGY / f"{name_or_path}.yaml").exists():
        path = _ENERGY / f"{name_or_path}.yaml"
        return from_dict(EnergyTable, load_yaml(path), source=str(path))
    return load_energy_table(name_or_path)


@dataclass(frozen=True)
class HbmDevice:
    """An xPU with ``stacks`` HBM stacks, PIM units in every stack (or none), and a link to
    its peers. ``energy_tables`` are merged in order (a later table wins on a shared action).
    ``pim_power_budget``: ``none``, or ``rated`` (PIM may draw per stack what a standard stack
    draws at its rated bandwidth, AttAcc's constraint; see :mod:`arch.hbm_timing`).
    ``dram_logic`` names the reference design that prices PIM logic on a DRAM die (clock and
    cells, :class:`DramLogic`); ``None`` prices it like logic-die logic."""

    name: str
    xpu: Xpu
    stack: HbmStack
    stacks: int
    link: Link
    pim: PimUnit | None = None
    energy_tables: tuple[str, ...] = ("hbm3_fgdram", "attacc_h100")
    pim_power_budget: Literal["none", "rated"] = "none"
    dram_logic: str | None = "hbm2_pim"
    source: str = ""
    schema_version: int = 1

    def __post_init__(self):
        check(self.pim_power_budget in ("none", "rated"), "pim_power_budget",
              f"must be one of none, rated, not {self.pim_power_budget!r}")
        check(self.schema_version == 1, "schema_version", f"must be 1, not {self.schema_version!r}")
        check_positive_int(self.stacks, "stacks")
        check(len(self.energy_tables) > 0, "energy_tables", "must name at least one table")

    @cached_property
    def energy(self) -> EnergyTable:
        return reduce(EnergyTable.merged, [load_pim_energy(name) for name in self.energy_tables])

    @property
    def capacity_bytes(self) -> int:
        return self.stacks * self.stack.capacity_bytes

    @property
    def external_bandwidth_bytes_per_s(self) -> float:
        return self.stacks * self.stack.external_bandwidth_bytes_per_s

    @property
    def xpu_bandwidth_bytes_per_s(self) -> float:
        """What the xPU's GEMMs sustain: external bandwidth x ``xpu.memory_efficiency``."""
        return self.external_bandwidth_bytes_per_s * self.xpu.memory_efficiency

    @cached_property
    def dram_process(self) -> DramLogic | None:
        """The DRAM-process reference that prices the PIM units, when they sit on a DRAM die."""
        if self.pim is None or self.pim.location == "logic_die" or self.dram_logic is None:
            return None
        return load_dram_logic(self.dram_logic)

    @property
    def pim_clock_hz(self) -> float:
        """The PIM units' clock: as given on the logic die; on a DRAM die at most what the DRAM
        process reaches at this stack's tCCD_L (:meth:`DramLogic.clock_hz`)."""
        ref, timing = self.dram_process, self.stack.timing
        if ref is None or timing is None:
            return self.pim.clock_hz
        return min(self.pim.clock_hz, ref.clock_hz(timing.tccd_l_ns))

    @property
    def pim_flops(self) -> float:
        return self.stacks * 2.0 * self.pim.macs_per_cycle * self.pim_clock_hz if self.pim else 0.0

    @property
    def pim_capacity_share(self) -> float:
        """Share of a stack's cell capacity the PIM units' area displaces (0 on the logic die):
        MAC lanes x the reference's die share per lane, over the stack's dies. 1 or more: the
        units do not fit on the dies."""
        ref = self.dram_process
        if ref is None:
            return 0.0
        return self.pim.macs_per_cycle * ref.die_share_per_mac_lane / self.stack.dram_dies

    def _pj_per_bit(self, segments) -> float:
        return sum(self.energy.energy_pj(f"{s}.bit") for s in segments)

    @property
    def rated_stack_power_w(self) -> float:
        """What one standard stack draws streaming at its rated (external) bandwidth."""
        return self.stack.external_bandwidth_bytes_per_s * 8 * self._pj_per_bit(SEGMENTS) * 1e-12

    @cached_property
    def pim_limits(self) -> PimBandwidth | None:
        """One stack's PIM bandwidth: the column-rate peak and what each limit takes off it."""
        if self.pim is None:
            return None
        cell_side, _ = HbmStack.path(self.pim.location)
        macs_per_byte = self.pim_flops / self.stacks / 2 / self.stack.bandwidth_at(self.pim.location)
        draw = 8 * self._pj_per_bit(cell_side) + macs_per_byte * self.energy.energy_pj("pim_alu.mac")
        budget = self.rated_stack_power_w if self.pim_power_budget == "rated" else None
        return pim_bandwidth(self.stack.bandwidth_at(self.pim.location), self.stack.pseudo_channels,
                             self.stack.access_bytes, self.stack.timing, draw, budget)

    @property
    def pim_bandwidth_bytes_per_s(self) -> float:
        """What the PIM units of all stacks sustain (:attr:`pim_limits`)."""
        return self.stacks * self.pim_limits.achievable_bytes_per_s if self.pim else 0.0

    @property
    def static_power_w(self) -> dict[str, float]:
        """Power drawn whatever the load, by component: xPU, stacks' background, PIM leakage."""
        power = {"xpu_static": self.xpu.static_power_w,
                 "hbm_background": self.stacks * self.stack.background_power_w,
                 "pim_static": self.stacks * self.pim.static_power_w if self.pim else 0.0}
        return {c: w for c, w in power.items() if w > 0}

    @property
    def pim_op_per_byte(self) -> float:
        """The PIM units' ridge point: FLOPs they can do per byte they can read."""
        return self.pim_flops / self.pim_bandwidth_bytes_per_s if self.pim else 0.0


HBM_DEVICES: tuple[str, ...] = builtin_names(_DATA)


def load_hbm_device(name_or_path: str | Path) -> HbmDevice:
    """A built-in device (see :data:`HBM_DEVICES`) by name, or a user YAML file by path."""
    return load_builtin(HbmDevice, name_or_path, _DATA, "HBM device")
