"""HBM3 timing, background currents and the bandwidth a PIM unit can sustain from them.

    >>> t = HbmTiming(tccd_l_ns=3.08, trrd_s_ns=1.54, tfaw_ns=30.0, trfc_ns=350.0, trefi_ns=3900.0)
    >>> round(t.refresh_availability, 3), round(t.activations_per_ns, 4)
    (0.91, 0.1333)

A reader that streams ``bandwidth`` bytes per second out of one pseudo-channel (PC) keeps
``streams = bandwidth x tCCD_L / access_bytes`` rows open at once (one column access per
tCCD_L per open row, the same-bank-group limit), and each stream needs a new row every
``row_bytes / access_bytes x tCCD_L``. Three limits then cut the column-rate peak
(:meth:`arch.hbm.HbmStack.bandwidth_at`), derived once and applied to every PIM location:

- refresh: all-bank refresh blocks the PC for tRFC every tREFI (``1 - tRFC / tREFI``);
- activation: a PC may issue one ACT per tRRD_S and four per tFAW (JEDEC's activation-power
  window); a reader needing more activations per second than that slows by the ratio.
  Logic-die and bank-group readers keep about eight rows open per PC (the spare banks of a
  group open the next row while one streams); all-bank readers (Bank-PIM) keep every bank's
  row open and need four times the activations the window allows;
- power: when the stack carries a power budget, the PIM's draw (the FGDRAM energy per bit
  from the cells to the reader plus its MACs, at the bandwidth left by the first two
  limits) is held to it (AttAcc, ASPLOS 2024, limits PIM to the power of normal operation).

Background power of a stack: every channel in active standby (``VDD x IDD3N``) plus the
refresh bursts (``VDD x (IDD5AB - IDD3N) x tRFC / tREFI``), from per-channel currents.

Logic in the DRAM process (:class:`DramLogic`). PIM units on a DRAM die (bank or bank-group
units) are built in the DRAM process and pay for it twice, in terms taken from a built
reference design (Samsung's HBM-PIM): their clock follows the die's column clock (one
vector operation per same-bank-group column access, ``1 / tCCD_L``), and their area takes
cell capacity (the share of a DRAM die one MAC lane displaces). Logic-PIM sits on the
logic die (a logic process) and pays neither.

    >>> ref = DramLogic(pim_clock_hz=300e6, tccd_l_ns=10 / 3, mac_lanes_per_die=512, die_share_lost=0.5)
    >>> round(ref.clock_hz(3.077) / 1e6), ref.die_share_per_mac_lane
    (325, 0.0009765625)
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import check, finite_positive, fraction

__all__ = ["DramLogic", "HbmCurrents", "HbmTiming", "PimBandwidth", "pim_bandwidth"]


@dataclass(frozen=True)
class HbmTiming:
    """Timing of one pseudo-channel in ns, and its row (page) size in bytes."""

    tccd_l_ns: float
    trrd_s_ns: float
    tfaw_ns: float
    trfc_ns: float
    trefi_ns: float
    row_bytes: int = 1024
    source: str = ""

    def __post_init__(self):
        for name in ("tccd_l_ns", "trrd_s_ns", "tfaw_ns", "trfc_ns", "trefi_ns", "row_bytes"):
            finite_positive(getattr(self, name), name)
        check(self.trfc_ns < self.trefi_ns, "trfc_ns", f"must be below trefi_ns ({self.trefi_ns}), "
              f"not {self.trfc_ns!r}")

    @property
    def refresh_availability(self) -> float:
        """Share of time a PC is not blocked by all-bank refresh."""
        return 1.0 - self.trfc_ns / self.trefi_ns

    @property
    def activations_per_ns(self) -> float:
        """Most row activations one PC may issue per ns (tRRD_S and the four-ACT tFAW window)."""
        return min(1.0 / self.trrd_s_ns, 4.0 / self.tfaw_ns)


@dataclass(frozen=True)
class HbmCurrents:
    """Supply voltage and currents (mA) of one channel: active standby and all-bank refresh."""

    vdd_v: float
    idd3n_ma: float
    idd5ab_ma: float
    source: str = ""

    def __post_init__(self):
        for name in ("vdd_v", "idd3n_ma", "idd5ab_ma"):
            finite_positive(getattr(self, name), name)
        check(self.idd5ab_ma >= self.idd3n_ma, "idd5ab_ma",
              f"must be at least idd3n_ma ({self.idd3n_ma}), not {self.idd5ab_ma!r}")

    def standby_w(self, channels: int) -> float:
        return channels * self.vdd_v * self.idd3n_ma * 1e-3

    def refresh_w(self, channels: int, timing: HbmTiming) -> float:
        duty = timing.trfc_ns / timing.trefi_ns
        return channels * self.vdd_v * (self.idd5ab_ma - self.idd3n_ma) * 1e-3 * duty


@dataclass(frozen=True)
class PimBandwidth:
    """Bandwidth one stack's PIM units sustain, and the factor each limit takes off the peak."""

    peak_bytes_per_s: float
    refresh_factor: float = 1.0
    activation_factor: float = 1.0
    power_factor: float = 1.0

    @property
    def achievable_bytes_per_s(self) -> float:
        return self.peak_bytes_per_s * self.refresh_factor * self.activation_factor * self.power_factor


def _activation_factor(peak_per_pc: float, access_bytes: int, timing: HbmTiming) -> float:
    streams = peak_per_pc * timing.tccd_l_ns * 1e-9 / access_bytes
    row_ns = timing.row_bytes / access_bytes * timing.tccd_l_ns
    return min(1.0, timing.activations_per_ns * row_ns / streams)


def pim_bandwidth(peak_bytes_per_s: float, pseudo_channels: int, access_bytes: int,
                  timing: HbmTiming | None, draw_pj_per_byte: float = 0.0,
                  power_budget_w: float | None = None) -> PimBandwidth:
    """The limits of the module docstring on one stack's PIM peak; ``draw_pj_per_byte`` is the
    PIM's energy per byte read (data path and MACs), ``power_budget_w`` the stack's budget.

    >>> t = HbmTiming(tccd_l_ns=3.08, trrd_s_ns=1.54, tfaw_ns=30.0, trfc_ns=350.0, trefi_ns=3900.0)
    >>> round(pim_bandwidth(10.9e12, 32, 32, t).activation_factor, 2)  # all-bank streaming
    0.4
    """
    if timing is None:
        return PimBandwidth(peak_bytes_per_s)
    refresh = timing.refresh_availability
    activation = _activation_factor(peak_bytes_per_s / pseudo_channels, access_bytes, timing)
    draw_w = peak_bytes_per_s * refresh * activation * draw_pj_per_byte * 1e-12
    power = 1.0 if power_budget_w is None or draw_w <= power_budget_w else power_budget_w / draw_w
    return PimBandwidth(peak_bytes_per_s, refresh, activation, power)


@dataclass(frozen=True)
class DramLogic:
    """What compute logic costs on a DRAM die, from a built reference design: its PIM units
    run at ``pim_clock_hz`` on a DRAM whose same-bank-group column interval is ``tccd_l_ns``,
    and ``mac_lanes_per_die`` FP16 MAC lanes take ``die_share_lost`` of a die's cell capacity."""

    pim_clock_hz: float
    tccd_l_ns: float
    mac_lanes_per_die: int
    die_share_lost: float
    name: str = ""
    source: str = ""

    def __post_init__(self):
        for name in ("pim_clock_hz", "tccd_l_ns", "mac_lanes_per_die"):
            finite_positive(getattr(self, name), name)
        fraction(self.die_share_lost, "die_share_lost")

    @property
    def column_clocks(self) -> float:
        """The reference's PIM clock in units of its column rate (``clock x tCCD_L``)."""
        return self.pim_clock_hz * self.tccd_l_ns * 1e-9

    def clock_hz(self, tccd_l_ns: float) -> float:
        """The clock a DRAM-die PIM unit reaches on a DRAM with column interval ``tccd_l_ns``."""
        return self.column_clocks / (tccd_l_ns * 1e-9)

    @property
    def die_share_per_mac_lane(self) -> float:
        """Share of one DRAM die's capacity that one MAC lane displaces."""
        return self.die_share_lost / self.mac_lanes_per_die
