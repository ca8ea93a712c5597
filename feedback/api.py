from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, Field

from config.apiauth import refuse_unknown_parameters, responses, token_auth
from config.roles import LABELERS, READERS, signed_in_user
from feedback.models import LabelSource
from feedback.selectors import reasons
from feedback.services import label_submit, lease_next_leads
from leads.api import LeadOut, OutcomeValue, leads_out
from leads.selectors import lead_to_label
from learning.selectors import loop_settings
from learning.why import known_lead_fields

router = Router(tags=["feedback"])


class QueueOut(Schema):
    leads: list[LeadOut]


class QueueParams(Schema):
    limit: int = Field(10, ge=1, le=100)


# What a client does next with a queued lead (OpenAPI links; schemathesis's stateful phase follows them).
QUEUE_LINKS = {
    "LabelTheFirstLead": {
        "operationId": "feedback_api_labels_create",
        "requestBody": {
            "lead": "$response.body#/leads/0/external_id",
            "outcome": "not_converted",
            "reason": "no_budget",
        },
    },
    "ReadTheFirstLead": {
        "operationId": "leads_api_lead_detail",
        "parameters": {"external_id": "$response.body#/leads/0/external_id"},
    },
}


@router.get(
    "/queue",
    response=responses({200: QueueOut}, 400),
    auth=token_auth(LABELERS),
    openapi_extra={"responses": {200: {"links": QUEUE_LINKS}}},
)
def queue(request: HttpRequest, params: Query[QueueParams]) -> dict[str, Any]:
    """The caller's next leads, most informative first; each is leased to the caller."""
    refuse_unknown_parameters(request, QueueParams)  # a mistyped "limt" would lease ten leads
    return {
        "leads": leads_out(
            lease_next_leads(
                user=signed_in_user(request), limit=params.limit, lease_minutes=loop_settings().lease_minutes
            )
        )
    }


class LabelIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a mistyped "nots" is a 400, never a label without its note

    lead: str = Field(min_length=1, max_length=100)
    outcome: OutcomeValue
    reason: str = Field(description="the code of an active reason for that outcome (GET /api/reasons)")
    note: str = Field("", max_length=2000)
    fields: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Optional: the lead fields the rep marks as the real reason (field names the model knows, "
        "as GET /api/reasons lists them per reason: a profile field or custom attribute such as `deal_value`, "
        "`activity:<type>` for one kind of activity, `recency`, `engagement`, `lead_age`). "
        "An unknown field is a 400 naming it.",
    )


class LabelCreated(Schema):
    lead: str
    outcome: OutcomeValue
    reason: str | None
    note: str
    fields: list[str] = Field(description="The lead fields marked as the real reason (empty when none).")
    created: bool


@router.post(
    "/labels",
    response=responses({201: LabelCreated, 200: LabelCreated}, 400, 404, 409, 413),
    auth=token_auth(LABELERS),
    openapi_extra={
        "responses": {
            201: {
                "links": {
                    "ReadTheLabeledLead": {
                        "operationId": "leads_api_lead_detail",
                        "parameters": {"external_id": "$response.body#/lead"},
                    }
                }
            }
        }
    },
)
def labels_create(request: HttpRequest, payload: LabelIn) -> Status[dict[str, object]]:
    """Record an outcome and its reason. 201 when stored; 200 when the same label was already stored."""
    refuse_unknown_parameters(request)
    lead = lead_to_label(external_id=payload.lead)
    if lead is None:
        raise HttpError(404, f"no lead with external_id {payload.lead!r}")
    result = label_submit(
        user=signed_in_user(request),
        lead=lead,
        outcome=payload.outcome,
        reason_code=payload.reason,
        note=payload.note,
        source=LabelSource.API,
        fields=payload.fields,
        known_fields=known_lead_fields() if payload.fields else (),
    )
    label = result.label
    body: dict[str, object] = {
        "lead": lead.external_id,
        "outcome": label.outcome,
        "reason": label.reason.code if label.reason else None,
        "note": label.note,
        "fields": label.fields,
        "created": result.created,
    }
    return Status(201 if result.created else 200, body)


class ReasonOut(Schema):
    code: str
    label: str
    outcome: OutcomeValue
    fields: list[str] = Field(
        description="The lead fields this reason speaks to that the model knows now: the names a label's "
        "`fields` may give. A field the taxonomy maps but no lead has yet (say, an attribute not imported) "
        "is left out until leads have it."
    )


@router.get("/reasons", response=responses({200: list[ReasonOut]}), auth=token_auth(READERS))
def reasons_list(request: HttpRequest) -> list[dict[str, Any]]:
    refuse_unknown_parameters(request)
    known = set(known_lead_fields())
    return [
        {"code": r.code, "label": r.label, "outcome": r.outcome, "fields": [f for f in r.fields if f in known]}
        for r in reasons()
    ]
