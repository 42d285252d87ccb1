"""Compose one piece from the command line and write it as a MIDI file.

``python -m model.generate --bars 16 --tempo 140 --key Bb --seed 7 [--progression blues]
[--like Parker] [--low 55 --high 84] [--temperature 1.0] [--model DIR] -o out.mid``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from model.compose import DEFAULT_HIGH, DEFAULT_LOW, Composer
from model.errors import InputError
from model.midi import piece_to_midi
from model.paths import DEFAULT_MODEL_DIR


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--bars", type=int, default=16, help="1 to 64 (default 16)")
    parser.add_argument("--tempo", type=int, default=120, help="40 to 320 bpm (default 120)")
    parser.add_argument("--key", default="C", help="C, Bb, F#, Cm ... (default C)")
    parser.add_argument(
        "--progression",
        help="a library name (blues, rhythm-changes, ...) or a chart "
        "like '| Dm7 G7 | Cmaj7 |' (default: chosen by the seed)",
    )
    parser.add_argument("--temperature", type=float, default=1.0, help="above 0, at most 3 (default 1.0)")
    parser.add_argument(
        "--like",
        help="a soloist (Parker, Coltrane, 'Chet Baker') or an era (swing, bebop, cool, hard bop, post-bop)",
    )
    parser.add_argument(
        "--low", type=int, default=DEFAULT_LOW, help=f"lowest MIDI pitch (default {DEFAULT_LOW})"
    )
    parser.add_argument(
        "--high", type=int, default=DEFAULT_HIGH, help=f"highest MIDI pitch (default {DEFAULT_HIGH})"
    )
    parser.add_argument("--meter", help="3/4 or 4/4 (default: the tune's own; other meters are refused)")
    parser.add_argument("--seed", type=int, help="same seed, same piece (default: random, printed)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="a trained model directory")
    parser.add_argument("-o", "--output", type=Path, default=Path("out.mid"), help="MIDI file to write")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        composer = Composer.load(args.model)
        piece = composer.compose(
            args.bars,
            args.tempo,
            args.key,
            args.progression,
            args.temperature,
            args.seed,
            like=args.like,
            low=args.low,
            high=args.high,
            meter=args.meter,
        )
    except (InputError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        args.output.write_bytes(piece_to_midi(piece))
    except OSError as error:
        print(f"error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.output}: {piece.bars} bars{' of 3/4' * (piece.beats_per_bar == 3)} in "
        f"{piece.key.name} at {piece.tempo} bpm over {piece.progression}, seed {piece.seed}, "
        f"temperature {piece.temperature:g} ({composer.name})"
    )
    if piece.extra.get("like"):
        print(f"in the style of {piece.extra['like']}")
    print(piece.chart())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
