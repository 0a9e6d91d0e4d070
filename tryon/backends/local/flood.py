"""Flood fill from the border of a mask: which pixels connect to the picture's edge.

Done on runs rather than pixels (a row of a product photo holds a handful of runs,
not hundreds of pixels), so plain Python stays fast enough: the runs of touching rows
that overlap are joined with a union-find, and the groups holding a run on the border
are painted back. Runs go along rows or columns, whichever gives fewer (vertical
stripes make many short runs across, few down).
"""

from __future__ import annotations

import re

from PIL import Image

__all__ = ["Run", "border_connected", "row_runs"]

_RUN = re.compile(rb"\xff+")

Run = tuple[int, int]  # [start, end) columns of a run of 255 pixels in one row


def row_runs(mask: Image.Image) -> list[list[Run]]:
    """The runs of 255 pixels of each row of a 0/255 L mask, left to right."""
    data, stride = _padded(mask)
    rows: list[list[Run]] = [[] for _ in range(mask.height)]
    for match in _RUN.finditer(data):
        y, start = divmod(match.start(), stride)
        rows[y].append((start, match.end() - y * stride))
    return rows


def border_connected(mask: Image.Image, *, from_bottom: bool = True) -> Image.Image:
    """255 where ``mask`` is 255 and joined to the border through 255 pixels (4-connected).

    ``from_bottom=False``: the fill starts from the top and the sides only (what the
    bottom edge cuts through, a person's body, is not reached from there).
    """
    turned = mask.transpose(Image.Transpose.TRANSPOSE)
    if _run_count(turned) < _run_count(mask):
        # Transposed, the bottom edge is the last column.
        sides = (True, True, True, from_bottom)  # top, bottom, left, right
        connected = _connected(turned, row_runs(turned), sides)
        return connected.transpose(Image.Transpose.TRANSPOSE)
    return _connected(mask, row_runs(mask), (True, from_bottom, True, True))


def _padded(mask: Image.Image) -> tuple[bytes, int]:
    """The mask's bytes with a 0 after each row (no run runs on into the next), and the stride."""
    padded = Image.new("L", (mask.width + 1, mask.height), 0)
    padded.paste(mask, (0, 0))
    return padded.tobytes(), mask.width + 1


def _run_count(mask: Image.Image) -> int:
    data, _ = _padded(mask)
    return data.count(b"\x00\xff") + data.startswith(b"\xff")


def _connected(
    mask: Image.Image, rows: list[list[Run]], sides: tuple[bool, bool, bool, bool]
) -> Image.Image:
    """``border_connected`` on ``rows``, filling from the ``sides`` (top, bottom, left, right)."""
    width, height = mask.size
    starts: list[int] = []
    ends: list[int] = []
    parent: list[int] = []
    firsts: list[int] = []  # index of each row's first run

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]  # path halving
            node = parent[node]
        return node

    previous = 0
    for runs in rows:
        current = len(starts)
        firsts.append(current)
        for start, end in runs:
            parent.append(len(starts))
            starts.append(start)
            ends.append(end)
        # Both rows are sorted left to right: one pass joins every overlapping pair.
        i, j, stop = previous, current, len(starts)
        while i < current and j < stop:
            if starts[i] < ends[j] and starts[j] < ends[i]:
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            if ends[i] <= ends[j]:
                i += 1
            else:
                j += 1
        previous = current
    firsts.append(len(starts))

    top, bottom, left, right = sides
    edge: set[int] = set()
    if top:
        edge.update(range(firsts[1]))
    if bottom:
        edge.update(range(firsts[height - 1], len(starts)))
    edge.update(
        index
        for index in range(len(starts))
        if (left and starts[index] == 0) or (right and ends[index] == width)
    )
    outside = {root(index) for index in edge}
    out = bytearray(width * height)
    for y in range(height):
        offset = y * width
        for index in range(firsts[y], firsts[y + 1]):
            if root(index) in outside:
                start, end = offset + starts[index], offset + ends[index]
                out[start:end] = b"\xff" * (end - start)
    return Image.frombytes("L", mask.size, bytes(out))
