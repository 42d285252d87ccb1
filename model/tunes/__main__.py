"""``python -m model.tunes --build`` rebuilds the tune table; ``python -m model.tunes [TITLE]`` lists
the library's counts by style, or shows one tune's chart."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from model.errors import InputError
from model.paths import TUNES_FILE, shared_data_dir
from model.tunes import find_tune
from model.tunes.table import build, to_bytes, tunes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model.tunes", description="List or rebuild the tune table."
    )
    parser.add_argument("title", nargs="*", help="show this tune's chart")
    parser.add_argument("--build", action="store_true", help=f"regenerate {TUNES_FILE.name} from shared data")
    parser.add_argument(
        "--charts", type=Path, help="folder of chord charts (default: shared chord-progressions)"
    )
    args = parser.parse_args(argv)
    if args.build:
        folder = args.charts or shared_data_dir() / "chord-progressions"
        if not folder.is_dir():
            print(f"error: {folder} not found; --build needs the shared chord charts (or --charts DIR).")
            return 2
        built, skipped = build(folder)
        TUNES_FILE.write_bytes(to_bytes(built))
        tunes.cache_clear()
        for name, reason in skipped:
            print(f"skipped {name}: {reason}")
        print(f"wrote {len(built)} tunes to {TUNES_FILE} ({TUNES_FILE.stat().st_size:,} bytes)")
        return 0
    if args.title:
        try:
            tune = find_tune(" ".join(args.title))
        except InputError as error:
            print(f"error: {error}")
            return 2
        print(f"{tune.title} ({tune.composer}), {tune.key.name}, {tune.beats_per_bar}/4, {tune.bars} bars")
        print(f"styles: {', '.join(tune.styles)}; from {tune.source}")
        print(tune.progression.chart())
        return 0
    counts = Counter(tag for tune in tunes().values() for tag in tune.styles)
    print(f"{len(tunes())} tunes: " + ", ".join(f"{count} {tag}" for tag, count in counts.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
