"""FPGA devices and the GPU rooflines they are compared with, as data.

    >>> v80 = load_fpga("v80")
    >>> v80.luts, v80.bram36_blocks, v80.uram_blocks, v80.offchip_bandwidth_bytes_per_s
    (2574208, 3667, 1878, 820000000000.0)
    >>> load_gpu("mi210").hbm_bandwidth_bytes_per_s
    1638400000000.0

Built-in devices live in ``arch/data/fpga/<name>.yaml`` (:data:`FPGAS`) and GPUs in
``arch/data/fpga/gpus/<name>.yaml`` (:data:`GPUS`); every number carries its source in the
file. Memory blocks are counted the way AMD's Versal and UltraScale+ tables count them:
one BRAM is a 36 Kb block (two 18 Kb halves), one URAM a 288 Kb block; each has two ports
(``*_ports``) of ``*_port_bits`` bits a cycle each (36 for a true-dual-port BRAM36, 72 for
a URAM288, UG573 / AM007).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import MAX_BYTES, builtin_names, check, load_builtin
from .config import finite_positive as _positive
from .config import positive_int as _positive_int

__all__ = ["FPGAS", "GPUS", "RESOURCES", "FpgaDevice", "GpuDevice", "GpuMeasurement", "load_fpga", "load_gpu"]

_DATA = Path(__file__).parent / "data" / "fpga"
_GPU_DATA = _DATA / "gpus"

# The resources a design is checked against, in the order reports list them.
RESOURCES: tuple[str, ...] = ("lut", "ff", "bram", "uram", "dsp")



@dataclass(frozen=True)
class FpgaDevice:
    """One FPGA card: fabric resources, off-chip memory and power figures.

    ``power_w`` is the figure energy is priced with (energy = power x time); ``power_source``
    says where it comes from. ``static_power_w`` (when known) is the part that does not
    scale with activity. ``max_power_w`` is the card's limit (when a source gives one).
    """

    name: str
    part: str
    source: str
    schema_version: int
    luts: int
    ffs: int
    bram36_blocks: int
    uram_blocks: int
    dsps: int
    slrs: int
    offchip_bandwidth_bytes_per_s: float
    offchip_capacity_bytes: int
    power_w: float
    power_source: str
    node_nm: int
    max_power_w: float | None = None
    static_power_w: float | None = None
    bram_ports: int = 2
    bram_port_bits: int = 36
    uram_ports: int = 2
    uram_port_bits: int = 72

    def __post_init__(self):
        check(self.schema_version == 1, "schema_version", f"must be 1, not {self.schema_version!r}")
        check(bool(self.source.strip()), "source", "must cite where the numbers come from")
        check(bool(self.power_source.strip()), "power_source", "must cite where the power figure comes from")
        _positive_int(self.offchip_capacity_bytes, "offchip_capacity_bytes", MAX_BYTES)
        for field in ("luts", "ffs", "bram36_blocks", "uram_blocks", "dsps", "slrs", "bram_ports",
                      "bram_port_bits", "uram_ports", "uram_port_bits"):
            _positive_int(getattr(self, field), field)
        _positive_int(self.node_nm, "node_nm")
        _positive(self.offchip_bandwidth_bytes_per_s, "offchip_bandwidth_bytes_per_s")
        _positive(self.power_w, "power_w")
        if self.max_power_w is not None:
            _positive(self.max_power_w, "max_power_w")
        if self.static_power_w is not None:
            _positive(self.static_power_w, "static_power_w")
            check(self.static_power_w <= self.power_w, "static_power_w",
                  f"must be at most power_w ({self.power_w}), not {self.static_power_w}")

    @property
    def bram_bits(self) -> int:
        return 36 * 1024

    @property
    def uram_bits(self) -> int:
        return 288 * 1024

    @property
    def capacity(self) -> dict[str, int]:
        """Available count of each of :data:`RESOURCES`."""
        return {"lut": self.luts, "ff": self.ffs, "bram": self.bram36_blocks, "uram": self.uram_blocks,
                "dsp": self.dsps}

    @property
    def onchip_memory_bytes(self) -> int:
        return (self.bram36_blocks * self.bram_bits + self.uram_blocks * self.uram_bits) // 8


@dataclass(frozen=True)
class GpuMeasurement:
    """A published end-to-end latency of one request on the GPU: ``model`` at batch 1, a
    prompt of ``input_len`` and ``output_len`` generated tokens, taking ``e2e_latency_s``."""

    model: str
    input_len: int
    output_len: int
    e2e_latency_s: float
    source: str

    def __post_init__(self):
        _positive_int(self.input_len, "input_len")
        _positive_int(self.output_len, "output_len")
        _positive(self.e2e_latency_s, "e2e_latency_s")
        check(bool(self.source.strip()), "source", "must cite the publication that measured it")


@dataclass(frozen=True)
class GpuDevice:
    """A GPU as a roofline: HBM bandwidth, dense FP16 peak and board power (all cited), and
    optionally a published measurement that calibrates the roofline (``measured``)."""

    name: str
    source: str
    schema_version: int
    hbm_bandwidth_bytes_per_s: float
    hbm_capacity_bytes: int
    peak_fp16_flops: float
    power_w: float
    power_source: str
    measured: GpuMeasurement | None = None

    def __post_init__(self):
        check(self.schema_version == 1, "schema_version", f"must be 1, not {self.schema_version!r}")
        check(bool(self.source.strip()), "source", "must cite where the numbers come from")
        check(bool(self.power_source.strip()), "power_source", "must cite where the power figure comes from")
        _positive_int(self.hbm_capacity_bytes, "hbm_capacity_bytes", MAX_BYTES)
        for field in ("hbm_bandwidth_bytes_per_s", "peak_fp16_flops", "power_w"):
            _positive(getattr(self, field), field)


FPGAS: tuple[str, ...] = builtin_names(_DATA)
GPUS: tuple[str, ...] = builtin_names(_GPU_DATA)


def load_fpga(name_or_path: str | Path) -> FpgaDevice:
    """A built-in FPGA card (:data:`FPGAS`) or a YAML file; errors are one ``file:line: field`` line."""
    return load_builtin(FpgaDevice, name_or_path, _DATA, "FPGA")


def load_gpu(name_or_path: str | Path) -> GpuDevice:
    """A built-in GPU roofline (:data:`GPUS`) or a YAML file."""
    return load_builtin(GpuDevice, name_or_path, _GPU_DATA, "GPU")
