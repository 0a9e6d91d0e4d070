"""The admin's "Try-on analytics" page: the summary laid out, its charts, CSV export.

Kept apart from ``admin.py`` (which only wires it into the admin) so a shop can reuse
``dashboard_context`` in a page of its own.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import HttpResponse
from django.utils import timezone

from . import charts
from .report import summary

DEFAULT_DAYS = 30
MAX_DAYS = 731


class RangeForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError("The start date must not be after the end date.")
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(f"Choose a range of at most {MAX_DAYS} days.")
        data.update(start=start, end=end)
        return data


def date_range(params: Any) -> tuple[date, date, RangeForm]:
    """The range asked for in ``params`` (GET), else the last ``DEFAULT_DAYS`` days."""
    form = RangeForm(params)
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        # Bound to what is shown, so the date fields say it even when left empty.
        return start, end, RangeForm({"start": start, "end": end})
    end = timezone.localdate()
    return end - timedelta(days=DEFAULT_DAYS - 1), end, form


def percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


def signed_points(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.2f} pt"


def _comparison_rows(holdout: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, label, points in (
        ("orders", "Conversion rate (orders)", True),
        ("carts", "Add-to-cart rate", True),
        ("revenue_per_session", "Revenue per session", False),
    ):
        result = holdout[key]
        rows.append(
            {
                "label": label,
                "result": result,
                "treatment": percent(result["treatment"], 2)
                if points
                else f"{result['treatment']:.2f}",
                "control": percent(result["control"], 2) if points else f"{result['control']:.2f}",
                "difference": _difference_text(result, points),
                "lift": _lift_text(result),
            }
        )
    return rows


def _difference_text(result: dict[str, Any], points: bool) -> str:
    if not result["enough_data"]:
        return ""
    show = signed_points if points else (lambda v: f"{v:+.2f}")
    return (
        f"{show(result['difference'])} "
        f"(95% CI {show(result['difference_low'])} to {show(result['difference_high'])})"
    )


def _lift_text(result: dict[str, Any]) -> str:
    if not result["enough_data"] or result["lift"] is None:
        return ""
    return (
        f"{result['lift'] * 100:+.1f} % "
        f"(95% CI {result['lift_low'] * 100:+.1f} % to {result['lift_high'] * 100:+.1f} %)"
    )


def _interval_chart(rows: list[dict[str, Any]]) -> Any:
    shown = [
        (
            row["label"],
            row["result"]["difference"],
            row["result"]["difference_low"],
            row["result"]["difference_high"],
            row["difference"],
        )
        for row in rows
        if row["result"]["enough_data"]
    ]
    if not shown:
        return None
    return charts.intervals("Difference exposed minus holdout, with 95% intervals", shown)


def dashboard_context(params: Any) -> dict[str, Any]:
    """Everything the dashboard template shows, for the range in ``params``."""
    start, end, form = date_range(params)
    figures = summary(start, end)
    daily = figures["daily"]
    days = [row["day"] for row in daily]
    funnel = figures["funnel"]
    for step in funnel:
        step["share_text"] = percent(step["share"])
    comparison = _comparison_rows(figures["holdout"])
    book = figures["ledger"]
    return {
        "form": form,
        "start": start,
        "end": end,
        "figures": figures,
        "funnel_chart": charts.horizontal_bars(
            "Funnel: visits at each step",
            [(step["label"], step["visits"], percent(step["share"])) for step in funnel],
        ),
        "daily_chart": charts.daily_lines(
            "Per day: widget renders, try-ons requested, orders",
            days,
            [
                ("widget renders", [row["rendered"] for row in daily]),
                ("try-ons", [row["tryons"] for row in daily]),
                ("orders", [row["orders"] for row in daily]),
            ],
        ),
        "calls_chart": charts.daily_bars(
            "Paid provider calls per day",
            days,
            [row.get("paid_calls", 0) for row in daily],
            book["cap"]["limit"],
        ),
        "comparison": comparison,
        "interval_chart": _interval_chart(comparison),
        "naive_rows": _naive_rows(figures["naive"]),
        "arm_rows": _arm_rows(figures["arms"]),
        "busiest_share": percent(book["cap"]["busiest_share"]) if book["cap"]["limit"] else "",
    }


def _arm_rows(arms: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, label in (("exposed", "Exposed (saw the widget)"), ("holdout", "Holdout")):
        arm = arms[key]
        per_session = arm["revenue_per_session"]
        rows.append(
            {
                **arm,
                "label": label,
                "conversion_rate": percent(arm["conversion_rate"], 2),
                "cart_rate": percent(arm["cart_rate"], 2),
                "revenue_per_session": "–" if per_session is None else f"{per_session:.2f}",
            }
        )
    return rows


def _naive_rows(naive: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "label": label,
            "sessions": group["sessions"],
            "conversions": group["conversions"],
            "conversion_rate": percent(group["conversion_rate"], 2),
            "carts": group["carts"],
            "cart_rate": percent(group["cart_rate"], 2),
        }
        for label, group in (
            ("Used try-on", naive["used_tryon"]),
            ("Did not", naive["did_not"]),
        )
    ]


CSV_TABLES = ("daily", "products", "funnel")


def csv_export(params: Any) -> HttpResponse:
    """The ``table`` (daily, products or funnel) of the range in ``params``, as CSV."""
    start, end, _form = date_range(params)
    table = params.get("table", "daily")
    if table not in CSV_TABLES:
        table = "daily"
    figures = summary(start, end)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="tryon-analytics-{table}-{start}-{end}.csv"'
    )
    writer = csv.writer(response)
    if table == "daily":
        columns = ["day", "rendered", "tryons", "carts", "orders", "revenue", "paid_calls"]
        rows = figures["daily"]
    elif table == "products":
        columns = ["garment", "name", "rendered", "opened", "tryons", "shown", "carts", "orders"]
        columns += ["revenue", "paid_calls", "failed", "reused"]
        rows = figures["products"]
    else:
        columns = ["kind", "label", "visits", "events", "share"]
        rows = figures["funnel"]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column, "")) for column in columns])
    return response


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a garment name must not run as a spreadsheet formula
    return "" if value is None else value
