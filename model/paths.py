"""Where jazzbot finds its shipped model and the optional shared development data."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
DEFAULT_MODEL_DIR = DATA_DIR / "default_model"
PROGRESSIONS_FILE = DATA_DIR / "progressions.json"


def shared_data_dir() -> Path:
    """``../shared/data`` beside the project root, or ``$JAZZBOT_SHARED_DATA`` when set.

    The directory may not exist (a clone without the development data); callers check.
    """
    override = os.environ.get("JAZZBOT_SHARED_DATA")
    if override:
        return Path(override)
    return PACKAGE_DIR.parent.parent / "shared" / "data"


def cache_dir() -> Path:
    """Where parsed corpora are cached: ``$JAZZBOT_CACHE_DIR`` or ``~/.cache/jazzbot``."""
    override = os.environ.get("JAZZBOT_CACHE_DIR")
    return Path(override) if override else Path.home() / ".cache" / "jazzbot"
