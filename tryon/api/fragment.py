"""What the ``<tryon-widget>`` custom element fetches: the widget as JSON, and a CSRF token.

A front end that does not render Django templates (a headless shop, often on another
origin) cannot use ``{% tryon_widget %}``. ``static/tryon/element.js`` asks
``api/garments/<id>/widget/`` for the same markup the tag renders, with the translated
strings and the asset URLs, and mounts ``widget.js`` on it. A page on another origin
cannot read this origin's CSRF cookie, so the token comes in the JSON: in the markup
(as for the tag), and from ``api/csrf/`` for front ends that call the REST API with
their own interface. Neither answer may be cached by anyone but the browser: both carry
a CSRF token and depend on who asks.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from django.conf import settings
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..analytics.holdout import record_widget_render
from ..analytics.visitors import analytics_enabled
from ..models import Garment
from ..outfits import OutfitError, ordered_outfit
from ..templatetags.tryon import csrf_header_name, render_widget, widget_strings
from .fields import active_garment_field
from .schema import view_schema

LANGUAGE_PARAM = "lang"


def requested_language(request: Request) -> str:
    """``?lang=`` when the shop supports it, else the browser's (``Accept-Language``)."""
    asked = request.query_params.get(LANGUAGE_PARAM, "").strip()
    if asked:
        try:
            return translation.get_supported_language_variant(asked)
        except LookupError:
            pass  # a language the shop does not offer: as if none were asked
    return translation.get_language_from_request(request._request)


def _login_url(request: Request) -> str:
    # Absolute, and without ?next=: this request's own path is no page to come back to.
    login = str(settings.LOGIN_URL)
    with contextlib.suppress(NoReverseMatch):
        login = reverse(login)
    return request.build_absolute_uri(login)


def _private(response: Response, *, vary: list[str]) -> Response:
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Cookie", "Authorization", *vary])
    return response


class WidgetOptions(serializers.Serializer[Any]):
    """The element's ``pair`` and ``cart`` attributes, as the tag's ``pair=`` and ``cart=``."""

    pair = active_garment_field(required=False)
    cart = serializers.BooleanField(required=False, default=False)

    def validate_pair(self, pair: Garment) -> Garment:
        try:
            ordered_outfit([self.context["garment"], pair])  # itself too: not two categories
        except OutfitError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return pair


class WidgetFragmentView(APIView):
    """``GET api/garments/<id>/widget/``: the widget's markup, strings and assets.

    Answers ``{"html", "strings", "assets": {"css", "js"}, "language", "garment",
    "analytics"}``, every URL in it absolute (the preset models' pictures may be relative
    media URLs: the element resolves those against this answer's URL). 404 for a garment
    that is missing or not active, as the template tag then renders nothing.
    ``?pair=<garment id>`` offers to
    complete the look with that garment and ``?cart=true`` adds the "Add to cart" button,
    as the tag's ``pair=`` and ``cart=``; a pair that is not an active garment, or does
    not combine with this one, is a 400 naming the field.

    Analytics as for the tag: a request with the session cookie counts as a rendered
    widget, and a session in the holdout gets a 204 (the element stays empty); the
    answer's ``analytics`` names ``beacon.js`` and the beacon's URL (None when analytics
    are off). A token request carries no cookie, so no session to assign: it is outside
    the experiment and always gets the widget.
    """

    permission_classes: list[Any] = []
    schema = view_schema()

    def get(self, request: Request, pk: int) -> Response:
        garment = get_object_or_404(Garment.objects.active(), pk=pk)
        options = WidgetOptions(data=request.query_params, context={"garment": garment})
        options.is_valid(raise_exception=True)
        django_request = request._request
        with_session = request.auth is None  # not a token: the session cookie, if any
        if with_session and not record_widget_render(django_request, garment):
            return _private(Response(status=204), vary=[])  # the holdout never sees it
        language = requested_language(request)
        with translation.override(language):
            html = render_widget(
                django_request,
                garment,
                # Unique on a page holding several elements, as ids and labels need.
                widget_id=f"tryon-{garment.pk}-{secrets.token_hex(4)}",
                create_url=request.build_absolute_uri(reverse("tryon:tryon-list")),
                login_url=_login_url(request),
                include_assets=False,  # the element loads them, once per page
                cart=options.validated_data["cart"],
                pair=options.validated_data.get("pair"),
                product=str(garment.object_id or ""),
            )
            strings = widget_strings()
        response = Response(
            {
                "html": str(html),
                "strings": strings,
                "assets": {
                    "css": request.build_absolute_uri(static("tryon/widget.css")),
                    "js": request.build_absolute_uri(static("tryon/widget.js")),
                },
                "language": language,
                "garment": {"id": garment.pk, "name": garment.name},
                "analytics": _analytics(request) if with_session else None,
            }
        )
        response["Content-Language"] = language
        return _private(response, vary=["Accept-Language"])


def _analytics(request: Request) -> dict[str, str] | None:
    """Where the element sends the widget's events: beacon.js and the beacon's URL."""
    if not analytics_enabled():
        return None
    try:
        beacon = reverse("tryon:analytics-beacon")
    except NoReverseMatch:
        return None
    return {
        "script": request.build_absolute_uri(static("tryon/beacon.js")),
        "beacon": request.build_absolute_uri(beacon),
    }


class CsrfTokenView(APIView):
    """``GET api/csrf/``: ``{"csrfToken", "header"}``, and the CSRF cookie set beside it.

    For a front end on another origin that sends the session cookie (``credentials:
    "include"``): it sends the token back in ``header`` on every POST and DELETE.
    """

    permission_classes: list[Any] = []
    schema = view_schema()

    def get(self, request: Request) -> Response:
        response = Response(
            {"csrfToken": get_token(request._request), "header": csrf_header_name()}
        )
        return _private(response, vary=[])
