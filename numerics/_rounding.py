"""Rounding of non-negative magnitudes to integers: the one place rounding modes live.

Every encoder reduces its job to "round ``s = |x| / quantum`` to an integer", where the
quantum is a power of two chosen so that the division is exact in float64. The mode then
only needs the integer part, the fraction and the sign of ``x``.
"""

from __future__ import annotations

import numpy as np

ROUNDING_MODES = ("down", "rna", "rne", "rtz", "stochastic", "up")
DEFAULT_RANDOM_BITS = 32


def check_rounding(rounding: str, rng: np.random.Generator | None, random_bits: int) -> None:
    """Raise ValueError for an unknown mode or a stochastic mode without its generator."""
    if rounding not in ROUNDING_MODES:
        raise ValueError(f"rounding must be one of {', '.join(ROUNDING_MODES)}, not {rounding!r}")
    if rounding == "stochastic":
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                "rounding='stochastic' needs rng=numpy.random.Generator (seeded), "
                f"not {type(rng).__name__}"
            )
        if not (isinstance(random_bits, int) and 1 <= random_bits <= 52):
            raise ValueError(f"random_bits must be an integer in 1..52, not {random_bits!r}")


def round_magnitude(
    s: np.ndarray,
    negative: np.ndarray,
    rounding: str = "rne",
    rng: np.random.Generator | None = None,
    random_bits: int = DEFAULT_RANDOM_BITS,
) -> np.ndarray:
    """Round non-negative float64 magnitudes ``s`` to integers (returned as float64).

    ``negative`` says which inputs were negative, for the directed modes: ``up`` rounds
    toward +inf, so it rounds a negative magnitude down. ``stochastic`` compares the first
    ``random_bits`` bits of the fraction with a uniform integer of that many bits from
    ``rng``: it rounds up with probability floor(frac * 2^R) / 2^R, exactly ``frac``
    whenever the fraction has at most R bits (the bits beyond R are ignored, as a
    hardware unit with an R-bit random source ignores them).
    """
    n = np.floor(s)
    frac = s - n
    if rounding == "rtz":
        return n
    if rounding == "rne":
        up = (frac > 0.5) | ((frac == 0.5) & (np.fmod(n, 2.0) == 1.0))
    elif rounding == "rna":
        up = frac >= 0.5
    elif rounding == "up":
        up = (frac > 0) & ~negative
    elif rounding == "down":
        up = (frac > 0) & negative
    else:
        draws = rng.integers(0, 1 << random_bits, size=np.shape(s), dtype=np.uint64)
        up = draws < np.floor(frac * float(1 << random_bits)).astype(np.uint64)
    return n + up
