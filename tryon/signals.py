"""Signals a host shop can connect to."""

from django.dispatch import Signal

#: Sent when a TryOn reaches ``succeeded`` or ``failed``.
#: Arguments: ``sender`` (the TryOn class), ``tryon``, ``succeeded`` (bool).
tryon_finished = Signal()
