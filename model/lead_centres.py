"""Where each lead instrument's real players sit, and where a line for that lead is centred.

Without a lead the composer centres a line in the middle of its range moved by the style's median pitch
minus the whole corpus's (:func:`model.register.centre_of_range`). That offset mixes instruments: the
corpus's median is between the tenors and the trumpets, so "like Coltrane" came out 1 semitone below the
middle of the tenor's line (60.5), where the real tenors sit at 63, and "like Liebman" 5 above the
soprano's middle, 78.5 against his real 71 (docs/MODEL.md, "Register of the bot's leads (session 10)").

For a line composed for a lead (``ComposeRequest.lead``, which the bot sets) the centre is instead

* the lead's **centre**: the median of the median pitches of the WJazzD solos by the players filed under
  that instrument (:data:`model.soloists.INSTRUMENTS`; tenor 63, trumpet 70, soprano 71);
* plus the style's **offset within its instrument**: a soloist's median (of his solos' medians) minus his
  own instrument's centre, so "like Coltrane" on the tenor sits where Coltrane sits (65) and "like Parker
  on tenor" as high in the tenor as Parker sits in the alto; an era's: the median of its players' solos
  on this lead minus the lead's centre (0 where the era has no solos on it); a player filed under no lead
  (the baritone players): 0.

A lead with no players in the database (the flute) keeps its hand-set sweet spot as its centre. The
composer keeps the centre :data:`model.register.MARGIN` inside the line range, which is left as it was
(:attr:`model.arrange.instruments.Instrument.line_range`, placed so rootless piano voicings fit under
the lead): the piano's and the guitar's real centres (61, 62.5) lie lower than that allows, so they
are held at the range's lowest centre.

``python -m model.lead_centres --build`` derives ``model/data/lead_centres.json`` from
``../shared/data/wjazzd`` (every solo that loads, not only the training side: the table is about the
players, and no evaluation composes for a lead) in seconds, byte for byte the same from the same data;
``python -m model.lead_centres`` prints the committed table.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from model.arrange.instruments import LEADS
from model.paths import DATA_DIR
from model.register import within_range
from model.sequences import centre_of
from model.soloists import ERAS, INSTRUMENTS, instrument_of
from model.table_command import run_table, table_parser
from model.wjazzd import Solo, load_solos

CENTRES_FILE = DATA_DIR / "lead_centres.json"


@dataclass(frozen=True, slots=True)
class LeadCentres:
    """Median pitches of real solos (the median of each solo's median pitch) by lead, player and era."""

    source: str
    instruments: dict[str, float]  # lead -> its players' solos
    solos: dict[str, int]  # lead -> how many solos that is
    soloists: dict[str, float]  # display name -> his or her solos
    eras: dict[str, dict[str, float]]  # era -> lead -> the era's players' solos on that lead

    def centre(self, lead: str, era: str | None, soloist: str | None) -> float:
        """Where a line for ``lead`` in the style (``era``, ``soloist``: as :class:`model.compose.Style`
        names them) is centred, before the composer keeps it inside the line range."""
        base = self.instruments.get(lead, float(LEADS[lead].sweet))
        return base + self.offset(lead, era, soloist)

    def offset(self, lead: str, era: str | None, soloist: str | None) -> float:
        """The style's offset taken within its instrument (see the module docstring)."""
        if soloist is not None and soloist in self.soloists:
            own = instrument_of(soloist)
            return self.soloists[soloist] - self.instruments[own] if own in self.instruments else 0.0
        on_lead = self.eras.get(era, {}) if era is not None else {}
        return on_lead[lead] - self.instruments[lead] if lead in on_lead else 0.0


def _median(values: Sequence[float]) -> float:
    return round(float(statistics.median(values)), 3)


def build(solos: Sequence[Solo]) -> LeadCentres:
    """The table from ``solos`` (every WJazzD solo that loads)."""
    medians = [(solo, centre_of(solo)) for solo in solos]
    by_lead: dict[str, list[float]] = {}
    by_player: dict[str, list[float]] = {}
    by_era: dict[str, dict[str, list[float]]] = {}
    for solo, median in medians:
        by_player.setdefault(solo.performer, []).append(median)
        lead = INSTRUMENTS.get(solo.performer_id)
        if lead is not None:
            by_lead.setdefault(lead, []).append(median)
            by_era.setdefault(solo.era, {}).setdefault(lead, []).append(median)
    leads = [lead for lead in LEADS if lead in by_lead]
    return LeadCentres(
        f"{len(solos)} WJazzD solos by {len(by_player)} players",
        {lead: _median(by_lead[lead]) for lead in leads},
        {lead: len(by_lead[lead]) for lead in leads},
        {name: _median(values) for name, values in sorted(by_player.items())},
        {
            era: {lead: _median(by_era[era][lead]) for lead in leads if lead in by_era[era]}
            for era in ERAS
            if era in by_era
        },
    )


def to_json(centres: LeadCentres) -> str:
    data = {
        "source": centres.source,
        "instruments": centres.instruments,
        "solos": centres.solos,
        "soloists": centres.soloists,
        "eras": centres.eras,
    }
    return json.dumps(data, indent=1) + "\n"


def from_json(text: str) -> LeadCentres:
    data = json.loads(text)

    def floats(mapping: Mapping[str, float]) -> dict[str, float]:
        return {k: float(v) for k, v in mapping.items()}

    return LeadCentres(
        str(data["source"]),
        floats(data["instruments"]),
        {k: int(v) for k, v in data["solos"].items()},
        floats(data["soloists"]),
        {era: floats(by_lead) for era, by_lead in data["eras"].items()},
    )


@cache
def load_centres(path: Path = CENTRES_FILE) -> LeadCentres:
    return from_json(path.read_text())


def summary(centres: LeadCentres) -> str:
    """A Markdown table: each lead's centre (or its sweet spot), its solos, its line range and where an
    unstyled line for it is centred (the centre kept :data:`model.register.MARGIN` inside the range)."""
    rows = [
        f"Lead centres from {centres.source}.",
        "",
        "| lead | real centre | solos | line range | unstyled line centred at |",
        "|---|---:|---:|---|---:|",
    ]
    for name, lead in LEADS.items():
        low, high = lead.line_range
        real = centres.instruments.get(name)
        shown = f"{real:.2f}" if real is not None else f"none (sweet spot {lead.sweet})"
        used = within_range(low, high, centres.centre(name, None, None))
        rows.append(f"| {name} | {shown} | {centres.solos.get(name, 0)} | {low}..{high} | {used:.2f} |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    args = table_parser("model.lead_centres", __doc__, CENTRES_FILE, "table").parse_args(argv)
    return run_table(
        args,
        lambda folder: load_solos(folder).solos,
        lambda solos: to_json(build(solos)),
        lambda out: summary(load_centres(out)),
    )


if __name__ == "__main__":
    raise SystemExit(main())
