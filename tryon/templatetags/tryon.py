"""``{% load tryon %}``: the "Try it on" widget and a garment's previews.

``{% tryon_widget obj %}`` and ``{% tryon_previews obj %}`` take a Garment or any product
linked to one, and render nothing when there is no active garment. The widget's CSS
and JavaScript (plain files in ``static/tryon/``) are included once per page, however
many widgets or preview lists it has.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..analytics.holdout import in_holdout, record_widget_render
from ..api.ownership import ensure_session
from ..conf import tryon_settings
from ..exceptions import LimitExceededError
from ..limits import shopper_cap_reached
from ..models import Garment, ModelPhoto
from ..previews import garment_previews

logger = logging.getLogger("tryon.templatetags")
register = template.Library()

_PAGE_STATE = "_tryon_page_state"


def garment_for(obj: Any) -> Garment | None:
    """The active garment of ``obj`` (a Garment, or a product linked to one), else None."""
    if obj is None or obj == "":
        return None
    if isinstance(obj, Garment):
        return obj if obj.is_active else None
    if getattr(obj, "pk", None) is None or not hasattr(obj, "_meta"):
        return None
    return Garment.objects.active().for_product(obj).order_by("pk").first()


@register.simple_tag
def tryon_garment(obj: Any) -> Garment | None:
    """``{% tryon_garment product as garment %}``: to show headings only when there is one."""
    return garment_for(obj)


def _page_state(context: template.Context) -> dict[str, Any]:
    # Per page: on the request when there is one (it outlives included templates and
    # separate fragments), else on the context's own bottom layer.
    request = context.get("request")
    if request is not None:
        state = getattr(request, _PAGE_STATE, None)
        if state is None:
            state = {"assets": False, "count": 0}
            setattr(request, _PAGE_STATE, state)
        return state
    return context.dicts[0].setdefault(_PAGE_STATE, {"assets": False, "count": 0})


def _assets_once(context: template.Context) -> bool:
    """True the first time on a page: the caller then includes the CSS, JS and strings."""
    state = _page_state(context)
    first = not state["assets"]
    state["assets"] = True
    return first


def _retention_text() -> str:
    seconds = int(tryon_settings.SHOPPER_PHOTO_TTL)
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def widget_strings() -> dict[str, str]:
    """Every text the widget's JavaScript shows, translated here (the JS has none)."""
    return {
        "statusPending": _("Waiting for the try-on to start…"),
        "statusRunning": _("Creating your try-on…"),
        "elapsed": _("%(seconds)s s"),
        "errorNetwork": _(
            "The try-on service could not be reached. Please check your connection and try again."
        ),
        "errorGeneric": _("The try-on could not be generated."),
        "errorForbidden": _("Your session has expired. Please reload the page and try again."),
        "errorChooseModel": _("Please choose a model or your own photo."),
        "errorChooseFile": _("Please choose or take a photo."),
        "errorConsent": _("Please tick the box to agree to your photo being used."),
        "errorTooLarge": _("The photo is larger than %(size)s."),
        "errorTimeout": _("This is taking longer than expected. Please try again later."),
        "deleted": _("Your photo and try-on have been deleted."),
        "resultAlt": _("%(name)s, tried on"),
        "beforeAlt": _("Your photo, before"),
    }


def _create_url() -> str | None:
    try:
        return reverse("tryon:tryon-list")
    except NoReverseMatch:
        logger.error("{% tryon_widget %}: tryon.urls is not included (namespace 'tryon').")
        return None


def _login_url(request: Any) -> str:
    login = str(settings.LOGIN_URL)
    with contextlib.suppress(NoReverseMatch):
        login = reverse(login)
    if request is not None:
        return f"{login}?{urlencode({'next': request.get_full_path()})}"
    return login


def _limit_reached() -> bool:
    try:
        return shopper_cap_reached()
    except Exception:  # a misconfigured backend must not break the product page
        logger.exception("{% tryon_widget %}: could not check the daily cap")
        return False


def render_widget(
    request: Any,
    garment: Garment,
    *,
    widget_id: str,
    create_url: str,
    login_url: str,
    include_assets: bool,
) -> SafeString:
    """The widget's markup for ``garment``: the tag's, and the ``<tryon-widget>`` fragment's."""
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    presets = list(ModelPhoto.objects.presets())
    return render_to_string(
        "tryon/widget.html",
        {
            "garment": garment,
            "widget_id": widget_id,
            "include_assets": include_assets,
            "strings": widget_strings(),
            "presets": presets,
            "create_url": create_url,
            "csrf_token": get_token(request) if request is not None else "",
            "csrf_header": csrf_header_name(),
            "max_bytes": int(tryon_settings.MAX_UPLOAD_BYTES),
            "retention": _retention_text(),
            "needs_sign_in": not tryon_settings.ALLOW_ANONYMOUS and not signed_in,
            "login_url": login_url,
            "unavailable_message": str(LimitExceededError.user_message) if _limit_reached() else "",
            "analytics": bool(tryon_settings.ANALYTICS),
        },
    )


@register.simple_tag(takes_context=True)
def tryon_widget(context: template.Context, obj: Any) -> SafeString:
    """The "Try it on" button and dialog for ``obj``; nothing without an active garment."""
    garment = garment_for(obj)
    if garment is None:
        return mark_safe("")
    create_url = _create_url()
    if create_url is None:
        return mark_safe("")
    request = context.get("request")
    if not record_widget_render(request, garment):
        return mark_safe("")  # the session is in the holdout arm: it never sees try-on
    state = _page_state(context)
    state["count"] += 1
    if request is not None:
        # The session cookie comes with the page, before any upload (ensure_session).
        ensure_session(request)
    return render_widget(
        request,
        garment,
        widget_id=f"tryon-{garment.pk}-{state['count']}",
        create_url=create_url,
        login_url=_login_url(request),
        include_assets=_assets_once(context),
    )


@register.simple_tag(takes_context=True)
def tryon_previews(context: template.Context, obj: Any) -> SafeString:
    """The garment of ``obj`` on each preset model; nothing when there are none."""
    garment = garment_for(obj)
    if garment is None or in_holdout(context.get("request")):
        return mark_safe("")
    previews = garment_previews(garment)
    if not previews:
        return mark_safe("")
    return render_to_string(
        "tryon/previews.html",
        {
            "garment": garment,
            "previews": previews,
            "include_assets": _assets_once(context),
            "strings": widget_strings(),
        },
    )


def csrf_header_name() -> str:
    """The CSRF header as a browser sends it (``X-CSRFToken`` by default)."""
    # Django's setting is the META key (HTTP_X_CSRFTOKEN); the browser sends X-CSRFToken.
    meta_key = str(settings.CSRF_HEADER_NAME)
    name = meta_key[5:] if meta_key.startswith("HTTP_") else meta_key
    return "-".join(part.capitalize() for part in name.split("_"))
