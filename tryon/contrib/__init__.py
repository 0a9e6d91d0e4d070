"""Integrations of django-tryon with e-commerce frameworks (each optional)."""
