from django import forms

from feedback.models import Outcome


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


class DashboardForm(forms.Form):
    period = forms.ChoiceField(choices=[("week", "Week"), ("month", "Month")], required=False)
    segment = forms.ChoiceField(
        choices=[
            ("industry", "Industry"),
            ("source", "Source"),
            ("country", "Country"),
            ("rep", "Rep"),
            ("band", "Score band"),
        ],
        required=False,
    )
    days = forms.IntegerField(min_value=1, max_value=90, required=False)


class DrilldownForm(forms.Form):
    outcome = forms.CharField(max_length=20, required=False)
    reason = forms.CharField(max_length=50, required=False)
    industry = forms.CharField(max_length=100, required=False)
    source = forms.CharField(max_length=100, required=False)
    country = forms.CharField(max_length=100, required=False)
    rep = forms.CharField(max_length=150, required=False)
    band = forms.CharField(max_length=10, required=False)
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)


class ReasonAddForm(forms.Form):
    code = forms.SlugField(max_length=50)
    label = forms.CharField(max_length=100)
    outcome = forms.ChoiceField(choices=Outcome.choices)


class ReasonRenameForm(forms.Form):
    label = forms.CharField(max_length=100)


class ReasonFieldsForm(forms.Form):
    # Named as the POST field; Django's metaclass moves it into base_fields, so it never shadows
    # the form's own ``fields`` dict at run time.
    fields = FieldNamesField(required=False)  # type: ignore[assignment]
