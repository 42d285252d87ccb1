"""Train the soloist on the Weimar Jazz Database and write a model directory the composer loads.

``python -m model.train [--out DIR | --replace-default] [--resume DIR] [--epochs N] [--max-minutes M]
[--units 256] [--window 64] [--seed S] [--solos N]``

Every 4/4 solo of WJazzD is encoded (:mod:`model.sequences`) and split BY SOLO with
``model.wjazzd.split`` (a stable hash of the name; the lists are recorded in ``meta.json``), so no
bar of a held-out solo is ever trained on. The train stream is cut into windows of ``window`` steps
(a fresh random offset each epoch) and the network predicts every step of a window (sequence to
sequence). A quarter of the windows lose their soloist input and a tenth their era too, so asking
for an era alone, or for nothing, is something the network has seen.

After every epoch ``checkpoint.keras`` (weights and optimizer) and ``checkpoint.json`` (history,
early-stopping state) are written, so ``--resume DIR`` continues an interrupted run. The learning rate
halves when the held-out loss has not improved for two epochs. Training stops
when the held-out loss has not improved for ``patience`` epochs, after ``epochs``, or when the next
epoch would pass ``--max-minutes``; the best epoch's weights are kept. The directory holds
``weights.npz`` (what the NumPy runtime reads), ``vocab.json``, ``meta.json`` (options, split,
soloists, losses, held-out NLL per token), ``loss.png`` and ``model.keras``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shlex
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from model.conditioning import ERA_GROUP, SOLOIST_GROUP, Conditioning
from model.errors import InputError
from model.extras import require_training_libraries
from model.paths import DEFAULT_MODEL_DIR
from model.sequences import Encoded, encode_solo, solo_events
from model.tokens import closing_tokens
from model.wjazzd import Solo

log = logging.getLogger(__name__)

VOCAB_FILE = "vocab.json"
WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"
KERAS_FILE = "model.keras"
LOSS_PLOT = "loss.png"
CHECKPOINT_FILE = "checkpoint.keras"
CHECKPOINT_STATE = "checkpoint.json"
BEST_WEIGHTS = "best.weights.h5"

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TrainOptions:
    epochs: int = 60
    window: int = 64
    batch_size: int = 32
    units: int = 192
    embedding: int = 128
    dropout: float = 0.3
    learning_rate: float = 2e-3
    patience: int = 5
    seed: int = 0
    max_minutes: float = 38.0
    soloist_min_notes: int = 2500
    soloist_drop: float = 0.25
    era_drop: float = 0.1
    min_token_count: int = 2
    solos: int | None = None  # only the first N 4/4 solos (tests); None: all


DEFAULTS = TrainOptions()


@dataclass(frozen=True, slots=True)
class Prepared:
    """The encoded corpus: vocabulary, conditioning layout and the two sides of the split."""

    vocab: list[str]
    conditioning: Conditioning
    train: list[Encoded]
    valid: list[Encoded]
    performers: dict[str, dict[str, Any]]


def build_vocabulary(solos: Sequence[Solo], min_count: int) -> list[str]:
    """Tokens seen at least ``min_count`` times and the closing notes the composer may need, sorted:
    the same corpus always gives the same ids."""
    counts = Counter(event.token for solo in solos for _, events in solo_events(solo) for event in events)
    return sorted({token for token, count in counts.items() if count >= min_count} | set(closing_tokens()))


def performers_of(solos: Sequence[Solo]) -> dict[str, dict[str, Any]]:
    """Every performer's era and note count (the composer's ``like`` resolves names against it)."""
    result: dict[str, dict[str, Any]] = {}
    for solo in solos:
        entry = result.setdefault(solo.performer, {"era": solo.era, "notes": 0, "solos": 0})
        entry["notes"] += len(solo.notes)
        entry["solos"] += 1
    return dict(sorted(result.items()))


def prepare(
    solos: Sequence[Solo], train_names: Sequence[str], valid_names: Sequence[str], options: TrainOptions
) -> Prepared:
    train_set, valid_set = set(train_names), set(valid_names)
    training = [s for s in solos if s.name in train_set]
    if not training:
        raise InputError("no training solos: the split left nothing to train on; pass more --solos.")
    vocab = build_vocabulary(training, options.min_token_count)
    notes = Counter[str]()
    for solo in training:
        notes[solo.performer] += len(solo.notes)
    soloists = tuple(sorted(p for p, n in notes.items() if n >= options.soloist_min_notes))
    conditioning = Conditioning(soloists)
    index = {token: i for i, token in enumerate(vocab)}
    start_id = len(vocab)

    def encode(names: set[str]) -> list[Encoded]:
        return [encode_solo(s, conditioning, index, start_id) for s in solos if s.name in names]

    return Prepared(vocab, conditioning, encode(train_set), encode(valid_set), performers_of(solos))


def stream(encoded: Sequence[Encoded], vocab_size: int) -> tuple[IntArray, IntArray]:
    """All steps end to end: ids (steps x (1 + groups), offset into one index space) and targets."""
    ids = [np.concatenate([e.inputs[:, None], e.conditions + vocab_size + 1], axis=1) for e in encoded]
    return np.concatenate(ids), np.concatenate([e.targets for e in encoded])


def cut(ids: IntArray, targets: IntArray, window: int, offset: int = 0) -> tuple[IntArray, IntArray]:
    """Whole windows of ``window`` steps starting at ``offset``."""
    count = (len(targets) - offset) // window
    end = offset + count * window
    return ids[offset:end].reshape(count, window, ids.shape[1]), targets[offset:end].reshape(count, window)


def _window_batches(
    ids: IntArray, targets: IntArray, prepared: Prepared, options: TrainOptions, rng: np.random.Generator
) -> Any:
    """A Keras dataset: a fresh offset and order each epoch; some windows lose soloist and era."""
    import keras

    conditioning = prepared.conditioning
    base = len(prepared.vocab) + 1
    no_soloist = base + conditioning.offsets[SOLOIST_GROUP] + conditioning.group_sizes[SOLOIST_GROUP] - 1
    no_era = base + conditioning.offsets[ERA_GROUP] + conditioning.group_sizes[ERA_GROUP] - 1

    class WindowBatches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()
            self._draw()

        def _draw(self) -> None:
            x, y = cut(ids, targets, options.window, int(rng.integers(options.window)))
            order = rng.permutation(len(y))
            x, y = x[order].copy(), y[order]
            drop = rng.random(len(y))
            x[drop < options.soloist_drop, :, 1 + SOLOIST_GROUP] = no_soloist
            x[drop < options.era_drop, :, 1 + ERA_GROUP] = no_era
            self.x, self.y = x, y

        def __len__(self) -> int:
            return math.ceil(len(self.y) / options.batch_size)

        def __getitem__(self, batch: int) -> tuple[IntArray, IntArray]:
            rows = slice(batch * options.batch_size, (batch + 1) * options.batch_size)
            return self.x[rows], self.y[rows]

        def on_epoch_end(self) -> None:
            self._draw()

    return WindowBatches()


def _callback(out: Path, options: TrainOptions, state: dict[str, Any]) -> Any:
    """Checkpoint every epoch, keep the best weights, stop early or when time runs out."""
    import keras

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            logs = logs or {}
            seconds = time.perf_counter() - self.started
            state["seconds"] += seconds
            for key, value in logs.items():
                state["history"].setdefault(key, []).append(round(float(value), 5))
            loss = float(logs["val_loss"])
            if loss < state["best_loss"]:
                state.update(best_loss=loss, best_epoch=epoch + 1, wait=0)
                self.model.save_weights(out / BEST_WEIGHTS)
            else:
                state["wait"] += 1
            state["epoch"] = epoch + 1
            self.model.save(out / CHECKPOINT_FILE)
            (out / CHECKPOINT_STATE).write_text(json.dumps(state, indent=1) + "\n")
            left = options.max_minutes * 60 - state["seconds"]
            if state["wait"] >= options.patience:
                log.info("no better held-out loss for %d epochs: stopping", options.patience)
                self.model.stop_training = True
            elif left < seconds * 1.1:
                log.info("the next epoch would pass --max-minutes %g: stopping", options.max_minutes)
                self.model.stop_training = True

    return Progress()


def train(prepared: Prepared, out: Path, options: TrainOptions, resume: bool = False) -> dict[str, Any]:
    """Fit (or continue fitting) the network and write the model directory ``out``; returns its metadata."""
    import keras

    from model.fast_lstm import keras_weights
    from model.network import build_model

    vocab_size = len(prepared.vocab)
    train_ids, train_targets = stream(prepared.train, vocab_size)
    valid_ids, valid_targets = stream(prepared.valid, vocab_size)
    valid_x, valid_y = cut(valid_ids, valid_targets, options.window)
    if len(train_targets) < options.window * 2 or len(valid_y) == 0:
        raise InputError(
            f"too little music: {len(train_targets)} training and {len(valid_targets)} held-out steps, "
            f"windows of {options.window} need more. Pass more --solos or a smaller --window."
        )
    keras.utils.set_random_seed(options.seed)
    conditioning = prepared.conditioning
    out.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {"epoch": 0, "best_loss": math.inf, "best_epoch": 0, "wait": 0}
    state.update(seconds=0.0, history={})
    if resume:
        state = json.loads((out / CHECKPOINT_STATE).read_text())
        model = keras.saving.load_model(out / CHECKPOINT_FILE)
    else:
        model = build_model(
            vocab_size,
            conditioning.size,
            conditioning.groups,
            options.units,
            options.embedding,
            options.dropout,
            options.learning_rate,
        )
    rng = np.random.default_rng([options.seed, state["epoch"]])
    if state["epoch"] < options.epochs and state["wait"] < options.patience:
        model.fit(
            _window_batches(train_ids, train_targets, prepared, options, rng),
            validation_data=(valid_x, valid_y),
            validation_batch_size=options.batch_size,
            initial_epoch=state["epoch"],
            epochs=options.epochs,
            callbacks=[
                keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2, min_lr=1e-4, verbose=1),
                _callback(out, options, state),
            ],
            verbose=1,
        )
    model.load_weights(out / BEST_WEIGHTS)
    # A fresh, uncompiled copy saves the weights without Adam's slots: a third of the size.
    shipped = build_model(
        vocab_size, conditioning.size, conditioning.groups, options.units, options.embedding, options.dropout
    )
    shipped.set_weights(model.get_weights())
    shipped.save(out / KERAS_FILE)
    np.savez_compressed(out / WEIGHTS_FILE, **keras_weights(shipped))  # type: ignore[arg-type]
    (out / VOCAB_FILE).write_text(json.dumps(prepared.vocab, indent=0) + "\n")
    for leftover in (CHECKPOINT_FILE, CHECKPOINT_STATE, BEST_WEIGHTS):
        (out / leftover).unlink(missing_ok=True)
    tokens = sum(len(e.targets) for e in prepared.train)
    return {
        "architecture": (
            f"multi-hot({vocab_size + 1}+{conditioning.size}) -> {options.embedding} -> "
            f"LSTM({options.units}) x2, dropout {options.dropout} -> softmax({vocab_size})"
        ),
        "options": asdict(options),
        "vocab_size": vocab_size,
        "conditioning": {"soloists": list(conditioning.soloists), "size": conditioning.size},
        "performers": prepared.performers,
        "params": int(model.count_params()),
        "train_solos": len(prepared.train),
        "valid_solos": len(prepared.valid),
        "train_tokens": tokens,
        "valid_tokens": int(valid_y.size),
        "epochs_run": state["epoch"],
        "best_epoch": state["best_epoch"],
        "valid_nll_per_token": round(state["best_loss"], 4),
        "uniform_nll_per_token": round(math.log(vocab_size), 4),
        "losses": state["history"],
        "train_seconds": round(state["seconds"], 1),
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
            axes.plot(epochs, losses[key], label="training" if key == "loss" else "held-out solos")
    axes.set_xlabel("epoch")
    axes.set_ylabel("cross-entropy per token")
    axes.set_title("jazzbot soloist")
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
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, help="a new model directory (default: runs/soloist-<time>)")
    where.add_argument("--replace-default", action="store_true", help=f"write {DEFAULT_MODEL_DIR}")
    where.add_argument("--resume", type=Path, help="continue the interrupted run in this directory")
    parser.add_argument("--epochs", type=_positive(int, 10_000), default=DEFAULTS.epochs)
    parser.add_argument("--max-minutes", type=_positive(float, 10_000), default=DEFAULTS.max_minutes)
    parser.add_argument("--window", type=_positive(int, 1024), default=DEFAULTS.window)
    parser.add_argument("--batch-size", type=_positive(int, 4096), default=DEFAULTS.batch_size)
    parser.add_argument("--units", type=_positive(int, 1024), default=DEFAULTS.units)
    parser.add_argument("--embedding", type=_positive(int, 1024), default=DEFAULTS.embedding)
    parser.add_argument("--dropout", type=float, default=DEFAULTS.dropout)
    parser.add_argument("--patience", type=_positive(int, 1000), default=DEFAULTS.patience)
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed)
    parser.add_argument("--solos", type=_positive(int, 100_000), help="use only the first N solos (tests)")
    args = parser.parse_args(argv)
    if not 0 <= args.dropout < 1:
        parser.error(f"--dropout {args.dropout} is out of range (0 <= dropout < 1)")
    if args.seed < 0:
        parser.error("--seed must be 0 or more")
    return args


def _out_dir(args: argparse.Namespace) -> Path:
    if args.resume is not None:
        if not (args.resume / CHECKPOINT_STATE).is_file():
            raise InputError(f"{args.resume} holds no interrupted run (no {CHECKPOINT_STATE}).")
        return Path(args.resume)
    if args.replace_default:
        return Path(DEFAULT_MODEL_DIR.parent / "training")
    out = args.out or Path("runs") / f"soloist-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} is not empty: pick a new --out, --resume it, or --replace-default.")
    return Path(out)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        require_training_libraries("keras", "matplotlib")
        from model import wjazzd

        out = _out_dir(args)
        options = TrainOptions(
            epochs=args.epochs,
            window=args.window,
            batch_size=args.batch_size,
            units=args.units,
            embedding=args.embedding,
            dropout=args.dropout,
            patience=args.patience,
            seed=args.seed,
            max_minutes=args.max_minutes,
            solos=args.solos,
        )
        if args.resume is not None:  # the interrupted run's options win over the command line's
            saved = json.loads((out / "options.json").read_text())
            options = TrainOptions(**saved)
        corpus = wjazzd.load_solos()
        solos = [s for s in corpus.solos if s.beats_per_bar == 4][: options.solos]
        train_names, valid_names = wjazzd.split([s.name for s in solos])
        prepared = prepare(solos, train_names, valid_names, options)
        out.mkdir(parents=True, exist_ok=True)
        (out / "options.json").write_text(json.dumps(asdict(options), indent=1) + "\n")
        meta = train(prepared, out, options, resume=args.resume is not None)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot read the corpus or write the model: {error}", file=sys.stderr)
        return 2
    meta = {
        **meta,
        "split": {"train": sorted(train_names), "valid": sorted(valid_names)},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "model.train", *(sys.argv[1:] if argv is None else argv)]),
    }
    (out / "options.json").unlink(missing_ok=True)
    (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    plot_losses(meta["losses"], out / LOSS_PLOT)
    if args.replace_default:
        for path in out.iterdir():
            shutil.copy2(path, DEFAULT_MODEL_DIR / path.name)
        shutil.rmtree(out)
        out = DEFAULT_MODEL_DIR
    print(
        f"trained {meta['epochs_run']} epochs in {meta['train_seconds']} s (best epoch {meta['best_epoch']}, "
        f"held-out NLL {meta['valid_nll_per_token']} per token); wrote {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
