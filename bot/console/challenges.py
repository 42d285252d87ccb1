"""``/challenge ...`` in the local console: the same rules as on Discord, as text.

The console is one operator on their own machine, so they count as a moderator, play guild
:data:`~bot.services.challenges.CONSOLE_GUILD` and see announcements (voting open, results) in the reply to
whichever command they type after a deadline passed — once, like the Discord post.

Arguments are words and ``key=value`` pairs, quoted like a shell: ``/challenge start title="Wizard of
the week" prompt="Any genre" submit=3d vote=2d``.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.limits import MAX_INTEGER
from bot.core.text import literal, plain
from bot.services.challenge_scheduler import ChallengeScheduler
from bot.services.challenge_text import (
    TextStyle,
    challenge_text,
    entries_text,
    history_text,
    leaderboard_text,
    profile_text,
    removed_text,
    results_text,
    vote_text,
    voting_opened_text,
)
from bot.services.challenges import CONSOLE_GUILD, ChallengeService, Results, file_kind
from bot.services.explain import entry_figures
from bot.services.privacy import member_name
from bot.services.startup import Services
from bot.store.challenges import Challenge
from model.errors import InputError

if TYPE_CHECKING:
    from bot.services.jazz import Requester

MAX_NUMBER = MAX_INTEGER  # no id is larger (and SQLite could not look up one past 2^63 - 1)

HELP = """/challenge commands:
  start title=".." prompt=".." submit=3d vote=2d [votes=3] [hidden=yes]   (dates like 2026-12-01 work too)
  submit file=PATH | clip=ID | link=URL [title=".."] [note=".."]
  entries | leaderboard | info [challenge]    history | profile [member]
  play ENTRY (saves the entry's file) | vote ENTRY | unvote ENTRY
  close | cancel REASON | remove-entry ENTRY REASON    (or reason="..")
"""


@dataclass
class _Collected:
    """An announcer that keeps the posts for the reply."""

    style: TextStyle
    service: ChallengeService
    posts: list[str] = field(default_factory=list)

    async def voting_opened(self, challenge: Challenge) -> None:
        _, entries = await self.service.entries(challenge.guild_id, challenge.id)
        self.posts.append(voting_opened_text(challenge, len(entries), self.style))

    async def results(self, results: Results) -> None:
        self.posts.append(results_text(results, self.style))


def _style(who: Requester, names: Mapping[int, str]) -> TextStyle:
    """Names as the console knows them: the asker's, those of members played this session (``names``),
    else "member N"."""

    def name(user_id: int) -> str:
        return who.user_name if user_id == who.user_id else names.get(user_id, f"member {user_id}")

    return TextStyle(
        member=lambda user_id: member_name(user_id, name),
        moment=lambda epoch: f"{datetime.fromtimestamp(epoch, UTC):%Y-%m-%d %H:%M} UTC",
    )


def _split(args: str, allowed: set[str]) -> tuple[list[str], dict[str, str]]:
    try:
        words = shlex.split(args)
    except ValueError as error:
        raise InputError(f"Could not read that: {error} (close your quotes).") from None
    positional, options = [], {}
    for word in words:
        key, equals, value = word.partition("=")
        if not equals:
            positional.append(word)
        elif key.lower() in allowed:
            options[key.lower()] = value
        else:
            raise InputError(
                f"Unknown option {key!r}; this command takes {', '.join(sorted(allowed)) or 'none'}."
            )
    return positional, options


def _number(text: str, what: str) -> int:
    try:
        number = int(text.lstrip("#"))
    except ValueError:
        raise InputError(f"The {what} should be a number like 12, not {text[:40]!r}.") from None
    if abs(number) > MAX_NUMBER:
        raise InputError(f"The {what} {text[:40]} is far too large; numbers here are like 12.")
    return number


def _one_number(positional: list[str], what: str, command: str) -> int:
    if len(positional) != 1:
        raise InputError(f"Give the {what} number, e.g. `/challenge {command} 12`.")
    return _number(positional[0], f"{what} number")


def _optional_number(positional: list[str], what: str) -> int | None:
    if len(positional) > 1:
        raise InputError(f"Give at most one {what} number.")
    return _number(positional[0], f"{what} number") if positional else None


def _reason(words: list[str], options: dict[str, str], example: str) -> str:
    """The reason, given as ``reason=".."`` or as the remaining words."""
    reason = options.get("reason") or " ".join(words)
    if not reason.strip():
        raise InputError(f"Give a reason, e.g. `{example}`.")
    return reason


def _yes(text: str) -> bool:
    return text.lower() in ("yes", "y", "true", "1", "on")


async def _submit(service: ChallengeService, who: Requester, options: dict[str, str]) -> str:
    guild = CONSOLE_GUILD
    sources = [key for key in ("file", "clip", "link") if key in options]
    if len(sources) != 1:
        raise InputError("Submit exactly one of file=PATH, clip=ID or link=URL.")
    title, note = options.get("title"), options.get("note", "")
    if "file" in options:
        path = Path(options["file"]).expanduser()
        if not path.is_file():
            raise InputError(f"There is no file at {path}.")
        file_kind(path.name, path.stat().st_size)  # refuse a huge file before reading it
        data = await asyncio.to_thread(path.read_bytes)
        entry = await service.submit_file(guild, who.user_id, path.name, data, title, note)
    elif "clip" in options:
        clip_id = _number(options["clip"], "clip number")
        entry = await service.submit_clip(guild, who.user_id, clip_id, title, note)
    else:
        entry = await service.submit_link(guild, who.user_id, options["link"], title, note)
    title = literal(entry.title)
    return f"Entry #{entry.id} “{title}” is in. Submitting again replaces it while submissions are open."


async def _play(service: ChallengeService, entry_id: int, out_dir: Path) -> str:
    media = await service.entry_media(CONSOLE_GUILD, entry_id)
    if media.link is not None:
        return f"Entry #{entry_id} is a link: {media.link}"
    assert media.filename is not None and media.data is not None
    path = out_dir / f"challenge-entry-{entry_id}-{media.filename}"
    await asyncio.to_thread(_save, path, media.data)
    return f"Saved entry #{entry_id} to {path}"


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@dataclass(frozen=True)
class _Call:
    """One ``/challenge`` command being run: who asked, the words after the command's name, where
    files go and how names and dates are written."""

    service: ChallengeService
    who: Requester
    rest: str
    out_dir: Path
    style: TextStyle

    def words(self, *allowed: str) -> tuple[list[str], dict[str, str]]:
        """The positional words and the ``key=value`` options, refusing an option not in ``allowed``."""
        return _split(self.rest, set(allowed))


async def _start(call: _Call) -> str:
    _, options = call.words("title", "prompt", "submit", "vote", "votes", "hidden")
    missing = [key for key in ("title", "prompt", "submit", "vote") if key not in options]
    if missing:
        raise InputError(f"`/challenge start` needs {', '.join(missing)}; see `/challenge help`.")
    challenge = await call.service.start(
        CONSOLE_GUILD, 0, call.who.user_id, is_moderator=True, title=options["title"],
        prompt=options["prompt"], submit_by=options["submit"], vote_by=options["vote"],
        max_votes=_number(options.get("votes", "3"), "number of votes"),
        hide_leaderboard=_yes(options.get("hidden", "no")),
    )  # fmt: skip
    return challenge_text(challenge, call.style)


async def _submit_entry(call: _Call) -> str:
    return await _submit(call.service, call.who, call.words("file", "clip", "link", "title", "note")[1])


async def _entries(call: _Call) -> str:
    challenge_id = _optional_number(call.words()[0], "challenge")
    challenge, entries = await call.service.entries(CONSOLE_GUILD, challenge_id)
    return entries_text(challenge, entries, call.style, await entry_figures(call.service, entries))


async def _leaderboard(call: _Call) -> str:
    challenge_id = _optional_number(call.words()[0], "challenge")
    return leaderboard_text(await call.service.leaderboard(CONSOLE_GUILD, challenge_id), call.style)


async def _info(call: _Call) -> str:
    challenge_id = _optional_number(call.words()[0], "challenge")
    return challenge_text(await call.service.challenge(CONSOLE_GUILD, challenge_id), call.style)


async def _history(call: _Call) -> str:
    call.words()  # no options
    return history_text(await call.service.history(CONSOLE_GUILD), call.style)


async def _profile(call: _Call) -> str:
    member = _optional_number(call.words()[0], "member")
    user_id = call.who.user_id if member is None else member
    return profile_text(await call.service.profile(CONSOLE_GUILD, user_id), call.style)


async def _play_entry(call: _Call) -> str:
    return await _play(call.service, _one_number(call.words()[0], "entry", "play"), call.out_dir)


async def _vote(call: _Call) -> str:
    entry_id = _one_number(call.words()[0], "entry", "vote")
    return vote_text(await call.service.vote(CONSOLE_GUILD, call.who.user_id, entry_id))


async def _unvote(call: _Call) -> str:
    entry_id = _one_number(call.words()[0], "entry", "unvote")
    return vote_text(await call.service.unvote(CONSOLE_GUILD, call.who.user_id, entry_id), taken_back=True)


async def _close(call: _Call) -> str:
    call.words()  # no options
    closed = await call.service.close(CONSOLE_GUILD, is_moderator=True)
    return f"Closed **{literal(closed.title)}**."


async def _cancel(call: _Call) -> str:
    positional, options = call.words("reason")
    reason = _reason(positional, options, "/challenge cancel not enough entries")
    cancelled = await call.service.cancel(CONSOLE_GUILD, is_moderator=True, reason=reason)
    return results_text(await call.service.results(cancelled), call.style)


async def _remove_entry(call: _Call) -> str:
    positional, options = call.words("reason")
    entry_id = _one_number(positional[:1], "entry", "remove-entry")
    reason = _reason(positional[1:], options, "/challenge remove-entry 3 off topic")
    removed = await call.service.remove_entry(
        CONSOLE_GUILD, call.who.user_id, entry_id, is_moderator=True, reason=reason
    )
    return f"Removed entry #{entry_id}. The author is told: {removed_text(removed)}"


COMMANDS: dict[str, Callable[[_Call], Awaitable[str]]] = {
    "start": _start,
    "submit": _submit_entry,
    "entries": _entries,
    "leaderboard": _leaderboard,
    "info": _info,
    "history": _history,
    "profile": _profile,
    "play": _play_entry,
    "vote": _vote,
    "unvote": _unvote,
    "close": _close,
    "cancel": _cancel,
    "remove-entry": _remove_entry,
}
"""Each ``/challenge`` command's name and what runs it (``help`` and no command show :data:`HELP`)."""


async def _run(service: ChallengeService, who: Requester, words: str, out_dir: Path, style: TextStyle) -> str:
    command, _, rest = words.strip().partition(" ")
    command = command.lower()
    if command in ("", "help"):
        return HELP
    run = COMMANDS.get(command)
    if run is None:
        raise InputError(f"There is no `/challenge {command}`.\n{HELP}")
    return await run(_Call(service, who, rest, out_dir, style))


async def handle_challenge(
    services: Services, who: Requester, args: str, names: Mapping[int, str] | None = None
) -> str:
    """The console's reply to ``/challenge <args>``: announcements that fell due, then the command's
    answer. A refusal raises :class:`InputError` (carrying any announcements made before it).
    ``names`` are the console members' names by id."""
    service = services.challenges
    style = _style(who, names or {})
    announcer = _Collected(style, service)
    scheduler = ChallengeScheduler(service, announcer)
    await scheduler.run_due()
    try:
        reply = await _run(service, who, args, services.settings.out_dir, style)
    except InputError as refused:
        raise InputError(plain("\n\n".join([*announcer.posts, str(refused)]))) from None
    before = len(announcer.posts)
    await scheduler.run_due()  # a close posts its results right away
    return plain("\n\n".join([*announcer.posts[:before], reply, *announcer.posts[before:]]))
