"""FAST action tokens: a normalized action chunk as a short sequence of integer ids.

FAST (Pertsch et al., 2025) compresses a chunk in three steps, each invertible up to rounding:

1. a DCT-II (orthonormal) over time, separately for every action dimension, so a smooth chunk
   puts its energy into a few low-frequency coefficients;
2. scale and round the coefficients to integers (the only lossy step: every coefficient is off by
   at most ``0.5 / scale``, and because the transform is orthonormal the time-domain error of a
   dimension has the same L2 norm, at most ``0.5 * sqrt(chunk) / scale``);
3. byte-pair encoding of the integers, frequency by frequency (coefficient ``k`` of every
   dimension, then ``k + 1``), so the long runs of zeros at high frequencies merge into few tokens.

Each integer is one character of a private Unicode range; the BPE is trained with ``tokenizers`` on
the dataset's own chunks. The tokenizer is saved as ``tokenizer.json`` plus ``fast_config.json`` in
a folder (``fast_tokenizer/`` inside a checkpoint).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer, models, trainers

CONFIG_NAME = "fast_config.json"
TOKENIZER_NAME = "tokenizer.json"
FAST_PAD_ID = -1
_CHAR_BASE = 0xE000  # Unicode private use area: 6400 code points, none of them whitespace
_CHAR_LIMIT = 6400


@functools.lru_cache(maxsize=8)
def dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix (n, n): ``coefficients = D @ x``, ``x = D.T @ coefficients``.

    Cached (one chunk length per policy) and read-only.
    """
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    matrix = np.sqrt(2.0 / n) * np.cos(np.pi * (i + 0.5) * k / n)
    matrix[0] /= np.sqrt(2.0)
    matrix.setflags(write=False)
    return matrix


@dataclass
class FastConfig:
    """What a fitted FAST tokenizer needs besides its BPE: shapes, scale and integer range."""

    scale: float = 10.0
    vocab_size: int = 1024
    chunk_size: int = 0
    action_dim: int = 0
    min_coefficient: int = 0
    max_coefficient: int = 0


class FastActionTokenizer:
    """Fit on normalized chunks (N, chunk, dim), then encode/decode one chunk at a time."""

    def __init__(self, scale: float = 10.0, vocab_size: int = 1024):
        if scale <= 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.config = FastConfig(scale=float(scale), vocab_size=int(vocab_size))
        self.bpe: Tokenizer | None = None

    @property
    def vocab_size(self) -> int:
        """Ids run from 0 to ``vocab_size - 1`` (the trained BPE's size, at most the configured one)."""
        return self._fitted().get_vocab_size()

    def _fitted(self) -> Tokenizer:
        if self.bpe is None:
            raise RuntimeError("FastActionTokenizer is not fitted: call fit(chunks) or from_pretrained(folder)")
        return self.bpe

    def _coefficients(self, chunks: np.ndarray) -> np.ndarray:
        """Rounded DCT coefficients (..., chunk, dim) as integers."""
        return np.rint(np.einsum("kt,...td->...kd", dct_matrix(chunks.shape[-2]), chunks) * self.config.scale).astype(
            np.int64
        )

    def _text(self, coefficients: np.ndarray) -> str:
        low, high = self.config.min_coefficient, self.config.max_coefficient
        values = np.clip(coefficients.reshape(-1), low, high) - low
        return "".join(map(chr, (values + _CHAR_BASE).tolist()))

    def fit(self, normalized_chunks: np.ndarray | Iterable[np.ndarray]) -> FastActionTokenizer:
        """Learn the integer range and the BPE merges from normalized chunks (N, chunk, dim)."""
        chunks = np.asarray(
            normalized_chunks if isinstance(normalized_chunks, np.ndarray) else list(normalized_chunks),
            dtype=np.float64,
        )
        if chunks.ndim != 3 or 0 in chunks.shape:
            raise ValueError(f"fit needs chunks shaped (N, chunk, dim), got {chunks.shape}")
        if not np.isfinite(chunks).all():
            raise ValueError("fit got NaN or infinite actions; normalize the chunks first")
        coefficients = self._coefficients(chunks)
        self.config.chunk_size, self.config.action_dim = chunks.shape[1:]
        self.config.min_coefficient = int(coefficients.min())
        self.config.max_coefficient = int(coefficients.max())
        alphabet = self.config.max_coefficient - self.config.min_coefficient + 1
        if alphabet > min(self.config.vocab_size, _CHAR_LIMIT):
            raise ValueError(
                f"the rounded coefficients span {alphabet} values, more than vocab_size={self.config.vocab_size}: "
                f"lower scale (now {self.config.scale}), raise vocab_size, or check that the chunks are normalized"
            )
        bpe = Tokenizer(models.BPE())
        trainer = trainers.BpeTrainer(
            vocab_size=self.config.vocab_size,
            initial_alphabet=[chr(_CHAR_BASE + v) for v in range(alphabet)],
            show_progress=False,
        )
        bpe.train_from_iterator((self._text(c) for c in coefficients), trainer=trainer)
        self.bpe = bpe
        return self

    def encode(self, chunk: np.ndarray) -> list[int]:
        """FAST ids of one normalized chunk (chunk, dim); coefficients outside the fitted range clip."""
        bpe = self._fitted()
        chunk = np.asarray(chunk, dtype=np.float64)
        expected = (self.config.chunk_size, self.config.action_dim)
        if chunk.shape != expected:
            raise ValueError(f"encode needs one chunk shaped {expected} (as fitted), got {chunk.shape}")
        return bpe.encode(self._text(self._coefficients(chunk))).ids

    def decode(self, ids: Sequence[int], chunk: int, dim: int, *, strict: bool = False) -> np.ndarray:
        """The normalized chunk (chunk, dim) that ``ids`` encode.

        Generated ids may describe too few or too many coefficients; the missing high frequencies
        are taken as zero and extra ones dropped, unless ``strict``, which raises instead.
        """
        bpe = self._fitted()
        tokens = [bpe.id_to_token(int(i)) for i in ids]
        if any(t is None for t in tokens):
            bad = [int(i) for i, t in zip(ids, tokens) if t is None]
            raise ValueError(f"FAST ids {bad[:5]} are outside the vocabulary (0..{bpe.get_vocab_size() - 1})")
        values = np.array([ord(c) - _CHAR_BASE for c in "".join(tokens)], dtype=np.int64)
        if values.size != chunk * dim:
            if strict:
                raise ValueError(
                    f"FAST ids describe {values.size} coefficients, a ({chunk}, {dim}) chunk needs {chunk * dim}")
            values = np.concatenate([values, np.full(max(chunk * dim - values.size, 0), -self.config.min_coefficient)])
            values = values[: chunk * dim]
        coefficients = (values + self.config.min_coefficient).reshape(chunk, dim) / self.config.scale
        return dct_matrix(chunk).T @ coefficients

    def save_pretrained(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self._fitted().save(str(folder / TOKENIZER_NAME))
        (folder / CONFIG_NAME).write_text(json.dumps(asdict(self.config), indent=2) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> FastActionTokenizer:
        folder = Path(folder)
        for name in (CONFIG_NAME, TOKENIZER_NAME):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder} is not a FAST tokenizer folder: {name} is missing")
        config = FastConfig(**json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8")))
        tokenizer = cls(config.scale, config.vocab_size)
        tokenizer.config = config
        tokenizer.bpe = Tokenizer.from_file(str(folder / TOKENIZER_NAME))
        return tokenizer


def collate_fast_tokens(sequences: Sequence[Sequence[int]]) -> torch.Tensor:
    """FAST id sequences as one int64 batch (B, longest), padded with ``FAST_PAD_ID`` (-1)."""
    length = max((len(s) for s in sequences), default=0)
    batch = torch.full((len(sequences), length), FAST_PAD_ID, dtype=torch.long)
    for row, ids in enumerate(sequences):
        batch[row, : len(ids)] = torch.as_tensor(list(ids), dtype=torch.long)
    return batch
