"""django-tryon: virtual try-on for Django shops."""

__version__ = "0.1.0"
