"""django-tryon in a django-oscar shop.

Add ``"tryon.contrib.oscar.apps.TryOnOscarConfig"`` to ``INSTALLED_APPS`` (before
Oscar's apps), its URLs under the dashboard, and ``TRYON_DASHBOARD_NAVIGATION`` (from
``tryon.contrib.oscar.nav``) to ``OSCAR_DASHBOARD_NAVIGATION``: garments are then
managed in Oscar's dashboard, take their picture from the product's primary image,
and the widget goes on the product page by a template override (see docs/oscar.md).
"""
