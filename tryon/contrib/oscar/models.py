"""Which garments take their picture from their Oscar product, and from which file."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tryon.models import Garment


class PictureFromProduct(models.Model):
    """A garment whose picture is a copy of its product's primary image, kept in step.

    Only garments with a row here follow their product: a garment with a picture of
    its own (a flat lay, say) is never overwritten. ``source_name`` is the product
    image file copied last, so an unchanged primary image is not copied again.
    """

    garment = models.OneToOneField(
        Garment,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="oscar_picture",
        verbose_name=_("garment"),
    )
    source_name = models.CharField(_("copied from"), max_length=255, blank=True, default="")
    copied_name = models.CharField(_("copy"), max_length=255, blank=True, default="")
    synced_at = models.DateTimeField(_("copied at"), null=True, blank=True)

    # Declared, not implied: type checkers then know it whichever settings they load.
    objects: models.Manager[PictureFromProduct] = models.Manager()

    class Meta:
        verbose_name = _("garment picture from its product")
        verbose_name_plural = _("garment pictures from their products")

    def __str__(self) -> str:
        return f"{self.garment} <- {self.source_name or '?'}"
