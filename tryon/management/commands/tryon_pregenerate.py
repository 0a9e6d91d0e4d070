"""Queue (and optionally wait for) previews of garments on the preset models.

Resumable: a pair whose preview already succeeded is skipped, one already queued is
left alone, a failed one is retried with ``--retry-failed``. Run it again after an
interruption and it picks up where it stopped. The jobs run on the shop's task
workers (``db_worker``, RQ...); ``--wait`` follows them with a progress bar, recovers
jobs whose worker died (``tryon.recovery``: queued again, or failed if a paid request
was out), and exits non-zero when any preview failed.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import previews
from ...conf import tryon_settings
from ...models import Garment, ModelPhoto, TryOn, TryOnStatus
from ...recovery import recover
from ._inputs import preset_models_named

_BAR_WIDTH = 24
_LINE_EVERY = 5.0  # seconds between progress lines when stdout is not a terminal


class Command(BaseCommand):
    help = (
        "Queue try-on previews of garments on preset models (skipping those already done) "
        "and, with --wait, follow them to the end with a progress bar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--garment", type=int, nargs="+", metavar="ID", help="garments (by id) to preview"
        )
        which.add_argument("--all", action="store_true", help="every active garment")
        parser.add_argument(
            "--model-photo",
            nargs="+",
            metavar="ID_OR_NAME",
            help="preset models (by id or name) to use; default: every active preset",
        )
        parser.add_argument(
            "--retry-failed", action="store_true", help="queue previews that failed before again"
        )
        parser.add_argument(
            "--wait", action="store_true", help="wait for the jobs, with a progress bar"
        )
        parser.add_argument(
            "--poll-interval", type=float, default=1.0, help="seconds between looks (--wait)"
        )
        parser.add_argument(
            "--timeout", type=float, default=None, help="give up waiting after this many seconds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        garments = self._garments(options)
        models = self._models(options)
        self.stdout.write(
            f"{len(garments)} garment(s) × {len(models)} preset model(s) = "
            f"{len(garments) * len(models)} preview(s)."
        )
        report = previews.queue_previews(garments, models, retry_failed=options["retry_failed"])
        self.stdout.write(f"Queued: {report.summary()}.")
        for problem in report.unusable:
            self.stderr.write(self.style.ERROR(f"  unusable: {problem}"))
        if options["wait"] and report.waiting_ids:
            self._wait(report.waiting_ids, options["poll_interval"], options["timeout"])
        self._summary(report)

    # -- what to preview ----------------------------------------------------------------

    def _garments(self, options: dict[str, Any]) -> list[Garment]:
        if options["all"]:
            return list(Garment.objects.active().order_by("pk"))
        wanted = options["garment"]
        found = list(Garment.objects.filter(pk__in=wanted).order_by("pk"))
        missing = sorted(set(wanted) - {g.pk for g in found})
        if missing:
            raise CommandError(f"No garment with id {', '.join(map(str, missing))}.")
        return found

    def _models(self, options: dict[str, Any]) -> list[ModelPhoto]:
        wanted = options["model_photo"]
        presets = previews.preset_models()
        found = preset_models_named(wanted, presets) if wanted else list(presets)
        if not found:
            raise CommandError("There are no active preset models: add one in the admin.")
        return found

    # -- following the jobs -------------------------------------------------------------

    def _wait(self, ids: list[str], interval: float, timeout: float | None) -> None:
        is_tty = self.stdout.isatty()
        started = time.monotonic()
        stale_after = timedelta(seconds=int(tryon_settings.STALE_RUNNING_AFTER))
        next_recovery = started + min(60.0, stale_after.total_seconds())
        first = previews.status_counts(ids)
        finished_at_start = _finished(first)
        last_line = 0.0
        while True:
            counts = previews.status_counts(ids)
            now = time.monotonic()
            done = _finished(counts) >= len(ids)
            if is_tty or done or now - last_line >= _LINE_EVERY:
                line = _progress_line(counts, len(ids), now - started, finished_at_start)
                self.stdout.write(("\r" + line) if is_tty else line, ending="" if is_tty else "\n")
                self.stdout.flush()
                last_line = now
            if done:
                break
            if timeout is not None and now - started >= timeout:
                if is_tty:
                    self.stdout.write("")
                self.stderr.write(self.style.WARNING(f"Stopped waiting after {timeout:g} s."))
                return
            if now >= next_recovery:
                # A job whose worker died stays "running" (or "pending", if it died
                # right after taking the task) forever: the same recovery as
                # tryon_recover, for our rows. Rows merely waiting in the queue stay.
                recovered = recover(stale_after, among=ids)
                if recovered.requeued:
                    self.stderr.write(
                        self.style.WARNING(
                            f"\nRe-queued {recovered.requeued} job(s) of a stopped worker."
                        )
                    )
                if recovered.failed:
                    self.stderr.write(
                        self.style.WARNING(
                            f"\n{recovered.failed} job(s) failed: their worker stopped with "
                            "a paid request out (not re-sent; --retry-failed sends it again)."
                        )
                    )
                next_recovery = now + min(60.0, stale_after.total_seconds())
            time.sleep(interval)
        if is_tty:
            self.stdout.write("")

    def _summary(self, report: previews.PreviewReport) -> None:
        ids = report.waiting_ids + report.finished_ids
        counts = previews.status_counts(ids)
        succeeded = counts[TryOnStatus.SUCCEEDED]
        failed = counts[TryOnStatus.FAILED] + len(report.unusable)
        unfinished = counts[TryOnStatus.PENDING] + counts[TryOnStatus.RUNNING]
        already = report.done + report.reused
        self.stdout.write(
            f"Summary: {report.pairs} preview(s): {succeeded} succeeded "
            f"({already} already done before this run), {failed} failed, "
            f"{unfinished} unfinished."
        )
        failures = (
            TryOn.objects.filter(pk__in=ids, status=TryOnStatus.FAILED)
            .select_related("garment", "model_photo")
            .order_by("garment__name", "model_photo__name")
        )
        for tryon in failures[:50]:
            code = f"{tryon.error_code} " if tryon.error_code is not None else ""
            self.stderr.write(
                f"  failed: {tryon.garment} on {tryon.model_photo}: {code}{tryon.error_message}"
            )
        if failed:
            hint = "" if report.retried else " Run again with --retry-failed to retry them."
            raise CommandError(f"{failed} preview(s) failed.{hint}")
        if unfinished:
            self.stdout.write("Unfinished previews are still queued; the workers will run them.")


def _finished(counts: Counter[str]) -> int:
    return counts[TryOnStatus.SUCCEEDED] + counts[TryOnStatus.FAILED]


def _progress_line(counts: Counter[str], total: int, elapsed: float, finished_before: int) -> str:
    finished = _finished(counts)
    fraction = finished / total if total else 1.0
    filled = round(fraction * _BAR_WIDTH)
    bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
    rate = (finished - finished_before) / elapsed if elapsed > 0 else 0.0
    if finished >= total:
        eta = "done"
    elif rate > 0:
        eta = "ETA " + _duration((total - finished) / rate)
    else:
        eta = "ETA --:--"
    return (
        f"[{bar}] {fraction:4.0%} {finished}/{total}  "
        f"ok {counts[TryOnStatus.SUCCEEDED]}  failed {counts[TryOnStatus.FAILED]}  "
        f"running {counts[TryOnStatus.RUNNING]}  pending {counts[TryOnStatus.PENDING]}  "
        f"{rate:.1f}/s  {eta}  elapsed {_duration(elapsed)}"
    )


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
