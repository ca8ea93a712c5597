from django import forms

from learning.core.strategies import STRATEGIES
from learning.models import LoopSettings, PointRule


class LoopSettingsForm(forms.ModelForm):
    strategy = forms.ChoiceField(choices=[(s, s) for s in STRATEGIES])

    class Meta:
        model = LoopSettings
        fields = [
            "hot_threshold",
            "cost_per_lead",
            "expected_value_threshold",
            "strategy",
            "exploration",
            "min_labels_per_outcome",
            "lease_minutes",
            "queue_size",
            "cold_start_hot_points",
        ]

    def clean_hot_threshold(self) -> float:
        value = self.cleaned_data["hot_threshold"]
        if not 0 < value < 1:
            raise forms.ValidationError("must be between 0 and 1 (a probability)")
        return value

    def clean_exploration(self) -> float:
        value = self.cleaned_data["exploration"]
        if not 0 <= value <= 0.9:
            raise forms.ValidationError("must be between 0 and 0.9")
        return value

    def clean_lease_minutes(self) -> int:
        value = self.cleaned_data["lease_minutes"]
        if not 1 <= value <= 24 * 60:
            raise forms.ValidationError("must be between 1 and 1440 minutes")
        return value

    def clean_min_labels_per_outcome(self) -> int:
        value = self.cleaned_data["min_labels_per_outcome"]
        if value < 2:
            raise forms.ValidationError("must be at least 2")
        return value


class PointRuleForm(forms.ModelForm):
    class Meta:
        model = PointRule
        fields = ["kind", "field", "value", "points"]

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("kind") == PointRule.Kind.PROFILE and not data.get("field"):
            self.add_error("field", "a profile rule needs the field it matches (e.g. industry)")
        if data.get("kind") == PointRule.Kind.ACTIVITY:
            data["field"] = ""
        return data
