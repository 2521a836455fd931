"""The documented limits of every media input (docs/media.md): checked when a media
object is made, so a bad input fails in the training script with a clear error, never
later on the shipper thread or at the server."""

from __future__ import annotations

MAX_IMAGE_SIDE = 8192  # pixels, either side
MAX_IMAGE_PIXELS = 16 * 1024 * 1024  # width x height (a 4096 x 4096 image)
MAX_CAPTION = 1024  # characters
MAX_BOXES = 1000  # boxes per image
MAX_LABEL = 128  # characters of a box or mask label
MAX_BINS = 512  # histogram bins
DEFAULT_BINS = 64
MAX_TABLE_ROWS = 10_000
MAX_TABLE_COLUMNS = 100
MAX_TABLE_IMAGES = 256  # image cells per table
MAX_TABLE_CELL_TEXT = 10_000  # characters of one string cell
MAX_TEXT_BYTES = 1024 * 1024  # UTF-8 bytes of one Text
MAX_AUDIO_SAMPLES = 20_000_000  # frames x channels (about 7.5 minutes of 44.1 kHz stereo)
MAX_AUDIO_CHANNELS = 8
MAX_AUDIO_RATE = 384_000  # Hz
MAX_META_BYTES = 256 * 1024  # JSON of one item's metadata in the store (boxes, bins)
