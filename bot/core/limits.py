"""The one range every whole number a member sends must fall in, whatever path it comes by.

Discord's integer options stop at JavaScript's largest safe integer (2^53 - 1), so that is the limit for
seeds, clip, entry and challenge numbers everywhere: typed options, free text, the console and button ids
(which could otherwise carry numbers too large for SQLite and raise ``OverflowError``).
"""

from __future__ import annotations

MAX_INTEGER = 2**53 - 1
MIN_TEMPERATURE = 0.05  # below this the composer's softmax underflows (1e-320 would crash it)


def in_range(number: int) -> bool:
    """Whether ``number`` can be an id or a seed."""
    return 0 <= number <= MAX_INTEGER
