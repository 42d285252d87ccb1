"""A finished clip's bytes on their way from a worker to its bot through Redis.

Pickle keeps the clip whole (audio, MIDI, picture and the composed :class:`~model.piece.Piece`) at no
cost, but unpickling runs whatever a payload names: anyone able to write to Redis could run code in the
bot. :func:`load_clip` therefore unpickles with an allowlist (Python's documented "restricting globals"):
only the clip's own dataclasses and enums, from the modules that define them, may be built; anything
else (a function, ``os.system``, another class) refuses the whole payload.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import pickle

from bot.audio.clips import Clip

ALLOWED_MODULES = frozenset({"bot.audio.clips", "model.piece", "model.theory", "model.arrange.options"})
"""Where the types a :class:`Clip` holds are defined."""


class _ClipUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> type:
        if module in ALLOWED_MODULES:
            found = super().find_class(module, name)
            if isinstance(found, type) and (dataclasses.is_dataclass(found) or issubclass(found, enum.Enum)):
                return found
        raise pickle.UnpicklingError(f"a clip payload may not build {module}.{name}")


def dump_clip(clip: Clip) -> bytes:
    """``clip`` as bytes for Redis."""
    return pickle.dumps(clip, protocol=pickle.HIGHEST_PROTOCOL)


def load_clip(data: bytes) -> Clip:
    """The clip :func:`dump_clip` wrote; ``pickle.UnpicklingError`` for anything else."""
    clip = _ClipUnpickler(io.BytesIO(data)).load()
    if not isinstance(clip, Clip):
        raise pickle.UnpicklingError(f"a clip payload holds a {type(clip).__name__}, not a Clip")
    return clip
