from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from config.roles import ADMINS, MANAGERS, READERS, has_role, role_required, signed_in_user
from feedback.answers import answer_take
from feedback.selectors import lead_label, lead_lease_held, reasons, reasons_by_outcome
from leads.csvfile import CsvFileError
from leads.export import leads_csv_response
from leads.forms import ImportForm, every_status_query, lead_filter_form
from leads.import_report import import_report, kept_problems, problems_csv
from leads.models import LeadStatus
from leads.selectors import (
    ACTIVITIES_SHOWN,
    lead_activities,
    lead_facets,
    lead_get_or_404,
    lead_page,
    lead_score_history,
    leads_exist,
)
from leads.services import import_activities_csv, import_finish, import_leads_csv
from leads.sync import SyncFilters
from learning.scoring import explain_leads
from learning.selectors import known_activity_types, next_actions_for

PAGE_SIZE = 50
MAX_PAGE = 10_000  # a page number past this shows that page (the last one beyond the last lead), never an error
SHOWN_PROBLEMS = 200  # on the page; the CSV has them all


@require_safe
@role_required(READERS)
def lead_list(request: HttpRequest) -> HttpResponse:

    # A bad field is left out (the form shows its default, as the list applies it) and named on a 400 page.
    form, problems = lead_filter_form(request.GET)
    filters = form.lead_filters()
    try:
        number = min(max(1, int(request.GET.get("page") or 1)), MAX_PAGE)
    except ValueError:
        number = 1
    shown = lead_page(filters=filters, number=number, size=PAGE_SIZE)
    leads = shown.rows
    page = {
        "object_list": leads,
        "number": shown.number,
        "pages": shown.pages,
        "has_previous": shown.number > 1,
        "previous_page_number": shown.number - 1,
        "has_next": shown.has_next,
        "next_page_number": shown.number + 1,
        "matches": shown.matches,
        "more": shown.more,
    }
    scored = [lead.scored_at for lead in leads if lead.scored_at is not None]
    context = {
        "form": form,
        "page": page,
        "scored_oldest": min(scored, default=None),
        "scored_newest": max(scored, default=None),
        "any_open": any(lead.status == LeadStatus.OPEN for lead in leads),
        "facets": lead_facets(),
        "reasons": reasons(active_only=False),  # a retired reason's labels can be listed too
        "query": form.query(),
        "every_status": every_status_query(form) if filters.status == LeadStatus.OPEN else "",
        "no_leads_yet": not leads and not leads_exist(),
        "filters": filters,
        "filter_errors": problems,
    }
    template = "leads/_rows.html" if request.GET.get("fragment") == "rows" else "leads/list.html"
    return render(request, template, context, status=400 if problems else 200)


@require_safe
@role_required(MANAGERS)
def lead_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The lead list as CSV with scores: the leads the list shows for the same query, every filter
    and default included (in the export's own order)."""
    form, problems = lead_filter_form(request.GET)
    if problems:
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    return leads_csv_response(filters=SyncFilters(leads=form.lead_filters()))


@require_safe
@never_cache
@role_required(READERS)
def lead_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    """A lead's profile, score, activity and history; a rep can label an open lead here."""

    lead = lead_get_or_404(external_id=external_id)
    explain_leads(leads=[lead])
    user = signed_in_user(request)
    activities = lead_activities(lead=lead, limit=ACTIVITIES_SHOWN + 1)  # one more: are there more?
    context = {
        "lead": lead,
        "leased": lead_lease_held(lead=lead, by_other_than=user) if lead.status == "open" else None,
        "may_override": has_role(user, ADMINS),
        "activities": activities[:ACTIVITIES_SHOWN],
        "more_activities": len(activities) > ACTIVITIES_SHOWN,
        "label": (label := lead_label(lead=lead)),
        "history": lead_score_history(lead=lead),
        "next_actions": next_actions_for(lead=lead),
        "reasons": reasons_by_outcome(),
        "answer": answer_take(request, lead=lead.external_id),  # a refused label's answer, to change
    }
    if context["answer"] is None and label is not None and label.awaits_why:
        context["answer"] = {"outcome": label.outcome}  # the why of the imported outcome: that outcome's reasons
    return render(request, "leads/detail.html", context)


@require_safe
@role_required(READERS)
def lead_score(request: HttpRequest, external_id: str) -> HttpResponse:
    """The score panel alone, for pages refreshing live; ``?part=marks``: the label form's lines to
    mark as the real reason, which follow the score's why."""

    lead = lead_get_or_404(external_id=external_id)
    explain_leads(leads=[lead])
    template = "leads/_marks.html" if request.GET.get("part") == "marks" else "leads/_score.html"
    return render(request, template, {"lead": lead})


@require_http_methods(["GET", "POST"])
@role_required(ADMINS)
def lead_import(request: HttpRequest) -> HttpResponse:

    form = ImportForm(request.POST or None, request.FILES or None)
    report, file_error = None, ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == "leads":
                result = import_leads_csv(
                    stream=data["file"],
                    outcome_column=data["outcome_column"] or None,
                    positive=data["positive"] or None,
                    outcome_date_column=data["outcome_date_column"] or None,
                    open_values=data["open_values"],
                )
            else:
                result = import_activities_csv(stream=data["file"], known_types=known_activity_types())
        except CsvFileError as exc:
            file_error = str(exc)
        else:
            report = import_report(result=result, kind=data["kind"])
            import_finish(
                result=result,
                kind=data["kind"],
                by=signed_in_user(request),
                source="upload page",
                file_name=data["file"].name,
            )
    status = 400 if file_error or (request.method == "POST" and not form.is_valid()) else 200
    context = {"form": form, "report": report, "file_error": file_error, "shown": SHOWN_PROBLEMS}
    return render(request, "leads/import.html", context, status=status)


@require_safe
@role_required(ADMINS)
def import_problems_csv(request: HttpRequest, token: str) -> HttpResponse:
    """The row problems of an import of the last hour, as a CSV file."""
    problems = kept_problems(token=token)
    if problems is None:
        return HttpResponse(
            "These problems are not kept any more (they are kept for an hour after the import, in the "
            "cache the web processes share: CACHE_URL when there is more than one): import the file again.\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(problems_csv(problems), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="import-problems.csv"'
    return response
