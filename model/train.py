"""Train the stacked LSTM on grammar tokens and write a model directory the composer loads.

``python -m model.train [--data DIR] [--epochs N] [--out DIR] [--window 20] [--seed S]``

The corpus (all token sequences, identical ones counted once) is split by song: about a tenth of
the songs never train and only measure validation loss, so early stopping reacts to memorising
rather than to remembering overlapping windows of the very same bars. Training windows are
``window`` tokens -> the next token, one-hot encoded batch by batch. The directory written holds
``model.keras`` (Keras, no optimizer state), ``weights.npz`` (what the NumPy runtime reads),
``vocab.json`` (the sorted vocabulary: token ids are positions in it), ``meta.json`` and
``loss.png``. While training runs, ``checkpoint.keras`` holds the best epoch so far (an
interrupted run leaves it behind); early stopping restores the best epoch's weights at the end.
Seeds are fixed, so the same data and options give bit-identical weights.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from model.errors import InputError
from model.extras import require_training_libraries
from model.paths import DEFAULT_MODEL_DIR

log = logging.getLogger(__name__)

VOCAB_FILE = "vocab.json"
WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"
KERAS_FILE = "model.keras"
LOSS_PLOT = "loss.png"
CHECKPOINT_FILE = "checkpoint.keras"

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TrainOptions:
    epochs: int = 80
    window: int = 20
    seed: int = 0
    units: int = 128
    dropout: float = 0.5
    batch_size: int = 32
    patience: int = 8
    validation_share: float = 0.1


DEFAULTS = TrainOptions()


def build_vocabulary(sequences: Sequence[Sequence[str]]) -> list[str]:
    """Every token seen, sorted: the same corpus always gives the same ids (deepjazz's did not)."""
    return sorted({token for sequence in sequences for token in sequence})


def unique_sequences(sequences: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """Sequences in order with exact duplicates (doubled parts in a MIDI file) dropped."""
    seen: dict[tuple[str, ...], None] = {}
    for sequence in sequences:
        seen.setdefault(tuple(sequence), None)
    return list(seen)


def split_songs(
    sequences: Sequence[tuple[str, ...]], share: float, seed: int
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(train, validation): whole songs, drawn with ``seed``, until ``share`` of the tokens are held out.

    A corpus of one song has no song to spare: its last ``share`` of tokens becomes the validation stream.
    """
    if len(sequences) < 2:
        only = sequences[0]
        cut = max(1, int(len(only) * (1 - share)))
        return [only[:cut]], [only[cut:]]
    total = sum(len(s) for s in sequences)
    held: set[int] = set()
    for index in np.random.default_rng(seed).permutation(len(sequences)):
        if sum(len(sequences[i]) for i in held) >= share * total or len(held) == len(sequences) - 1:
            break
        held.add(int(index))
    train = [s for i, s in enumerate(sequences) if i not in held]
    return train, [s for i, s in enumerate(sequences) if i in held]


def windows(
    sequences: Sequence[Sequence[str]], index: dict[str, int], window: int
) -> tuple[IntArray, IntArray]:
    """Songs joined end to end (each starts with a bar token) cut into (window ids, next id) pairs."""
    stream = np.array([index[token] for sequence in sequences for token in sequence], dtype=np.int64)
    if len(stream) <= window:
        return np.zeros((0, window), dtype=np.int64), np.zeros(0, dtype=np.int64)
    inputs = np.lib.stride_tricks.sliding_window_view(stream[:-1], window)
    return np.ascontiguousarray(inputs), stream[window:]


def _one_hot_batches(inputs: IntArray, targets: IntArray, vocab_size: int, options: TrainOptions) -> Any:
    """A Keras dataset one-hot encoding batch by batch (the full tensor would be vocab-size times larger)."""
    import keras

    class OneHotBatches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()
            self.order = np.arange(len(targets))
            self.rng = np.random.default_rng(options.seed)
            self.identity = np.eye(vocab_size, dtype=np.float32)

        def __len__(self) -> int:
            return math.ceil(len(targets) / options.batch_size)

        def __getitem__(self, batch: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
            rows = self.order[batch * options.batch_size : (batch + 1) * options.batch_size]
            return self.identity[inputs[rows]], self.identity[targets[rows]]

        def on_epoch_end(self) -> None:
            self.rng.shuffle(self.order)

    return OneHotBatches()


def train(sequences: Sequence[Sequence[str]], out: Path, options: TrainOptions) -> dict[str, Any]:
    """Fit a network on ``sequences`` and write the model directory ``out``; returns its metadata."""
    import keras

    from model.fast_lstm import keras_weights
    from model.network import build_model

    songs = unique_sequences(sequences)
    vocab = build_vocabulary(songs)
    index = {token: i for i, token in enumerate(vocab)}
    train_songs, validation_songs = split_songs(songs, options.validation_share, options.seed)
    train_x, train_y = windows(train_songs, index, options.window)
    val_x, val_y = windows(validation_songs, index, options.window)
    if len(train_y) == 0:
        tokens = sum(len(s) for s in train_songs)
        raise InputError(
            f"too little music to train on: {tokens} tokens, windows of {options.window} need more. "
            "Add files or pass a smaller --window."
        )
    keras.utils.set_random_seed(options.seed)
    model = build_model(len(vocab), options.window, options.units, options.dropout)
    out.mkdir(parents=True, exist_ok=True)
    monitor = "val_loss" if len(val_y) else "loss"
    callbacks = [
        keras.callbacks.EarlyStopping(monitor=monitor, patience=options.patience, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint(out / CHECKPOINT_FILE, monitor=monitor, save_best_only=True),
    ]
    validation = _one_hot_batches(val_x, val_y, len(vocab), options) if len(val_y) else None
    started = time.perf_counter()
    history = model.fit(
        _one_hot_batches(train_x, train_y, len(vocab), options),
        validation_data=validation,
        epochs=options.epochs,
        callbacks=callbacks,
        verbose=1,
    )
    seconds = time.perf_counter() - started
    # A fresh, uncompiled copy saves the weights without RMSprop's slots: half the size.
    shipped = build_model(len(vocab), options.window, options.units, options.dropout)
    shipped.set_weights(model.get_weights())
    shipped.save(out / KERAS_FILE)
    np.savez_compressed(out / WEIGHTS_FILE, **keras_weights(shipped))  # type: ignore[arg-type]
    (out / VOCAB_FILE).write_text(json.dumps(vocab, indent=0) + "\n")
    (out / CHECKPOINT_FILE).unlink(missing_ok=True)
    losses = {key: [round(float(v), 5) for v in values] for key, values in history.history.items()}
    best = int(np.argmin(losses[monitor]))
    return {
        "architecture": f"one-hot({len(vocab)}) -> LSTM({options.units}) x2, dropout {options.dropout}",
        "vocab_size": len(vocab),
        "window": options.window,
        "units": options.units,
        "dropout": options.dropout,
        "batch_size": options.batch_size,
        "seed": options.seed,
        "params": int(model.count_params()),
        "songs": len(songs),
        "duplicate_songs_dropped": len(sequences) - len(songs),
        "validation_songs": len(validation_songs),
        "train_windows": len(train_y),
        "validation_windows": len(val_y),
        "epochs_run": len(losses["loss"]),
        "best_epoch": best + 1,
        "best_" + monitor: losses[monitor][best],
        "losses": losses,
        "train_seconds": round(seconds, 1),
        "keras": keras.__version__,
    }


def plot_losses(losses: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.5), dpi=100)
    for key in ("loss", "val_loss"):
        if key in losses:
            epochs = range(1, len(losses[key]) + 1)
            axes.plot(epochs, losses[key], label="training" if key == "loss" else "validation")
    axes.set_xlabel("epoch")
    axes.set_ylabel("cross-entropy")
    axes.set_title("jazzbot LSTM")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _positive(kind: type[int] | type[float], upper: float) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a {kind.__name__}") from None
        if not 0 < value <= upper:
            raise argparse.ArgumentTypeError(f"{text} is out of range (0 < value <= {upper:g})")
        return value

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model.train", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        help="a music folder or file (repeatable; default: the shared Metheny MIDI and standards)",
    )
    parser.add_argument("--epochs", type=_positive(int, 10_000), default=DEFAULTS.epochs)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="model directory to write")
    parser.add_argument("--window", type=_positive(int, 512), default=DEFAULTS.window)
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed)
    parser.add_argument("--units", type=_positive(int, 1024), default=DEFAULTS.units)
    parser.add_argument("--dropout", type=float, default=DEFAULTS.dropout)
    parser.add_argument("--batch-size", type=_positive(int, 4096), default=DEFAULTS.batch_size)
    parser.add_argument("--patience", type=_positive(int, 1000), default=DEFAULTS.patience)
    args = parser.parse_args(argv)
    if not 0 <= args.dropout < 1:
        parser.error(f"--dropout {args.dropout} is out of range (0 <= dropout < 1)")
    if args.seed < 0:
        parser.error("--seed must be 0 or more")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options = TrainOptions(
        epochs=args.epochs,
        window=args.window,
        seed=args.seed,
        units=args.units,
        dropout=args.dropout,
        batch_size=args.batch_size,
        patience=args.patience,
    )
    from model.corpus import load_corpus

    try:
        require_training_libraries("keras", "music21", "matplotlib")
        corpus = load_corpus(args.data)
        meta = train(corpus.sequences, args.out, options)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot write the model to {args.out}: {error}", file=sys.stderr)
        return 2
    meta = {
        **meta,
        "data": corpus.hashes,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "model.train", *(sys.argv[1:] if argv is None else argv)]),
    }
    (args.out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    plot_losses(meta["losses"], args.out / LOSS_PLOT)
    print(
        f"trained {meta['epochs_run']} epochs in {meta['train_seconds']} s "
        f"(best epoch {meta['best_epoch']}); wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
