"""Permissions: anonymous shoppers (a setting) and CSRF for every cookie-borne request."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import CSRFCheck, SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..conf import tryon_settings


class ShopperAllowed(BasePermission):
    """Signed-in users always; anonymous shoppers when ``TRYON['ALLOW_ANONYMOUS']``."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(tryon_settings.ALLOW_ANONYMOUS or request.user.is_authenticated)


class CsrfProtected(BasePermission):
    """Enforce Django's CSRF check on unsafe methods, for anonymous shoppers too.

    DRF's SessionAuthentication checks CSRF only for a signed-in user, but an anonymous
    shopper's POST spends the shop's credits just the same: a page on another site must
    not be able to make one. Requests authenticated by a header (a token, Basic auth)
    carry no ambient cookie and are left alone.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        authenticator = request.successful_authenticator
        if authenticator is not None and not isinstance(authenticator, SessionAuthentication):
            return True
        check = CSRFCheck(lambda _request: None)  # type: ignore[arg-type,return-value]
        django_request = request._request
        check.process_request(django_request)  # reads the CSRF cookie into META
        reason = check.process_view(django_request, None, (), {})  # type: ignore[arg-type]
        if reason:
            # Raised, not returned, so DRF answers 403 rather than "not authenticated".
            raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")
        return True
