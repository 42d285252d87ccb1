"""The local console: the bot's commands at a ``jazzbot>`` prompt, backed by the same services.

``/jazz 16 bars in Bb`` (free text plus ``name=value`` options, quoted with shell rules when a value has
spaces: ``progression="| Dm7 G7 | Cmaj7 |"``) writes the clip's audio, MIDI and piano-roll PNG to the
output directory and prints their paths with a summary. ``/regenerate N``, ``/extend N``, ``/vary N``
and ``/why N`` do what the buttons under a Discord clip do. Bad input gets the friendly message, never a
traceback.

The console plays several members so a challenge, votes included, can be tried offline: ``as alice
/challenge vote 1`` runs one command as alice, ``/as alice`` switches to her until ``/as you``. A
member's id comes from their name (:func:`member_id`), so it is the same after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import shlex
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.audio.clips import Clip
from bot.console.challenges import MAX_NUMBER, handle_challenge
from bot.console.privacy import handle_privacy
from bot.core.failures import ReportedFailure, new_request_id
from bot.core.requests import FIELDS, RequestError, build_request, ignored_note, parse_request_text
from bot.core.text import plain
from bot.services.catalog import catalog, like_caption, meter_caption
from bot.services.explain import explain_clip, explanation_text
from bot.services.jazz import Remake, Requester
from bot.services.jobs import Progress
from bot.services.startup import Services
from bot.store.clips import StoredClip
from model.errors import InputError
from model.tunes import describe

log = logging.getLogger(__name__)

PROMPT = "jazzbot> "
CONSOLE_USER_ID = 0
CONSOLE_USER_NAME = "you"
_MEMBER_NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_REMAKES: dict[str, Remake] = {"/regenerate": "regenerate", "/extend": "extend", "/vary": "vary"}
HELP = """\
Commands:
  /jazz <request> [name=value ...]   compose a clip, e.g. /jazz 8 bars ballad in F at 70 bpm
        options: bars, tempo, key, style, progression, temperature, seed, instrument, continue
        e.g. /jazz blues in Bb seed=7   /jazz progression="| Dm7 G7 | Cmaj7 |" bars=8
             /jazz blues in C continue="C D Eb G | Bb:2 A G"   (the clip starts with your notes)
  /regenerate <clip>                 same settings, new seed
  /extend <clip>                     8 more bars of the same piece
  /vary <clip>                       same chords, new melody
  /why <clip>                        its chart, how it was played, figures beside real solos'
  /challenge <subcommand> ...        community challenges (/challenge help)
  /privacy [delete]                  what is stored about you; delete it
  as NAME <command>                  run one command as member NAME, e.g. as alice /challenge vote 1
  /as NAME                           be member NAME from now on (/as you: back to yourself)
  /help                              this text
  /quit                              leave (Ctrl-D works too)"""


def help_text() -> str:
    """The commands, then what the bot can play (the same catalog as Discord's /help)."""
    return "\n".join([HELP, *(f"{heading}: {text}" for heading, text in catalog())])


def member_id(name: str) -> int:
    """The console member called ``name`` (any case): a stable id from the name, never the console
    user's own (0), and far below SQLite's largest integer."""
    return 1 + int.from_bytes(hashlib.sha256(name.lower().encode()).digest()[:6], "big")


@dataclass(frozen=True)
class Reply:
    """What a command printed, whether it succeeded, and whether the console should stop."""

    text: str
    ok: bool = True
    quit: bool = False


OPTION_NAMES = {"continue": "primer"}
"""Console option names that differ from the request's field (``continue="C D Eb G"`` is Discord's)."""


def split_options(args: str) -> tuple[str | None, dict[str, str]]:
    """Free text and the ``name=value`` options of a /jazz line.

    Quotes group an option's value (``progression="| Dm7 G7 | Cmaj7 |"``). Apostrophes in words ("well
    you needn't", "rockin'") are letters, not quotes, unless the line's quotes pair up without them.
    """
    try:
        words = shlex.split(args)
    except ValueError:
        if '"' in args:
            raise RequestError('I could not read that line; check the double quotes (").') from None
        words = shlex.split(args.replace("'", "\\'"))
    text: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        name, equals, value = word.partition("=")
        name = OPTION_NAMES.get(name.lower(), name.lower())
        if equals and name in FIELDS:
            options[name] = value
        else:
            text.append(word)
    return (" ".join(text) or None), options


def _slash_hint(line: str) -> str:
    """What to say to a line without a command: the /jazz it reads as, or where to start."""
    try:
        parsed = parse_request_text(line)
    except RequestError:
        parsed = None
    if parsed is not None and parsed.values and not parsed.mostly_unknown:
        return f"Commands start with a slash, e.g. /jazz {line}"
    return "Commands start with a slash: try /jazz 16 bars in Bb, or /help for the list."


def _clip_number(command: str, args: str) -> int:
    number = args.strip().lstrip("#")
    if not number.isdigit():
        raise InputError(f"{command} needs a clip number, e.g. {command} 3.")
    if int(number) > MAX_NUMBER:
        raise InputError(f"There is no clip #{number[:24]}; clip numbers are like 3.")
    return int(number)


class Console:
    """Runs console commands on ``services``; clips go to ``out_dir``."""

    def __init__(
        self,
        services: Services,
        out_dir: Path,
        user_name: str = "you",
        progress_out: TextIO | None = None,
    ) -> None:
        self._services = services
        self._out_dir = out_dir
        self._me = self._who = Requester(CONSOLE_USER_ID, user_name)
        self._names = {CONSOLE_USER_ID: user_name}  # who is who, for challenge texts
        self._progress_out = progress_out

    async def handle(self, line: str) -> str:
        """Run one command line; returns what it printed."""
        return (await self.execute(line)).text

    @property
    def prompt(self) -> str:
        """``jazzbot> ``, or ``alice@jazzbot> `` while playing alice."""
        return PROMPT if self._who is self._me else f"{self._who.user_name}@{PROMPT}"

    def member(self, name: str) -> Requester:
        """The console member called ``name`` (``you`` and ``me``: the console user)."""
        if name.lower() in (CONSOLE_USER_NAME, "me", self._me.user_name.lower()):
            return self._me
        if not _MEMBER_NAME.fullmatch(name):
            raise InputError(
                f"“{name[:40]}” cannot be a member name: use up to 32 letters, digits, '_', '.' or '-', "
                "e.g. as alice /challenge vote 1."
            )
        who = Requester(member_id(name), name)
        self._names[who.user_id] = name
        return who

    async def execute(self, line: str) -> Reply:
        """Run one command line; bad input and bugs both come back as a reply, never as an exception."""
        command, _, args = line.strip().partition(" ")
        command = command.lower()
        try:
            if command == "as":  # as NAME <command>: one command as another member
                name, _, rest = args.strip().partition(" ")
                if not name or not rest.strip():
                    raise InputError("Say who and what, e.g. as alice /challenge vote 1.")
                who = self.member(name)
                command, _, args = rest.strip().partition(" ")
                return await self._dispatch(command.lower(), args.strip(), who)
            return await self._dispatch(command, args.strip(), self._who)
        except InputError as error:  # worded for Discord: member text in it is escaped
            return Reply(plain(str(error)), ok=False)
        except ReportedFailure as error:  # logged already
            return Reply(str(error), ok=False)
        except Exception:
            request_id = new_request_id()
            log.exception("request %s failed: console command %r", request_id, line)
            return Reply(
                f"Sorry, something went wrong (request id `{request_id}`); please try again.", ok=False
            )

    async def _dispatch(self, command: str, args: str, who: Requester) -> Reply:
        jazz = self._services.jazz
        if not command:
            return Reply("")
        if command == "/jazz":
            text, options = split_options(args)
            parsed = parse_request_text(text or "")
            request = build_request(parsed, max_bars=self._services.settings.max_bars, **options)
            made = await self._clip(lambda progress: jazz.compose(who, request, progress))
            note = ignored_note(parsed)
            return Reply(f"{made.text}\nnote: {note}") if note else made
        if command in _REMAKES:
            clip_id, kind = _clip_number(command, args), _REMAKES[command]
            return await self._clip(lambda progress: jazz.remake(kind, who, clip_id, progress))
        if command == "/why":
            clip_id = _clip_number(command, args)
            shown = await explain_clip(self._services.clips, clip_id, who.guild_id, who.user_id)
            return Reply(explanation_text(shown))
        if command == "/challenge":
            return Reply(await handle_challenge(self._services, who, args, self._names))
        if command == "/privacy":
            return Reply(await handle_privacy(self._services, who, args))
        if command == "/as":
            return self._switch(args)
        if command in ("/help", "help", "?"):
            return Reply(help_text())
        if command in ("/quit", "/exit", "quit", "exit"):
            return Reply("bye", quit=True)
        if not command.startswith("/"):
            return Reply(_slash_hint(f"{command} {args}".strip()), ok=False)
        return Reply(f"Unknown command {command}; /help lists the commands.", ok=False)

    def _switch(self, name: str) -> Reply:
        """``/as NAME``: act as that member from now on; ``/as`` alone says who you are."""
        if name:
            self._who = self.member(name)
        return Reply(f"You are {self._who.user_name} (member {self._who.user_id}).")

    async def _clip(
        self, make: Callable[[Callable[[Progress], Awaitable[None]]], Awaitable[tuple[StoredClip, Clip]]]
    ) -> Reply:
        """Make a clip and write its files: one clip in flight, done once written (see JazzService)."""
        jazz = self._services.jazz
        with jazz.flights.hold():
            started = time.perf_counter()
            stored, clip = await make(self._show_progress)
            seconds = time.perf_counter() - started
            files = {
                "audio": (clip.audio_format, clip.audio),
                "midi": ("mid", clip.midi),
                "image": ("png", clip.png),
            }
            try:
                paths = await asyncio.to_thread(self._write, stored.id, clip.filename, files)
            except OSError as error:
                await jazz.not_posted(stored.id, f"writing the files failed: {error}")
                raise
            await jazz.posted(stored.id)
        return Reply(summary(stored, clip, seconds, paths))

    async def recover(self) -> list[str]:
        """Settle what a crash of an earlier console left: write the clips it stored but never wrote,
        mark its unfinished jobs failed; returns a line to print for each."""
        services = self._services
        lines = []
        for job in await services.jobs.unposted(CONSOLE_USER_ID):
            assert job.clip_id is not None
            stored = await services.clips.get(job.clip_id, None, CONSOLE_USER_ID)
            files = {"audio": (stored.audio_format, stored.audio), "midi": ("mid", stored.midi)}
            kept = {label: file for label, file in files.items() if file[1]}
            paths = await asyncio.to_thread(self._write, stored.id, _seed_name(stored.request.seed), kept)
            await services.jazz.posted(stored.id)
            written = ", ".join(str(path) for path in paths.values())
            lines.append(f"clip #{stored.id} was made before a restart and is written now: {written}")
        for job in await services.jobs.fail_interrupted(CONSOLE_USER_ID):
            bars = f"{job.request.bars} bar{'' if job.request.bars == 1 else 's'}"
            lines.append(f"job {job.id} ({job.kind}, {bars}) was interrupted by a restart; please ask again.")
        return lines

    async def _show_progress(self, progress: Progress) -> None:
        if self._progress_out is None or progress.state == "done":
            return
        where = f" (position {progress.position})" if progress.position is not None else ""
        print(f"  {progress.state}{where}...", file=self._progress_out, flush=True)

    def _write(
        self, clip_id: int, filename: Callable[[str], str], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Path]:
        """Write ``files`` (label: (suffix, data)) as ``clip<id>-<filename(suffix)>``; their paths."""
        self._out_dir.mkdir(parents=True, exist_ok=True)
        paths = {}
        for label, (suffix, data) in files.items():
            path = self._out_dir / f"clip{clip_id}-{filename(suffix)}"
            path.write_bytes(data)
            paths[label] = path
        return paths

    async def repl(self, out: TextIO = sys.stdout) -> None:
        """Read commands until /quit or end of input (Ctrl-D)."""
        print("jazzbot console: /jazz 16 bars in Bb, /help for more, Ctrl-D to leave.", file=out)
        while True:
            line = await _read_line(self.prompt)
            if line is None:
                print(file=out)
                return
            reply = await self.execute(line)
            if reply.text:
                print(reply.text, file=out, flush=True)
            if reply.quit:
                return


def _seed_name(seed: int | None) -> Callable[[str], str]:
    """File names for a stored clip (its piece, which names a fresh clip's files, is not stored)."""
    return lambda suffix: f"jazz-seed{seed}.{suffix}"


def summary(stored: StoredClip, clip: Clip, seconds: float, paths: dict[str, Path]) -> str:
    """The lines the console prints for a finished clip."""
    piece = clip.piece
    bars = f"{piece.bars} bar{'' if piece.bars == 1 else 's'}"
    label = piece.progression or ""
    tune = f" ({describe(label)})" if label and "|" not in label else ""
    lines = [
        f"clip #{stored.id}: {bars}{meter_caption(piece.beats_per_bar)} in {piece.key.name}, "
        f"{piece.tempo} bpm, {clip.options.style}, {clip.options.lead}, seed {piece.seed}, "
        f"temperature {piece.temperature:g}, made in {seconds:.1f} s",
        f"chart{tune}: {clip.chart}",
    ]
    like = like_caption(piece.extra.get("like", ""))
    if like:
        lines.insert(1, f"played {like}")
    lines += [f"{label}: {path}" for label, path in paths.items()]
    return "\n".join(lines)


async def _read_line(prompt: str) -> str | None:
    """One line from stdin (None at end of input), read on a daemon thread so the loop keeps running
    and an interrupted prompt never holds up the exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def deliver(line: str | None) -> None:
        if not future.done():
            future.set_result(line)

    def read() -> None:
        try:
            line: str | None = input(prompt)
        except (EOFError, OSError, ValueError):
            line = None
        with contextlib.suppress(RuntimeError):  # the loop closed while we waited for the user
            loop.call_soon_threadsafe(deliver, line)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return await future
