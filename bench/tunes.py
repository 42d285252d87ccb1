"""``python -m bench.tunes``: how fast the tune library answers autocomplete and title lookups.

Autocomplete: every prefix (1 to 12 letters) of 200 titles drawn from the table, each typed as a
user would (lower case), plus the same prefixes with one letter dropped (a typo while typing);
:func:`model.tunes.suggest` is timed per call (p50, p95, max). Lookup: :func:`model.tunes.find_tune`
on exact titles and on titles with one letter dropped. Also the one-off costs a bot pays: loading
the table and building the title indexes, and parsing a tune's chart the first time it is played.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

from model.errors import InputError
from model.paths import TUNES_FILE
from model.tunes import Tune, find_tune, suggest, tunes
from model.tunes.table import load

T = TypeVar("T")


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def _each(call: Callable[[T], object], items: Sequence[T]) -> list[float]:
    return [_timed(partial(call, item)) for item in items]


def _parse(tune: Tune) -> object:
    return tune.progression


def _summary(name: str, millis: Sequence[float]) -> str:
    ordered = sorted(millis)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    p50, worst = statistics.median(ordered), ordered[-1]
    return f"{name:30} n={len(ordered):5}  p50 {p50:6.3f} ms  p95 {p95:6.3f} ms  max {worst:6.2f} ms"


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    drop = rng.randrange(1, len(text) - 1)
    return text[:drop] + text[drop + 1 :]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tunes", description=__doc__)
    parser.add_argument("--titles", type=int, default=200, help="titles to type (default 200)")
    args = parser.parse_args(argv)
    rng = random.Random(13)

    load_ms = _timed(lambda: load(TUNES_FILE))
    index_ms = _timed(lambda: (suggest("a"), find_tune("solar")))
    titles = rng.sample(sorted(tune.title for tune in tunes().values()), args.titles)
    prefixes = [title.lower()[:n] for title in titles for n in range(1, min(len(title), 12) + 1)]
    typos = [_typo(prefix, rng) for prefix in prefixes if len(prefix) >= 6]
    first_parse = _each(_parse, rng.sample(list(tunes().values()), 200))

    print(f"table {TUNES_FILE.name}: {TUNES_FILE.stat().st_size:,} bytes, {len(tunes())} tunes")
    print(f"load table {load_ms:.0f} ms, build title indexes {index_ms:.0f} ms (once per process)")
    print(_summary("suggest(prefix)", _each(suggest, prefixes)))
    print(_summary("suggest(prefix with a typo)", _each(suggest, typos)))
    print(_summary("find_tune(exact title)", _each(find_tune, titles)))
    print(_summary("find_tune(title with a typo)", _each(partial(_lenient, rng=rng), titles)))
    print(_summary("first parse of a tune's chart", first_parse))
    return 0


def _lenient(title: str, rng: random.Random) -> None:
    with contextlib.suppress(InputError):  # a typo can make a short title unknown; the time counts
        find_tune(_typo(title, rng))


if __name__ == "__main__":
    raise SystemExit(main())
