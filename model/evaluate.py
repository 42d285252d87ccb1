"""``python -m model.evaluate [--n 50] [--model DIR]``: generated pieces vs the corpus vs deepjazz.

Prints one table: a column for ``n`` pieces from the Composer (16 bars, seeds 0..n-1, keys and
progressions cycling through all twelve keys and the library), one for the training corpus as the
grammar encodes it, and one for deepjazz's reference outputs (melody separated from its block
chords, see :func:`model.metrics.split_mixed_track`). Metrics are defined in :mod:`model.metrics`.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import mido

from model.corpus import Corpus, Span, load_corpus
from model.errors import InputError
from model.grammar import top_line
from model.metrics import (
    COPY_RUN_LIMIT,
    CopyIndex,
    class_shares,
    distinctness,
    filled_bar_share,
    mean_abs_interval,
    pitch_class_entropy,
    pitch_range,
    repeated_share,
    shape,
    split_mixed_track,
)
from model.midi import read_midi
from model.paths import DEFAULT_MODEL_DIR, shared_data_dir
from model.piece import TICKS_PER_QUARTER, Note
from model.theory import FLAT_NAMES

DISTINCTNESS_SEEDS = 10


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    melodies: tuple[Span, ...]
    distinct: float | None  # between seeds (or outputs); None where it means nothing
    copies: bool  # whether copied runs from the training data are meaningful for this column


ROWS: tuple[tuple[str, Callable[[Span], float], str], ...] = (
    ("bars exactly filled", lambda m: filled_bar_share(m.melody, m.bars), "%"),
    ("notes on chord tones", lambda m: class_shares(m.melody, m.chords)["C"], "%"),
    ("notes on chord or scale tones", lambda m: class_shares(m.melody, m.chords)["CS"], "%"),
    ("pitch-class entropy (bits)", lambda m: pitch_class_entropy(m.melody), "f"),
    ("pitch range (semitones)", lambda m: pitch_range(m.melody), "f"),
    ("mean |interval| (semitones)", lambda m: mean_abs_interval(m.melody), "f"),
    ("repeated notes", lambda m: repeated_share(m.melody), "%"),
)


def corpus_column(corpus: Corpus) -> Column:
    melodies = tuple(Span(tuple(top_line(s.melody, s.bars)), s.chords, s.bars) for s in corpus.songs)
    return Column(f"corpus ({len(melodies)} songs)", melodies, None, copies=False)


def copy_index(corpus: Corpus) -> CopyIndex:
    return CopyIndex([shape(top_line(s.melody, s.bars)) for s in corpus.songs])


def read_track_notes(path: Path) -> list[Note]:
    """Every note of a MIDI file (all tracks, all channels) in jazzbot ticks."""
    midi = read_midi(path)
    scale = TICKS_PER_QUARTER / midi.ticks_per_beat
    notes, sounding, time = [], dict[tuple[int, int], int](), 0
    for message in mido.merge_tracks(midi.tracks):
        time += message.time
        if message.type == "note_on" and message.velocity > 0:
            sounding[(message.channel, message.note)] = time
        elif message.type in ("note_on", "note_off") and (message.channel, message.note) in sounding:
            start = sounding.pop((message.channel, message.note))
            notes.append(Note(message.note, round(start * scale), round((time - start) * scale)))
    return notes


def reference_column(folder: Path) -> Column:
    melodies = []
    for path in sorted(folder.glob("*.mid")):
        track = split_mixed_track(read_track_notes(path))
        melodies.append(Span(track.melody, track.chords, track.bars))
    if not melodies:
        raise InputError(f"no deepjazz reference outputs (*.mid) in {folder}")
    return Column(
        f"deepjazz ({len(melodies)} outputs)",
        tuple(melodies),
        distinctness([m.melody for m in melodies]),
        True,
    )


def generated_column(model_dir: Path, n: int) -> Column:
    from model.compose import Composer
    from model.progressions import library

    composer = Composer.load(model_dir)
    slugs = sorted(library())
    pieces = [
        composer.compose(16, 120, FLAT_NAMES[i % 12], slugs[i % len(slugs)], 1.0, seed=i) for i in range(n)
    ]
    same_args = [composer.compose(16, 120, "C", "blues", 1.0, seed=i) for i in range(DISTINCTNESS_SEEDS)]
    melodies = tuple(Span(p.melody, p.chords, p.bars) for p in pieces)
    return Column(f"jazzbot ({n} pieces)", melodies, distinctness([p.melody for p in same_args]), True)


def _cell(values: Sequence[float], unit: str) -> str:
    mean = statistics.fmean(values) if values else 0.0
    return f"{mean * 100:.1f}%" if unit == "%" else f"{mean:.2f}"


def table(columns: Sequence[Column], index: CopyIndex) -> str:
    header = ["metric", *(c.label for c in columns)]
    rows = [[name, *(_cell([f(m) for m in c.melodies], unit) for c in columns)] for name, f, unit in ROWS]
    runs = {
        c.label: [index.longest_copied_run(m.melody) for m in c.melodies] if c.copies else [] for c in columns
    }
    rows.append(
        [
            "longest copied run (median notes)",
            *(f"{statistics.median(runs[c.label]):g}" if runs[c.label] else "-" for c in columns),
        ]
    )
    rows.append(
        [
            f"pieces copying < {COPY_RUN_LIMIT} notes",
            *(
                f"{sum(r < COPY_RUN_LIMIT for r in runs[c.label]) / len(runs[c.label]) * 100:.0f}%"
                if runs[c.label]
                else "-"
                for c in columns
            ),
        ]
    )
    rows.append(
        ["distinctness between seeds", *("-" if c.distinct is None else f"{c.distinct:.2f}" for c in columns)]
    )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50, help="generated pieces to measure (default 50)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="trained model folder")
    parser.add_argument("--data", type=Path, action="append", help="training files/folders (default: shared)")
    parser.add_argument("--reference", type=Path, help="deepjazz outputs folder (default: shared)")
    args = parser.parse_args(argv)
    if not 1 <= args.n <= 1000:
        print(f"error: --n must be between 1 and 1000, not {args.n}.")
        return 2
    try:
        corpus = load_corpus(args.data)
        columns = []
        try:
            columns.append(generated_column(args.model, args.n))
        except FileNotFoundError as missing:
            print(f"note: {missing}; measuring the corpus and deepjazz only.")
        columns.append(corpus_column(corpus))
        columns.append(
            reference_column(args.reference or shared_data_dir() / "deepjazz" / "reference_outputs")
        )
    except InputError as error:
        print(f"error: {error}")
        return 2
    print(table(columns, copy_index(corpus)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
