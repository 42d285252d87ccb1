"""Loudness without the whole clip: a gain set from a short preview, and a look-ahead peak limiter.

Peak-normalising needs the finished clip before the first sample can go to the encoder, which rules out
streaming render and encode. Instead the renderer holds back the first :data:`PREVIEW_SECONDS` of the
band playing, and :func:`clip_gain` puts that preview's peak at :data:`CEILING_DBFS`; every later block
gets the same gain, and :class:`PeakLimiter` pulls the transients that rise above the preview's peak down
to the ceiling. Clips therefore peak at -1 dBFS and never clip, and a jazz guitar (FluidR3's is loud and
spiky) gets a lower gain instead of being limited all the way through (measured against one fixed gain
for all in docs/BENCHMARKS.md).

The limiter computes its gain in dB per sample with two vectorised running minima instead of a
per-sample loop: the attack lowers the gain along a straight dB ramp that reaches every loud sample's
required reduction before that sample arrives; the release lets it recover at
:data:`RELEASE_DB_PER_SECOND`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

# FluidSynth synth.gain: the level around which each clip's gain is set. At 1.8 the previews of arranged
# clips need -6.4..+2.9 dB to reach the ceiling; FluidSynth's default 0.2 would peak near -20 dBFS.
BAND_GAIN = 1.8
PREVIEW_SECONDS = 4.0
MAX_BOOST_DB, MAX_CUT_DB = 6.0, 12.0  # clip gain bounds around BAND_GAIN: a near-silent or wild preview
CEILING_DBFS = -1.0
LOOKAHEAD_SECONDS = 0.005
RELEASE_DB_PER_SECOND = 30.0
MAX_REDUCTION_DB = 30.0  # deeper overshoots than this (absurd input) are hard-clipped instead

Float = npt.NDArray[np.float32]
PCM = npt.NDArray[np.int16]


def clip_gain(preview: Float) -> float:
    """The gain that puts ``preview``'s peak at the ceiling, within the bounds around the band gain."""
    peak = float(np.max(np.abs(preview))) if preview.size else 0.0
    if peak == 0.0:
        return 1.0
    gain_db = min(max(CEILING_DBFS - 20 * math.log10(peak), -MAX_CUT_DB), MAX_BOOST_DB)
    return float(10 ** (gain_db / 20))


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
