"""The clip's level while it streams: -16 LUFS integrated, peaks under the ceiling, no second pass.

Discord plays every clip at the level it was encoded, so each clip should be equally loud whatever the style
or lead, without waiting for the whole clip before the first block can go to the encoder. The
:class:`Leveller` does that in three steps, all measured with :mod:`bot.audio.loudness` on the synth's
float output:

1. **Preview.** The first :data:`PREVIEW_SHARE` of the clip after the band comes in (at least
   :data:`PREVIEW_MIN_SECONDS`, at most :data:`PREVIEW_MAX_SECONDS`) is held back and measured. Its gain
   brings the whole clip to :data:`TARGET_LUFS` as far as it can be foreseen: with a loudness *plan*
   (:mod:`bot.audio.plan`: the power each segment should have, read from the MIDI before rendering, up to
   a scale) the rest of the clip is the plan scaled to match what was measured; without one, the clip is
   taken to go on like its preview. Holding the preview back costs little time because ffmpeg encodes
   faster than FluidSynth renders and catches up on the other core.
2. **Ride.** After the preview each block's gain is corrected with the same forecast, re-calibrated on
   everything measured so far: the constant gain the whole clip should have, plus what the output so far
   is off from it by, to be made up over what is left (weighed by the planned power left, so a loud
   ending makes up a quiet opening's error easily). The gain moves at most :data:`RIDE_DB_PER_SECOND` (a
   slow fader, a ramp inside each block) and at most :data:`MAX_RIDE_DB` from the preview's gain, and
   stops at the last note (the reverb tail does not count towards the loudness). An arrangement that
   builds is foreseen, so the fader only mends the plan's errors; a fader reacting to a 6-8 dB build in
   the last third could not catch it at 1 dB/s (such clips landed 1.5 LU loud before the plan).
3. **Limiter.** A 5 ms look-ahead limiter holds sample peaks at :data:`CEILING_DBFS`, low enough that
   the true peak of the encoded Opus or MP3 file stays under -1 dBTP (resampling to 48 kHz and lossy
   coding overshoot the PCM's sample peak; margins measured in docs/BENCHMARKS.md).

The limiter computes its gain in dB per sample with two vectorised running minima instead of a
per-sample loop: the attack lowers the gain along a straight dB ramp that reaches every loud sample's
required reduction before that sample arrives; the release lets it recover at
:data:`RELEASE_DB_PER_SECOND`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.audio.loudness import LoudnessMeter, Powers, integrated_loudness

TARGET_LUFS = -16.0
CEILING_DBFS = -3.0
# FluidSynth synth.gain: the level around which each clip's gain is set. At 1.8 arranged clips measure
# -18..-8 LUFS before the level stage (72 arrangements); FluidSynth's default 0.2 would be ~19 dB lower.
BAND_GAIN = 1.8
MAX_BOOST_DB, MAX_CUT_DB = 12.0, 20.0  # preview gain bounds: a near-silent or wild preview
PREVIEW_SHARE = 0.3
PREVIEW_MIN_SECONDS, PREVIEW_MAX_SECONDS = 10.0, 30.0
RIDE_DB_PER_SECOND = 1.0
MAX_RIDE_DB = 5.0
_DEAD_BAND_DB = 0.05  # the fader ignores smaller corrections
DECISION_SECONDS = 0.5  # how often the fader's target is worked out
CATCH_UP = 2.0  # the output's error so far is made up at most this many times over in what is left
LOOKAHEAD_SECONDS = 0.005
RELEASE_DB_PER_SECOND = 30.0
MAX_REDUCTION_DB = 30.0  # deeper overshoots than this (absurd input) are hard-clipped instead

Float = npt.NDArray[np.float32]
PCM = npt.NDArray[np.int16]
_EMPTY: PCM = np.zeros((0, 2), np.int16)


class Leveller:
    """Float stereo blocks of one clip (``frames`` in all) in, int16 blocks at the target level out.

    ``band_entry`` is the frame where the band comes in (a drums-only count-in says little about the
    clip's level); ``music_end`` the frame of the last note-off, after which the gain stays put; ``plan``
    the relative power planned for each meter segment (:func:`bot.audio.plan.loudness_plan`). Output
    lags input by the preview, then by the limiter's look-ahead; :meth:`flush` gives the rest.
    """

    def __init__(
        self,
        sample_rate: int,
        frames: int,
        band_entry: int = 0,
        music_end: int | None = None,
        plan: Powers | None = None,
    ) -> None:
        self._meter = LoudnessMeter(sample_rate)
        self._limiter = PeakLimiter(sample_rate)
        seconds = max(frames - band_entry, 0) / sample_rate
        preview = min(max(PREVIEW_SHARE * seconds, PREVIEW_MIN_SECONDS), PREVIEW_MAX_SECONDS)
        self._preview = (band_entry, min(frames, band_entry + round(preview * sample_rate)))
        self._ride_until = frames if music_end is None else music_end
        self._plan = plan
        self._step_db = RIDE_DB_PER_SECOND / sample_rate  # the most the gain moves per frame
        self._held: list[Float] = []
        self._received = 0
        self._base_db = 0.0  # the preview's gain
        self._gain_db: float | None = None  # the gain at the last frame let out; None while previewing
        self._knots: tuple[list[int], list[float]] = ([], [])  # the gain curve: frames and dB
        self._target = 0.0  # the gain the fader is heading for
        self._next_decision = 0  # the frame from which the target is worked out again
        self._decision_frames = round(DECISION_SECONDS * sample_rate)

    def process(self, block: Float) -> PCM:
        """The frames ``block`` lets out, levelled and limited (none while the preview is held)."""
        if self._gain_db is None:
            self._received += len(block)
            self._meter.feed(block)
            self._held.append(block)
            return self._release() if self._received >= self._preview[1] else _EMPTY
        if self._received >= self._next_decision:  # the loudness so far moves slowly: 0.5 s is often enough
            self._target = self._target_db()
            self._next_decision = self._received + self._decision_frames
        reach = self._step_db * len(block)
        move = self._target - self._gain_db
        end_db = self._gain_db + (min(max(move, -reach), reach) if abs(move) > _DEAD_BAND_DB else 0.0)
        if end_db == self._gain_db:
            out = block * np.float32(10 ** (end_db / 20))
        else:  # a ramp across the block, so the fader never steps (straight in amplitude: a 0.25 dB
            # move is a straight line in dB too, to 0.0005 dB, and saves a power per frame)
            ramp = np.linspace(10 ** (self._gain_db / 20), 10 ** (end_db / 20), len(block), endpoint=False)
            out = block * ramp.astype(np.float32)[:, None]
        self._meter.feed(block)
        self._received += len(block)
        self._gain_db = end_db
        self._knots[0].append(self._received)
        self._knots[1].append(end_db)
        return self._limiter.process(out)

    def flush(self) -> PCM:
        """Whatever is still held back (the preview of a clip shorter than it, the look-ahead)."""
        released = self._release() if self._gain_db is None else _EMPTY
        tail = self._limiter.flush()
        return np.concatenate((released, tail)) if len(released) else tail

    def _release(self) -> PCM:
        """The held preview, at the gain that brings it to the target."""
        first = self._preview[0] // self._meter.segment
        loudness, _ = self._forecast(self._meter.powers, first)
        gain = 0.0 if loudness is None else TARGET_LUFS - loudness
        self._base_db = self._gain_db = min(max(gain, -MAX_CUT_DB), MAX_BOOST_DB)
        self._knots = ([0, self._received], [self._gain_db, self._gain_db])
        held = np.concatenate(self._held) if self._held else np.zeros((0, 2), np.float32)
        self._held = []
        return self._limiter.process(held * np.float32(10 ** (self._gain_db / 20)))

    def _target_db(self) -> float:
        """The gain the next frames should have, from the loudness of the input and output so far."""
        assert self._gain_db is not None
        left = self._ride_until - self._received
        powers = self._meter.powers
        if left <= 0 or not len(powers):
            return self._gain_db
        centres = (np.arange(len(powers)) + 0.5) * self._meter.segment
        gains = 10 ** (np.interp(centres, *self._knots) / 10)
        heard, played = integrated_loudness(powers), integrated_loudness(powers * gains)
        whole, left_share = self._forecast(powers, self._preview[0] // self._meter.segment)
        if heard is None or played is None or whole is None:
            return self._gain_db
        constant = TARGET_LUFS - whole  # the one gain the whole clip should have had
        so_far = played - heard  # the gain the output so far had on average
        share = left / self._received if left_share is None else left_share
        catch_up = min(CATCH_UP, 1 / share) if share > 0 else CATCH_UP
        target = constant + (constant - so_far) * catch_up
        return min(max(target, self._base_db - MAX_RIDE_DB), self._base_db + MAX_RIDE_DB)

    def _forecast(self, powers: Powers, first: int) -> tuple[float | None, float | None]:
        """The loudness the whole clip's input will have (from segment ``first``), and what is left of
        it as a share of what has been heard (in power); without a plan, the loudness heard so far and
        None. The plan's scale is calibrated on the segments heard since ``first``."""
        heard = powers[first:]
        end = -(-self._ride_until // self._meter.segment)
        if self._plan is None or len(self._plan) <= first + len(heard) or not heard.sum():
            return integrated_loudness(heard), None
        planned = self._plan[first : first + len(heard)].sum()
        if planned <= 0:
            return integrated_loudness(heard), None
        rest = self._plan[first + len(heard) : end] * (heard.sum() / planned)
        return integrated_loudness(np.concatenate((heard, rest))), rest.sum() / heard.sum()


class PeakLimiter:
    """Streams float stereo blocks (full scale 1.0) out as int16 that never exceeds the ceiling.

    Output lags input by the look-ahead: :meth:`process` returns as many frames as it received,
    except the first ``lookahead`` frames are held back; :meth:`flush` returns the held frames.
    """

    def __init__(self, sample_rate: int, ceiling_dbfs: float = CEILING_DBFS) -> None:
        self.lookahead = max(1, round(LOOKAHEAD_SECONDS * sample_rate))
        self._ceiling_db = ceiling_dbfs
        self._ceiling = 10 ** (ceiling_dbfs / 20)
        self._attack = MAX_REDUCTION_DB / self.lookahead  # dB per frame
        self._release = RELEASE_DB_PER_SECOND / sample_rate
        self._held: Float = np.zeros((0, 2), np.float32)
        self._gain_db = 0.0  # gain of the last frame emitted

    def process(self, block: Float) -> PCM:
        """The limited frames that ``block`` lets out (lagging by the look-ahead)."""
        frames = np.concatenate((self._held, block)) if len(self._held) else block
        ready = len(frames) - self.lookahead
        if ready <= 0:
            self._held = frames
            return np.zeros((0, 2), np.int16)
        self._held = frames[ready:]
        return self._limit(frames, ready)

    def flush(self) -> PCM:
        """The frames still held back, limited as if silence followed them."""
        frames = np.concatenate((self._held, np.zeros((self.lookahead, 2), np.float32)))
        held = len(self._held)
        self._held = np.zeros((0, 2), np.float32)
        return self._limit(frames, held) if held else np.zeros((0, 2), np.int16)

    def _limit(self, frames: Float, ready: int) -> PCM:
        """The first ``ready`` of ``frames`` limited; the frames after them are the look-ahead."""
        peak = np.maximum(np.abs(frames[:, 0]), np.abs(frames[:, 1]))
        over = np.flatnonzero(peak > self._ceiling)
        if len(over) == 0 and self._gain_db == 0.0:
            return _to_int16(frames[:ready])
        needed = np.zeros(len(frames))  # dB each frame must come down by (<= 0)
        needed[over] = np.maximum(self._ceiling_db - 20 * np.log10(peak[over]), -MAX_REDUCTION_DB)
        index = np.arange(len(frames))
        # attack: gain[n] <= needed[k] + attack * (k - n) for every later k: a reversed running minimum
        ramp = np.minimum.accumulate((needed + self._attack * index)[::-1])[::-1] - self._attack * index
        ramp = ramp[:ready]
        # release: gain[n] <= ramp[k] + release * (n - k) for every earlier k, and the last block's gain
        step = self._release * index[:ready]
        gain_db = np.minimum(np.minimum.accumulate(ramp - step) + step, self._gain_db + step + self._release)
        self._gain_db = min(0.0, float(gain_db[-1]))
        scale = np.ones(ready, np.float32)
        reduced = np.flatnonzero(gain_db < 0)
        scale[reduced] = 10 ** (gain_db[reduced] / 20)
        return _to_int16(frames[:ready] * scale[:, None])


def _to_int16(frames: Float) -> PCM:
    return np.clip(np.rint(frames * 32767), -32768, 32767).astype(np.int16)
