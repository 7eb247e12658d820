"""FAST action tokens: DCT basis, round-trip error bound, compression, determinism, save/load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lerobot_ros.policies.fast import FAST_PAD_ID, FastActionTokenizer, collate_fast_tokens, dct_matrix

CHUNK, DIM = 50, 6


def smooth_chunks(n: int, seed: int = 0) -> np.ndarray:
    """Normalized chunks like a teleoperated arm's: slow sines per joint plus a little sensor noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, CHUNK)[None, :, None]
    frequency = rng.uniform(0.2, 1.5, (n, 1, DIM))
    phase = rng.uniform(0, 1, (n, 1, DIM))
    amplitude = rng.uniform(0.5, 2.0, (n, 1, DIM))
    return amplitude * np.sin(2 * np.pi * (frequency * t + phase)) + rng.normal(0, 0.02, (n, CHUNK, DIM))


@pytest.fixture(scope="module")
def fitted():
    return FastActionTokenizer(scale=10.0, vocab_size=1024).fit(smooth_chunks(600))


def test_dct_matrix_is_orthonormal_dct_ii():
    d = dct_matrix(8)
    np.testing.assert_allclose(d @ d.T, np.eye(8), atol=1e-12)
    x = np.arange(8.0)
    # DCT-II definition, orthonormal scaling
    k = 3
    expected = np.sqrt(2 / 8) * sum(x[i] * np.cos(np.pi * (i + 0.5) * k / 8) for i in range(8))
    assert (d @ x)[k] == pytest.approx(expected)
    assert (d @ np.ones(8))[0] == pytest.approx(np.sqrt(8))


def test_round_trip_error_is_within_the_quantization_bound(fitted):
    scale = fitted.config.scale
    errors = []
    for chunk in smooth_chunks(200, seed=1):
        decoded = fitted.decode(fitted.encode(chunk), CHUNK, DIM, strict=True)
        assert decoded.shape == (CHUNK, DIM)
        error = decoded - chunk
        # Each coefficient is off by at most 0.5/scale and the DCT is orthonormal.
        assert np.sqrt((error**2).sum(axis=0)).max() <= 0.5 * np.sqrt(CHUNK) / scale + 1e-9
        errors.append(error)
    rms = np.sqrt(np.mean(np.square(errors)))
    assert rms < 0.5 / scale  # rounding noise is about 0.29/scale in RMS


def test_chunks_compress_to_far_fewer_tokens_than_values(fitted):
    lengths = [len(fitted.encode(c)) for c in smooth_chunks(100, seed=2)]
    assert np.mean(lengths) < CHUNK * DIM / 3
    assert all(0 <= i < fitted.vocab_size for c in smooth_chunks(10, seed=3) for i in fitted.encode(c))
    assert fitted.vocab_size <= 1024


def test_fit_and_encode_are_deterministic(fitted):
    again = FastActionTokenizer(scale=10.0, vocab_size=1024).fit(smooth_chunks(600))
    assert again.bpe.to_str() == fitted.bpe.to_str()
    for chunk in smooth_chunks(20, seed=4):
        assert again.encode(chunk) == fitted.encode(chunk)


def test_save_and_load_keep_the_same_tokens(fitted, tmp_path):
    folder = fitted.save_pretrained(tmp_path / "fast_tokenizer")
    loaded = FastActionTokenizer.from_pretrained(folder)
    assert loaded.config == fitted.config
    chunk = smooth_chunks(1, seed=5)[0]
    assert loaded.encode(chunk) == fitted.encode(chunk)
    ids = fitted.encode(chunk)
    np.testing.assert_array_equal(loaded.decode(ids, CHUNK, DIM), fitted.decode(ids, CHUNK, DIM))
    with pytest.raises(FileNotFoundError, match="fast_config.json is missing"):
        FastActionTokenizer.from_pretrained(tmp_path)


def test_generated_ids_of_the_wrong_length_decode_leniently_or_fail_strictly(fitted):
    chunk = smooth_chunks(1, seed=6)[0]
    ids = fitted.encode(chunk)
    short = fitted.decode(ids[: len(ids) // 2], CHUNK, DIM)
    assert short.shape == (CHUNK, DIM) and np.isfinite(short).all()
    with pytest.raises(ValueError, match=f"a \\({CHUNK}, {DIM}\\) chunk needs {CHUNK * DIM}"):
        fitted.decode(ids[: len(ids) // 2], CHUNK, DIM, strict=True)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        fitted.decode([fitted.vocab_size + 5], CHUNK, DIM)


def test_out_of_range_coefficients_clip_to_the_fitted_range(fitted):
    wild = smooth_chunks(1, seed=7)[0] * 50
    decoded = fitted.decode(fitted.encode(wild), CHUNK, DIM, strict=True)
    limit = max(abs(fitted.config.min_coefficient), abs(fitted.config.max_coefficient)) / fitted.config.scale
    assert np.abs(dct_matrix(CHUNK) @ decoded).max() <= limit + 1e-9


def test_bad_inputs_are_named():
    with pytest.raises(RuntimeError, match="not fitted"):
        FastActionTokenizer().encode(np.zeros((CHUNK, DIM)))
    with pytest.raises(ValueError, match=r"fit needs chunks shaped \(N, chunk, dim\)"):
        FastActionTokenizer().fit(np.zeros((CHUNK, DIM)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        FastActionTokenizer().fit(np.full((2, CHUNK, DIM), np.nan))
    with pytest.raises(ValueError, match="span .* values, more than vocab_size=64"):
        FastActionTokenizer(vocab_size=64).fit(smooth_chunks(50))
    fitted_small = FastActionTokenizer().fit(smooth_chunks(50))
    with pytest.raises(ValueError, match=r"shaped \(50, 6\)"):
        fitted_small.encode(np.zeros((10, DIM)))


def test_collate_pads_with_minus_one():
    batch = collate_fast_tokens([[3, 4, 5], [7]])
    assert batch.dtype == torch.long
    assert batch.tolist() == [[3, 4, 5], [7, FAST_PAD_ID, FAST_PAD_ID]]
