"""Share links: a shopper shows one result to someone else, and nothing more.

Sharing is opt-in per try-on. The link carries an unguessable token; it shows the
result picture only (never the shopper's upload, name or anything else of theirs),
and it dies with the try-on: when the shopper stops sharing, deletes it, or it
expires with the photo it was made from.
"""

from __future__ import annotations

import secrets

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .models import TryOn, TryOnStatus


class NotShareable(ValueError):
    """Only a finished, successful try-on can be shared."""


def share(tryon: TryOn) -> str:
    """The try-on's share token, made on first use."""
    if tryon.status != TryOnStatus.SUCCEEDED or not tryon.result_image:
        raise NotShareable("Only a finished try-on can be shared.")
    if not tryon.share_token:
        token = secrets.token_urlsafe(24)
        TryOn.objects.filter(pk=tryon.pk, share_token__isnull=True).update(share_token=token)
        tryon.refresh_from_db(fields=["share_token"])
    assert tryon.share_token
    return tryon.share_token


def unshare(tryon: TryOn) -> None:
    TryOn.objects.filter(pk=tryon.pk).update(share_token=None)
    tryon.share_token = None


def share_path(tryon: TryOn) -> str | None:
    """The share page's path while the try-on is shared."""
    if not tryon.share_token:
        return None
    return reverse("tryon:share-page", kwargs={"token": tryon.share_token})


def shared_tryon(token: str) -> TryOn | None:
    """The shared try-on behind ``token``, if still shared, succeeded and not expired."""
    if not token or len(token) > 64:
        return None
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    return (
        TryOn.objects.filter(live, share_token=token, status=TryOnStatus.SUCCEEDED)
        .select_related("garment")
        .first()
    )
