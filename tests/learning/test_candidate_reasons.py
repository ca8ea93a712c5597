"""Notes become reasons: notes no reason fits are grouped and offered on the taxonomy page."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.core.cache import cache

from config.models import AuditLog
from feedback.models import Label, Reason
from feedback.selectors import unexplained_notes
from leads.models import Lead
from learning.core.notes import MIN_GROUP, note_groups
from learning.why import candidate_reasons

THEMES = {
    "security": [
        "failed the security review",
        "security team blocked us, no SOC2 report",
        "their security review wants a SOC2 report",
        "security questionnaire not passed",
    ],
    "acquired": [
        "they were acquired, new owner decides",
        "company acquired last month, purchases frozen",
        "acquired by a bigger company, vendor list frozen",
        "got acquired and the new owner froze purchases",
    ],
}
THEME_WORDS = {"security": ("security", "SOC2"), "acquired": ("acquired", "owner", "froze")}
NOISE = ["ok", "call later", "n/a", "misc"]


def themed_notes(per_theme: int = 10, *, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    notes = [
        rng.choice(phrases) + rng.choice(["", " again", " per the CTO"])
        for phrases in THEMES.values()
        for _ in range(per_theme)
    ]
    return notes + [rng.choice(NOISE) for _ in range(6)]


def test_notes_with_shared_words_fall_into_one_group_each() -> None:
    notes = themed_notes()
    outcomes = ["not_converted"] * 20 + ["converted"] * 6

    groups = note_groups(notes, outcomes)

    assert len(groups) == 2
    themes = [("security" if "security" in group.terms else "acquired") for group in groups]
    assert sorted(themes) == ["acquired", "security"]
    for group, theme in zip(groups, themes, strict=True):
        assert all(any(word in note for word in THEME_WORDS[theme]) for note in group.notes)
        assert (group.size, group.outcome, group.outcome_share) == (10, "not_converted", 1.0)
        assert group.code == group.code.lower() and " " not in group.code and group.label


def test_groups_below_the_minimum_size_are_dropped() -> None:
    notes = themed_notes(per_theme=10)

    assert len(note_groups(notes, ["converted"] * len(notes), min_size=11)) == 0
    assert note_groups(notes[:6], ["converted"] * 6) == []
    assert note_groups(NOISE * 3, ["converted"] * 12) == []


def test_notes_and_outcomes_must_pair_up() -> None:
    with pytest.raises(ValueError, match="3 notes but 2 outcomes"):
        note_groups(["a", "b", "c"], ["converted", "converted"])
    with pytest.raises(ValueError, match="3 notes but 1 keys"):
        note_groups(["a", "b", "c"], ["converted"] * 3, keys=[7])


def test_a_group_names_its_members_by_position_or_by_the_keys_given() -> None:
    notes = themed_notes()
    outcomes = ["not_converted"] * len(notes)

    by_position = note_groups(notes, outcomes)
    by_key = note_groups(notes, outcomes, keys=[1000 + i for i in range(len(notes))])

    for group, keyed in zip(by_position, by_key, strict=True):
        assert len(group.members) == group.size
        assert keyed.members == tuple(1000 + i for i in group.members)
    assert {notes[i] for i in by_position[0].members} >= set(by_position[0].notes)


def test_notes_that_all_share_one_theme_make_one_group() -> None:
    tails = ["", "again", "for weeks", "per the CTO", "still", "since March"]
    notes = [f"security questionnaire stalled in legal review {tail}" for tail in tails * 2][:11]

    groups = note_groups(notes, ["not_converted"] * len(notes))

    assert [group.size for group in groups] == [11]
    # Every word weighs the same in every note: the suggestion takes them in the order a note says them.
    assert groups[0].label == "Security questionnaire / stalled"


def test_a_suggested_label_keeps_the_capitals_the_notes_write_inside_a_term() -> None:
    tails = ["first", "again", "for weeks", "per the CTO", "still", "since March"]
    notes = [f"Missing SOC 2 report {tail}" for tail in tails * 2][:11]

    groups = note_groups(notes, ["not_converted"] * len(notes))

    assert groups[0].terms[:2] == ["missing soc", "2 report"]
    assert groups[0].label == "Missing SOC / 2 report"  # not "Missing soc / 2 report"
    assert groups[0].code == "missing_soc_2_report"


def test_a_hyphenated_word_stays_whole_in_the_group_terms() -> None:
    notes = [f"decided to build in-house {tail}" for tail in ("", "again", "per the CTO", "this year", "")] * 2
    notes += [f"went with a competitor {tail}" for tail in ("", "again", "cheaper", "this year", "")] * 2

    groups = note_groups(notes, ["not_converted"] * len(notes))

    built = next(group for group in groups if any("in-house" in term for term in group.terms))
    assert "build in-house" in built.terms
    assert not any("house" in term.split() for group in groups for term in group.terms)


def _label(lead: Lead, *, note: str, reason: str | None, outcome: str = "not_converted") -> Label:
    return Label.objects.create(
        lead=lead, outcome=outcome, note=note, reason=Reason.objects.get(code=reason) if reason else None
    )


@pytest.fixture
def noted(make_leads: Any) -> list[Label]:
    """Notes: the themed ones under "other" (or no reason), a fitting one under "no_budget"."""
    ids = make_leads(40)
    leads = list(Lead.objects.filter(external_id__in=ids).order_by("external_id"))
    labels = [
        _label(lead, note=note, reason="other_not_converted" if i % 2 else None)
        for i, (lead, note) in enumerate(zip(leads, themed_notes(), strict=False))
    ]
    labels.append(_label(leads[-1], note="security budget gone", reason="no_budget"))
    cache.clear()
    return labels


@pytest.mark.django_db
def test_only_notes_given_with_other_or_no_reason_are_read_newest_first_up_to_the_cap(noted: list[Label]) -> None:
    rows = unexplained_notes(limit=5)

    assert [label_id for label_id, _, _ in rows] == [label.pk for label in reversed(noted[:-1])][:5]
    assert "security budget gone" not in [note for _, note, _ in unexplained_notes(limit=1000)]


@pytest.mark.django_db
def test_candidate_reasons_come_from_the_notes_and_a_taken_code_is_not_offered(noted: list[Label]) -> None:
    groups = candidate_reasons()
    assert len(groups) == 2

    Reason.objects.create(code=groups[0].code, label="Taken", outcome="not_converted")

    assert [group.code for group in candidate_reasons()] == [groups[1].code]


@pytest.mark.django_db
def test_the_grouping_is_cached_until_a_note_arrives(noted: list[Label], monkeypatch: pytest.MonkeyPatch) -> None:
    candidate_reasons()
    calls: list[int] = []
    monkeypatch.setattr("learning.why.note_groups", lambda notes, outcomes, keys: calls.append(len(notes)) or [])

    candidate_reasons()
    assert calls == []

    Label.objects.filter(pk=noted[0].pk).delete()
    candidate_reasons()
    assert calls == [25]


@pytest.mark.django_db
def test_the_taxonomy_page_offers_them_and_one_click_adds_one_audited(
    noted: list[Label], admin: Any, page_for: Any
) -> None:
    client = page_for(admin)
    page = client.get("/settings/").content.decode()
    group = candidate_reasons()[0]
    assert "Candidate reasons from the notes" in page
    assert f'name="code" value="{group.code}"' in page
    assert group.notes[0].replace("'", "&#x27;") in page

    client.post(
        "/settings/reasons/", {"from": "notes", "code": group.code, "label": group.label, "outcome": group.outcome}
    )

    added = Reason.objects.get(code=group.code)
    assert (added.label, added.outcome, added.active) == (group.label, "not_converted", True)
    assert AuditLog.objects.get(action="reason.add").target == f"reason {group.code}"
    assert group.code not in [g.code for g in candidate_reasons()]


@pytest.mark.django_db
def test_adding_a_candidate_files_its_labels_under_it_and_only_those_still_unexplained(
    noted: list[Label], admin: Any, page_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = page_for(admin)
    group = candidate_reasons()[0]
    members = set(group.members)
    assert len(members) == group.size and members <= {label.pk for label in noted}
    page = client.get("/settings/").content.decode()
    assert f'name="file_labels" value="{",".join(str(i) for i in group.members)}" checked' in page
    for label_id in group.members:  # a box per note to leave out one that does not belong, none ticked
        assert f'name="leave_out" value="{label_id}">' in page
    unnoted = _label(Lead.objects.exclude(label__isnull=False).first(), note="", reason=None)  # imported, say
    given_meanwhile = Label.objects.get(pk=min(members))  # a reason was chosen for one of them since
    given_meanwhile.reason = Reason.objects.get(code="no_budget")
    given_meanwhile.save()
    learned: list[object] = []
    monkeypatch.setattr("feedback.services.reasons.labels_changed.send", lambda sender: learned.append(sender))

    response = client.post(
        "/settings/reasons/",
        {
            "from": "notes",
            "code": group.code,
            "label": "Security review",
            "outcome": group.outcome,
            "file_labels": ",".join(map(str, [*members, unnoted.pk])),  # one sent that no note asked for
        },
        follow=True,
    )

    filed = set(Label.objects.filter(reason__code=group.code).values_list("pk", flat=True))
    assert filed == members - {given_meanwhile.pk}
    assert Label.objects.get(pk=given_meanwhile.pk).reason.code == "no_budget"
    assert Label.objects.get(pk=unnoted.pk).reason is None
    assert f"Reason &#x27;Security review&#x27; added; {len(filed)} labels filed under it." in response.content.decode()
    assert AuditLog.objects.get(action="reason.file_labels").changes == {"labels": [None, len(filed)]}
    assert learned == [Label]


@pytest.mark.django_db
def test_a_candidate_added_without_filing_leaves_its_labels_as_they_were(
    noted: list[Label], admin: Any, page_for: Any
) -> None:
    group = candidate_reasons()[0]

    page_for(admin).post(
        "/settings/reasons/",
        {"from": "notes", "code": group.code, "label": "Security review", "outcome": group.outcome},
    )

    assert not Label.objects.filter(reason__code=group.code).exists()
    assert not AuditLog.objects.filter(action="reason.file_labels").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("ids", ["1,two", "99999999999999999999999", "0", "-4"])
def test_label_ids_that_are_not_label_ids_are_refused_by_name_and_nothing_is_added(
    ids: str, admin: Any, page_for: Any
) -> None:
    body = {
        "from": "notes",
        "code": "security",
        "label": "Security review",
        "outcome": "not_converted",
        "file_labels": ids,
    }

    response = page_for(admin).post("/settings/reasons/", body, follow=True)

    assert response.status_code == 200
    assert "file_labels" in response.content.decode() and not Reason.objects.filter(code="security").exists()


@pytest.mark.django_db
def test_without_candidates_the_page_says_how_many_notes_it_takes(admin: Any, page_for: Any) -> None:
    page = page_for(admin).get("/settings/").content.decode()

    assert f"at least {2 * MIN_GROUP} notes without a fitting reason and {MIN_GROUP} of them share words" in page


@pytest.mark.django_db
def test_an_admin_unticks_a_note_that_does_not_belong_and_only_the_ticked_are_filed(
    noted: list[Label], admin: Any, page_for: Any
) -> None:
    group = candidate_reasons()[0]
    kept, left = list(group.members[:-1]), group.members[-1]  # the least typical note is last
    assert [key for key, _ in group.shown_for_leaving_out] == list(group.members)
    every = ",".join(map(str, group.members))

    page_for(admin).post(
        "/settings/reasons/",
        {
            "from": "notes",
            "code": group.code,
            "label": "Security review",
            "outcome": group.outcome,
            "file_labels": every,
            "leave_out": [left],
        },
    )

    assert set(Label.objects.filter(reason__code=group.code).values_list("pk", flat=True)) == set(kept)
    assert Label.objects.get(pk=left).reason is None


@pytest.mark.django_db
def test_a_group_of_more_notes_than_a_request_may_have_fields_is_still_filed(
    defaults: None, admin: Any, page_for: Any
) -> None:
    """The ids travel in one field, and only the notes left out as boxes: 1,200 labels file in one request."""
    labels = [
        _label(lead, note="They chose an in-house spreadsheet", reason=None)
        for lead in Lead.objects.bulk_create([Lead(external_id=f"BIG{i:04d}", company=f"Big {i}") for i in range(1200)])
    ]
    body = {
        "from": "notes",
        "code": "in_house",
        "label": "In-house spreadsheet",
        "outcome": "not_converted",
        "file_labels": ",".join(str(label.pk) for label in labels),
        "leave_out": [str(labels[0].pk)],
    }

    response = page_for(admin).post("/settings/reasons/", body)

    assert response.status_code == 302
    assert Label.objects.filter(reason__code="in_house").count() == 1199
