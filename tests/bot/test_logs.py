"""No token and no blob reaches the log, at any level: the real bot at DEBUG on simcord, a real SQLite
file (whose driver logs every statement with its parameters), and the start-up settings line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.logs import MAX_LINE, REDACTED, Scrubber, configure_logging
from bot.services.settings import load_settings
from tests.bot.challenge_helpers import tiny_midi
from tests.bot.discord_helpers import QUICK_BARS, interaction_token

FAKE_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.fixture
def logs() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """(scrubbed, raw): the bot's own handler at DEBUG, and an unfiltered one beside it for contrast."""
    scrubbed, raw = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    level = root.level
    unfiltered = logging.StreamHandler(raw)
    root.addHandler(unfiltered)  # first, so it writes each record before the scrubber rewrites it
    handler = configure_logging("DEBUG", secrets=[FAKE_TOKEN], stream=scrubbed)
    yield scrubbed, raw
    root.removeHandler(handler)
    root.removeHandler(unfiltered)
    root.setLevel(level)


@pytest.mark.parametrize("settings_overrides", [{"discord_token": FAKE_TOKEN}])
async def test_no_token_or_blob_in_the_log_at_debug(
    simcord_env: Any, scene: Any, logs: tuple[io.StringIO, io.StringIO]
) -> None:
    channel, alice, _ = scene
    scrubbed, raw = logs
    before = len(simcord_env.http_requests)
    made = await alice.slash(channel, "jazz", bars=QUICK_BARS, seed=5)
    assert made.followups, "the clip was posted"
    token = interaction_token(simcord_env.http_requests[before:])
    logging.getLogger("bot").warning("a careless line with %s in it", FAKE_TOKEN)
    midi = repr(tiny_midi() * 4)
    logging.getLogger("aiosqlite").debug("executing insert with (%s,)", midi)

    assert token in raw.getvalue() and "aiosqlite" in scrubbed.getvalue()  # the hazard is real
    text = scrubbed.getvalue()
    assert token not in text and FAKE_TOKEN not in text and midi not in text
    assert REDACTED in text and "<bytes," in text
    assert max(map(len, text.splitlines())) <= MAX_LINE + 100  # the message, plus time, level and name


def test_a_long_line_is_cut_and_a_traceback_scrubbed() -> None:
    scrubber = Scrubber([FAKE_TOKEN])
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "%s", ("word " * 1000,), None)
    scrubber.filter(record)
    assert len(record.getMessage()) == MAX_LINE
    try:
        raise RuntimeError(f"bad token {FAKE_TOKEN}")
    except RuntimeError as error:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), (type(error), error, None))
    scrubber.filter(failed)
    assert failed.exc_text is not None and FAKE_TOKEN not in failed.exc_text and REDACTED in failed.exc_text


def test_a_token_in_the_wrong_variable_stays_out_of_the_settings_line(tmp_path: Path) -> None:
    settings = load_settings(
        {"DISCORD_TOKEN": FAKE_TOKEN, "JAZZBOT_DATABASE": FAKE_TOKEN, "JAZZBOT_MODERATOR_ROLE": FAKE_TOKEN},
        env_file=None,
    )
    line = settings.describe()
    assert FAKE_TOKEN not in line and "database <redacted>" in line
    other = "OTk4NzY1NDMyMTA5ODc2NTQz.HzYxWv.ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210"  # someone else's
    assert other not in load_settings({"JAZZBOT_OUT_DIR": other}, env_file=None).describe()
