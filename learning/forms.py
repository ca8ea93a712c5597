from typing import Any

from django import forms

from learning.core.actions import RuleSyntaxError, parse_rules
from learning.core.strategies import STRATEGIES
from learning.models import SETTINGS_FIELDS, LoopSettings, PointRule


class LoopSettingsForm(forms.ModelForm[LoopSettings]):
    strategy = forms.ChoiceField(choices=[(s, s) for s in STRATEGIES])

    class Meta:
        model = LoopSettings
        fields = list(SETTINGS_FIELDS)
        labels = {
            "hot_threshold": "Hot lead at P(convert) ≥",
            "cost_per_lead": "Cost per lead worked",
            "expected_value_threshold": "Act when expected value ≥",
            "exploration": "Exploration share",
            "min_labels_per_outcome": "Labels of each outcome before the model takes over",
            "retrain_every_labels": "Retrain after this many new labels",
            "retrain_every_minutes": "…or when a label has waited (minutes, 0 = never)",
            "lease_minutes": "Queue lease (minutes)",
            "queue_size": "Queue size",
            "cold_start_hot_points": "Cold start: hot at points ≥",
        }

    def clean_hot_threshold(self) -> float:
        value: float = self.cleaned_data["hot_threshold"]
        if not 0 < value < 1:
            raise forms.ValidationError("must be between 0 and 1 (a probability)")
        return value

    def clean_exploration(self) -> float:
        value: float = self.cleaned_data["exploration"]
        if not 0 <= value <= 0.9:
            raise forms.ValidationError("must be between 0 and 0.9")
        return value

    def clean_lease_minutes(self) -> int:
        value: int = self.cleaned_data["lease_minutes"]
        if not 1 <= value <= 24 * 60:
            raise forms.ValidationError("must be between 1 and 1440 minutes")
        return value

    def clean_min_labels_per_outcome(self) -> int:
        value: int = self.cleaned_data["min_labels_per_outcome"]
        if value < 2:
            raise forms.ValidationError("must be at least 2")
        return value


class PointRuleForm(forms.ModelForm[PointRule]):
    class Meta:
        model = PointRule
        fields = ["kind", "field", "value", "points"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == PointRule.Kind.PROFILE and not data.get("field"):
            self.add_error("field", "a profile rule needs the field it matches (e.g. industry)")
        if data.get("kind") == PointRule.Kind.ACTIVITY:
            data["field"] = ""
        return data


class ThresholdPreviewForm(forms.Form):
    hot_threshold = forms.FloatField(min_value=0.0, max_value=1.0)
    cost_per_lead = forms.FloatField(min_value=0.0, required=False)
    expected_value_threshold = forms.FloatField(required=False)


class RulePreviewForm(forms.Form):
    kind = forms.ChoiceField(choices=PointRule.Kind.choices, required=False)
    field = forms.CharField(max_length=100, required=False)
    value = forms.CharField(max_length=200, required=False)
    points = forms.FloatField(required=False)
    hot_points = forms.FloatField(required=False, min_value=1.0)


class NextActionForm(forms.Form):
    code = forms.SlugField(max_length=50)
    label = forms.CharField(max_length=100)
    value = forms.FloatField(min_value=0.0, help_text="worth when the lead converts")
    rules = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 36}),
        help_text="one per line: industry in software, logistics · employees >= 50 · score >= 0.3 · country = Germany",
    )
    active = forms.BooleanField(required=False, initial=True)

    def clean_rules(self) -> list[dict[str, Any]]:
        try:
            return [rule.as_dict() for rule in parse_rules(self.cleaned_data["rules"] or "")]
        except RuleSyntaxError as exc:
            raise forms.ValidationError(str(exc)) from None


class WebhookForm(forms.Form):
    url = forms.URLField(max_length=500, required=False, assume_scheme="https", help_text="the CRM's receiver")
    secret = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="at least 16 characters; leave empty to keep the current one",
    )
    active = forms.BooleanField(required=False, help_text="post changed scores after each rescore")
