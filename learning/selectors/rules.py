"""Reads of what admins configure beside the model: cold-start point rules (and their preview), next
best actions and the outbound webhook."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.utils import timezone

from leads.frames import open_lead_ids
from leads.models import PROFILE_FIELDS
from leads.selectors import attribute_in_use, attribute_names, lead_summaries
from learning.core.actions import RankedAction, rank_actions
from learning.core.rules import PointRules, ProfileRule, score_by_rules
from learning.models import LoopSettings, NextAction, PointRule, WebhookDelivery, WebhookEndpoint
from learning.selectors.loop import loop_settings
from learning.selectors.versions import feature_frame


def point_rules(*, settings: LoopSettings | None = None) -> PointRules:
    settings = settings or loop_settings()
    rules = PointRules(hot_points=settings.cold_start_hot_points)
    for rule in PointRule.objects.all():
        if rule.kind == PointRule.Kind.ACTIVITY:
            rules.activity_points[rule.value] = rule.points
        else:
            rules.profile_rules.append(ProfileRule(field=rule.field, value=rule.value, points=rule.points))
    return rules


def rules_preview(*, rules: PointRules, top: int = 10) -> dict[str, Any]:
    """Scores the open leads would get from these cold-start rules: the top leads and the hot count."""
    ids = open_lead_ids().tolist()
    if not ids:
        return {"open": 0, "hot": 0, "top": []}
    frame = feature_frame(lead_ids=ids, as_of=timezone.now(), activity_types=list(rules.activity_points))
    result = score_by_rules(frame, rules)
    order = np.argsort(-result.probability, kind="stable")[:top]
    summaries = lead_summaries(lead_ids=[ids[i] for i in order])
    return {
        "open": len(ids),
        "hot": int((result.probability >= 0.5).sum()),
        "top": [
            {
                **summaries[ids[i]],
                "score": float(result.probability[i]),
                "points": float(result.fit_points[i] + result.behaviour_points[i]),
                "why": result.explanations[i][:3],
            }
            for i in order
        ],
    }


def next_actions() -> list[NextAction]:
    return list(NextAction.objects.all())


def next_actions_for(*, lead: Any, actions: list[NextAction] | None = None) -> list[RankedAction]:
    """Eligible actions for an open lead, best P(convert) x value first; none for a closed lead."""
    if lead.status != "open":
        return []
    actions = actions if actions is not None else [a for a in next_actions() if a.active]
    fields = {name: getattr(lead, name) for name in LEAD_RULE_FIELDS}
    fields = {**(lead.attributes or {}), **fields}
    return rank_actions(
        lead=fields,
        probability=lead.score,
        actions=[{"code": a.code, "label": a.label, "value": a.value, "rules": a.rules} for a in actions],
    )


# What an action's rules may test: the lead's profile (not its name or creation date) and its scores.
LEAD_RULE_FIELDS = (
    *(name for name in PROFILE_FIELDS if name not in ("company", "created_at")),
    *("score", "fit_score", "behavior_score", "expected_value", "uncertainty"),
)


def unknown_rule_fields(fields: list[str]) -> list[str]:
    """The fields among these that an action's rule could never find on a lead: neither a profile
    field nor a score, nor a custom attribute any lead has (a typo such as ``employeez``)."""
    known = {*LEAD_RULE_FIELDS, *attribute_names()}
    return [name for name in dict.fromkeys(fields) if name not in known and not attribute_in_use(name=name)]


def point_rules_edited(
    *, kind: str = "", field: str = "", value: str = "", points: float | None = None, hot_points: float | None = None
) -> PointRules:
    """The current cold-start rules with one rule added or changed (and maybe another hot threshold)."""
    settings = loop_settings()
    rules = point_rules(settings=settings)
    if hot_points is not None:
        rules.hot_points = hot_points
    if kind and value and points is not None:
        if kind == PointRule.Kind.ACTIVITY:
            rules.activity_points[value] = points
        else:
            rules.profile_rules = [
                r for r in rules.profile_rules if (r.field, r.value.lower()) != (field, value.lower())
            ] + [ProfileRule(field=field, value=value, points=points)]
    return rules


def webhook_endpoint() -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=1).first()


def webhook_deliveries(*, limit: int = 50) -> list[WebhookDelivery]:
    """The delivery log, newest first (without the bodies)."""
    return list(WebhookDelivery.objects.defer("body")[:limit])
