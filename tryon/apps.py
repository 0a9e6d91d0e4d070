from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TryOnConfig(AppConfig):
    name = "tryon"
    label = "tryon"
    verbose_name = _("Virtual try-on")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, outfits, receivers  # noqa: F401  (registers checks and receivers)
