from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    """An API token; only its SHA-256 is stored, the key is shown once when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="default")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # A name picks one live token of a user (revoke_token --name); revoked ones keep theirs.
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], condition=Q(revoked_at__isnull=True), name="one_live_token_name_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


IMPORT_ACTIONS = "import."  # the prefix of the actions imports record (import.leads, import.activities)


class AuditLog(models.Model):
    """Who changed what, when, from what to what: settings, rules, reasons, actions, model versions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=50)
    target = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True, help_text='{"field": [from, to]}')
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The log is read newest first as two lists, imports and the rest (config.audit.audit_entries):
        # one partial index each, in the list's order, so on PostgreSQL a page of changes is read
        # straight off its index however many imports a CRM has posted, and no page sorts the table.
        # (SQLite uses a partial index only for a pattern written in the SQL, and Django binds it: there
        # the pages walk created_at's index, as before.)
        indexes = [
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(action__startswith=IMPORT_ACTIONS),
                name="auditlog_imports_newest",
            ),
            models.Index(
                fields=["-created_at", "-id"],
                condition=~Q(action__startswith=IMPORT_ACTIONS),
                name="auditlog_changes_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.target}"


class SiteSettings(models.Model):
    """How the site shows things to everyone; one row (pk=1), edited by admins on /settings/."""

    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code used for every amount shown")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Site settings"
