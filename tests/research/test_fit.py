"""The calibration fit (simulation/research/fit.py, outputs/fit_report.py, `calibrate --fit`).

The declarations' validation key by key; the objective on synthetic moments; the sandwich on a
linear problem whose covariance is known; a toy fit whose true parameter is known; and the
command end to end, killed (SIGKILL) and resumed.
"""

from __future__ import annotations

import dataclasses
import json
import math
import signal
import subprocess
import sys
import time

import numpy as np
import optuna
import pandas as pd
import pytest

from simulation.errors import WomsimError
from simulation.research import calibration as C
from simulation.research import fit as F

from conftest import REPO, describe, run_cli

TARGETS = C.read_targets()
NPS = next(t for t in TARGETS if t.measure == "nps")


def _data(fit=None, free=None, **fit_changes):
    base_fit = {"targets": ["brand reply rate", "NPS, moderately good product"], "trials": 5,
                "size": {"n_consumers": 100, "weeks": 10, "replicates": 2}, "seed": 1}
    base_free = [{"name": "reply_cost", "low": 1000.0, "high": 40000.0, "log": True, "why": "reply rate"},
                 {"name": "nps_intercept", "low": 4.0, "high": 9.0, "why": "NPS"}]
    f = {**base_fit, **(fit or {}), **fit_changes}
    return {"fit": {k: v for k, v in f.items() if v is not None}, "free": base_free if free is None else free}


def _one_free(**changes):
    entry = {"name": "nps_intercept", "low": 4.0, "high": 9.0, "why": "NPS", **changes}
    return [{k: v for k, v in entry.items() if v is not None}]


# ---------------------------------------------------------------------------- declarations


def test_the_shipped_spec_is_valid_and_holds_out_the_rest():
    spec = F.read_fit_spec()
    assert {t.name for t in spec.held_out} >= {"double jeopardy", "Bass p (per year)", "WOM elasticity of sales"}
    assert not {t.name for t in spec.targets} & {t.name for t in spec.held_out}
    assert all(t.measure != C.NOT_MEASURED for t in (*spec.targets, *spec.held_out))
    assert all(f.why for f in spec.free) and len(spec.free) == len(spec.targets)  # as many moments as parameters
    assert set(spec.start) <= {f.name for f in spec.free}
    assert spec.size["replicates"] >= 2


@pytest.mark.parametrize(("data", "message"), [
    ({"fit": {"targets": ["NPS, moderately good product"]}, "free": _one_free(), "fre": []},
     r"f\.toml: unknown key 'fre' \(did you mean 'free'\?\)"),
    (_data(trails=3), r"\[fit\]: unknown key 'trails' \(did you mean 'trials'\?\)"),
    (_data(free=_one_free(hihg=9.0)), r"free 1 \('nps_intercept'\): unknown key 'hihg' \(did you mean 'high'\?\)"),
    (_data(free=_one_free(name="nps_intercep")),
     r"unknown parameter 'nps_intercep' \(did you mean 'nps_intercept'\?\)"),
    (_data(free=_one_free(high=30.0)), r"\[4, 30\] leaves the declared range of 'nps_intercept' \(-10 \.\. 20\)"),
    (_data(free=_one_free(low=9.0, high=4.0)), r"low = 9 must be below high = 4"),
    (_data(free=_one_free(low=5.0, high=5.0)), r"low = 5 must be below high = 5"),
    (_data(free=_one_free(log=True, low=-1.0)), r"log = true needs low > 0"),
    (_data(free=_one_free(log="yes")), r"'log' = 'yes': allowed true \| false"),
    (_data(free=_one_free(why=None)), r"missing 'why'"),
    (_data(free=_one_free(low="4")), r"'low' = '4': expected a finite number"),
    (_data(free=[{"name": "n_consumers", "low": 10, "high": 20, "why": "w"}]), r"only real-valued parameters"),
    (_data(free=[{"name": "quality", "low": 0.1, "high": 0.5, "why": "w"}]),
     r"'quality' is set by the conditions of fit target 'NPS, moderately good product'"),
    (_data(free=_one_free() * 2), r"free parameter 'nps_intercept' appears more than once"),
    (_data(free=[]), r"no \[\[free\]\] parameter"),
    (_data(targets=["brand reply rat"]), r"unknown target 'brand reply rat' \(did you mean 'brand reply rate'\?\)"),
    (_data(targets=[]), r"'targets' must be a non-empty list"),
    (_data(targets=["brand reply rate", "brand reply rate"]), r"appears twice"),
    (_data(trials=0), r"'trials' = 0: allowed a whole number >= 1"),
    (_data(seed=-1), r"'seed' = -1: allowed a whole number >= 0"),
    (_data(size={"replicates": 1}), r"size: 'replicates' = 1: allowed a whole number >= 2"),
    (_data(size={"weks": 10}), r"unknown key 'weks' \(did you mean 'weeks'\?\)"),
    (_data(size={"weeks": 2.5}), r"'weeks' = 2.5: allowed a whole number >= 1"),
    (_data(start={"nps_intercep": 6.0}), r"start: unknown key 'nps_intercep' \(did you mean 'nps_intercept'\?\)"),
    (_data(start={"nps_intercept": 3.0}), r"start: nps_intercept = 3 is outside its searched range \[4, 9\]"),
    (_data(start={"nps_intercept": "6"}), r"start: 'nps_intercept' = '6': expected a finite number"),
    (_data(start=6.0), r"start: expected a table"),
])
def test_bad_declarations_give_one_line_errors(data, message):
    with pytest.raises(WomsimError, match=message) as err:
        F.validate_spec(data, TARGETS, "f.toml")
    assert "\n" not in str(err.value) and str(err.value).startswith("f.toml")


def test_a_target_not_measured_cannot_be_fitted():
    unmeasured = dataclasses.replace(NPS, measure=C.NOT_MEASURED, reason="no counter yet")
    with pytest.raises(WomsimError, match=r"target 'NPS, moderately good product' is not measured \(no counter yet\)"):
        F.validate_spec({"fit": {"targets": [NPS.name]}, "free": _one_free()}, [unmeasured], "f.toml")


def test_a_zero_width_band_cannot_be_fitted():
    flat = dataclasses.replace(NPS, band=(10.0, 10.0))
    with pytest.raises(WomsimError, match="band of zero width"):
        F.validate_spec({"fit": {"targets": [NPS.name]}, "free": _one_free()}, [flat], "f.toml")


def test_the_spec_hash_ignores_trials_only():
    spec = F.validate_spec(_data(), TARGETS, "f.toml")
    assert spec.digest() == spec.with_overrides(trials=99).digest()
    assert spec.digest() != spec.with_overrides(size={"replicates": 3}).digest()
    assert spec.digest() != F.validate_spec(_data(seed=2), TARGETS, "f.toml").digest()
    assert spec.digest() != F.validate_spec(_data(free=_one_free(high=8.0)), TARGETS, "f.toml").digest()


# ---------------------------------------------------------------------------- objective


def test_the_loss_is_the_sum_of_squared_misses_in_half_widths():
    bands = {"a": (2.0, 4.0), "b": (0.0, 0.2)}
    assert F.loss({"a": 3.0, "b": 0.1}, bands) == 0.0
    assert F.loss({"a": 5.0, "b": 0.1}, bands) == pytest.approx(4.0)       # (5 - 3) / 1
    assert F.loss({"a": 3.0, "b": 0.4}, bands) == pytest.approx(9.0)       # (0.4 - 0.1) / 0.1
    assert F.loss({"a": 1.0, "b": -0.1}, bands) == pytest.approx(4.0 + 4.0)


def test_a_target_without_a_value_costs_the_penalty():
    bands = {"a": (2.0, 4.0), "b": (0.0, 0.2)}
    assert F.loss({"a": math.nan, "b": 0.1}, bands) == F.PENALTY
    assert F.loss({"b": 0.1}, bands) == F.PENALTY
    assert F.loss({"a": None, "b": 0.3}, bands) == pytest.approx(F.PENALTY + 4.0)
    assert F.PENALTY > F.loss({"a": 23.0, "b": 0.1}, bands)  # larger than a miss by 20 half-widths


# ---------------------------------------------------------------------------- uncertainty


def test_the_sandwich_is_the_covariance_of_the_estimator_on_a_linear_problem():
    # m(theta) = A theta; the SMM estimate for published values c is (A'WA)^-1 A'W c. With c
    # drawn from N(c0, Sigma) its covariance is exactly the sandwich: compare with 20,000 draws
    # (the Monte Carlo standard error of a variance is about sqrt(2 / 20000) = 1 %; tolerance 5 %).
    rng = np.random.default_rng(3)
    A = np.array([[1.0, 0.5], [0.2, 2.0], [1.5, -0.3], [0.0, 1.0]])
    h = np.array([0.5, 1.0, 2.0, 0.3])
    sigma = np.array([0.2, 1.5, 0.7, 0.05])
    G = F.jacobian(lambda u: A @ u, np.array([0.3, 0.4]), np.zeros(2), np.ones(2))
    np.testing.assert_allclose(G, A, rtol=1e-9)  # central differences are exact for a linear map
    V = F.sandwich(G, h, sigma)
    W = np.diag(1 / h**2)
    c = rng.normal(0.0, np.sqrt(sigma), size=(20000, 4))
    est = np.linalg.solve(A.T @ W @ A, A.T @ W @ c.T).T
    np.testing.assert_allclose(np.cov(est.T), V, rtol=0.05, atol=0.05 * np.abs(V).max())
    assert F.identification(G, h, np.ones(2))[0].all()


def test_a_parameter_without_effect_or_in_the_null_space_is_not_identified():
    ok, share = F.identification(np.array([[1.0, 0.0], [2.0, 0.0]]), np.ones(2), np.ones(2))
    assert ok.tolist() == [True, False] and share[1] == pytest.approx(1.0)
    # three parameters, two moments: the third moves along a combination of the first two
    G = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    assert not F.identification(G, np.ones(2), np.ones(3))[0].any()


def _toy_spec(targets, free, trials=15, size=None, seed=5):
    size = size or {"n_consumers": 200, "weeks": 30, "replicates": 2}
    data = {"fit": {"targets": [t.name for t in targets], "trials": trials, "size": size, "seed": seed},
            "free": free}
    return F.validate_spec(data, targets, "toy")


def test_intervals_come_from_the_sandwich_and_respect_the_ranges():
    # two targets that are linear in the sampled scale of two parameters (the second on a log scale)
    a = dataclasses.replace(NPS, name="a", band=(-1.0, 1.0))
    b = dataclasses.replace(NPS, name="b", band=(-4.0, 4.0))
    spec = _toy_spec([a, b], [{"name": "nps_intercept", "low": 4.0, "high": 9.0, "why": "w"},
                              {"name": "reply_cost", "low": 100.0, "high": 1e4, "log": True, "why": "w"}])

    def evaluate(theta):
        u = np.array([theta["nps_intercept"], math.log(theta["reply_cost"])])
        return F.Moments({"a": 2.0 * u[0], "b": 0.1 * u[1]}, {"a": 0.0, "b": 0.0})

    theta = {"nps_intercept": 5.0, "reply_cost": 1000.0}
    unc = F.uncertainty(theta, evaluate(theta), spec, evaluate)
    np.testing.assert_allclose(unc.G, [[2.0, 0.0], [0.0, 0.1]], rtol=1e-6)
    # Sigma = (h / 2)^2: sd(theta_1) = 0.5 / 2, sd(u_2) = 2 / 0.1 = 20 -> clipped to the whole range
    lo, hi = unc.interval["nps_intercept"]
    assert (lo, hi) == pytest.approx((5.0 - 1.96 * 0.25, 5.0 + 1.96 * 0.25), rel=1e-3)
    assert unc.interval["reply_cost"] == pytest.approx((100.0, 1e4))
    assert unc.identified.all() and unc.rank == 2
    d = F.draws(theta, unc, spec)
    assert list(d.columns) == ["nps_intercept", "reply_cost"] and len(d) == F.N_DRAWS
    assert d["nps_intercept"].between(4.0, 9.0).all() and d["reply_cost"].between(100.0, 1e4).all()
    assert abs(d["nps_intercept"].mean() - 5.0) < 4 * 0.25 / math.sqrt(F.N_DRAWS)
    pd.testing.assert_frame_equal(d, F.draws(theta, unc, spec))  # seeded


def test_conflicts_find_targets_met_alone_but_never_together():
    a = dataclasses.replace(NPS, name="a", band=(0.0, 1.0))
    b = dataclasses.replace(NPS, name="b", band=(0.0, 1.0))
    c = dataclasses.replace(NPS, name="c", band=(0.0, 1.0))
    spec = _toy_spec([a, b, c], _one_free())
    trials = pd.DataFrame({"a": [0.5, 0.5, 2.0, 2.0], "b": [2.0, 2.0, 0.5, 0.5], "c": [0.5, 0.5, 0.5, 0.5]})
    v = F.conflicts(trials, spec).set_index(["target_a", "target_b"])["verdict"]
    assert v[("a", "b")] == "never" and v[("a", "c")] == "met together" and v[("b", "c")] == "met together"
    trials["c"] = 5.0
    assert F.conflicts(trials, spec).set_index(["target_a", "target_b"])["verdict"][("a", "c")] == "not met"


# ---------------------------------------------------------------------------- a toy fit with a known truth


@pytest.mark.slow
def test_a_toy_fit_recovers_a_known_parameter(tmp_path):
    # The target is made by the model itself: NPS measured at nps_intercept = 6 (tiny size,
    # fixed seeds), with a band of +-2 NPS points around it. The fit searches [4, 9] with 15
    # TPE trials; with the same seeds the loss is 0 at the truth, and NPS moves about 35 points
    # per unit of the intercept here, so the band pins it to about +-0.06: tolerance 0.15.
    truth, size, seed = 6.0, {"n_consumers": 200, "weeks": 30, "replicates": 2}, 5
    measured = C.check([NPS], params={"nps_intercept": truth}, size=size, seed=seed, workers=1,
                       progress=False).table["measured"].iloc[0]
    toy = dataclasses.replace(NPS, name="toy NPS", band=(measured - 2.0, measured + 2.0))
    spec = _toy_spec([toy], [{"name": "nps_intercept", "low": 4.0, "high": 9.0, "why": "toy"}], 15, size, seed)
    result = F.fit(spec, tmp_path / "fit", workers=1, progress=False)
    est = result.estimate["nps_intercept"]
    assert abs(est - truth) < 0.15, result.trials
    lo, hi = result.unc.interval["nps_intercept"]
    assert lo <= truth <= hi and result.unc.identified.all()
    assert len(result.trials) == 15 and result.trials["loss"].min() == pytest.approx(result.loss)


def test_the_declared_start_is_the_first_trial_and_part_of_the_spec(tmp_path):
    size = {"n_consumers": 60, "weeks": 4, "replicates": 2}
    free = [{"name": "nps_intercept", "low": 4.0, "high": 9.0, "why": "toy"}]
    spec = _toy_spec([NPS], free, 2, size, 1)
    started = dataclasses.replace(spec, start={"nps_intercept": 7.25})
    assert spec.digest() != started.digest()  # a different start is a different study
    result = F.fit(started, tmp_path / "fit", workers=1, progress=False)
    first = result.trials.sort_values("trial").iloc[0] if "trial" in result.trials else result.trials.iloc[0]
    assert first["nps_intercept"] == 7.25


# ---------------------------------------------------------------------------- the command


def _complete(db) -> list[tuple[int, dict, float]]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=F.STUDY_NAME, storage=f"sqlite:///{db}")
    except KeyError:  # the file is there, the study not yet
        return []
    return [(t.number, t.params, t.value) for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))]


@pytest.mark.slow
def test_a_killed_fit_resumes_without_rerunning_its_trials(tmp_path):
    out, trials = tmp_path / "cal", 6
    args = ["calibrate", "--fit", "--quick", "--trials", str(trials), "--workers", "1", "--no-progress",
            "--out", out]
    db = out / "fit" / "study.db"
    proc = subprocess.Popen([sys.executable, "run.py", *map(str, args)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists() and len(_complete(db)) >= 2:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the fit ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = _complete(db)
    assert 2 <= len(before) < trials
    start = time.monotonic()
    result = run_cli(*args)
    seconds = time.monotonic() - start
    assert result.returncode == 0, describe(result)
    assert f"resuming: {len(before)} of {trials} trials done" in result.stderr
    after = _complete(db)
    assert len(after) == trials
    assert after[:len(before)] == before  # the same trials, numbers, parameters and losses: none re-run
    assert seconds < 60, f"the resumed quick fit took {seconds:.0f} s"
    fit = json.loads((out / "fit" / "fit.json").read_text())
    names = [f.name for f in F.read_fit_spec().free]
    assert set(fit["estimate"]) == set(names) == set(fit["interval"])
    assert fit["trials"] == trials and fit["held_out"] and fit["targets"] and "git_commit" in fit
    assert all(f["low"] <= fit["interval"][f["name"]][0] <= fit["interval"][f["name"]][1] <= f["high"]
               for f in fit["free"])
    draws = pd.read_csv(out / "fit" / "draws.csv")
    assert list(draws.columns) == names and len(draws) == F.N_DRAWS
    after_table = pd.read_csv(out / "fit" / "targets_after.csv")
    assert set(after_table["role"]) == {"fit", "held out"}
    assert len(pd.read_csv(out / "fit" / "trials.csv")) == trials
    for name in ("table.md", "conflicts.md", "fit_history.png", "fit_targets.png"):
        assert (out / "fit" / name).is_file(), name
    # a changed spec is refused: one line, exit 2
    spec = tmp_path / "fit.toml"
    spec.write_text(F.FIT_FILE.read_text().replace("seed = 2013", "seed = 7"))
    refused = run_cli(*args, "--fit-spec", spec)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, describe(refused)
    assert "use a new --out or delete" in refused.stderr


@pytest.mark.parametrize(("extra", "message"), [
    (["--fit", "--trials", "0"], "--trials = 0: allowed a whole number >= 1"),
    (["--check", "--trials", "3"], "belong to calibrate --fit"),
    (["--fit", "--scheduler", "nowhere"], "--scheduler 'nowhere'"),
    (["--fit", "--fit-spec", "/no/such/fit.toml"], "fit spec '/no/such/fit.toml' does not exist"),
])
def test_bad_fit_options_give_one_line_errors(tmp_path, extra, message):
    result = run_cli("calibrate", *extra, "--out", tmp_path / "cal", "--no-progress")
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], describe(result)
    assert not (tmp_path / "cal" / "fit" / "study.db").exists()
