"""Settings from the environment and a real ``.env`` file: defaults, precedence, validation, secrecy."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.services.settings import Settings, SettingsError, load_settings, setting_names

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_defaults_without_environment_or_file() -> None:
    settings = load_settings({}, env_file=None)
    assert settings == Settings()
    assert settings.discord_token is None
    assert settings.database == Path("data/jazzbot.db")
    assert settings.audio_format == "ogg"
    assert settings.max_bars == 64
    assert settings.workers >= 1


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "DISCORD_TOKEN": TOKEN,
            "JAZZBOT_DATABASE": "/data/jazzbot.db",
            "JAZZBOT_SOUNDFONT": __file__,
            "JAZZBOT_AUDIO_FORMAT": "MP3",
            "JAZZBOT_MAX_UPLOAD_BYTES": "8_000_000",
            "JAZZBOT_MAX_BARS": "32",
            "JAZZBOT_WORKERS": "3",
            "JAZZBOT_QUEUE_SIZE": "0",
            "JAZZBOT_PER_USER_LIMIT": "1",
            "JAZZBOT_COOLDOWN_SECONDS": "2.5",
            "JAZZBOT_DEV_GUILD_IDS": "123456789012345678, 234567890123456789",
            "JAZZBOT_LOG_LEVEL": "warn",
            "JAZZBOT_OUT_DIR": "clips",
            "JAZZBOT_MODERATOR_ROLE": "Jazz Mods",
            "JAZZBOT_MIN_ACCOUNT_AGE_DAYS": "7",
        },
        env_file=None,
    )
    assert settings == Settings(
        discord_token=TOKEN,
        database=Path("/data/jazzbot.db"),
        soundfont=Path(__file__),
        audio_format="mp3",
        max_upload_bytes=8_000_000,
        max_bars=32,
        workers=3,
        queue_size=0,
        per_user_limit=1,
        cooldown_seconds=2.5,
        dev_guild_ids=(123456789012345678, 234567890123456789),
        log_level="WARNING",
        out_dir=Path("clips"),
        moderator_role="Jazz Mods",
        min_account_age_days=7,
    )


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f'# local settings\nDISCORD_TOKEN="{TOKEN}"\nJAZZBOT_MAX_BARS=8\n'
        "JAZZBOT_WORKERS=4\nJAZZBOT_LOG_LEVEL=\n"
    )
    before = dict(os.environ)
    settings = load_settings({"JAZZBOT_WORKERS": "1"}, env_file=env_file)
    assert settings.discord_token == TOKEN
    assert settings.max_bars == 8
    assert settings.workers == 1  # the environment over the file
    assert settings.log_level == "INFO"  # an empty value means the default
    assert dict(os.environ) == before  # the file never leaks into the process environment


def test_missing_env_file_is_fine(tmp_path: Path) -> None:
    assert load_settings({}, env_file=tmp_path / "absent.env") == Settings()


def test_blank_token_means_console_mode() -> None:
    assert load_settings({"DISCORD_TOKEN": "   "}, env_file=None).discord_token is None


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("JAZZBOT_AUDIO_FORMAT", "wav", "ogg, mp3"),
        ("JAZZBOT_MAX_BARS", "65", "from 1 to 64"),
        ("JAZZBOT_MAX_BARS", "0", "from 1 to 64"),
        ("JAZZBOT_MAX_BARS", "sixteen", "whole number"),
        ("JAZZBOT_WORKERS", "0", "from 1"),
        ("JAZZBOT_QUEUE_SIZE", "-1", "from 0"),
        ("JAZZBOT_PER_USER_LIMIT", "1.5", "whole number"),
        ("JAZZBOT_MAX_UPLOAD_BYTES", "100", "from 4096"),
        ("JAZZBOT_COOLDOWN_SECONDS", "-2", "seconds from 0"),
        ("JAZZBOT_COOLDOWN_SECONDS", "nan", "seconds from 0"),
        ("JAZZBOT_DEV_GUILD_IDS", "my-server", "server (guild) ids"),
        ("JAZZBOT_DEV_GUILD_IDS", "123,-4", "server (guild) ids"),
        ("JAZZBOT_DEV_GUILD_IDS", "12²", "server (guild) ids"),
        ("JAZZBOT_LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("JAZZBOT_MIN_ACCOUNT_AGE_DAYS", "-1", "from 0"),
        ("JAZZBOT_SOUNDFONT", "/nonexistent/font.sf2", "no such file"),
    ],
)
def test_bad_values_name_the_variable_and_what_is_allowed(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value}, env_file=None)
    assert name in str(caught.value)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    "bad_token",
    ["Bot " + TOKEN, TOKEN[:20] + " " + TOKEN[20:], "'" + TOKEN + "'x", TOKEN.replace(".", "")],
)
def test_malformed_token_is_refused_without_echoing_it(bad_token: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN": bad_token}, env_file=None)
    message = str(caught.value)
    assert "DISCORD_TOKEN" in message
    assert TOKEN[:20] not in message and TOKEN[-20:] not in message


def test_token_pasted_into_another_variable_is_scrubbed_from_the_error() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN": TOKEN, "JAZZBOT_MAX_BARS": TOKEN}, env_file=None)
    assert TOKEN not in str(caught.value)
    assert "JAZZBOT_MAX_BARS" in str(caught.value)


def test_token_never_in_repr_str_or_describe() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN}, env_file=None)
    for text in (repr(settings), str(settings), settings.describe(), f"{settings}"):
        assert TOKEN not in text
    assert "token set" in settings.describe()
    assert "token not set" in Settings().describe()


def test_describe_summarises_the_settings() -> None:
    summary = Settings(dev_guild_ids=(1, 2), min_account_age_days=3, audio_format="mp3").describe()
    assert "mp3" in summary and "dev guilds 1,2" in summary and "min account age 3 days" in summary


def test_misspelt_variable_is_logged_with_a_suggestion(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.services.settings"):
        settings = load_settings({"JAZZBOT_WORKER": "3", "JAZZBOT_SHARED_DATA": "/x"}, env_file=None)
    assert settings.workers == Settings().workers
    assert "JAZZBOT_WORKER is not a jazzbot setting" in caplog.text
    assert "did you mean JAZZBOT_WORKERS?" in caplog.text
    assert "JAZZBOT_SHARED_DATA" not in caplog.text


def test_setting_names_cover_every_field() -> None:
    names = setting_names()
    assert names[0] == "DISCORD_TOKEN"
    assert len(names) == len(Settings.__dataclass_fields__)
    assert "JAZZBOT_MIN_ACCOUNT_AGE_DAYS" in names


ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting_and_loads_uncommented(tmp_path: Path) -> None:
    example = (ROOT / ".env.example").read_text()
    env_file = tmp_path / ".env"
    env_file.write_text(example.replace("# JAZZBOT_", "JAZZBOT_"))
    settings = load_settings({}, env_file=env_file)
    assert settings.audio_format == "ogg" and settings.dev_guild_ids == (123456789012345678,)
    assert settings.moderator_role == "Jazz Mods"
    for name in setting_names():
        assert f"{name}=" in example


def test_the_discord_guide_documents_every_setting() -> None:
    guide = (ROOT / "docs" / "DISCORD.md").read_text()
    for name in setting_names():
        assert f"| `{name}` |" in guide
