from django import forms

from leads.models import LeadStatus
from leads.selectors import SORTS


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
