"""The meters jazzbot plays (4/4 and the jazz waltz's 3/4) and the refusal of any other.

A meter is written as beats (quarter notes) per bar: 4 or 3. :func:`parse_meter` reads what a member
types ("3/4", "in 3", "4/4", "waltz") and refuses everything else ("5/4", "6/8", "in 7") with an
:class:`MeterError` that names what works.
"""

from __future__ import annotations

import re

from model.errors import InputError

METERS = (4, 3)
"""The meters jazzbot plays, as beats (quarter notes) per bar."""
SUPPORTED = "4/4 (swing, ballad, bossa) and 3/4 (jazz waltz)"


class MeterError(InputError):
    """A meter jazzbot does not play; the message names the ones it does."""


def meter_name(beats: int) -> str:
    """``"3/4"`` for 3 beats a bar."""
    return f"{beats}/4"


def unsupported(asked: str) -> MeterError:
    """The refusal of the meter written ``asked`` ("5/4", "6/8", "7")."""
    return MeterError(
        f"jazzbot plays {SUPPORTED}, not {asked}; ask for 'in 3/4' or 'waltz', or leave the meter out."
    )


def parse_meter(text: object) -> int:
    """Beats per bar for ``text``: ``"3/4"``, ``"3"``, ``"in 3"``, ``"waltz"`` -> 3, ``"4/4"`` -> 4; any
    other meter is a :class:`MeterError`."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text in METERS:
            return text
        raise unsupported(f"{text}/4")
    if not isinstance(text, str):
        raise unsupported(repr(text))
    wanted = " ".join(text.lower().split()).removesuffix(" time")
    if wanted in ("waltz", "jazz waltz"):
        return 3
    found = re.fullmatch(r"(?:in\s*)?(\d{1,2})(?:\s*/\s*(\d{1,2}))?", wanted)
    if found is None:
        raise unsupported(f"'{text.strip()}'")
    beats, unit = int(found[1]), found[2]
    if beats in METERS and unit in (None, "4"):
        return beats
    raise unsupported(f"{beats}/{unit}" if unit else f"{beats} beats a bar")
