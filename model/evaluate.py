"""``python -m model.evaluate [--n 50] [--model DIR] [--out FILE]``: composed pieces against real solos.

Measures three sets with the same functions: the real held-out WJazzD solos (the validation solos of
:func:`model.wjazzd.split`, 4/4, cut into 16-bar chunks over chord-covered spans; 64-bar chunks for
the long register row; whole solos for the ending rows), ``n`` pieces from the composer (16 and 64
bars, seeds 0..n-1, or ``--first-seed S``: S..S+n-1, to see how much another set of pieces moves the
figures; in the 16-bar chunks' keys in turn, as :func:`chunk_keys` guesses them, and progressions
cycling through the library), and deepjazz's six reference outputs. Prints a
markdown table of per-piece figures (means over pieces) with the issue's goals, then MGEval overlap
areas, a real-vs-generated classifier and the n-gram baseline's held-out NLL beside the LSTM's.
Definitions: docs/MODEL.md ("Evaluation"), :mod:`model.melody_metrics`, :mod:`model.two_sample`.
The style checks (``--style-n``, ``--soloists``, ``--style-seed``) are :mod:`model.style_evaluation`'s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.corpus import Corpus, load_corpus
from model.errors import InputError
from model.evaluation_sets import Progress, Sample, composed, deepjazz_outputs, solo_chunks, solo_endings
from model.grammar import top_line
from model.melody_metrics import (
    grooving_similarity,
    held_over_share,
    last_note,
    leap_share,
    line_of,
    median_pitch_spread,
    motif_recurrence,
    phrase_figures,
    windowed_pitch_class_entropy,
)
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
)
from model.ngram import KneserNey, Token
from model.paths import DEFAULT_MODEL_DIR, shared_data_dir
from model.sequences import model_tokens
from model.style_evaluation import DEFAULT_SOLOISTS, style_report
from model.two_sample import FloatArray, classifier_accuracy, mgeval_overlaps
from model.wjazzd import Solo, load_solos, split

if TYPE_CHECKING:
    from model.compose import Composer

DISTINCTNESS_SEEDS = 10
MAX_SEED = 10**9
"""``--first-seed`` and ``--style-seed`` at most this (their pieces' seeds run on from it, within the
composer's seeds)."""
NGRAM_ORDERS = (3, 5)
MIN_CLASSIFIER_PIECES = 20
STYLE_PIECES = 40
"""Pieces per requested style for the style checks (``--style-n``; 0 leaves them out)."""


@dataclass(frozen=True, slots=True)
class Figure:
    """A per-piece figure: a table row, and (``feature``) a classifier input."""

    label: str
    measure: Callable[[Sample], float | None]
    unit: str  # "%": a share shown in percent; "f": a number
    goal: str = ""
    feature: bool = True


FIGURES: tuple[Figure, ...] = (
    Figure("fallback rate (notes the realiser had to move)", lambda s: s.fallback, "%", "0%", False),
    Figure("bars exactly filled", lambda s: filled_bar_share(s.melody, s.bars), "%", "100%", False),
    Figure("notes per bar", lambda s: len(line_of(s.melody)) / s.bars, "f"),
    Figure("notes on chord tones", lambda s: class_shares(s.melody, s.chords)["C"], "%", "50% ± 5"),
    Figure(
        "notes on chord or scale tones", lambda s: class_shares(s.melody, s.chords)["CS"], "%", "real ± 4 pts"
    ),
    Figure("pitch-class entropy, whole piece (bits)", lambda s: pitch_class_entropy(s.melody), "f"),
    Figure(
        "pitch-class entropy H1 (bits)",
        lambda s: windowed_pitch_class_entropy(s.melody, s.bars, 1),
        "f",
        "real ± 5%",
    ),
    Figure("pitch-class entropy H4 (bits)", lambda s: windowed_pitch_class_entropy(s.melody, s.bars, 4), "f"),
    Figure("grooving similarity GS", lambda s: grooving_similarity(s.melody, s.bars), "f", "real ± 5%"),
    Figure("pitch range (semitones)", lambda s: pitch_range(s.melody), "f"),
    Figure("mean \\|interval\\| (semitones)", lambda s: mean_abs_interval(s.melody), "f"),
    Figure("repeated notes", lambda s: repeated_share(s.melody), "%", "<= 10%"),
    Figure("octave-plus leaps (> 12 semitones)", lambda s: leap_share(s.melody), "%", "<= 0.6%"),
    Figure("exact 4-note motif recurrence", lambda s: motif_recurrence(s.melody), "f", ">= 0.20"),
    Figure("4-note contour recurrence", lambda s: motif_recurrence(s.melody, contour=True), "f", ">= 0.45"),
    Figure(
        "8-bar median-pitch spread, 16 bars (semitones)",
        lambda s: median_pitch_spread(s.melody, s.bars),
        "f",
        "<= 3.5",
    ),
    Figure("notes held over a bar line", lambda s: held_over_share(s.melody), "%", "0.6-1.2 × real"),
    Figure("phrase length (notes)", lambda s: phrase_figures(s.melody, s.chords).notes, "f"),
    Figure("phrase length (beats)", lambda s: phrase_figures(s.melody, s.chords).beats, "f"),
    Figure(
        "phrase ends on a chord tone",
        lambda s: phrase_figures(s.melody, s.chords).ending_on_chord_tone,
        "%",
    ),
)
LONG_SPREAD = Figure(
    "8-bar median-pitch spread, 64 bars (semitones)",
    lambda s: median_pitch_spread(s.melody, s.bars),
    "f",
    "<= 9",
)


def _ending(s: Sample) -> tuple[float, bool, bool] | None:
    final = last_note(s.melody, s.chords)
    return None if final is None else (final.beats, final.chord_tone, final.root)


ENDINGS: tuple[Figure, ...] = (
    Figure("last note length (beats)", lambda s: None if (e := _ending(s)) is None else e[0], "f", ">= 2"),
    Figure(
        "last note a chord tone", lambda s: None if (e := _ending(s)) is None else float(e[1]), "%", "100%"
    ),
    Figure("last note the chord root", lambda s: None if (e := _ending(s)) is None else float(e[2]), "%"),
)


@dataclass(slots=True)
class Column:
    """One set's samples: 16-bar pieces, 64-bar pieces, pieces whose ending is measured."""

    label: str
    pieces: list[Sample]
    long: list[Sample] = field(default_factory=list)
    endings: list[Sample] = field(default_factory=list)
    distinct: float | None = None
    copies: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HeldOutTokens:
    """The n-gram baseline's material: the LSTM's own training and held-out token sequences (any
    hashable tokens: strings or ids), its vocabulary, and the LSTM's held-out NLL on those held-out
    sequences (nats per token; None when unknown)."""

    train: tuple[tuple[Token, ...], ...]
    valid: tuple[tuple[Token, ...], ...]
    vocabulary: tuple[Token, ...]
    lstm_nll: float | None
    source: str


def held_out_tokens(
    model_dir: Path, train_solos: Sequence[Solo], valid_solos: Sequence[Solo]
) -> HeldOutTokens:
    """The soloist's own tokens for its training and held-out solos (as ``model.train`` encoded them,
    in its vocabulary) and its held-out NLL per token from ``meta.json``: the n-gram baseline is
    trained and scored on exactly the material the LSTM was."""
    meta = json.loads((model_dir / "meta.json").read_text())
    vocabulary = tuple(json.loads((model_dir / "vocab.json").read_text()))
    nll = meta.get("valid_nll_per_token")
    return HeldOutTokens(
        tuple(model_tokens(model_dir, train_solos)),
        tuple(model_tokens(model_dir, valid_solos)),
        vocabulary,
        float(nll) if nll is not None else None,
        f"soloist tokens of {len(train_solos)} training / {len(valid_solos)} held-out solos",
    )


def nll_rows(tokens: HeldOutTokens, orders: Sequence[int] = NGRAM_ORDERS) -> list[list[str]]:
    """Rows ``[model, held-out NLL, goal]``: each n-gram order, the LSTM and its ratio to the best
    n-gram (the issue's goal: <= 0.85)."""
    rows = []
    best = float("inf")
    for order in orders:
        nll = KneserNey(order).fit(tokens.train, tokens.vocabulary).nll(tokens.valid)
        best = min(best, nll)
        rows.append([f"{order}-gram, interpolated Kneser-Ney", f"{nll:.3f}", ""])
    if tokens.lstm_nll is None:
        rows.append(["LSTM", "-", ""])
    else:
        rows.append(["LSTM", f"{tokens.lstm_nll:.3f}", ""])
        rows.append(["LSTM / best n-gram", f"{tokens.lstm_nll / best:.2f}", "<= 0.85"])
    return rows


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def _cell(values: Sequence[float | None], unit: str) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "-"
    mean = statistics.fmean(present)
    return f"{mean * 100:.1f}%" if unit == "%" else f"{mean:.2f}"


def figure_table(columns: Sequence[Column]) -> str:
    rows = []
    for figure in FIGURES:
        rows.append(
            [figure.label, *(_cell([figure.measure(s) for s in c.pieces], figure.unit) for c in columns)]
        )
        rows[-1].append(figure.goal)
    rows.append(
        [
            LONG_SPREAD.label,
            *(_cell([LONG_SPREAD.measure(s) for s in c.long], "f") for c in columns),
            LONG_SPREAD.goal,
        ]
    )
    for figure in ENDINGS:
        rows.append(
            [figure.label, *(_cell([figure.measure(s) for s in c.endings], figure.unit) for c in columns)]
        )
        rows[-1].append(figure.goal)
    rows.append(
        [
            "longest copied run (median notes)",
            *(f"{statistics.median(c.copies):g}" if c.copies else "-" for c in columns),
            "",
        ]
    )
    rows.append(
        [
            f"pieces copying < {COPY_RUN_LIMIT} notes",
            *(
                f"{sum(r < COPY_RUN_LIMIT for r in c.copies) / len(c.copies) * 100:.0f}%" if c.copies else "-"
                for c in columns
            ),
            ">= 99%",
        ]
    )
    rows.append(
        [
            "distinctness between seeds",
            *("-" if c.distinct is None else f"{c.distinct:.2f}" for c in columns),
            "",
        ]
    )
    return markdown_table(["figure", *(c.label for c in columns), "goal"], rows)


def feature_matrix(samples: Sequence[Sample]) -> FloatArray:
    """The classifier's input: every :data:`FIGURES` figure marked ``feature``, per sample."""
    chosen = [f for f in FIGURES if f.feature]
    return np.array([[float(f.measure(s) or 0.0) for f in chosen] for s in samples])


def two_sample_tables(real: Sequence[Sample], others: Sequence[Column], progress: Progress) -> str:
    """MGEval overlaps and classifier accuracy of each column against the real chunks, with the real
    chunks' two halves (even and odd) against each other as the "indistinguishable" reference."""
    halves = (list(real[0::2]), list(real[1::2]))
    candidates = [("real, half vs half", halves[0], halves[1])]
    candidates += [(c.label, list(real), c.pieces) for c in others]
    overlaps = {}
    accuracies = {}
    for i, (label, reference, pieces) in enumerate(candidates):
        progress("MGEval and classifier", i, len(candidates))
        overlaps[label] = (
            mgeval_overlaps([s.melody for s in reference], [s.melody for s in pieces])
            if len(reference) >= 2 and pieces
            else {}
        )
        if min(len(reference), len(pieces)) >= MIN_CLASSIFIER_PIECES:
            result = classifier_accuracy(feature_matrix(reference), feature_matrix(pieces))
            accuracies[label] = f"{result.mean:.2f} ± {result.sd:.2f} ({result.per_class} per class)"
        else:
            accuracies[label] = "- (too few pieces)"
    progress("MGEval and classifier", len(candidates), len(candidates))
    features = next((list(o) for o in overlaps.values() if o), [])
    mgeval = markdown_table(
        ["MGEval overlap with the real chunks", *overlaps, "goal"],
        [
            [name, *(f"{o[name]:.2f}" if o else "-" for o in overlaps.values()), ">= 0.85"]
            for name in features
        ],
    )
    classifier = markdown_table(
        ["real-vs-generated classifier (5-fold)", "accuracy", "goal"],
        [
            [label, text, "<= 0.65" if label != candidates[0][0] else "~0.5"]
            for label, text in accuracies.items()
        ],
    )
    return mgeval + "\n\n" + classifier


def copy_index(train_solos: Sequence[Solo], corpus: Corpus | None) -> CopyIndex:
    """Every training melody's shape: the training solos' lines and the corpus songs as encoded."""
    shapes = [shape(line_of(s.notes)) for s in train_solos]
    if corpus is not None:
        shapes += [shape(top_line(song.melody, song.bars)) for song in corpus.songs]
    return CopyIndex(shapes)


def chunk_keys(chunks: Sequence[Sample]) -> list[str]:
    """Each real chunk's key, guessed from its chords as its chart would be
    (:func:`model.progressions.key_of`). The composed pieces are played in these keys in turn: MGEval's
    pitch-class histograms are absolute, so both sides need the same key mix (the held-out chunks are
    mostly in flat keys, a cycle through all twelve would count a line that keeps to its key's notes
    as unlike them)."""
    from model.progressions import key_of

    return [key_of(chunk.chords, chunk.bars).name for chunk in chunks]


def generated_column(
    composer: Composer, n: int, first_seed: int, progress: Progress, keys: Sequence[str] | None = None
) -> Column:
    """``n`` pieces of 16 and of 64 bars from seed ``first_seed`` on, in ``keys`` in turn (None: the
    twelve tonics, see :func:`composed`), and the distinctness of ten pieces with the same arguments
    and seeds ``first_seed``.. ."""
    pieces = composed(composer, n, 16, progress, first_seed, keys=keys)
    label = f"jazzbot ({n} pieces" + (f", seeds {first_seed}..)" if first_seed else ")")
    generated = Column(label, pieces, composed(composer, n, 64, progress, first_seed, keys=keys), pieces)
    same_args = [
        composer.compose(16, 160, "C", "blues", 1.0, seed=first_seed + i).melody
        for i in range(DISTINCTNESS_SEEDS)
    ]
    generated.distinct = distinctness(same_args)
    return generated


def _split_solos(folder: Path | None, progress: Progress) -> tuple[list[Solo], list[Solo]]:
    progress("reading WJazzD solos")
    solos = load_solos(folder).solos
    _, valid_names = split(s.name for s in solos)
    held = set(valid_names)
    return [s for s in solos if s.name not in held], [s for s in solos if s.name in held]


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the material comes from (None: the shared defaults)."""

    reference: Path
    wjazzd: Path | None = None
    lead_sheets: Sequence[Path] | None = None


@dataclass(frozen=True, slots=True)
class StyleOptions:
    """The style checks' size: pieces per style (0: no style checks) and soloists in the matrix."""

    pieces: int = STYLE_PIECES
    soloists: int = DEFAULT_SOLOISTS
    seed: int = 0  # the style checks' first seed (``--style-seed``: another set of pieces, the same design)


def evaluate(
    n: int,
    model_dir: Path,
    sources: Sources,
    progress: Progress,
    styles: StyleOptions = StyleOptions(0),
    first_seed: int = 0,
) -> str:
    """The whole report as markdown; the composed pieces use seeds ``first_seed``.."""
    from model.compose import Composer

    started = time.perf_counter()
    train_solos, valid_solos = _split_solos(sources.wjazzd, progress)
    chunks = solo_chunks(valid_solos, 16)
    if len(chunks) < 2:
        raise InputError(
            f"only {len(chunks)} 16-bar chunks of held-out 4/4 solos to compare with; "
            "point --wjazzd at a WJazzD folder with more solos."
        )
    real = Column(
        f"real solos ({len(chunks)} chunks, {len(valid_solos)} solos)",
        chunks,
        solo_chunks(valid_solos, 64),
        solo_endings(valid_solos),
    )
    columns = [real]
    notes = []
    try:
        composer = Composer.load(model_dir)
    except FileNotFoundError as missing:
        composer = None
        notes.append(f"No composer measured: {missing}.")
    if composer is not None:
        columns.append(generated_column(composer, n, first_seed, progress, chunk_keys(chunks)))
        notes.append("The composed pieces are in the real 16-bar chunks' keys, in turn.")
    outputs = deepjazz_outputs(sources.reference)
    deepjazz = Column(f"deepjazz ({len(outputs)} outputs)", outputs, [], outputs)
    deepjazz.distinct = distinctness([s.melody for s in outputs])
    columns.append(deepjazz)

    progress("reading the lead-sheet corpus")
    corpus: Corpus | None
    try:
        corpus = load_corpus(sources.lead_sheets)
    except InputError as error:
        corpus = None
        notes.append(f"Lead-sheet corpus not read ({error}): copied runs use the solos only.")
    progress("indexing training melodies")
    index = copy_index(train_solos, corpus)
    for column in columns:
        column.copies = [index.longest_copied_run(sample.melody) for sample in column.pieces]
        progress(f"copied runs, {column.label}", len(column.pieces), len(column.pieces))

    progress("per-piece figures")
    table = figure_table(columns)
    two_sample = two_sample_tables(real.pieces, columns[1:], progress)
    parts = [table, two_sample]
    if composer is not None:
        tokens = held_out_tokens(model_dir, train_solos, valid_solos)
        progress("n-gram baseline")
        parts.append(
            markdown_table([f"held-out NLL, nats/token ({tokens.source})", "NLL", "goal"], nll_rows(tokens))
        )
        if styles.pieces:
            style_started = time.perf_counter()
            report = style_report(
                composer,
                [*train_solos, *valid_solos],
                styles.pieces,
                feature_matrix,
                progress,
                styles.soloists,
                seed_offset=styles.seed,
            )
            parts.append(report.markdown())
            notes.append(f"Style checks: {time.perf_counter() - style_started:.0f} s of it.")
    seconds = time.perf_counter() - started
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = f"Measured {stamp} in {seconds:.0f} s." + "".join(f" {note}" for note in notes)
    return "\n\n".join([*parts, footer]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50, help="generated pieces of each length (default 50)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="trained model folder")
    parser.add_argument(
        "--first-seed", type=int, default=0, help="the composed pieces' first seed (default 0)"
    )
    parser.add_argument("--reference", type=Path, help="deepjazz outputs folder (default: shared)")
    parser.add_argument("--wjazzd", type=Path, help="WJazzD folder (default: shared)")
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        help="lead-sheet files/folders the model trained on (default: shared)",
    )
    parser.add_argument(
        "--style-n",
        type=int,
        default=STYLE_PIECES,
        help=f"pieces per style for the style checks (default {STYLE_PIECES}; 0 skips them)",
    )
    parser.add_argument(
        "--soloists",
        type=int,
        default=DEFAULT_SOLOISTS,
        help=f"soloists in the style closeness matrix (default {DEFAULT_SOLOISTS})",
    )
    parser.add_argument(
        "--style-seed",
        type=int,
        default=0,
        help="first seed of the style checks' pieces (default 0; another set measures the spread)",
    )
    parser.add_argument("--out", type=Path, help="also write the report (markdown) to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress line on stderr")
    args = parser.parse_args(argv)
    if not 1 <= args.n <= 1000:
        print(f"error: --n must be between 1 and 1000, not {args.n}.")
        return 2
    if not (args.style_n == 0 or 5 <= args.style_n <= 1000) or not 2 <= args.soloists <= 20:
        print(
            f"error: --style-n must be 0 (no style checks) or 5..1000 and --soloists 2..20, "
            f"not {args.style_n} and {args.soloists}."
        )
        return 2
    if not 0 <= args.style_seed <= MAX_SEED:
        print(f"error: --style-seed must be a whole number from 0 to {MAX_SEED}, not {args.style_seed}.")
        return 2
    if not 0 <= args.first_seed <= MAX_SEED:
        print(f"error: --first-seed must be between 0 and {MAX_SEED:,}, not {args.first_seed}.")
        return 2
    reference = args.reference or shared_data_dir() / "deepjazz" / "reference_outputs"
    try:
        sources = Sources(reference, args.wjazzd, args.data)
        styles = StyleOptions(args.style_n, args.soloists, args.style_seed)
        report = evaluate(args.n, args.model, sources, Progress(not args.quiet), styles, args.first_seed)
    except InputError as error:
        print(f"error: {error}")
        return 2
    print(report, end="")
    if args.out:
        args.out.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
