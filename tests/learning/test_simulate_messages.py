"""`manage.py simulate` says what it made of an unusual CSV: the features, the outcomes it cannot read,
activities that match no lead, and an outcome too rare for the curves to mean much."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

FAST = ("--initial", "10", "--batch", "10", "--rounds", "1", "--seeds", "1")


def leads_csv(directory: Path, outcomes: list[str], **columns: list[str]) -> Path:
    """A leads file: ``columns`` (name: one value per lead) and the outcome column ``result``."""
    names = [*columns, "result"]
    rows = [[*(values[i] for values in columns.values()), outcome] for i, outcome in enumerate(outcomes)]
    path = directory / "leads.csv"
    path.write_text("\n".join(",".join(row) for row in [names, *rows]) + "\n")
    return path


def activities_csv(directory: Path, leads: list[str], day: str = "2026-06-01") -> Path:
    path = directory / "activities.csv"
    path.write_text("lead,type,occurred_at\n" + "".join(f"{lead},Pricing Visit,{day}\n" for lead in leads))
    return path


def won_lost(n: int, converted: int) -> list[str]:
    """``n`` outcomes, every ``n // converted``-th of them Won."""
    step = n // converted
    return ["Won" if i % step == 0 and i // step < converted else "Lost" for i in range(n)]


def simulate(path: Path, tmp_path: Path, *extra: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command(
        "simulate",
        *("--csv", str(path), "--outcome-column", "result", *extra, *FAST),
        *("--json", str(tmp_path / "out.json")),
        stdout=stdout,
        stderr=stderr,
    )
    return stdout.getvalue(), stderr.getvalue()


def simulate_refused(path: Path, tmp_path: Path, *extra: str) -> tuple[str, str, str]:
    stdout, stderr = StringIO(), StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(
            "simulate",
            *("--csv", str(path), "--outcome-column", "result", *extra, *FAST),
            *("--json", str(tmp_path / "out.json")),
            stdout=stdout,
            stderr=stderr,
        )
    return str(refused.value), stdout.getvalue(), stderr.getvalue()


def test_it_says_which_columns_are_features_and_why_the_others_are_left_out(tmp_path: Path) -> None:
    n = 120
    path = leads_csv(
        tmp_path,
        won_lost(n, 40),
        industry=[["software", "retail", "logistics"][i % 3] for i in range(n)],
        notes=[f"called on day {i}" for i in range(n)],
        seats=[str(i % 37) for i in range(n)],
        signed_up=[f"2026-01-{1 + i % 28:02d}" for i in range(n)],
        blank=[""] * n,
        region=["EMEA"] * n,
    )
    activities = activities_csv(tmp_path, [f"row-{i + 2}" for i in range(0, n, 2)])

    stdout, stderr = simulate(path, tmp_path, "--positive", "Won", "--activities", str(activities))

    assert (
        "Features: 3 columns (1 number, 1 date, 1 category) and 9 from activities; "
        "left out: notes (ID-like (120 distinct values)), region (constant)\n"
    ) in stdout
    assert stderr == ""


def test_a_long_list_of_columns_left_out_is_cut_at_ten(tmp_path: Path) -> None:
    n = 60
    constants = {f"c{k:02d}": ["same"] * n for k in range(12)}
    path = leads_csv(tmp_path, won_lost(n, 20), seats=[str(i % 37) for i in range(n)], **constants)

    stdout, _ = simulate(path, tmp_path, "--positive", "Won")

    listed = ", ".join(f"c{k:02d} (constant)" for k in range(10))
    assert f"Features: 1 column (1 number, 0 dates, 0 categories); left out: {listed} and 2 more\n" in stdout


@pytest.mark.parametrize(
    ("converted", "not_converted", "said"),
    [
        ("1", "0", "result holds '0', '1' (2 distinct values)"),
        ("TRUE", "FALSE", "result holds 'FALSE', 'TRUE' (2 distinct values)"),
        ("Closed Won", "Lost", "result holds 'Lost', 'Closed Won' (2 distinct values)"),
    ],
)
def test_an_outcome_column_it_cannot_read_names_its_values_and_the_option_to_read_them(
    tmp_path: Path, converted: str, not_converted: str, said: str
) -> None:
    path = leads_csv(tmp_path, [converted if i % 3 == 0 else not_converted for i in range(30)], seats=["1"] * 30)

    message, _, stderr = simulate_refused(path, tmp_path)

    example = "'Closed Won'" if " " in converted else converted
    assert (
        f"{said}, not converted / not_converted: name the value that means converted with --positive VALUE "
        f"(e.g. --positive {example})\n"
    ) in stderr
    assert "need at least 5 leads of each outcome" in message


def test_more_than_five_unreadable_values_are_listed_most_frequent_first(tmp_path: Path) -> None:
    values = ["a"] * 6 + ["b"] * 5 + ["c"] * 4 + ["d"] * 3 + ["e"] * 2 + ["f", "g"]
    path = leads_csv(tmp_path, values)

    _, _, stderr = simulate_refused(path, tmp_path)

    assert "result holds 'a', 'b', 'c', 'd', 'e', ... (7 distinct values), not converted / not_converted" in stderr
    assert "(e.g. --positive g)" in stderr  # none looks like a yes: the rarest, as conversions usually are


def test_a_few_unreadable_outcomes_among_readable_ones_do_not_ask_for_positive(tmp_path: Path) -> None:
    outcomes = ["converted" if i % 2 else "not_converted" for i in range(40)] + ["1", "0"]
    path = leads_csv(tmp_path, outcomes, seats=[str(i) for i in range(42)])

    _, stderr = simulate(path, tmp_path)

    assert "row 42: result: expected converted or not_converted, got '1'" in stderr
    assert "holds" not in stderr


def test_activities_of_no_lead_in_the_file_name_both_kinds_of_id(tmp_path: Path) -> None:
    path = leads_csv(tmp_path, won_lost(60, 30), seats=[str(i) for i in range(60)])
    activities = activities_csv(tmp_path, [f"A{i}" for i in range(17, 40)])

    _, stderr = simulate(path, tmp_path, "--positive", "Won", "--activities", str(activities))

    assert stderr == (
        "none of the activities' leads is in --csv: the activities name leads such as 'A17', "
        "the leads file's ids are like 'row-2' (it has no external_id column)\n"
    )


def test_activities_whose_rows_are_all_bad_are_reported_as_skipped_not_as_unmatched(tmp_path: Path) -> None:
    path = leads_csv(tmp_path, won_lost(60, 30), seats=[str(i) for i in range(60)])
    activities = activities_csv(tmp_path, [f"row-{i}" for i in range(2, 10)], day="soon")

    _, stderr = simulate(path, tmp_path, "--positive", "Won", "--activities", str(activities))

    assert "skipped row 2: occurred_at:" in stderr
    assert "none of the activities' leads" not in stderr


def test_an_as_of_before_every_event_says_the_behaviour_features_see_none(tmp_path: Path) -> None:
    path = leads_csv(tmp_path, won_lost(60, 30), seats=[str(i) for i in range(60)])
    activities = activities_csv(tmp_path, [f"row-{i}" for i in range(2, 30)], day="2026-06-01")

    _, stderr = simulate(path, tmp_path, "--positive", "Won", "--activities", str(activities), "--as-of", "2026-05-01")

    assert stderr == (
        "all 28 activities are after --as-of 2026-05-01 (the first on 2026-06-01): "
        "the behaviour features see none of them\n"
    )


@pytest.mark.parametrize(("converted", "word"), [(6, "converted"), (194, "not converted")])
def test_an_outcome_with_few_leads_is_a_warning_that_the_curves_are_noise(
    tmp_path: Path, converted: int, word: str
) -> None:
    n = 200
    outcomes = ["Won" if i < converted else "Lost" for i in range(n)]
    path = leads_csv(tmp_path, outcomes, seats=[str(i % 50) for i in range(n)])

    _, stderr = simulate(path, tmp_path, "--positive", "Won")

    assert stderr == (
        f"only 6 leads {word} (of 200): each seed's first sample is topped up until it has both outcomes, "
        f"and curves on so few {word} leads vary widely from seed to seed; treat the differences as noise\n"
    )


def test_thirty_of_each_outcome_is_no_warning(tmp_path: Path) -> None:
    path = leads_csv(tmp_path, won_lost(60, 30), seats=[str(i) for i in range(60)])

    _, stderr = simulate(path, tmp_path, "--positive", "Won")

    assert stderr == ""


def test_columns_never_a_feature_by_their_name_are_said_too(tmp_path: Path) -> None:
    n = 60
    path = leads_csv(
        tmp_path,
        won_lost(n, 20),
        seats=[str(i % 37) for i in range(n)],
        rownames=[str(i + 1) for i in range(n)],
        status=["active", "paused"] * (n // 2),
        company=[""] * n,  # a field the file leaves empty is no news
    )

    stdout, _ = simulate(path, tmp_path, "--positive", "Won")

    assert "left out: rownames (a row label), status (never a feature by its name)\n" in stdout
