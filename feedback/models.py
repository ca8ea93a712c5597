from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from feedback.taxonomy import OTHER_CODES


class Outcome(models.TextChoices):
    CONVERTED = "converted", "Converted"
    NOT_CONVERTED = "not_converted", "Not converted"


class Reason(models.Model):
    """Why a lead converted or not; the taxonomy admins curate. Retired reasons stay for history."""

    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    # The lead fields this reason speaks to (profile fields, custom attributes, behaviour groups):
    # training reads them as the part of the lead that explains the outcome.
    fields = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["outcome", "position", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def shown_label(self) -> str:
        """The label as charts, filters and chips show it: a retired reason says so (an active one
        may since have taken its wording)."""
        return self.label if self.active else f"{self.label} (retired)"

    @property
    def needs_note(self) -> bool:
        """An "Other" reason says nothing by itself: its note is the answer (and a candidate reason)."""
        return self.code in OTHER_CODES


class LabelSource(models.TextChoices):
    REP = "rep", "Rep"
    API = "api", "API"
    IMPORT = "import", "Import"


class Label(models.Model):
    """What really happened to a lead, and why: the source of truth the model learns from."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="label")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.ForeignKey(Reason, null=True, blank=True, on_delete=models.PROTECT, related_name="labels")
    note = models.TextField(blank=True, max_length=2000)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=20, choices=LabelSource.choices, default=LabelSource.REP)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the outcome happened: the labeling time for reps, the outcome date for imported history.
    outcome_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The lead fields the rep marked as the real reason (beyond the reason's own fields).
    fields = models.JSONField(default=list, blank=True)
    # The probability with which the queue picked this lead (from its lease); null outside the queue.
    propensity = models.FloatField(null=True, blank=True)
    # What the rep saw when labeling, for disagreement and calibration analysis.
    score_seen = models.FloatField(null=True, blank=True)
    model_version_seen = models.PositiveIntegerField(null=True, blank=True)
    seconds_to_label = models.FloatField(null=True, blank=True)
    # A rep's why added to an outcome an import gave (the outcome and its date are the import's):
    # the rep's label from then on, which no import overwrites; undo leaves it, as it never reopens a lead.
    # db_default too: a web process of the version before this column (still running while the new one
    # migrates) inserts labels without it.
    completes_import = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="label_user_time"),
            models.Index(fields=["outcome", "created_at"], name="label_outcome_time"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.outcome}"

    @property
    def awaits_why(self) -> bool:
        """An outcome an import recorded without a reason: a rep may give its why (``label_submit``)."""
        return self.source == LabelSource.IMPORT and self.reason_id is None


class Lease(models.Model):
    """A lead handed to one rep's queue; nobody else gets it until the lease expires."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, primary_key=True, related_name="lease")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leases")
    leased_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The probability with which the query strategy picked this lead; it lands on the label.
    propensity = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"], name="lease_user_expiry")]

    def __str__(self) -> str:
        return f"{self.lead_id} → {self.user_id} until {self.expires_at:%H:%M}"


SKIP_COOLDOWN = timedelta(hours=24)  # a skipped lead comes back to the rep who skipped it after this


class Skip(models.Model):
    """A rep passed on a lead: not a label; it returns to the pool, for this rep later."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skips")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "lead", "-created_at"], name="skip_user_lead")]

    def __str__(self) -> str:
        return f"{self.lead_id} skipped by {self.user_id}"
