#!/usr/bin/env python
"""Normalising a 24-megapixel phone photo: ``tryon.images.normalize_image`` vs naive Pillow.

The input is a 6000x4000 JPEG with photo-like content (gradients and grain), EXIF
orientation 6 (a portrait photo stored sideways, as phones write it) and quality 92.
Both sides produce an upright RGB JPEG whose long side is ``MAX_IMAGE_SIDE`` (2048):

- ours: ``normalize_image`` (JPEG draft decoding at a reduced scale, resize, then the
  orientation applied to the small picture, metadata stripped);
- naive: ``Image.open`` -> ``ImageOps.exif_transpose`` -> ``resize(LANCZOS)`` -> save JPEG.

Time: each is run ``--repeat`` times, interleaved, and the median is taken (the machine
may be shared). Memory: each runs once in a fresh subprocess per sample, and the peak
resident set size (``VmHWM``, else ``ru_maxrss``) is read there; Pillow allocates pixel
buffers outside
Python's allocator, where ``tracemalloc`` cannot see them. The subprocess that only
imports and reads the file is the baseline.

    python bench/images.py [--repeat 7] [--memory-samples 3]

Prints the figures, then last ``ratio: X`` = ours median / naive median (target <= 0.35).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import median, ms, setup_django

WIDTH, HEIGHT = 6000, 4000
QUALITY = 92
ORIENTATION = 6


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument(
        "--memory-samples", type=int, default=3, help="subprocesses per memory figure (default 3)"
    )
    parser.add_argument("--child", choices=["ours", "naive", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# -- the input ---------------------------------------------------------------------------


def phone_photo() -> bytes:
    """A 24 MP photo-like JPEG, stored sideways with EXIF orientation 6, at quality 92."""
    from PIL import Image

    from tests.images import photo_like

    exif = Image.Exif()
    exif[0x0112] = ORIENTATION
    buffer = io.BytesIO()
    photo_like(WIDTH, HEIGHT).save(buffer, "JPEG", quality=QUALITY, exif=exif.tobytes())
    return buffer.getvalue()


# -- the two ways ------------------------------------------------------------------------


def ours(data: bytes) -> tuple[int, int, int]:
    from tryon.images import normalize_image

    result = normalize_image(data, max_bytes=len(data))
    return result.width, result.height, len(result.content)


def naive(data: bytes) -> tuple[int, int, int]:
    from PIL import Image, ImageOps

    from tryon.conf import tryon_settings
    from tryon.images import bounded_size

    with Image.open(io.BytesIO(data)) as original:
        upright = ImageOps.exif_transpose(original)
        assert upright is not None
        target = bounded_size(upright.size, int(tryon_settings.MAX_IMAGE_SIDE))
        resized = upright.convert("RGB").resize(target, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, "JPEG", quality=int(tryon_settings.JPEG_QUALITY))
    return resized.width, resized.height, len(buffer.getvalue())


WAYS = {"ours": ours, "naive": naive}


def time_both(data: bytes, repeat: int) -> dict[str, list[float]]:
    for way in WAYS.values():  # warm up: imports, libjpeg tables, the ICC cache
        way(data)
    times: dict[str, list[float]] = {name: [] for name in WAYS}
    for _ in range(repeat):
        for name, way in WAYS.items():
            started = time.perf_counter()
            way(data)
            times[name].append(time.perf_counter() - started)
    return times


# -- peak memory, in fresh processes -------------------------------------------------------


def child(kind: str, path: str) -> None:
    setup_django(migrate=False)
    data = Path(path).read_bytes()
    if kind != "baseline":
        WAYS[kind](data)
    print(json.dumps({"peak_mib": peak_rss_kib() / 1024}))


def peak_rss_kib() -> int:
    """This process's resident-set high-water mark, in KiB.

    ``VmHWM`` belongs to the address space made at exec, whereas ``ru_maxrss`` also
    keeps the parent's size at fork (it would report the benchmark's own 400 MB).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def peak_mib(kind: str, path: str, samples: int) -> float:
    peaks = []
    for _ in range(samples):
        output = subprocess.run(
            [sys.executable, __file__, "--child", kind, "--input", path],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        ).stdout
        peaks.append(json.loads(output.strip().splitlines()[-1])["peak_mib"])
    return median(peaks)


# -- report --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child(args.child, args.input)
        return 0
    setup_django(migrate=False)
    data = phone_photo()
    print(
        f"input: {WIDTH}x{HEIGHT} JPEG, quality {QUALITY}, EXIF orientation {ORIENTATION}, "
        f"{len(data) / 1e6:.1f} MB"
    )
    for name, way in WAYS.items():
        width, height, size = way(data)
        print(f"{name:>5} output: {width}x{height} JPEG, {size / 1e3:.0f} kB")

    times = time_both(data, args.repeat)
    for name, values in times.items():
        print(
            f"{name:>5} time: median {ms(median(values))}  "
            f"(min {ms(min(values))}, max {ms(max(values))}, n={len(values)})"
        )

    with tempfile.NamedTemporaryFile(suffix=".jpg") as handle:
        handle.write(data)
        handle.flush()
        baseline = peak_mib("baseline", handle.name, args.memory_samples)
        print(f"baseline peak RSS (imports + the file in memory): {baseline:.0f} MiB")
        for name in WAYS:
            peak = peak_mib(name, handle.name, args.memory_samples)
            print(f"{name:>5} peak RSS: {peak:.0f} MiB  (+{peak - baseline:.0f} MiB over baseline)")

    ratio = median(times["ours"]) / median(times["naive"])
    print(f"ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
