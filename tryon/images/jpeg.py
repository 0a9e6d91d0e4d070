"""Recognising a JPEG that is already exactly what normalising would write.

Such a file may be kept byte for byte (re-encoding would only cost time and quality),
but only when every byte of it is accounted for: a JFIF header, quantisation and
Huffman tables, one baseline frame of three components, one scan, and the end-of-image
marker as the very last two bytes. Anything else (EXIF, XMP, an ICC profile, a
comment, a thumbnail, a progressive or multi-scan file, or any byte after the end of
the image: a ``<script>``, a ZIP, a second JPEG carrying GPS) means "not clean", and
the picture is re-encoded from its pixels.

Inside the scan, only entropy-coded data may appear: a 0xFF byte must be a stuffed
0xFF00 or a restart marker. (What a decoder skips between the last coded block and
the end marker cannot be located without decoding the whole scan; it is part of the
image's own scan, never a segment or a trailer.)
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["buffers_whole_image", "clean_jpeg_size"]

_SOI, _EOI = b"\xff\xd8", b"\xff\xd9"
_APP0, _DQT, _DHT, _DRI, _SOF0, _SOS = 0xE0, 0xDB, 0xC4, 0xDD, 0xC0, 0xDA
# The whole JFIF APP0 segment (after its length) that an encoder writes with no
# thumbnail: identifier, version, density unit and values, thumbnail size 0x0.
_JFIF_LENGTH = 16
# Inside a scan, 0xFF may only start a stuffed zero or a restart marker (RST0-RST7).
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")
# Start-of-frame markers (0xC4, 0xC8 and 0xCC, in the same range, are not frames).
_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PROGRESSIVE_FRAME_MARKERS = frozenset({0xC2, 0xC6, 0xCA, 0xCE})


def clean_jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a clean baseline 3-component JPEG, else None.

    "Clean" is checked on the whole file, not only its headers: see the module
    docstring. The pixels themselves are still to be decoded by the caller.
    """
    if not data.startswith(_SOI) or not data.endswith(_EOI):
        return None
    position, size, seen_app0 = 2, None, False
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        segment = data[position + 4 : position + 2 + length]
        if length < 2 or len(segment) != length - 2:
            return None
        if marker == _SOS:
            if size is None or not _is_single_baseline_scan(segment):
                return None
            return size if _scan_is_entropy_data(data, position + 2 + length) else None
        if marker == _APP0:
            if seen_app0 or not _is_plain_jfif(segment):
                return None
            seen_app0 = True
        elif marker == _SOF0:
            if size is not None:
                return None
            size = _baseline_frame_size(segment)
            if size is None:
                return None
        elif not _valid_table(marker, segment):
            return None
        position += 2 + length
    return None


def _is_plain_jfif(segment: bytes) -> bool:
    return (
        len(segment) == _JFIF_LENGTH - 2
        and segment.startswith(b"JFIF\x00")
        and segment[-2:] == b"\x00\x00"  # no thumbnail
    )


def _baseline_frame_size(segment: bytes) -> tuple[int, int] | None:
    """The size in an 8-bit, 3-component SOF0 segment (YCbCr: an RGB picture)."""
    if len(segment) != 6 + 3 * 3 or segment[0] != 8 or segment[5] != 3:
        return None
    height = int.from_bytes(segment[1:3], "big")
    width = int.from_bytes(segment[3:5], "big")
    return (width, height) if width and height else None


def _is_single_baseline_scan(segment: bytes) -> bool:
    """One scan holding all three components, spectral range 0-63, no approximation."""
    return len(segment) == 1 + 2 * 3 + 3 and segment[0] == 3 and segment[-3:] == b"\x00\x3f\x00"


def _scan_is_entropy_data(data: bytes, start: int) -> bool:
    end = len(data) - len(_EOI)
    if start > end or data[end - 1] == 0xFF:
        return False
    return _MARKER_IN_SCAN.search(data, start, end) is None


def _valid_table(marker: int, segment: bytes) -> bool:
    """A DQT, DHT or DRI segment whose length is exactly that of its tables."""
    if marker == _DRI:
        return len(segment) == 2
    if marker == _DQT:
        return _tables_fit(segment, _quantisation_table_length)
    if marker == _DHT:
        return _tables_fit(segment, _huffman_table_length)
    return False


def _tables_fit(segment: bytes, table_length: Callable[[bytes, int], int | None]) -> bool:
    position = 0
    while position < len(segment):
        length = table_length(segment, position)
        if length is None:
            return False
        position += length
    return position == len(segment) and position > 0


def _quantisation_table_length(segment: bytes, position: int) -> int | None:
    precision, table_id = segment[position] >> 4, segment[position] & 0x0F
    if precision > 1 or table_id > 3:
        return None
    return 1 + 64 * (precision + 1)


def _huffman_table_length(segment: bytes, position: int) -> int | None:
    table_class, table_id = segment[position] >> 4, segment[position] & 0x0F
    counts = segment[position + 1 : position + 17]
    if table_class > 1 or table_id > 3 or len(counts) != 16 or sum(counts) > 256:
        return None
    return 1 + 16 + sum(counts)


def buffers_whole_image(data: bytes) -> bool:
    """Whether libjpeg keeps every DCT coefficient of the picture in memory to decode it.

    It does for a progressive file and for one whose first scan lacks a component
    (the scans must be merged), whatever scale the picture is decoded at. True when
    the headers cannot be read: assume the worst.
    """
    position, components, progressive = 2, 0, False
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return True
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte before a marker
            position += 1
            continue
        if marker in _FRAME_MARKERS and position + 9 < len(data):
            components = data[position + 9]
            progressive = marker in _PROGRESSIVE_FRAME_MARKERS
        if marker == _SOS:
            return progressive or not components or data[position + 4] < components
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return True
