"""``python -m bench.feel``: the loudness range (EBU R128 LRA) of rendered band clips, per style.

Each clip is composed (16 bars at the style's default tempo), arranged, rendered with
:class:`bot.audio.render.Renderer`, encoded to OGG/Opus with :func:`bot.audio.encode.encode` (as the
bot does), and measured with ffmpeg's ``ebur128`` filter; the script prints each style's LRA (LU)
and integrated loudness (LUFS) as median and range over the seeds, and the highest true peak (dBTP).
A swing clip with a dynamic shape has LRA >= 4 LU.

The same MIDI is also rendered by the fluidsynth command line (as ``bench.render``'s plain path
does) without the bot's clip gain and limiter: "plain LRA" is the dynamic shape the arrangement has,
before the renderer's level control (set on the clip's first seconds) trims the loud end.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.audio.encode import encode
from bot.audio.render import DEFAULT_SOUNDFONT, Renderer
from model.arrange import DEFAULT_TEMPI, STYLES, ArrangeOptions, arrange
from model.compose import Composer

BARS = 16
STYLE_METER = {"waltz": 3}  # the waltz plays a waltz tune in 3/4; the other styles a 4/4 progression


def loudness(path: Path) -> tuple[float, float, float]:
    """(loudness range in LU, integrated loudness in LUFS, true peak in dBTP) of an audio file, by
    ffmpeg's ebur128 filter."""
    command = ["ffmpeg", "-hide_banner", "-nostats", "-nostdin", "-i", str(path)]
    command += ["-af", "ebur128=peak=true", "-f", "null", "-"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    summary = result.stderr[result.stderr.rindex("Summary:") :]
    lra = re.search(r"LRA:\s+(-?[\d.]+) LU", summary)
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if lra is None or integrated is None or peak is None:
        raise RuntimeError(f"ffmpeg printed no loudness summary for {path}")
    return float(lra.group(1)), float(integrated.group(1)), float(peak.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feel", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=4, help="clips per style")
    parser.add_argument("--styles", nargs="+", default=list(STYLES), choices=STYLES)
    args = parser.parse_args(argv)
    composer = Composer.load()
    renderer = Renderer(DEFAULT_SOUNDFONT)
    print(f"{args.seeds} clips per style, {BARS} bars at the style's default tempo, OGG/Opus, ffmpeg ebur128")
    with tempfile.TemporaryDirectory(prefix="bench-feel-") as workdir:
        for style in args.styles:
            ranges, levels, peaks, plain_ranges = [], [], [], []
            for seed in range(args.seeds):
                piece = composer.compose(BARS, DEFAULT_TEMPI[style], seed=seed, meter=STYLE_METER.get(style))
                arrangement = arrange(piece, ArrangeOptions(style=style))
                path = Path(workdir) / f"{style}-{seed}.ogg"
                path.write_bytes(encode(renderer.render(arrangement.midi), renderer.sample_rate, "ogg"))
                lra, integrated, peak = loudness(path)
                ranges.append(lra)
                levels.append(integrated)
                peaks.append(peak)
                mid, wav = Path(workdir) / f"{style}-{seed}.mid", Path(workdir) / f"{style}-{seed}.wav"
                mid.write_bytes(arrangement.midi)
                subprocess.run(
                    ["fluidsynth", "-ni", "-q", "-F", str(wav), "-r", str(renderer.sample_rate),
                     str(DEFAULT_SOUNDFONT), str(mid)],
                    check=True, capture_output=True,
                )  # fmt: skip
                plain_ranges.append(loudness(wav)[0])
            spread = f"LRA p50 {statistics.median(ranges):4.1f} LU ({min(ranges):.1f}..{max(ranges):.1f})"
            level = (
                f"integrated p50 {statistics.median(levels):6.1f} LUFS ({min(levels):.1f}..{max(levels):.1f})"
            )
            print(f"{style:<7} {spread}   {level}   LRA per clip: {', '.join(f'{r:.1f}' for r in ranges)}")
            low, high = min(plain_ranges), max(plain_ranges)
            print(f"{'':<7} true peak max {max(peaks):.1f} dBTP")
            print(f"{'':<7} plain LRA p50 {statistics.median(plain_ranges):4.1f} LU ({low:.1f}..{high:.1f})")
    renderer.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
