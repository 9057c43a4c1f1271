"""Vector quantization: seeded k-means codebooks, nearest-centroid encode, decode, QSNR.

    >>> x = np.random.default_rng(0).standard_normal((4, 256, 2))   # 4 groups of 256 vectors
    >>> books = kmeans(x, 16, seed=0)
    >>> books.shape, encode(x, books).shape
    ((4, 16, 2), (4, 256))
    >>> round(float(qsnr_db(x, decode(encode(x, books), books))), 1)
    10.4

Shapes. Vectors come in ``groups`` that each have their own codebook: ``x[G, S, d]`` holds
``S`` sample vectors of length ``d`` per group, a codebook set is ``[G, K, d]`` and codes
are ``[G, S]`` integers. LUT-LLM's activations have one codebook per input-vector position
(the samples are tokens); its weights one per (input-vector position, block of outputs).
:func:`vq_quantize` cuts a matrix into such groups.

k-means is Lloyd's algorithm in float64 from ``K`` distinct samples per group drawn with
``numpy.random.default_rng(seed)``: the same inputs and seed give the same codebook on
every machine. A centroid whose cluster empties keeps its old value. Ties in the nearest-
centroid search go to the lowest index (squared Euclidean distance). :func:`encode` runs a
numba kernel; :func:`encode_reference` is its numpy reference (tests hold them equal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from .metrics import qsnr_db, test_tensor

__all__ = ["VQTensor", "decode", "encode", "encode_reference", "kmeans", "lut_matmul", "lut_matmul_qsnr",
           "vq_qsnr", "vq_quantize"]


def _check_groups(x: np.ndarray, k: int) -> np.ndarray:
    x = np.asarray(x, np.float64)
    if x.ndim != 3:
        raise ValueError(f"vectors must have shape (groups, samples, length), not {x.shape}")
    if not isinstance(k, int) or k < 1 or k > x.shape[1]:
        raise ValueError(f"centroids must be an integer from 1 to the {x.shape[1]} samples per group, "
                         f"not {k!r}")
    return x


def _distances(x: np.ndarray, books: np.ndarray) -> np.ndarray:
    """Squared distances [G, S, K], as the sum over the vector of squared differences."""
    return ((x[:, :, None, :] - books[:, None, :, :]) ** 2).sum(axis=-1)


def encode_reference(x, books) -> np.ndarray:
    """Index of the nearest centroid of each vector (numpy reference of :func:`encode`)."""
    x, books = np.asarray(x, np.float64), np.asarray(books, np.float64)
    return _distances(x, books).argmin(axis=-1).astype(np.int64)


@numba.njit(cache=True)
def _encode_kernel(x, books, out):  # pragma: no cover - compiled
    groups, samples, length = x.shape
    centroids = books.shape[1]
    for g in range(groups):
        for s in range(samples):
            best, best_d = 0, np.inf
            for c in range(centroids):
                d = 0.0
                for i in range(length):
                    diff = x[g, s, i] - books[g, c, i]
                    d += diff * diff
                if d < best_d:
                    best, best_d = c, d
            out[g, s] = best


def encode(x, books) -> np.ndarray:
    """Index [G, S] of the nearest of each group's centroids [G, K, d] for vectors [G, S, d]."""
    x = np.ascontiguousarray(x, np.float64)
    books = np.ascontiguousarray(books, np.float64)
    if x.ndim != 3 or books.ndim != 3 or x.shape[0] != books.shape[0] or x.shape[2] != books.shape[2]:
        raise ValueError(f"vectors {x.shape} and codebooks {books.shape} must be (G, S, d) and (G, K, d)")
    out = np.empty(x.shape[:2], np.int64)
    _encode_kernel(x, books, out)
    return out


def decode(codes, books) -> np.ndarray:
    """The centroid vectors [G, S, d] that ``codes`` [G, S] name."""
    books = np.asarray(books)
    return np.take_along_axis(books, np.asarray(codes)[:, :, None], axis=1)


def _update(x: np.ndarray, codes: np.ndarray, books: np.ndarray) -> np.ndarray:
    groups, k, length = books.shape
    flat = (codes + k * np.arange(groups)[:, None]).ravel()
    counts = np.bincount(flat, minlength=groups * k).reshape(groups, k)
    sums = np.stack([np.bincount(flat, weights=x[:, :, i].ravel(), minlength=groups * k)
                     for i in range(length)], axis=-1).reshape(groups, k, length)
    return np.where(counts[:, :, None] > 0, sums / np.maximum(counts, 1)[:, :, None], books)


def kmeans(x, k: int, seed: int = 0, iterations: int = 25) -> np.ndarray:
    """``k`` centroids per group of ``x`` [G, S, d] by seeded Lloyd iterations -> [G, k, d]."""
    x = _check_groups(x, k)
    rng = np.random.default_rng(seed)
    start = rng.random(x.shape[:2]).argsort(axis=1)[:, :k]
    books = np.take_along_axis(x, start[:, :, None], axis=1)
    for _ in range(iterations):
        codes = encode(x, books)
        new = _update(x, codes, books)
        if np.array_equal(new, books):
            break
        books = new
    return books


@dataclass(frozen=True)
class VQTensor:
    """A matrix [rows, cols] vector-quantized along its rows' axis in blocks.

    Vectors are ``vector_len`` consecutive elements of a row; every vector position (and,
    with ``block_rows``, every block of rows) has its own codebook of ``centroids``.
    """

    shape: tuple[int, int]
    vector_len: int
    block_rows: int
    codebooks: np.ndarray  # [groups, centroids, vector_len]
    codes: np.ndarray  # [groups, block_rows]

    @property
    def bits_per_element(self) -> float:
        """Index bits per element, codebooks left out (they are amortized over many rows)."""
        return math.ceil(math.log2(self.codebooks.shape[1])) / self.vector_len

    def dequantize(self) -> np.ndarray:
        rows, cols = self.shape
        vectors = decode(self.codes, self.codebooks)  # [groups, block_rows, v]
        blocks = rows // self.block_rows
        grid = vectors.reshape(cols // self.vector_len, blocks, self.block_rows, self.vector_len)
        return grid.transpose(1, 2, 0, 3).reshape(rows, cols)


def _grouped(x: np.ndarray, vector_len: int, block_rows: int) -> np.ndarray:
    rows, cols = x.shape
    if cols % vector_len or rows % block_rows:
        raise ValueError(f"shape {x.shape} must split into vectors of {vector_len} "
                         f"and blocks of {block_rows} rows")
    grid = x.reshape(rows // block_rows, block_rows, cols // vector_len, vector_len)
    return grid.transpose(2, 0, 1, 3).reshape(-1, block_rows, vector_len)


def vq_quantize(x, vector_len: int, centroids: int, block_rows: int | None = None, seed: int = 0,
                iterations: int = 25) -> VQTensor:
    """Vector-quantize the rows of ``x`` [rows, cols]: vectors of ``vector_len`` along cols.

    Each vector position gets its own ``centroids``-entry codebook, fitted on all rows (or
    on each block of ``block_rows`` rows). For activations the rows are tokens; for weights
    stored [out, in] the rows are output columns and ``block_rows`` is how many outputs share
    a codebook (LUT-LLM: 512).
    """
    x = np.asarray(x, np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must be a matrix, not shape {x.shape}")
    block_rows = block_rows or x.shape[0]
    groups = _grouped(x, vector_len, block_rows)
    books = kmeans(groups, centroids, seed, iterations)
    return VQTensor(x.shape, vector_len, block_rows, books, encode(groups, books))


def vq_qsnr(distribution: str = "gaussian", vector_len: int = 2, centroids: int = 64,
            shape: tuple[int, int] = (256, 256), block_rows: int | None = None, seed: int = 0) -> float:
    """QSNR (dB) of vector quantization on a seeded ``numerics.test_tensor`` matrix."""
    x = test_tensor(distribution, shape, seed)
    return qsnr_db(x, vq_quantize(x, vector_len, centroids, block_rows, seed).dequantize())


# --- the product a LUT engine computes ----------------------------------------------------

def lut_accumulate(tables, act_codes, weight_codes) -> np.ndarray:
    """The integer core of a LUT engine: ``out[t, n] = sum_p tables[p, act_codes[t, p],
    weight_codes[p, n]]``.

    tables: [P, A, W] (one table per input-vector position: activation centroid x weight
    centroid); act_codes: [T, P]; weight_codes: [P, N]. Integer tables are summed exactly
    in int64 (what ``rtl_models``' LUT unit computes); float tables in float64.

        >>> lut_accumulate(np.arange(8).reshape(2, 2, 2), [[1, 0]], [[0, 1], [1, 1]]).tolist()
        [[7, 8]]
    """
    tables = np.asarray(tables)
    act_codes, weight_codes = np.asarray(act_codes), np.asarray(weight_codes)
    positions = tables.shape[0]
    rows = tables[np.arange(positions), act_codes]  # [T, P, W]
    picked = np.take_along_axis(rows, np.broadcast_to(weight_codes, rows.shape[:2] + weight_codes.shape[1:]),
                                axis=2)  # [T, P, N]
    return picked.sum(axis=1, dtype=np.int64 if tables.dtype.kind in "iu" else np.float64)


def _uint_tables(tables: np.ndarray, bits: int):
    """All tables of one output block rounded to ``bits``-bit unsigned codes with one
    shared affine scale: returns (codes, scale, offset), table ~ codes * scale + offset."""
    low, high = float(tables.min()), float(tables.max())
    scale = (high - low) / (2**bits - 1) if high > low else 1.0
    return np.rint((tables - low) / scale).astype(np.int64), scale, low


def lut_matmul(x, w, act_centroids: int = 64, weight_centroids: int = 16, vector_len: int = 2,
               block_outputs: int = 512, entry_bits: int | None = 8, seed: int = 0) -> np.ndarray:
    """``x [T, K] @ w [K, N]`` as LUT-LLM computes it, by 2D table lookups.

    Activations: one ``act_centroids`` codebook per input-vector position, fitted on the T
    tokens. Weights: one ``weight_centroids`` codebook per (input-vector position, block of
    ``block_outputs`` outputs). Each table holds every activation-centroid x weight-centroid
    dot product. With ``entry_bits`` the tables of one output block are rounded to unsigned
    codes with one shared affine scale (our choice; None keeps them exact), so an output is
    ``scale * lut_accumulate(codes, ...) + positions * offset``: integer lookups and adds,
    then one affine step, as the LUT unit in ``rtl_models`` does it.
    """
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    tokens, positions = x.shape[0], x.shape[1] // vector_len
    blocks = w.shape[1] // block_outputs
    act = vq_quantize(x, vector_len, act_centroids, seed=seed)
    wq = vq_quantize(w.T, vector_len, weight_centroids, block_outputs, seed)
    w_books = wq.codebooks.reshape(positions, blocks, weight_centroids, vector_len)
    w_codes = wq.codes.reshape(positions, blocks, block_outputs)
    out = np.empty((tokens, blocks * block_outputs))
    for b in range(blocks):
        tables = np.einsum("pav,pwv->paw", act.codebooks, w_books[:, b])  # [P, A, W]
        cols = slice(b * block_outputs, (b + 1) * block_outputs)
        if entry_bits is None:
            out[:, cols] = lut_accumulate(tables, act.codes.T, w_codes[:, b])
            continue
        codes, scale, offset = _uint_tables(tables, entry_bits)
        out[:, cols] = scale * lut_accumulate(codes, act.codes.T, w_codes[:, b]) + positions * offset
    return out


def lut_matmul_qsnr(tokens: int = 64, k: int = 256, n: int = 512, distribution: str = "gaussian",
                    seed: int = 0, **options) -> float:
    """QSNR (dB) of :func:`lut_matmul` against the exact product on seeded test tensors."""
    x = test_tensor(distribution, (tokens, k), seed)
    w = test_tensor("gaussian", (k, n), seed + 1)
    exact = np.asarray(x, np.float64) @ np.asarray(w, np.float64)
    return qsnr_db(exact, lut_matmul(x, w, seed=seed, **options))
