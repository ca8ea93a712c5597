"""The queue mix on /settings/ shows whole percentages that add up to 100 (largest remainder)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from learning.core.mix import whole_percents
from learning.selectors import queue_mix_summary


@pytest.mark.parametrize(
    ("shares", "percents"),
    [
        ([0.2 + 0.8 / 3, 0.8 / 3, 0.8 / 3], [47, 27, 26]),  # rounded one by one: 47 + 27 + 27 = 101
        ([1 / 3, 1 / 3, 1 / 3], [34, 33, 33]),  # rounded one by one: 99
        ([0.5, 0.5], [50, 50]),
        ([0.704, 0.296], [70, 30]),
        ([1.0], [100]),
        ([0.0, 0.0], [0, 0]),
    ],
)
def test_whole_percents_add_up_to_a_hundred(shares: list[float], percents: list[int]) -> None:
    assert whole_percents(shares) == percents


@pytest.mark.django_db
def test_the_starting_mix_on_the_settings_page_adds_up_to_100(admin: Any, page_for: Any) -> None:
    summary = queue_mix_summary()
    assert summary["percents"] == [("random", 47), ("uncertainty", 27), ("entropy", 26)]

    page = page_for(admin).get("/settings/").content.decode()

    line = page.split("How the next pick is drawn: ")[1].split(" (")[0]
    assert line == "random 47% · uncertainty 27% · entropy 26%"
    assert sum(int(n) for n in re.findall(r"(\d+)%", line)) == 100


def test_the_mix_sentence_adds_up_to_100_too() -> None:
    from learning.core.mix import MixState, mix_summary

    sentence = mix_summary(MixState())

    assert "(random 34%, uncertainty 33%, entropy 33%)" in sentence  # a third each, rounded one by one: 99
    assert "a batch of at least 20 is measured on the queue labels that come after it" in sentence
