from django import forms

from feedback.models import Outcome


class LabelForm(forms.Form):
    lead = forms.CharField(max_length=100)
    outcome = forms.ChoiceField(choices=Outcome.choices)
    reason = forms.CharField(max_length=50)
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)
    seconds = forms.FloatField(required=False, min_value=0, max_value=86400)


class LeadRefForm(forms.Form):
    lead = forms.CharField(max_length=100)
