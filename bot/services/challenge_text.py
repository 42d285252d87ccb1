"""The words of challenge posts and replies, shared by the Discord and console adapters.

Each adapter supplies a :class:`TextStyle` for the two things that differ: how a member is named
(a Discord mention — posted with pings switched off — or a plain name) and how a moment is written
(a Discord timestamp that shows in the reader's time zone, or UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.services.challenges import Leaderboard, Profile, Results
from bot.store.challenges import Challenge, Entry, RemovedEntry, VoteReceipt

_PHASE_WORDS = {
    "submissions": "taking submissions",
    "voting": "voting",
    "closed": "closed",
    "cancelled": "cancelled",
}
LINES_SHOWN = 15  # lines of a leaderboard or profile list (a post must fit one Discord message)
NOTE_SHOWN = 300  # characters of an entry's note in lists (a page of entries must fit one message)
_KIND_WORDS = {"midi": "MIDI file", "audio": "audio file", "clip": "jazzbot clip", "link": "link"}


@dataclass(frozen=True)
class TextStyle:
    member: Callable[[int], str]
    moment: Callable[[float], str]


def _votes(count: int) -> str:
    return f"{count} vote{'s' * (count != 1)}"


def _more(count: int, what: str) -> list[str]:
    """The line that stands for what a list leaves out, if it leaves anything out."""
    return [f"… and {count - LINES_SHOWN} more {what}"] if count > LINES_SHOWN else []


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def challenge_text(challenge: Challenge, style: TextStyle) -> str:
    """What ``info`` shows and the start announcement says."""
    lines = [
        f"🏆 **{challenge.title}** (challenge #{challenge.id}, {_PHASE_WORDS[challenge.phase]})",
        challenge.prompt,
        f"Submissions until {style.moment(challenge.submission_deadline)}; "
        f"voting until {style.moment(challenge.voting_deadline)}.",
        f"Each member has {_votes(challenge.max_votes)}; no votes for your own entry. "
        + ("Counts stay hidden until the close." if challenge.hide_leaderboard else "Counts are live."),
    ]
    if challenge.phase == "submissions":
        lines.append("Enter with `/challenge submit` (a MIDI or audio file, one of your clips, or a link).")
    elif challenge.phase == "voting":
        lines.append("Vote with the buttons under `/challenge entries` or `/challenge vote`.")
    if challenge.cancel_reason:
        lines.append(f"Cancelled: {challenge.cancel_reason}")
    return "\n".join(lines)


def voting_opened_text(challenge: Challenge, entries: int, style: TextStyle) -> str:
    return (
        f"🗳️ Voting is open for **{challenge.title}**: {_entries(entries)}, "
        f"until {style.moment(challenge.voting_deadline)}. Each member has {_votes(challenge.max_votes)}; "
        "see them with `/challenge entries`."
    )


def entry_line(entry: Entry, style: TextStyle, show_votes: bool) -> str:
    counted = f" — {_votes(entry.votes)}" if show_votes else ""
    kind = _KIND_WORDS[entry.kind]
    line = f"**#{entry.id} {entry.title}** by {style.member(entry.author_id)} ({kind}){counted}"
    if entry.kind == "link" and entry.reference:
        line += f"\n<{entry.reference}>"
    if entry.note:
        note = " ".join(entry.note.split())
        line += f"\n> {note if len(note) <= NOTE_SHOWN else note[: NOTE_SHOWN - 1] + '…'}"
    return line


def entries_text(challenge: Challenge, entries: list[Entry], style: TextStyle) -> str:
    if not entries:
        return f"No entries yet for **{challenge.title}**."
    shown = not (challenge.hide_leaderboard and challenge.phase in ("submissions", "voting"))
    return "\n".join(
        [f"Entries for **{challenge.title}** ({_PHASE_WORDS[challenge.phase]}):"]
        + [entry_line(entry, style, shown and challenge.phase != "submissions") for entry in entries]
    )


def leaderboard_text(board: Leaderboard, style: TextStyle) -> str:
    title = board.challenge.title
    if board.hidden:
        return f"The leaderboard for **{title}** is hidden until voting closes."
    if not board.standings:
        return f"No entries yet for **{title}**."
    lines = [f"Leaderboard for **{title}** ({_PHASE_WORDS[board.challenge.phase]}):"]
    for place, standing in enumerate(board.standings[:LINES_SHOWN], 1):
        lines.append(
            f"{place}. **{standing.title}** by {style.member(standing.author_id)} — {_votes(standing.votes)}"
        )
    return "\n".join(lines + _more(len(board.standings), "entries"))


def results_text(results: Results, style: TextStyle) -> str:
    """The results post: winner and runner-up with their votes, and how ties were broken."""
    challenge = results.challenge
    if challenge.phase == "cancelled":
        return f"❌ **{challenge.title}** was cancelled: {challenge.cancel_reason}"
    lines = [f"🏁 **{challenge.title}** is closed: {_entries(results.entries)}, {_votes(results.votes)}."]
    if results.winner is None:
        lines.append("No votes were cast, so there is no winner this time.")
    for medal, label, entry in (("🥇", "Winner", results.winner), ("🥈", "Runner-up", results.runner_up)):
        if entry is not None:
            lines.append(
                f"{medal} {label}: **{entry.title}** by {style.member(entry.author_id)} "
                f"— {_votes(entry.votes)} (entry #{entry.id})"
            )
    lines.extend(f"Tie: {note}" for note in results.tie_notes)
    return "\n".join(lines)


def history_text(history: list[Results], style: TextStyle) -> str:
    if not history:
        return "No challenge has ended in this server yet."
    lines = ["Past challenges:"]
    for results in history:
        challenge = results.challenge
        if challenge.phase == "cancelled":
            outcome = f"cancelled ({challenge.cancel_reason})"
        elif results.winner is None:
            outcome = "no winner"
        else:
            outcome = f"won by {style.member(results.winner.author_id)} with “{results.winner.title}”"
        lines.append(f"#{challenge.id} **{challenge.title}** — {outcome}")
    return "\n".join(lines)


def removed_text(removed: RemovedEntry) -> str:
    return f"Your entry “{removed.title}” was removed by a moderator: {removed.reason}"


def profile_text(profile: Profile, style: TextStyle) -> str:
    lines = [
        f"Challenge profile of {style.member(profile.user_id)}: {_entries(len(profile.entries))}, "
        f"{profile.wins} win{'s' * (profile.wins != 1)}, "
        f"{profile.runner_ups} runner-up place{'s' * (profile.runner_ups != 1)}."
    ]
    for item in profile.entries[:LINES_SHOWN]:
        place = {1: " 🥇", 2: " 🥈"}.get(item.place or 0, "")
        votes = f", {_votes(item.entry.votes)}" if item.votes_shown else ""
        lines.append(f"• “{item.entry.title}” in **{item.challenge.title}**{votes}{place}")
    lines.extend(_more(len(profile.entries), "entries"))
    lines.extend(f"• {removed_text(removed)}" for removed in profile.removed[:LINES_SHOWN])
    lines.extend(_more(len(profile.removed), "removed entries"))
    if profile.clips:
        lines.append("Recent clips: " + ", ".join(f"#{clip.id}" for clip in profile.clips))
    return "\n".join(lines)


def vote_text(receipt: VoteReceipt, taken_back: bool = False) -> str:
    done = "Vote taken back" if taken_back else "Vote counted"
    return (
        f"{done} for entry #{receipt.entry_id}; you have {_votes(receipt.votes_left)} left in this challenge."
    )
