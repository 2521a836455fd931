"""PNG and WAV bytes without third-party code: what Heron writes and reads back.

PNG: 8-bit greyscale, grey+alpha, RGB or RGBA, every row with the ``Sub`` filter
(computed for the whole image at once with numpy), one zlib stream. The reader reads
what this writer wrote (and any non-interlaced 8-bit PNG whose rows use the None or
Sub filter); other PNGs need Pillow (``heron.media.image_array``).
"""

from __future__ import annotations

import io
import struct
import wave
import zlib

import numpy as np
import numpy.typing as npt

from heron.errors import InvalidInput

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type
_CHANNELS = {v: k for k, v in _COLOR_TYPE.items()}
U8 = npt.NDArray[np.uint8]


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(pixels: U8, level: int = 6) -> bytes:
    """``pixels``: uint8, (height, width, channels) with 1 to 4 channels."""
    height, width, channels = pixels.shape
    rows = pixels.reshape(height, width * channels)
    filtered = np.empty((height, width * channels + 1), np.uint8)
    filtered[:, 0] = 1  # Sub: each byte minus the byte one pixel to its left
    filtered[:, 1 : channels + 1] = rows[:, :channels]
    np.subtract(rows[:, channels:], rows[:, :-channels], out=filtered[:, channels + 1 :])
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE[channels], 0, 0, 0)
    return b"".join(
        (
            SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(filtered.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )


def decode_png(data: bytes) -> U8:
    """The pixels of a PNG written by :func:`encode_png`, (height, width, channels)."""
    if not data.startswith(SIGNATURE):
        raise InvalidInput("not a PNG file")
    pos, header, idat = len(SIGNATURE), b"", []
    while pos + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        tag = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            header = body
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    if len(header) != 13:
        raise InvalidInput("a PNG without its header")
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or color not in _CHANNELS or interlace:
        raise InvalidInput("a PNG Heron did not write (8-bit, not interlaced); open it with Pillow")
    channels = _CHANNELS[color]
    stride = width * channels
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    if raw.size != height * (stride + 1):
        raise InvalidInput("a truncated PNG")
    rows = raw.reshape(height, stride + 1)
    kinds = set(rows[:, 0].tolist())
    if not kinds <= {0, 1}:
        raise InvalidInput("a PNG Heron did not write (row filters); open it with Pillow")
    pixels: U8 = rows[:, 1:].reshape(height, width, channels).copy()
    sub = rows[:, 0] == 1
    if sub.any():  # undo Sub: a running sum along each row, per channel, mod 256
        pixels[sub] = np.cumsum(pixels[sub], axis=1, dtype=np.uint8)
    return pixels


def encode_wav(samples: npt.NDArray[np.int16], rate: int) -> bytes:
    """16-bit PCM WAV of ``samples``, (frames, channels)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2", copy=False).tobytes())
    return out.getvalue()


def decode_wav(data: bytes) -> tuple[npt.NDArray[np.int16], int]:
    """(samples as (frames, channels) int16, rate) of a 16-bit PCM WAV."""
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            if w.getsampwidth() != 2:
                raise InvalidInput("only 16-bit PCM WAV files are read")
            channels, rate = w.getnchannels(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise InvalidInput(f"not a WAV file Heron can read: {exc}") from None
    samples = np.frombuffer(frames, "<i2").astype(np.int16).reshape(-1, channels)
    return samples, rate
