"""Files follow their rows: deleting a photo or try-on, however it happens, deletes
the files no other row still uses.

``tryon.privacy`` deletes files itself for the app's own flows; these receivers cover
everything else: a user deleted (their photos cascade), the admin's bulk delete, a
shop's own ``queryset.delete()``. See ``tryon.files``.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .analytics.events import on_tryon_finished
from .files import delete_files_after_commit
from .models import ModelPhoto, TryOn
from .signals import tryon_finished

# Funnel events and the budget alert follow every finished try-on, however it ended.
tryon_finished.connect(on_tryon_finished, dispatch_uid="tryon.analytics.finished")


@receiver(post_delete, sender=ModelPhoto, dispatch_uid="tryon.model_photo_files")
def _model_photo_deleted(sender: Any, instance: ModelPhoto, **kwargs: Any) -> None:
    delete_files_after_commit([instance.image.name or ""])


@receiver(post_delete, sender=TryOn, dispatch_uid="tryon.tryon_files")
def _tryon_deleted(sender: Any, instance: TryOn, **kwargs: Any) -> None:
    delete_files_after_commit([instance.result_image.name or "", instance.mask_image.name or ""])
