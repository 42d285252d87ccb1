from __future__ import annotations

from model.compose import Composer, ComposeRequest
from model.evaluation_sets import Progress, composed
from model.midi import piece_to_midi
from model.piece import TICKS_PER_BAR, Note
from model.ties import TIES_FILE, Ties, bar_lines, from_json, load_ties, to_json
from model.tokens import GRID

BAR = TICKS_PER_BAR


def test_bar_lines_counts_notes_reaching_their_bar_line_and_those_held_past_it() -> None:
    line = [
        Note(60, 0, 3 * BAR // 4),  # ends a beat before the bar line, the next note comes later: not reaching
        Note(62, 7 * BAR // 8, BAR // 8 - 2 * GRID),  # 2 grid units short of the bar line: reaching
        Note(64, BAR, BAR // 2),  # ends half a bar before its bar line, where the next note starts
        Note(65, 3 * BAR // 2, BAR // 2 + GRID),  # held one grid unit past the bar line
        Note(67, 2 * BAR + GRID, BAR // 4),
    ]
    counted = bar_lines([line])
    assert (counted.reaching, counted.held) == (2, 1)
    assert bar_lines([]).reaching == 0


def test_the_committed_term_round_trips_and_favours_ties() -> None:
    ties = load_ties()
    assert from_json(to_json(ties)) == ties
    assert to_json(ties) == TIES_FILE.read_text()
    assert 0.0 < ties.bias < 1.0  # the network ties a little less often than the training solos


def test_the_term_holds_more_notes_over_the_bar_line_and_leaves_styled_alone(composer: Composer) -> None:
    plain = Composer.load(ties=Ties.none())
    pushed = Composer.load(ties=Ties(1.0, "test"))

    def held(which: Composer) -> float:
        counted = bar_lines([p.melody for p in composed(which, 40, 16, Progress(False), seed_offset=1000)])
        return counted.held / counted.reaching

    assert held(plain) < held(composer) < held(pushed)
    styled = ComposeRequest(8, seed=7, like="Parker")
    assert piece_to_midi(pushed.compose_many([styled])[0]) == piece_to_midi(plain.compose_many([styled])[0])
