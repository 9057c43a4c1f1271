"""What a design can run: the one place that says whether a workload's formats fit a unit.

    >>> from arch.design import load_design
    >>> unsupported(load_design("bitmod_ant"), "bitmod3", "fp16", "fp16")
    "bitmod_ant runs weight types int; weight format 'bitmod3' needs fp3_ea, fp3_er"
    >>> unsupported(load_design("bitmod_bitmod"), "bitmod3", "fp16", "fp16") is None
    True

Rules, per family:

- MX tensor core: the weight and KV-cache formats each need a rate (``MXTensorCore.rates``);
- GPU tensor cores (``SmTensorCore``): an MMA instruction kind for activations x weights and
  for activations x KV cache (:mod:`arch.units.mma_kinds`);
- bit-serial array: the weight format's element types (:func:`weight_types_of`) must all be
  among the array's ``weight_types`` (ANT and OliVe PEs take INT codes only, BitMoD's take
  its FP3/FP4 variants and INT, the FP16 baseline FP16);
- HBM + Logic-PIM/xPU system and FPGA LUT accelerator: FP16/BF16 weights, activations and KV
  cache (the PIM lanes are FP16/BF16 MACs; the LUT units vector-quantize float weights
  offline, so the workload's weight format is what they are quantized from);
- systolic array: any format (its PEs are priced per MAC, whatever the width).

Scope: whole-layer workloads (``scope="layer"``: norms, softmax, ... beside the GEMMs) need
an accelerator with a ``vector_unit``; the PIM and LUT models price GEMM-level workloads only.

:func:`unsupported` returns the reason as one line, or None; :func:`check_supported` raises
it as a ``ValueError`` (``bitplane simulate`` exits 2 with it; a sweep skips and counts).
"""

from __future__ import annotations

from numerics import FORMATS, SCHEMES, get_format, get_scheme
from numerics.bitmod import resolve_types
from numerics.formats import IntFormat

from .accelerator import Accelerator
from .hbm import HbmDevice
from .units import BitSerialArray, MXTensorCore
from .units.tensor_core import SmTensorCore

__all__ = ["FLOAT_FORMATS", "check_supported", "unsupported", "weight_types_of"]

#: The formats the PIM lanes compute in and the LUT units quantize from.
FLOAT_FORMATS: tuple[str, ...] = ("fp16", "bf16")


def _element_kind(name: str) -> str:
    """``int`` or ``fp<bits>`` (``fp16`` for every float wider than 8 bits) of an element format."""
    fmt = get_format(name)
    if isinstance(fmt, IntFormat):
        return "int"
    return "fp16" if fmt.bits > 8 else f"fp{fmt.bits}"


def weight_types_of(weight_format: str) -> tuple[str, ...]:
    """The bit-serial weight types (``arch.units.WEIGHT_TYPES`` names) a format's codes use.

    >>> weight_types_of("int4_group"), weight_types_of("nvfp4"), weight_types_of("bitmod4")
    (('int',), ('fp4',), ('fp4_ea', 'fp4_er'))
    """
    if weight_format in FORMATS:
        return (_element_kind(weight_format),)
    scheme = get_scheme(weight_format)
    if scheme.family == "bitmod":
        options = scheme.option_defaults
        names = {t.name.rsplit("_", 1)[0] for t in resolve_types(options["types"], options["bits"])}
        return tuple(sorted(names))
    element = scheme.element
    return ("int",) if isinstance(element, IntFormat) else (f"fp{element.bits}",)


def _sm_reason(unit: SmTensorCore, weight_format: str, activation_format: str, kv_format: str) -> str | None:
    try:  # weights times activations, and the attention GEMMs' activations times the KV cache
        unit.kind(activation_format, weight_format)
        unit.kind(activation_format, kv_format)
    except ValueError as exc:
        return str(exc)
    return None


def _accelerator_reason(acc: Accelerator, weight_format: str, activation_format: str,
                        kv_format: str) -> str | None:
    unit = acc.unit
    if isinstance(unit, SmTensorCore):
        return _sm_reason(unit, weight_format, activation_format, kv_format)
    if isinstance(unit, MXTensorCore):
        missing = [f for f in dict.fromkeys((weight_format, kv_format)) if f not in unit.rates]
        if missing:
            return (f"{acc.name} has no rate for {', '.join(map(repr, missing))}; "
                    f"it runs {', '.join(sorted(unit.rates))}")
    if isinstance(unit, BitSerialArray):
        needed = weight_types_of(weight_format)
        if not set(needed) <= set(unit.weight_types):
            return (f"{acc.name} runs weight types {', '.join(unit.weight_types)}; "
                    f"weight format {weight_format!r} needs {', '.join(needed)}")
    return None


def _scope_reason(design, scope: str) -> str | None:
    """Why ``design`` cannot run a workload of ``scope`` (``gemm`` or ``layer``), or None."""
    if scope == "gemm":
        return None
    if scope != "layer":
        return f"scope must be one of gemm, layer, not {scope!r}"
    if not isinstance(design, Accelerator):
        family = "logic_pim" if isinstance(design, HbmDevice) else "fpga_lut"
        return (f"{design.name} is {family}: its model prices GEMM-level workloads only "
                "(scope 'gemm'; bitplane simulate --scope gemm)")
    if design.vector_unit is None:
        return (f"design {design.name!r} declares no vector_unit, so it cannot run a whole layer's "
                "vector ops; add one or use scope 'gemm'")
    return None


def unsupported(design, weight_format: str, activation_format: str, kv_format: str,
                scope: str = "gemm") -> str | None:
    """Why ``design`` cannot run these formats at this workload ``scope`` (one line), or None."""
    for name in (weight_format, activation_format, kv_format):
        if name not in FORMATS and name not in SCHEMES:
            return f"unknown format {name!r}"
    if isinstance(design, Accelerator):
        return (_accelerator_reason(design, weight_format, activation_format, kv_format)
                or _scope_reason(design, scope))
    formats = dict.fromkeys((weight_format, activation_format, kv_format))
    wrong = [f for f in formats if f not in FLOAT_FORMATS]
    if wrong:
        return (f"{design.name} computes in {', '.join(FLOAT_FORMATS)}; "
                f"not {', '.join(map(repr, wrong))}")
    return _scope_reason(design, scope)


def check_supported(design, workload) -> None:
    """Raise ``ValueError`` when ``design`` cannot run ``workload``'s formats or scope."""
    reason = unsupported(design, workload.weight_format, workload.activation_format, workload.kv_format,
                         workload.scope)
    if reason is not None:
        raise ValueError(reason)
