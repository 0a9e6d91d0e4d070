"""Which of the shop's models a garment may link to: ``TRYON["PRODUCT_MODELS"]``.

A garment's product is a generic link (content type and id), so any model could be one.
The setting names the shop's product models (``["shop.Product"]``,
``["catalogue.Product"]``); left empty, any model of the shop may be linked except the
framework's own tables (Django's apps, tryon's, the task queue's, DRF's), which are never
products. The garment admin's product picker, ``Garment.clean()`` and the system check
``tryon.E014`` all read it from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from .conf import tryon_settings

# Apps (by module name) whose tables are never products when PRODUCT_MODELS is empty.
_INTERNAL_APP_PREFIXES = ("django.", "tryon.", "django_tasks", "rest_framework")
_INTERNAL_APPS = ("tryon",)


def configured_labels() -> list[str]:
    """The labels in ``TRYON["PRODUCT_MODELS"]`` (a single string counts as one)."""
    value = tryon_settings.PRODUCT_MODELS
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(label) for label in value]


def model_for_label(label: str) -> type[Model] | None:
    """The model of an ``"app_label.ModelName"`` label, or None if there is none."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def unknown_labels() -> list[str]:
    """Labels in the setting that name no installed model."""
    return [label for label in configured_labels() if model_for_label(label) is None]


def product_models() -> list[type[Model]]:
    """The models garments may link to, in a stable order."""
    labels = configured_labels()
    if labels:
        found = [model_for_label(label) for label in labels]
        return list(dict.fromkeys(model for model in found if model is not None))
    return sorted(
        (model for model in apps.get_models() if not _is_internal(model)),
        key=lambda model: model._meta.label_lower,
    )


def _is_internal(model: type[Model]) -> bool:
    name = model._meta.app_config.name
    return name in _INTERNAL_APPS or name.startswith(_INTERNAL_APP_PREFIXES)


def is_product_model(model: type[Model]) -> bool:
    # Content types name concrete models: a proxy in the setting allows its concrete model.
    concrete = model._meta.concrete_model
    return any(allowed._meta.concrete_model is concrete for allowed in product_models())


def allowed_labels_text(models: Iterable[type[Model]] | None = None) -> str:
    labels = [model._meta.label for model in (product_models() if models is None else models)]
    return ", ".join(labels) if labels else _("none")


def find_product(model: type[Model], object_id: str) -> Model | None:
    """The row of ``model`` whose primary key is ``object_id`` (a string), or None."""
    try:
        pk = model._meta.pk.to_python(object_id)  # type: ignore[union-attr]
    except ValidationError:
        return None
    try:
        return model._default_manager.filter(pk=pk).first()
    except (ValueError, TypeError):
        return None


def link_problem(content_type: ContentType | None, object_id: str) -> str | None:
    """Why a garment cannot link to this product, in words for staff; None if it can."""
    if content_type is None:
        return _("A product id needs a product type.") if object_id else None
    model = content_type.model_class()
    if model is None:
        return _("The product type %(type)s no longer exists.") % {"type": content_type}
    if not is_product_model(model):
        return _(
            "A garment cannot link to a %(model)s. Products are: %(allowed)s "
            "(TRYON['PRODUCT_MODELS'])."
        ) % {"model": model._meta.label, "allowed": allowed_labels_text()}
    if not object_id:
        return _("Choose which %(model)s the garment belongs to.") % {
            "model": model._meta.verbose_name
        }
    if find_product(model, object_id) is None:
        return _("There is no %(model)s with id %(id)s.") % {
            "model": model._meta.verbose_name,
            "id": object_id,
        }
    return None
