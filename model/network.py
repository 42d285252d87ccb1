"""The Keras network: the design card's stacked LSTM, reading the previous token and the conditioning.

Input per step: the previous token id and one id per conditioning group (:mod:`model.conditioning`).
Together they are a multi-hot vector over ``inputs`` = tokens + start token + conditioning slots;
:class:`MultiHotDense` multiplies it by a learned matrix (a sum of rows, no dense product over
mostly zeros), then LSTM (sequences) -> Dropout -> LSTM (sequences) -> Dropout -> Dense softmax over
the vocabulary, trained sequence to sequence (every step predicts its token).

Only training, the equality test and the naive benchmark import this module (and so TensorFlow);
composing runs the same weights in NumPy (:mod:`model.fast_lstm`).
"""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="jazzbot")
class MultiHotDense(keras.layers.Layer):
    """``multi_hot(ids) @ kernel``: the sum of the kernel rows of the active ids (steps x slots)."""

    def __init__(self, inputs: int, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inputs = inputs
        self.units = units

    def build(self, input_shape: Any) -> None:
        self.kernel = self.add_weight(
            name="kernel", shape=(self.inputs, self.units), initializer="glorot_uniform"
        )

    def call(self, ids: Any) -> Any:
        return keras.ops.sum(keras.ops.take(self.kernel, ids, axis=0), axis=-2)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "inputs": self.inputs, "units": self.units}


def build_model(
    vocab_size: int,
    condition_size: int,
    groups: int,
    units: int = 256,
    embedding: int = 128,
    dropout: float = 0.3,
    learning_rate: float = 2e-3,
) -> keras.Model:
    """ids (steps, 1 + groups), already offset into one index space of ``vocab_size + 1 +
    condition_size`` slots -> MultiHotDense(embedding) -> LSTM(units) x2 with dropout -> softmax."""
    ids = keras.Input(shape=(None, 1 + groups), dtype="int32", name="ids")
    x = MultiHotDense(vocab_size + 1 + condition_size, embedding, name="input_rows")(ids)
    x = keras.layers.LSTM(units, return_sequences=True, name="lstm_1")(x)
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.LSTM(units, return_sequences=True, name="lstm_2")(x)
    x = keras.layers.Dropout(dropout)(x)
    out = keras.layers.Dense(vocab_size, activation="softmax", name="next_token")(x)
    model = keras.Model(ids, out, name="jazz_soloist")
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate))
    return model
