from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config.audit import AUDIT_KINDS, audit_kind, audit_page, recent_changes
from config.forms import field_words, form_errors_in_words
from config.roles import ADMINS, READERS, role_required, signed_in_user
from config.site import currency, currency_set
from feedback.forms import ReasonAddForm
from feedback.selectors import reasons
from learning.core.actions import Rule
from learning.core.notes import MIN_GROUP, min_notes
from learning.core.strategies import STRATEGIES
from learning.forms import (
    STRATEGY_WORDS,
    CurrencyForm,
    LoopSettingsForm,
    NextActionForm,
    PointRuleForm,
    RulePreviewForm,
    ThresholdPreviewForm,
    WebhookForm,
)
from learning.models import ModelVersion, NextAction, PointRule
from learning.selectors import (
    active_model,
    loop_health,
    loop_lock,
    loop_settings,
    loop_state,
    loop_status,
    model_pin,
    model_versions,
    next_actions,
    point_rules_edited,
    quarantined_values,
    queue_mix_summary,
    rules_preview,
    scores_state,
    threshold_preview,
    webhook_deliveries,
    webhook_endpoint,
)
from learning.services.admin import (
    GuardOverrideError,
    loop_settings_update,
    model_promote,
    model_promotion_resume,
    next_action_delete,
    next_action_save,
    point_rule_delete,
    point_rule_save,
)
from learning.services.webhooks import WebhookError, webhook_configure
from learning.why import candidate_reasons, field_choices

SMALL_SAMPLE = 30  # fewer labels than this: a preview's precision and recall are too rough to trust


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def settings_context(**overrides: Any) -> dict[str, Any]:
    current = loop_settings()
    actions = next_actions()
    choices = field_choices()
    context: dict[str, Any] = {
        "form": LoopSettingsForm(instance=current),
        "currency_form": CurrencyForm(initial={"currency": currency()}),
        "strategies": [(name, STRATEGY_WORDS.get(name, "")) for name in STRATEGIES],
        "loop_status": loop_status(),
        "small_sample": SMALL_SAMPLE,
        "rule_form": PointRuleForm(),
        "rules": PointRule.objects.all(),
        "versions": model_versions(limit=20),
        "active": active_model(),
        "pin": model_pin(),
        "state": loop_state(),
        "quarantined": quarantined_values(),
        "lock": loop_lock(),
        "reasons": reasons(active_only=False),
        "field_choices": choices,
        "known_field_names": {name for name, _ in choices},
        "candidates": candidate_reasons(),
        "candidate_sizes": {"notes": min_notes(), "group": MIN_GROUP},  # when the empty list says why
        "reason_form": ReasonAddForm(),
        "actions": [(a, [str(Rule(**r)) for r in a.rules]) for a in actions],
        "action_form": NextActionForm(initial={"active": True}),
        "audit": recent_changes(limit=30),
        "audit_imports": recent_changes(limit=10, imports=True),
        "queue_mix": queue_mix_summary(),
        "preview": None,
        "rules_preview": None,
        "problems": "",  # why the loop settings were refused, each bad field by its label
    }
    context.update(overrides)
    return context


@require_http_methods(["GET", "POST"])
@role_required(ADMINS)
def settings_page(request: HttpRequest) -> HttpResponse:
    """Loop settings; "Preview" shows a threshold's effect without saving (the page works without JS)."""
    if request.method == "GET":
        return render(request, "learning/settings.html", settings_context())
    form = LoopSettingsForm(request.POST, instance=loop_settings())
    money = CurrencyForm(request.POST)
    if not form.is_valid() or not money.is_valid():
        problems = "; ".join(words for words in (form_errors_in_words(form), form_errors_in_words(money)) if words)
        problems = f"{'No preview' if 'preview' in request.POST else 'Not saved'}: {problems}."
        context = settings_context(form=form, currency_form=money, problems=problems)
        return render(request, "learning/settings.html", context, status=400)
    if "preview" in request.POST:
        data = form.cleaned_data
        preview = threshold_preview(
            hot_threshold=data["hot_threshold"],
            cost_per_lead=data["cost_per_lead"],
            expected_value_threshold=data["expected_value_threshold"],
        )
        return render(
            request, "learning/settings.html", settings_context(form=form, currency_form=money, preview=preview)
        )
    diff = loop_settings_update(user=signed_in_user(request), changes=form.cleaned_data)
    code = money.cleaned_data["currency"]
    currency_changed = bool(code) and currency_set(user=signed_in_user(request), code=code)
    if diff:
        names = [field_words(form, name) for name in diff]
        messages.success(request, f"Saved: {'; '.join(names)}. Open leads are being rescored.")
    if currency_changed:
        messages.success(request, f"Amounts are shown in {code} from now on.")
    if not diff and not currency_changed:
        messages.info(request, "Nothing changed.")
    return redirect("settings")


@require_safe
@role_required(ADMINS)
def settings_preview(request: HttpRequest) -> HttpResponse:
    """What a hot / expected-value threshold would give, before saving: a fragment for fetch."""
    form = ThresholdPreviewForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form_errors_in_words(form), status=400, content_type="text/plain")
    data = form.cleaned_data
    current = loop_settings()
    preview = threshold_preview(
        hot_threshold=data["hot_threshold"],
        cost_per_lead=current.cost_per_lead if data["cost_per_lead"] is None else data["cost_per_lead"],
        expected_value_threshold=current.expected_value_threshold
        if data["expected_value_threshold"] is None
        else data["expected_value_threshold"],
    )
    return render(request, "learning/_threshold_preview.html", {"preview": preview, "small_sample": SMALL_SAMPLE})


@require_POST
@role_required(ADMINS)
def rule_add(request: HttpRequest) -> HttpResponse:
    form = PointRuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        point_rule_save(
            user=signed_in_user(request),
            kind=data["kind"],
            field=data["field"],
            value=data["value"],
            points=data["points"],
        )
        messages.success(request, "Rule saved; open leads are being rescored.")
    else:
        messages.error(request, form_errors_in_words(form))
    return redirect("settings")


@require_safe
@role_required(ADMINS)
def rule_preview(request: HttpRequest) -> HttpResponse:
    """Scores under the rules with one rule added or changed: the top leads and the hot count."""
    form = RulePreviewForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form_errors_in_words(form), status=400, content_type="text/plain")
    data = form.cleaned_data
    rules = point_rules_edited(
        kind=data["kind"] or "",
        field=data["field"] or "",
        value=data["value"] or "",
        points=data["points"],
        hot_points=data["hot_points"],
    )
    preview = {**rules_preview(rules=rules), "base": rules_preview(rules=point_rules_edited(), top=0)["hot"]}
    if _is_fetch(request):
        return render(request, "learning/_rules_preview.html", {"rules_preview": preview})
    rule_form = PointRuleForm(initial={k: v for k, v in data.items() if v not in (None, "")})
    return render(request, "learning/settings.html", settings_context(rule_form=rule_form, rules_preview=preview))


@require_POST
@role_required(ADMINS)
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    point_rule_delete(user=signed_in_user(request), rule=get_object_or_404(PointRule, pk=rule_id))
    messages.success(request, "Rule deleted.")
    return redirect("settings")


@require_POST
@role_required(ADMINS)
def model_promote_view(request: HttpRequest, version: int) -> HttpResponse:
    """Promote a version, or roll back to an older one: it stays active (pinned) until automatic
    promotion is resumed; audited, rescoring follows. A version the guard rejected is promoted once the
    admin confirms: settings.js asks in the browser; without JavaScript this answer asks."""
    model = get_object_or_404(ModelVersion.objects.defer("artifact"), version=version)
    try:
        model_promote(user=signed_in_user(request), version=model, override_guard=request.POST.get("confirm") == "1")
    except GuardOverrideError:
        return render(request, "learning/model_promote.html", {"model": model, "active": active_model()})
    messages.success(
        request,
        f"Model v{version} is now active and pinned: new versions are still trained and measured, but none "
        "is promoted until you resume automatic promotion. Open leads are being rescored.",
    )
    return redirect(f"{reverse('settings')}#models")


@require_POST
@role_required(ADMINS)
def model_resume_view(request: HttpRequest) -> HttpResponse:
    """Release the pin: the next version trained that passes the guard becomes active again."""
    resumed = model_promotion_resume(user=signed_in_user(request))
    if resumed is None:
        messages.info(request, "Automatic promotion is already on.")
    elif resumed[1] is not None:
        messages.success(
            request,
            f"Automatic promotion resumed: v{resumed[1]}, which passed the guard while v{resumed[0]} was pinned, "
            "is active now; open leads are rescored.",
        )
    else:
        messages.success(
            request,
            f"Automatic promotion resumed: v{resumed[0]} is no longer pinned; "
            "the next version trained that passes the guard becomes active.",
        )
    return redirect(f"{reverse('settings')}#models")


@require_POST
@role_required(ADMINS)
def action_save(request: HttpRequest) -> HttpResponse:
    form = NextActionForm(request.POST)
    if not form.is_valid():
        return render(request, "learning/settings.html", settings_context(action_form=form), status=400)
    next_action_save(user=signed_in_user(request), **form.cleaned_data)
    messages.success(request, f"Action {form.cleaned_data['code']} saved.")
    return redirect("settings")


@require_POST
@role_required(ADMINS)
def action_delete(request: HttpRequest, action_id: int) -> HttpResponse:
    next_action_delete(user=signed_in_user(request), action=get_object_or_404(NextAction, pk=action_id))
    messages.success(request, "Action deleted.")
    return redirect("settings")


@require_safe
@role_required(ADMINS)
def audit_log_page(request: HttpRequest) -> HttpResponse:
    """The whole audit log, page by page, newest first: the changes, or the imports (``?kind=imports``)."""
    kind = audit_kind(request.GET.get("kind"))
    page = audit_page(kind=kind, number=request.GET.get("page"))
    context = {"kind": kind, "kinds": AUDIT_KINDS, "imports": kind == "imports", "page": page}
    return render(request, "learning/audit.html", context)


@require_safe
@role_required(READERS)
def scores_state_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(scores_state())


@require_http_methods(["GET", "POST"])
@role_required(ADMINS)
def webhook_page(request: HttpRequest) -> HttpResponse:
    """The outbound webhook's URL and secret, and its delivery log."""
    endpoint = webhook_endpoint()
    initial = {"url": endpoint.url, "active": endpoint.active} if endpoint else {}
    form = WebhookForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            secret = data["secret"] or (endpoint.secret if endpoint else "")
            try:
                webhook_configure(user=signed_in_user(request), url=data["url"], secret=secret, active=data["active"])
            except WebhookError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "Webhook saved.")
                return redirect("webhook")
        status = 400
    context = {"form": form, "endpoint": endpoint, "deliveries": webhook_deliveries(limit=50)}
    return render(request, "learning/webhook.html", context, status=status)


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """For monitoring, without a login: loop lag, queued labels, the last error's kind, quarantined
    leads, whether the broker answers. 503 while the learning loop fails (its last run failed and
    none has finished since); "degraded" (still 200: the pages serve) while it stalls or the broker
    is down. A load balancer reads the code; a monitor should read ``status``."""
    health = loop_health()
    return JsonResponse(health, status=503 if health["status"] == "failing" else 200)
