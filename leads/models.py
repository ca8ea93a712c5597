from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

# The known profile columns of an imported lead, in import order.
PROFILE_FIELDS = (
    "company",
    "industry",
    "employees",
    "title",
    "seniority",
    "department",
    "country",
    "source",
    "created_at",
    "deal_value",
)


class LeadStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONVERTED = "converted", "Converted"
    NOT_CONVERTED = "not_converted", "Not converted"


class Lead(models.Model):
    """A sales lead: its profile, custom attributes, status and its current score."""

    external_id = models.CharField(max_length=100, unique=True)
    company = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200, blank=True)
    seniority = models.CharField(max_length=50, blank=True)
    department = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    deal_value = models.FloatField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The current score, written in bulk by learning's rescoring.
    score = models.FloatField(null=True, blank=True)
    fit_score = models.FloatField(null=True, blank=True)
    behavior_score = models.FloatField(null=True, blank=True)
    expected_value = models.FloatField(null=True, blank=True)
    uncertainty = models.FloatField(null=True, blank=True)
    priority = models.FloatField(null=True, blank=True)
    queue_reason = models.CharField(max_length=100, blank=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    # Written at rescore for the queue's head; other leads get theirs on first read.
    explanation = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            # The queue: open leads by priority, without scanning closed ones.
            models.Index(fields=["-priority", "id"], name="lead_open_priority", condition=Q(status="open")),
            models.Index(fields=["-score", "id"], name="lead_open_score", condition=Q(status="open")),
            models.Index(fields=["status", "-expected_value"], name="lead_status_ev"),
            models.Index(fields=["-uncertainty", "id"], name="lead_open_uncertainty", condition=Q(status="open")),
            models.Index(fields=["industry"], name="lead_industry"),
            models.Index(fields=["source"], name="lead_source"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.company})"

    @property
    def is_open(self) -> bool:
        return self.status == LeadStatus.OPEN


class Activity(models.Model):
    """One behaviour event of a lead (email open, click, visit, download, meeting, call...)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    type = models.CharField(max_length=50)
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Re-importing the same file updates nothing and duplicates nothing.
            models.UniqueConstraint(fields=["lead", "type", "occurred_at"], name="activity_unique_event"),
        ]
        indexes = [models.Index(fields=["lead", "-occurred_at"], name="activity_lead_time")]

    def __str__(self) -> str:
        return f"{self.type} @ {self.occurred_at:%Y-%m-%d %H:%M}"


SCORE_MOVE = 0.05
SCORE_HISTORY_KEEP = 20


class ScoreEvent(models.Model):
    """One entry of a lead's score history, for the lead page.

    Written only where it is cheap and says something, so the table stays bounded at 1M leads:

    - ``label`` / ``undo``: one row when a rep labels a lead or takes a label back (human speed,
      so at most one row per label action), with the score the rep saw;
    - ``rescore``: written by the bulk score write, in the same statement pass, only for leads whose
      score moved by more than ``SCORE_MOVE`` (a rescore after one more label moves few leads that
      much), and only the last ``SCORE_HISTORY_KEEP`` moves per lead are kept.

    Not written: a row per lead per rescore (1M rows a minute at scale) and the first score a lead
    ever gets (the lead row itself holds the current score).
    """

    class Cause(models.TextChoices):
        LABEL = "label", "Labeled"
        UNDO = "undo", "Label undone"
        RESCORE = "rescore", "Score moved"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="score_events")
    cause = models.CharField(max_length=10, choices=Cause.choices)
    score = models.FloatField(null=True, blank=True)
    previous_score = models.FloatField(null=True, blank=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["lead", "-recorded_at", "-id"], name="score_event_lead_time")]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.cause} {self.score}"
