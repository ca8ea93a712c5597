from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from learning.core.features import FrameEncoder, behaviour_features, build_frame, infer_plan

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def events(*rows: tuple[int, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lead_id", "type", "occurred_at"])


def test_behaviour_features_count_per_type_recency_and_span_as_of_the_reference_time() -> None:
    frame = behaviour_features(
        events(
            (1, "pricing_visit", "2026-10-31T10:00:00+00:00"),
            (1, "pricing_visit", "2026-10-01T10:00:00+00:00"),
            (1, "meeting", "2026-10-25T10:00:00+00:00"),
            (2, "email_open", "2026-06-01T00:00:00+00:00"),
            (2, "meeting", "2026-12-01T00:00:00+00:00"),  # after as_of: ignored
        ),
        lead_ids=pd.Index([1, 2, 3]),
        as_of=AS_OF,
    )
    assert frame.loc[1, "count__pricing_visit"] == 2
    assert frame.loc[1, "recent30__pricing_visit"] == 1
    assert frame.loc[1, "act_total"] == 3
    assert frame.loc[2, "act_total"] == 1
    assert frame.loc[2, "count__meeting"] == 0
    assert frame.loc[3, "act_total"] == 0
    assert np.isnan(frame.loc[3, "act_days_since_last"])
    assert abs(frame.loc[1, "act_days_since_last"] - (14 / 24)) < 1e-6
    assert abs(frame.loc[1, "act_span_days"] - 30) < 1e-6


def test_behaviour_features_keep_the_training_activity_types_when_scoring() -> None:
    frame = behaviour_features(
        events((1, "webinar", "2026-10-30")), lead_ids=pd.Index([1]), as_of=AS_OF, types=["meeting", "webinar"]
    )
    assert list(c for c in frame.columns if c.startswith("count__")) == ["count__meeting", "count__webinar"]


def test_infer_plan_treats_numbers_dates_text_and_drops_empty_constant_and_id_like_columns() -> None:
    n = 200
    frame = pd.DataFrame(
        {
            "employees": np.arange(n, dtype=float),
            "budget": [f"{i * 10}" for i in range(n)],
            "signed_up": [f"2026-0{1 + i % 9}-1{i % 9}" for i in range(n)],
            "plan": ["pro", "basic"] * (n // 2),
            "customer_code": [f"C{i:05d}" for i in range(n)],
            "empty": [""] * n,
            "constant": ["x"] * n,
        }
    )
    plan = infer_plan(frame)
    assert plan.numeric == ["employees", "budget"]
    assert plan.dates == ["signed_up"]
    assert plan.categorical == ["plan"]
    assert set(plan.dropped) == {"customer_code", "empty", "constant"}
    assert plan.dropped["customer_code"].startswith("ID-like")


def test_frame_encoder_turns_unseen_values_and_missing_columns_into_something_the_model_takes() -> None:
    train = pd.DataFrame({"industry": ["a", "b", "a"], "employees": [1.0, 2.0, 3.0]})
    encoder = FrameEncoder().fit(train)
    out = encoder.transform(pd.DataFrame({"industry": [None, "c"]}))
    assert list(out["industry"]) == ["(missing)", "c"]
    assert out["employees"].isna().all()


def test_build_frame_turns_created_at_into_lead_age() -> None:
    profiles = pd.DataFrame({"industry": ["a"], "created_at": ["2026-10-22"]}, index=pd.Index([7], name="lead_id"))
    frame = build_frame(profiles, events(), as_of=AS_OF)
    assert abs(frame.loc[7, "lead_age_days"] - 10) < 1e-6
    assert "created_at" not in frame.columns


def messy_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Every kind of column a user may bring, with blanks, case and spacing variants."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "industry": rng.choice(["Retail", " retail", "software ", "", None], size=n),
            "seats_text": rng.choice(["1,000", "25%", " 3 ", "", None], size=n),
            "signed_up": rng.choice(["2026-01-05", "2026-03-01 10:00", "", None], size=n),
            "mixed": pd.Series(rng.choice([1, True, "1", "a", None, 2.5], size=n), dtype=object),
            "flag": rng.choice([True, False], size=n),
            "ref": [f"R-{i:05d}" for i in range(n)],
            "constant": "same",
            "count__demo": rng.choice([0.0, 1.0, np.nan], size=n),
            "seats": rng.integers(1, 500, size=n).astype(float),
            "_as_of_days": 20_000.0,
        },
        index=pd.Index([f"L{i}" for i in range(n)], name="lead_id"),
    )


def test_a_prepared_frame_gives_the_same_plan_and_encoding_for_any_subset_of_its_rows() -> None:
    from learning.core.features import PreparedFrame

    frame = messy_frame()
    prepared = PreparedFrame(frame)
    rng = np.random.default_rng(1)
    for size in (4, 20, 120, len(frame)):
        rows = frame.iloc[rng.choice(len(frame), size=size, replace=False)]
        plain, fast = FrameEncoder().fit(rows), FrameEncoder(prepared=prepared).fit(rows)
        assert vars(fast.plan_) == vars(plain.plan_)
        others = frame.iloc[rng.choice(len(frame), size=50, replace=False)]
        pd.testing.assert_frame_equal(fast.transform(others), plain.transform(others))


def test_a_prepared_encoder_still_encodes_frames_that_are_not_its_rows() -> None:
    from learning.core.features import PreparedFrame

    frame = messy_frame()
    encoder = FrameEncoder(prepared=PreparedFrame(frame)).fit(frame)
    other = messy_frame(n=40, seed=5).set_axis([f"new-{i}" for i in range(40)])
    pd.testing.assert_frame_equal(encoder.transform(other), FrameEncoder().fit(frame).transform(other))
