"""Product admin with the try-on garments of each product inline and the preview actions."""

from __future__ import annotations

from django.contrib import admin

from tryon.admin import TryOnProductAdminMixin, thumbnail

from .models import Product


@admin.register(Product)
class ProductAdmin(TryOnProductAdminMixin, admin.ModelAdmin):
    # TryOnProductAdminMixin adds GarmentInline and the two preview actions. A product
    # admin registered by someone else gets them with tryon.admin.add_garment_inline().
    list_display = ["name", "image_thumbnail", "price", "slug"]
    search_fields = ["name", "description"]  # also what the garment's product picker searches
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="image")
    def image_thumbnail(self, obj: Product) -> str:
        return thumbnail(obj.image)
