from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

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


SCORE_FIELDS = (
    "score",
    "fit_score",
    "behavior_score",
    "expected_value",
    "uncertainty",
    "priority",
    "propensity",
    "queue_reason",
    "model_version",
    "scored_at",
    "explanation",
)


class LeadQuerySet(models.QuerySet["Lead"]):
    def scored(self) -> LeadQuerySet:
        """Only leads with a current score: an inner join, so a sort by a score column walks that
        column's index instead of sorting every lead."""
        return self.filter(current__isnull=False)


class LeadManager(models.Manager["Lead"]):
    """Every lead read carries its current score (a LEFT JOIN on the score table's primary key)."""

    def get_queryset(self) -> LeadQuerySet:
        reads: dict[str, F | Coalesce] = {name: F(f"current__{name}") for name in SCORE_FIELDS}
        reads["queue_reason"] = Coalesce(F("current__queue_reason"), Value(""))
        return LeadQuerySet(self.model, using=self._db).annotate(**reads)

    def scored(self) -> LeadQuerySet:
        return self.get_queryset().scored()


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

    rows = models.Manager()  # the lead rows alone, without the score join: locks and status writes
    objects = LeadManager()

    # The current score lives in LeadScore (a narrow table rebuilt and swapped in whole by each
    # rescore); LeadManager reads it into these attributes. A lead never scored reads None.
    score: float | None = None
    fit_score: float | None = None
    behavior_score: float | None = None
    expected_value: float | None = None
    uncertainty: float | None = None
    priority: float | None = None
    propensity: float | None = None
    queue_reason: str = ""
    model_version: int | None = None
    scored_at: datetime | None = None
    explanation: list[str] | None = None

    class Meta:
        default_manager_name = "objects"
        base_manager_name = "objects"  # a lead reached through a relation carries its score too
        indexes = [
            models.Index(fields=["industry"], name="lead_industry"),
            models.Index(fields=["source"], name="lead_source"),
            # The labeled leads (a few percent): rescoring keeps their last score.
            models.Index(fields=["id"], name="lead_closed", condition=~Q(status="open")),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.company})"

    @property
    def is_open(self) -> bool:
        return self.status == LeadStatus.OPEN

    def refresh_from_db(self, using: str | None = None, fields: Any = None, from_queryset: Any = None) -> None:
        """Reload the score too (it is read through LeadManager, not a field)."""
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None:
            fresh = Lead.objects.filter(pk=self.pk).values(*SCORE_FIELDS).first() or {}
            for name in SCORE_FIELDS:
                setattr(self, name, fresh.get(name))


class LeadScore(models.Model):
    """A lead's current score. Written only by ``leads.scorestore``: on PostgreSQL each rescore
    builds a new table, indexes it and renames it into place in one short transaction, so readers
    see all the old scores or all the new ones, and a million scores cost a COPY and an index
    build instead of a million row updates."""

    lead = models.OneToOneField(
        Lead, primary_key=True, on_delete=models.CASCADE, db_constraint=False, related_name="current"
    )
    score = models.FloatField(null=True)
    fit_score = models.FloatField(null=True)
    behavior_score = models.FloatField(null=True)
    expected_value = models.FloatField(null=True)
    uncertainty = models.FloatField(null=True)
    priority = models.FloatField(null=True)
    # The queue's per-draw pick probability at this rescore (``learning.core.strategies.rank_pool``);
    # a lease copies it onto the lease, a label from the queue onto the label.
    propensity = models.FloatField(null=True)
    queue_reason = models.CharField(max_length=100, blank=True, default="")
    model_version = models.PositiveIntegerField(null=True)
    scored_at = models.DateTimeField(null=True)
    # Written at rescore for the queue's head; other leads get theirs on first read.
    explanation = models.JSONField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["-priority", "lead"], name="lead_score_priority"),
            models.Index(fields=["-score", "lead"], name="lead_score_score"),
            models.Index(fields=["-expected_value", "lead"], name="lead_score_ev"),
            models.Index(fields=["-uncertainty", "lead"], name="lead_score_uncertainty"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.score}"


BLOCK_SIZE = 50_000  # lead ids per block: the unit of rescoring work and of cached features


class LeadBlock(models.Model):
    """The lead ids ``number * BLOCK_SIZE`` up to the next block, and a token that every write of
    a lead or an activity in them changes (``leads.services``): rescoring reuses a block's
    features while its token stands."""

    number = models.PositiveIntegerField(primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"block {self.number} ({self.token[:8]})"


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
    - ``rescore``: written by the bulk score write (``leads.scorestore``) with one INSERT … SELECT
      that compares the new scores with the live ones, only for leads whose score moved by more
      than ``SCORE_MOVE`` (a rescore after one more label moves few leads that much), and only the
      last ``SCORE_HISTORY_KEEP`` moves per lead are kept.

    Not written: a row per lead per rescore (1M rows a minute at scale) and the first score a lead
    ever gets (its ``LeadScore`` row holds the current score).
    """

    class Cause(models.TextChoices):
        LABEL = "label", "Labeled"
        UNDO = "undo", "Label undone"
        RESCORE = "rescore", "Score moved"

    # No database constraint: a rescore that moves most scores writes a history row per lead, and a
    # foreign key check share-locks (and dirties) every one of those lead rows. Deleting a lead
    # still deletes its history (Django cascades).
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="score_events", db_constraint=False, db_index=False
    )  # score_event_lead_time indexes it
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
