"""LLM workloads: model configurations as data, expanded into GEMM ops for the simulator.

    >>> from arch.workloads import expand
    >>> w = expand("mixtral-8x7b", "decode", batch=1, context=512)
    >>> [(op.name, op.m, op.instances) for op in w.ops if op.name == "moe.up"]
    [('moe.up', 1, 2.0)]
"""

from .expand import expand, format_bits
from .models import MODELS, ModelConfig, load_model
from .ops import Op, VectorOp, Workload

__all__ = ["MODELS", "ModelConfig", "Op", "VectorOp", "Workload", "expand", "format_bits", "load_model"]
