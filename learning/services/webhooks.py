"""Outbound webhook: changed scores to the CRM after each rescore, signed, retried with backoff."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config.audit import audit_record, changed_fields
from learning.core.webhook import (
    DELIVERY_ERRORS,
    SIGNATURE_HEADER,
    TargetRefused,
    check_url,
    delivery_error,
    post,
    sign,
)
from learning.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from learning.services.workers import enqueue

logger = logging.getLogger(__name__)

WEBHOOK_BATCH = 1000  # leads per POST
WEBHOOK_MAX_ATTEMPTS = 6
WEBHOOK_FIELDS = ("score", "fit_score", "behavior_score", "expected_value", "uncertainty")


class WebhookError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def webhook_configure(*, user: User, url: str, secret: str, active: bool) -> WebhookEndpoint:
    """Set where changed scores go and the secret that signs them; audited (the secret never is)."""
    url = url.strip()
    if active and not url.startswith(("https://", "http://")):
        raise WebhookError("url", "must be an http(s) URL")
    if url:
        try:
            check_url(url, allowed_hosts=settings.WEBHOOK_ALLOWED_HOSTS)
        except TargetRefused as exc:
            raise WebhookError("url", str(exc)) from None
    if active and len(secret) < 16:
        raise WebhookError("secret", "must be at least 16 characters")
    with transaction.atomic():
        endpoint, _ = WebhookEndpoint.objects.select_for_update().get_or_create(pk=1)
        before = {"url": endpoint.url, "active": endpoint.active, "secret": "(set)" if endpoint.secret else ""}
        after = {"url": url, "active": active, "secret": "(changed)" if secret != endpoint.secret else before["secret"]}
        endpoint.url, endpoint.secret, endpoint.active = url, secret, active
        endpoint.updated_by = user if user.is_authenticated else None
        endpoint.save()
        diff = changed_fields(before, after)
        if diff:
            audit_record(user=user, action="webhook.update", target="webhook", changes=diff)
    return endpoint


def webhook_deliveries_create(
    *, scores: pd.DataFrame, before: pd.DataFrame, model_version: int | None, scored_at: datetime, scores_version: int
) -> list[int]:
    """In the rescore's transaction: one delivery per WEBHOOK_BATCH leads whose score changed."""
    endpoint = WebhookEndpoint.objects.filter(pk=1, active=True).first()
    if endpoint is None or scores.empty:
        return []
    old = before["score"].reindex(scores.index)
    new = scores["score"].astype(float)
    changed = scores.index[old.isna().to_numpy() | ~np.isclose(new.to_numpy(), old.to_numpy(), rtol=0, atol=1e-9)]
    if len(changed) == 0:
        return []
    rows = scores.loc[changed, list(WEBHOOK_FIELDS)].astype(float).round(6)
    rows.insert(0, "external_id", before["external_id"].reindex(changed))
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    parts = [records[i : i + WEBHOOK_BATCH] for i in range(0, len(records), WEBHOOK_BATCH)]
    deliveries = []
    for number, part in enumerate(parts, start=1):
        body = {
            "event": "scores.changed",
            "scores_version": scores_version,
            "model_version": model_version,
            "scored_at": scored_at.isoformat(),
            "part": number,
            "parts": len(parts),
            "leads": [{**lead, "model_version": model_version, "scored_at": scored_at.isoformat()} for lead in part],
        }
        deliveries.append(
            WebhookDelivery(
                url=endpoint.url,
                scores_version=scores_version,
                leads=len(part),
                body=json.dumps(body, separators=(",", ":")),
            )
        )
    created = WebhookDelivery.objects.bulk_create(deliveries)
    ids = [delivery.pk for delivery in created]
    transaction.on_commit(lambda: _enqueue_deliveries(ids))
    return ids


def _enqueue_deliveries(ids: list[int]) -> None:
    for delivery_id in ids:
        try:
            enqueue("learning.deliver_webhook", delivery_id)
        except Exception:  # the broker is down: the delivery row stays pending
            logger.warning("could not enqueue webhook delivery %s", delivery_id, exc_info=True)


STUCK_DELIVERY_AFTER = timedelta(minutes=2)


def webhook_deliveries_resend_stuck() -> int:
    """Deliveries that never went out because the broker was down when they were queued: send
    them now. A delivery that did reach a worker has attempts > 0 and retries on its own."""
    stuck = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, attempts=0, created_at__lt=timezone.now() - STUCK_DELIVERY_AFTER
        ).values_list("pk", flat=True)[:1000]
    )
    _enqueue_deliveries(stuck)
    return len(stuck)


def webhook_deliver(*, delivery_id: int, last_attempt: bool) -> str:
    """Send one delivery once. Returns ``delivered``, ``retry`` or ``failed`` (after the last attempt)."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "done"  # delivered already (a duplicate message), or given up
    endpoint = WebhookEndpoint.objects.filter(pk=1).first()
    secret = endpoint.secret if endpoint else ""
    body = delivery.body.encode()
    headers = {SIGNATURE_HEADER: sign(body, secret), "X-Leadloop-Delivery": str(delivery.pk)}
    status: int | None = None
    try:
        status = post(delivery.url, body, headers, allowed_hosts=settings.WEBHOOK_ALLOWED_HOSTS)
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except DELIVERY_ERRORS as exc:
        # The details (address, port, errno) go to the server's log only.
        logger.warning("webhook delivery %s failed: %r", delivery.pk, exc)
        error = delivery_error(exc)
    now = timezone.now()
    if not error:
        outcome, state, finished = "delivered", DeliveryStatus.DELIVERED, now
    elif last_attempt:
        outcome, state, finished = "failed", DeliveryStatus.FAILED, now
    else:
        outcome, state, finished = "retry", DeliveryStatus.PENDING, None
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") + 1, response_status=status, error=error, status=state, finished_at=finished
    )
    return outcome
