"""Site-wide display settings (the currency every amount is shown in), read often, changed rarely."""

from __future__ import annotations

import time

from django.contrib.auth.models import User

from config.audit import audit_record
from config.models import SiteSettings

# The currencies an admin can pick, with the symbol shown before an amount (others show their code).
CURRENCIES = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "CHF": "CHF ",
    "JPY": "¥",
    "CAD": "CA$",
    "AUD": "A$",
    "SEK": "SEK ",
    "NOK": "NOK ",
    "DKK": "DKK ",
    "PLN": "PLN ",
    "INR": "₹",
    "BRL": "R$",
}
DEFAULT_CURRENCY = SiteSettings._meta.get_field("currency").default
_CACHE_SECONDS = 5.0  # other processes see an admin's change within this long
_cached: tuple[float, str] | None = None


def site_settings() -> SiteSettings:
    return SiteSettings.objects.get_or_create(pk=1)[0]


def currency() -> str:
    """The currency code amounts are shown in; a table-wide read per process every few seconds at most."""
    global _cached
    now = time.monotonic()
    if _cached is None or now - _cached[0] > _CACHE_SECONDS:
        code = SiteSettings.objects.filter(pk=1).values_list("currency", flat=True).first() or DEFAULT_CURRENCY
        _cached = (now, code)
    return _cached[1]


def format_money(value: float, code: str) -> str:
    """12345.6, 'EUR' → '€12,346'; negative amounts with a minus sign."""
    symbol = CURRENCIES.get(code, f"{code} ")
    sign = "−" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.0f}"


def currency_forget() -> None:
    """Read the currency from the database next time (tests start from a fresh database)."""
    global _cached
    _cached = None


def currency_set(*, user: User, code: str) -> bool:
    """Show every amount in ``code`` from now on (audited). Returns whether anything changed."""
    global _cached
    if code not in CURRENCIES:
        raise ValueError(f"currency: {code!r} is not one of {', '.join(CURRENCIES)}")
    row = site_settings()
    if row.currency == code:
        return False
    audit_record(
        user=user, action="settings.update", target="site settings", changes={"currency": [row.currency, code]}
    )
    row.currency = code
    row.save(update_fields=["currency", "updated_at"])
    _cached = None
    return True
