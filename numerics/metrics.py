"""Error metrics of quantization schemes and the seeded test distributions they run on.

    >>> x = test_tensor("gaussian", (64, 256), seed=0)
    >>> round(error_metrics(x, quantize(x, "mxint8").dequantize()).qsnr_db)  # doctest: +SKIP
    41
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .blocks import quantize


@dataclass(frozen=True)
class ErrorMetrics:
    """qsnr_db = 10 log10(sum x^2 / sum (x - x_q)^2); mse; max_abs_error."""

    qsnr_db: float
    mse: float
    max_abs_error: float


def error_metrics(x, x_q) -> ErrorMetrics:
    x, x_q = np.asarray(x, np.float64), np.asarray(x_q, np.float64)
    err = x - x_q
    noise, signal = float(np.sum(err**2)), float(np.sum(x**2))
    qsnr = np.inf if noise == 0 else 10.0 * np.log10(signal / noise)
    return ErrorMetrics(qsnr, float(np.mean(err**2)), float(np.max(np.abs(err))))


def qsnr_db(x, x_q) -> float:
    return error_metrics(x, x_q).qsnr_db


def scheme_error(x, scheme: str, axis: int = -1, **options) -> ErrorMetrics:
    """Error metrics of quantizing ``x`` with ``scheme`` and dequantizing it."""
    return error_metrics(x, quantize(x, scheme, axis=axis, **options).dequantize())


def hadamard_rotate(x, axis: int = -1, block: int | None = None) -> np.ndarray:
    """Orthonormal Walsh-Hadamard transform over blocks of ``block`` (power of two) along axis.

    The rotation spreads an outlier's energy over its block, which is what makes NVINT4
    competitive in the "INT v.s. FP" study. Default block: the whole axis.
    """
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    block = block or x.shape[-1]
    if block & (block - 1) or x.shape[-1] % block:
        raise ValueError(f"hadamard block must be a power of two dividing {x.shape[-1]}, not {block}")
    y = x.reshape(x.shape[:-1] + (-1, block)).copy()
    h = 1
    while h < block:  # in-place fast Walsh-Hadamard butterflies
        y = y.reshape(y.shape[:-1] + (block // (2 * h), 2, h))
        a, b = y[..., 0, :].copy(), y[..., 1, :].copy()
        y[..., 0, :], y[..., 1, :] = a + b, a - b
        y = y.reshape(y.shape[:-3] + (block,))
        h *= 2
    return np.moveaxis((y / np.sqrt(block)).reshape(x.shape), -1, axis)


def _outliers(rng, shape, fraction=0.001, magnitude=50.0):
    x = rng.standard_normal(shape)
    mask = rng.random(shape) < fraction
    return np.where(mask, magnitude * np.sign(x) * (1 + np.abs(x)), x)


DISTRIBUTIONS = {
    "gaussian": lambda rng, shape: rng.standard_normal(shape),
    "laplace": lambda rng, shape: rng.laplace(size=shape),
    "student_t3": lambda rng, shape: rng.standard_t(3, size=shape),
    "outliers": _outliers,
}


def test_tensor(distribution: str, shape=(256, 1024), seed: int = 0) -> np.ndarray:
    """A seeded float32 test tensor. ``distribution`` is a key of DISTRIBUTIONS, optionally
    with "+hadamard" (rotated along the last axis in blocks of 128 after drawing)."""
    base, _, rotation = distribution.partition("+")
    if base not in DISTRIBUTIONS or rotation not in ("", "hadamard"):
        names = ", ".join(sorted(DISTRIBUTIONS))
        raise ValueError(f"unknown distribution {distribution!r}; known: {names} (each may end in +hadamard)")
    x = DISTRIBUTIONS[base](np.random.default_rng(seed), shape)
    if rotation:
        x = hadamard_rotate(x, block=min(128, shape[-1]))
    return x.astype(np.float32)


test_tensor.__test__ = False  # not a pytest test despite its name
