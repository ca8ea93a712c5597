from django import forms

from leads.models import LeadStatus
from leads.selectors import SORTS, LeadFilters


def _share(percent: int | None) -> float | None:
    return None if percent is None else percent / 100


class LeadFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("all", "All"), *LeadStatus.choices], required=False, initial="open")
    industry = forms.CharField(max_length=100, required=False)
    source = forms.CharField(max_length=100, required=False)
    q = forms.CharField(max_length=100, required=False, label="Search")
    score_min = forms.IntegerField(min_value=0, max_value=100, required=False, label="Score from %")
    score_max = forms.IntegerField(min_value=0, max_value=100, required=False, label="to %")
    ev_min = forms.FloatField(required=False, label="Expected value ≥")
    uncertainty_min = forms.IntegerField(min_value=0, max_value=50, required=False, label="Uncertainty ≥ %")
    reason = forms.CharField(max_length=50, required=False, label="Label reason")
    sort = forms.ChoiceField(
        choices=[(key, key.replace("_", " ").replace("-score", "score (lowest first)")) for key in SORTS],
        required=False,
        initial="score",
    )

    def lead_filters(self) -> LeadFilters:
        """The filters the valid fields ask for (after ``is_valid()``); a field left empty or invalid
        takes its default. The list and its CSV export both read their filters here."""
        data = getattr(self, "cleaned_data", {})
        return LeadFilters(
            status=data.get("status") or "open",
            industry=data.get("industry") or "",
            source=data.get("source") or "",
            q=data.get("q") or "",
            sort=data.get("sort") or "score",
            score_min=_share(data.get("score_min")),
            score_max=_share(data.get("score_max")),
            expected_value_min=data.get("ev_min"),
            uncertainty_min=_share(data.get("uncertainty_min")),
            reason=data.get("reason") or "",
        )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=[("leads", "Leads"), ("activities", "Activities")], initial="leads")
    file = forms.FileField()
    outcome_column = forms.CharField(
        max_length=100, required=False, help_text="leads only: a column of historical outcomes"
    )
    positive = forms.CharField(max_length=100, required=False, help_text="the outcome value that means converted")
    outcome_date_column = forms.CharField(
        max_length=100, required=False, help_text="leads only: a column of when each outcome happened"
    )
