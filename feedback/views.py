from __future__ import annotations

from datetime import datetime, time, timedelta
from itertools import groupby
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from config.forms import form_error, form_errors
from config.rates import MIN_LABELS
from config.roles import ADMINS, LABELERS, MANAGERS, role_required, signed_in_user
from feedback import presenters
from feedback.answers import ANSWER_KEY, answer_keep, answer_show
from feedback.dashboards.filters import SEGMENT_NAMES, LabelFilters, labels_drilldown, labels_filtered, reason_names
from feedback.dashboards.matrix import matrix_headline, reason_matrix
from feedback.dashboards.mix import reason_counts, reason_mix
from feedback.dashboards.quality import disagreements
from feedback.dashboards.team import team_activity
from feedback.forms import (
    DashboardForm,
    DrilldownForm,
    LabelForm,
    LeadRefForm,
    ReasonAddForm,
    ReasonFieldsForm,
    ReasonRenameForm,
)
from feedback.models import Outcome, Reason
from feedback.periods import DEFAULT_PERIOD, period_for, period_named
from feedback.selectors import (
    QUEUE_COUNT_CAP,
    labels_today,
    queue_remaining,
    reason_keys,
    reasons_by_outcome,
    undoable_action,
)
from feedback.services import (
    UNDO_WINDOW,
    LabelError,
    label_submit,
    last_action_undo,
    lead_skip,
    lease_next_leads,
    reason_add_from_notes,
    reason_rename,
    reason_set_active,
    reason_set_fields,
)
from leads.models import Lead
from leads.selectors import lead_activities, lead_get_or_404
from learning.scoring import explain_leads
from learning.selectors import loop_settings, model_quality, queue_mix_summary
from learning.views import settings_context
from learning.why import known_lead_fields, why_bought


def _label_from_form(request: HttpRequest, *, lead: Lead, data: dict[str, Any]) -> None:
    """The label form's answer (queue card or lead page), submitted for the signed-in rep."""
    label_submit(
        user=signed_in_user(request),
        lead=lead,
        outcome=data["outcome"],
        reason_code=data["reason"],
        note=data["note"],
        seconds_to_label=data["seconds"],
        fields=data["fields"],
        known_fields=known_lead_fields() if data["fields"] else (),
        other_needs_note=True,  # a rep at the form says why; the API keeps the note optional (its contract)
    )


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


DISAGREEMENTS_SHOWN = 10  # per side on the dashboard; the count opens all of them in the drill-down


def _queue_context(request: HttpRequest, *, notice: str = "", error: str = "") -> dict[str, Any]:
    user = signed_in_user(request)
    leads = lease_next_leads(user=user, limit=1, lease_minutes=loop_settings().lease_minutes)
    lead = leads[0] if leads else None
    if lead is not None:
        explain_leads(leads=[lead])
    activities = lead_activities(lead=lead, limit=100) if lead else []
    timeline = [(day, list(items)) for day, items in groupby(activities, key=lambda a: a.occurred_at.date())]
    # An undone label's answer stays filled in while its lead is the one shown (a reload keeps it);
    # once the queue shows another lead (the label saved again, or skipped), it is dropped.
    answer = request.session.get(ANSWER_KEY)
    if answer is not None and (lead is None or answer.get("lead") != lead.external_id):
        del request.session[ANSWER_KEY]
        answer = None
    return {
        "lead": lead,
        "timeline": timeline,
        "reasons": reasons_by_outcome(),
        "answer": answer,
        "remaining": queue_remaining(user=user, cap=QUEUE_COUNT_CAP),
        "remaining_cap": QUEUE_COUNT_CAP,
        "today": labels_today(user=user),
        "undoable": undoable_action(user=user, window=UNDO_WINDOW),
        "notice": notice,
        "error": error,
    }


def _queue_response(request: HttpRequest, *, notice: str = "", error: str = "", status: int = 200) -> HttpResponse:
    if not _is_fetch(request) and not error:
        if notice:
            messages.success(request, notice)
        return redirect("queue")
    context = _queue_context(request, notice=notice, error=error)
    template = "feedback/_queue_card.html" if _is_fetch(request) else "feedback/queue.html"
    return render(request, template, context, status=status)


@require_safe
@never_cache
@role_required(LABELERS)
def queue_page(request: HttpRequest) -> HttpResponse:
    """The rep's queue. Never cached: Back must not show a lead that was labeled since."""
    context = _queue_context(request)
    template = "feedback/_queue_card.html" if _is_fetch(request) else "feedback/queue.html"
    return render(request, template, context)


@require_POST
@never_cache
@role_required(LABELERS)
def queue_label(request: HttpRequest) -> HttpResponse:
    form = LabelForm(request.POST)
    if not form.is_valid():
        answer_keep(request, lead=request.POST.get("lead", ""))
        return _queue_response(request, error=form_error(form), status=400)
    data = form.cleaned_data
    lead = lead_get_or_404(external_id=data["lead"])
    try:
        _label_from_form(request, lead=lead, data=data)
    except LabelError as exc:
        answer_keep(request, lead=lead.external_id)
        return _queue_response(request, error=str(exc), status=exc.status)
    return _queue_response(
        request, notice=f"Labeled {lead.company or lead.external_id}: {data['outcome'].replace('_', ' ')}."
    )


@require_POST
@never_cache
@role_required(LABELERS)
def queue_skip(request: HttpRequest) -> HttpResponse:
    form = LeadRefForm(request.POST)
    if not form.is_valid():
        return _queue_response(request, error=form_error(form), status=400)
    lead = lead_get_or_404(external_id=form.cleaned_data["lead"])
    lead_skip(user=signed_in_user(request), lead=lead)
    return _queue_response(request, notice=f"Skipped {lead.company or lead.external_id}. Press u to bring it back.")


@require_POST
@never_cache
@role_required(LABELERS)
def queue_undo(request: HttpRequest) -> HttpResponse:
    """Undo the rep's last action: a label comes back with its answer filled in, a skip brings the lead back."""
    undone = last_action_undo(user=signed_in_user(request), lease_minutes=loop_settings().lease_minutes)
    if undone is None:
        nothing = "Nothing to undo: no label or skip of yours in the last 10 minutes."
        return _queue_response(request, error=nothing, status=409)
    name = undone.lead.company or undone.lead.external_id
    if undone.kind == "skip":
        if not undone.back_in_queue:
            gone = f"Undid the skip, but {name} is no longer free: another rep has it or it was closed."
            return _queue_response(request, notice=gone)
        return _queue_response(request, notice=f"Undid the skip: {name} is back.")
    answer_show(
        request,
        lead=undone.lead.external_id,
        outcome=undone.outcome,
        reason=undone.reason,
        note=undone.note,
        fields=list(undone.fields),
    )
    return _queue_response(request, notice=f"Undid the label on {name}: your answer is filled in, change it and save.")


@require_POST
@role_required(LABELERS)
def lead_label(request: HttpRequest, external_id: str) -> HttpResponse:
    """Label a lead from its own page, with the queue's form; back to the lead page."""
    lead = lead_get_or_404(external_id=external_id)
    form = LabelForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error(form))
        answer_keep(request, lead=lead.external_id)
    else:
        data = form.cleaned_data
        try:
            _label_from_form(request, lead=lead, data=data)
        except LabelError as exc:
            messages.error(request, str(exc))
            answer_keep(request, lead=lead.external_id)
        else:
            outcome = data["outcome"].replace("_", " ")
            messages.success(request, f"Labeled {lead.company or lead.external_id}: {outcome}.")
    return redirect("lead_detail", external_id=lead.external_id)


@require_safe
@role_required(MANAGERS)
def dashboards(request: HttpRequest) -> HttpResponse:
    """Reasons, model quality and team activity for one period; every figure links to its labels."""
    query = request.GET.copy()
    for name, value in DashboardForm.DEFAULTS.items():  # what the page shows is what the form says
        query.setdefault(name, value)
    form = DashboardForm(query)
    form.is_valid()  # a bad field is reported and left out; the valid ones still apply
    data = getattr(form, "cleaned_data", {})
    today = timezone.localdate()
    key = data.get("period") or DEFAULT_PERIOD
    period = period_for(key=key, today=today, start=data.get("start"), end=data.get("end"))
    outcome = data.get("outcome") or Outcome.NOT_CONVERTED
    segment = data.get("segment") or "industry"
    filters = LabelFilters(start=period.start, end=period.end, history=bool(data.get("history")))
    form.show_as_used(period=period.key, outcome=outcome, segment=segment, history="")
    what = "lost" if outcome == Outcome.NOT_CONVERTED else "won"
    segment_name = SEGMENT_NAMES[segment].lower()
    colors = presenters.reason_colors()
    matrix = reason_matrix(filters=filters, outcome=outcome, segment=segment)
    counts = reason_counts(filters=filters)
    by_time = reason_mix(filters=filters, outcome=outcome, by=period.grain)
    by_segment = reason_mix(filters=filters, outcome=outcome, by=segment)
    until = datetime.combine(period.end, time.min, tzinfo=timezone.get_current_timezone())
    quality = model_quality(filters=filters, until=until)
    team = team_activity(since=period.start, until=min(period.last_day, today))
    context = {
        "form": form,
        "period": period,
        "filters": filters,
        "outcome": outcome,
        "what": what,
        "segment": segment,
        "segment_name": segment_name,
        "matrix": matrix,
        "headline": matrix_headline(matrix),
        "reason_rows": counts,
        "reason_chart": presenters.reason_bars(counts, colors),
        "reason_legend": presenters.reason_legend(
            colors, outcome=outcome, shown={cell.reason for bucket in [*by_time, *by_segment] for cell in bucket.cells}
        ),
        "by_time": by_time,
        "time_chart": presenters.mix_chart(
            by_time, colors, title=f"{what.title()} deals by reason, per {period.grain}", what=what
        ),
        "by_segment": by_segment,
        "segment_chart": presenters.mix_chart(
            by_segment, colors, title=f"{what.title()} deals by reason and {segment_name}", what=what
        ),
        "quality": quality,
        "why": why_bought(quality["active"].metrics if quality["active"] else None),
        "quality_charts": presenters.quality_charts(quality),
        "queue_mix": queue_mix_summary(),
        "disagree": disagreements(filters=filters, limit=DISAGREEMENTS_SHOWN),
        "team": team,
        "team_charts": presenters.team_charts(team),
        "min_labels": MIN_LABELS,
    }
    return render(request, "feedback/dashboards.html", context)


@require_safe
@role_required(MANAGERS)
def reason_drilldown(request: HttpRequest) -> HttpResponse:
    """The labels behind a dashboard figure, with the reps' notes; its filters in words.

    Checked as the dashboards check their filters: a bad field is reported and left out, bad or
    reversed dates give the dashboards' default period; the valid fields still apply.
    """
    form = DrilldownForm(request.GET)
    form.is_valid()
    data = {name: value for name, value in getattr(form, "cleaned_data", {}).items() if value}
    today = timezone.localdate()
    fallback = None
    if form.has_error("start") or form.has_error("end"):
        fallback = period_for(key=DEFAULT_PERIOD, today=today)
        data |= {"start": fallback.start, "end": fallback.end}
    filters = LabelFilters(**data)
    labels = labels_drilldown(filters=filters)
    total = labels_filtered(filters=filters).count()
    back: dict[str, str] = {"history": "1"} if filters.history else {}
    if filters.start and filters.end:
        key = period_named(start=filters.start, end=filters.end, today=today)
        back["period"] = key
        if key == "custom":
            back |= {"start": filters.start.isoformat(), "end": (filters.end - timedelta(days=1)).isoformat()}
    if filters.outcome:
        back["outcome"] = filters.outcome
    # A cell of the matrix by rep (or source...) drills into that rep: back is the matrix by rep.
    segment = next((name for name in SEGMENT_NAMES if getattr(filters, name)), "")
    if segment and segment != "industry":
        back["segment"] = segment
    came_from = _dashboards_view(request)
    context = {
        "labels": labels,
        "total": total,
        "chips": filters.words(reason_names()),
        "form": form,
        "fallback": fallback,
        "back": came_from if came_from is not None else urlencode(back),
    }
    return render(request, "feedback/drilldown.html", context)


DASHBOARD_VIEW = ("period", "start", "end", "outcome", "segment", "history")


def _dashboards_view(request: HttpRequest) -> str | None:
    """The dashboards' view the manager drilled from (its period, outcome and segment), read off the
    Referer of this site's dashboards page: a week's bar or the headline's reason says nothing of the
    view they sit in. None when the page was not opened from there (the figure's filters then rebuild it)."""
    try:
        came = urlsplit(request.headers.get("Referer", ""))
    except ValueError:  # "http://[x/": no browser sends it, but a client may
        return None
    # The path alone: a browser sends a Referer only from this site (Django's default policy,
    # same-origin), and behind a proxy the host it saw may not be the one Django sees; only the
    # dashboards' own keys are kept, for a link to the dashboards, so a forged one changes nothing.
    if came.path != reverse("dashboards"):
        return None
    return urlencode([(key, value) for key, value in parse_qsl(came.query) if key in DASHBOARD_VIEW])


def _to_reasons(*, failed: bool) -> HttpResponse:
    """Back to the taxonomy on /settings/ after a change; after a refusal, to the top of the page,
    where the message says why (at the taxonomy, far below it, the admin saw nothing happen)."""
    return redirect(reverse("settings") if failed else f"{reverse('settings')}#reasons")


def _reason_refused(request: HttpRequest, form: ReasonAddForm) -> HttpResponse:
    """The settings page again, the add-reason form kept as typed with its errors beside it (the
    form posts to ``#reasons``, so the browser shows it, not the top of the page)."""
    return render(request, "learning/settings.html", settings_context(reason_form=form), status=400)


def _keys_moved(added: Reason) -> str:
    """What a new reason does to the reps' number keys: its own, and the outcome's reasons after it
    (its "Other"), whose key a rep's habit would now press for the new one."""
    ordered = reasons_by_outcome()[added.outcome]
    keys = reason_keys(added.outcome, ordered=ordered)
    if added.code not in keys:
        return " Reps pick it with the mouse (only the first ten reasons have a number key)."
    later = [r for r in ordered if r.position > added.position and r.code in keys]
    moved = ", ".join(f"{r.label!r} moves to {keys[r.code]}" for r in later)
    return f" Reps press {keys[added.code]} for it" + (f"; {moved}: tell your reps." if moved else ".")


@require_POST
@role_required(ADMINS)
def reason_add_view(request: HttpRequest) -> HttpResponse:
    form = ReasonAddForm(request.POST)
    from_notes = request.POST.get("from") == "notes"  # a candidate's row, not the taxonomy's own form
    if not form.is_valid():
        if not from_notes:
            return _reason_refused(request, form)
        messages.error(request, form_errors(form))
        return _to_reasons(failed=True)
    try:
        reason, filed = reason_add_from_notes(
            user=signed_in_user(request),
            code=form.cleaned_data["code"],
            label=form.cleaned_data["label"],
            outcome=form.cleaned_data["outcome"],
            label_ids=form.filed(),
        )
    except LabelError as exc:
        if not from_notes:
            on_field = exc.field in form.fields  # else the whole form's, with the field it names
            form.add_error(exc.field if on_field else None, exc.message if on_field else str(exc))
            return _reason_refused(request, form)
        messages.error(request, str(exc))
        return _to_reasons(failed=True)
    also = f"; {filed} label{pluralize(filed)} filed under it" if filed else ""
    messages.success(request, f"Reason {reason.label!r} added{also}.{_keys_moved(reason)}")
    return _to_reasons(failed=False)


@require_POST
@role_required(ADMINS)
def reason_rename_view(request: HttpRequest, code: str) -> HttpResponse:
    reason = get_object_or_404(Reason, code=code)
    form = ReasonRenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Reason {code}: {form_errors(form)}")
        return _to_reasons(failed=True)
    try:
        reason_rename(user=signed_in_user(request), reason=reason, label=form.cleaned_data["label"])
    except LabelError as exc:
        messages.error(request, f"Reason {code}: {exc}")
        return _to_reasons(failed=True)
    messages.success(request, f"Reason {code} renamed; its labels follow.")
    return _to_reasons(failed=False)


@require_POST
@role_required(ADMINS)
def reason_retire_view(request: HttpRequest, code: str) -> HttpResponse:
    """Retire a reason (it leaves the label form; its labels stay), or restore it."""
    reason = get_object_or_404(Reason, code=code)
    restore = request.POST.get("restore") == "1"
    try:
        reason_set_active(user=signed_in_user(request), reason=reason, active=restore)
    except LabelError as exc:
        messages.error(request, f"Reason {code} not restored: {exc}")
        return _to_reasons(failed=True)
    messages.success(request, f"Reason {reason.label!r} {'restored' if restore else 'retired'}.")
    return _to_reasons(failed=False)


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
        return _to_reasons(failed=True)
    count = len(reason.fields)
    messages.success(request, f"Reason {reason.label!r} now speaks to {count} field{pluralize(count)}.")
    return _to_reasons(failed=False)
