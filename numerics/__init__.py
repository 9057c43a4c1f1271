"""Bit-exact numerics: element formats, block-scaled quantizers, dot-product and
accumulator models, L-Mul, bit-serial multiplication and error metrics.

    >>> import numerics
    >>> numerics.get_format("fp4_e2m1fn").decode([7])
    array([6.])
    >>> float(numerics.quantize([957.0] + [0.0] * 31, "mxfp8_e4m3").dequantize()[0])
    896.0
"""

from ._tensor_core import TensorCoreModel, tensor_core_dot, tensor_core_model
from .accumulate import ExactFP32, FixedPoint, SequentialFMA32, dot, mx_dot_general
from .bitmod import BITMOD_TYPES, BitModType
from .bitserial import BitSerialResult, bitserial_multiply
from .blocks import SCHEMES, BlockScheme, QuantizedTensor, get_scheme, quantize
from .formats import FORMATS, FloatFormat, IntFormat, get_format
from .lmul import lmul
from .metrics import (
    DISTRIBUTIONS,
    ErrorMetrics,
    error_metrics,
    hadamard_rotate,
    qsnr_db,
    scheme_error,
    test_tensor,
)
from .vq import VQTensor, kmeans, lut_accumulate, lut_matmul, lut_matmul_qsnr, vq_qsnr, vq_quantize

__all__ = [
    "BITMOD_TYPES",
    "DISTRIBUTIONS",
    "FORMATS",
    "SCHEMES",
    "BitModType",
    "BitSerialResult",
    "BlockScheme",
    "ErrorMetrics",
    "ExactFP32",
    "FixedPoint",
    "FloatFormat",
    "IntFormat",
    "QuantizedTensor",
    "SequentialFMA32",
    "TensorCoreModel",
    "VQTensor",
    "bitserial_multiply",
    "dot",
    "error_metrics",
    "get_format",
    "get_scheme",
    "hadamard_rotate",
    "kmeans",
    "lmul",
    "lut_accumulate",
    "lut_matmul",
    "lut_matmul_qsnr",
    "mx_dot_general",
    "qsnr_db",
    "quantize",
    "scheme_error",
    "tensor_core_dot",
    "tensor_core_model",
    "test_tensor",
    "vq_qsnr",
    "vq_quantize",
]
