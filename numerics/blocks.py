"""Block-scaled and grouped quantization schemes: MX, NVFP4/NVINT4, grouped INT, FP6
per-channel and BitMoD.

    >>> q = quantize(np.float32([957.0] + [0.0] * 31), "mxfp8_e4m3")
    >>> q.scales, float(q.dequantize()[0])
    (array([128], dtype=uint8), 896.0)

A scheme is a composition (element format, scale format, block size, family); the family
names the scale recipe. ``quantize`` returns a ``QuantizedTensor`` whose ``codes`` have the
input's shape and whose ``scales`` have the blocked axis divided by the block size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _mx_kernel, _nv_kernel, bitmod
from ._codec import as_float_array
from ._nv import nv_quantize_reference
from ._scales import MX_SCALE_RULES, mx_shared_exponent
from .formats import FloatFormat, Format, IntFormat, get_format

E8M0_BIAS = 127
E8M0_NAN = 0xFF


@dataclass(frozen=True)
class BlockScheme:
    """A block-scaled format: ``block_size`` elements share one ``scale`` code.

    family: "mx" (OCP MX v1.0, E8M0 power-of-two scale), "nv" (ue4m3 scale and optional
    FP32 tensor scale), "int_group" (FP16 scale, optional zero point), "channel" (one FP16
    scale per slice along the axis) or "bitmod" (FP16 scale, per-group type choice).
    block_size None means the whole axis is one block.
    """

    name: str
    family: str
    element: Format | None
    scale: Format
    block_size: int | None
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def option_defaults(self) -> dict[str, Any]:
        return dict(self.options)

    def resolve(self, options: dict[str, Any]) -> dict[str, Any]:
        """Options merged over the defaults; an unknown name is a ValueError."""
        unknown = sorted(set(options) - set(self.option_defaults))
        if unknown:
            allowed = ", ".join(sorted(self.option_defaults)) or "none"
            raise ValueError(f"unknown option {unknown[0]!r} for {self.name}; allowed: {allowed}")
        return {**self.option_defaults, **options}


@dataclass(frozen=True, eq=False)
class QuantizedTensor:
    """Codes and scales of one quantized tensor; ``dequantize()`` gives exact float64.

    tensor_scale: per-tensor decode factor (NV schemes), 1.0 elsewhere.
    zero_points: per-group zero-point codes (asymmetric grouped INT), else None.
    group_types: per-group index into ``type_names`` (BitMoD), else None.
    """

    scheme: BlockScheme
    codes: np.ndarray
    scales: np.ndarray
    axis: int
    block_size: int
    options: dict[str, Any] = field(default_factory=dict)
    tensor_scale: float = 1.0
    zero_points: np.ndarray | None = None
    group_types: np.ndarray | None = None
    type_names: tuple[str, ...] = ()

    @property
    def bits_per_element(self) -> float:
        """Storage per element: element bits plus the amortized scale (and type/zero) bits."""
        elem_bits = self.scheme.element.bits if self.scheme.element else self._bitmod_bits
        extra = self.scheme.scale.bits
        extra += 0 if self.zero_points is None else self.scheme.element.bits
        extra += int(np.ceil(np.log2(len(self.type_names)))) if len(self.type_names) > 1 else 0
        return elem_bits + extra / self.block_size

    @property
    def _bitmod_bits(self) -> int:
        return bitmod.BITMOD_TYPES[self.type_names[0]].bits

    def dequantize(self) -> np.ndarray:
        """Exact float64 values (NaN where a block's scale is NaN)."""
        codes = _to_blocks(np.moveaxis(self.codes, self.axis, -1), self.block_size)
        scales = np.moveaxis(self.scales, self.axis, -1)
        values = _DEQUANTIZERS[self.scheme.family](self, codes, scales)
        return np.moveaxis(values.reshape(values.shape[:-2] + (-1,)), -1, self.axis)


def _to_blocks(x: np.ndarray, block_size: int) -> np.ndarray:
    return x.reshape(x.shape[:-1] + (x.shape[-1] // block_size, block_size))


# ---------------------------------------------------------------- MX


def _element_mbits(fmt: Format) -> int:
    return fmt.mantissa_bits if isinstance(fmt, FloatFormat) else fmt.int_bits - 2


def mx_scale_exponents(blocks: np.ndarray, element: Format, scale_rule: str) -> np.ndarray:
    """Clamped shared exponents per block (int64); NaN/Inf blocks get the NaN marker 128."""
    amax = np.max(np.abs(blocks), axis=-1)
    bad = ~np.isfinite(amax)
    safe = np.where(bad | (amax == 0), 1.0, amax)
    mbits = _element_mbits(element)
    e = mx_shared_exponent(safe, scale_rule, element.emax, element.max_value, mbits)
    e = np.where(amax == 0, -E8M0_BIAS, np.clip(e, -E8M0_BIAS, E8M0_BIAS))
    return np.where(bad, E8M0_NAN - E8M0_BIAS, e)


def mx_quantize_reference(blocks: np.ndarray, element: Format, scale_rule: str = "floor"):
    """numpy reference of MX conversion: (element codes, E8M0 scale codes).

    Elements are V / 2^shared_exp rounded to nearest even, normal values beyond the
    element's max clamped to +-max (saturate); a block holding NaN or Inf gets scale 0xFF
    and all-zero element codes.
    """
    with np.errstate(invalid="ignore"):  # a signalling NaN quiets on the cast, as it should
        blocks = np.asarray(blocks, np.float64)
    e = mx_scale_exponents(blocks, element, scale_rule)
    bad = e == E8M0_NAN - E8M0_BIAS
    scaled = np.ldexp(np.where(bad[..., None], 0.0, blocks), -np.where(bad, 0, e)[..., None])
    codes = element.encode(scaled, rounding="rne", saturate=True)
    return codes, (e + E8M0_BIAS).astype(np.uint8)


def _mx_quantize(scheme, blocks, scale_rule, use_kernel):
    if scale_rule not in MX_SCALE_RULES:
        raise ValueError(f"scale_rule must be one of {', '.join(MX_SCALE_RULES)}, not {scale_rule!r}")
    if use_kernel and _mx_kernel.supports(blocks, scheme.element):
        codes, scales = _mx_kernel.mx_quantize(blocks, scheme.element, scale_rule)
    else:
        codes, scales = mx_quantize_reference(blocks, scheme.element, scale_rule)
    return {"codes": codes, "scales": scales}


def _scaled_dequantize(q, codes, scales):
    values = q.scheme.element.decode(codes) * q.scheme.scale.decode(scales)[..., None]
    return values * q.tensor_scale


# ---------------------------------------------------------------- NVFP4 / NVINT4


def _nv_quantize(scheme, blocks, recipe, tensor_scale, use_kernel):
    """NVFP4/NVINT4 in float32 arithmetic, in each recipe's own operation order (``_nv``)."""
    if use_kernel and _nv_kernel.supports(scheme.element):
        codes, scales, ts = _nv_kernel.nv_quantize(blocks, scheme.element, recipe, tensor_scale)
    else:
        codes, scales, ts = nv_quantize_reference(blocks, scheme.element, recipe, tensor_scale)
    return {"codes": codes, "scales": scales, "tensor_scale": ts}


# ---------------------------------------------------------------- grouped INT, FP6 channel

FP16 = get_format("fp16")


def _fp16_scale(values) -> tuple[np.ndarray, np.ndarray]:
    codes = FP16.encode(values, saturate=True)
    return codes, FP16.decode(codes)


def _int_group_quantize(scheme, blocks, group_size, symmetric):
    bits = scheme.element.bits
    if symmetric:
        qmax = 2 ** (bits - 1) - 1
        scale_codes, scale = _fp16_scale(np.max(np.abs(blocks), axis=-1) / qmax)
        safe = np.where(scale > 0, scale, np.inf)[..., None]
        elem = IntFormat(f"int{bits}", bits, symmetric=True)
        return {"codes": elem.encode(blocks / safe), "scales": scale_codes}
    lo, hi = np.minimum(blocks.min(axis=-1), 0.0), np.maximum(blocks.max(axis=-1), 0.0)
    scale_codes, scale = _fp16_scale((hi - lo) / (2**bits - 1))
    safe = np.where(scale > 0, scale, np.inf)
    zp_fmt = IntFormat(f"uint{bits}", bits, signed=False)
    zero_points = zp_fmt.encode(-lo / safe)
    shifted = blocks / safe[..., None] + zp_fmt.decode(zero_points)[..., None]
    return {"codes": zp_fmt.encode(shifted), "scales": scale_codes, "zero_points": zero_points}


def _int_group_dequantize(q, codes, scales):
    scale = FP16.decode(scales)[..., None]
    if q.zero_points is None:
        return IntFormat("int", q.scheme.element.bits).decode(codes) * scale
    zp_fmt = IntFormat("uint", q.scheme.element.bits, signed=False)
    zp = zp_fmt.decode(np.moveaxis(q.zero_points, q.axis, -1))[..., None]
    return (zp_fmt.decode(codes) - zp) * scale


def _channel_quantize(scheme, blocks):
    """ZeroQuant(4+2) FP6: one FP16 scale = amax / max_elem per slice along the axis."""
    scale_codes, scale = _fp16_scale(np.max(np.abs(blocks), axis=-1) / scheme.element.max_value)
    safe = np.where(scale > 0, scale, np.inf)[..., None]
    return {"codes": scheme.element.encode(blocks / safe, saturate=True), "scales": scale_codes}


def _bitmod_quantize(scheme, blocks, group_size, bits, types):
    mixture = bitmod.resolve_types(types, bits)
    codes, scales, type_index = bitmod.quantize_groups(blocks, mixture, FP16)
    return {"codes": codes, "scales": scales, "group_types": type_index,
            "type_names": tuple(t.name for t in mixture)}


def _bitmod_dequantize(q, codes, scales):
    mixture = bitmod.resolve_types(q.type_names, q._bitmod_bits)
    types = np.moveaxis(q.group_types, q.axis, -1)
    return bitmod.dequantize_groups(codes, FP16.decode(scales), types, mixture)


_QUANTIZERS = {
    "mx": _mx_quantize,
    "nv": _nv_quantize,
    "int_group": _int_group_quantize,
    "channel": _channel_quantize,
    "bitmod": _bitmod_quantize,
}
_DEQUANTIZERS = {
    "mx": _scaled_dequantize,
    "nv": _scaled_dequantize,
    "int_group": _int_group_dequantize,
    "channel": _scaled_dequantize,
    "bitmod": _bitmod_dequantize,
}


# ---------------------------------------------------------------- registry and entry point


def _builtin_schemes() -> dict[str, BlockScheme]:
    e8m0, ue4m3, fp16 = get_format("e8m0fnu"), get_format("ue4m3"), FP16
    mx_opts = (("kernel", "numba"), ("scale_rule", "floor"))
    mx_elements = {
        "mxfp8_e4m3": get_format("fp8_e4m3fn"),
        "mxfp8_e5m2": get_format("fp8_e5m2"),
        "mxfp6_e2m3": get_format("fp6_e2m3fn"),
        "mxfp6_e3m2": get_format("fp6_e3m2fn"),
        "mxfp4": get_format("fp4_e2m1fn"),
        # MXINT: two's complement with an implicit 2^-(bits-2) (1.6 fixed point for 8 bits),
        # clamped symmetric as the microxcaling reference does.
        **{f"mxint{b}": IntFormat(f"mxint{b}_element", b, frac_bits=b - 2, symmetric=True)
           for b in (4, 6, 8)},
    }
    schemes = [BlockScheme(n, "mx", f, e8m0, 32, mx_opts) for n, f in mx_elements.items()]
    nv_opts = (("kernel", "numba"), ("recipe", "torchao"), ("tensor_scale", None))
    schemes += [
        BlockScheme("nvfp4", "nv", get_format("fp4_e2m1fn"), ue4m3, 16, nv_opts),
        BlockScheme("nvint4", "nv", IntFormat("int4", 4, symmetric=True), ue4m3, 16, nv_opts),
        BlockScheme("fp6_channel", "channel", get_format("fp6_e3m2fn"), fp16, None),
    ]
    schemes += [
        BlockScheme(f"int{b}_group", "int_group", get_format(f"int{b}"), fp16, 128,
                    (("group_size", 128), ("symmetric", True)))
        for b in range(2, 9)
    ]
    schemes += [
        BlockScheme(f"bitmod{b}", "bitmod", None, fp16, 128,
                    (("bits", b), ("group_size", 128), ("types", None)))
        for b in (3, 4)
    ]
    return {s.name: s for s in schemes}


SCHEMES: dict[str, BlockScheme] = _builtin_schemes()


def get_scheme(name: str | BlockScheme) -> BlockScheme:
    """The registered block scheme called ``name``."""
    if isinstance(name, BlockScheme):
        return name
    if name not in SCHEMES:
        raise ValueError(f"unknown scheme {name!r}; known schemes: {', '.join(sorted(SCHEMES))}")
    return SCHEMES[name]


def _block_size(scheme: BlockScheme, options: dict, axis_len: int) -> int:
    size = options.get("group_size", scheme.block_size) or axis_len
    if not (isinstance(size, int | np.integer) and size > 0):
        raise ValueError(f"group_size must be a positive integer, not {size!r}")
    if axis_len % size:
        raise ValueError(
            f"axis length {axis_len} is not a multiple of {scheme.name}'s block size {size}"
        )
    return int(size)


def _checked_axis(axis, ndim: int) -> int:
    if not isinstance(axis, int | np.integer) or not -ndim <= axis < ndim:
        raise ValueError(f"axis must be an integer in {-ndim}..{ndim - 1}, not {axis!r}")
    return int(axis) % ndim


def quantize(x, scheme: str | BlockScheme, axis: int = -1, **options) -> QuantizedTensor:
    """Quantize ``x`` with a block scheme along ``axis``.

    Schemes (``SCHEMES``): mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4, mxint4/6/8
    (block 32, E8M0; option scale_rule = floor | ceil | even | rceil); nvfp4, nvint4
    (block 16, ue4m3; recipe = torchao | te, tensor_scale = None | 'auto' | float);
    int2_group..int8_group (FP16 scale; group_size, symmetric); fp6_channel (ZeroQuant(4+2));
    bitmod3, bitmod4 (group_size, types). MX and NV schemes also take kernel = numba (the
    default; float32 input) | numpy (the reference): both give the same codes.
    """
    scheme = get_scheme(scheme)
    opts = scheme.resolve(options)
    values = np.asarray(x)
    if values.dtype != np.float32:  # float32 stays as it is for the kernels (no copy)
        values = as_float_array(values, "x")
    if values.ndim == 0:
        raise ValueError("x must have at least one dimension to block along")
    axis = _checked_axis(axis, values.ndim)
    moved = np.moveaxis(values, axis, -1)
    block_size = _block_size(scheme, opts, moved.shape[-1])
    blocks = _to_blocks(moved, block_size)
    kwargs = {k: v for k, v in opts.items() if k != "kernel"}
    if scheme.family in ("mx", "nv"):
        kwargs["use_kernel"] = _kernel_choice(opts["kernel"])
    parts = _QUANTIZERS[scheme.family](scheme, blocks, **kwargs)
    return _assemble(scheme, parts, axis, block_size, opts, moved.shape)


def _kernel_choice(kernel: str) -> bool:
    if kernel not in ("numba", "numpy"):
        raise ValueError(f"kernel must be one of numba, numpy, not {kernel!r}")
    return kernel == "numba"


def _assemble(scheme, parts, axis, block_size, opts, moved_shape) -> QuantizedTensor:
    def back(a):
        return None if a is None else np.moveaxis(np.asarray(a), -1, axis)

    codes = np.asarray(parts.pop("codes")).reshape(moved_shape)
    return QuantizedTensor(
        scheme=scheme,
        codes=back(codes),
        scales=back(parts.pop("scales")),
        axis=axis,
        block_size=block_size,
        options=opts,
        zero_points=back(parts.pop("zero_points", None)),
        group_types=back(parts.pop("group_types", None)),
        **parts,
    )
