"""The libraries only training and the corpus tools need, and what to tell a user who lacks them.

The bot and the composer run on NumPy, mido and Pillow; TensorFlow/Keras (training), music21 (reading
MIDI and MusicXML into the corpus) and matplotlib (the loss plot) come with jazzbot's ``train`` extra,
so a deployment (the Docker image) does not carry ~1 GB it never imports. ``make setup`` installs the
extra along with the development tools.
"""

from __future__ import annotations

import importlib

from model.errors import InputError

TRAIN_EXTRA = "pip install -e '.[train]'"


class MissingExtraError(InputError):
    """A training library is not installed."""


def require_training_libraries(*modules: str) -> None:
    """Import ``modules`` (e.g. "keras", "music21"), or raise :class:`MissingExtraError` naming the ones
    missing and how to install them."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        verb = "is" if len(missing) == 1 else "are"
        raise MissingExtraError(
            f"{names} {verb} not installed: training and the corpus tools need jazzbot's "
            f"train extra ({TRAIN_EXTRA}, or `make setup`)."
        )
