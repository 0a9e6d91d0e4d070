"""Forms shared by the admin and the django-oscar dashboard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import previews
from .models import ModelPhoto


class PreviewModelsForm(forms.Form):
    model_photos = forms.ModelMultipleChoiceField(
        label=_("Preset models"),
        queryset=ModelPhoto.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one preset model.")},
    )
    retry_failed = forms.BooleanField(
        label=_("Also retry previews that failed before"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read per form, not at import: presets change while the site runs.
        presets = previews.preset_models()
        field = self.fields["model_photos"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = presets
        field.initial = list(presets.values_list("pk", flat=True))
