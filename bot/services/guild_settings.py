"""Per-server settings: what a server chose with ``/settings`` over the bot's own defaults.

The bot-wide settings (``JAZZBOT_*``) are the defaults; a server's members with Manage Server can
override, for their server only: the moderator role (default ``JAZZBOT_MODERATOR_ROLE``), the most bars
a clip may have (at most the bot's ``JAZZBOT_MAX_BARS``), the default style, the channel challenges are
announced in, and whether ``/challenge`` listings (info, entries, leaderboard, history, profile) are
posted for everyone or shown only to whoever asked. Direct messages and the console use the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol

from bot.core.requests import TextRequest, plays_in
from bot.store.guild_settings import GuildSettingsStore, StoredGuildSettings
from model.arrange import STYLES
from model.errors import InputError

Resettable = Literal["moderator_role", "max_bars", "default_style", "challenge_channel", "listings", "all"]
RESETTABLE: tuple[Resettable, ...] = (
    "moderator_role",
    "max_bars",
    "default_style",
    "challenge_channel",
    "listings",
    "all",
)
MAX_ROLE_NAME = 100


class BotDefaults(Protocol):
    """The bot-wide settings the per-server ones override (``bot.services.settings.Settings`` has them)."""

    @property
    def moderator_role(self) -> str | None: ...

    @property
    def max_bars(self) -> int: ...


class NeedsManageServer(InputError):
    """Changing a server's settings is for members with the Manage Server permission."""

    def __init__(self) -> None:
        super().__init__(
            "Only members with the **Manage Server** permission can change these settings; "
            "`/settings` without options shows them to anyone."
        )


@dataclass(frozen=True)
class GuildSettings:
    """The settings in force in one place: the server's choices, else the bot's defaults."""

    guild_id: int | None
    moderator_role_id: int | None  # the server's moderator role; None: match ``moderator_role`` by name
    moderator_role: str | None  # its name, or the bot-wide JAZZBOT_MODERATOR_ROLE (a name or an id)
    max_bars: int
    default_style: str | None  # None: the request's own default (swing)
    challenge_channel_id: int | None
    private_listings: bool | None  # None: lists private for members, posted by moderators
    stored: StoredGuildSettings | None  # what the server set itself (None outside servers)

    def style_for(self, parsed: TextRequest, typed: str | None) -> str | None:
        """The style to ask for: the typed option, else none when the words name one (they win) or
        ask for a meter this server's default cannot play (a bare "in 3/4" on a bossa server is a jazz
        waltz, "in 4/4" on a waltz server swings), else this server's default."""
        if typed is not None or "style" in parsed.values:
            return typed
        if self.default_style is not None and not plays_in(self.default_style, parsed.values.get("meter")):
            return None
        return self.default_style

    def is_moderator_role(self, role_id: int, role_name: str) -> bool:
        """Whether a member's role makes them a challenge moderator here (besides Manage Server)."""
        if self.moderator_role_id is not None:
            return role_id == self.moderator_role_id
        wanted = self.moderator_role
        return wanted is not None and wanted in (role_name, str(role_id))


class GuildSettingsService:
    """Reads and changes per-server settings (see the module doc)."""

    def __init__(self, store: GuildSettingsStore, defaults: BotDefaults) -> None:
        self._store = store
        self._defaults = defaults

    async def for_guild(self, guild_id: int | None) -> GuildSettings:
        """The settings in force in ``guild_id`` (None: a direct message or the console)."""
        stored = await self._store.get(guild_id) if guild_id is not None else None
        return self._resolve(guild_id, stored)

    def _resolve(self, guild_id: int | None, stored: StoredGuildSettings | None) -> GuildSettings:
        chosen = stored or StoredGuildSettings(guild_id or 0)
        bot_max = self._defaults.max_bars
        return GuildSettings(
            guild_id=guild_id,
            moderator_role_id=chosen.moderator_role_id,
            moderator_role=chosen.moderator_role_name or self._defaults.moderator_role,
            max_bars=min(chosen.max_bars or bot_max, bot_max),
            default_style=chosen.default_style,
            challenge_channel_id=chosen.challenge_channel_id,
            private_listings=chosen.private_listings,
            stored=stored,
        )

    async def change(
        self,
        guild_id: int,
        user_id: int,
        *,
        may_manage: bool,
        moderator_role: tuple[int, str] | None = None,
        max_bars: int | None = None,
        default_style: str | None = None,
        challenge_channel_id: int | None = None,
        private_listings: bool | None = None,
        reset: Resettable | None = None,
    ) -> GuildSettings:
        """Apply the given changes (``reset`` first, then the values given) and return the result.

        ``may_manage`` is whether the member has Manage Server; without it nothing changes.
        ``moderator_role`` is the role's (id, name).
        """
        if not may_manage:
            raise NeedsManageServer()
        current = await self._store.get(guild_id)
        changed = _reset(current, reset) if reset is not None else current
        if moderator_role is not None:
            role_id, name = moderator_role
            changed = replace(changed, moderator_role_id=role_id, moderator_role_name=name[:MAX_ROLE_NAME])
        if max_bars is not None:
            bot_max = self._defaults.max_bars
            if not 1 <= max_bars <= bot_max:
                raise InputError(
                    f"Clips here can be 1 to {bot_max} bars long ({bot_max} is this bot's own limit); "
                    f"{max_bars} does not fit."
                )
            changed = replace(changed, max_bars=max_bars)
        if default_style is not None:
            if default_style not in STYLES:
                raise InputError(f"“{default_style[:40]}” is not a style; pick one of {', '.join(STYLES)}.")
            changed = replace(changed, default_style=default_style)
        if challenge_channel_id is not None:
            changed = replace(changed, challenge_channel_id=challenge_channel_id)
        if private_listings is not None:
            changed = replace(changed, private_listings=private_listings)
        await self._store.put(changed, user_id)
        return self._resolve(guild_id, changed)


def _reset(current: StoredGuildSettings, what: Resettable) -> StoredGuildSettings:
    if what == "all":
        return StoredGuildSettings(current.guild_id)
    if what == "moderator_role":
        return replace(current, moderator_role_id=None, moderator_role_name=None)
    if what == "challenge_channel":
        return replace(current, challenge_channel_id=None)
    if what == "listings":
        return replace(current, private_listings=None)
    if what == "max_bars":
        return replace(current, max_bars=None)
    return replace(current, default_style=None)


def settings_text(settings: GuildSettings, bot_max_bars: int, channel: str | None, role: str | None) -> str:
    """The settings as a few lines; ``channel`` and ``role`` are how the adapter shows the channel and
    the role (a Discord mention, a name), None when unset."""
    stored = settings.stored

    def origin(chosen: object) -> str:
        return " (this server's choice)" if chosen is not None else " (the bot's default)"

    role_text = role or settings.moderator_role or "none"
    lines = [
        f"Moderator role: {role_text}{origin(stored and stored.moderator_role_id)}, "
        "besides members with Manage Server",
        f"Most bars per clip: {settings.max_bars}{origin(stored and stored.max_bars)}; "
        f"this bot's limit is {bot_max_bars}",
        f"Default style: {settings.default_style or 'swing'}{origin(stored and stored.default_style)}",
        f"Challenge channel: {channel or 'wherever /challenge start is used'}"
        f"{origin(stored and stored.challenge_channel_id)}",
        "Challenge listings (info, entries, leaderboard, history, profile): "
        + _listings_text(settings.private_listings),
    ]
    return "\n".join(lines)


def _listings_text(private: bool | None) -> str:
    if private is None:
        return "entries and leaderboard private for members, posted by moderators (the bot's default)"
    return "shown only to whoever asks" if private else "posted for everyone"
