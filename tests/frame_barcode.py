"""Frame identity that survives lossy codecs: a barcode of large black and white cells in a band at the
top of a synthetic frame, read back from the decoded frame.

Comparing a decoded frame with its source by mean pixel difference cannot tell a frame from its
neighbour: smooth synthetic frames one step apart differ by about as much as a codec changes one. A
barcode can. Every cell is pure black or pure white (gray, so chroma subsampling leaves it alone)
and ``cell`` pixels wide and tall on a ``cell``-aligned grid (whole codec blocks): AV1 at LeRobot's
default crf 30, x264 and JPEG at quality 95 keep each cell's centre far on its side of mid-gray.
Where the band has room, every bit is written twice, in cells far apart: SVT-AV1 at its fastest
preset now and then leaves one cell of an inter frame half-way between black and white (2 cells in
320 frames of 640x480 noise). ``read`` takes a bit from any copy that is clearly dark or clearly
bright, and raises when no copy is, or when copies disagree: a blend of two frames, a frame without
a barcode or a damaged one raises instead of reading as some other number.

Each test keeps its own content below the band (``content``), compared with a pixel tolerance.
"""

from __future__ import annotations

import numpy as np

BITS = 16  # values 0..65535
DARK, BRIGHT = 0, 255
MARGIN = 64  # a cell's centre must be below DARK + MARGIN or above BRIGHT - MARGIN


def cell_size(width: int) -> int:
    """4 px up to 128 px wide, then larger in steps of 4 (about 1/32 of the width)."""
    return 4 * max(1, width // 128)


def layout(height: int, width: int) -> tuple[int, int, int]:
    """(cell, rows, columns) of the barcode grid: as many rows as two copies of 16 bits need, at most
    half the frame."""
    cell = cell_size(width)
    columns = width // cell
    rows = min(-(-2 * BITS // columns), height // 2 // cell)
    if rows < 1:
        raise ValueError(f"a {height}x{width} frame has no room for a barcode")
    return cell, rows, columns


def _cells(height: int, width: int) -> tuple[int, int, int, int]:
    """(cell, columns, bits, cells): ``bits`` are stored, cell k holds bit k % bits."""
    cell, rows, columns = layout(height, width)
    cells = min(2 * BITS, rows * columns)
    return cell, columns, min(BITS, cells), cells


def capacity(height: int, width: int) -> int:
    """How many distinct values fit in a frame of this size."""
    return 2 ** _cells(height, width)[2]


def band(height: int, width: int) -> int:
    """Height in pixels of the barcode band (the rows ``stamp`` overwrites)."""
    cell, rows, _ = layout(height, width)
    return cell * rows


def stamp(image: np.ndarray, value: int) -> np.ndarray:
    """A copy of ``image`` (H, W, 3 uint8) with ``value`` written in the band at its top."""
    height, width = image.shape[:2]
    if not 0 <= value < capacity(height, width):
        raise ValueError(f"{value} does not fit in the barcode of a {height}x{width} frame")
    cell, columns, bits, cells = _cells(height, width)
    out = image.copy()
    out[:band(height, width)] = DARK
    for k in range(cells):
        if value >> (k % bits) & 1:
            row, column = divmod(k, columns)
            out[row * cell:(row + 1) * cell, column * cell:(column + 1) * cell] = BRIGHT
    return out


def read(frame: np.ndarray) -> int:
    """The value stamped into a decoded frame; ValueError when a cell is ambiguous."""
    height, width = frame.shape[:2]
    cell, columns, bits, cells = _cells(height, width)
    gray = frame.astype(np.float64).mean(axis=-1)
    inner = max(1, cell // 4)  # skip the cell's edges, where codecs ring
    seen: dict[int, set[int]] = {bit: set() for bit in range(bits)}
    levels: dict[int, list[int]] = {bit: [] for bit in range(bits)}
    for k in range(cells):
        row, column = divmod(k, columns)
        level = gray[row * cell + inner:(row + 1) * cell - inner, column * cell + inner:(column + 1) * cell - inner].mean()
        levels[k % bits].append(round(level))
        if level >= BRIGHT - MARGIN:
            seen[k % bits].add(1)
        elif level <= DARK + MARGIN:
            seen[k % bits].add(0)
    value = 0
    for bit, found in seen.items():
        if len(found) != 1:
            raise ValueError(f"barcode bit {bit} reads {levels[bit]} (gray levels of its copies): neither clearly "
                             "dark nor bright, or copies disagree (not a barcode frame, or a blend of two)")
        value |= found.pop() << bit
    return value


def read_all(frames: np.ndarray) -> list[int]:
    """``read`` of every frame of a (N, H, W, 3) stack."""
    return [read(frame) for frame in frames]


def content(frame: np.ndarray) -> np.ndarray:
    """The part of a frame below the barcode band, for pixel-tolerance content checks."""
    return frame[band(*frame.shape[:2]):]
