"""The bot's settings: environment variables, optionally from a ``.env`` file, validated at start.

Every setting has a default, so a bare ``python -m bot`` runs (without ``DISCORD_TOKEN`` it starts the
local console). A bad value stops the start with a :class:`SettingsError` that names the variable and
what it accepts. The Discord token never appears in a message, a repr or a log line: the dataclass
hides it from ``repr``, :meth:`Settings.describe` only says whether it is set, and error messages
are scrubbed of it in case it was pasted into the wrong variable.
"""

from __future__ import annotations

import difflib
import io
import logging
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, get_args
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from bot.audio.encode import MIN_MAX_BYTES
from bot.audio.encode import Format as AudioFormat
from bot.core.logs import Scrubber
from bot.services.shard_plan import ShardPlan, ShardPlanError, parse_shard_plan
from bot.store.database import DEFAULT_POOL_SIZE, MAX_POOL_SIZE, DatabaseTarget, PostgresURL, database_target

logger = logging.getLogger(__name__)

CLIP_PEAK_BYTES = 256 * 1024 * 1024
"""Peak memory one worker may need for a long clip (about 210 MB measured for 64 bars, issue 12), used to
size the default worker count to the machine's memory."""
MAX_JOB_TIMEOUT = 3600
MAX_AUDIO_KEEP_MB = 1024 * 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_BARS_LIMIT = 64
MAX_UPLOAD_LIMIT = 500 * 1024 * 1024  # Discord's largest upload tier; more is surely a typo
MAX_WORKERS = 64
MAX_QUEUE_SIZE = 10_000
MAX_ACCOUNT_AGE_DAYS = 3650
MIN_PORT, MAX_PORT = 1024, 65535  # the health port: an unprivileged user cannot bind below 1024
_MAX_SNOWFLAKE = 2**64 - 1
# Three dot-separated base64url parts: user id, timestamp, HMAC.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
TOKEN_VARIABLE = "DISCORD_TOKEN"
_PREFIX = "JAZZBOT_"
# JAZZBOT_ variables read elsewhere (model.paths); not settings, but not typos either.
_OTHER_KNOWN = frozenset({"JAZZBOT_SHARED_DATA"})

T = TypeVar("T")


def available_memory() -> int | None:
    """Bytes of memory available to new work (``MemAvailable`` on Linux); None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def default_workers(cores: int | None = None, memory: int | None = None) -> int:
    """One worker per core, but no more than the available memory holds at :data:`CLIP_PEAK_BYTES` each
    (a 16-core host with 2 GiB free gets 8, not 16), and at least one."""
    cores = cores if cores is not None else (os.cpu_count() or 1)
    memory = memory if memory is not None else available_memory()
    by_memory = memory // CLIP_PEAK_BYTES if memory is not None else cores
    return max(1, min(cores, by_memory, MAX_WORKERS))


class SettingsError(Exception):
    """A setting the bot cannot start with; the message names the variable and what is allowed."""


@dataclass(frozen=True)
class Settings:
    """Validated settings (see ``docs/DISCORD.md`` for the table of variables)."""

    discord_token: str | None = field(default=None, repr=False)  # DISCORD_TOKEN; never logged or echoed
    # JAZZBOT_DATABASE: a SQLite file, or postgresql://USER:PASSWORD@HOST:PORT/DB (shown without the password)
    database: DatabaseTarget = Path("data/jazzbot.db")
    database_pool: int = DEFAULT_POOL_SIZE  # JAZZBOT_DATABASE_POOL: PostgreSQL connections per process
    soundfont: Path | None = None  # JAZZBOT_SOUNDFONT (None: bot.audio.render's default)
    audio_format: AudioFormat = "ogg"  # JAZZBOT_AUDIO_FORMAT ogg|mp3
    max_upload_bytes: int = 10 * 1024 * 1024  # JAZZBOT_MAX_UPLOAD_BYTES
    max_bars: int = 64  # JAZZBOT_MAX_BARS (1..64)
    workers: int = field(default_factory=default_workers)  # JAZZBOT_WORKERS (default: cores and memory)
    queue_size: int = 32  # JAZZBOT_QUEUE_SIZE (jobs waiting, not counting running)
    per_user_limit: int = 2  # JAZZBOT_PER_USER_LIMIT (jobs in flight per user)
    cooldown_seconds: float = 3.0  # JAZZBOT_COOLDOWN_SECONDS (between a user's requests)
    dev_guild_ids: tuple[int, ...] = ()  # JAZZBOT_DEV_GUILD_IDS "123,456": instant command sync there
    log_level: str = "INFO"  # JAZZBOT_LOG_LEVEL
    out_dir: Path = Path("out")  # JAZZBOT_OUT_DIR (console output)
    moderator_role: str | None = None  # JAZZBOT_MODERATOR_ROLE (besides Manage Server)
    min_account_age_days: int = 0  # JAZZBOT_MIN_ACCOUNT_AGE_DAYS to vote (0 = off)
    job_timeout: float = 60.0  # JAZZBOT_JOB_TIMEOUT: seconds one clip may take before it is stopped
    shutdown_seconds: float = 30.0  # JAZZBOT_SHUTDOWN_SECONDS: how long a stop waits for clips in flight
    audio_keep_mb: int = 24  # JAZZBOT_AUDIO_KEEP_MB: MiB of the newest clips' audio kept (older: MIDI only)
    shards: ShardPlan | None = None  # JAZZBOT_SHARDS "0-3/16" (None: every shard Discord recommends, here)
    health_port: int | None = None  # JAZZBOT_HEALTH_PORT: loopback HTTP health check (None: off)
    redis: str | None = None  # JAZZBOT_REDIS redis://...: clips are made by `python -m bot.worker` processes

    def describe(self) -> str:
        """One line for the startup log; the token is only "set" or "not set"."""
        guilds = ",".join(map(str, self.dev_guild_ids)) or "none"
        pool = f" (pool of {self.database_pool})" if isinstance(self.database, PostgresURL) else ""
        age = f"{self.min_account_age_days} days" if self.min_account_age_days else "off"
        line = (
            f"token {'set' if self.discord_token else 'not set (console mode)'}; "
            f"database {self.database}{pool}; soundfont {self.soundfont or 'default'}; "
            f"audio {self.audio_format} up to {self.max_upload_bytes / 2**20:.1f} MiB; "
            f"max {self.max_bars} bars; {self.workers} workers; queue {self.queue_size}; "
            f"{self.per_user_limit} per user; cooldown {self.cooldown_seconds:g} s; "
            f"dev guilds {guilds}; log {self.log_level}; out {self.out_dir}; "
            f"moderator role {self.moderator_role or 'none'}; min account age {age}; "
            f"job timeout {self.job_timeout:g} s; shutdown {self.shutdown_seconds:g} s; "
            f"audio of the newest clips kept up to {self.audio_keep_mb} MiB; "
            f"shards {self.shards.describe() if self.shards else 'all (as Discord recommends)'}; "
            f"health check {f'127.0.0.1:{self.health_port}' if self.health_port else 'off'}; "
            f"clips made {'by workers at ' + redacted_url(self.redis) if self.redis else 'in this process'}"
        )
        # A token pasted into the wrong variable must not reach the log with it.
        return Scrubber([self.discord_token]).scrub(line)


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Settings from ``environ`` (default ``os.environ``) over ``env_file`` (skipped when None or
    missing). ``os.environ`` is never modified. Raises :class:`SettingsError` for any bad value."""
    values = _read_env_file(env_file)
    values.update(os.environ if environ is None else environ)
    token = _token(values.get(TOKEN_VARIABLE))
    try:
        return _parse(values, token)
    except SettingsError as error:
        if token and token in str(error):
            raise SettingsError(str(error).replace(token, "<DISCORD_TOKEN>")) from None
        raise


def _read_env_file(env_file: Path | None) -> dict[str, str]:
    if env_file is None or not env_file.is_file():
        return {}
    try:
        text = env_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"cannot read {env_file}: {error.__class__.__name__}") from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:  # python-dotenv would only warn and skip the line, so a setting would vanish
            name = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", binding.original.string)
            what = f" ({name.group(1)})" if name else ""
            raise SettingsError(
                f"{env_file} line {binding.original.line}{what} cannot be read: check that its quotes are "
                "closed and that it reads NAME=value."
            )
    raw = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {name: value for name, value in raw.items() if value is not None}


def _token(raw: str | None) -> str | None:
    """The token, stripped; None when absent or empty. Errors describe it without showing it."""
    token = (raw or "").strip()
    if not token:
        return None
    if token.lower().startswith("bot "):
        raise SettingsError(f"{TOKEN_VARIABLE} must be the token alone, without the 'Bot ' prefix.")
    if not _TOKEN_SHAPE.fullmatch(token):
        raise SettingsError(
            f"{TOKEN_VARIABLE} does not look like a Discord bot token (three parts separated by dots, "
            "no spaces or quotes). Copy it again from the Developer Portal: your application > Bot > "
            "Reset Token."
        )
    return token


def _parse(values: Mapping[str, str], token: str | None) -> Settings:
    _warn_unknown(values)
    defaults = Settings()

    def get(name: str, convert: Callable[[str, str], T], default: T) -> T:
        raw = values.get(_PREFIX + name, "").strip()
        return convert(_PREFIX + name, raw) if raw else default

    return Settings(
        discord_token=token,
        database=get("DATABASE", _database, defaults.database),
        database_pool=get("DATABASE_POOL", _int_in(1, MAX_POOL_SIZE), defaults.database_pool),
        soundfont=get("SOUNDFONT", _soundfont, defaults.soundfont),
        audio_format=get("AUDIO_FORMAT", _audio_format, defaults.audio_format),
        max_upload_bytes=get(
            "MAX_UPLOAD_BYTES", _int_in(MIN_MAX_BYTES, MAX_UPLOAD_LIMIT), defaults.max_upload_bytes
        ),
        max_bars=get("MAX_BARS", _int_in(1, MAX_BARS_LIMIT), defaults.max_bars),
        workers=get("WORKERS", _int_in(1, MAX_WORKERS), defaults.workers),
        queue_size=get("QUEUE_SIZE", _int_in(0, MAX_QUEUE_SIZE), defaults.queue_size),
        per_user_limit=get("PER_USER_LIMIT", _int_in(1, MAX_QUEUE_SIZE), defaults.per_user_limit),
        cooldown_seconds=get("COOLDOWN_SECONDS", _seconds, defaults.cooldown_seconds),
        dev_guild_ids=get("DEV_GUILD_IDS", _guild_ids, defaults.dev_guild_ids),
        log_level=get("LOG_LEVEL", _log_level, defaults.log_level),
        out_dir=get("OUT_DIR", _path, defaults.out_dir),
        moderator_role=get("MODERATOR_ROLE", lambda _name, raw: raw, defaults.moderator_role),
        min_account_age_days=get(
            "MIN_ACCOUNT_AGE_DAYS", _int_in(0, MAX_ACCOUNT_AGE_DAYS), defaults.min_account_age_days
        ),
        job_timeout=get("JOB_TIMEOUT", _positive_seconds, defaults.job_timeout),
        shutdown_seconds=get("SHUTDOWN_SECONDS", _seconds, defaults.shutdown_seconds),
        audio_keep_mb=get("AUDIO_KEEP_MB", _int_in(0, MAX_AUDIO_KEEP_MB), defaults.audio_keep_mb),
        shards=get("SHARDS", _shards, defaults.shards),
        health_port=get("HEALTH_PORT", _int_in(MIN_PORT, MAX_PORT), defaults.health_port),
        redis=get("REDIS", _redis_url, defaults.redis),
    )


def setting_names() -> tuple[str, ...]:
    """Every variable :func:`load_settings` reads, in the order of :class:`Settings`' fields."""
    return (
        TOKEN_VARIABLE,
        *(_PREFIX + name.upper() for name in Settings.__dataclass_fields__ if name != "discord_token"),
    )


def _warn_unknown(values: Mapping[str, str]) -> None:
    """A misspelt ``JAZZBOT_`` variable would silently fall back to its default; say so in the log."""
    known = set(setting_names()) | _OTHER_KNOWN
    for name in sorted(n for n in values if n.startswith(_PREFIX) and n not in known):
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        logger.warning("%s is not a jazzbot setting and is ignored%s", name, hint)


def _path(name: str, raw: str) -> Path:
    if "\x00" in raw:
        raise SettingsError(f"{name} must be a file system path.")
    return Path(raw).expanduser()


def _database(name: str, raw: str) -> DatabaseTarget:
    try:
        return database_target(raw)
    except ValueError as error:
        raise SettingsError(
            f"{name}: {error} (a SQLite file path, or postgresql://USER:PASSWORD@HOST:PORT/DB)."
        ) from None


def redacted_url(url: str) -> str:
    """``url`` without its password (``redis://:***@host:6379/0``), for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _redis_url(name: str, raw: str) -> str:
    try:
        parts = urlsplit(raw)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise SettingsError(
            f"{name}={redacted_url(raw) if parts else '<unreadable>'} is not a Redis URL: use "
            "redis://[:password@]host:6379/0 (rediss:// for TLS), or leave it unset to make clips in this "
            "process."
        )
    return raw


def _soundfont(name: str, raw: str) -> Path:
    path = _path(name, raw)
    if not path.is_file():
        raise SettingsError(
            f"{name}={raw}: no such file. Point it at a General MIDI .sf2 soundfont, or leave it unset "
            "to use /usr/share/sounds/sf2/FluidR3_GM.sf2 (Debian package fluid-soundfont-gm)."
        )
    return path


def _audio_format(name: str, raw: str) -> AudioFormat:
    allowed: tuple[AudioFormat, ...] = get_args(AudioFormat)
    for audio_format in allowed:
        if raw.lower() == audio_format:
            return audio_format
    raise SettingsError(f"{name}={raw!r}: must be one of {', '.join(allowed)}.")


def _int_in(low: int, high: int) -> Callable[[str, str], int]:
    def convert(name: str, raw: str) -> int:
        try:
            value = int(raw.replace("_", ""))
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise SettingsError(f"{name}={raw!r}: must be a whole number from {low} to {high}.")
        return value

    return convert


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 3600:
        raise SettingsError(f"{name}={raw!r}: must be a number of seconds from 0 to 3600 (e.g. 3 or 2.5).")
    return value


def _positive_seconds(name: str, raw: str) -> float:
    value = _seconds(name, raw)
    if value == 0:
        raise SettingsError(f"{name}={raw!r}: must be more than 0 seconds (e.g. 60).")
    return value


def _guild_ids(name: str, raw: str) -> tuple[int, ...]:
    parts = [part for part in re.split(r"[,\s]+", raw) if part]
    if not all(part.isdecimal() and 0 < int(part) <= _MAX_SNOWFLAKE for part in parts):
        raise SettingsError(
            f"{name}={raw!r}: must be server (guild) ids separated by commas, like 123456789012345678,"
            "234567890123456789 (Discord: Developer Mode on, right-click the server, Copy Server ID)."
        )
    return tuple(dict.fromkeys(int(part) for part in parts))


def _shards(name: str, raw: str) -> ShardPlan:
    try:
        return parse_shard_plan(name, raw)
    except ShardPlanError as error:
        raise SettingsError(str(error)) from None


def _log_level(name: str, raw: str) -> str:
    level = raw.upper()
    level = "WARNING" if level == "WARN" else level
    if level not in LOG_LEVELS:
        raise SettingsError(f"{name}={raw!r}: must be one of {', '.join(LOG_LEVELS)}.")
    return level
