"""A stored Ogg Opus file as the 20 ms Opus packets a Discord voice connection sends, without re-encoding.

Discord's voice player sends one Opus packet every 20 ms and advances the RTP clock by 960 samples
(20 ms at 48 kHz) per packet, so every packet must hold exactly 20 ms of audio. The encoder
(:mod:`bot.audio.encode`) writes 48 kHz Opus in 60 ms packets, each of three 20 ms CELT frames
(RFC 6716 §3.2, packet code 3). A packet of several frames can be split into one packet per frame
without touching the coded audio: each frame becomes a code-0 packet behind the same TOC byte, which is
what libopus's own repacketizer does. :func:`twenty_ms_packets` reads the Ogg pages (RFC 3533), skips
the two header packets (RFC 7845), splits each audio packet into its frames and drops the frames past
the end the last page's granule position marks (the encoder pads the final packet).

A file whose frames are not all 20 ms (10 ms CELT frames, 40 or 60 ms SILK frames, which libopus picks
only at speech bitrates far below ours) cannot be sent as it is: :class:`NotTwentyMs` says so, and the
caller transcodes it instead. Pure bytes in, bytes out: nothing here knows about Discord.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

SAMPLE_RATE = 48000  # Opus's clock: granule positions and pre-skip count 48 kHz samples
FRAME_SAMPLES = 960  # 20 ms
# capture, version, flags, granule position, serial, sequence, checksum, segment count
_PAGE_HEADER = struct.Struct("<4sBBqIIIB")
_SILK_SAMPLES = (480, 960, 1920, 2880)  # configs 0-11, by config % 4: 10, 20, 40, 60 ms
_HYBRID_SAMPLES = (480, 960)  # configs 12-15, by config % 2
_CELT_SAMPLES = (120, 240, 480, 960)  # configs 16-31, by config % 4: 2.5, 5, 10, 20 ms


class OggOpusError(ValueError):
    """The bytes are not an Ogg Opus file this module can read."""


class NotTwentyMs(ValueError):
    """The file's Opus frames are not all 20 ms long, so they cannot go to Discord as they are."""


@dataclass(frozen=True)
class OpusPackets:
    """A clip as single-frame 20 ms Opus packets: ``pre_skip`` samples of the first one are encoder
    delay, and ``samples`` (after the pre-skip) are the clip itself."""

    packets: tuple[bytes, ...]
    pre_skip: int
    samples: int

    @property
    def duration(self) -> float:
        """Seconds of audio the file says it holds (its last granule position less the pre-skip)."""
        return self.samples / SAMPLE_RATE


def frame_samples(toc: int) -> int:
    """The length in 48 kHz samples of each frame in a packet with TOC byte ``toc`` (RFC 6716 §3.1)."""
    config = toc >> 3
    if config < 12:
        return _SILK_SAMPLES[config % 4]
    if config < 16:
        return _HYBRID_SAMPLES[config % 2]
    return _CELT_SAMPLES[config % 4]


def _ogg_packets(data: bytes) -> Iterator[tuple[bytes, int]]:
    """Each packet of the (single) logical stream in ``data`` with the granule position of the page it
    ends on."""
    offset, pending = 0, b""
    while offset < len(data):
        if len(data) - offset < _PAGE_HEADER.size:
            raise OggOpusError("the file ends inside an Ogg page header")
        capture, _, _, granule, _, _, _, count = _PAGE_HEADER.unpack_from(data, offset)
        if capture != b"OggS":
            raise OggOpusError(f"no Ogg page at byte {offset}")
        lacing = data[offset + _PAGE_HEADER.size : offset + _PAGE_HEADER.size + count]
        body = offset + _PAGE_HEADER.size + count
        offset = body + sum(lacing)
        if len(lacing) != count or offset > len(data):
            raise OggOpusError("the file ends inside an Ogg page")
        start = body
        for index, size in enumerate(lacing):
            if size < 255:  # a lacing value below 255 ends a packet
                end = body + sum(lacing[: index + 1])
                yield pending + data[start:end], granule
                pending, start = b"", end
        pending += data[start:offset]


def _frame_length(packet: bytes, at: int) -> tuple[int, int]:
    """A frame length coded at ``packet[at]`` (one or two bytes, RFC 6716 §3.2.1) and where it ends."""
    if at >= len(packet):
        raise OggOpusError("an Opus packet ends inside a frame length")
    first = packet[at]
    if first < 252:
        return first, at + 1
    if at + 1 >= len(packet):
        raise OggOpusError("an Opus packet ends inside a frame length")
    return first + 4 * packet[at + 1], at + 2


def _code3_frames(packet: bytes) -> list[bytes]:
    """The frames of a code-3 packet (any number of frames, CBR or VBR, maybe padded; RFC 6716 §3.2.5)."""
    if len(packet) < 2:
        raise OggOpusError("a code-3 Opus packet has no frame count")
    vbr, padded, count = packet[1] & 0x80, packet[1] & 0x40, packet[1] & 0x3F
    at, padding = 2, 0
    while padded:
        if at >= len(packet):
            raise OggOpusError("an Opus packet ends inside its padding length")
        step = packet[at]
        padding += 254 if step == 255 else step
        padded, at = step == 255, at + 1
    end = len(packet) - padding
    if count == 0 or end < at:
        raise OggOpusError("a code-3 Opus packet is malformed")
    if vbr:
        lengths = []
        for _ in range(count - 1):
            length, at = _frame_length(packet, at)
            lengths.append(length)
        lengths.append(end - at - sum(lengths))
    else:
        if (end - at) % count:
            raise OggOpusError("a constant-bitrate Opus packet does not divide into its frames")
        lengths = [(end - at) // count] * count
    if min(lengths) < 0:
        raise OggOpusError("an Opus packet's frame lengths exceed the packet")
    frames = []
    for length in lengths:
        frames.append(packet[at : at + length])
        at += length
    return frames


def split_frames(packet: bytes) -> list[bytes]:
    """``packet`` as one code-0 packet per frame, each behind the packet's TOC byte with code 0."""
    if not packet:
        raise OggOpusError("an empty Opus packet")
    toc, code = packet[0], packet[0] & 0x03
    if code == 0:
        frames = [packet[1:]]
    elif code == 1:
        if (len(packet) - 1) % 2:
            raise OggOpusError("a code-1 Opus packet has two frames of unequal size")
        half = (len(packet) - 1) // 2
        frames = [packet[1 : 1 + half], packet[1 + half :]]
    elif code == 2:
        length, at = _frame_length(packet, 1)
        if at + length > len(packet):
            raise OggOpusError("a code-2 Opus packet's first frame exceeds the packet")
        frames = [packet[at : at + length], packet[at + length :]]
    else:
        frames = _code3_frames(packet)
    single = bytes((toc & 0xFC,))
    return [single + frame for frame in frames]


def _pre_skip(head: bytes) -> int:
    if not head.startswith(b"OpusHead") or len(head) < 19:
        raise OggOpusError("the first packet is not an OpusHead header: not an Ogg Opus file")
    if head[9] > 2:
        raise OggOpusError(f"an Opus stream of {head[9]} channels; voice takes mono or stereo")
    return int.from_bytes(head[10:12], "little")


def twenty_ms_packets(data: bytes) -> OpusPackets:
    """The audio of the Ogg Opus file ``data`` as single-frame 20 ms packets, ready for Discord.

    :class:`OggOpusError` if ``data`` is not Ogg Opus, :class:`NotTwentyMs` if a frame is not 20 ms.
    """
    packets = _ogg_packets(data)
    try:
        head, _ = next(packets)
        next(packets)  # OpusTags: comments, not audio
    except StopIteration:
        raise OggOpusError("the file has no Opus headers") from None
    pre_skip = _pre_skip(head)
    frames: list[bytes] = []
    end = 0
    for packet, granule in packets:
        if not packet:
            raise OggOpusError("an empty Opus packet")
        if frame_samples(packet[0]) != FRAME_SAMPLES:
            raise NotTwentyMs(f"Opus frames of {frame_samples(packet[0]) / 48:g} ms; voice sends 20 ms")
        frames.extend(split_frames(packet))
        end = max(end, granule)
    if end > 0:  # the final page's granule marks the end; the frames after it are the encoder's padding
        frames = frames[: -(-end // FRAME_SAMPLES)]
    samples = max(0, min(end, len(frames) * FRAME_SAMPLES) - pre_skip)
    return OpusPackets(tuple(frames), pre_skip, samples)
