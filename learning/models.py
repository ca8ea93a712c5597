from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY, STRATEGIES


class ModelStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANDIDATE = "candidate", "Candidate"
    REJECTED = "rejected", "Rejected"
    RETIRED = "retired", "Retired"


class ModelVersion(models.Model):
    """One trained model: its artifact, what it was trained on and how it did on held-out labels."""

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=ModelStatus.choices, default=ModelStatus.CANDIDATE)
    estimator = models.CharField(max_length=100)
    labels = models.PositiveIntegerField()
    positives = models.PositiveIntegerField(default=0)
    labels_revision = models.PositiveBigIntegerField(default=0)
    last_label_id = models.PositiveBigIntegerField(default=0, help_text="labels after this one are its held-out set")
    metrics = models.JSONField(default=dict)
    features = models.JSONField(default=list)
    library_versions = models.JSONField(default=dict)
    note = models.TextField(blank=True)
    artifact = models.BinaryField()
    train_seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="one_active_model"),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status == ModelStatus.ACTIVE


# The loop settings an admin edits on /settings/ (form fields and audited changes).
SETTINGS_FIELDS = (
    "hot_threshold",
    "cost_per_lead",
    "expected_value_threshold",
    "strategy",
    "exploration",
    "min_labels_per_outcome",
    "retrain_every_labels",
    "retrain_every_minutes",
    "lease_minutes",
    "cold_start_hot_points",
    "rescore_every_hours",
)


class LoopSettings(models.Model):
    """The admin's knobs for the loop; one row (pk=1)."""

    hot_threshold = models.FloatField(default=0.5)
    cost_per_lead = models.FloatField(default=50.0)
    expected_value_threshold = models.FloatField(default=0.0)
    strategy = models.CharField(max_length=20, choices=[(s, s) for s in STRATEGIES], default=DEFAULT_STRATEGY)
    exploration = models.FloatField(default=DEFAULT_EXPLORATION)
    min_labels_per_outcome = models.PositiveIntegerField(default=5)
    lease_minutes = models.PositiveIntegerField(default=15)
    cold_start_hot_points = models.FloatField(default=50.0)
    retrain_every_labels = models.PositiveIntegerField(
        default=1, help_text="retrain once this many new labels are waiting"
    )
    retrain_every_minutes = models.PositiveIntegerField(
        default=0, help_text="also retrain when any label has waited this long (0: only by count)"
    )
    rescore_every_hours = models.PositiveIntegerField(
        default=24, help_text="rescore every open lead when scores are this old, so time-based features stay true"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # The version an admin promoted or rolled back to by hand: while it is set, new versions are still
    # trained and measured against it, but none is promoted automatically.
    pinned_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pinned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "Loop settings"


class PointRule(models.Model):
    """A cold-start rule: points per activity event of a type, or for a profile value."""

    class Kind(models.TextChoices):
        ACTIVITY = "activity", "Activity type"
        PROFILE = "profile", "Profile value"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    field = models.CharField(max_length=100, blank=True, help_text="profile field (for profile rules)")
    value = models.CharField(max_length=200, help_text="activity type, or the profile value")
    points = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "field", "value"], name="point_rule_unique")]
        ordering = ["kind", "field", "value"]

    def __str__(self) -> str:
        return f"{self.field or self.kind}={self.value}: {self.points:+g}"


class LoopState(models.Model):
    """What the database says is pending: labels changed since the last training, and the
    version of the scores readers see. One row (pk=1), bumped by every label."""

    labels_revision = models.PositiveBigIntegerField(default=0)
    trained_revision = models.PositiveBigIntegerField(default=0)
    scores_version = models.PositiveBigIntegerField(default=0)
    scores_updated_at = models.DateTimeField(null=True, blank=True)
    rescore_requested = models.BooleanField(default=False)
    rescore_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="when the pending rescore was asked for"
    )
    pending_since = models.DateTimeField(null=True, blank=True, help_text="when the oldest untrained label arrived")
    retrain_requested = models.BooleanField(  # db_default: see feedback.Label.completes_import
        default=False,
        db_default=False,
        help_text="what the labeled leads look like changed (their activity came in): train again",
    )

    def __str__(self) -> str:
        return f"labels r{self.labels_revision}, trained r{self.trained_revision}, scores v{self.scores_version}"


class LoopLock(models.Model):
    """Which worker runs the learning loop, since when, its last sign of life and the last error.
    One row (pk=1), apart from LoopState, so the claim and the heartbeat never hold up a label."""

    running_since = models.DateTimeField(null=True, blank=True)
    # Who runs the loop ("host:pid") and its last sign of life: a dead worker's claim is taken over.
    claimed_by = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True, help_text="when a loop run last finished cleanly")

    def __str__(self) -> str:
        return f"claimed by {self.claimed_by}" if self.claimed_by else "free"

    @property
    def last_beat(self) -> datetime | None:
        """The running claim's last sign of life (its start, before the first beat); None when free."""
        return (self.heartbeat_at or self.running_since) if self.running_since is not None else None

    @property
    def failing(self) -> bool:
        """The last run failed and none has finished cleanly since."""
        if not self.last_error or self.last_error_at is None:
            return False
        return self.last_success_at is None or self.last_success_at < self.last_error_at


class QuarantinedValue(models.Model):
    """A lead's value the loop could not read: the lead is left out of training and scoring until
    it reads again (fixed by an import, or by hand), and the loop learns from the rest."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="quarantined_values")
    field = models.CharField(max_length=100)
    error = models.CharField(max_length=500)
    found_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead", "field"], name="quarantine_lead_field")]

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.field}: {self.error}"


class NextAction(models.Model):
    """An action a rep can take on a lead, offered where its rules hold, ranked by P(convert) x value."""

    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    value = models.FloatField(help_text="what the action is worth when the lead converts")
    rules = models.JSONField(default=list, blank=True, help_text='[{"field", "op", "value"}], all must hold')
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label


class WebhookEndpoint(models.Model):
    """Where Leadloop posts changed scores after each rescore (the CRM's receiver); one row (pk=1)."""

    url = models.URLField(max_length=500, blank=True)
    secret = models.CharField(max_length=200, blank=True, help_text="signs each body with HMAC-SHA256")
    active = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return self.url or "webhook (not set)"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One signed POST of changed scores and what became of it: the delivery log admins read."""

    url = models.URLField(max_length=500)
    scores_version = models.PositiveBigIntegerField()
    leads = models.PositiveIntegerField()
    body = models.TextField(help_text="the exact JSON sent, so a retry sends the same bytes and signature")
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status}, {self.leads} leads)"


class RescoreRun(models.Model):
    """One rescore of every open lead: planned by the learning loop, its chunks scored by whichever
    workers claim them, written at once by the loop (``learning.rescoring``)."""

    key = models.CharField(max_length=32, unique=True, help_text="names the run's results in the shared cache")
    created_at = models.DateTimeField(auto_now_add=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    as_of = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    leads = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="seconds per stage, for the benchmark")

    def __str__(self) -> str:
        return f"rescore {self.key[:8]} ({self.leads} leads)"


class ChunkStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class RescoreChunk(models.Model):
    """One block of lead ids of a run: the unit of rescoring work, claimed with a conditional UPDATE."""

    run = models.ForeignKey(RescoreRun, on_delete=models.CASCADE, related_name="chunks")
    block = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    leads = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    features_cached = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "block"], name="rescore_chunk_unique")]
        indexes = [models.Index(fields=["run", "status"], name="rescore_chunk_status")]

    def __str__(self) -> str:
        return f"chunk {self.block} of {self.run_id} ({self.status})"


class QueueMix(models.Model):
    """The adaptive queue's learned mix (``learning.core.mix``) for this deployment; one row (pk=1).

    ``state``: the experts' cumulative losses and AdaHedge's gap, the batch not yet paid (label ids and
    each expert's importance weights) and the last gains.
    ``totals``/``pool``: each expert's total weight over the open pool and the pool's size at the last
    rescore, so a label's pick probability under each expert can be recovered from its score.
    """

    state = models.JSONField(default=dict)
    totals = models.JSONField(default=dict)
    pool = models.PositiveIntegerField(default=0)
    exploration = models.FloatField(default=DEFAULT_EXPLORATION)  # the floor of that rescore
    last_label_id = models.PositiveBigIntegerField(default=0, help_text="queue labels up to this one are credited")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"queue mix after {self.state.get('rounds', 0)} rounds"
