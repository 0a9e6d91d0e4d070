"""Garments, model photos and try-on jobs."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .analytics.models import AnalyticsDashboard, TryOnEvent  # noqa: F401  (loads them)
from .products import link_problem
from .storage import configured_storage, private_folder, upload_path


def _storage() -> Any:
    # A callable (so migrations name no storage) returning a proxy that follows TRYON.
    return configured_storage


def garment_upload_to(instance: models.Model, filename: str) -> str:
    return upload_path("garments", filename)


def model_photo_upload_to(instance: models.Model, filename: str) -> str:
    # A shopper's own photo is personal data: private storage, never a public URL.
    folder = "models" if getattr(instance, "is_preset", True) else private_folder("uploads")
    return upload_path(folder, filename)


def result_upload_to(instance: models.Model, filename: str) -> str:
    return upload_path("results", filename)


class Category(models.TextChoices):
    UPPER_BODY = "upper_body", _("Upper body")
    LOWER_BODY = "lower_body", _("Lower body")
    DRESSES = "dresses", _("Dresses")


class GarmentQuerySet(models.QuerySet["Garment"]):
    def active(self) -> GarmentQuerySet:
        return self.filter(is_active=True)

    def for_product(self, product: models.Model) -> GarmentQuerySet:
        content_type = ContentType.objects.get_for_model(product)
        return self.filter(content_type=content_type, object_id=str(product.pk))


class Garment(models.Model):
    name = models.CharField(_("name"), max_length=200)
    image = models.ImageField(
        _("image"), upload_to=garment_upload_to, storage=_storage, max_length=255
    )
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.UPPER_BODY
    )
    description = models.CharField(
        _("description"),
        max_length=500,
        blank=True,
        help_text=_("English description of the garment, sent to the provider."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # SHA-256 of the normalised image sent to the provider, and the file it was taken of.
    image_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    image_hash_name = models.CharField(max_length=255, blank=True, default="", editable=False)
    # Optional link to any product model of the host shop.
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("product type")
    )
    object_id = models.CharField(_("product id"), max_length=64, blank=True, default="")
    product = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = GarmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("garment")
        verbose_name_plural = _("garments")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        # Not tied to a field: forms that set the link themselves (the Oscar dashboard's)
        # have no content_type field to hang the message on.
        problem = link_problem(self.content_type if self.content_type_id else None, self.object_id)
        if problem:
            raise ValidationError(problem, code="product")


class ModelPhotoQuerySet(models.QuerySet["ModelPhoto"]):
    def presets(self) -> ModelPhotoQuerySet:
        return self.filter(is_preset=True, is_active=True)


class ModelPhoto(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200, blank=True)
    image = models.ImageField(
        _("image"), upload_to=model_photo_upload_to, storage=_storage, max_length=255
    )
    is_preset = models.BooleanField(
        _("preset model"),
        default=True,
        help_text=_("Staff-managed preset model. Unticked: a shopper's own short-lived upload."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # SHA-256 of the normalised image sent to the provider, and the file it was taken of.
    image_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    image_hash_name = models.CharField(max_length=255, blank=True, default="", editable=False)
    # A shopper upload belongs to a user or a session and expires.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tryon_photos",
        verbose_name=_("owner"),
    )
    session_key = models.CharField(_("session"), max_length=64, blank=True, default="")
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)
    # What the shopper agreed to, and when: kept exactly as long as the photo.
    consent_version = models.CharField(
        _("consent text version"), max_length=40, blank=True, default=""
    )
    consented_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ModelPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("model photo")
        verbose_name_plural = _("model photos")
        ordering = ["-is_preset", "name", "created_at"]

    def __str__(self) -> str:
        if self.name:
            return self.name
        return (
            _("Shopper photo %(id)s") % {"id": str(self.pk)[:8]}
            if not self.is_preset
            else str(self.pk)
        )


class TryOnStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class TryOnSource(models.TextChoices):
    SHOPPER = "shopper", _("Shopper")
    PREVIEW = "preview", _("Catalogue preview")
    STAFF = "staff", _("Staff")


TERMINAL_STATUSES = (TryOnStatus.SUCCEEDED, TryOnStatus.FAILED)


class TryOnQuerySet(models.QuerySet["TryOn"]):
    def succeeded(self) -> TryOnQuerySet:
        return self.filter(status=TryOnStatus.SUCCEEDED)

    def unfinished(self) -> TryOnQuerySet:
        return self.filter(status__in=[TryOnStatus.PENDING, TryOnStatus.RUNNING])

    def previews(self) -> TryOnQuerySet:
        return self.filter(model_photo__is_preset=True, garment__isnull=False)


class TryOn(models.Model):
    Status = TryOnStatus
    Source = TryOnSource

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    garment = models.ForeignKey(
        Garment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tryons",
        verbose_name=_("garment"),
    )
    model_photo = models.ForeignKey(
        ModelPhoto, on_delete=models.CASCADE, related_name="tryons", verbose_name=_("model photo")
    )
    # Prompt mode (garment is null).
    prompt = models.TextField(_("prompt"), blank=True, default="")
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    randomize_seed = models.BooleanField(_("randomize seed"), null=True, blank=True)
    guidance_scale = models.FloatField(_("guidance scale"), null=True, blank=True)
    num_inference_steps = models.PositiveSmallIntegerField(
        _("inference steps"), null=True, blank=True
    )

    status = models.CharField(
        _("status"),
        max_length=12,
        choices=TryOnStatus.choices,
        default=TryOnStatus.PENDING,
        db_index=True,
    )
    source = models.CharField(
        _("source"), max_length=12, choices=TryOnSource.choices, default=TryOnSource.SHOPPER
    )
    result_image = models.ImageField(
        _("result"), upload_to=result_upload_to, storage=_storage, blank=True, max_length=255
    )
    mask_image = models.ImageField(
        _("mask"), upload_to=result_upload_to, storage=_storage, blank=True, max_length=255
    )
    is_preview = models.BooleanField(
        _("offline preview"),
        default=False,
        help_text=_("Made by the offline preview backend, not by the AI provider."),
    )
    error_code = models.IntegerField(_("error code"), null=True, blank=True)
    error_message = models.TextField(_("error message"), blank=True, default="")

    # Hash of everything that determines the picture: identical requests share a result.
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True, db_index=True)
    reused_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reused result of"),
    )
    # Complete the look: this step dresses the result of ``after`` (an upper-body garment
    # first, then the lower-body one), instead of the model photo itself.
    after = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="next_steps",
        verbose_name=_("dresses the result of"),
    )
    # Set while the shopper shares the result: the link shows the result and nothing else.
    share_token = models.CharField(
        _("share link token"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    provider_calls = models.PositiveIntegerField(
        _("paid provider calls"), default=0, help_text=_("Every attempt sent to the provider.")
    )
    cache_hit = models.BooleanField(_("provider cache hit"), default=False)
    # Crash safety (see tryon.paid and tryon.recovery). A paid request is recorded before
    # it is sent: ``request_sent_at`` says one is out and its outcome not yet recorded, so
    # a job that dies is never paid for twice. ``provider_answer`` keeps a successful
    # answer's result URLs until the picture is stored, so a job that dies after the
    # answer is finished from them instead of paying again.
    request_sent_at = models.DateTimeField(_("paid request sent"), null=True, blank=True)
    provider_answer = models.JSONField(_("provider answer"), null=True, blank=True)
    # The queue side: the task last enqueued for this row, when, and when a worker
    # started it, so a row whose task was taken but never ran is found and queued again.
    task_id = models.CharField(_("task id"), max_length=64, blank=True, default="")
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    picked_at = models.DateTimeField(_("picked by a worker"), null=True, blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tryons",
        verbose_name=_("owner"),
    )
    session_key = models.CharField(_("session"), max_length=64, blank=True, default="")
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TryOnQuerySet.as_manager()

    class Meta:
        verbose_name = _("try-on")
        verbose_name_plural = _("try-ons")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["fingerprint", "status"])]

    def __str__(self) -> str:
        subject = (
            self.garment.name if self.garment_id and self.garment else (self.prompt[:40] or "?")
        )
        return f"{subject} on {self.model_photo} ({self.get_status_display()})"

    @property
    def is_prompt_mode(self) -> bool:
        return self.garment_id is None

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL_STATUSES


class GenerationClaim(models.Model):
    """At most one provider call in flight per fingerprint, across all workers.

    The first job to insert the row calls the provider; others with the same fingerprint
    wait for its result instead of paying for the same picture again.
    """

    fingerprint = models.CharField(max_length=64, primary_key=True)
    tryon = models.ForeignKey(TryOn, on_delete=models.CASCADE, related_name="+")
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("generation claim")
        verbose_name_plural = _("generation claims")

    def __str__(self) -> str:
        return f"claim {self.fingerprint[:12]} by {self.tryon_id}"


class ProviderCallSlot(models.Model):
    """One lease on a provider call in flight, shared by every worker of the shop.

    There are ``MAX_CONCURRENT_CALLS`` rows in use (numbered from 0); a worker takes a
    free or expired one with a conditional UPDATE before calling the provider and frees
    it afterwards. The database is the one thing all worker processes and machines
    share, so the bound holds across all of them. ``leased_until`` returns the slot of
    a worker that died mid-call. See ``tryon.concurrency``.
    """

    number = models.PositiveSmallIntegerField(primary_key=True)
    holder = models.CharField(max_length=64, blank=True, default="")
    source = models.CharField(max_length=12, blank=True, default="")
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("provider call slot")
        verbose_name_plural = _("provider call slots")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"slot {self.number}: {self.holder or 'free'}"


class DailyUsage(models.Model):
    """Paid provider calls per day, for the store-wide cap.

    A counter of its own, not a sum over TryOn rows: deleting try-ons (a shopper's
    DELETE, cleanup, the admin) must not give back credits that were spent.
    """

    day = models.DateField(primary_key=True)
    paid_calls = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usage")

    def __str__(self) -> str:
        return f"{self.day}: {self.paid_calls} paid calls"
