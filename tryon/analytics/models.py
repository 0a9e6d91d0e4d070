"""The analytics table, and the admin's "Try-on analytics" entry.

One narrow table of events, written with one INSERT each. Nothing in it names a person:
no IP address, no user agent, no user id. ``visitor`` is a keyed hash (HMAC with
``SECRET_KEY``) of the browser session, so events of one session can be counted
together without the session key being recoverable from the table.

This module imports nothing from ``tryon.models`` (which imports it so that Django
loads the models): events keep plain ids, not foreign keys, so they outlive the
garments and try-ons they were about and cost no join or cascade.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    # Recorded by the server.
    WIDGET_RENDERED = "widget_rendered", _("Widget rendered (arm recorded)")
    TRYON_REQUESTED = "tryon_requested", _("Try-on requested")
    JOB_SUCCEEDED = "job_succeeded", _("Try-on generated")
    JOB_FAILED = "job_failed", _("Try-on failed")
    TRYON_REMOVED = "tryon_removed", _("Try-on deleted")
    ADD_TO_CART = "add_to_cart", _("Added to cart")
    ORDER = "order", _("Order")
    BUDGET_ALERT = "budget_alert", _("Daily budget alert sent")
    # Sent by the widget's beacon.
    WIDGET_SHOWN = "widget_shown", _("Widget shown")
    DIALOG_OPENED = "dialog_opened", _("Dialog opened")
    TRYON_SUBMITTED = "tryon_submitted", _("Try-on submitted")
    TRYON_SUCCEEDED = "tryon_succeeded", _("Try-on shown to the shopper")
    TRYON_FAILED = "tryon_failed", _("Try-on failure shown to the shopper")
    RESULT_VIEWED = "result_viewed", _("Result viewed")
    RESULT_DOWNLOADED = "result_downloaded", _("Result downloaded")
    TRYON_DELETED = "tryon_deleted", _("Try-on deleted by the shopper")


#: What the widget may report through the beacon; anything else is refused.
BEACON_KINDS = frozenset(
    {
        EventKind.WIDGET_SHOWN,
        EventKind.DIALOG_OPENED,
        EventKind.TRYON_SUBMITTED,
        EventKind.TRYON_SUCCEEDED,
        EventKind.TRYON_FAILED,
        EventKind.RESULT_VIEWED,
        EventKind.RESULT_DOWNLOADED,
        EventKind.TRYON_DELETED,
    }
)
CONVERSION_KINDS = (EventKind.ADD_TO_CART, EventKind.ORDER)
JOB_KINDS = (EventKind.JOB_SUCCEEDED, EventKind.JOB_FAILED)


class Arm(models.TextChoices):
    EXPOSED = "exposed", _("Exposed (sees the widget)")
    HOLDOUT = "holdout", _("Holdout (never sees the widget)")


class TryOnEvent(models.Model):
    """One thing that happened around try-on, kept ``ANALYTICS_RETENTION_DAYS`` days."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The local date, stored so the dashboard groups by day without a date function
    # over every row.
    day = models.DateField()
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    # HMAC-SHA256 (keyed with SECRET_KEY) of the session, first 32 hex digits; "" if none.
    visitor = models.CharField(max_length=32, blank=True, default="")
    # The holdout arm: set on renders, and on conversions attributed to a render.
    arm = models.CharField(max_length=8, blank=True, default="", choices=Arm.choices)
    garment_pk = models.BigIntegerField(null=True, blank=True)
    tryon_id = models.UUIDField(null=True, blank=True)
    source = models.CharField(max_length=12, blank=True, default="")  # shopper|preview|staff
    # The shop's product as "app_label.model:pk", for conversions.
    product = models.CharField(max_length=100, blank=True, default="")
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    wait_ms = models.PositiveIntegerField(null=True, blank=True)
    calls = models.PositiveIntegerField(null=True, blank=True)  # paid provider calls
    code = models.IntegerField(null=True, blank=True)  # the provider's error code
    reused = models.BooleanField(default=False)  # answered from an earlier result

    class Meta:
        verbose_name = _("try-on event")
        verbose_name_plural = _("try-on events")
        indexes = [
            # The dashboard: events of some kinds in a date range.
            models.Index(fields=["kind", "created_at"], name="tryon_event_kind_time"),
            # Attribution: did this session see the widget (or try on) in the window?
            models.Index(fields=["visitor", "kind", "created_at"], name="tryon_event_visitor"),
            # Retention: delete by age.
            models.Index(fields=["created_at"], name="tryon_event_time"),
        ]
        constraints = [
            # The daily budget alert is sent once a day, however many workers cross it.
            models.UniqueConstraint(
                fields=["day"],
                condition=Q(kind="budget_alert"),
                name="tryon_event_one_budget_alert_a_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"


class AnalyticsDashboard(models.Model):
    """No table: the admin's "Try-on analytics" entry, and its permission."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_analytics", _("Can view try-on analytics"))]
        verbose_name = _("try-on analytics")
        verbose_name_plural = _("try-on analytics")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
