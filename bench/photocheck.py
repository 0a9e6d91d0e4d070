#!/usr/bin/env python
"""The photo check: the time it adds to an upload, and its verdicts on pictures with known
answers.

Time: a phone-sized upload (3024x4032 JPEG at quality 92: the half-body portrait of
``tests/photo_cases.py`` enlarged, else a photo-like texture when scikit-image is not
installed) is normalised with ``tryon.images.normalize_image`` (the baseline: every
upload pays it already), then ``tryon.photocheck.check_photo`` checks the result, with
person detection (OpenCV) and without (the cheap checks only). Medians over
``--repeat`` runs, interleaved (the machine may be shared). Also timed: the first call
in a thread (it loads the detectors) and a picture with nobody in it (the slowest path:
profiles and bodies are looked for when no frontal face is found).

Verdicts: every case of the generated set, with and without person detection, against
its true answer: a confusion table (true verdict x the check's), the cases whose verdict
or codes differ, and the cases the detectors are known to miss.

    python bench/photocheck.py [--repeat 9]

Prints the figures, then last ``ratio: X`` = check median / normalize_image median on
the phone-sized upload, with OpenCV when it is installed (else the cheap checks).
Target: <= 0.5.
"""

from __future__ import annotations

import argparse
import io
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import median, ms, setup_django

VERDICTS = ("ok", "warn", "refuse")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="timed runs of each (default 9)")
    return parser.parse_args(argv)


def phone_upload() -> tuple[bytes, str]:
    """A 3024x4032 JPEG at quality 92, and what it shows."""
    from tests import photo_cases
    from tests.images import photo_like

    if photo_cases.available():
        img, what = photo_cases.astronaut(4032).crop((504, 0, 3528, 4032)), "half-body portrait"
    else:
        img, what = photo_like(3024, 4032), "photo-like texture (no scikit-image)"
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=92)
    return buffer.getvalue(), what


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def first_call(content: bytes) -> float:
    """One check in a fresh thread: its detectors are loaded on first use."""
    from tryon.photocheck import check_photo

    took: list[float] = []
    thread = threading.Thread(target=lambda: took.append(timed(lambda: check_photo(content))))
    thread.start()
    thread.join()
    return took[0]


def timings(repeat: int, people: bool) -> float:
    """Prints the timings; returns the ratio."""
    from tryon.images import normalize_image
    from tryon.photocheck import check_photo

    data, what = phone_upload()
    normalized = normalize_image(data, max_bytes=len(data))
    content = normalized.content
    print(f"upload: {len(data) // 1024} KiB JPEG, 3024x4032, {what}")
    print(f"normalised: {normalized.width}x{normalized.height}, {len(content) // 1024} KiB")
    if people:
        print(f"first check in a thread (loads the detectors): {ms(first_call(content))}")
    check_photo(content, people=people)  # warm-up in this thread
    sides: dict[str, list[float]] = {"normalize": [], "cheap": [], "people": []}
    for _ in range(repeat):
        sides["normalize"].append(timed(lambda: normalize_image(data, max_bytes=len(data))))
        sides["cheap"].append(timed(lambda: check_photo(content, people=False)))
        if people:
            sides["people"].append(timed(lambda: check_photo(content, people=True)))
    baseline = median(sides["normalize"])
    print(f"normalize_image (baseline): {ms(baseline)}")
    cheap = median(sides["cheap"])
    print(f"check, cheap checks only:   {ms(cheap)}  ({cheap / baseline:.3f} x baseline)")
    if not people:
        print("check with person detection: OpenCV 4.x is not installed")
        return cheap / baseline
    full = median(sides["people"])
    print(f"check with OpenCV:          {ms(full)}  ({full / baseline:.3f} x baseline)")
    nobody = nobody_upload()
    if nobody is not None:
        check_photo(nobody)
        slow = median([timed(lambda: check_photo(nobody)) for _ in range(max(3, repeat // 3))])
        print(f"check with OpenCV, nobody in the picture (slowest path): {ms(slow)}")
    return full / baseline


def nobody_upload() -> bytes | None:
    from tests import photo_cases
    from tryon.images import normalize_image

    if not photo_cases.available():
        return None
    case = next(case for case in photo_cases.cases() if case.name == "coffee cup")
    return normalize_image(case.jpeg()).content


def verdict_of(check: object) -> str:
    return "refuse" if check.refusals else "warn" if check.warnings else "ok"  # type: ignore[attr-defined]


def confusion(people: bool) -> None:
    """Prints the confusion table and the mismatches of one mode."""
    from tests import photo_cases
    from tryon.images import normalize_image
    from tryon.photocheck import check_photo

    table: Counter[tuple[str, str]] = Counter()
    exact = 0
    wrong: list[str] = []
    known: list[str] = []
    cases = photo_cases.cases()
    for case in cases:
        check = check_photo(normalize_image(case.jpeg()).content, people=people)
        got, codes = verdict_of(check), sorted(check.codes)
        table[(case.verdict, got)] += 1
        if (got, codes) == (case.verdict, sorted(case.codes)):
            exact += 1
            continue
        line = f"  {case.name}: true {case.verdict} {list(case.codes)}, got {got} {codes}"
        expected = case.expected(people)
        if (got, codes) == (expected[0], sorted(expected[1])):
            known.append(line + (f" ({case.known_miss[2]})" if people and case.known_miss else ""))
        else:
            wrong.append(line)
    mode = "with person detection (OpenCV)" if people else "cheap checks only"
    print(f"\nverdicts, {mode}: {exact}/{len(cases)} exactly right (verdict and codes)")
    print("  true \\ check " + "".join(f"{v:>8}" for v in VERDICTS))
    for truth in VERDICTS:
        print(f"  {truth:13}" + "".join(f"{table[(truth, got)]:>8}" for got in VERDICTS))
    refused_wrongly = sum(table[(truth, "refuse")] for truth in ("ok", "warn"))
    print(f"  photos that could work but were refused: {refused_wrongly}")
    if known:
        why = "known misses" if people else "person checks, which need OpenCV"
        print(f"  expected differences ({why}):")
        print("\n".join(known))
    if wrong:
        print("  UNEXPECTED:")
        print("\n".join(wrong))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django(migrate=False)
    from tests import photo_cases
    from tryon.photocheck import opencv_available

    people = opencv_available()
    ratio = timings(args.repeat, people)
    if photo_cases.available():
        confusion(people=False)
        if people:
            confusion(people=True)
    else:
        print("\nverdicts: the generated set needs scikit-image's sample photographs")
    print(f"ratio: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
