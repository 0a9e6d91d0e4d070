"""Product admin with the try-on garments of each product inline."""

from __future__ import annotations

from django.contrib import admin

from tryon.admin import GarmentInline, thumbnail

from .models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "image_thumbnail", "price", "slug"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [GarmentInline]

    @admin.display(description="image")
    def image_thumbnail(self, obj: Product) -> str:
        return thumbnail(obj.image)
