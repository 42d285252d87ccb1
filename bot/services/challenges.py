"""The challenge rules both adapters (Discord and the console) use.

Adapters turn a command into one call here and show the result or the :class:`~model.errors.InputError`
it raises; every refusal happens before anything is written. What the adapters must supply themselves:
whether the member may moderate (Manage Server or the configured role: ``is_moderator``) and, for the
optional account-age guard, when the member's account (or membership) started (``member_since``).

The console has no guild: it plays guild :data:`CONSOLE_GUILD`, whose clips are the ones stored without
a guild.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit, urlunsplit

from bot.core.failures import ReportedFailure
from bot.core.text import literal, shorten, visible
from bot.services.guild_settings import GuildSettingsService
from bot.services.uploads import MidiScanner
from bot.store.challenges import (
    DEFAULT_MAX_VOTES,
    RUNNING_PHASES,
    Challenge,
    ChallengeRefused,
    ChallengeStore,
    Entry,
    EntryKind,
    RemovedEntry,
    Standing,
    SubmissionRefused,
    VoteReceipt,
    VoteRefusal,
    VoteRefused,
)
from bot.store.privacy import is_former_member
from model.errors import InputError
from model.midi import MAX_MIDI_BYTES

if TYPE_CHECKING:  # the clip store pulls in rendering; the rules only call its methods
    from bot.store.clips import ClipStore, StoredClip

log = logging.getLogger(__name__)

CONSOLE_GUILD = 0
MAX_TITLE, MAX_PROMPT, MAX_NOTE, MAX_REASON = 100, 2000, 1000, 500
MAX_VOTES_LIMIT = 25
MAX_AUDIO_BYTES = 8 * 1024 * 1024  # the schema's cap on a stored file
MAX_LINK_LENGTH = 500
MAX_FILENAME = 100
LONGEST_CHALLENGE = timedelta(days=365)
SHORTEST_PHASE = timedelta(minutes=1)
TIES_NAMED = 5  # a tie note names this many entries, then counts the rest
SUBMITS_PER_WINDOW, SUBMIT_WINDOW = 3, 60.0  # a member's submissions per window of seconds
FORGET_SUBMITTERS_AFTER = 10_000  # past this many remembered members, those outside the window go
MIDI_SUFFIXES = (".mid", ".midi")
AUDIO_SUFFIXES = (".ogg", ".opus", ".mp3", ".wav", ".flac", ".m4a")


class ChallengeSettings(Protocol):
    """The settings the rules read (``bot.services.settings.Settings`` has them)."""

    @property
    def moderator_role(self) -> str | None: ...

    @property
    def min_account_age_days(self) -> int: ...


class NotAllowed(InputError):
    """A moderator-only command from someone who is not one."""


# --- deadlines ----------------------------------------------------------------------------------------

_DURATION_PART = re.compile(
    r"(\d{1,6})\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m)(?![a-z])", re.IGNORECASE
)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}


def parse_duration(text: str) -> timedelta | None:
    """``3d``, ``36h``, ``90m``, ``1w``, ``1d 12h``, ``2 days``; None when ``text`` is not a duration."""
    compact = text.strip()
    parts = list(_DURATION_PART.finditer(compact))
    if not parts or _DURATION_PART.sub("", compact).strip(" ,") != "":
        return None
    seconds = sum(
        int(number) * _UNIT_SECONDS[unit[0].lower()] for number, unit in (p.groups() for p in parts)
    )
    return timedelta(seconds=seconds)


def parse_deadline(text: str, now: datetime, after: datetime | None = None) -> datetime:
    """A deadline from a duration (counted from ``after``, default ``now``) or an ISO date/time.

    Dates and times without a zone are UTC; a bare date means midnight UTC at its start. Refuses
    deadlines not ahead of ``after``/``now`` and anything more than a year from ``now``.
    """
    base = after or now
    duration = parse_duration(text)
    if duration is not None:
        if duration > LONGEST_CHALLENGE:
            raise InputError("Deadlines can be at most a year away.")
        moment = base + duration
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise InputError(
                f"“{text[:40]}” is not a deadline: use a duration like `3d`, `36h` or `90m`, "
                "or a UTC date like `2026-12-01` or `2026-12-01T18:00`."
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    if moment < now:
        raise InputError(f"The deadline {moment:%Y-%m-%d %H:%M} UTC is in the past.")
    if moment < base + SHORTEST_PHASE:
        raise InputError("Each phase must last at least a minute.")
    if moment > now + LONGEST_CHALLENGE:
        raise InputError("Deadlines can be at most a year away.")
    return moment


# --- text from members --------------------------------------------------------------------------------

_MASS_MENTION = re.compile(r"@\s*(everyone|here)\b|<@&\d+>", re.IGNORECASE)


def clean_text(
    text: str, what: str, limit: int, *, multiline: bool = False, required: bool = True, typed: bool = True
) -> str:
    """Member-written text as stored: control and format characters dropped, whitespace tidied, at most
    ``limit`` characters. Text the member ``typed`` may not mention @everyone, @here or roles (refused:
    it would read as a ping in the bot's voice even though nothing pings); text derived from something
    else (a file name, a link's host) is never refused for that. Posts show the text through
    :func:`bot.core.text.literal`, which escapes markdown and mentions."""
    kept = visible(text, multiline=multiline)
    cleaned = kept.strip() if multiline else " ".join(kept.split())
    if typed and _MASS_MENTION.search(cleaned):
        raise InputError(f"The {what} cannot mention @everyone, @here or roles; write it without the @.")
    if required and not cleaned:
        raise InputError(f"The {what} is empty; write a few words.")
    if len(cleaned) > limit:
        if not typed:
            return shorten(cleaned, limit)
        raise InputError(f"The {what} is {len(cleaned)} characters long; at most {limit} fit.")
    return cleaned


_UNSAFE_IN_LINK = re.compile(r"[<>\"'`|*\\\[\]()^{}]|[^\x21-\x7e]")


def check_link(url: str) -> str:
    """An http(s) link with a host and no credentials; anything else (``javascript:``, ``data:``,
    ``file:``, spaces, ``user@host`` tricks) is refused."""
    text = url.strip()
    if len(text) > MAX_LINK_LENGTH:
        raise InputError(f"That link is {len(text)} characters long; links up to {MAX_LINK_LENGTH} work.")
    if any(ch.isspace() or not visible(ch).strip() for ch in text):
        raise InputError("Links cannot contain spaces or control characters.")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError("Only http:// and https:// links can be submitted (for example a GitHub link).")
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise InputError("That link's port is not a number.") from None
    if not parts.hostname or "@" in parts.netloc:
        raise InputError("That link has no host name (or hides one behind `name@`); paste the full address.")
    if _UNSAFE_IN_LINK.search(parts.netloc):
        raise InputError(
            "That link's host name has characters a host name cannot have; paste the full address."
        )
    # Characters that could close the link's <...> in a post or start markdown are percent-encoded
    # (servers read %XX as the character; what the link points at is unchanged).
    path, query, fragment = (
        _UNSAFE_IN_LINK.sub(_percent, part) for part in (parts.path, parts.query, parts.fragment)
    )
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, query, fragment))


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode())


def _clean_filename(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "entry"
    stem, dot, suffix = safe.rpartition(".")
    return safe if len(safe) <= MAX_FILENAME else f"{stem[: MAX_FILENAME - len(suffix) - 1]}{dot}{suffix}"


def _file_title(filename: str) -> str:
    """A title for an entry submitted without one: the file's name without its folder and suffix."""
    return PurePath(filename.replace("\\", "/")).stem


def _looks_like_audio(suffix: str, data: bytes) -> bool:
    if suffix in (".ogg", ".opus"):
        return data.startswith(b"OggS")
    if suffix == ".mp3":
        return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    if suffix == ".wav":
        return data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    if suffix == ".flac":
        return data.startswith(b"fLaC")
    return data[4:8] == b"ftyp"  # .m4a


def file_kind(filename: str, size: int) -> EntryKind:
    """``midi`` or ``audio`` by the file name, refusing other types and oversized files up front (so
    adapters can refuse a 50 MB upload without downloading it)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in MIDI_SUFFIXES:
        kind: EntryKind = "midi"
        limit = MAX_MIDI_BYTES
    elif suffix in AUDIO_SUFFIXES:
        kind, limit = "audio", MAX_AUDIO_BYTES
    else:
        raise InputError(
            f"“{filename[:60]}” is not a file challenges take: send MIDI ({', '.join(MIDI_SUFFIXES)}) "
            f"or audio ({', '.join(AUDIO_SUFFIXES)})."
        )
    if size > limit:
        raise InputError(
            f"That file is {size / 2**20:.1f} MiB; {kind.upper()} entries up to {limit / 2**20:.1f} MiB."
        )
    if size == 0:
        raise InputError("That file is empty.")
    return kind


# --- what the service hands back ----------------------------------------------------------------------


@dataclass(frozen=True)
class Leaderboard:
    challenge: Challenge
    standings: list[Standing]  # empty while hidden
    hidden: bool  # the challenge hides counts until it closes


@dataclass(frozen=True)
class Tie:
    """Entries that tied for a place: the first :data:`TIES_NAMED` titles, how many more, their votes."""

    titles: tuple[str, ...]
    others: int
    votes: int


@dataclass(frozen=True)
class Results:
    """How a challenge ended: winner and runner-up (entries with at least one vote), and how ties went."""

    challenge: Challenge
    winner: Entry | None
    runner_up: Entry | None
    entries: int
    votes: int
    ties: tuple[Tie, ...]


@dataclass(frozen=True)
class EntryMedia:
    """What Play sends: a stored file (name + bytes) or, for a link entry, the link."""

    filename: str | None
    data: bytes | None
    link: str | None


@dataclass(frozen=True)
class ProfileEntry:
    challenge: Challenge
    entry: Entry
    place: int | None  # 1 or 2 in a closed challenge
    votes_shown: bool  # False while the challenge hides its counts


@dataclass(frozen=True)
class Profile:
    user_id: int
    entries: list[ProfileEntry]
    wins: int
    runner_ups: int
    clips: list[StoredClip]
    removed: list[RemovedEntry]


def _ties(ranked: list[Entry], placed: list[Entry]) -> tuple[Tie, ...]:
    ties = []
    for place, entry in enumerate(placed):
        tied = [other for other in ranked if other.votes == entry.votes]
        if len(tied) > 1 and (place == 0 or entry.votes != placed[0].votes):
            titles = tuple(other.title for other in tied[:TIES_NAMED])
            ties.append(Tie(titles, max(0, len(tied) - TIES_NAMED), entry.votes))
    return tuple(ties)


class ChallengeService:
    """The challenge rules over a :class:`ChallengeStore` (and the clip store, for clip entries)."""

    def __init__(
        self,
        store: ChallengeStore,
        clips: ClipStore,
        settings: ChallengeSettings,
        clock: Callable[[], float] = time.time,
        guild_settings: GuildSettingsService | None = None,
        audio_of: Callable[[StoredClip], Awaitable[bytes]] | None = None,
    ) -> None:
        """``audio_of`` gives a clip entry's audio when the store no longer holds it (retention); without
        it, such an entry plays as its MIDI."""
        self.store = store
        self._clips = clips
        self._audio_of = audio_of
        self._settings = settings
        self._clock = clock
        self._scanner = MidiScanner()
        self._submits: dict[tuple[int, int], list[float]] = {}  # (guild, member) -> recent submit times
        self._guild_settings = guild_settings

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def _require_moderator(self, guild_id: int, is_moderator: bool, action: str) -> None:
        if not is_moderator:
            role = self._settings.moderator_role
            if self._guild_settings is not None:
                role = (await self._guild_settings.for_guild(guild_id)).moderator_role
            extra = f" or the {role} role" if role else ""
            raise NotAllowed(f"Only members with Manage Server{extra} can {action}.")

    # --- finding challenges ---------------------------------------------------------------------------

    async def open_challenge(self, guild_id: int) -> Challenge | None:
        """The guild's challenge accepting submissions right now, if any."""
        running = await self.store.running_challenge(guild_id)
        return running if running is not None and running.phase == "submissions" else None

    async def running(self, guild_id: int) -> Challenge | None:
        return await self.store.running_challenge(guild_id)

    async def challenge(self, guild_id: int, challenge_id: int | None = None) -> Challenge:
        """Challenge ``challenge_id``, or else the running one, or else the latest."""
        if challenge_id is not None:
            return await self.store.get_challenge(guild_id, challenge_id)
        found = await self.store.running_challenge(guild_id) or await self.store.latest_challenge(guild_id)
        if found is None:
            raise InputError(
                "No challenge has run in this server yet; a moderator can `/challenge start` one."
            )
        return found

    async def _running_or_refuse(self, guild_id: int) -> Challenge:
        found = await self.store.running_challenge(guild_id)
        if found is None:
            raise ChallengeRefused("No challenge is running in this server right now.")
        return found

    # --- moderators -----------------------------------------------------------------------------------

    async def start(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        *,
        is_moderator: bool,
        title: str,
        prompt: str,
        submit_by: str,
        vote_by: str,
        max_votes: int = DEFAULT_MAX_VOTES,
        hide_leaderboard: bool = False,
    ) -> Challenge:
        """Open a challenge; ``vote_by`` as a duration counts from the submission deadline."""
        await self._require_moderator(guild_id, is_moderator, "start challenges")
        clean_title = clean_text(title, "title", MAX_TITLE)
        clean_prompt = clean_text(prompt, "prompt", MAX_PROMPT, multiline=True)
        if not 1 <= max_votes <= MAX_VOTES_LIMIT:
            raise InputError(f"Votes per member must be between 1 and {MAX_VOTES_LIMIT}.")
        now = self._now()
        submission_deadline = parse_deadline(submit_by, now)
        voting_deadline = parse_deadline(vote_by, now, after=submission_deadline)
        return await self.store.create_challenge(
            guild_id, channel_id, user_id, clean_title, clean_prompt, submission_deadline, voting_deadline,
            max_votes=max_votes, hide_leaderboard=hide_leaderboard,
        )  # fmt: skip

    async def close(self, guild_id: int, *, is_moderator: bool) -> Challenge:
        """End the running challenge now; the deadline task posts its results."""
        await self._require_moderator(guild_id, is_moderator, "close challenges")
        running = await self._running_or_refuse(guild_id)
        return await self.store.end_challenge(guild_id, running.id, "closed")

    async def cancel(self, guild_id: int, *, is_moderator: bool, reason: str) -> Challenge:
        """Call the running challenge off without results; the reason is shown to everyone who entered."""
        await self._require_moderator(guild_id, is_moderator, "cancel challenges")
        clean_reason = clean_text(reason, "reason", MAX_REASON)
        running = await self._running_or_refuse(guild_id)
        return await self.store.end_challenge(guild_id, running.id, "cancelled", clean_reason)

    async def remove_entry(
        self, guild_id: int, user_id: int, entry_id: int, *, is_moderator: bool, reason: str
    ) -> RemovedEntry:
        await self._require_moderator(guild_id, is_moderator, "remove entries")
        clean_reason = clean_text(reason, "reason", MAX_REASON)
        return await self.store.remove_entry(guild_id, entry_id, user_id, clean_reason)

    # --- submissions ----------------------------------------------------------------------------------

    async def _submission_target(self, guild_id: int) -> Challenge:
        found = await self.open_challenge(guild_id)
        if found is None:
            running = await self.store.running_challenge(guild_id)
            if running is not None:
                raise SubmissionRefused(
                    f"Submissions for “{literal(running.title)}” are closed; voting is on."
                )
            raise SubmissionRefused("No challenge is taking submissions in this server right now.")
        return found

    def _check_rate(self, guild_id: int, user_id: int) -> None:
        """Refuse a member's submission past :data:`SUBMITS_PER_WINDOW` in :data:`SUBMIT_WINDOW` seconds."""
        now = self._clock()
        recent = [
            moment for moment in self._submits.get((guild_id, user_id), []) if now - moment < SUBMIT_WINDOW
        ]
        self._submits[(guild_id, user_id)] = recent
        if len(recent) >= SUBMITS_PER_WINDOW:
            wait = math.ceil(recent[0] + SUBMIT_WINDOW - now)
            raise SubmissionRefused(f"Slow down: you can submit again in {max(1, wait)} s.")

    async def check_submission(self, guild_id: int, user_id: int) -> Challenge:
        """What adapters ask before downloading an upload: a challenge is open here and the member is
        within the submit rate limit (the cheap checks; nothing is recorded)."""
        challenge = await self._submission_target(guild_id)
        self._check_rate(guild_id, user_id)
        return challenge

    async def _admit(self, guild_id: int, user_id: int) -> Challenge:
        """:meth:`check_submission`, then count this submission against the member's rate limit."""
        challenge = await self.check_submission(guild_id, user_id)
        self._submits.setdefault((guild_id, user_id), []).append(self._clock())
        if len(self._submits) > FORGET_SUBMITTERS_AFTER:
            now = self._clock()
            self._submits = {
                key: times for key, times in self._submits.items() if now - times[-1] < SUBMIT_WINDOW
            }
        return challenge

    async def submit_file(
        self,
        guild_id: int,
        user_id: int,
        filename: str,
        data: bytes,
        title: str | None = None,
        note: str = "",
    ) -> Entry:
        """A MIDI or audio file. The cheap checks come first (size and type by name, an open challenge,
        the rate limit); then a MIDI file is scanned (bounded, one at a time, off the event loop: see
        :mod:`bot.services.uploads`) and an audio file's first bytes are checked, so a renamed file is
        refused."""
        kind = file_kind(filename, len(data))
        clean_title = clean_text(title or _file_title(filename), "title", MAX_TITLE, typed=bool(title))
        clean_note = clean_text(note, "note", MAX_NOTE, multiline=True, required=False)
        challenge = await self._admit(guild_id, user_id)
        suffix = PurePath(filename).suffix.lower()
        if kind == "midi":
            await self._scanner.check(data)
        elif not _looks_like_audio(suffix, data):
            raise InputError(f"That file does not look like {suffix[1:].upper()} audio; export it again.")
        return await self.store.submit_entry(
            guild_id,
            challenge.id,
            user_id,
            clean_title,
            kind,
            payload=data,
            filename=_clean_filename(filename),
            note=clean_note,
        )

    async def submit_clip(
        self, guild_id: int, user_id: int, clip_id: int, title: str | None = None, note: str = ""
    ) -> Entry:
        """One of the member's own jazzbot clips made in this server."""
        clip = await self._clips.get(clip_id, None if guild_id == CONSOLE_GUILD else guild_id, user_id)
        if clip.user_id != user_id:
            raise SubmissionRefused(f"Clip #{clip_id} was made by someone else; submit one of your own.")
        default_title = f"Clip #{clip.id}: {clip.request.summary()}"
        clean_title = clean_text(title or default_title, "title", MAX_TITLE, typed=bool(title))
        clean_note = clean_text(note, "note", MAX_NOTE, multiline=True, required=False)
        challenge = await self._admit(guild_id, user_id)
        return await self.store.submit_entry(
            guild_id, challenge.id, user_id, clean_title, "clip", reference=str(clip.id), note=clean_note
        )

    async def submit_link(
        self, guild_id: int, user_id: int, url: str, title: str | None = None, note: str = ""
    ) -> Entry:
        """A link to code or a page (http/https only)."""
        link = check_link(url)
        clean_title = clean_text(
            title or urlsplit(link).hostname or link, "title", MAX_TITLE, typed=bool(title)
        )
        clean_note = clean_text(note, "note", MAX_NOTE, multiline=True, required=False)
        challenge = await self._admit(guild_id, user_id)
        return await self.store.submit_entry(
            guild_id, challenge.id, user_id, clean_title, "link", reference=link, note=clean_note
        )

    async def own_clips(self, guild_id: int, user_id: int, limit: int = 25) -> list[StoredClip]:
        """The member's clips that can be submitted here (for autocomplete)."""
        return await self._clips.by_user(None if guild_id == CONSOLE_GUILD else guild_id, user_id, limit)

    # --- entries and votes ----------------------------------------------------------------------------

    async def entries(self, guild_id: int, challenge_id: int | None = None) -> tuple[Challenge, list[Entry]]:
        challenge = await self.challenge(guild_id, challenge_id)
        return challenge, await self.store.entries(guild_id, challenge.id)

    async def entry(self, guild_id: int, entry_id: int) -> Entry:
        return await self.store.get_entry(guild_id, entry_id)

    async def entry_clip(self, entry: Entry) -> StoredClip:
        """The jazzbot clip a ``clip`` entry holds: its author's, made where the challenge runs."""
        if entry.kind != "clip" or entry.reference is None:
            raise InputError(f"Entry #{entry.id} is not a jazzbot clip.")
        guild = None if entry.guild_id == CONSOLE_GUILD else entry.guild_id
        return await self._clips.get(int(entry.reference), guild, entry.author_id)

    async def entry_media(self, guild_id: int, entry_id: int) -> EntryMedia:
        entry = await self.store.get_entry(guild_id, entry_id)
        if is_former_member(entry.author_id):
            raise InputError(f"Entry #{entry.id} was withdrawn by its author; its title and votes remain.")
        if entry.kind == "link":
            return EntryMedia(None, None, entry.reference)
        if entry.kind == "clip":
            clip = await self.entry_clip(entry)
            audio = await self._clip_audio(clip)
            if audio:
                return EntryMedia(f"entry-{entry.id}-clip-{clip.id}.{clip.audio_format}", audio, None)
            return EntryMedia(f"entry-{entry.id}-clip-{clip.id}.mid", clip.midi, None)
        return EntryMedia(entry.filename, await self.store.entry_payload(guild_id, entry_id), None)

    async def _clip_audio(self, clip: StoredClip) -> bytes:
        """The clip's audio, rendered again if it is no longer stored; empty if that cannot be done now
        (the queue is full, or rendering failed: logged), so the entry plays as MIDI instead."""
        if clip.audio or self._audio_of is None:
            return clip.audio
        try:
            return await self._audio_of(clip)
        except (InputError, ReportedFailure) as error:
            log.info("clip #%d: its audio was not rendered again (%s); sending its MIDI", clip.id, error)
            return b""

    async def vote(
        self, guild_id: int, user_id: int, entry_id: int, member_since: float | None = None
    ) -> VoteReceipt:
        """One vote; ``member_since`` (Unix seconds: the later of account creation and joining the
        server) feeds the minimum-age guard when it is switched on."""
        days = self._settings.min_account_age_days
        if days and member_since is not None and self._clock() - member_since < days * 86400:
            age = max(0.0, (self._clock() - member_since) / 86400)
            raise VoteRefused(VoteRefusal.TOO_NEW, f"Votes count from {days} days on; yours is {age:.0f}.")
        return await self.store.vote(guild_id, entry_id, user_id)

    async def unvote(self, guild_id: int, user_id: int, entry_id: int) -> VoteReceipt:
        return await self.store.unvote(guild_id, entry_id, user_id)

    async def leaderboard(self, guild_id: int, challenge_id: int | None = None) -> Leaderboard:
        challenge = await self.challenge(guild_id, challenge_id)
        if challenge.hide_leaderboard and challenge.phase in RUNNING_PHASES:
            return Leaderboard(challenge, [], hidden=True)
        return Leaderboard(challenge, await self.store.leaderboard(guild_id, challenge.id), hidden=False)

    # --- results, history, profiles -------------------------------------------------------------------

    async def results(self, challenge: Challenge) -> Results:
        """Winner and runner-up of a challenge (as it stands: final once it is closed)."""
        ranked = sorted(
            await self.store.entries(challenge.guild_id, challenge.id),
            key=lambda e: (-e.votes, e.submitted_at, e.id),
        )
        placed = [entry for entry in ranked[:2] if entry.votes > 0]
        return Results(
            challenge=challenge,
            winner=placed[0] if placed else None,
            runner_up=placed[1] if len(placed) > 1 else None,
            entries=len(ranked),
            votes=sum(entry.votes for entry in ranked),
            ties=_ties(ranked, placed),
        )

    async def history(self, guild_id: int, limit: int = 10) -> list[Results]:
        """Ended challenges, newest first, with their winners."""
        ended = [c for c in await self.store.challenges(guild_id, limit + 1) if c.phase not in RUNNING_PHASES]
        return [await self.results(challenge) for challenge in ended[:limit]]

    async def profile(self, guild_id: int, user_id: int) -> Profile:
        entries: list[ProfileEntry] = []
        for entry in await self.store.entries_by_author(guild_id, user_id):
            challenge = await self.store.get_challenge(guild_id, entry.challenge_id)
            place = None
            if challenge.phase == "closed":
                results = await self.results(challenge)
                winners = [r.id for r in (results.winner, results.runner_up) if r is not None]
                place = winners.index(entry.id) + 1 if entry.id in winners else None
            shown = not (challenge.hide_leaderboard and challenge.phase in RUNNING_PHASES)
            entries.append(ProfileEntry(challenge, entry, place, shown))
        return Profile(
            user_id=user_id,
            entries=entries,
            wins=sum(e.place == 1 for e in entries),
            runner_ups=sum(e.place == 2 for e in entries),
            clips=await self.own_clips(guild_id, user_id, limit=5),
            removed=await self.store.removed_entries(guild_id, user_id),
        )
