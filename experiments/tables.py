"""Tables behind ``bitplane formats`` and ``bitplane qsnr`` (pure functions -> DataFrame)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import numerics
from numerics.formats import FloatFormat

DEFAULT_QSNR_SCHEMES = (
    "mxint8", "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxint6",
    "mxfp4", "mxint4", "nvfp4", "nvint4", "int8_group", "int4_group", "fp6_channel",
    "bitmod4", "bitmod3",
)
DEFAULT_DISTRIBUTIONS = (
    "gaussian", "laplace", "student_t3", "outliers", "gaussian+hadamard", "outliers+hadamard",
)


def _specials(fmt) -> str:
    if not isinstance(fmt, FloatFormat):
        return "two's complement" if fmt.signed else "unsigned"
    notes = {"ieee": "inf, NaN (IEEE)", "all_ones": "NaN = all ones, no inf", "none": "none"}
    text = notes[fmt.nan_encoding]
    if not fmt.has_zero:
        text += "; no zero"
    return text + ("; sign bit ignored" if fmt.sign == "ignored" else "")


def formats_table() -> pd.DataFrame:
    """One row per registered element format."""
    rows = []
    for name, fmt in numerics.FORMATS.items():
        is_float = isinstance(fmt, FloatFormat)
        rows.append({
            "format": name,
            "bits": fmt.bits,
            "exp_bits": fmt.exponent_bits if is_float else 0,
            "man_bits": fmt.mantissa_bits if is_float else fmt.bits - fmt.signed,
            "bias": fmt.bias if is_float else 0,
            "max": fmt.max_value,
            "min_normal": fmt.min_normal,
            "min_subnormal": fmt.min_subnormal,
            "specials": _specials(fmt),
        })
    return pd.DataFrame(rows)


def schemes_table() -> pd.DataFrame:
    """One row per registered block scheme (MX, NV, grouped INT, per-channel, BitMoD)."""
    from arch.workloads import format_bits
    rows = []
    for name, scheme in numerics.SCHEMES.items():
        rows.append({
            "scheme": name,
            "family": scheme.family,
            "element": scheme.element.name if scheme.element else "per-group mixture of types",
            "scale": scheme.scale.name,
            "block": scheme.block_size or "whole axis",
            "bits_per_element": format_bits(name),
        })
    return pd.DataFrame(rows)


def qsnr_table(schemes=DEFAULT_QSNR_SCHEMES, distributions=DEFAULT_DISTRIBUTIONS,
               shape=(256, 1024), seed: int = 0) -> pd.DataFrame:
    """QSNR (dB), MSE and max-abs error of each scheme on each seeded test distribution."""
    rows = []
    for dist in distributions:
        x = numerics.test_tensor(dist, shape, seed)
        for scheme in schemes:
            q = numerics.quantize(x, scheme)
            m = numerics.error_metrics(x, q.dequantize())
            rows.append({"distribution": dist, "scheme": scheme,
                         "bits_per_element": q.bits_per_element, "qsnr_db": m.qsnr_db,
                         "mse": m.mse, "max_abs_error": m.max_abs_error})
    return pd.DataFrame(rows)


def qsnr_pivot(table: pd.DataFrame) -> pd.DataFrame:
    """Schemes as rows, distributions as columns, QSNR in dB (the paper's crossover view)."""
    pivot = table.pivot(index="scheme", columns="distribution", values="qsnr_db")
    order = list(dict.fromkeys(table["scheme"]))
    bits = table.groupby("scheme")["bits_per_element"].first()
    pivot = pivot.loc[order, list(dict.fromkeys(table["distribution"]))]
    pivot.insert(0, "bits", bits.loc[order].map(lambda b: float(np.round(b, 4))))
    return pivot.round(2)
