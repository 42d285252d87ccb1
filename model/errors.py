"""The one exception family for bad input from a user or a file.

Every message is written for the person who typed the request: it says what was wrong and what
would work. Adapters show it as-is; anything that is *not* an :class:`InputError` is a bug.
"""


class InputError(ValueError):
    """Input a user can fix (an unknown key, 90 bars, a corrupt MIDI file, ...)."""
