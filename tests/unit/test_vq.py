"""Vector quantization: seeded determinism, numba == numpy, QSNR rises with centroids, LUT product."""

from __future__ import annotations

import numpy as np
import pytest

from numerics.metrics import test_tensor
from numerics.vq import (
    decode,
    encode,
    encode_reference,
    kmeans,
    lut_accumulate,
    lut_matmul,
    lut_matmul_qsnr,
    vq_qsnr,
    vq_quantize,
)


@pytest.fixture(scope="module")
def groups():
    return test_tensor("laplace", (3, 200, 2), seed=1).astype(np.float64)


def test_kmeans_is_deterministic_for_a_seed(groups):
    a, b = kmeans(groups, 16, seed=7), kmeans(groups, 16, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, kmeans(groups, 16, seed=8))


def test_numba_encode_agrees_with_numpy_reference(groups):
    books = kmeans(groups, 16, seed=0)
    np.testing.assert_array_equal(encode(groups, books), encode_reference(groups, books))
    rng = np.random.default_rng(3)
    for _ in range(20):
        x, b = rng.standard_normal((2, 50, 4)), rng.standard_normal((2, 9, 4))
        np.testing.assert_array_equal(encode(x, b), encode_reference(x, b))


def test_ties_go_to_the_lowest_index():
    books = np.array([[[1.0, 0.0], [-1.0, 0.0]]])
    x = np.zeros((1, 1, 2))
    assert encode(x, books)[0, 0] == encode_reference(x, books)[0, 0] == 0


def test_encode_decode_round_trip_of_centroids(groups):
    books = kmeans(groups, 8, seed=0)
    np.testing.assert_array_equal(decode(encode(books, books), books), books)


def test_qsnr_rises_with_more_centroids():
    qsnr = [vq_qsnr("gaussian", 2, k, (256, 128)) for k in (4, 16, 64)]
    assert qsnr[0] < qsnr[1] < qsnr[2]
    assert qsnr[2] == pytest.approx(17.0, abs=1.0)  # ~ 6 dB per index bit per 2 elements


def test_dequantize_restores_layout():
    x = test_tensor("gaussian", (8, 6), seed=0)
    q = vq_quantize(x, vector_len=2, centroids=8)  # 8 rows: every vector is its own centroid
    np.testing.assert_allclose(q.dequantize(), x)
    assert q.bits_per_element == 1.5
    w = vq_quantize(x, vector_len=3, centroids=4, block_rows=4)
    np.testing.assert_allclose(w.dequantize(), x)


def test_lut_matmul_is_exact_when_codebooks_hold_every_vector():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((4, 8)), rng.standard_normal((8, 4))
    y = lut_matmul(x, w, act_centroids=4, weight_centroids=4, block_outputs=4, entry_bits=None)
    np.testing.assert_allclose(y, x @ w, atol=1e-12)


def test_lut_accumulate_sums_one_entry_a_position():
    rng = np.random.default_rng(3)
    tables = rng.integers(0, 256, (5, 8, 4))
    act, wc = rng.integers(0, 8, (6, 5)), rng.integers(0, 4, (5, 3))
    loop = [[sum(int(tables[p, act[t, p], wc[p, n]]) for p in range(5)) for n in range(3)]
            for t in range(6)]
    out = lut_accumulate(tables, act, wc)
    assert out.dtype == np.int64 and out.tolist() == loop


def test_lut_matmul_is_integer_lookups_then_one_affine_step():
    """With 8-bit entries each output block is scale * lut_accumulate(codes) + P * offset,
    the codes of all positions of the block sharing one min/max affine scale."""
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((16, 8)), rng.standard_normal((8, 8))
    positions, blocks, block_outputs = 4, 2, 4
    got = lut_matmul(x, w, 4, 4, block_outputs=block_outputs, entry_bits=8)
    exact_entries = lut_matmul(x, w, 4, 4, block_outputs=block_outputs, entry_bits=None)
    act = vq_quantize(x, 2, 4)
    wq = vq_quantize(w.T, 2, 4, block_outputs)
    w_books = wq.codebooks.reshape(positions, blocks, 4, 2)
    w_codes = wq.codes.reshape(positions, blocks, block_outputs)
    for b in range(blocks):
        tables = np.einsum("pav,pwv->paw", act.codebooks, w_books[:, b])
        low, high = tables.min(), tables.max()
        scale = (high - low) / 255
        codes = np.rint((tables - low) / scale).astype(np.int64)
        assert codes.min() == 0 and codes.max() == 255
        want = scale * lut_accumulate(codes, act.codes.T, w_codes[:, b]) + positions * low
        cols = slice(b * block_outputs, (b + 1) * block_outputs)
        np.testing.assert_allclose(got[:, cols], want, rtol=0, atol=1e-12)
        # each entry is off by at most half a code step
        assert np.abs(got[:, cols] - exact_entries[:, cols]).max() <= positions * scale / 2 + 1e-12
    assert not np.array_equal(got, exact_entries)


def test_lut_product_qsnr_falls_with_fewer_weight_centroids():
    assert lut_matmul_qsnr(64, 64, 64, weight_centroids=4, block_outputs=64) < \
        lut_matmul_qsnr(64, 64, 64, weight_centroids=16, block_outputs=64)


def test_bad_shapes_are_errors():
    with pytest.raises(ValueError, match="centroids must be an integer from 1 to the 5 samples"):
        kmeans(np.zeros((1, 5, 2)), 6)
    with pytest.raises(ValueError, match=r"must split into vectors of 4"):
        vq_quantize(np.zeros((4, 6)), vector_len=4, centroids=2)
