"""The analytics table, and the admin's "Try-on analytics" entry.

One narrow table of events, written with one INSERT each. Nothing in it names a person:
no IP address, no user agent, no user id. ``visitor`` is a keyed hash (HMAC with
``SECRET_KEY``, 64 bits) of the browser session, so events of one session can be counted
together without the session key being recoverable from the table.

Two small tables of daily totals (``rollup.py``) keep the dashboard fast over millions of
events: days that are over are summed once, only the last two are read from events.

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
    # HMAC-SHA256 (keyed with SECRET_KEY) of the session, first 64 bits; 0 if none.
    visitor = models.BigIntegerField(default=0)
    # The holdout arm: set on renders, and on conversions attributed to a render.
    arm = models.CharField(max_length=8, blank=True, default="", choices=Arm.choices)
    # The session's first widget render: when it joined the experiment, in its arm.
    assigned = models.BooleanField(default=False)
    # On conversions and try-on requests: when the session joined, in ``arm`` (from the
    # session), so the holdout's cohorts need no look-up.
    joined_at = models.DateTimeField(null=True, blank=True)
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
            # The dashboard: events of some kinds in a time range, and their sessions
            # (counted from the index alone).
            models.Index(fields=["kind", "created_at", "visitor"], name="tryon_event_kind_time"),
            # Attribution: did this session see the widget (or join, in which arm) in the
            # window? Answered from the index alone.
            models.Index(
                fields=["visitor", "kind", "created_at", "arm", "assigned"],
                name="tryon_event_visitor",
            ),
            # The holdout's cohorts: conversions and try-on requests of sessions that
            # joined in a range, read from the index alone. Partial: only those rows.
            models.Index(
                fields=["kind", "joined_at", "arm", "visitor", "created_at", "value"],
                condition=Q(joined_at__isnull=False),
                name="tryon_event_cohort",
            ),
            # The ledger: which try-ons have their finish recorded. Partial: only events
            # about a try-on pay for it.
            models.Index(
                fields=["tryon_id"],
                condition=Q(tryon_id__isnull=False),
                name="tryon_event_tryon",
            ),
            # Daily totals and retention: events by time.
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


class TryOnEventDay(models.Model):
    """Totals of one day's events per kind, arm, garment, source, reuse and error code
    (``rollup.py``). A row with an empty ``kind`` marks the day as summed. ``garment_pk``
    and ``code`` 0: none."""

    day = models.DateField()
    kind = models.CharField(max_length=24, blank=True)
    arm = models.CharField(max_length=8, blank=True, default="")
    garment_pk = models.BigIntegerField(default=0)
    source = models.CharField(max_length=12, blank=True, default="")
    reused = models.BooleanField(default=False)
    code = models.IntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    assignments = models.PositiveIntegerField(default=0)  # sessions that joined that day
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    wait_ms = models.BigIntegerField(default=0)  # total, over ``waits`` events
    waits = models.PositiveIntegerField(default=0)
    calls = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("try-on events of a day")
        verbose_name_plural = _("try-on events of a day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "arm", "garment_pk", "source", "reused", "code"],
                name="tryon_event_day_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind or '(summed)'}: {self.events}"


class TryOnVisitDay(models.Model):
    """Sessions (distinct visitors) of one day per kind and arm: a day's visits."""

    day = models.DateField()
    kind = models.CharField(max_length=24)
    arm = models.CharField(max_length=8, blank=True, default="")
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("try-on visits of a day")
        verbose_name_plural = _("try-on visits of a day")
        constraints = [
            models.UniqueConstraint(fields=["day", "kind", "arm"], name="tryon_visit_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.visits}"


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
