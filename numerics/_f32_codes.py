"""numba building blocks shared by the MX and NV quantizer kernels.

An element code is computed from a float32 value ``v`` already scaled into the element's
range, in float32 arithmetic and without branches, so that LLVM vectorizes the loops that
call these functions:

1. ``a = min(|v|, max)`` saturates (the max is a grid point, so rounding keeps it).
2. ``a`` is added to ``M = 2^(q + 23)``, q = max(exponent of a, emin) - mbits the exponent
   of its quantum: the sum's last bit has weight ``2^q``, so the float32 adder rounds
   ``a / 2^q`` to the nearest integer n, ties to even, exactly as the element format does,
   and n sits in the sum's low bits: n = bits(a + M) - bits(M).
3. n is the significand with its implicit bit (or the subnormal count), so the code is
   ``((max(exponent, emin) + bias - 1) << mbits) + n``; a carry (n = 2^(mbits + 1))
   lands on the next binade's code by itself.

Integers (MXINT, NVINT4) round ``a * 2^frac`` with ``M = 2^23``. Only finite ``v`` are
valid input: the kernels handle NaN and infinity before they call these. The numpy
references (``blocks.mx_quantize_reference``, ``_nv.nv_quantize_reference``) share none of
this code; tests/equivalence checks that they agree code for code.

numba's on-disk cache (``cache=True``) keys each kernel on its own source file only: after
an edit here, delete ``numerics/__pycache__/*.nbi`` and ``*.nbc``, or the MX and NV kernels
keep running the old code.
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
_ABS_MASK = np.uint32(0x7FFFFFFF)
_TWO_23 = np.float32(2.0**23)
_TWO_23_BITS = np.uint32(0x4B000000)


@numba.njit(cache=True, inline="always")
def _round_bits(v, p):
    """Step 2 above for float formats: (bits of a + M, a's exponent field raised to at
    least emin's, M's exponent field)."""
    mbits, emin_field, max_value = p[0], p[1], p[2]
    a = min(abs(v), max_value)
    e_field = max(u32(f32_bits(a) >> _EXP_SHIFT), emin_field)
    m_field = u32(e_field + u32(_EXP_SHIFT - mbits))
    return f32_bits(a + bits_f32(u32(m_field << _EXP_SHIFT))), e_field, m_field


@numba.njit(cache=True, inline="always")
def float_code(v, p):
    """RNE, saturating code of finite float32 ``v`` in a float element format.

    ``p`` = ``element_params(fmt)``. numba widens uint32 arithmetic to 64 bits; the
    explicit uint32 casts keep the vectorized loop at eight 32-bit lanes.
    """
    mbits, code_offset, sign_shift = p[0], p[3], p[4]
    sum_bits, e_field, m_field = _round_bits(v, p)
    n = u32(sum_bits - u32(m_field << _EXP_SHIFT))
    code = u32(u32(_shl(e_field, mbits) + n) - code_offset)
    return u32(code | _shl(f32_bits(v) >> _SIGN_SHIFT, sign_shift))


@numba.njit(cache=True, inline="always")
def float_round(v, p):
    """``v`` rounded onto the element grid (RNE, saturating) as a float32: the value that
    ``float_code(v, p)`` encodes, for finite ``v >= 0``."""
    sum_bits, _, m_field = _round_bits(v, p)
    return bits_f32(sum_bits) - bits_f32(u32(m_field << _EXP_SHIFT))


@numba.njit(cache=True, inline="always")
def _shl(x, n):
    """x << n for n < 32 on uint32 (the mask tells LLVM so: a 32-bit vector shift)."""
    return u32(u32(x) << u32(n & _LOW5))


@numba.njit(cache=True, inline="always")
def int_code(v, p):
    """RNE, saturating two's complement code of finite float32 ``v`` in a fixed-point format.

    ``p`` = ``element_params(fmt)``: (2^frac_bits, max code value, code mask).
    """
    unit, max_n, mask = p
    a = min(abs(v) * unit, max_n)
    n = u32(f32_bits(a + _TWO_23) - _TWO_23_BITS)
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


_FLOAT_PARAMS = 5


def element_params(fmt) -> tuple:
    """The constants ``element_code`` needs for ``fmt``: a signed float element format, or a
    signed symmetric IntFormat (whose range is +-max code, as ``int_code`` assumes)."""
    if isinstance(fmt, FloatFormat):
        mbits = fmt.mantissa_bits  # code = (e_field << mbits) + n - code offset
        return (np.uint32(mbits), np.uint32(fmt.emin + 127), np.float32(fmt.max_value),
                np.uint32((128 - fmt.bias) << mbits), np.uint32(fmt.bits - 1))
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


CHUNK_BLOCKS = 64  # blocks whose scales are computed before their elements (fits in L1)


@numba.njit(cache=True, inline="always")
def chunk_count(n_blocks):
    return (n_blocks + CHUNK_BLOCKS - 1) // CHUNK_BLOCKS


@numba.njit(cache=True, inline="always")
def _max_bits(x_bits, base, k):
    m = u32(0)
    for i in range(k):
        m = max(m, u32(x_bits[base + i] & _ABS_MASK))
    return m


@numba.njit(cache=True, inline="always")
def block_max_bits(x_bits, k, b):
    """max |x| over block b (elements b*k .. b*k + k - 1 of the flat bits) as float32 bits;
    NaN and Inf give a pattern >= 0x7F800000 (NaN patterns beat every other). The NV and
    MX block sizes get loops of constant length: LLVM vectorizes a reduction of unknown
    length only from 32 elements on."""
    if k == 16:
        return _max_bits(x_bits, b * 16, 16)
    if k == 32:
        return _max_bits(x_bits, b * 32, 32)
    return _max_bits(x_bits, b * k, k)


@numba.njit(cache=True, inline="always")
def encode_blocks(x, k, factors, start, divide, p, codes):
    """Element codes of blocks start, start + 1, ... (one per factor) of the flat float32
    ``x`` with block size k: x / factor if ``divide`` else x * factor. A NaN factor marks a
    NaN/Inf block: all-zero codes (``element_code`` is only valid for finite values, so
    they are overwritten afterwards; a branch in the first loop would stop vectorization).

    The kernels compute a chunk of block factors first and then their elements, so the
    scalar scale arithmetic of many blocks overlaps and the element loops stay vector
    code; flat arrays with explicit offsets keep the per-block loop set-up small. (Chunks
    are numbered with ``range(chunk_count(n))``: with ``range(0, n, step)`` numba cannot
    tell that offsets are non-negative, and the index checks stop the vectorizer.)
    """
    for j in range(factors.size):
        base = (start + j) * k
        f = factors[j]
        if divide:
            for i in range(k):
                codes[base + i] = element_code(x[base + i] / f, p)
        else:
            for i in range(k):
                codes[base + i] = element_code(x[base + i] * f, p)
    for j in range(factors.size):
        if factors[j] != factors[j]:
            base = (start + j) * k
            for i in range(k):
                codes[base + i] = 0
