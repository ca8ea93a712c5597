"""The admin's changes, each one audited: loop settings, point rules, promotions and pins, next actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from config.audit import audit_record, changed_fields
from learning.models import SETTINGS_FIELDS, LoopSettings, ModelStatus, ModelVersion, NextAction, PointRule
from learning.selectors import active_model, versions_since
from learning.services.training import model_activate
from learning.services.workers import rescore_requested


def loop_settings_update(*, user: User, changes: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Save the admin's settings, record who changed what from what to what, rescore. Returns the diff."""
    with transaction.atomic():
        settings = LoopSettings.objects.select_for_update().get_or_create(pk=1)[0]
        before = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
        after = {name: changes[name] for name in SETTINGS_FIELDS if name in changes}
        diff = changed_fields(before, after)
        if not diff:
            return {}
        for name, (_, value) in diff.items():
            setattr(settings, name, value)
        settings.updated_by = user if user.is_authenticated else None
        settings.save()
        audit_record(user=user, action="settings.update", target="loop settings", changes=diff)
        rescore_requested()
    return diff


def point_rule_save(*, user: User, kind: str, field: str, value: str, points: float) -> PointRule:
    with transaction.atomic():
        existing = PointRule.objects.filter(kind=kind, field=field, value=value).first()
        rule, _ = PointRule.objects.update_or_create(kind=kind, field=field, value=value, defaults={"points": points})
        audit_record(
            user=user,
            action="rule.save",
            target=f"rule {rule}",
            changes={"points": [existing.points if existing else None, points]},
        )
        rescore_requested()
    return rule


def point_rule_delete(*, user: User, rule: PointRule) -> None:
    with transaction.atomic():
        audit_record(user=user, action="rule.delete", target=f"rule {rule}", changes={"points": [rule.points, None]})
        rule.delete()
        rescore_requested()


class GuardOverrideError(Exception):
    """Promoting a version the promotion guard rejected, without saying so."""


def model_promote(*, user: User, version: ModelVersion, override_guard: bool = False) -> None:
    """An admin's promote or roll back: activate the version and pin it, so that the versions trained
    next are measured against it but not promoted until the admin resumes automatic promotion.
    Audited; rescoring follows. A version the guard rejected needs ``override_guard`` (the admin
    confirmed)."""
    if version.status == ModelStatus.REJECTED and not override_guard:
        raise GuardOverrideError(f"v{version.version} was rejected by the promotion guard: confirm to override it")
    with transaction.atomic():
        # The lock training takes before it promotes: a version trained meanwhile never overrides the pin.
        settings = LoopSettings.objects.select_for_update().get_or_create(pk=1)[0]
        pinned_before = _pinned_words(settings)
        current = active_model()
        if current is not None and current.pk == version.pk and settings.pinned_version_id == version.pk:
            return
        if current is not None and current.pk == version.pk:
            action = "model.pin"
        elif current is not None and version.version < current.version:
            action = "model.rollback"
        else:
            action = "model.promote"
        changes: dict[str, list[str | None]] = {}
        if action != "model.pin":
            model_activate(version=version)
            changes["active"] = [f"v{current.version}" if current else None, f"v{version.version}"]
        changes["pinned"] = [pinned_before, f"v{version.version}"]
        LoopSettings.objects.filter(pk=1).update(
            pinned_version=version, pinned_by=user if user.is_authenticated else None, pinned_at=timezone.now()
        )
        audit_record(user=user, action=action, target=f"model v{version.version}", changes=changes)


def model_promotion_resume(*, user: User) -> tuple[int, int | None] | None:
    """Release the pin: a version that passes the guard is promoted again, starting with the newest
    one the pin held back (it passed the guard against the pinned version), which becomes active
    now. Audited. Returns (the version that was pinned, the one promoted now or None); None when
    nothing was pinned."""
    with transaction.atomic():
        settings = LoopSettings.objects.select_for_update().filter(pk=1).first()
        if settings is None or settings.pinned_version_id is None:
            return None
        pinned = ModelVersion.objects.values_list("version", flat=True).get(pk=settings.pinned_version_id)
        waiting = versions_since(settings.pinned_at).filter(status=ModelStatus.CANDIDATE).first()
        LoopSettings.objects.filter(pk=1).update(pinned_version=None, pinned_by=None, pinned_at=None)
        changes: dict[str, list[Any]] = {"pinned": [f"v{pinned}", None]}
        if waiting is not None:
            changes["active"] = [f"v{pinned}", f"v{waiting.version}"]
            model_activate(version=waiting)
        audit_record(user=user, action="model.resume", target="automatic promotion", changes=changes)
    return pinned, waiting.version if waiting is not None else None


def _pinned_words(settings: LoopSettings) -> str | None:
    if settings.pinned_version_id is None:
        return None
    return f"v{ModelVersion.objects.values_list('version', flat=True).get(pk=settings.pinned_version_id)}"


def next_action_save(
    *,
    user: User,
    code: str,
    label: str,
    value: float,
    rules: list[dict[str, Any]],
    active: bool = True,
) -> NextAction:
    with transaction.atomic():
        existing = NextAction.objects.filter(code=code).first()
        after = {"label": label, "value": value, "rules": rules, "active": active}
        if existing is None:
            action = NextAction.objects.create(code=code, position=NextAction.objects.count(), **after)
            diff = {key: [None, v] for key, v in after.items()}
        else:
            before = {key: getattr(existing, key) for key in after}
            diff = changed_fields(before, after)
            for key, v in after.items():
                setattr(existing, key, v)
            existing.save()
            action = existing
        if diff:
            audit_record(user=user, action="action.save", target=f"action {code}", changes=diff)
    return action


def next_action_delete(*, user: User, action: NextAction) -> None:
    with transaction.atomic():
        audit_record(
            user=user,
            action="action.delete",
            target=f"action {action.code}",
            changes={"label": [action.label, None], "value": [action.value, None], "rules": [action.rules, None]},
        )
        action.delete()
