"""The admin's changes, each one audited: loop settings, point rules, promotions, next actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from config.audit import audit_record, changed_fields
from learning.models import SETTINGS_FIELDS, LoopSettings, ModelVersion, NextAction, PointRule
from learning.selectors import active_model
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


def model_promote(*, user: User, version: ModelVersion) -> None:
    """An admin's promote or roll back: activate the version, audited; rescoring follows."""
    with transaction.atomic():
        current = active_model()
        if current is not None and current.pk == version.pk:
            return
        action = "model.rollback" if current is not None and version.version < current.version else "model.promote"
        model_activate(version=version)
        audit_record(
            user=user,
            action=action,
            target=f"model v{version.version}",
            changes={"active": [f"v{current.version}" if current else None, f"v{version.version}"]},
        )


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
