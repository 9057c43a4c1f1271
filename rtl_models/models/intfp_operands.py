"""Port values for the physical-cost flow: operands of the ``ivf_dot`` design points built
from numerics-quantized test tensors.

``OPERANDS[point.unit](point, distribution, cycles, seed)`` returns, for every input port of
``point.top`` (``a``, ``b``, ``xa``, ``xb``; the unit has no clock), one non-negative
integer per cycle: cycle c carries block c of a (cycles, k) tensor drawn by
``numerics.test_tensor(distribution, seed)`` (A) and by seed + 1 (B), quantized by the
point's scheme (blocks along k, the scheme's own scale rule); ``a``/``b`` pack the k
element codes, element 0 lowest (Python ints: a 32 x 8-bit block is 256 bits wide),
``xa``/``xb`` are the block-scale codes. NV schemes' per-tensor FP32 scale stays outside
the unit (it multiplies the dot's result) and is not a port.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from numerics import quantize, test_tensor

from .._fields import Field, pack

# ivf_dot parameter point -> scheme, from the point's element parameters.
_SCHEMES = {(8, 1, 0): "mxint8", (8, 0, 0): "mxfp8_e4m3", (4, 1, 1): "nvint4", (4, 0, 1): "nvfp4"}


def _scheme(point) -> str:
    p = dict(point.parameters)
    key = (p.get("W", 8), p.get("IS_INT", 0), p.get("SCALE", 0))
    if key not in _SCHEMES:
        raise ValueError(f"{point.name}: no block scheme for W={key[0]}, IS_INT={key[1]}, SCALE={key[2]}")
    return _SCHEMES[key]


def _block_codes(scheme: str, distribution: str, cycles: int, k: int, seed: int):
    q = quantize(test_tensor(distribution, (cycles, k), seed), scheme)
    return q.codes.reshape(cycles, k).astype(np.uint64), q.scales.reshape(cycles).astype(np.uint64)


def ivf_operands(point, distribution: str, cycles: int, seed: int) -> dict[str, np.ndarray]:
    """{port: (cycles,) array of its values} for an ivf_dot design point."""
    scheme = _scheme(point)
    p = dict(point.parameters)
    k, w = p.get("K", 32), p.get("W", 8)
    a, xa = _block_codes(scheme, distribution, cycles, k, seed)
    b, xb = _block_codes(scheme, distribution, cycles, k, seed + 1)
    layout = (Field("a", w, k),)
    words = lambda codes: np.array(pack(layout, {"a": codes}, cycles), dtype=object)  # noqa: E731
    return {"a": words(a), "b": words(b), "xa": xa, "xb": xb}


# ivf_mix design point -> the format its operand stream runs (the is_int port, held)
MIX_FORMATS = {"ivf_mix_as_mxint8": "mxint8", "ivf_mix_as_mxfp8_e4m3": "mxfp8_e4m3"}


def mix_operands(point, distribution: str, cycles: int, seed: int) -> dict[str, np.ndarray]:
    """{port: values} for an ivf_mix design point: blocks of the format it names, the format
    select held at that format for the whole run."""
    if point.name not in MIX_FORMATS:
        raise ValueError(f"{point.name}: no format for the mixed unit (known: {', '.join(MIX_FORMATS)})")
    scheme = MIX_FORMATS[point.name]
    a, xa = _block_codes(scheme, distribution, cycles, 32, seed)
    b, xb = _block_codes(scheme, distribution, cycles, 32, seed + 1)
    layout = (Field("a", 8, 32),)
    words = lambda codes: np.array(pack(layout, {"a": codes}, cycles), dtype=object)  # noqa: E731
    select = np.full(cycles, 1 if scheme == "mxint8" else 0, np.uint64)
    return {"a": words(a), "b": words(b), "xa": xa, "xb": xb, "is_int": select}


OPERANDS: dict[str, Callable[..., dict[str, np.ndarray]]] = {"ivf_dot": ivf_operands,
                                                             "ivf_mix": mix_operands}
