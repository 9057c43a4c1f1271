"""Bit-exact models of NVIDIA tensor-core dot products with an fp32 accumulator.

    >>> a = np.array([1.0] + [2.0**-13] * 15)
    >>> float(tensor_core_dot(a, a, np.float32(0.0), "h100", "fp16"))
    1.0

Rounded once, the exact sum 1 + 15 * 2^-26 gives 1 + 2^-22; the tensor core keeps only
25 fraction bits below the largest product (2^0), so each 2^-26 product is cut to zero.

One hardware block ("FMA group") computes ``sum(a_i * b_i) + c`` for ``fma_group_size``
products:

1. Products are exact. A product keeps the unnormalised significand ``sa * sb`` in
   [1, 4) and the exponent ``ea + eb`` (subnormal inputs use the format's emin); with
   ``normalise_products`` it is renormalised to [1, 2) first.
2. Alignment: the largest exponent ``E`` among the non-zero terms (products, plus c when
   ``c_joins == "alignment"``), raised to ``alignment_exponent_floor``, fixes a window that
   keeps ``23 + extra_alignment_bits`` fraction bits below 2^E. Each term is cut to that
   window on its own, in sign-magnitude, by ``alignment_rounding``: rtz (truncation, the
   hardware) or rne. The cut terms are summed exactly (no carry is ever lost).
3. The sum is normalised and rounded to ``result_fraction_bits`` fraction bits by
   ``result_rounding``, with fp32's exponent range (subnormals below 2^-126, inf when the
   magnitude reaches 2^128, an exact zero is +0).

With ``c_joins == "after_products"`` steps 2-3 run on the products alone (rounded by
``product_sum_rounding``), and c is added afterwards by one correctly rounded fp32
addition (rounded by ``result_rounding``). For k > ``fma_group_size`` the groups run in
order and each group's rounded result is the next group's c (an infinite c, as after an
overflow, wins over finite products). NaN in any product or in c, inf * 0, or
infinities of both signs give NaN; otherwise an infinite product or c gives that
infinity (decided on the whole row, before any group runs).

Sources: Khattak & Mikaitis, "Accurate Models of NVIDIA Tensor Cores" (arXiv 2512.07004)
and its MATLAB model (north-numerical-computing/MATLAB-tensor-core, read for behaviour
only); the presets were then fitted bit-exactly to that repository's H100/B200 validation
vectors (see ``tensor_core_model``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .formats import FloatFormat, get_format

__all__ = ["TensorCoreModel", "tensor_core_dot", "tensor_core_model"]

_FP32_FRACTION_BITS = 23
_FP32_EMIN = -126
_FP32_OVERFLOW = 2.0**128
_NO_EXPONENT = -(1 << 20)  # alignment exponent of a zero term: never the largest
_ADD_GUARD_BITS = 3  # guard, round and sticky: enough for a correctly rounded 2-term add
_ROUNDINGS = ("rne", "rtz")
_C_JOINS = ("after_products", "alignment")
_CHUNK_PRODUCTS = 1 << 15  # rows are processed in chunks of about this many products


@dataclass(frozen=True)
class TensorCoreModel:
    """Parameters of one tensor-core accumulation pipeline (fp32 accumulator and result).

    in_format: name of the a/b element format (a signed float format of ``formats``).
    fma_group_size: products summed in one hardware block; k must be a multiple of it.
    extra_alignment_bits: fraction bits kept in the alignment window beyond fp32's 23,
        counted below the leading bit of the largest term (neab; negative keeps fewer).
    alignment_rounding: how a term is cut to the window: "rtz" (truncate) or "rne".
    normalise_products: align products as [1, 2) significands (True) or as the raw
        [1, 4) significand product at exponent ea + eb (False, the hardware).
    c_joins: "alignment" (c is one more term of every group's window) or
        "after_products" (the group's product sum is rounded to an fp32 value first, and
        c is added by a separate correctly rounded fp32 addition).
    product_sum_rounding: rounding of the product sum when c joins after the products.
    result_fraction_bits: fraction bits kept in each group's result (23 = fp32).
    result_rounding: rounding of each group's result: "rtz" or "rne".
    alignment_exponent_floor: the window's top exponent is at least this.
    flush_subnormal_inputs: subnormal a, b and c count as zero.
    flush_subnormal_output: results below 2^-126 in magnitude become +0.
    """

    in_format: str
    fma_group_size: int
    extra_alignment_bits: int
    alignment_rounding: str = "rtz"
    normalise_products: bool = False
    c_joins: str = "alignment"
    product_sum_rounding: str = "rtz"
    result_fraction_bits: int = _FP32_FRACTION_BITS
    result_rounding: str = "rtz"
    alignment_exponent_floor: int = -133
    flush_subnormal_inputs: bool = False
    flush_subnormal_output: bool = False

    def __post_init__(self):
        fmt = get_format(self.in_format)
        if not (isinstance(fmt, FloatFormat) and fmt.signed and fmt.has_subnormals):
            raise ValueError(f"in_format must be a signed float format, not {self.in_format!r}")
        _check_int("fma_group_size", self.fma_group_size, 1, 1024)
        _check_int("extra_alignment_bits", self.extra_alignment_bits, -22, 26)
        _check_int("result_fraction_bits", self.result_fraction_bits, 1, _FP32_FRACTION_BITS)
        _check_int("alignment_exponent_floor", self.alignment_exponent_floor, -1100, 1100)
        for name in ("alignment_rounding", "product_sum_rounding", "result_rounding"):
            _check_choice(name, getattr(self, name), _ROUNDINGS)
        _check_choice("c_joins", self.c_joins, _C_JOINS)

    @property
    def window_fraction_bits(self) -> int:
        """Fraction bits kept below the leading bit of the largest term."""
        return _FP32_FRACTION_BITS + self.extra_alignment_bits

    def dot(self, a, b, c) -> np.ndarray:
        """``sum_i a_i * b_i + c`` as this tensor core returns it; see ``tensor_core_dot``."""
        return _dot(self, a, b, c)


def _check_int(name: str, value, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in {low}..{high}, not {value!r}")


def _check_choice(name: str, value, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(sorted(allowed))}, not {value!r}")


def _presets() -> dict[tuple[str, str], TensorCoreModel]:
    """Fitted to every row of the published H100/B200 validation vectors."""
    h100_fp8 = dict(fma_group_size=32, extra_alignment_bits=-10, result_fraction_bits=13)
    b200_fp8 = dict(
        fma_group_size=32, extra_alignment_bits=2, c_joins="after_products",
        product_sum_rounding="rtz", result_rounding="rne",
    )  # fmt: skip
    wide = dict(fma_group_size=16, extra_alignment_bits=2)
    presets = {}
    for fmt in ("fp8_e4m3fn", "fp8_e5m2"):
        presets["h100", fmt] = TensorCoreModel(fmt, **h100_fp8)
        presets["b200", fmt] = TensorCoreModel(fmt, **b200_fp8)
    for device in ("b200", "h100"):
        for fmt in ("bf16", "fp16"):
            presets[device, fmt] = TensorCoreModel(fmt, **wide)
    return presets


_PRESETS = _presets()
DEVICES = tuple(sorted({device for device, _ in _PRESETS}))
IN_FORMATS = tuple(sorted({fmt for _, fmt in _PRESETS}))


def tensor_core_model(device: str, in_format: str) -> TensorCoreModel:
    """The preset for ``device`` ("b200", "h100") and ``in_format``, fp32 output.

    All presets keep exact products unnormalised, truncate in the alignment and floor
    the window top at 2^-133 (the published model). Each matches all 5000 GPU rows of
    its case (tests/equivalence/test_tensor_core_gpu_data.py):
    - fp16, bf16 (both GPUs): 16 products per group, 2 extra alignment bits, c in the
      window, result rounded toward zero: the published model as it is.
    - H100 fp8: 32 products per group, -10 extra bits (13 fraction bits in the window),
      result cut toward zero to 13 fraction bits: the published model. The GPU ran
      with c = 0, so c joining the window (and k > 32) follows the model, unverified.
    - B200 fp8: 32 products per group, 2 extra bits; the product sum alone is rounded
      toward zero to fp32, then c is added with round-to-nearest-even. Fitted here: the
      published B200 model (c in the window, rtz) matches only 3207 (e4m3) and 3236
      (e5m2) rows, and rounding the exact sum once to nearest matches all but one
      e5m2 row; that row needs the product sum cut to fp32 before c joins.
    Not covered by the data: subnormal results, overflow (inf, as the published model;
    IEEE rtz would give the largest finite), infinities and NaN.
    """
    _check_choice("device", device, DEVICES)
    _check_choice("in_format", in_format, IN_FORMATS)
    return _PRESETS[device, in_format]


def tensor_core_dot(
    a, b, c, device: str | TensorCoreModel, in_format: str | None = None
) -> np.ndarray:
    """``sum_i a_i * b_i + c`` as the device's tensor core returns it, bit for bit.

    a, b: arrays of shape (..., k) (any float dtype) holding values of ``in_format``;
    k must be a multiple of the model's ``fma_group_size``. c: fp32 values broadcastable
    to shape (...). device: "b200" or "h100" with ``in_format`` (see
    ``tensor_core_model``), or a ``TensorCoreModel`` (then ``in_format`` may be omitted).
    Returns float32 of shape (...).
    """
    if isinstance(device, TensorCoreModel):
        if in_format not in (None, device.in_format):
            raise ValueError(f"in_format {in_format!r} contradicts the model's "
                             f"{device.in_format!r}")  # fmt: skip
        return _dot(device, a, b, c)
    return _dot(tensor_core_model(device, in_format), a, b, c)


def _dot(model: TensorCoreModel, a, b, c) -> np.ndarray:
    a, b, c, batch_shape = _as_rows(model, a, b, c)
    rows = max(1, _CHUNK_PRODUCTS // model.fma_group_size)
    out = np.empty(c.shape, np.float32)
    for start in range(0, c.shape[0], rows):  # cache-sized chunks: about twice as fast
        part = slice(start, start + rows)
        out[part] = _dot_rows(model, a[part], b[part], c[part])
    return out.reshape(batch_shape)


def _dot_rows(model: TensorCoreModel, a, b, c) -> np.ndarray:
    """The model on float64 a, b of shape (n, k) and c of shape (n,); float32 (n,)."""
    special, special_value = _special_results(a, b, c)
    if model.flush_subnormal_inputs:
        c = _flush(c, _FP32_EMIN)
    acc = np.where(special, 0.0, c).astype(np.float32)
    for start in range(0, a.shape[-1], model.fma_group_size):
        group = slice(start, start + model.fma_group_size)
        step = _group(model, a[:, group], b[:, group], acc)
        acc = np.where(np.isfinite(acc), step, acc)  # an infinite c wins over finite products
    return np.where(special, special_value, acc).astype(np.float32)


def _as_rows(model, a, b, c):
    """float64 a, b of shape (n, k), c of shape (n,), and the batch shape (...)."""
    a, b = _float_array(a, "a"), _float_array(b, "b")
    if a.shape != b.shape or a.ndim == 0:
        raise ValueError(f"a and b must have the same shape (..., k), not {a.shape} and {b.shape}")
    batch_shape, k = a.shape[:-1], a.shape[-1]
    if k == 0 or k % model.fma_group_size:
        raise ValueError(f"k (the last axis of a and b) must be a positive multiple of the FMA "
                         f"group size {model.fma_group_size}, not {k}")  # fmt: skip
    c = _float_array(c, "c")
    try:
        c = np.broadcast_to(c, batch_shape)
    except ValueError:
        raise ValueError(f"c must broadcast to shape {batch_shape}, not {c.shape}") from None
    _checked_fields(c, "c", get_format("fp32"))
    return a.reshape(-1, k), b.reshape(-1, k), c.reshape(-1), batch_shape


def _float_array(x, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise ValueError(f"{name} must be a float array, not {x.dtype}")
    return x.astype(np.float64, copy=False)


def _special_results(a, b, c) -> tuple[np.ndarray, np.ndarray]:
    """(rows with a NaN or infinite result, that result), decided on the whole row."""
    special = ~(np.isfinite(a).all(-1) & np.isfinite(b).all(-1) & np.isfinite(c))
    if not special.any():
        return special, np.zeros(c.shape)
    with np.errstate(invalid="ignore"):
        terms = np.concatenate([a * b, c[:, None]], axis=-1)
    pos, neg = (terms == np.inf).any(-1), (terms == -np.inf).any(-1)
    nan = np.isnan(terms).any(-1) | (pos & neg)
    return special, np.where(nan, np.nan, np.where(pos, np.inf, -np.inf))


def _flush(x: np.ndarray, emin: int) -> np.ndarray:
    return np.where(np.abs(x) < 2.0**emin, 0.0, x)


def _decompose(x: np.ndarray, mantissa_bits: int, emin: int):
    """x = sig * 2^(exp - mantissa_bits), exp >= emin the leading-bit exponent; sig float64."""
    _, e = np.frexp(x)
    exp = np.maximum(e - 1, emin)  # int32: numpy's fast ldexp path
    return np.ldexp(x, mantissa_bits - exp), exp.astype(np.int64)


def _fields(x: np.ndarray, mantissa_bits: int, emin: int):
    """(int64 significand, exponent) of x; inf and NaN count as 0 (handled per row)."""
    sig, exp = _decompose(np.where(np.isfinite(x), x, 0.0), mantissa_bits, emin)
    return sig.astype(np.int64), exp


def _checked_fields(x: np.ndarray, name: str, fmt: FloatFormat):
    """(int64 significand, exponent) of x, which must hold values of fmt (inf/NaN -> 0)."""
    finite = np.isfinite(x)
    values = np.where(finite, x, 0.0)
    sig, exp = _decompose(values, fmt.mantissa_bits, fmt.emin)
    bad = (sig != np.floor(sig)) | (np.abs(values) > fmt.max_value)
    if not (fmt.has_inf and fmt.has_nan):
        bad |= (np.isinf(x) & (not fmt.has_inf)) | (np.isnan(x) & (not fmt.has_nan))
    if bad.any():
        raise ValueError(f"{name} must hold {fmt.name} values, not {float(x[bad].flat[0])!r}")
    return sig.astype(np.int64), exp


def _products(model, a, b):
    """Exact products as (signed significand, alignment exponent, lsb exponent)."""
    fmt = get_format(model.in_format)
    sig_a, exp_a = _checked_fields(a, "a", fmt)
    sig_b, exp_b = _checked_fields(b, "b", fmt)
    sig, exp = sig_a * sig_b, exp_a + exp_b
    if model.flush_subnormal_inputs:
        sig = np.where((np.abs(a) < fmt.min_normal) | (np.abs(b) < fmt.min_normal), 0, sig)
    lsb = exp - 2 * fmt.mantissa_bits
    if model.normalise_products:
        exp = exp + (np.abs(sig) >> (2 * fmt.mantissa_bits + 1) > 0)
    return sig, exp, lsb


def _group(model, a, b, c):
    """One FMA group: a, b (n, g) and float32 c (n,) -> float32 (n,)."""
    sig, exp, lsb = _products(model, a, b)
    c_sig, c_exp = _fields(c.astype(np.float64), _FP32_FRACTION_BITS, _FP32_EMIN)
    if model.c_joins == "alignment":
        sig, exp = np.column_stack([sig, c_sig]), np.column_stack([exp, c_exp])
        lsb = np.column_stack([lsb, c_exp - _FP32_FRACTION_BITS])
    total, window_lsb = _aligned_sum(
        sig, exp, lsb, model.window_fraction_bits,
        model.alignment_rounding, model.alignment_exponent_floor,
    )  # fmt: skip
    if model.c_joins == "alignment":
        return _round_result(total, window_lsb, model, model.result_rounding)
    products = _round_result(total, window_lsb, model, model.product_sum_rounding)
    return _add_fp32(products, c_sig, c_exp, model)


def _add_fp32(x: np.ndarray, c_sig, c_exp, model) -> np.ndarray:
    """Correctly rounded x + c (float32 x, decomposed fp32 c), by result_rounding."""
    x_sig, x_exp = _fields(x.astype(np.float64), _FP32_FRACTION_BITS, _FP32_EMIN)
    sig, exp = np.column_stack([x_sig, c_sig]), np.column_stack([x_exp, c_exp])
    lsb = exp - _FP32_FRACTION_BITS
    total, window_lsb = _aligned_sum(
        sig, exp, lsb, _FP32_FRACTION_BITS + _ADD_GUARD_BITS, "sticky", _FP32_EMIN
    )
    result = _round_result(total, window_lsb, model, model.result_rounding)
    return np.where(np.isfinite(x), result, x)


def _aligned_sum(sig, exp, lsb, fraction_bits: int, rounding: str, exp_floor: int):
    """Sum of terms sig * 2^lsb, each cut to the window below the largest exponent.

    Returns (sum, window_lsb): the exact sum of the cut terms is sum * 2^window_lsb.
    """
    top = np.where(sig == 0, _NO_EXPONENT, exp).max(axis=-1)
    window_lsb = np.maximum(top, exp_floor) - fraction_bits
    cut = _shift_magnitude(np.abs(sig), lsb - window_lsb[:, None], rounding)
    return (np.sign(sig) * cut).sum(axis=-1), window_lsb


def _shift_magnitude(mag: np.ndarray, shift: np.ndarray, rounding: str) -> np.ndarray:
    """mag * 2^shift rounded to an integer ("rtz", "rne", or "sticky": rtz | lost bits)."""
    left = np.left_shift(mag, np.clip(shift, 0, 62))
    right_by = np.clip(-shift, 0, 63)
    kept = np.right_shift(mag, right_by)
    if rounding != "rtz":
        lost = mag - np.left_shift(kept, right_by)
        if rounding == "rne":
            half = np.left_shift(1, np.maximum(right_by - 1, 0)) * (right_by > 0)
            kept = kept + ((lost > half) | ((lost == half) & (half > 0) & (kept & 1 == 1)))
        else:
            kept = kept | (lost != 0)
    return np.where(shift >= 0, left, kept)


def _bit_length(mag: np.ndarray) -> np.ndarray:
    """Exact bit length of non-negative int64 values (float64 frexp can round up)."""
    _, n = np.frexp(mag.astype(np.float64))
    n = n.astype(np.int64)
    return n - (np.right_shift(mag, np.maximum(n - 1, 0)) == 0) * (mag > 0)


def _round_result(total, window_lsb, model, rounding: str) -> np.ndarray:
    """total * 2^window_lsb rounded to result_fraction_bits in fp32's range -> float32."""
    mag = np.abs(total)
    leading = window_lsb + _bit_length(mag) - 1
    quantum = np.maximum(leading, _FP32_EMIN) - model.result_fraction_bits
    kept = _shift_magnitude(mag, window_lsb - quantum, rounding)
    value = np.ldexp(kept.astype(np.float64), quantum.astype(np.int32))
    value = np.where(value >= _FP32_OVERFLOW, np.inf, value)
    if model.flush_subnormal_output:
        value = np.where(value < 2.0**_FP32_EMIN, 0.0, value)
    return np.where(total < 0, -value, value).astype(np.float32)
