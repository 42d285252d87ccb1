"""The bot's log output, scrubbed: no tokens, no blobs, no endless lines, at any level.

Libraries log more than we choose: at DEBUG, aiosqlite logs every statement with its parameters, which
include the interaction tokens job rows keep (a token lets anyone answer as the bot for 15 minutes) and
whole MIDI and audio files. :class:`Scrubber` sits on the handlers, so it sees every record that is
written, whichever logger made it, and rewrites its text before it is formatted:

- a database driver's statement (aiosqlite's "executing ...") keeps its SQL and loses its parameters,
  whatever they look like;
- the secrets it was given (the bot token) are replaced wherever they appear;
- anything shaped like a Discord bot token (three dot-separated base64url parts) or like an interaction
  token or other key (an unbroken run of :data:`LONG_RUN` or more base64url characters) is replaced;
- bytes literals longer than :data:`BLOB_CHARS` characters become ``<bytes, N chars>``;
- the message is cut to :data:`MAX_LINE` characters (a traceback, kept whole, is scrubbed the same way).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

LONG_RUN = 48  # base64url characters in a row: no id, word or path part is this long, tokens are
BLOB_CHARS = 64
MAX_LINE = 2000
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{20,}")
_LONG_RUN = re.compile(rf"[A-Za-z0-9_-]{{{LONG_RUN},}}")
_BLOB = re.compile(rf"""b(?:'(?:[^'\\]|\\.){{{BLOB_CHARS},}}'|"(?:[^"\\]|\\.){{{BLOB_CHARS},}}")""")
REDACTED = "<redacted>"
_MARK = "jazzbot_scrubbed"  # set on the handler configure_logging installs


def looks_secret(text: str) -> bool:
    """Whether ``text`` holds something token-shaped (see the module doc)."""
    return bool(TOKEN_SHAPE.search(text) or _LONG_RUN.search(text))


class Scrubber(logging.Filter):
    """Rewrites each record's message (and traceback text) as the module doc says; never drops one."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _BLOB.sub(lambda match: f"<bytes, {len(match.group(0))} chars>", text)
        text = TOKEN_SHAPE.sub(REDACTED, text)
        return _LONG_RUN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(arg, functools.partial) for arg in record.args):
            record.args = tuple(_without_parameters(arg) for arg in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show the template, scrubbed, rather than lose the line
            message = f"{record.msg!s} (arguments did not fit the message)"
        scrubbed = self.scrub(message)
        record.msg = scrubbed if len(scrubbed) <= MAX_LINE else scrubbed[: MAX_LINE - 1] + "…"
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


def _without_parameters(arg: object) -> object:
    """A driver's queued call (``partial(execute, sql, parameters)``) as its function and SQL only."""
    if not isinstance(arg, functools.partial):
        return arg
    name = getattr(arg.func, "__qualname__", type(arg.func).__name__)
    sql = next((" ".join(part.split()) for part in arg.args if isinstance(part, str)), "")
    hidden = len(arg.args) - (1 if sql else 0) + len(arg.keywords)
    return f"{name}({sql!r}{f', <{hidden} arguments hidden>' if hidden else ''})"


def configure_logging(
    level: str, secrets: Iterable[str | None] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Log to ``stream`` (stderr) at ``level`` through a :class:`Scrubber`; returns the handler. A second
    call replaces the handler the first one installed (``main`` may run more than once in a process)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(Scrubber(secrets))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
