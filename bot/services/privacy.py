"""``/privacy`` as text, for both adapters: what the bot stores about a member, what erasing does.

The rules themselves (what is deleted, what is kept so announced results never change) are in
:mod:`bot.store.privacy`; :data:`ERASE_POLICY` says them in a member's words.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.store.privacy import Erased, MemberData, is_former_member

FORMER_MEMBER_NAME = "a former member"
SHOWN_TITLE = 40  # titles cut to this, so the report and the policy fit one message

ERASE_POLICY = (
    "Deleting removes your clips, your clip jobs, your entries and votes in running challenges, and "
    "removal notices about your entries. In challenges that have ended, results stay as announced: "
    "your entries stay as “an entry by a former member” with their title and votes but without their "
    "file, link or note, and your votes are deleted while the count they gave stays. Messages already "
    "posted in channels are not deleted. This cannot be undone."
)


def member_name(user_id: int, name: Callable[[int], str]) -> str:
    """How a member is shown: ``name(user_id)``, or "a former member" once they erased their data."""
    return FORMER_MEMBER_NAME if is_former_member(user_id) else name(user_id)


def _count(number: int, what: str, plural: str | None = None) -> str:
    return f"{number} {what if number == 1 else plural or what + 's'}"


def _short(text: str) -> str:
    return text if len(text) <= SHOWN_TITLE else text[: SHOWN_TITLE - 1] + "…"


def report_text(data: MemberData, moment: Callable[[float], str]) -> str:
    """What is stored about the member, as a few lines; ``moment`` shows a Unix time."""
    if data.empty:
        return "I store nothing about you: no clips, jobs, challenge entries or votes."
    lines = [
        "What I store about you (in every server and in direct messages):",
        f"• {_count(data.clips, 'clip')} (audio, MIDI, the request and where it was made)"
        f" and {_count(data.jobs, 'clip job')}",
        f"• challenge entries: {data.entries_running} in running challenges, {data.entries_ended} in ended"
        " ones",
        f"• votes: {data.votes_running} in running challenges, {data.votes_ended} in ended ones",
    ]
    if data.removal_notices:
        lines.append(f"• {_count(data.removal_notices, 'notice')} of entries a moderator removed")
    if data.moderation_records:
        records = _count(data.moderation_records, "moderation record")
        lines.append(f"• {records} (challenges started, entries removed, settings changed)")
    if data.recent_clips:
        lines.append("Newest clips: " + "; ".join(
            f"#{clip.id} {clip.summary} ({moment(clip.created_at)})" for clip in data.recent_clips
        ))  # fmt: skip
    if data.recent_entries:
        lines.append("Newest entries: " + "; ".join(
            f"#{entry.id} “{_short(entry.title)}” in “{_short(entry.challenge_title)}”"
            f"{' (running)' if entry.running else ''}"
            for entry in data.recent_entries
        ))  # fmt: skip
    return "\n".join(lines)


def erased_text(erased: Erased) -> str:
    """What deleting did, in a member's words."""
    parts = [
        _count(erased.clips, "clip"),
        _count(erased.jobs, "clip job"),
        _count(erased.entries_deleted, "entry", "entries"),
        _count(erased.votes_deleted + erased.votes_retired, "vote"),
    ]
    text = "Deleted " + ", ".join(parts) + "."
    if erased.entries_anonymised:
        text += (
            f" {_count(erased.entries_anonymised, 'entry', 'entries')} in ended challenges"
            " now show as by a former member, without their files."
        )
    if erased.votes_retired:
        votes = _count(erased.votes_retired, "vote")
        text += f" The {votes} you cast in ended challenges still count in their results."
    return text
