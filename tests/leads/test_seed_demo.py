"""The demo tells a story a manager can find: months of rep labels with patterns, dated history,
models trained as the labels came. Loading it twice changes nothing."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max, Min
from django.utils import timezone

from config.models import AuditLog
from feedback.models import Label
from leads.demo import INDUSTRIES
from leads.models import Activity, Lead, LeadStatus
from learning.core.mix import MixState
from learning.demo import REPS, _label
from learning.models import ModelVersion, QueueMix
from learning.why import candidate_reasons


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", leads=500, stdout=out)
    return out.getvalue()


NOT_RETAIL = [industry for industry in INDUSTRIES if industry != "retail"]


def lost_reasons(**where: object) -> Counter[str]:
    labels = Label.objects.filter(outcome="not_converted", source="rep", **where)
    return Counter(labels.values_list("reason__code", flat=True))


@pytest.mark.django_db(transaction=True)
def test_the_demo_tells_a_story_and_loads_once(defaults: None) -> None:
    first = seed()
    counts = (Label.objects.count(), ModelVersion.objects.count())
    second = seed()

    assert "rep labels" in first and "the database has leads already" in second
    active = ModelVersion.objects.get(status="active").version
    assert f"model versions: {ModelVersion.objects.count()} (active v{active}" in first
    assert (Label.objects.count(), ModelVersion.objects.count()) == counts
    assert AuditLog.objects.filter(action__startswith="import.").count() == 2  # the first load's imports only

    reps = Label.objects.filter(source="rep")
    span = reps.aggregate(first=Min("outcome_at"), last=Max("outcome_at"))
    assert span["last"] - span["first"] >= timedelta(days=60)
    assert set(reps.values_list("user__username", flat=True)) == {"riley", "sam", "jordan", "casey"}
    assert not reps.filter(reason__isnull=True).exists()
    assert reps.exclude(note="").count() > reps.count() / 2
    assert not reps.filter(propensity__isnull=True).exists()
    assert reps.filter(propensity__gt=0, propensity__lte=1).count() == reps.count()
    assert reps.filter(score_seen__isnull=False).count() == reps.count()
    jordan_first = reps.filter(user__username="jordan").aggregate(first=Min("outcome_at"))["first"]
    assert jordan_first >= timezone.now() - timedelta(days=31)

    history = Label.objects.filter(source="import")
    assert history.exists()
    assert history.aggregate(last=Max("outcome_at"))["last"] < span["first"]  # dated, not the import day

    # Patterns a manager can find.
    # The demo's leads and label dates follow the day it is loaded, so a pattern is checked as a
    # share against the rest of the team, not as a strict first place among a dozen labels. Each of
    # the two budget stories (retail; small firms, whose size fields "No budget" speaks to) is set
    # against the leads that have neither, so one never blurs the other's contrast.
    neither = lost_reasons(lead__employees__gt=50, lead__industry__in=NOT_RETAIL)
    retail = lost_reasons(lead__industry="retail")
    assert retail["no_budget"] / retail.total() > 2 * neither["no_budget"] / neither.total()
    small = lost_reasons(lead__employees__lte=50, lead__industry__in=NOT_RETAIL)
    assert small["no_budget"] / small.total() > 1.5 * neither["no_budget"] / neither.total()
    recent = timezone.now() - timedelta(days=30)
    assert lost_reasons(lead__industry="manufacturing", outcome_at__gte=recent).most_common(1)[0][0] == "competitor"
    webinar = Counter(reps.filter(outcome="converted", lead__source="webinar").values_list("reason__code", flat=True))
    assert webinar.most_common(1)[0][0] == "urgent_pain"

    # Models trained along the way, on the labels of their day.
    versions = list(ModelVersion.objects.order_by("version"))
    assert len(versions) >= 4
    assert [v.labels for v in versions] == sorted(v.labels for v in versions)
    assert versions[-1].created_at - versions[0].created_at >= timedelta(days=40)
    assert ModelVersion.objects.filter(status="active").count() == 1
    # The queue drew with the mix learned so far, and the training runs paid it, as in production.
    assert MixState.from_json(QueueMix.objects.get().state).rounds >= 1


@pytest.mark.django_db
def test_the_demos_other_notes_are_offered_as_candidate_reasons(defaults: None) -> None:
    call_command("seed_demo", stdout=io.StringIO())  # the size make run loads

    others = Label.objects.filter(source="rep", reason__code="other_not_converted")
    groups = candidate_reasons()

    assert others.count() >= 20 and not others.filter(note="").exists()  # "Other" says why
    assert groups, "the notes group into at least one candidate reason"
    for group in groups:  # each candidate is one of the two themes, not a blend
        kinds = {
            "head office" if "head office" in n.lower() else "soc 2" if "soc 2" in n.lower() else "?"
            for n in group.member_notes
        }
        assert len(kinds) == 1 and "?" not in kinds, group.member_notes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 4, 5, 0, tzinfo=UTC),  # the team started labeling on a Saturday
        datetime(2026, 12, 5, 5, 0, tzinfo=UTC),  # ... on a Sunday, early in the day
        datetime(2026, 12, 5, 20, 0, tzinfo=UTC),  # ... on a Sunday, late in the day
    ],
)
def test_the_history_comes_before_the_reps_and_nothing_happens_after_now(
    defaults: None, monkeypatch: pytest.MonkeyPatch, now: datetime
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: now)
    seed()

    history = Label.objects.filter(source="import").aggregate(last=Max("outcome_at"))["last"]
    reps = Label.objects.filter(source="rep").aggregate(first=Min("outcome_at"), last=Max("outcome_at"))
    assert history < reps["first"] and reps["last"] <= now
    assert Activity.objects.aggregate(last=Max("occurred_at"))["last"] <= now


@pytest.mark.django_db
@pytest.mark.parametrize("leads", ["-5", "0", "many"])
def test_the_number_of_leads_must_be_a_positive_whole_number(defaults: None, leads: str) -> None:
    with pytest.raises(CommandError, match=f"argument --leads: must be a whole number of at least 1, got '{leads}'"):
        call_command("seed_demo", "--leads", leads, stdout=io.StringIO())

    assert not Lead.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("verbosity", "shown"), [(1, False), (2, True)])
def test_the_loop_s_records_show_only_when_asked_for(
    defaults: None, caplog: pytest.LogCaptureFixture, verbosity: int, shown: bool
) -> None:
    out = io.StringIO()

    with caplog.at_level(logging.INFO):
        call_command("seed_demo", "--leads", "60", verbosity=verbosity, stdout=out)

    trained = [r for r in caplog.records if "trained on" in r.getMessage()]
    assert bool(trained) is shown
    assert "demo: 60 leads" in out.getvalue() and ModelVersion.objects.exists()
    assert logging.getLogger("learning").level == logging.NOTSET  # as it was before the command


@pytest.mark.django_db(transaction=True)
def test_the_demo_s_imports_are_audited_and_announced_as_every_import_is(defaults: None) -> None:
    out = io.StringIO()

    call_command("seed_demo", "--leads", "60", stdout=out)

    said = re.search(r"([0-9,]+) imported outcomes", out.getvalue())
    assert said is not None
    history = int(said[1].replace(",", ""))
    leads, activities = AuditLog.objects.get(action="import.leads"), AuditLog.objects.get(action="import.activities")
    assert leads.user is None and leads.target == "leads from demo story"
    assert leads.changes == {
        "source": "manage.py seed_demo",
        "file": "demo story",
        "imported": 60,
        "labels": history,
        "rejected": 0,
        "warnings": 0,
    }
    assert activities.user is None and activities.target == "activities from demo story"
    assert activities.changes == {
        "source": "manage.py seed_demo",
        "file": "demo story",
        "imported": Activity.objects.count(),
        "labels": 0,
        "rejected": 0,
        "warnings": 0,
        "duplicates": 0,
    }
    # The announcement's rescore: every open lead has a score when the command ends.
    open_leads = Lead.objects.filter(status=LeadStatus.OPEN)
    assert open_leads.exists() and not open_leads.filter(current__score__isnull=True).exists()


@pytest.mark.django_db
def test_with_debug_off_the_demo_users_are_refused_unless_asked_for(defaults: None, settings: Any) -> None:
    from django.contrib.auth.models import User

    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="passwords the README publishes"):
        call_command("seed_demo", "--leads", "40", stdout=io.StringIO())
    assert not User.objects.filter(username="alex").exists() and not Lead.objects.exists()

    call_command("seed_demo", "--leads", "40", "--allow-published-passwords", stdout=io.StringIO())
    assert User.objects.get(username="alex").check_password("leadloop-admin")


def test_what_happened_to_a_lead_and_why_does_not_depend_on_the_day_the_demo_is_loaded() -> None:
    """The shared stream's draws depend on the load day (a weekend date takes an extra draw); a lead's
    outcome, reason and note come from its own draws, so the demo's story holds whatever the day."""
    users: dict[str, Any] = {name: object() for name in REPS}
    now = datetime(2026, 12, 8, 0, 54, tzinfo=UTC)
    begin, end = now - timedelta(days=60), now - timedelta(days=45)  # before the competitor's 30 days
    answers = set()
    for stream in range(5):
        for industry in ("retail", "software"):
            row = {"external_id": f"L{industry}", "industry": industry, "employees": "201-500"}
            row |= {"source": "outbound", "seniority": "director"}
            label = _label((row, 0.3), 1, 0.3, None, 0.01, begin, end, now, users, np.random.default_rng(stream))
            answers.add((industry, label.outcome, label.reason_code, label.note))
    assert len(answers) == 2  # one answer per lead, whichever stream dated it
