"""The dashboard pages: garments listed, created from a product, edited, previewed.

Access is checked by ``TryOnOscarConfig`` (Oscar wraps each URL with its permissions),
so the views themselves only do their job.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import generic

from tryon.models import Garment

from ...forms import PreviewModelsForm
from . import actions
from .forms import GarmentForm, GarmentSearchForm
from .nav import DASHBOARD_NAMESPACE
from .pictures import follow_product_picture, stop_following
from .products import link_to_product, product_content_type, product_model, product_of

TEMPLATES = "tryon/oscar/dashboard"
LIST_URL = reverse_lazy(f"{DASHBOARD_NAMESPACE}:tryon-garment-list")


def _garments_from(request: HttpRequest) -> QuerySet[Garment]:
    """The garments a page was asked about (``garment`` ids, in the query or the form)."""
    source = request.POST if request.method == "POST" else request.GET
    ids = [value for value in source.getlist("garment") if value.isdigit()]
    return Garment.objects.filter(pk__in=ids).order_by("name", "pk")


def _next_url(request: HttpRequest) -> str:
    """Where to go back to: a safe ``next`` (the product page, say), else the list."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return str(LIST_URL)


class GarmentListView(generic.ListView[Garment]):
    template_name = f"{TEMPLATES}/garment_list.html"
    context_object_name = "garments"
    paginate_by = 20

    def get_queryset(self) -> QuerySet[Garment]:
        queryset = Garment.objects.order_by("name", "pk")
        self.form = GarmentSearchForm(self.request.GET or None)
        if self.form.is_valid() and self.form.cleaned_data["q"]:
            query = self.form.cleaned_data["q"]
            products = product_model()._default_manager.filter(title__icontains=query)
            product_ids = [str(pk) for pk in products.values_list("pk", flat=True)[:500]]
            queryset = queryset.filter(
                Q(name__icontains=query)
                | Q(content_type=product_content_type(), object_id__in=product_ids)
            )
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        presets = list(actions.preset_models())
        context["rows"] = [
            {
                "garment": garment,
                "product": product_of(garment),
                "counts": actions.state_counts(actions.preview_states(garment, presets)),
            }
            for garment in context["garments"]
        ]
        context["presets"] = presets
        context["form"] = self.form
        return context


def _save_garment(request: HttpRequest, form: GarmentForm) -> HttpResponse:
    """Save a valid garment form: the product link, and the picture from the product or its own."""
    garment = form.save(commit=False)
    product = form.cleaned_data.get("product")
    link_to_product(garment, product)
    if form.cleaned_data.get("picture_from_product") and product is not None:
        follow_product_picture(garment, product)
    else:
        garment.save()
        stop_following(garment)
    messages.success(request, _("Garment “%(name)s” saved.") % {"name": garment.name})
    if "continue" in request.POST:
        return redirect(f"{DASHBOARD_NAMESPACE}:tryon-garment-update", pk=garment.pk)
    return HttpResponseRedirect(_next_url(request))


class GarmentCreateView(generic.CreateView[Garment, GarmentForm]):
    """A new garment; ``?product=<id>`` starts from that product (its title and image)."""

    model = Garment
    form_class = GarmentForm
    template_name = f"{TEMPLATES}/garment_form.html"

    def form_valid(self, form: GarmentForm) -> HttpResponse:
        return _save_garment(self.request, form)

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        product_id = self.request.GET.get("product", "")
        if product_id.isdigit():
            product: Any = product_model()._default_manager.filter(pk=int(product_id)).first()
            if product is not None:
                initial.update(product=product, name=product.get_title())
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = _("Create a try-on garment")
        context["next"] = _next_url(self.request)
        return context


class GarmentUpdateView(generic.UpdateView[Garment, GarmentForm]):
    model = Garment
    form_class = GarmentForm
    template_name = f"{TEMPLATES}/garment_form.html"

    def form_valid(self, form: GarmentForm) -> HttpResponse:
        return _save_garment(self.request, form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        garment = self.object
        context["next"] = _next_url(self.request)
        context["title"] = _("Try-on garment “%(name)s”") % {"name": garment.name}
        context["product"] = product_of(garment)
        context["states"] = actions.preview_states(garment, list(actions.preset_models()))
        return context


class GarmentDeleteView(generic.DeleteView[Garment, Any]):
    model = Garment
    template_name = f"{TEMPLATES}/garment_delete.html"
    success_url = LIST_URL

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = _("Delete “%(name)s”?") % {"name": self.object.name}
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        name = self.get_object().name
        response = super().form_valid(form)
        messages.success(self.request, _("Garment “%(name)s” deleted.") % {"name": name})
        return response


class GeneratePreviewsView(generic.TemplateView):
    """Choose preset models, see what will be queued and what skipped and why, then queue.

    Reached with the garments' ids as ``garment`` (from the list's checkboxes, a
    garment's page or a product's page); the confirmation posts them back.
    """

    template_name = f"{TEMPLATES}/generate_previews.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._page(PreviewModelsForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # From the list's checkboxes: a first look. "refresh": the plan for the models
        # chosen. "apply": queue them.
        if not {"apply", "refresh"} & set(request.POST):
            return self._page(PreviewModelsForm())
        form = PreviewModelsForm(request.POST)
        garments = list(_garments_from(request))
        if "apply" not in request.POST or not form.is_valid() or not garments:
            return self._page(form)
        report = actions.queue_previews(
            garments,
            list(form.cleaned_data["model_photos"]),
            retry_failed=form.cleaned_data["retry_failed"],
        )
        _report(request, report)
        return HttpResponseRedirect(_next_url(request))

    def _page(self, form: PreviewModelsForm) -> HttpResponse:
        garments = list(_garments_from(self.request))
        if form.is_bound and form.is_valid():
            models = list(form.cleaned_data["model_photos"])
            retry = form.cleaned_data["retry_failed"]
        else:
            models = list(actions.preset_models())
            retry = bool(form["retry_failed"].value())
        plans = actions.plan_previews(garments, models, retry_failed=retry)
        return self.render_to_response(
            self.get_context_data(
                form=form,
                garments=garments,
                plans=plans,
                to_queue=sum(len(plan.to_queue) for plan in plans),
                has_presets=actions.preset_models().exists(),
                title=_("Generate try-on previews"),
                next=_next_url(self.request),
            )
        )


class RetryFailedView(generic.View):
    """Queue the selected garments' failed previews again (POST only)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        garments = list(_garments_from(request))
        if not garments:
            messages.warning(request, _("No garment was selected."))
            return HttpResponseRedirect(_next_url(request))
        report = actions.retry_failed_previews(garments)
        message = ngettext(
            "%(count)d failed preview queued again.",
            "%(count)d failed previews queued again.",
            report.retried,
        ) % {"count": report.retried}
        if report.retried:
            messages.success(request, message)
        else:
            messages.info(request, message)
        return HttpResponseRedirect(_next_url(request))


def _report(request: HttpRequest, report: actions.PreviewReport) -> None:
    summary = _("Try-on previews: %(summary)s.") % {"summary": report.summary()}
    if report.unusable:
        messages.warning(request, summary)
    else:
        messages.success(request, summary)
    for problem in report.unusable[:10]:
        messages.error(request, problem)
