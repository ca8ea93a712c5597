from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django import forms

from config.forms import field_words
from feedback.selectors import reasons
from leads.models import LeadStatus
from leads.parsing import open_value_problem
from leads.selectors import SORTS, LeadFilters

FILTER_DEFAULTS = {"status": "open", "sort": "score"}  # what the list shows for a field left empty or invalid


# The list shows percents whole (0.496 reads "50%"), so a percent filter takes in every value shown
# as that percent: "≥ 50" from 49.5%, "≤ 60" up to 60.5%.
SHOWN_STEP = 0.5


def _share_from(percent: int | None) -> float | None:
    return None if percent is None else (percent - SHOWN_STEP) / 100


def _share_to(percent: int | None) -> float | None:
    return None if percent is None else (percent + SHOWN_STEP) / 100


class LeadFilterForm(forms.Form):
    # The labels are the page's (list.html shows them), so a problem names a field as the user sees it.
    status = forms.ChoiceField(choices=[("all", "All"), *LeadStatus.choices], required=False, label="Status")
    industry = forms.CharField(max_length=100, required=False, label="Industry")
    source = forms.CharField(max_length=100, required=False, label="Source")
    q = forms.CharField(max_length=100, required=False, label="Search")
    score_min = forms.IntegerField(min_value=0, max_value=100, required=False, label="Score ≥ %")
    score_max = forms.IntegerField(min_value=0, max_value=100, required=False, label="Score ≤ %")
    ev_min = forms.FloatField(required=False, label="Expected value ≥")
    # Uncertainty is modAL's 1 - the likelier outcome's chance: 0..50%, 50 being a coin flip. The list shows
    # it through the score: "≥ N" lists the leads scored between N% and (100 - N)%.
    uncertainty_min = forms.IntegerField(
        min_value=0,
        max_value=50,
        required=False,
        label="Uncertainty ≥ %",
        error_messages={
            "min_value": "Enter 0 to 50.",
            "max_value": "Enter 0 to 50: a coin flip (a score of 50%%) is as uncertain as a lead gets.",
        },
        widget=forms.NumberInput(
            attrs={"title": "0 to 50: 50 lists the leads scored 50%, 40 those scored 40% to 60%, 0 every scored lead"}
        ),
    )
    reason = forms.CharField(max_length=50, required=False, label="Label reason")
    sort = forms.ChoiceField(
        choices=[(key, key.replace("_", " ").replace("-score", "score (lowest first)")) for key in SORTS],
        required=False,
        label="Sort",
    )

    def clean_reason(self) -> str:
        code: str = self.cleaned_data["reason"]
        if code and not reasons(active_only=False).filter(code=code).exists():  # a typo would list no lead, silently
            raise forms.ValidationError("no reason has that code (the list below names them)")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", f"{high}% is below Score ≥ {low}%: no lead could match")
        return data

    def lead_filters(self) -> LeadFilters:
        """The filters the valid fields ask for (after ``is_valid()``); a field left empty or invalid
        takes its default. The list and its CSV export both read their filters here."""
        data = getattr(self, "cleaned_data", {})
        return LeadFilters(
            status=data.get("status") or FILTER_DEFAULTS["status"],
            industry=data.get("industry") or "",
            source=data.get("source") or "",
            q=data.get("q") or "",
            sort=data.get("sort") or FILTER_DEFAULTS["sort"],
            score_min=_share_from(data.get("score_min")),
            score_max=_share_to(data.get("score_max")),
            expected_value_min=data.get("ev_min"),
            uncertainty_min=_share_from(data.get("uncertainty_min")),
            reason=data.get("reason") or "",
        )

    def query(self) -> str:
        """The filters this (valid) form applies as a query string, defaults left out: for the
        pager, the live refresh and the export link, so they ask for exactly what the page shows."""
        data = getattr(self, "cleaned_data", {})
        values = {name: str(data[name]) for name in self.fields if data.get(name) not in (None, "")}
        return urlencode({name: value for name, value in values.items() if FILTER_DEFAULTS.get(name) != value})


def every_status_query(form: LeadFilterForm) -> str:
    """The same filters over leads of every status: where a search for a lead just labeled leads."""
    data = {key: value for key, value in parse_qsl(form.query()) if key != "status"}
    return urlencode({**data, "status": "all"})


def _shown(value: str, limit: int = 40) -> str:
    """A value as a message quotes it: its start, control characters (a NUL…) as �."""
    text = "".join(c if c.isprintable() else "\ufffd" for c in str(value)[:limit])
    return text + ("…" if len(str(value)) > limit else "")


def lead_filter_form(query: Mapping[str, str]) -> tuple[LeadFilterForm, str]:
    """The filter form for a query, and its problems in words ("" when there are none).

    The form holds the query's valid values and the defaults for the rest, a bad value included, so
    it shows what the list applies; each problem names the field by its label and the value left out.
    A label reason lists closed leads, so with one the status "Open" (the default) becomes "All"."""
    asked = LeadFilterForm(query)
    asked.is_valid()
    problems = "; ".join(
        f"{field_words(asked, name)} (“{_shown(query.get(name, ''))}”): {str(errors[0]).rstrip('.')}"
        for name, errors in asked.errors.items()
    )
    problems += "." if problems else ""
    kept = {name: query[name] for name in asked.fields if query.get(name) and name not in asked.errors}
    if kept.get("reason") and kept.get("status", FILTER_DEFAULTS["status"]) == "open":
        kept["status"] = "all"  # a lead with a label is closed: "open" with a label reason could list nothing
    shown = LeadFilterForm({**FILTER_DEFAULTS, **kept})
    shown.is_valid()  # the kept values passed once, and the defaults are valid choices
    return shown, problems


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=[("leads", "Leads"), ("activities", "Activities")], initial="leads")
    file = forms.FileField()
    outcome_column = forms.CharField(
        max_length=100, required=False, help_text="leads only: a column of historical outcomes"
    )
    positive = forms.CharField(
        label="Value that means converted",
        max_length=100,
        required=False,
        help_text="leads only: when the outcome column holds other words (won / lost, yes / no, 1 / 0); case aside",
    )
    open_values = forms.CharField(
        label="Values that mean still open",
        max_length=500,
        required=False,
        help_text="leads only, comma-separated (e.g. Open, In progress): those leads stay open, and an outcome an "
        "earlier import gave them is withdrawn; any other value but the converted one is a lost deal",
    )
    outcome_date_column = forms.CharField(
        max_length=100, required=False, help_text="leads only: a column of when each outcome happened"
    )

    def clean(self) -> dict[str, Any]:
        """An option that cannot apply is refused, naming it, as the command and the API refuse it:
        ignored, it would import the file other than the admin asked."""
        data = super().clean() or {}
        options = ("outcome_column", "positive", "open_values", "outcome_date_column")
        if data.get("kind") == "activities":
            for name in options:
                if data.get(name):
                    self.add_error(name, "is for leads only: an activities file has no outcomes")
        elif not data.get("outcome_column"):
            for name in options[1:]:
                if data.get(name):
                    self.add_error(name, f"“{self[name].label}” needs an outcome column: name it above, or clear this")
        return data

    def clean_open_values(self) -> list[str]:
        values = [value.strip() for value in self.cleaned_data["open_values"].split(",") if value.strip()]
        if problem := open_value_problem(self.cleaned_data.get("positive") or None, values):
            raise forms.ValidationError(problem)
        return values
