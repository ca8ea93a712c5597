from collections.abc import MutableMapping
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from feedback.dashboards.filters import NO_VALUE, SCORE_BANDS, SEGMENT_NAMES, labels_have
from feedback.models import Outcome, Reason
from feedback.periods import DEFAULT_PERIOD, PERIOD_CHOICES


class FieldNamesField(forms.Field):
    """Lead field names as posted (checkboxes of one name); which ones exist, the service decides."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: object) -> list[str]:
        return [str(name) for name in value] if isinstance(value, list | tuple) else []


class LabelForm(forms.Form):
    lead = forms.CharField(max_length=100)
    outcome = forms.ChoiceField(choices=Outcome.choices)
    reason = forms.CharField(max_length=50)
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)
    seconds = forms.FloatField(required=False, min_value=0, max_value=86400)
    # Named as the POST field; Django's metaclass moves it into base_fields, so it never shadows
    # the form's own ``fields`` dict at run time.
    fields = FieldNamesField(required=False)  # type: ignore[assignment]


class LeadRefForm(forms.Form):
    lead = forms.CharField(max_length=100)


EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2100, 12, 31)
MAX_RANGE_DAYS = 3653  # ten years: a chart per week or month stays a page, not a day's work for the server


class DayField(forms.DateField):
    """A day of a dashboard range, within the years a sales team's labels can have (``latest``: the
    last day allowed, one later for a range's exclusive end)."""

    def __init__(self, *, latest: date = LATEST_DAY, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.latest = latest

    def clean(self, value: Any) -> date | None:
        day: date | None = super().clean(value)
        if day is not None and not EARLIEST_DAY <= day <= self.latest:
            raise forms.ValidationError(f"a day from {EARLIEST_DAY:%Y} to {LATEST_DAY:%Y}")
        return day


class DashboardForm(forms.Form):
    """What every chart and drill-down on the dashboards obeys."""

    DEFAULTS = {"period": DEFAULT_PERIOD, "outcome": Outcome.NOT_CONVERTED, "segment": "industry"}

    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False, initial=DEFAULT_PERIOD, label="Period")
    start = DayField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = DayField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))
    history = forms.BooleanField(required=False, label="Include imported history")
    outcome = forms.ChoiceField(
        choices=[(Outcome.NOT_CONVERTED, "Lost deals"), (Outcome.CONVERTED, "Won deals")],
        required=False,
        initial=Outcome.NOT_CONVERTED,
        label="Show",
    )
    segment = forms.ChoiceField(choices=list(SEGMENT_NAMES.items()), required=False, initial="industry", label="by")

    HISTORY_VALUES = ("", "1", "on", "true", "0", "false")  # what a checkbox or a link sends

    def clean_history(self) -> bool:
        if str(self.data.get("history", "")).lower() not in self.HISTORY_VALUES:
            raise forms.ValidationError("use history=1 to include imported history")
        return bool(self.cleaned_data.get("history"))

    def show_as_used(self, **used: str) -> None:
        """A refused value is shown as the one the page used in its place (a bad period as the default
        period, a bad history as left out), so the form says what the page shows and Show keeps it."""
        data = cast(MutableMapping[str, Any], self.data)  # the view binds a mutable copy of its query
        for name, value in used.items():
            if name in self.errors:
                data[name] = value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                self.add_error("start" if not start else "end", "a custom range needs both dates")
            elif start > end:
                self.add_error("end", "the range ends before it starts")
            elif (end - start).days >= MAX_RANGE_DAYS:
                self.add_error("end", "a custom range spans at most ten years")
            elif start > timezone.localdate() + timedelta(days=1):  # no outcome is dated later than that
                self.add_error("start", "the range starts after today: no label can fall in it yet")
        return data


class DrilldownForm(forms.Form):
    """The labels behind a dashboard figure; ``end`` is exclusive (the day after the last one)."""

    outcome = forms.ChoiceField(choices=[("", "both"), *Outcome.choices], required=False)
    reason = forms.CharField(max_length=50, required=False)
    industry = forms.CharField(max_length=100, required=False)
    source = forms.CharField(max_length=100, required=False)
    country = forms.CharField(max_length=100, required=False)
    rep = forms.CharField(max_length=150, required=False)
    band = forms.ChoiceField(
        choices=[("", "any"), *[(code, code) for code, _, _ in SCORE_BANDS], (NO_VALUE, "no score seen")],
        required=False,
    )
    start = DayField(required=False)
    end = DayField(required=False, latest=LATEST_DAY + timedelta(days=1))
    history = forms.BooleanField(required=False)

    def clean_reason(self) -> str:
        code: str = self.cleaned_data.get("reason", "")
        if code and code != NO_VALUE and not Reason.objects.filter(code=code).exists():
            raise forms.ValidationError(f"unknown reason {code!r}")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("industry", "source", "country", "rep"):
            value = data.get(name)
            if value and value != NO_VALUE and not labels_have(name, value):
                whose = "no label was given by" if name == "rep" else f"no labeled lead has {name}"
                self.add_error(name, f"{whose} {value!r}")
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "the range ends before it starts")
        return data


class LabelIdsField(forms.Field):
    """Label ids, comma-separated, in one value or several (ticked boxes)."""

    widget = forms.MultipleHiddenInput

    def clean(self, value: Any) -> list[int]:
        text = ",".join(str(part) for part in (value or []))
        if len(text) > 40_000:
            raise forms.ValidationError("too many labels at once")
        try:
            ids = [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError("must be label ids separated by commas") from None
        if any(not 1 <= label_id < 2**63 for label_id in ids):
            raise forms.ValidationError("must be label ids separated by commas")
        return ids


class ReasonAddForm(forms.Form):
    code = forms.SlugField(
        max_length=50,
        help_text="how the API and CSV files name it: letters, digits, _ or - (e.g. no_budget)",
        error_messages={"invalid": "use only letters, digits, _ or - (e.g. no_budget), no spaces"},
    )
    label = forms.CharField(max_length=100)
    outcome = forms.ChoiceField(choices=Outcome.choices)
    # A candidate reason's labels to file under it (ids, comma-separated, in one field: a group may hold
    # more notes than a request may have fields), less those an admin ticked to leave out.
    file_labels = LabelIdsField(required=False)
    leave_out = LabelIdsField(required=False)

    def filed(self) -> list[int]:
        left_out = set(self.cleaned_data["leave_out"])
        return [label_id for label_id in self.cleaned_data["file_labels"] if label_id not in left_out]


class ReasonRenameForm(forms.Form):
    label = forms.CharField(max_length=100)


class ReasonFieldsForm(forms.Form):
    # Named as the POST field; Django's metaclass moves it into base_fields, so it never shadows
    # the form's own ``fields`` dict at run time.
    fields = FieldNamesField(required=False)  # type: ignore[assignment]
