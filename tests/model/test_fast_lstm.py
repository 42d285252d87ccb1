"""The NumPy single-step network equals the Keras model it was exported from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.conditioning import Conditioning
from model.fast_lstm import FastLSTM
from model.paths import DEFAULT_MODEL_DIR
from model.sequences import encode_solo
from model.train import cut, stream

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def shipped() -> tuple[Any, FastLSTM, dict[str, Any]]:
    import model.network  # noqa: F401  (registers the input layer for loading)

    keras_model = keras.saving.load_model(DEFAULT_MODEL_DIR / "model.keras", compile=False)
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text())
    return keras_model, FastLSTM.load(DEFAULT_MODEL_DIR / "weights.npz"), meta


def _random_ids(fast: FastLSTM, meta: dict[str, Any], rows: int, steps: int) -> np.ndarray:
    """Valid inputs: one token (or the start token) and one slot of every conditioning group."""
    conditioning = Conditioning(meta["conditioning"]["soloists"])
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, fast.vocab_size + 1, size=(rows, steps, 1))
    slots = [
        fast.vocab_size + 1 + offset + rng.integers(0, size, size=(rows, steps, 1))
        for offset, size in zip(conditioning.offsets, conditioning.group_sizes, strict=True)
    ]
    return np.concatenate([tokens, *slots], axis=2)


def test_equals_keras_on_random_inputs(shipped: tuple[Any, FastLSTM, dict[str, Any]]) -> None:
    keras_model, fast, meta = shipped
    ids = _random_ids(fast, meta, 4, 40)
    expected = keras_model.predict(ids, verbose=0)
    np.testing.assert_allclose(fast.predict_sequences(ids), expected, atol=1e-5, rtol=0)


def test_equals_keras_on_a_real_solo(
    shipped: tuple[Any, FastLSTM, dict[str, Any]], shared_data: Path
) -> None:
    from model.wjazzd import load_solos

    keras_model, fast, meta = shipped
    vocab = json.loads((DEFAULT_MODEL_DIR / "vocab.json").read_text())
    solo = next(s for s in load_solos(shared_data / "wjazzd").solos if s.name in meta["split"]["valid"])
    conditioning = Conditioning(meta["conditioning"]["soloists"])
    encoded = encode_solo(solo, conditioning, {t: i for i, t in enumerate(vocab)}, len(vocab))
    ids, _ = cut(*stream([encoded], len(vocab)), 64)
    expected = keras_model.predict(ids[:3], verbose=0)
    np.testing.assert_allclose(fast.predict_sequences(ids[:3]), expected, atol=1e-5, rtol=0)


def test_a_batch_steps_like_its_rows_alone(shipped: tuple[Any, FastLSTM, dict[str, Any]]) -> None:
    """Bit for bit: a row's products are the same vector products whether it is stepped alone or in
    a batch, and whichever order the step takes them in (it alternates from row to row)."""
    _, fast, meta = shipped
    rows = _random_ids(fast, meta, 3, 30)
    batch_state = fast.initial_state(3)
    alone_states = [fast.initial_state(1) for _ in rows]
    for column in range(rows.shape[1]):
        batch = fast.step(rows[:, column], batch_state)
        for r, state in enumerate(alone_states):
            np.testing.assert_array_equal(batch[r], fast.step(rows[r : r + 1, column], state)[0])


def test_model_tokens_are_the_held_out_solos_as_trained(shared_data: Path) -> None:
    """What the evaluation's n-gram baseline scores: the shipped model's own tokens of a held-out solo."""
    from model.sequences import model_tokens
    from model.wjazzd import load_solos

    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text())
    vocab = set(json.loads((DEFAULT_MODEL_DIR / "vocab.json").read_text()))
    solo = next(s for s in load_solos(shared_data / "wjazzd").solos if s.name in meta["split"]["valid"])
    (tokens,) = model_tokens(DEFAULT_MODEL_DIR, [solo])
    assert len(tokens) > len(solo.notes) * 0.9 and set(tokens) <= vocab
    assert sum(1 for t in tokens if t[0] in "udUDs*") >= 0.9 * len(solo.notes)
