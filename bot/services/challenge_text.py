"""The words of challenge posts and replies, shared by the Discord and console adapters.

Every member-written piece (titles, prompts, notes, reasons, links) goes through
:func:`~bot.core.text.literal`, so it shows as typed and never as markdown, a masked link or a ping; the
console turns the result into plain text with :func:`~bot.core.text.plain`.

Each adapter supplies a :class:`TextStyle` for the two things that differ: how a member is named
(a Discord mention — posted with pings switched off — or a plain name) and how a moment is written
(a Discord timestamp that shows in the reader's time zone, or UTC).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.text import link, literal
from bot.services.challenges import Leaderboard, Profile, Results, Tie
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
FIGURES_NOTE = "ℹ️ Figures against real solos are for information: votes alone decide."


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
        f"🏆 **{literal(challenge.title)}** (challenge #{challenge.id}, {_PHASE_WORDS[challenge.phase]})",
        literal(challenge.prompt, multiline=True),
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
        lines.append(f"Cancelled: {literal(challenge.cancel_reason)}")
    return "\n".join(lines)


def voting_opened_text(challenge: Challenge, entries: int, style: TextStyle) -> str:
    return (
        f"🗳️ Voting is open for **{literal(challenge.title)}**: {_entries(entries)}, "
        f"until {style.moment(challenge.voting_deadline)}. Each member has {_votes(challenge.max_votes)}; "
        "see them with `/challenge entries`."
    )


def entry_line(entry: Entry, style: TextStyle, show_votes: bool, figures: str | None = None) -> str:
    """One entry of a list; ``figures`` (:func:`bot.services.explain.compact_figures`) goes under it."""
    counted = f" — {_votes(entry.votes)}" if show_votes else ""
    kind = _KIND_WORDS[entry.kind]
    line = f"**#{entry.id} {literal(entry.title)}** by {style.member(entry.author_id)} ({kind}){counted}"
    if entry.kind == "link" and entry.reference:
        line += f"\n{link(entry.reference)}"
    if entry.note:
        line += f"\n> {literal(' '.join(entry.note.split()), NOTE_SHOWN)}"
    if figures:
        line += f"\n{figures}"
    return line


def entries_text(
    challenge: Challenge, entries: list[Entry], style: TextStyle, figures: Mapping[int, str] | None = None
) -> str:
    """The entries list; ``figures`` by entry id (clips only), with the note that votes alone decide."""
    if not entries:
        return f"No entries yet for **{literal(challenge.title)}**."
    figures = figures or {}
    shown = not (challenge.hide_leaderboard and challenge.phase in ("submissions", "voting"))
    lines = [f"Entries for **{literal(challenge.title)}** ({_PHASE_WORDS[challenge.phase]}):"]
    lines += [
        entry_line(entry, style, shown and challenge.phase != "submissions", figures.get(entry.id))
        for entry in entries
    ]
    return "\n".join(lines + ([FIGURES_NOTE] if figures else []))


def leaderboard_text(board: Leaderboard, style: TextStyle) -> str:
    title = literal(board.challenge.title)
    if board.hidden:
        return f"The leaderboard for **{title}** is hidden until voting closes."
    if not board.standings:
        return f"No entries yet for **{title}**."
    lines = [f"Leaderboard for **{title}** ({_PHASE_WORDS[board.challenge.phase]}):"]
    for place, standing in enumerate(board.standings[:LINES_SHOWN], 1):
        who = style.member(standing.author_id)
        lines.append(f"{place}. **{literal(standing.title)}** by {who} — {_votes(standing.votes)}")
    return "\n".join(lines + _more(len(board.standings), "entries"))


def results_text(results: Results, style: TextStyle) -> str:
    """The results post: winner and runner-up with their votes, and how ties were broken."""
    challenge = results.challenge
    if challenge.phase == "cancelled":
        return f"❌ **{literal(challenge.title)}** was cancelled: {literal(challenge.cancel_reason or '')}"
    lines = [
        f"🏁 **{literal(challenge.title)}** is closed: {_entries(results.entries)}, {_votes(results.votes)}."
    ]
    if results.winner is None:
        lines.append("No votes were cast, so there is no winner this time.")
    for medal, label, entry in (("🥇", "Winner", results.winner), ("🥈", "Runner-up", results.runner_up)):
        if entry is not None:
            lines.append(
                f"{medal} {label}: **{literal(entry.title)}** by {style.member(entry.author_id)} "
                f"— {_votes(entry.votes)} (entry #{entry.id})"
            )
    lines.extend(f"Tie: {_tie_text(tie)}" for tie in results.ties)
    return "\n".join(lines)


def _tie_text(tie: Tie) -> str:
    names = ", ".join(f"“{literal(title)}”" for title in tie.titles)
    more = f" and {tie.others} more" if tie.others else ""
    return f"{names}{more} tied on {_votes(tie.votes)}; the earlier submission places higher."


def history_text(history: list[Results], style: TextStyle) -> str:
    if not history:
        return "No challenge has ended in this server yet."
    lines = ["Past challenges:"]
    for results in history:
        challenge = results.challenge
        if challenge.phase == "cancelled":
            outcome = f"cancelled ({literal(challenge.cancel_reason or '')})"
        elif results.winner is None:
            outcome = "no winner"
        else:
            outcome = (
                f"won by {style.member(results.winner.author_id)} with “{literal(results.winner.title)}”"
            )
        lines.append(f"#{challenge.id} **{literal(challenge.title)}** — {outcome}")
    return "\n".join(lines)


def removed_text(removed: RemovedEntry) -> str:
    return f"Your entry “{literal(removed.title)}” was removed by a moderator: {literal(removed.reason)}"


def profile_text(profile: Profile, style: TextStyle) -> str:
    lines = [
        f"Challenge profile of {style.member(profile.user_id)}: {_entries(len(profile.entries))}, "
        f"{profile.wins} win{'s' * (profile.wins != 1)}, "
        f"{profile.runner_ups} runner-up place{'s' * (profile.runner_ups != 1)}."
    ]
    for item in profile.entries[:LINES_SHOWN]:
        place = {1: " 🥇", 2: " 🥈"}.get(item.place or 0, "")
        votes = f", {_votes(item.entry.votes)}" if item.votes_shown else ""
        lines.append(f"• “{literal(item.entry.title)}” in **{literal(item.challenge.title)}**{votes}{place}")
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
