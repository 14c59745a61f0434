"""The robustness of the headline (simulation.research.robustness, python run.py robustness):
the draws file's validation from the declared parameter ranges, the winner and tie rule and the
Wilson interval on synthetic outcomes with a known answer, and the whole command on a tiny
configuration (every file written; the same runs whatever the number of workers)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from simulation import cli
from simulation.core.params import PARAMETERS
from simulation.errors import WomsimError
from simulation.research import robustness as R
from simulation.research.experiment import load_experiment
from simulation.research.headline import HEADLINE_FILE
from simulation.research.stats import mean_ci

# ---------------------------------------------------------------------------- the draws file


def _write(path, text):
    path.write_text(text)
    return path


def test_a_valid_draws_file_with_its_estimate(tmp_path):
    f = _write(tmp_path / "draws.csv", "draw,talk_negative,ad_effect\n7,0.4,0.05\n9,0.6,0.04\n3,0.5,0.07\n")
    (tmp_path / "fit.json").write_text(json.dumps({"estimate": {"talk_negative": 0.5, "ad_effect": 0.05},
                                                   "interval": {"talk_negative": [0.4, 0.6]}}))
    d = R.read_draws(f)
    assert d.names == ("talk_negative", "ad_effect") and d.ids == (7, 9, 3) and len(d) == 3 == d.total
    assert d.values[1] == {"talk_negative": 0.6, "ad_effect": 0.04}
    assert d.estimate == {"talk_negative": 0.5, "ad_effect": 0.05} and d.estimate_path.name == "fit.json"
    assert len(d.sha256) == 64
    first = R.read_draws(f, max_draws=2)
    assert first.ids == (7, 9) and first.total == 3  # the first K, in file order


def test_unknown_column_names_the_closest_parameter(tmp_path):
    f = _write(tmp_path / "d.csv", "talk_negatve,ad_effect\n0.4,0.05\n")
    with pytest.raises(WomsimError, match=r"unknown column 'talk_negatve' \(did you mean 'talk_negative'\?\)") as e:
        R.read_draws(f)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("name", ["ad_effect", "nps_intercept", "awareness_decay"])
def test_a_value_outside_the_declared_range_names_row_and_column(tmp_path, name):
    """The bad value is built from params.py's declared range, so the test follows the declaration."""
    spec = PARAMETERS[name]
    bad = spec.high + 1.0
    f = _write(tmp_path / "d.csv", f"{name}\n{spec.default}\n{bad}\n")
    with pytest.raises(WomsimError) as e:
        R.read_draws(f)
    msg = str(e.value)
    assert "\n" not in msg and f"'{name}'" in msg and "row 2" in msg and "out of range" in msg
    assert spec.allowed() in msg


@pytest.mark.parametrize(("text", "pattern"), [
    ("", "is empty"),
    ("\n\n", "is empty"),
    ("talk_negative,ad_effect\n", "has a header but no draw"),
    ("strategy,ad_effect\ndialogue,0.05\n", "set by the robustness experiment itself"),
    ("ad_effect,ad_effect\n0.05,0.05\n", "appears more than once"),
    ("ad_effect,wom_reach\n0.05\n", "1 cells for 2 columns"),
    ("ad_effect\nabc\n", "not a number"),
    ("ad_effect\nnan\n", "not a finite number"),
    ("draw,ad_effect\n1,0.05\n1,0.06\n", "draw 1 appears more than once"),
])
def test_malformed_draws_files_fail_in_one_line(tmp_path, text, pattern):
    f = _write(tmp_path / "d.csv", text)
    with pytest.raises(WomsimError, match=pattern) as e:
        R.read_draws(f)
    assert "\n" not in str(e.value)


def test_an_estimate_of_other_parameters_is_refused(tmp_path):
    f = _write(tmp_path / "draws.csv", "ad_effect\n0.05\n")
    (tmp_path / "fit.json").write_text(json.dumps({"estimate": {"wom_reach": 0.5}}))
    with pytest.raises(WomsimError, match="different parameters"):
        R.read_draws(f)


def test_missing_draws_file_says_to_run_the_fit_first(tmp_path, capsys):
    code = cli.main(["robustness", "--draws", str(tmp_path / "nowhere.csv"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and err.startswith("error: draws file")
    assert "run `python run.py calibrate --fit` first" in err
    assert not (tmp_path / "o").exists()


def test_bad_options_are_refused_before_anything_runs(tmp_path, capsys):
    f = _write(tmp_path / "d.csv", "ad_effect\n0.05\n")
    for option in (["--replicates", "0"], ["--max-draws", "0"], ["--seed", "-1"], ["--n-consumers", "1"]):
        code = cli.main(["robustness", "--draws", str(f), "--out", str(tmp_path / "o"), *option])
        err = capsys.readouterr().err.strip()
        assert code == 2 and "\n" not in err and err.startswith("error:"), (option, err)
    assert not (tmp_path / "o").exists()


def test_every_draw_runs_on_the_same_seeds():
    """Common random numbers: replicate r has one seed in every draw, scenario and strategy."""
    exp = R.headline_for(replicates=2, steps=3, n_consumers=50)
    tasks = R.robustness_tasks(exp, [{"ad_effect": 0.04}, {"ad_effect": 0.06}], [0, 1])
    df = pd.DataFrame([{**t.labels, "seed": t.seed, "ad_effect": t.params["ad_effect"]} for t in tasks])
    assert len(df) == 2 * 2 * 6 * 2
    assert df.groupby("replicate")["seed"].nunique().eq(1).all() and df["seed"].nunique() == 2
    assert df.groupby("draw")["ad_effect"].first().tolist() == [0.04, 0.06]
    assert {t.params["n_consumers"] for t in tasks} == {50} and {t.params["steps"] for t in tasks} == {3}


# ---------------------------------------------------------------------------- the rules


def test_wilson_interval_matches_published_values_and_stays_in_the_unit_interval():
    # Newcombe (1998), Statistics in Medicine 17, 857-872, Table I, method 3 (score).
    for (k, n), (lo, hi) in {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605),
                             (0, 10): (0.0, 0.2775), (10, 10): (0.7225, 1.0)}.items():
        got = R.wilson_interval(k, n)
        assert got == pytest.approx((lo, hi), abs=5e-5), (k, n, got)
    for n in (1, 2, 5, 50):
        for k in range(n + 1):
            lo, hi = R.wilson_interval(k, n)
            assert 0.0 <= lo <= k / n <= hi <= 1.0
    assert all(math.isnan(x) for x in R.wilson_interval(0, 0))


def _synthetic() -> pd.DataFrame:
    """Three strategies, four draws, three replicates on shared seeds; the known answer:
    draw 0: a wins clearly; draw 1: b wins by a hair that the replicates cannot separate;
    draw 2: a and b tie exactly (the same outcomes); draw 3: c wins clearly."""
    means = {0: {"a": 0.5, "b": 0.3, "c": 0.1}, 1: {"a": 0.3, "b": 0.31, "c": 0.1},
             2: {"a": 0.4, "b": 0.4, "c": 0.2}, 3: {"a": 0.1, "b": 0.2, "c": 0.6}}
    noise = {0: (-0.01, 0.0, 0.01), 1: (-0.05, 0.0, 0.05)}
    rows = []
    for draw, m in means.items():
        for s, mu in m.items():
            for r in range(3):
                # draw 1: b's noise against a's runs the other way, so the paired difference varies
                e = noise.get(draw, noise[0])[r] * (-1 if (draw == 1 and s == "b") else 1)
                rows.append({"draw": draw, "scenario": "launch", "strategy": s, "replicate": r, "seed": 100 + r,
                             "market_share_13w": mu + (0.0 if draw == 2 else e)})
    return pd.DataFrame(rows)


def test_winner_margin_and_tie_rule_on_synthetic_outcomes():
    runs = _synthetic()
    won = R.winners(runs, ["scenario"], ["market_share_13w"])
    by = won.set_index("draw")
    assert by["winner"].tolist() == ["a", "b", R.TIE, "c"]
    assert by.loc[0, "runner_up"] == "b" and by.loc[0, "margin"] == pytest.approx(0.2)
    assert bool(by.loc[0, "clear"]) and not bool(by.loc[1, "clear"]) and not bool(by.loc[2, "clear"])
    # the margin's interval is the paired t-interval of winner - runner-up over the replicates
    g = runs[runs["draw"] == 1].pivot(index="seed", columns="strategy", values="market_share_13w")
    _, lo, hi = mean_ci((g["b"] - g["a"]).to_numpy())
    assert (by.loc[1, "margin_lo"], by.loc[1, "margin_hi"]) == pytest.approx((lo, hi))
    assert lo < 0 < hi

    table = R.win_table(runs, won, ["scenario"], ["market_share_13w"]).set_index("strategy")
    assert table["wins"].to_dict() == {"a": 1, "b": 1, "c": 1, R.TIE: 1}
    assert table["clear_wins"].to_dict() == {"a": 1, "b": 0, "c": 1, R.TIE: 0}
    assert (table["draws"] == 4).all()  # a tie stays among the draws
    assert table.loc["a", "share"] == 0.25
    assert (table.loc["a", "share_lo"], table.loc["a", "share_hi"]) == R.wilson_interval(1, 4)
    assert table.loc["c", "mean"] == pytest.approx(np.mean([0.1, 0.1, 0.2, 0.6]))
    assert table.loc["c", "sd"] == pytest.approx(np.std([0.1, 0.1, 0.2, 0.6], ddof=1))
    assert math.isnan(table.loc["a", "estimate"]) and not table["estimate_winner"].any()


def test_the_estimate_is_reported_beside_the_draws():
    runs = _synthetic()
    est = runs[runs["draw"] == 3].assign(draw=R.ESTIMATE)
    won = R.winners(runs, ["scenario"], ["market_share_13w"])
    est_won = R.winners(est, ["scenario"], ["market_share_13w"], draw=False)
    table = R.win_table(runs, won, ["scenario"], ["market_share_13w"], estimate=est,
                        estimate_winners=est_won).set_index("strategy")
    assert table.loc["c", "estimate"] == pytest.approx(0.6) and bool(table.loc["c", "estimate_winner"])
    assert not table.drop(index="c")["estimate_winner"].any()


def test_a_draw_with_fewer_than_two_strategies_measured_has_no_winner():
    runs = _synthetic()
    runs.loc[(runs["draw"] == 3) & (runs["strategy"] != "c"), "market_share_13w"] = np.nan
    won = R.winners(runs, ["scenario"], ["market_share_13w"]).set_index("draw")
    assert won.loc[3, "winner"] == R.NO_WINNER
    table = R.win_table(runs, won.reset_index(), ["scenario"], ["market_share_13w"]).set_index("strategy")
    assert table.loc[R.NO_WINNER, "wins"] == 1 and table.loc["c", "wins"] == 0


def test_pairwise_share_of_draws():
    runs = _synthetic()
    p = R.pair_table(runs, ["scenario"], ["market_share_13w"], a="b", b="a").iloc[0]
    # b beats a in draws 1 and 3, ties in draw 2, loses in draw 0
    assert (p["draws"], p["a_wins"], p["ties"]) == (4, 2, 1)
    assert (p["share_lo"], p["share_hi"]) == R.wilson_interval(2, 4)
    assert (p["a_clear"], p["b_clear"]) == (1, 1)  # draw 3 for b; draw 0 for a
    assert R.pair_table(runs, ["scenario"], ["market_share_13w"]).empty  # no dialogue, no broadcast


# ---------------------------------------------------------------------------- the command

TINY = ["--n-consumers", "60", "--steps", "6", "--replicates", "2", "--no-progress", "--seed", "5"]


@pytest.fixture(scope="module")
def draws_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("fit")
    f = _write(d / "draws.csv", "talk_negative,ad_effect\n0.4,0.05\n0.6,0.07\n0.5,0.03\n")
    (d / "fit.json").write_text(json.dumps({"estimate": {"talk_negative": 0.5, "ad_effect": 0.05}}))
    return f


@pytest.fixture(scope="module")
def tiny_run(draws_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("robustness") / "out"
    code = cli.main(["robustness", "--draws", str(draws_file), "--max-draws", "2", "--workers", "1",
                     "--out", str(out), *TINY])
    assert code == 0
    return out


@pytest.mark.slow
def test_the_command_writes_every_file(tiny_run, draws_file):
    from simulation.outputs.robustness_report import FILES

    for name in FILES:
        assert (tiny_run / name).is_file() and (tiny_run / name).stat().st_size > 0, name
    runs = pd.read_csv(tiny_run / "runs.csv")
    exp = load_experiment(HEADLINE_FILE)
    n_points, n_strategies = len(exp.scenarios()), len(exp.strategies())
    assert len(runs) == (2 + 1) * n_points * n_strategies * 2  # two draws and the estimate
    assert {"talk_negative", "ad_effect", "market_share_13w", "incremental_roi"} <= set(runs.columns)
    assert sorted(runs["draw"].astype(str).unique()) == ["0", "1", R.ESTIMATE]
    wins = pd.read_csv(tiny_run / "wins.csv")
    share = wins[wins["outcome"] == "market_share_13w"].groupby("scenario")["wins"].sum()
    assert (share == 2).all()  # every draw counted once per scenario (a strategy, a tie or no winner)
    meta = json.loads((tiny_run / "robustness.json").read_text())
    assert meta["draws"]["used"] == 2 and meta["draws"]["rows"] == 3
    assert meta["draws"]["sha256"] == __import__("hashlib").sha256(draws_file.read_bytes()).hexdigest()
    report = (tiny_run / "report.md").read_text()
    assert meta["draws"]["sha256"] in report and "wins in" in report and "numpy" in report


@pytest.mark.slow
def test_the_runs_do_not_depend_on_the_number_of_workers(tiny_run, draws_file, tmp_path):
    out = tmp_path / "two"
    code = cli.main(["robustness", "--draws", str(draws_file), "--max-draws", "2", "--workers", "2",
                     "--out", str(out), *TINY])
    assert code == 0
    assert (out / "runs.csv").read_bytes() == (tiny_run / "runs.csv").read_bytes()
    assert (out / "wins.csv").read_bytes() == (tiny_run / "wins.csv").read_bytes()
