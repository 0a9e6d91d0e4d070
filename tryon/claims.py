"""One paying job per picture: a claim on a fingerprint, shared by every worker.

The first job to insert the ``GenerationClaim`` row calls the provider; the others with
the same fingerprint step aside and wait for its result. A claim left by a worker that
died is taken over once it is older than ``STALE_RUNNING_AFTER``, or at once when its
row is finished, but never while its row has a paid request out, or an answer not yet
stored: that row's fate (and its waiting jobs') is recovery's to decide
(``tryon.abandoned``), and paying for the same picture meanwhile is exactly the double
payment the claim exists to prevent.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .conf import tryon_settings
from .models import TERMINAL_STATUSES, GenerationClaim, TryOn, TryOnStatus


def claim(tryon: TryOn) -> bool:
    """Become the one job that calls the provider for ``tryon``'s fingerprint."""
    try:
        with transaction.atomic():
            GenerationClaim.objects.create(fingerprint=tryon.fingerprint, tryon=tryon)
        return True
    except IntegrityError:
        pass
    # A claim left by a worker that died is taken over once it is old enough.
    stale_before = timezone.now() - timedelta(seconds=int(tryon_settings.STALE_RUNNING_AFTER))
    # So is our own claim, left when this very job's worker died and it was re-queued.
    abandoned = Q(claimed_at__lt=stale_before) | Q(tryon__status__in=TERMINAL_STATUSES)
    # Never from a row with a paid request out, or with an answer its next job will
    # finish from: taking over would pay for the same picture again.
    unfinished = Q(tryon__status__in=[TryOnStatus.PENDING, TryOnStatus.RUNNING])
    in_doubt = Q(tryon__status=TryOnStatus.RUNNING, tryon__request_sent_at__isnull=False) | (
        unfinished & Q(tryon__provider_answer__isnull=False)
    )
    taken_over = (
        GenerationClaim.objects.filter(fingerprint=tryon.fingerprint)
        .filter(Q(tryon=tryon) | (abandoned & ~in_doubt))
        .update(tryon=tryon, claimed_at=timezone.now())
    )
    return taken_over == 1


def renew(tryon: TryOn) -> None:
    """Restart the claim's clock (a long wait for a provider slot must not make it stale)."""
    if tryon.fingerprint:
        GenerationClaim.objects.filter(fingerprint=tryon.fingerprint, tryon=tryon).update(
            claimed_at=timezone.now()
        )


def release(tryon: TryOn) -> None:
    """Let go of ``tryon``'s claim (nothing if another job holds it)."""
    if tryon.fingerprint:
        GenerationClaim.objects.filter(fingerprint=tryon.fingerprint, tryon=tryon).delete()


def exists(fingerprint: str) -> bool:
    return bool(fingerprint) and GenerationClaim.objects.filter(fingerprint=fingerprint).exists()
