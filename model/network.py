"""The Keras network: deepjazz's stacked LSTM over one-hot ("binary matrix") token windows.

Only training, the equality test and the naive benchmark import this module (and so TensorFlow);
composing runs the same weights in NumPy (:mod:`model.fast_lstm`).
"""

from __future__ import annotations

import keras


def build_model(vocab_size: int, window: int = 20, units: int = 128, dropout: float = 0.2) -> keras.Model:
    """One-hot (window, vocab) -> LSTM(units, sequences) -> Dropout -> LSTM(units) -> Dropout -> softmax."""
    model = keras.Sequential(
        [
            keras.Input(shape=(window, vocab_size)),
            keras.layers.LSTM(units, return_sequences=True, name="lstm_1"),
            keras.layers.Dropout(dropout),
            keras.layers.LSTM(units, name="lstm_2"),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(vocab_size, activation="softmax", name="next_token"),
        ],
        name="jazz_lstm",
    )
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop())
    return model
