from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from config.forms import form_errors
from config.roles import ADMINS, LABELERS, MANAGERS, role_required, signed_in_user
from feedback import presenters
from feedback.forms import (
    DashboardForm,
    DrilldownForm,
    LabelForm,
    LeadRefForm,
    ReasonAddForm,
    ReasonFieldsForm,
    ReasonRenameForm,
)
from feedback.models import Reason
from feedback.selectors import (
    NO_VALUE,
    QUEUE_COUNT_CAP,
    LabelFilters,
    disagreements,
    labels_drilldown,
    labels_filtered,
    labels_today,
    queue_remaining,
    reason_counts,
    reason_mix,
    reasons_by_outcome,
    team_activity,
    undoable_label,
)
from feedback.services import (
    UNDO_WINDOW,
    LabelError,
    label_submit,
    label_undo,
    lead_skip,
    lease_next_leads,
    reason_add,
    reason_rename,
    reason_set_active,
    reason_set_fields,
)
from leads.selectors import lead_activities, lead_get_or_404
from learning.scoring import explain_leads
from learning.selectors import loop_settings, model_quality
from learning.why import known_lead_fields, why_bought


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _queue_context(user: User, *, notice: str = "", error: str = "") -> dict[str, Any]:
    leads = lease_next_leads(user=user, limit=1, lease_minutes=loop_settings().lease_minutes)
    lead = leads[0] if leads else None
    if lead is not None:
        explain_leads(leads=[lead])
    activities = lead_activities(lead=lead, limit=100) if lead else []
    timeline = [(day, list(items)) for day, items in groupby(activities, key=lambda a: a.occurred_at.date())]
    return {
        "lead": lead,
        "timeline": timeline,
        "reasons": reasons_by_outcome(),
        "remaining": queue_remaining(user=user, cap=QUEUE_COUNT_CAP),
        "remaining_cap": QUEUE_COUNT_CAP,
        "today": labels_today(user=user),
        "undoable": undoable_label(user=user, window=UNDO_WINDOW),
        "notice": notice,
        "error": error,
    }


def _queue_response(request: HttpRequest, *, notice: str = "", error: str = "", status: int = 200) -> HttpResponse:
    context = _queue_context(signed_in_user(request), notice=notice, error=error)
    if _is_fetch(request):
        return render(request, "feedback/_queue_card.html", context, status=status)
    if error:
        return render(request, "feedback/queue.html", context, status=status)
    if notice:
        messages.success(request, notice)
    return redirect("queue")


@require_GET
@role_required(LABELERS)
def queue_page(request: HttpRequest) -> HttpResponse:
    context = _queue_context(signed_in_user(request))
    template = "feedback/_queue_card.html" if _is_fetch(request) else "feedback/queue.html"
    return render(request, template, context)


@require_POST
@role_required(LABELERS)
def queue_label(request: HttpRequest) -> HttpResponse:
    form = LabelForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        return _queue_response(request, error=f"{field}: {errors[0]}", status=400)
    data = form.cleaned_data
    lead = lead_get_or_404(external_id=data["lead"])
    try:
        label_submit(
            user=signed_in_user(request),
            lead=lead,
            outcome=data["outcome"],
            reason_code=data["reason"],
            note=data["note"],
            seconds_to_label=data["seconds"],
            fields=data["fields"],
            known_fields=known_lead_fields() if data["fields"] else (),
        )
    except LabelError as exc:
        return _queue_response(request, error=str(exc), status=exc.status)
    return _queue_response(
        request, notice=f"Labeled {lead.company or lead.external_id}: {data['outcome'].replace('_', ' ')}."
    )


@require_POST
@role_required(LABELERS)
def queue_skip(request: HttpRequest) -> HttpResponse:
    form = LeadRefForm(request.POST)
    if not form.is_valid():
        return _queue_response(request, error="lead: this field is required", status=400)
    lead = lead_get_or_404(external_id=form.cleaned_data["lead"])
    lead_skip(user=signed_in_user(request), lead=lead)
    return _queue_response(request, notice=f"Skipped {lead.company or lead.external_id}.")


@require_POST
@role_required(LABELERS)
def queue_undo(request: HttpRequest) -> HttpResponse:
    lead = label_undo(user=signed_in_user(request), lease_minutes=loop_settings().lease_minutes)
    if lead is None:
        return _queue_response(request, error="Nothing to undo: no label of yours in the last 10 minutes.", status=409)
    return _queue_response(request, notice=f"Undid the label on {lead.company or lead.external_id}.")


@require_GET
@role_required(MANAGERS)
def dashboards(request: HttpRequest) -> HttpResponse:
    """Reasons, model quality and team activity for managers; every bar links to its labels."""
    form = DashboardForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    period, segment, days = data.get("period") or "month", data.get("segment") or "industry", data.get("days") or 14
    colors = presenters.reason_colors()
    counts = reason_counts()
    by_time = reason_mix(by=period)
    by_segment = reason_mix(by=segment)
    quality = model_quality()
    today = timezone.localdate()
    team = team_activity(since=today - timedelta(days=days - 1), until=today)
    context = {
        "form": form,
        "period": period,
        "segment": segment,
        "segment_name": dict(DashboardForm.base_fields["segment"].choices)[segment],  # type: ignore[attr-defined]
        "days": days,
        "reason_rows": counts,
        "reason_chart": presenters.reason_bars(counts, colors),
        "reason_legend": presenters.reason_legend(colors),
        "by_time": by_time,
        "time_chart": presenters.mix_chart(by_time, colors, title=f"Outcome and reason mix per {period}"),
        "by_segment": by_segment,
        "segment_chart": presenters.mix_chart(by_segment, colors, title=f"Outcome and reason mix by {segment}"),
        "quality": quality,
        "why": why_bought(quality["active"].metrics if quality["active"] else None),
        "quality_charts": presenters.quality_charts(quality),
        "disagree": disagreements(),
        "team": team,
        "team_charts": presenters.team_charts(team),
        "queue_size": loop_settings().queue_size,
    }
    return render(request, "feedback/dashboards.html", context)


@require_GET
@role_required(MANAGERS)
def reason_drilldown(request: HttpRequest) -> HttpResponse:
    """The labels behind a dashboard bar, with the reps' notes."""
    form = DrilldownForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    filters = LabelFilters(**{k: v for k, v in data.items() if v})
    labels = labels_drilldown(filters=filters)
    total = labels_filtered(filters=filters).count()
    described = [(name, value) for name, value in asdict(filters).items() if value]
    return render(
        request,
        "feedback/drilldown.html",
        {"labels": labels, "total": total, "filters": described, "form": form, "no_value": NO_VALUE},
    )


@require_POST
@role_required(ADMINS)
def reason_add_view(request: HttpRequest) -> HttpResponse:
    form = ReasonAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect(f"{reverse('settings')}#reasons")
    try:
        reason_add(user=signed_in_user(request), **form.cleaned_data)
    except LabelError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Reason {form.cleaned_data['label']!r} added.")
    return redirect(f"{reverse('settings')}#reasons")


@require_POST
@role_required(ADMINS)
def reason_rename_view(request: HttpRequest, code: str) -> HttpResponse:
    reason = get_object_or_404(Reason, code=code)
    form = ReasonRenameForm(request.POST)
    if form.is_valid():
        reason_rename(user=signed_in_user(request), reason=reason, label=form.cleaned_data["label"])
        messages.success(request, f"Reason {code} renamed; its labels follow.")
    else:
        messages.error(request, "label: this field is required")
    return redirect(f"{reverse('settings')}#reasons")


@require_POST
@role_required(ADMINS)
def reason_retire_view(request: HttpRequest, code: str) -> HttpResponse:
    """Retire a reason (it leaves the label form; its labels stay), or restore it."""
    reason = get_object_or_404(Reason, code=code)
    restore = request.POST.get("restore") == "1"
    reason_set_active(user=signed_in_user(request), reason=reason, active=restore)
    messages.success(request, f"Reason {reason.label!r} {'restored' if restore else 'retired'}.")
    return redirect(f"{reverse('settings')}#reasons")


@require_POST
@role_required(ADMINS)
def reason_fields_view(request: HttpRequest, code: str) -> HttpResponse:
    """The lead fields a reason speaks to, picked from the fields the model knows."""
    reason = get_object_or_404(Reason, code=code)
    form = ReasonFieldsForm(request.POST)
    form.is_valid()  # a list of names always cleans; the service judges them
    try:
        reason_set_fields(
            user=signed_in_user(request), reason=reason, fields=form.cleaned_data["fields"], known=known_lead_fields()
        )
    except LabelError as exc:
        messages.error(request, f"Reason {code}: {exc}")
    else:
        messages.success(request, f"Reason {reason.label!r} now speaks to {len(reason.fields)} fields.")
    return redirect(f"{reverse('settings')}#reasons")
