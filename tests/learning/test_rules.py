from __future__ import annotations

import pandas as pd

from learning.core.rules import PointRules, ProfileRule, score_by_rules


def test_points_make_a_probability_of_one_half_exactly_at_the_hot_threshold() -> None:
    frame = pd.DataFrame({"count__meeting": [2.0, 0.0, 10.0], "seniority": ["VP", "analyst", None]})
    rules = PointRules(
        activity_points={"meeting": 15}, profile_rules=[ProfileRule("seniority", "vp", 20)], hot_points=50
    )
    scores = score_by_rules(frame, rules)
    assert list(scores.behaviour_points) == [30, 0, 75]  # 10 meetings count as 5
    assert list(scores.fit_points) == [20, 0, 0]
    assert abs(scores.probability[0] - 0.5) < 1e-9
    assert scores.probability[1] < 0.05 < 0.85 < scores.probability[2]
    assert scores.explanations[0][0] == "▲ +30 points: 2 × meeting"
    assert scores.explanations[1] == ["no scoring rule matched yet"]
