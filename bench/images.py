#!/usr/bin/env python
"""Normalising a 24-megapixel phone photo: ``tryon.images.normalize_image`` vs naive Pillow;
and the memory the worst accepted uploads take.

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

Hostile uploads (issue 13): for each format, the largest picture the limits accept
(``bench/_uploads.py``) is normalised in a fresh process, and its peak RSS over that
process's baseline is printed (target <= 150 MB each); then 8 uploads of the worst of
them are POSTed at once to ``api/tryons/`` in one process, as 8 threads of a server
would, and so are 8 of the issue's attack (a ~100 kB 16-bit 7000x7000 PNG, refused):
the peak RSS of that whole process is printed (target <= 1 GB).

    python bench/images.py [--repeat 7] [--memory-samples 3] [--no-hostile]

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
    parser.add_argument(
        "--no-hostile", action="store_true", help="skip the hostile uploads' memory figures"
    )
    parser.add_argument("--child", choices=[*CHILDREN], help=argparse.SUPPRESS)
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
CHILDREN = ("ours", "naive", "baseline", "upload", "upload8")


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
    if kind == "upload8":
        print(json.dumps(eight_uploads_at_once(Path(path).read_bytes())))
        return
    setup_django(migrate=False)
    data = Path(path).read_bytes()
    outcome = ""
    if kind == "upload":
        outcome = normalised_or_refused(data)
    elif kind != "baseline":
        WAYS[kind](data)
    print(json.dumps({"peak_mib": peak_rss_kib() / 1024, "outcome": outcome}))


def normalised_or_refused(data: bytes) -> str:
    from tryon.exceptions import InvalidImageError
    from tryon.images import normalize_image

    try:
        result = normalize_image(data)
    except InvalidImageError as exc:
        return f"refused: {exc}"
    return f"{result.width}x{result.height}"


def eight_uploads_at_once(data: bytes, count: int = 8) -> dict[str, object]:
    """POST ``data`` ``count`` times at once to api/tryons/ (threads of this process)."""
    import threading

    setup_django()
    from django.core.files.base import ContentFile
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests import images
    from tryon.models import Garment

    garment = Garment(name="Tee", category="upper_body")
    garment.image.save("g.png", ContentFile(images.garment_photo()), save=False)
    garment.save()
    start = current_rss_kib() / 1024
    token = "BenchCsrfToken0123456789abcdefgh"
    statuses: list[int] = []
    go = threading.Barrier(count)

    def post() -> None:
        client = Client(HTTP_X_CSRFTOKEN=token)
        client.cookies["csrftoken"] = token
        fields = {
            "garment": garment.pk,
            "model_image": SimpleUploadedFile("upload", data),
            "consent": "true",
        }
        go.wait()
        statuses.append(client.post("/tryon/api/tryons/", fields).status_code)

    threads = [threading.Thread(target=post) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"start_mib": start, "peak_mib": peak_rss_kib() / 1024, "statuses": sorted(statuses)}


def current_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


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


def run_child(kind: str, path: str) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--input", path],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    ).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return result


def mib(value: object) -> float:
    return float(str(value))


def peak_mib(kind: str, path: str, samples: int) -> float:
    return median([mib(run_child(kind, path)["peak_mib"]) for _ in range(samples)])


# -- hostile uploads: memory ---------------------------------------------------------------


def hostile_memory(samples: int) -> None:
    from bench._uploads import KINDS, estimated_cost, worst_accepted

    print("worst accepted upload of each format, normalised alone (peak RSS over baseline):")
    worst: tuple[float, str, bytes] = (0.0, "", b"")
    with tempfile.TemporaryDirectory() as folder:
        for kind in KINDS:
            size, data = worst_accepted(kind)
            path = os.path.join(folder, "upload")
            Path(path).write_bytes(data)
            baseline = peak_mib("baseline", path, samples)
            runs = [run_child("upload", path) for _ in range(samples)]
            peak = median([mib(run["peak_mib"]) for run in runs])
            over = peak - baseline
            estimate = estimated_cost(kind, size) / 2**20
            print(
                f"  {kind.label:<24} {size[0]}x{size[1]} ({size[0] * size[1] / 1e6:.1f} MP, "
                f"{len(data) / 1e3:.0f} kB): +{over:.0f} MiB (estimate {estimate:.0f} MiB) "
                f"-> {runs[0]['outcome']}"
            )
            if over > worst[0]:
                worst = (over, kind.label, data)
        print(f"  largest: +{worst[0]:.0f} MiB ({worst[1]}); target <= 150 MB")

        attack = io.BytesIO()
        from PIL import Image

        Image.new("I;16", (7000, 7000), 40000).save(attack, "PNG", optimize=True)
        for label, data in (
            (f"the worst ({worst[1]})", worst[2]),
            ("the attack", attack.getvalue()),
        ):
            path = os.path.join(folder, "upload")
            Path(path).write_bytes(data)
            result = run_child("upload8", path)
            print(
                f"8 POSTs at once of {label}, {len(data) / 1e3:.0f} kB: peak RSS "
                f"{mib(result['peak_mib']):.0f} MiB (process at {mib(result['start_mib']):.0f} "
                f"MiB before; statuses {result['statuses']}); target <= 1 GB"
            )


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

    if not args.no_hostile:
        hostile_memory(args.memory_samples)

    ratio = median(times["ours"]) / median(times["naive"])
    print(f"ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
