"""An image field's input that shows the current picture beside the file chooser.

One row per image field: Django's own input shows only the file's path ("Currently:
garments/…jpg"), which made pages add a second row labelled like the field for the
thumbnail.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.widgets import AdminFileWidget

from .display import ADMIN_CSS, THUMBNAIL_SIZE, file_url


class PictureInput(AdminFileWidget):
    template_name = "admin/tryon/widgets/picture_input.html"

    class Media:
        css = {"all": (ADMIN_CSS,)}

    def __init__(self, attrs: dict[str, Any] | None = None, size: int = THUMBNAIL_SIZE) -> None:
        # A narrow chooser (admin.css): the inline's table must fit a laptop screen.
        super().__init__({"accept": "image/*", **(attrs or {})})
        self.size = size

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["picture_url"] = file_url(value) if self.is_initial(value) else ""
        context["widget"]["picture_size"] = self.size
        return context
