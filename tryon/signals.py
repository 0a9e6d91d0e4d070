"""Signals a host shop can connect to."""

from django.dispatch import Signal

#: Sent when a TryOn reaches ``succeeded`` or ``failed``.
#: Arguments: ``sender`` (the TryOn class), ``tryon``, ``succeeded`` (bool).
tryon_finished = Signal()

#: Sent once a day when the day's paid provider calls pass ``TRYON["DAILY_BUDGET_ALERT"]``.
#: Arguments: ``sender`` (the DailyUsage class), ``day``, ``paid_calls``, ``threshold``.
budget_alert = Signal()

#: Sent after ``tryon_forget`` (or :func:`tryon.erasure.forget`) deleted a person's data.
#: Arguments: ``sender`` (None), ``person`` (a :class:`tryon.erasure.Person`: the user ids
#: and session keys it covered), ``report`` (what was deleted). A shop's own privacy
#: tooling, or an app keeping its own records of the same shopper, connects here.
personal_data_erased = Signal()

#: Sent after ``tryon_export`` (or :func:`tryon.erasure.export`) wrote a person's data.
#: Arguments: ``sender`` (None), ``person``, ``path`` (the zip written).
personal_data_exported = Signal()
