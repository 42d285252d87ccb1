"""The command line of a table derived from the WJazzD solos and committed under ``model/data/``.

``python -m model.phrasing``, ``model.style_priors`` and ``model.lead_centres`` each print their
committed table, and with ``--build`` derive it again from the solos first (``--wjazzd`` for another
folder, ``--out`` for another file); a folder that cannot be read is an error message and exit code 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from model.errors import InputError
from model.wjazzd import Solo


def table_parser(module: str, doc: str | None, table: Path, what: str) -> argparse.ArgumentParser:
    """The parser of ``python -m <module>`` (``doc``: the module's docstring, whose first line
    describes it) with ``--build``, ``--wjazzd`` and ``--out`` (default ``table``)."""
    description = (doc or module).split("\n")[0]
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--build", action="store_true", help=f"derive the {what} and write {table.name}")
    parser.add_argument("--wjazzd", type=Path, help="WJazzD folder (default: shared)")
    parser.add_argument("--out", type=Path, default=table, help="where --build writes")
    return parser


def run_table(
    args: argparse.Namespace,
    solos: Callable[[Path | None], Sequence[Solo]],
    derive: Callable[[Sequence[Solo]], str],
    show: Callable[[Path], str],
) -> int:
    """With ``--build``, write ``derive(solos(--wjazzd))`` to ``--out``; then print ``show(--out)``."""
    if args.build:
        try:
            chosen = solos(args.wjazzd)
        except InputError as error:
            print(f"error: {error}")
            return 2
        args.out.write_text(derive(chosen))
        print(f"wrote {args.out}")
    print(show(args.out))
    return 0
