"""numba building blocks shared by the MX and NV quantizer kernels.

An element code is computed from a float32 value ``v`` already scaled into the element's
range, in float32 arithmetic and without branches, so that LLVM can vectorize the loops
that call these functions:

1. ``a = min(|v|, max)`` saturates (the max is a grid point, so rounding keeps it).
2. Round ``a`` to a multiple of its quantum ``2^q`` (q = max(exponent, emin) - mbits)
   by adding and subtracting ``2^(q + 23)``: the sum's last bit has weight ``2^q``, so
   the float32 adder rounds to nearest even exactly as the element format does.
3. Read the code from the rounded value's bits (exponent and top mantissa bits); a
   subnormal element first gets ``2^emin`` added so its bits never go subnormal.

Integers (MXINT, NVINT4) round ``a * 2^frac`` with the adder at ``2^23`` instead. Only
finite ``v`` are valid input: the kernels handle NaN and infinity before they call these.
The numpy references (``blocks.mx_quantize_reference``, ``_nv.nv_quantize_reference``)
share none of this code; tests/equivalence checks that they agree code for code.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from .formats import FloatFormat


@intrinsic
def f32_bits(typingctx, x):
    """The float32 bit pattern of ``x`` as a uint32 (a bit cast, no conversion)."""
    if x != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.uint32(types.float32), codegen


@intrinsic
def bits_f32(typingctx, u):
    """The float32 whose bit pattern is the low 32 bits of the integer ``u``."""
    if not isinstance(u, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        value = args[0]
        if u.bitwidth > 32:
            value = builder.trunc(value, ir.IntType(32))
        elif u.bitwidth < 32:
            value = builder.zext(value, ir.IntType(32))
        return builder.bitcast(value, ir.FloatType())

    return types.float32(u), codegen


u32 = np.uint32
_EXP_SHIFT = np.uint32(23)
_SIGN_SHIFT = np.uint32(31)
_ZERO = np.uint32(0)
_LOW5 = np.uint32(31)
_TWO_23 = np.float32(2.0**23)


@numba.njit(cache=True, inline="always")
def float_code(v, p):
    """RNE, saturating code of finite float32 ``v`` in a float element format.

    ``p`` = ``element_params(fmt)``. numba widens uint32 arithmetic to 64 bits; the
    explicit uint32 casts keep the vectorized loop at eight lanes.
    """
    mbits, emin_field, min_normal, max_value, code_offset, sign_shift = p
    a = min(abs(v), max_value)
    e_field = max(u32(f32_bits(a) >> _EXP_SHIFT), emin_field)
    magic = bits_f32(u32(u32(e_field + u32(_EXP_SHIFT - mbits)) << _EXP_SHIFT))
    r = (a + magic) - magic
    sub = r < min_normal
    t = r + min_normal if sub else r
    offset = code_offset + (u32(1) << mbits) if sub else code_offset
    code = u32(_shr(f32_bits(t), _EXP_SHIFT - mbits) - offset)
    return u32(code | _shl(f32_bits(v) >> _SIGN_SHIFT, sign_shift))


@numba.njit(cache=True, inline="always")
def _shr(x, n):
    """x >> n for n < 32 on uint32 (the mask tells LLVM so: a 32-bit vector shift)."""
    return u32(u32(x) >> u32(n & _LOW5))


@numba.njit(cache=True, inline="always")
def _shl(x, n):
    return u32(u32(x) << u32(n & _LOW5))


@numba.njit(cache=True, inline="always")
def int_code(v, p):
    """RNE, saturating two's complement code of finite float32 ``v`` in a fixed-point format.

    ``p`` = ``element_params(fmt)``: (2^frac_bits, max code value, code mask).
    """
    unit, max_n, mask = p
    a = min(abs(v) * unit, max_n)
    n = u32(np.int32((a + _TWO_23) - _TWO_23))
    negative = u32(f32_bits(v) >> _SIGN_SHIFT)
    return u32(u32(u32(n ^ u32(_ZERO - negative)) + negative) & mask)


def element_code(v, p):
    """The element code of finite float32 ``v``: ``float_code`` or ``int_code``, chosen when
    numba compiles the caller, by the type of ``p = element_params(fmt)``."""
    raise NotImplementedError("element_code runs inside numba-compiled kernels only")


@overload(element_code)
def _element_code_impl(v, p):
    if len(p) == _FLOAT_PARAMS:
        def impl(v, p):
            return float_code(v, p)
    else:
        def impl(v, p):
            return int_code(v, p)
    return impl


_FLOAT_PARAMS = 6


def element_params(fmt) -> tuple:
    """The constants ``element_code`` needs for ``fmt``: a signed float element format, or a
    signed symmetric IntFormat (whose range is +-max code, as ``int_code`` assumes)."""
    if isinstance(fmt, FloatFormat):
        mbits = fmt.mantissa_bits
        return (np.uint32(mbits), np.uint32(fmt.emin + 127), np.float32(fmt.min_normal),
                np.float32(fmt.max_value), np.uint32((127 - fmt.bias) << mbits),
                np.uint32(fmt.bits - 1))
    return (np.float32(2.0**fmt.frac_bits), np.float32(fmt.max_code_value),
            np.uint32((1 << fmt.bits) - 1))


def supports_element(fmt) -> bool:
    """Whether ``element_code`` can encode ``fmt`` (else callers use the numpy reference)."""
    if isinstance(fmt, FloatFormat):
        # 2^(q + 23) must be a normal float32, and a value below 2^-126 (where float32
        # scaling may round) must lie under half the format's smallest step
        return (fmt.signed and fmt.has_subnormals and fmt.emax < 100
                and fmt.emin - fmt.mantissa_bits > -125)
    return fmt.signed and fmt.symmetric and fmt.bits <= 16
