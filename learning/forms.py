from typing import Any

from django import forms

from config.site import CURRENCIES, currency
from leads.selectors import attribute_names
from learning.core.actions import RuleSyntaxError, parse_rules
from learning.core.strategies import STRATEGIES
from learning.models import SETTINGS_FIELDS, LoopSettings, PointRule
from learning.selectors import LEAD_RULE_FIELDS, unknown_rule_fields

# Each query strategy in one sentence, for the admin choosing one.
STRATEGY_WORDS = {
    "adaptive": "Mixes random, uncertainty and entropy picks, and leans towards whichever of them has "
    "been improving the model most (the default).",
    "uncertainty": "Always the leads the model is least sure about.",
    "margin": "The leads whose two outcomes are closest in the model's eyes (about the same as uncertainty).",
    "entropy": "The leads the model finds most mixed (about the same as uncertainty with two outcomes).",
    "random": "Any open lead, all equally likely: the yardstick the others are measured against.",
}


# Bounds of the loop settings: a retrain after at least one label; the clock's rescore at least monthly
# (or never); the starting rules' points and an amount of money within what a person would type.
MAX_RETRAIN_LABELS = 1000
MAX_FIRST_LABELS = (
    1000  # labels of each outcome before the model takes over: more would leave the rules scoring for months
)
MAX_WAIT_MINUTES = 30 * 24 * 60
MAX_RESCORE_HOURS = 30 * 24
MAX_POINTS = 10_000
MAX_AMOUNT = 1_000_000_000


class PercentField(forms.FloatField):
    """A share entered and shown as a percentage (50 means 0.5); ``clean`` returns the share.

    One field class for every form that takes the same setting, so a bad value reads the same
    wherever it is typed (the settings form and its live preview)."""

    def __init__(self, *, low: float, high: float, **kwargs: object) -> None:
        self.low, self.high = low, high
        # No min/max on the input: the browser would answer a bad value in its own words.
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "any"}))
        super().__init__(
            error_messages={"invalid": self._range_message(), "required": "is required"},
            **kwargs,  # type: ignore[arg-type]
        )

    def _range_message(self) -> str:
        return f"enter a percentage from {self.low:g} to {self.high:g}"

    def prepare_value(self, value: object) -> object:
        # A saved share (a float) shows as a percentage; typed text shows as typed.
        return format(round(100 * value, 4), "g") if isinstance(value, float) else value

    def clean(self, value: object) -> float | None:
        percent: float | None = super().clean(value)
        if percent is None:
            return None
        if not self.low <= percent <= self.high:
            raise forms.ValidationError(self._range_message(), code="range")
        return percent / 100


class AmountField(forms.FloatField):
    def prepare_value(self, value: Any) -> Any:
        """50.0 is shown as 50, as it is typed (12.5 stays 12.5)."""
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return super().prepare_value(value)


def amount_field(*, label: str, low: float | None = None, **kwargs: object) -> forms.FloatField:
    """An amount of money (in the site's currency), with the same wording in every form."""
    messages = {
        "invalid": "enter an amount, e.g. 50",
        "min_value": "must be 0 or more",
        "max_value": f"must be at most {MAX_AMOUNT:,}",
        "required": "is required",
    }
    high = float(MAX_AMOUNT)
    low = -high if low is None else low
    messages["min_value"] = messages["min_value"] if low == 0 else f"must be at least {low:,.0f}"
    return AmountField(
        label=label,
        min_value=low,
        max_value=high,
        error_messages=messages,
        **kwargs,  # type: ignore[arg-type]
    )


def hot_threshold_field(**kwargs: object) -> PercentField:
    return PercentField(low=1, high=99, label="Hot lead at a chance to convert of at least (%)", **kwargs)


class LoopSettingsForm(forms.ModelForm[LoopSettings]):
    strategy = forms.ChoiceField(choices=[(s, s) for s in STRATEGIES], label="Queue strategy")
    hot_threshold = hot_threshold_field()
    exploration = PercentField(low=0, high=90, label="Random picks in the queue (%)")
    cost_per_lead = amount_field(label="Cost of working a lead", low=0)
    expected_value_threshold = amount_field(label="Worth acting when expected value is at least")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("cost_per_lead", "expected_value_threshold"):  # amounts say their currency
            self.fields[name].label = f"{self.fields[name].label} ({currency()})"

    class Meta:
        model = LoopSettings
        fields = list(SETTINGS_FIELDS)
        labels = {
            "min_labels_per_outcome": "Labels of each outcome before the model takes over",
            "retrain_every_labels": "Retrain after this many new labels",
            "retrain_every_minutes": "…or when a label has waited (minutes, 0 = never)",
            "lease_minutes": "Queue lease (minutes)",
            "cold_start_hot_points": "Starting rules: hot at points of at least",
            "rescore_every_hours": "Rescore every open lead every (hours, 0 = only after labels and imports)",
        }
        help_texts = {
            "rescore_every_hours": "keeps recency, last-30-days counts and decay true when nothing new arrives",
        }

    def _within(self, name: str, low: float, high: float, words: str) -> Any:
        """The field's value if ``low <= value <= high``; else the error ``words``."""
        value = self.cleaned_data[name]
        if not low <= value <= high:
            raise forms.ValidationError(words)
        return value

    def clean_lease_minutes(self) -> int:
        return int(self._within("lease_minutes", 1, 24 * 60, "must be between 1 and 1440 minutes"))

    def clean_retrain_every_labels(self) -> int:
        words = f"must be between 1 and {MAX_RETRAIN_LABELS:,} labels"
        return int(self._within("retrain_every_labels", 1, MAX_RETRAIN_LABELS, words))

    def clean_rescore_every_hours(self) -> int:  # 0: no rescore by the clock
        words = f"must be 0 (only after labels and imports) or between 1 and {MAX_RESCORE_HOURS} hours (30 days)"
        return int(self._within("rescore_every_hours", 0, MAX_RESCORE_HOURS, words))

    def clean_cold_start_hot_points(self) -> float:
        words = f"must be between 0 and {MAX_POINTS:,} points"
        return float(self._within("cold_start_hot_points", 0, MAX_POINTS, words))

    def clean_min_labels_per_outcome(self) -> int:
        words = f"must be between 2 and {MAX_FIRST_LABELS:,} labels"
        return int(self._within("min_labels_per_outcome", 2, MAX_FIRST_LABELS, words))

    def clean_retrain_every_minutes(self) -> int:  # 0: only after enough new labels
        words = f"must be 0 (never) or between 1 and {MAX_WAIT_MINUTES:,} minutes (30 days)"
        return int(self._within("retrain_every_minutes", 0, MAX_WAIT_MINUTES, words))


def points_field(**kwargs: Any) -> forms.FloatField:
    """A rule's points, within what a person would type (the same bounds as the hot points)."""
    words = f"must be between {-MAX_POINTS:,} and {MAX_POINTS:,} points"
    return forms.FloatField(
        min_value=-MAX_POINTS, max_value=MAX_POINTS, error_messages={"min_value": words, "max_value": words}, **kwargs
    )


class PointRuleForm(forms.ModelForm[PointRule]):
    points = points_field()

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
    hot_threshold = hot_threshold_field()
    cost_per_lead = amount_field(label="Cost of working a lead", low=0, required=False)
    expected_value_threshold = amount_field(label="Worth acting when expected value is at least", required=False)


class RulePreviewForm(forms.Form):
    kind = forms.ChoiceField(choices=PointRule.Kind.choices, required=False)
    field = forms.CharField(max_length=100, required=False)
    value = forms.CharField(max_length=200, required=False)
    points = points_field(required=False)
    hot_points = forms.FloatField(required=False, min_value=1.0)


class NextActionForm(forms.Form):
    code = forms.SlugField(max_length=50)
    label = forms.CharField(max_length=100)
    value = amount_field(label="Value", low=0, help_text="worth when the lead converts")
    rules = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 36}),
        help_text="one per line: industry in software, logistics · employees >= 50 · score >= 30% · country = Germany",
    )
    active = forms.BooleanField(required=False, initial=True)

    def clean_rules(self) -> list[dict[str, Any]]:
        try:
            rules = parse_rules(self.cleaned_data["rules"] or "")
        except RuleSyntaxError as exc:
            raise forms.ValidationError(str(exc)) from None
        unknown = unknown_rule_fields([rule.field for rule in rules])
        if unknown:
            attributes = attribute_names()
            custom = f" or a custom attribute ({', '.join(attributes[:12])}{', …' if len(attributes) > 12 else ''})"
            raise forms.ValidationError(
                f"{', '.join(unknown)}: no lead has {'this field' if len(unknown) == 1 else 'these fields'}; "
                f"a rule may test {', '.join(LEAD_RULE_FIELDS)}{custom if attributes else ''}"
            )
        return [rule.as_dict() for rule in rules]


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="URL", max_length=500, required=False, assume_scheme="https", help_text="the CRM's receiver"
    )
    secret = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="at least 16 characters; leave empty to keep the current one",
    )
    active = forms.BooleanField(required=False, help_text="post changed scores after each rescore")


class CurrencyForm(forms.Form):
    currency = forms.ChoiceField(
        choices=[(code, code) for code in CURRENCIES],
        required=False,
        label="Currency of every amount shown",
        help_text="deal values, expected values, costs",
    )
