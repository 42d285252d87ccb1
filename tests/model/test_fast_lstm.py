"""The NumPy single-step network equals the Keras model it was exported from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.compose import Composer
from model.corpus import load_corpus
from model.fast_lstm import FastLSTM, softmax
from model.paths import DEFAULT_MODEL_DIR

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def shipped() -> tuple[object, FastLSTM, dict[str, int]]:
    model = keras.saving.load_model(DEFAULT_MODEL_DIR / "model.keras", compile=False)
    vocab = json.loads((DEFAULT_MODEL_DIR / "vocab.json").read_text())
    return model, FastLSTM.load(DEFAULT_MODEL_DIR / "weights.npz"), {t: i for i, t in enumerate(vocab)}


def _windows(tokens: list[str], index: dict[str, int], width: int, count: int) -> np.ndarray:
    ids = np.array([index[t] for t in tokens])
    starts = np.linspace(0, len(ids) - width, count).astype(int)
    return np.stack([ids[s : s + width] for s in starts])


def _assert_equal_to_keras(model: object, fast: FastLSTM, windows: np.ndarray) -> None:
    one_hot = np.eye(fast.vocab_size, dtype=np.float32)[windows]
    expected = model.predict(one_hot, verbose=0)  # type: ignore[attr-defined]
    np.testing.assert_allclose(fast.predict_windows(windows), expected, atol=1e-5, rtol=0)


def test_equals_keras_on_composed_windows(shipped: tuple[object, FastLSTM, dict[str, int]]) -> None:
    model, fast, index = shipped
    tokens = Composer.load().compose(bars=16, seed=4).extra["tokens"].split()
    width = model.input_shape[1]  # type: ignore[attr-defined]
    _assert_equal_to_keras(model, fast, _windows(tokens, index, width, 24))


def test_equals_keras_on_corpus_windows(
    shipped: tuple[object, FastLSTM, dict[str, int]], shared_data: Path
) -> None:
    model, fast, index = shipped
    tokens = list(load_corpus([shared_data / "standards" / "Blue_Monk.xml"]).songs[0].tokens)
    width = model.input_shape[1]  # type: ignore[attr-defined]
    _assert_equal_to_keras(model, fast, _windows(tokens, index, width, 24))


def test_a_batch_steps_like_its_rows_alone(shipped: tuple[object, FastLSTM, dict[str, int]]) -> None:
    _, fast, _ = shipped
    rows = np.random.default_rng(0).integers(0, fast.vocab_size, size=(3, 30))
    batch_state = fast.initial_state(3)
    alone_states = [fast.initial_state(1) for _ in rows]
    for column in range(rows.shape[1]):
        batch = softmax(fast.step(rows[:, column], batch_state))
        for r, state in enumerate(alone_states):
            np.testing.assert_allclose(
                batch[r], softmax(fast.step(rows[r : r + 1, column], state))[0], atol=1e-14
            )
