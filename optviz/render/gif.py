"""GIF encoding: frames streamed to one file, each holding only the pixels that changed.

1. **One palette, exact lookups.** A palette (:func:`build_palette`) is built once from sample
   frames (Pillow's fast octree, plus exact theme and path colours, so white stays white).
   Colours map to palette entries through a 2^24-entry lookup table filled on demand.
2. **Only changed pixels.** Each frame is compared with the previous one; only the box around the
   changed pixels is encoded, with unchanged pixels in it transparent (GIF disposal "do not
   dispose"), so a frame costs a few kilobytes and a few milliseconds.
3. **Streaming.** Frames are written as they come; the memory used does not grow with their
   number. The file's blocks are written here from the GIF89a specification; only the LZW
   compression of each frame's pixels is Pillow's encoder's (:func:`image_data`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np
from PIL import Image

__all__ = ["GIF_COLORS", "GifWriter", "build_palette", "image_data"]

#: GIF palette entries for colours; index 255 is the transparent "unchanged" pixel
GIF_COLORS = 255
TRANSPARENT = 255
#: each frame is drawn over the previous one, which stays ("do not dispose")
DISPOSAL = 1


def build_palette(samples: Sequence[np.ndarray], exact: Sequence[str], size: int = GIF_COLORS) -> np.ndarray:
    """A palette of at most ``size`` colours for frames that look like ``samples``.

    The ``exact`` colours (background, text, path colours) come first and exactly; the rest is
    Pillow's fast octree over the samples (every other pixel, which is plenty for a plot).

    Args:
        samples: (H, W, 4) or (H, W, 3) uint8 pictures.
        exact: colours (any matplotlib colour spec) that must be in the palette unchanged.

    Returns:
        (N, 3) uint8, N <= size.
    """
    from matplotlib.colors import to_rgb

    fixed = []
    for color in exact:
        rgb = tuple(round(255 * c) for c in to_rgb(color))
        if rgb not in fixed:
            fixed.append(rgb)
    pixels = np.concatenate([np.ascontiguousarray(s[::2, ::2, :3]) for s in samples], axis=0)
    quantized = Image.fromarray(pixels).quantize(
        colors=size - len(fixed), method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    used = np.unique(np.asarray(quantized))
    octree = np.array(quantized.getpalette()[: 3 * 256], dtype=np.int32).reshape(-1, 3)[used]
    fixed_arr = np.array(fixed, dtype=np.int32)
    # an octree colour within a shade of an exact one is a duplicate of it
    far = ((octree[:, None, :] - fixed_arr[None, :, :]) ** 2).sum(-1).min(axis=1) > 12
    return np.concatenate([fixed_arr, octree[far]]).astype(np.uint8)[:size]


class GifWriter:
    """Streams frames to an animated GIF with one global palette, encoding only what changed.

    Each frame after the first is the bounding box of the pixels whose palette index changed, with
    the unchanged pixels inside it transparent, drawn over the previous frame (disposal 1). A frame
    identical to the one before extends that frame's delay instead of adding a frame. Memory stays
    constant: the previous frame's pixels, the on-screen indices, a 16 MB colour lookup table and
    one pending frame.
    """

    def __init__(self, fh: BinaryIO, width: int, height: int, palette: np.ndarray, loop: int = 0):
        if len(palette) > GIF_COLORS:
            raise ValueError(f"a GIF palette holds at most {GIF_COLORS} colours besides transparency")
        self._fh = fh
        self._size = (width, height)
        self._palette = palette.astype(np.int32)
        self._lut = np.full(1 << 24, TRANSPARENT, dtype=np.uint8)  # 0xBBGGRR -> index; 255: unknown yet
        self._previous: np.ndarray | None = None  # (H, W) uint32 RGBA of the last frame
        self._changed = np.zeros((height, width), dtype=bool)  # reused: pixels unlike the last frame
        self._shown: np.ndarray | None = None  # (H, W) uint8 palette indices on screen
        self._pending: list | None = None  # [indices (h, w), (x, y), duration ms]
        table = np.zeros((256, 3), dtype=np.uint8)
        table[: len(palette)] = palette
        fh.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF7, 0, 0) + table.tobytes())
        # NETSCAPE2.0 application extension: loop count (0 = forever)
        fh.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00")

    def add(self, rgba: np.ndarray, duration_ms: int) -> None:
        """Append a frame: (H, W, 4) uint8, shown for ``duration_ms`` (a multiple of 10)."""
        if rgba.shape[:2] != self._size[::-1]:
            raise ValueError(f"frame is {rgba.shape[1]}x{rgba.shape[0]}, the GIF is {self._size[0]}x{self._size[1]}")
        current = np.ascontiguousarray(rgba).view(np.uint32)[..., 0]
        if self._previous is None:
            self._previous = current.copy()
            self._shown = self._indices(current & 0xFFFFFF)
            self._queue(self._shown.copy(), (0, 0), duration_ms)
            return
        # changed pixels as flat (row-major) positions: one pass, sorted by row
        flat = np.flatnonzero(np.not_equal(current, self._previous, out=self._changed))
        if not flat.size:
            self._pending[2] += duration_ms
            return
        colors = current.ravel()[flat]
        self._previous.ravel()[flat] = colors
        # look up colours only where pixels changed: a few thousand, not the whole frame
        indices = self._indices(colors & 0xFFFFFF)
        shown = self._shown.ravel()
        differs = indices != shown[flat]  # a new colour may still map to the entry on screen
        if not differs.any():
            self._pending[2] += duration_ms
            return
        flat, indices = flat[differs], indices[differs]
        shown[flat] = indices
        rows, cols = np.divmod(flat, self._size[0])
        top, left = int(rows[0]), int(cols.min())
        crop = np.full((int(rows[-1]) + 1 - top, int(cols.max()) + 1 - left), TRANSPARENT, dtype=np.uint8)
        crop[rows - top, cols - left] = indices
        self._queue(crop, (left, top), duration_ms)

    def close(self) -> None:
        """Write the last frame and the trailer."""
        self._flush()
        self._fh.write(b";")

    def _queue(self, indices: np.ndarray, offset: tuple[int, int], duration_ms: int) -> None:
        # one frame waits, so that identical frames after it can still add to its delay
        self._flush()
        self._pending = [indices, offset, duration_ms]

    def _flush(self) -> None:
        if self._pending is None:
            return
        indices, (x, y), duration_ms = self._pending
        height, width = indices.shape
        # graphic control extension: disposal 1 (keep the frame, draw the next over it), a
        # transparent index, the delay in centiseconds; then an image descriptor without a local
        # palette or interlacing, then the pixels
        control = struct.pack("<3sBHBB", b"!\xf9\x04", DISPOSAL << 2 | 1, int(duration_ms / 10), TRANSPARENT, 0)
        descriptor = b"," + struct.pack("<HHHHB", x, y, width, height, 0)
        self._fh.write(control + descriptor + image_data(indices))
        self._pending = None

    def _indices(self, keys: np.ndarray) -> np.ndarray:
        """Palette indices of 24-bit colours (exact nearest entry; looked up once per colour)."""
        indices = self._lut[keys]
        unknown = indices == TRANSPARENT
        if unknown.any():
            colors = np.unique(keys[unknown])
            self._lut[colors] = _nearest(colors, self._palette)
            indices = self._lut[keys]
        return indices


def _nearest(keys: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour (squared RGB distance) for each 0xBBGGRR key.

    Three channels written out in int32: exact, no BLAS (whose threads burned CPU for nothing
    here), and ties go to the first entry as before.
    """
    keys = keys.astype(np.int32)[:, None]
    pal = palette.astype(np.int32)
    distance = np.zeros((len(keys), len(pal)), dtype=np.int32)
    for channel in range(3):
        diff = ((keys >> (8 * channel)) & 0xFF) - pal[:, channel]
        distance += diff * diff
    return distance.argmin(axis=1).astype(np.uint8)


def image_data(indices: np.ndarray) -> bytes:
    """The table-based image data of a GIF frame: LZW minimum code size, data sub-blocks, terminator.

    The sub-blocks are Pillow's GIF encoder's output (:meth:`PIL.Image.Image.tobytes` with the
    ``"gif"`` encoder: raw mode ``L``, 8 bits, not interlaced), the same bytes Pillow's GIF
    writer puts between a frame's minimum code size (8) and its terminator.

    Args:
        indices: (h, w) uint8 palette indices.
    """
    return b"\x08" + Image.fromarray(indices).tobytes("gif", "L", 8, 0) + b"\x00"
