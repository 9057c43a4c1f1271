"""Element format specs and the format registry.

A format is one frozen spec plus an encode/decode pair::

    >>> fmt = get_format("fp8_e4m3fn")
    >>> fmt.max_value, fmt.encode([1.0, 500.0])
    (448.0, array([ 56, 126], dtype=uint8))

Codes are the format's own bit pattern (sign in the top bit of its width, two's complement
for signed integers) in the smallest unsigned numpy dtype; ``decode`` returns exact float64.
Names follow ml_dtypes: ``eXmY`` counts exponent and *stored* mantissa bits, ``fn`` =
finite (no inf), ``u`` = unsigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from . import _codec
from ._rounding import DEFAULT_RANDOM_BITS

NanEncoding = Literal["ieee", "all_ones", "none"]
SignMode = Literal["signed", "unsigned", "ignored"]


def code_dtype(bits: int) -> np.dtype:
    """Smallest unsigned numpy dtype that holds ``bits``-bit codes."""
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if bits <= np.iinfo(dtype).bits:
            return np.dtype(dtype)
    raise ValueError(f"code width must be at most 64 bits, not {bits}")


class _Format:
    """Shared behaviour of element formats: validation of encode options, code dtype."""

    name: str

    @property
    def bits(self) -> int:
        raise NotImplementedError

    @property
    def code_dtype(self) -> np.dtype:
        return code_dtype(self.bits)

    @property
    def has_nan(self) -> bool:
        return False

    @property
    def has_inf(self) -> bool:
        return False

    def all_codes(self) -> np.ndarray:
        """Every code of the format, in code order (only for formats of at most 16 bits)."""
        if self.bits > 16:
            raise ValueError(f"{self.name} has {self.bits}-bit codes; all_codes needs <= 16")
        return np.arange(1 << self.bits, dtype=self.code_dtype)

    def _resolve_policies(self, saturate: bool | None, nan: str | None) -> tuple[bool, str]:
        if saturate is None:
            saturate = not self.has_inf
        if not saturate and not (self.has_inf or self.has_nan):
            raise ValueError(
                f"{self.name} has no inf or NaN to overflow to: saturate must be True, not False"
            )
        allowed = ("keep", "raise", "zero") if self.has_nan else ("raise", "zero")
        nan = nan or ("keep" if self.has_nan else "raise")
        if nan not in allowed:
            raise ValueError(
                f"nan policy for {self.name} must be one of {', '.join(allowed)}, not {nan!r}"
            )
        return bool(saturate), nan

    def encode(
        self,
        x,
        rounding: str = "rne",
        saturate: bool | None = None,
        nan: str | None = None,
        rng: np.random.Generator | None = None,
        random_bits: int = DEFAULT_RANDOM_BITS,
    ) -> np.ndarray:
        """Encode real values into codes of this format.

        rounding: rne (default), rtz, rna (ties away from zero), up (toward +inf), down
            (toward -inf) or stochastic (needs a seeded ``rng``; ``random_bits`` of the
            fraction are compared with a uniform integer, see ``_rounding``).
        saturate: overflow (a rounded magnitude above ``max_value``, or an infinite input)
            clamps to +-max when True; when False it becomes inf where the format has inf,
            else NaN where it has NaN. Default: False for formats with inf, True otherwise.
            Directed modes follow IEEE 754: rtz never overflows past max.
        nan: NaN inputs are kept as NaN ("keep", default where the format has NaN), rejected
            with ValueError ("raise", default otherwise), or encoded as +0 ("zero").
        """
        saturate, nan = self._resolve_policies(saturate, nan)
        values = _codec.as_float_array(x, "x")
        return self._encode(values, rounding, saturate, nan, rng, random_bits)

    def decode(self, codes) -> np.ndarray:
        """Exact float64 values of ``codes`` (integer array of this format's codes)."""
        codes = np.asarray(codes)
        if codes.dtype.kind not in "ui":
            raise ValueError(f"codes must be an integer array, not {codes.dtype}")
        if codes.size and (codes.min() < 0 or int(codes.max()) >> self.bits):
            raise ValueError(f"{self.name} codes must lie in 0..{(1 << self.bits) - 1}")
        return self._decode(codes.astype(np.uint64))

    def quantize(self, x, **encode_options) -> np.ndarray:
        """Round values onto this format's grid: ``decode(encode(x, ...))``."""
        return self.decode(self.encode(x, **encode_options))


@dataclass(frozen=True)
class FloatFormat(_Format):
    """A binary floating-point format.

    exponent_bits, mantissa_bits: field widths (mantissa = stored bits, no implicit bit).
    nan_encoding: "ieee" (max exponent field: inf when the mantissa is 0, else NaN),
        "all_ones" (only the all-ones magnitude code is NaN, no inf: e4m3fn, e8m0fnu) or
        "none" (every code is finite: the fp6/fp4 MX element formats).
    sign: "signed" (sign bit on top), "unsigned" (no sign bit) or "ignored" (a sign bit is
        stored but ignored, as in the NVFP4 ue4m3 block scale).
    has_subnormals: False only for exponent-only formats (e8m0fnu), whose smallest
        exponent field is a normal power of two and which have no zero.
    """

    name: str
    exponent_bits: int
    mantissa_bits: int
    bias: int
    nan_encoding: NanEncoding = "ieee"
    sign: SignMode = "signed"
    has_subnormals: bool = True

    def __post_init__(self):
        if not self.has_subnormals and self.mantissa_bits:
            raise ValueError(f"{self.name}: a format without subnormals must have 0 mantissa bits")

    @property
    def bits(self) -> int:
        return self.exponent_bits + self.mantissa_bits + (self.sign != "unsigned")

    @property
    def signed(self) -> bool:
        return self.sign == "signed"

    @property
    def has_inf(self) -> bool:
        return self.nan_encoding == "ieee"

    @property
    def has_nan(self) -> bool:
        return self.nan_encoding != "none"

    @property
    def has_zero(self) -> bool:
        return self.has_subnormals

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal value."""
        return (1 if self.has_subnormals else 0) - self.bias

    @cached_property
    def _max_magnitude_code(self) -> int:
        top = (1 << (self.exponent_bits + self.mantissa_bits)) - 1
        return top - {"ieee": 1 << self.mantissa_bits, "all_ones": 1, "none": 0}[self.nan_encoding]

    @property
    def emax(self) -> int:
        """Exponent of the largest finite value."""
        return (self._max_magnitude_code >> self.mantissa_bits) - self.bias

    @property
    def max_value(self) -> float:
        return float(self._decode(np.array([self._max_magnitude_code], np.uint64))[0])

    @property
    def min_normal(self) -> float:
        return 2.0**self.emin

    @property
    def min_subnormal(self) -> float:
        return 2.0 ** (self.emin - self.mantissa_bits) if self.has_subnormals else self.min_normal

    def _decode(self, codes: np.ndarray) -> np.ndarray:
        return _codec.decode_float(self, codes)

    def _encode(self, values, rounding, saturate, nan, rng, random_bits) -> np.ndarray:
        return _codec.encode_float(self, values, rounding, saturate, nan, rng, random_bits)


@dataclass(frozen=True)
class IntFormat(_Format):
    """A two's complement (or unsigned) integer, optionally with an implicit 2^-frac_bits.

    symmetric: the most negative code (-2^(bits-1)) is never produced by encode, so the
        range is +-(2^(bits-1) - 1), as symmetric quantizers and the MXINT8 reference clamp.
    """

    name: str
    int_bits: int
    signed: bool = True
    frac_bits: int = 0
    symmetric: bool = False

    @property
    def bits(self) -> int:
        return self.int_bits

    @property
    def min_code_value(self) -> int:
        if not self.signed:
            return 0
        return -(1 << (self.int_bits - 1)) + int(self.symmetric)

    @property
    def max_code_value(self) -> int:
        return (1 << (self.int_bits - self.signed)) - 1

    @property
    def max_value(self) -> float:
        return self.max_code_value * 2.0**-self.frac_bits

    @property
    def min_normal(self) -> float:
        return 2.0**-self.frac_bits

    @property
    def min_subnormal(self) -> float:
        return 2.0**-self.frac_bits

    @property
    def emax(self) -> int:
        """Exponent of the largest value's leading bit (0 for MXINT8's 1.6 fixed point)."""
        return self.max_code_value.bit_length() - 1 - self.frac_bits

    def _decode(self, codes: np.ndarray) -> np.ndarray:
        return _codec.decode_int(self, codes)

    def _encode(self, values, rounding, saturate, nan, rng, random_bits) -> np.ndarray:
        return _codec.encode_int(self, values, rounding, nan, rng, random_bits)


Format = FloatFormat | IntFormat


def _builtin_formats() -> dict[str, Format]:
    floats = [
        FloatFormat("fp4_e2m1fn", 2, 1, 1, "none"),
        FloatFormat("fp6_e2m3fn", 2, 3, 1, "none"),
        FloatFormat("fp6_e3m2fn", 3, 2, 3, "none"),
        FloatFormat("fp8_e4m3fn", 4, 3, 7, "all_ones"),
        FloatFormat("fp8_e5m2", 5, 2, 15, "ieee"),
        FloatFormat("fp16", 5, 10, 15, "ieee"),
        FloatFormat("bf16", 8, 7, 127, "ieee"),
        FloatFormat("fp32", 8, 23, 127, "ieee"),
        FloatFormat("e8m0fnu", 8, 0, 127, "all_ones", "unsigned", has_subnormals=False),
        FloatFormat("ue4m3", 4, 3, 7, "all_ones", "ignored"),
    ]
    ints = [IntFormat(f"int{b}", b) for b in range(2, 9)]
    ints += [IntFormat(f"uint{b}", b, signed=False) for b in range(2, 9)]
    return {f.name: f for f in floats + ints}


FORMATS: dict[str, Format] = _builtin_formats()


def get_format(name: str | Format) -> Format:
    """The registered format called ``name`` (a format object is returned as it is)."""
    if isinstance(name, FloatFormat | IntFormat):
        return name
    try:
        return FORMATS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown format {name!r}; known formats: {', '.join(sorted(FORMATS))}"
        ) from None
