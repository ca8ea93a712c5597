from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.roles import ADMINS, READERS, role_required
from learning.forms import LoopSettingsForm, PointRuleForm
from learning.models import ModelVersion, PointRule
from learning.selectors import loop_settings, loop_state, model_versions, scores_state
from learning.services import model_activate, rescore_requested


@require_http_methods(["GET", "POST"])
@role_required(ADMINS)
def settings_page(request: HttpRequest) -> HttpResponse:
    current = loop_settings()
    form = LoopSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.updated_by = request.user
        saved.save()
        rescore_requested()
        messages.success(request, "Settings saved; open leads are being rescored.")
        return redirect("settings")
    context = {
        "form": form,
        "rule_form": PointRuleForm(),
        "rules": PointRule.objects.all(),
        "versions": model_versions(limit=20),
        "state": loop_state(),
    }
    return render(request, "learning/settings.html", context, status=400 if form.errors else 200)


@require_POST
@role_required(ADMINS)
def rule_add(request: HttpRequest) -> HttpResponse:
    form = PointRuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        PointRule.objects.update_or_create(
            kind=data["kind"], field=data["field"], value=data["value"], defaults={"points": data["points"]}
        )
        rescore_requested()
        messages.success(request, "Rule saved.")
    else:
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
    return redirect("settings")


@require_POST
@role_required(ADMINS)
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    get_object_or_404(PointRule, pk=rule_id).delete()
    rescore_requested()
    messages.success(request, "Rule deleted.")
    return redirect("settings")


@require_POST
@role_required(ADMINS)
def model_promote(request: HttpRequest, version: int) -> HttpResponse:
    """Promote a version, or roll back to an older one; rescoring follows."""
    model_activate(version=get_object_or_404(ModelVersion.objects.defer("artifact"), version=version))
    messages.success(request, f"Model v{version} is now active; open leads are being rescored.")
    return redirect("settings")


@require_GET
@role_required(READERS)
def scores_state_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(scores_state())
