"""The example shop's catalogue: one plain product model, unaware of try-on.

Try-on garments link to products through ``tryon.models.Garment``'s generic relation,
so a shop needs no change to its own models.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse


class Product(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    description = models.TextField(blank=True)
    image = models.ImageField(upload_to="products/", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("shop:product_detail", kwargs={"slug": self.slug})
