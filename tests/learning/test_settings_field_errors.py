"""On /settings/ each field's error sits in that field's own paragraph, right after its input: Django's
as_p put it above the field, under the one before, where it read as that field's."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.learning.test_settings_page import settings_body


def paragraph_of(html: str, name: str) -> str:
    """The <p> that holds the input named ``name``."""
    for paragraph in re.findall(r"<p[^>]*>.*?</p>", html, flags=re.S):
        if f'name="{name}"' in paragraph:
            return str(paragraph)
    raise AssertionError(f"no paragraph holds {name}")


@pytest.mark.django_db
def test_an_error_sits_with_its_own_field_after_its_input(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/", settings_body(exploration=150, lease_minutes=0))
    html = response.content.decode()

    own = paragraph_of(html, "exploration")
    assert own.index('name="exploration"') < own.index("enter a percentage from 0 to 90")
    assert "enter a percentage from 0 to 90" not in paragraph_of(html, "min_labels_per_outcome")
    assert "enter a percentage from 0 to 90" not in paragraph_of(html, "strategy")
    assert "must be between 1 and 1440 minutes" in paragraph_of(html, "lease_minutes")
    assert 'aria-describedby="id_lease_minutes_error"' in paragraph_of(html, "lease_minutes")
    assert '<span class="errorlist" id="id_lease_minutes_error">must be between 1 and 1440 minutes</span>' in html


@pytest.mark.django_db
def test_a_next_action_error_sits_with_its_own_field(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/actions/", {"code": "call", "label": "Call", "value": "-5"})

    assert response.status_code == 400
    html = response.content.decode().split('id="actions"')[1]
    assert "must be 0 or more" in paragraph_of(html, "value")
    assert "must be 0 or more" not in paragraph_of(html, "label")
