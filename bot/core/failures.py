"""Failures that were already logged: the adapters show their text as is and log nothing more.

An unexpected exception (a bug) is logged once, with its traceback, under a short request id where it
happens; the user gets a :class:`ReportedFailure` whose message carries the same id, so a screenshot is
enough to find the log entry. It is not an :class:`~model.errors.InputError`: the user cannot fix it.
"""

from __future__ import annotations

import secrets


def new_request_id() -> str:
    """Six hex digits: short enough to read out, long enough not to collide in a day's logs."""
    return secrets.token_hex(3)


class ReportedFailure(Exception):
    """A failure whose traceback is already logged under ``request_id``; ``str()`` is for the user."""

    def __init__(self, message: str, request_id: str) -> None:
        super().__init__(message)
        self.request_id = request_id


class ServerFault(Exception):
    """Something on the server's side failed (ffmpeg missing or hung, an unusable soundfont): nothing the
    member can fix. The job queue logs it at ERROR with its cause and the member gets an apology with a
    request id, never the operator's instructions."""


class DeadlinePassed(Exception):
    """A step stopped itself at the job's deadline (rendering, encoding): the job queue reports it like
    its own timer firing (the two race when the machine is loaded), never as a bug or the member's fault."""
