"""The per-agent reference (simulation/core/reference.py) against the vectorised engine.

Three kinds of evidence that the two implementations run the same model (version 2: brands
competing for category purchases):

1. **Exactness, no statistics.** With the same seed both build the same graph, segments and
   initial state, N x B per-brand arrays included, in both scenarios (step 0 is identical).
   Where the rules are deterministic they must give the same numbers to 1e-12: a DeGroot /
   Friedkin-Johnsen setting (word of mouth and forgetting; the ``version1`` preset's one
   brand, and three brands talked about by topic); three settings where fan page, purchase
   (the logit with a certain outcome), the rolling purchase window, experience, word of
   mouth with bounded confidence, posting, dialogue (reply order, spin, backlash),
   forgetting and the NPS survey run with certain draws, the rivals running fan pages and
   answering posts about themselves; and unit checks of single rules (one consumer's k ad
   exposures about brand b step by step = the engine's closed form; page posts; one
   listener's inboxes = ``social_influence`` on flat (consumer, brand) keys; the choice
   probabilities = ``choice_probabilities``; the survey; the public record's sentiment and
   reply order per brand).

2. **Agreement in distribution.** For each case of ``CASES`` (the six strategies at the
   version 2 defaults: 3 brands, launch, buyers consulting the record; dialogue and
   broadcast in the ``established`` scenario; rivals that answer posts; every online buyer
   consulting the record with heavily weighted ratings; stressed settings that exercise spin, backlash
   posts, an overflowing ring buffer, spread initial attitudes, fast forgetting, a short
   purchase window that wraps, sampled NPS surveys every third week; amplified reach and
   replies that change later posting; the Bass purchase model
   with one brand; the Goldenberg purchase model on cliques, and with three brands competing
   and a seeding program; the ``version1`` preset) we run ``SEEDS`` = 30 seeds of the engine and 30
   *different* seeds of the reference (independent samples; N = 300 consumers on a
   Barabasi-Albert graph of mean degree 6, 26 weeks) and compare every metric of
   ``metrics.METRIC_NAMES`` at weeks 5, 13 and 26.

   *Undefined values.* Some metrics are ratios that are NaN in a run where they are
   undefined (``market_share`` in a week without category purchases, ``repeat_rate``
   without focal purchases, ``defection_rate``, ``scr``, ``nps`` and its interval without
   customers to ask, ``roi`` without spend, ``rival_awareness`` without rivals). Rule: for
   each metric and checkpoint, (i) if it is NaN in some run, the *share of runs where it is
   undefined* is compared with Fisher's exact test (it is a metric of the model too: how
   often nobody bought the focal brand this week), and (ii) its *defined values* are
   compared with Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``) when each
   implementation has at least 2 of them. NaN in every run of both: nothing to compare
   (skipped). Two constant samples of defined values pass if equal; if not, p is the exact
   permutation p-value of that split (1 in C(n_a + n_b, n_a), 2 with equal sizes): 30
   constant runs against 30 other ones reject, 3 against 2 (a defection rate among one or
   two former buyers, 0 in three runs and 1 in two) do not.

   Every test (i) and (ii) of one case is one comparison of a Bonferroni family of m
   (m is about 100 to 120, depending on the case): a comparison rejects at p < 0.01 / m, so the
   family-wise error rate is <= 1 % per case: if the implementations are equivalent, a case
   raises a false alarm with probability at most 1 % (at most about 18 % for the file's 20
   cases together; less in practice, because the metrics are strongly correlated and
   Bonferroni is then conservative). The base seeds are fixed, so a failure is
   reproducible. Why it can fail: any real difference in a process (a wrong rate, a missing
   factor, a different order of updates) moves the mean of some metric at some checkpoint;
   with 30 + 30 runs a shift of about 1.1 standard deviations (of that metric across seeds)
   is detected with probability about one half, a shift of 2 standard deviations almost
   surely.

3. **Teeth (mutation tests).** The same comparison must *reject* when one implementation is
   deliberately broken: (a) the reference's listeners ignore the weight of each message
   (every message weighs 1 instead of its tie strength or stranger weight; ``version1``
   case: mean attitude at week 26 moves by about 1.6 sd, |t| about 6 against a critical
   value of 4.3, so on other seeds it would be missed with probability of a few per cent);
   (b) the engine's loyalty gain per satisfied purchase is doubled (loyalty of customers
   doubles, |t| above 15); and two version 2 rules, in the ``broadcast`` case: (c) the
   engine leaves loyalty out of the choice utility (``purchase_loyalty`` = 0 in the purchase
   process only: the rivals' habitual buyers stay less with them, penetration of the focal
   brand 0.57 instead of 0.41, |t| above 10), (d) the reference notices every ad impression
   (ignores ``ad_attention`` = 0.3: awareness 0.97 instead of 0.73 at week 5, |t| above
   10); (e) the reference notices every read post (ignores ``post_attention`` = 0.3:
   awareness 0.34 instead of 0.16 at week 26 in the ``established_dialogue`` case, p about
   1e-6 against a critical 8e-5); (f) the reference's consulting buyers read none of the most
   visible posts (``consult`` case: trust at week 26 0.50 instead of 0.54, |t| about 9). With
   ``-s`` the tests print how many comparisons rejected and the strongest ones; each test
   also checks that a metric the mutation must move is among the rejected ones.

The statistical tests are marked ``slow`` (CI runs them too). All unmutated runs go to one
pool of ``WORKERS`` = 2 processes. The 780 runs of the first 13 cases need about 80 s of CPU
(65 s of it the 390 reference runs) and the mutants about 10 s: the whole file took 67 s on 2
cores with little else running (3.3 minutes while other jobs kept the load average at 7).
Issue 12's cases (``amplified``, ``pulsed_mixed``, ``consult``, ``events`` and the fan page's)
add 60 runs each: see the integrator's measurement in the commit that merged them; so do
issue 13's ``goldenberg`` and ``goldenberg_rivals``. Their adoptions also agree exactly, seed
for seed (adoption has its own random stream, drawn in the same order in both:
``test_goldenberg_adoptions_agree_exactly``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulation.core.processes as proc
from simulation.core.metrics import METRIC_NAMES
from simulation.core.model import WordOfMouthModel
from simulation.core.params import Params
from simulation.core.presets import VERSION1, preset_values
from simulation.core.processes.broadcast import apply_exposures
from simulation.core.processes.dialogue import reply_order as engine_reply_order
from simulation.core.processes.influence import social_influence
from simulation.core.processes.public_record import PublicRecord as EnginePublicRecord
from simulation.core.reference import Message, Post, PublicRecord, ReferenceConsumer, ReferenceModel
from simulation.core.state import BRAND_FIELDS, ConsumerState
from simulation.research.executors import run_tasks
from simulation.research.tasks import Task, create_model, run_seed
from simulation.research.validation import compare_samples

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------------------------
# Statistical design
# ---------------------------------------------------------------------------------------------
SEEDS = 30                   # runs per implementation and case
CHECKPOINTS = (5, 13, 26)    # weeks compared
ALPHA = 0.01                 # family-wise error rate per case (Bonferroni)
WORKERS = 2
ENGINE_BASE_SEED, REFERENCE_BASE_SEED, MUTANT_BASE_SEED = 101, 202, 303
BASE = {"n_consumers": 300, "mean_degree": 6, "network": "barabasi_albert", "steps": max(CHECKPOINTS)}
# Stressed: more aware consumers at the start, dishonest replies (spin detection and backlash
# posts, replies cheap enough to answer most posts), all three channels in mixed, a fan page
# with much organic reach, a ring buffer that overflows, spread initial attitudes;
# fast forgetting, ads noticed more often, a purchase window that wraps within the run, a
# sampled NPS survey every third week (nps_low etc. carried between surveys).
STRESS = {"initial_awareness": 0.1, "honesty": 0.5, "hype": 0.6, "fanpage_share": 0.2,
          "record_capacity": 40, "initial_attitude_sd": 0.3, "awareness_decay": 0.2,
          "ad_attention": 0.6, "scr_window": 4, "nps_every": 3, "nps_sample": 25,
          "reply_cost": 200.0, "organic_reach": 0.3}
CASES = {
    "none": {"strategy": "none"},
    "broadcast": {"strategy": "broadcast"},
    "hype": {"strategy": "hype"},
    "fanpage": {"strategy": "fanpage"},
    "dialogue": {"strategy": "dialogue"},
    "mixed": {"strategy": "mixed"},
    # replies cheap enough (reply_cost 200, 1.5 a week at N = 300) that the dialogue rules act;
    # at the calibrated default a brand of 300 consumers answers about one post in 26 weeks
    # few posts about an unknown brand noticed (post_attention 0.1), so that a reference that
    # notices every post read stays far off (test_detects_reference_ignoring_post_attention)
    "established_dialogue": {"strategy": "dialogue", "scenario": "established", "reply_cost": 200.0,
                             "post_attention": 0.1},
    "established_broadcast": {"strategy": "broadcast", "scenario": "established"},
    # a page without budget: organic reach only (followers, awareness; nothing spent)
    "organic_page": {"strategy": "fanpage", "budget": 0.0, "scenario": "established"},
    # Rivals of different qualities answer the posts about themselves (and the focal brand
    # answers its own): replies of every brand, read by everyone.
    "rival_dialogue": {"strategy": "dialogue", "rival_strategy": "dialogue", "rival_budget": 3.0,
                       "rival_quality_spread": 0.3, "reply_cost": 200.0},
    "stressed_dialogue": {"strategy": "dialogue", **STRESS, "budget": 3.0},
    "stressed_mixed": {"strategy": "mixed", **STRESS, "rival_strategy": "mixed"},
    # Heavy-tailed reach growing steeply with degree, answered posts read much more, half the
    # posts about unknown brands unnoticed, answered authors posting far more (and answered
    # complainers complaining more), many replies by every brand.
    "amplified": {"strategy": "dialogue", "budget": 4.0, "rival_strategy": "dialogue", "rival_budget": 4.0,
                  "reach_tail": 2.0, "reach_degree": 1.5, "reply_boost": 3.0, "post_attention": 0.5,
                  "reply_post_boost": 1.0, "reply_post_positivity": 0.3, "complaint_invite": 1.0,
                  "reply_cost": 200.0},
    # The focal brand spends in random weeks (pulses): both take the schedule from the same
    # stream, so off weeks (no ads, no page, no replies) fall on the same weeks in both.
    "pulsed_mixed": {"strategy": "mixed", "fanpage_share": 0.2, "flighting": "pulses", "pulse_prob": 0.5},
    # Everybody online consults the record on every occasion, reads 5 posts per brand, and
    # the ratings weigh heavily; rivals of different qualities answer posts too.
    "consult": {"strategy": "dialogue", "scenario": "established", "consult_native": 1.0, "consult_immigrant": 1.0,
                "consult_posts": 5, "purchase_rating": 4.0, "rival_strategy": "dialogue", "rival_budget": 3.0,
                "rival_quality_spread": 0.3, "reply_cost": 200.0},
    "bass": {"strategy": "broadcast", "n_brands": 1, "purchase_model": "bass", "bass_p": 0.02, "bass_q": 0.4},
    # Goldenberg, Libai & Muller (2001): cliques of 10, 5 weak contacts a week outside the clique,
    # advertising; and three brands competing for one adoption each with a seeding program of the
    # focal brand on the default graph (weak contacts among all others), the other processes on.
    "goldenberg": {"strategy": "broadcast", "n_brands": 1, "purchase_model": "goldenberg", "network": "cliques",
                   "clique_size": 10, "weak_contacts": 5, "goldenberg_alpha": 0.01, "goldenberg_beta_w": 0.02,
                   "goldenberg_beta_s": 0.05},
    "goldenberg_rivals": {"strategy": "dialogue", "purchase_model": "goldenberg", "weak_contacts": 8,
                          "goldenberg_alpha": 0.005, "goldenberg_beta_w": 0.02, "goldenberg_beta_s": 0.05,
                          "seed_share": 0.05},
    "version1": {**VERSION1, "strategy": "mixed"},
    # Events (ODD 7.12): a scandal about the focal brand in weeks 8-11 (its ads meet reactance
    # sooner, dialogue answers the scandal posts, readers lose trust) and a defect of the first
    # rival in weeks 12-17, all brands mixed, established market.
    "events": {"strategy": "mixed", "scenario": "established", "rival_strategy": "mixed",
               "events": [{"step": 8, "kind": "scandal", "brand": 0, "size": 0.1, "duration": 4},
                          {"step": 12, "kind": "defect", "brand": 1, "size": 0.6, "duration": 6}]},
}


def _tasks(case: str, engine: str, base_seed: int) -> list[Task]:
    return [Task({**BASE, **CASES[case], "engine": engine}, run_seed(base_seed, r),
                 {"case": case, "engine": engine, "replicate": r}) for r in range(SEEDS)]


def _checkpoints(frames: list[pd.DataFrame]) -> pd.DataFrame:
    df = pd.concat(frames, ignore_index=True)
    return df[df["step"].isin(CHECKPOINTS)].reset_index(drop=True)


@cache
def _all_samples() -> dict[tuple[str, str], pd.DataFrame]:
    """Every unmutated run of every case and implementation, in ONE pool (starting worker
    processes costs seconds), computed once per session; the mutation tests reuse them."""
    tasks = [t for case in CASES for engine, seed in (("vectorised", ENGINE_BASE_SEED),
                                                      ("reference", REFERENCE_BASE_SEED))
             for t in _tasks(case, engine, seed)]
    df = _checkpoints(run_tasks(tasks, workers=WORKERS, progress=False))
    return {key: group for key, group in df.groupby(["case", "engine"])}


def sample(case: str, engine: str) -> pd.DataFrame:
    return _all_samples()[(case, engine)]


def mutant_sample(case: str, engine: str) -> pd.DataFrame:
    """Runs of a monkeypatched implementation: in this process (worker processes would
    import the unpatched code), with seeds of their own."""
    return _checkpoints(run_tasks(_tasks(case, engine, MUTANT_BASE_SEED), workers=1, progress=False))


def compare(a: pd.DataFrame, b: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Every comparison of the module docstring's rule, one row each
    (:func:`simulation.research.validation.compare_samples`: undefined shares by Fisher's
    exact test, defined values by Welch), at this file's checkpoints."""
    return compare_samples(a, b, METRIC_NAMES, CHECKPOINTS, alpha)


def _describe(table: pd.DataFrame, k: int = 6) -> str:
    worst = table.nsmallest(k, "p")
    return (f"{int(table['rejected'].sum())} of {len(table)} comparisons rejected at "
            f"p < {table.attrs['level']:.2e}; smallest p-values:\n{worst.to_string(index=False)}")


def _rejected_metrics(table: pd.DataFrame) -> set[str]:
    return set(table.loc[table["rejected"], "metric"])


# ---------------------------------------------------------------------------------------------
# 2. Agreement in distribution
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_engine_and_reference_agree_in_distribution(case):
    table = compare(sample(case, "vectorised"), sample(case, "reference"))
    # every metric's mean at every checkpoint, except those NaN in all runs (ROI without
    # spend, rival awareness without rivals, dialogue utilisation without a dialogue budget)
    # and at most a few undefined in most runs (reply and resolution rates without posts)
    assert (table["test"] == "mean").sum() >= 3 * (len(METRIC_NAMES) - 7), table
    assert not table["rejected"].any(), f"{case}: " + _describe(table)


def test_the_nan_rule_compares_the_undefined_share_and_the_defined_values():
    """The rule of the module docstring on made-up samples: equal samples pass; a NaN share of
    0 % against 67 % rejects; the defined values shifted by 10 sd reject; NaN everywhere in
    both is skipped."""
    rng = np.random.default_rng(0)

    def frame(values: np.ndarray) -> pd.DataFrame:
        rows = {m: rng.normal(0.5, 0.1, len(values)) for m in METRIC_NAMES}
        rows["market_share"], rows["roi"] = values, np.full(len(values), np.nan)
        return pd.concat([pd.DataFrame({"step": step, **rows}) for step in CHECKPOINTS])

    base = rng.normal(0.5, 0.1, 30)
    same = compare(frame(base), frame(rng.normal(0.5, 0.1, 30)))
    assert not same["rejected"].any() and "roi" not in set(same["metric"])
    holes = rng.normal(0.5, 0.1, 30)
    holes[:20] = np.nan
    table = compare(frame(base), frame(holes))
    assert set(table.loc[table["rejected"], "test"]) == {"undefined"}
    assert table.loc[table["test"] == "mean", "metric"].eq("market_share").sum() == len(CHECKPOINTS)
    shifted = compare(frame(base), frame(base + 1.0))
    assert _rejected_metrics(shifted) == {"market_share"}


def test_two_different_constant_samples_reject_only_when_the_split_is_unlikely():
    """Constant samples that differ: p = 1 / C(n_a + n_b, n_a) (2 / C with equal sizes). 30
    runs at 0 against 30 at 1 reject; 3 against 2 defined values (the rest NaN) do not."""
    def frame(values) -> pd.DataFrame:
        return pd.concat([pd.DataFrame({"step": step, "defection_rate": values}) for step in CHECKPOINTS])

    many = compare_samples(frame(np.zeros(30)), frame(np.ones(30)), ["defection_rate"], CHECKPOINTS, ALPHA)
    assert many["rejected"].all()
    few = compare_samples(frame([0.0, 0.0, 0.0] + [np.nan] * 27), frame([1.0, 1.0] + [np.nan] * 28),
                          ["defection_rate"], CHECKPOINTS, ALPHA)
    means = few[few["test"] == "mean"]
    assert len(means) == len(CHECKPOINTS) and not means["rejected"].any()
    assert means["p"].eq(1 / 10).all()


# ---------------------------------------------------------------------------------------------
# 3. Mutation tests: the comparison must detect a broken process
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_detects_reference_listener_ignoring_message_weights(monkeypatch):
    """Mutant reference: every message weighs 1 instead of its tie strength (0.3..1) or
    stranger weight (0.5 / 0.2; resistance still applies), so word of mouth and reading pull
    about 2-3 times harder. In the ``version1`` case, where word of mouth spreads the one
    brand's reputation (at the version 2 defaults it is too rare for this to show: rivals'
    ads and the outside option dominate)."""
    original = ReferenceConsumer.listen

    def listen_ignoring_weights(self, messages, brand):
        return original(self, [m._replace(weight=1.0) for m in messages], brand)

    monkeypatch.setattr(ReferenceConsumer, "listen", listen_ignoring_weights)
    case = "version1"
    table = compare(sample(case, "vectorised"), mutant_sample(case, "reference"))
    print("\nmutant reference (listen ignores weights):", _describe(table))
    assert "mean_attitude" in _rejected_metrics(table), _describe(table)


@pytest.mark.slow
def test_detects_engine_with_doubled_loyalty_gain(monkeypatch):
    """Mutant engine: loyalty_gain doubled inside the experience process only (the model
    calls ``simulation.core.processes.experience`` at run time, so patching that attribute is
    enough). Customers' loyalty roughly doubles."""
    original = proc.experience

    def experience_doubled_gain(state, params, quality, rng):
        return original(state, params.replace(loyalty_gain=2 * params.loyalty_gain), quality, rng)

    monkeypatch.setattr(proc, "experience", experience_doubled_gain)
    case = "broadcast"
    table = compare(mutant_sample(case, "vectorised"), sample(case, "reference"))
    print("\nmutant engine (loyalty_gain x 2):", _describe(table))
    assert any(m.startswith("loyal") for m in _rejected_metrics(table)), _describe(table)


@pytest.mark.slow
def test_detects_engine_choice_ignoring_loyalty(monkeypatch):
    """Mutant engine (version 2): loyalty left out of the choice utility (purchase_loyalty = 0
    in the purchase process only). At launch the rivals' habitual buyers (initial loyalty
    0.5, a utility bonus of 1) stay less with them, so the focal brand gains share."""
    original = proc.purchase

    def purchase_without_loyalty(state, params, rng, adj=None, step=1, record=None, adoption_rng=None):
        return original(state, params.replace(purchase_loyalty=0.0), rng, adj, step, record, adoption_rng)

    monkeypatch.setattr(proc, "purchase", purchase_without_loyalty)
    case = "broadcast"
    table = compare(mutant_sample(case, "vectorised"), sample(case, "reference"))
    print("\nmutant engine (no loyalty in the utility):", _describe(table))
    assert _rejected_metrics(table) & {"market_share", "scr", "repeat_rate", "customers"}, _describe(table)


@pytest.mark.slow
def test_detects_reference_consulting_without_reading_posts(monkeypatch):
    """Mutant reference: consulting buyers read the ratings but none of the most visible posts
    (browsing unchanged), in the ``consult`` case, where every online buyer consults and
    would read 5 posts per brand with their replies. Measured with the engine (consult_posts
    0 against 5, 30 + 30 seeds): trust of natives at week 26 0.503 against 0.542, |t| about
    9; mean attitude 0.19 against 0.29. (Leaving the ratings out instead moves no metric
    detectably at N = 300: with about one post a week per brand the shrunk ratings stay
    small and alike; the rated logit is checked exactly, test_choice_probabilities_equal_the_engine_logit.)"""
    monkeypatch.setattr(PublicRecord, "most_visible", lambda self, brand, now, params: [])
    case = "consult"
    table = compare(sample(case, "vectorised"), mutant_sample(case, "reference"))
    print("\nmutant reference (consulting reads no post):", _describe(table))
    assert _rejected_metrics(table) & {"trust", "trust_natives", "mean_attitude"}, _describe(table)


@pytest.mark.slow
def test_detects_reference_ignoring_ad_attention(monkeypatch):
    """Mutant reference (version 2): every impression is noticed (ad_attention = 0.3
    ignored), so broadcast makes 3.3 times as many consumers aware per impression."""
    monkeypatch.setattr(ReferenceConsumer, "notice_ads", lambda self, k: k)
    case = "broadcast"
    table = compare(sample(case, "vectorised"), mutant_sample(case, "reference"))
    print("\nmutant reference (every ad noticed):", _describe(table))
    assert _rejected_metrics(table) & {"awareness", "awareness_natives", "awareness_immigrants"}, \
        _describe(table)


@pytest.mark.slow
def test_detects_reference_ignoring_post_attention(monkeypatch):
    """Mutant reference (issue 12): every read post is noticed (post_attention = 0.3 ignored),
    so browsing alone keeps consumers aware of the focal brand. In the ``established_dialogue``
    case, where no ads remind anyone of it, awareness decays far less."""
    monkeypatch.setattr(ReferenceConsumer, "notice_post", lambda self, aware: True)
    case = "established_dialogue"
    table = compare(sample(case, "vectorised"), mutant_sample(case, "reference"))
    print("\nmutant reference (every read post noticed):", _describe(table))
    assert _rejected_metrics(table) & {"awareness", "awareness_natives"}, _describe(table)


# ---------------------------------------------------------------------------------------------
# 1. Exactness
# ---------------------------------------------------------------------------------------------
def _state_arrays(model) -> dict[str, np.ndarray]:
    return {name: getattr(model.state, name) for name in ConsumerState.__dataclass_fields__}


@pytest.mark.parametrize("scenario", ["launch", "established"])
@pytest.mark.parametrize("network", ["barabasi_albert", "stochastic_block", "karate", "complete"])
def test_same_seed_same_initial_state(network, scenario):
    params = {"n_consumers": 200, "network": network, "initial_awareness": 0.3, "scenario": scenario,
              "initial_attitude_sd": 0.4, "strategy": "mixed", "n_brands": 4, "rival_quality_spread": 0.2}
    engine, reference = WordOfMouthModel(params, rng=11), ReferenceModel(params, rng=11)
    assert sorted(engine.graph.edges()) == sorted(reference.graph.edges())
    n = engine.n_consumers
    for name, value in _state_arrays(engine).items():
        ref = _state_arrays(reference)[name]
        assert ref.dtype == value.dtype and ref.shape == value.shape, name
        np.testing.assert_array_equal(ref, value, err_msg=name)
        if name in BRAND_FIELDS:
            assert value.shape == (n, 4), name
    assert (engine.state.loyalty > 0).any() and (engine.state.last_brand >= 0).any()  # habitual brands
    pd.testing.assert_frame_equal(engine.timeseries(), reference.timeseries())
    assert reference.brands == engine.brands and reference.brand == engine.brand
    # the survey's stream is spawned at the same point: it draws the same numbers
    assert reference.survey_rng.random() == engine.survey_rng.random()
    # the reference's ties are the engine's CSR rows, with the same strengths
    adj = engine.adjacency
    for c in reference.consumers[:50]:
        row = slice(adj.indptr[c.index], adj.indptr[c.index + 1])
        assert {n.index: w for n, w in c.ties.items()} == dict(zip(adj.indices[row].tolist(),
                                                                   adj.weight[row].tolist()))


def _run_both(params: dict, steps: int, seed: int = 5):
    engine, reference = WordOfMouthModel(params, rng=seed), ReferenceModel(params, rng=seed)
    engine.run(steps)
    reference.run(steps)
    return engine, reference


def _assert_same_run(engine, reference, atol: float = 1e-12, skip=()):
    for name, value in _state_arrays(engine).items():
        if name in skip:
            continue
        assert _state_arrays(reference)[name].dtype == value.dtype, name
        np.testing.assert_allclose(_state_arrays(reference)[name].astype(float), value.astype(float),
                                   rtol=0, atol=atol, err_msg=name)
    a, b = engine.timeseries(), reference.timeseries()
    np.testing.assert_allclose(b.to_numpy(float), a.to_numpy(float), rtol=0, atol=atol * 100)


# The degroot preset's values without its presets' extras (the version1 values give one brand,
# nothing forgotten), with stubbornness: forgetting pulls back to a(0) (Friedkin-Johnsen).
DEGROOT = {**VERSION1, "strategy": "none", "quality_noise": 0.0, "purchase_freq": 0.0, "talk_base": 1.0,
           "talk_nonbuyer": 1.0, "talk_positive": 0.0, "talk_negative": 0.0, "wom_reach": 1.0,
           "weak_tie_strength": 1.0, "confidence_bound": 2.0, "initial_awareness": 1.0,
           "initial_attitude_sd": 0.5, "post_reach": 0.0, "post_prob": 0.0, "attitude_decay": 0.1,
           "n_consumers": 300}


@pytest.mark.parametrize("brands", [1, 3])
def test_degroot_setting_agrees_exactly(brands):
    """Everybody tells every neighbour every week over ties of strength 1 and forgetting pulls
    back to a(0): deterministic given a(0), whatever the random numbers. With three brands,
    all known, everybody talks about the brand they feel most strongly about (at step 1 the
    brand of quality 0.5, every known brand starting at attitude Q: qualities 0.3, -0.1, 0.5
    differ in size, so no tie is broken at random) and each brand's attitudes average over the
    messages about it."""
    params = {**DEGROOT, "n_brands": brands, "scenario": "established" if brands > 1 else "launch",
              "known_awareness": 1.0, "rival_budget": 0.0, "rival_quality": 0.2, "rival_quality_spread": 0.3,
              # a spread small enough that no attitude is clipped to +-1 (clipped ones would tie)
              "initial_attitude_sd": 0.5 if brands == 1 else 0.1}
    engine, reference = _run_both(params, 20)
    assert np.ptp(engine.state.attitude[:, 0]) > 0.01  # not converged to a trivial state
    if brands > 1:
        assert len(np.unique(engine.state.topic)) == brands  # every brand talked about
    np.testing.assert_allclose(reference.state.attitude, engine.state.attitude, rtol=0, atol=1e-12)
    _assert_same_run(engine, reference, skip=("online",))  # online is drawn but unused here


# Every draw is certain: everybody online, aware of every brand, talks, reaches every
# neighbour, posts and follows every page; the pages can serve every follower; the number of
# replies is a whole number; honest replies always resolve. The rivals run fan pages and
# answer the posts about them (rival_strategy = mixed: half page, half dialogue). Attitudes
# start spread around each brand's quality (sd 0.15: none clipped to +-1, where they would
# tie), so no consumer's attitudes tie and the topic's tie-break draws nothing that matters.
CERTAIN = {
    "n_consumers": 300, "strategy": "mixed", "dialogue_share": 0.5, "fanpage_share": 0.5,
    "budget": 8.0, "honesty": 1.0, "resolve_prob": 1.0, "rival_strategy": "mixed", "rival_budget": 8.0,
    "known_awareness": 1.0, "awareness_decay": 0.0,
    "online_native": 1.0, "online_immigrant": 1.0, "initial_awareness": 1.0,
    "initial_attitude_sd": 0.15, "follow_prob": 1.0, "follow_threshold": -1.0,
    "talk_base": 1.0, "talk_nonbuyer": 1.0, "wom_reach": 1.0, "weak_tie_strength": 1.0,
    "post_prob": 1.0, "post_reach": 0.0, "record_capacity": 100_000,
    "organic_reach": 0.0,  # every page view paid for (and the budget pays them all)
}
DETERMINISTIC = {
    # No purchases: posts carry attitudes (all distinct), and 6 replies a week per brand for
    # 300 posts make the reply order matter (complaints, most negative first).
    "reply_order": {**CERTAIN, "purchase_freq": 0.0, "reply_cost": 200.0},
    # Dishonest focal replies (honesty 0, hyped claim) are always caught by complainers: spin,
    # backlash posts (sentiment exactly -backlash_sentiment, ties broken by slot order).
    "spin": {**CERTAIN, "purchase_freq": 0.0, "reply_cost": 200.0, "honesty": 0.0, "hype": 0.4,
             "spin_detection": 1.0},
    # Every page post reaches every online follower organically: no paid view, so the focal
    # brand spends its broadcast budget (none in mixed here) and its replies only.
    "organic_page": {**CERTAIN, "purchase_freq": 0.0, "reply_cost": 200.0, "organic_reach": 1.0},
    # Everybody buys the focal brand every week: the rivals are unknown (and stay so: nobody
    # talks about them), there is no outside option, so the logit gives it probability 1
    # exactly; quality_noise = 0, with disappointment. A 4-week purchase window wraps; 300
    # customers, 200 asked: the survey's sample and noise are drawn as in the engine.
    # Satisfaction then takes few distinct values, and exact ties in the reply order would
    # be broken by last-bit rounding differences; so every post is answered (1200 replies a
    # week, order irrelevant). Every buyer consults the record first and reads the 3 most
    # visible posts about the focal brand with their replies (the rating cannot change a
    # certain choice). Reach without its random spread (reach_tail = 0: the engine draws the
    # posts' normals after all posting draws, the reference post by post), so visibility is
    # recency x the author's degree-given reach x the reply boost, the same in both.
    "purchases": {**CERTAIN, "known_awareness": 0.0, "outside_option": False, "purchase_freq": 1.0,
                  "quality_noise": 0.0, "quality": -0.2, "disappointment_threshold": 0.0,
                  "reply_cost": 1.0, "scr_window": 4, "consult_native": 1.0, "consult_immigrant": 1.0,
                  "reach_tail": 0.0},
}
# The purchases setting with events whose draws are certain: every online consumer (all of
# them) writes a scandal post in weeks 3-4 (size 1), and the focal brand's quality falls by
# 0.5 in weeks 5-8 (no quality noise: the experience is Q - 0.5 exactly). No post is read
# (post_reach = 0), so the trust shock is left to the "events" case of CASES.
DETERMINISTIC["purchases_events"] = {
    **DETERMINISTIC["purchases"],
    "events": [{"step": 3, "kind": "scandal", "brand": 0, "size": 1.0, "duration": 2},
               {"step": 5, "kind": "defect", "brand": 0, "size": 0.5, "duration": 4}]}


@pytest.mark.parametrize("setting", list(DETERMINISTIC))
def test_deterministic_channels_agree_exactly(setting):
    """Fan pages (following, page posts), purchase, the purchase window, experience (with
    disappointment), word of mouth with bounded confidence about several brands, posting,
    dialogue of every brand (reply order, resolution, author effects, spin and backlash),
    forgetting (unfollowing) and the NPS survey, all with certain draws: engine and
    reference must give the same numbers."""
    params = DETERMINISTIC[setting]
    engine, reference = _run_both(params, 15)
    ts = engine.timeseries()
    if setting == "purchases_events":  # the defect (experience -0.7) turns every follower away
        assert ts["followers"].iloc[1:5].gt(0).all() and ts["followers"].iloc[5:9].eq(0).all()
    else:
        assert ts["followers"].iloc[1:].gt(0).all()
    if setting == "organic_page":  # every follower online, every post seen for free
        assert ts["organic_reach_rate"].iloc[1:].eq(1.0).all()
    elif setting != "purchases_events":  # no organic reach: every view paid for
        assert ts["organic_reach_rate"].iloc[1:].eq(0.0).all()
    if setting == "purchases_events":
        assert ts["posts"].iloc[3:5].ge(300).all()  # a scandal post by every consumer
        assert engine.record.scandal[:engine.record.size].sum() == 600
    if setting != "purchases_events":
        # what is not used is not spent: 300 followers x 3 posts paid of the page's 1200, 6 replies
        # x 200 of the dialogue's 1200 (all posts answered in "purchases": 300 x 1)
        weekly = ts["spend"].diff().iloc[1:]
        paid_views = 0 if setting == "organic_page" else 300 * 3
        assert weekly.eq(paid_views + (300 * 1.0 if setting == "purchases" else 6 * 200.0)).all()
        assert ts["spend_week"].iloc[1:].eq(weekly).all()
    if not setting.startswith("purchases"):
        assert ts["replies"].iloc[1:].eq(6).all()
        assert ts["posts"].iloc[1:].gt(0).all()  # the replies also answer posts of earlier weeks
        record = engine.record
        answered = record.brand[:record.size][record.replied[:record.size]]
        assert set(np.unique(answered)) == {0, 1, 2}  # the rivals answer too
        assert (engine.record.spin.any()) == (setting == "spin")  # backlash posts
    if setting.startswith("purchases"):
        assert ts["customers"].iloc[-1] == 1.0 and ts["replies"].iloc[1:].ge(300).all()
        assert ts["market_share"].iloc[1:].eq(1.0).all() and ts["nps_respondents"].iloc[1:].eq(200).all()
        assert (engine.state.recent[:, 0] == 4).all() and (engine.state.history == 0).all()
        assert ts["consulted"].iloc[1:].eq(1.0).all()
    _assert_same_run(engine, reference)


@pytest.mark.parametrize("brands", [1, 3])
def test_goldenberg_seeding_through_strong_ties_agrees_exactly(brands):
    """No advertising, no weak-tie effect (the contacts are still drawn), every strong tie
    certain (goldenberg_beta_s = 1): the seeds of week 1 (the same permutation in both) make
    their whole cliques adopt in week 2 and nothing happens after; rivals silent, experiences
    without noise. (With rivals, the topic a consumer would talk about is a random tie-break
    among brands it feels nothing about, drawn differently: nobody talks in this preset.)"""
    params = {**preset_values("goldenberg"), "n_consumers": 300, "clique_size": 7, "n_brands": brands,
              "rival_budget": 0.0, "goldenberg_alpha": 0.0, "goldenberg_beta_w": 0.0, "goldenberg_beta_s": 1.0,
              "seed_share": 0.05, "quality_noise": 0.0}
    engine, reference = _run_both(params, 5)
    adopters = engine.timeseries()["adopters"].to_numpy()
    assert adopters[1] == 15 / 300 and adopters[2] > adopters[1] and (adopters[2:] == adopters[2]).all()
    cliques = np.flatnonzero(engine.state.purchases[:, 0]) // 7
    assert set(np.flatnonzero(engine.state.purchases[:, 0]).tolist()) == {
        i for i in range(300) if i // 7 in set(cliques.tolist())}
    _assert_same_run(engine, reference, skip=("topic",) if brands > 1 else ())


@pytest.mark.parametrize("case", ["goldenberg", "goldenberg_rivals"])
def test_goldenberg_adoptions_agree_exactly(case):
    """Adoption draws from its own stream in the engine's order in both (weak contacts, the
    seeding permutation, one uniform per consumer and brand): with every other process on and
    random, the same seed gives the same adopters of the same brands in the same weeks."""
    engine, reference = _run_both({**BASE, **CASES[case]}, 8)
    adopted = engine.state.purchases >= 1
    assert 0.2 < adopted.any(axis=1).mean() < 1.0  # diffusion under way, not over
    np.testing.assert_array_equal(reference.state.purchases >= 1, adopted)
    np.testing.assert_array_equal(reference.state.history, engine.state.history)
    np.testing.assert_array_equal(reference.timeseries()["adopters"], engine.timeseries()["adopters"])


@pytest.mark.parametrize("flighting", ["on_off", "pulses"])
def test_flighted_spend_agrees_exactly(flighting):
    """The spend schedule is the same in both (same weeks off, same budgets); with certain
    draws the flighted run is the same run in both, replies only in the weeks on."""
    params = {**DETERMINISTIC["reply_order"], "flighting": flighting, "flight_weeks": 2, "pulse_prob": 0.5}
    engine, reference = _run_both(params, 15)
    ts = engine.timeseries()
    on = ts["spend_week"].iloc[1:].to_numpy() > 0
    assert on.any() and not on.all()
    assert (ts["replies"].iloc[1:].to_numpy() == np.where(on, 6, 0)).all()
    np.testing.assert_array_equal(reference.timeseries()["spend_week"], ts["spend_week"])
    _assert_same_run(engine, reference)


@pytest.mark.parametrize("irritation", [0.0, 0.7, 2.5, 4.99, 5.0, 7.3])
def test_exposures_one_by_one_equal_the_closed_form(irritation):
    """One consumer meets k exposures about brand b one at a time (reference) =
    ``apply_exposures`` (engine closed form), incl. wear-out, reactance, the trust loss and
    clipping at -1; the other brands are untouched."""
    params = Params(reactance_attitude=0.3, n_consumers=2, network="empty")
    rng = np.random.default_rng(int(irritation * 100))
    model = ReferenceModel(params, rng=0)
    consumer = model.consumers[0]
    for k in range(0, 13):
        b = k % 3
        a, e = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
        trust, claim = rng.uniform(0.1, 1, 3), rng.uniform(-1, 1)
        state = ConsumerState.initial(np.zeros(1, dtype=np.int8), params, model.qualities, rng)
        state.attitude[0], state.expectation[0], state.trust[0], state.irritation[:] = a, e, trust, irritation
        state.aware[:] = False
        apply_exposures(state, np.array([0]), np.array([k]), claim, params, brand=b)
        consumer.attitude, consumer.expectation, consumer.trust = a.tolist(), e.tolist(), trust.tolist()
        consumer.irritation, consumer.aware, consumer.reinforced = [irritation] * 3, [False] * 3, [False] * 3
        consumer.receive_impressions(k, claim, b)
        for name in ("attitude", "expectation", "trust", "irritation", "aware", "reinforced"):
            np.testing.assert_allclose(getattr(consumer, name), getattr(state, name)[0].astype(float),
                                       rtol=0, atol=1e-12, err_msg=f"k={k} {name}")
        assert consumer.aware[b] and sum(consumer.aware) == 1


def test_page_posts_one_by_one_equal_the_closed_form():
    params = Params(n_consumers=2, network="empty", fanpage_effect=3.0)
    model, rng = ReferenceModel(params, rng=0), np.random.default_rng(1)
    consumer = model.consumers[0]
    for k in range(0, 6):
        b = k % 3
        a, e, trust, claim = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3), rng.uniform(0, 1, 3), rng.uniform(-1, 1)
        state = ConsumerState.initial(np.zeros(1, dtype=np.int8), params, model.qualities, rng)
        state.attitude[0], state.expectation[0], state.trust[0] = a, e, trust
        apply_exposures(state, np.array([0]), np.array([k]), claim, params,
                        strength=params.fanpage_effect, reactance=False, brand=b)
        consumer.attitude, consumer.expectation, consumer.trust = a.tolist(), e.tolist(), trust.tolist()
        consumer.irritation = [0.0] * 3
        consumer.see_page_posts(k, claim, b)
        for name in ("attitude", "expectation", "trust", "irritation"):
            np.testing.assert_allclose(getattr(consumer, name), getattr(state, name)[0], rtol=0, atol=1e-12)


def test_inboxes_equal_the_engine_social_influence_on_flat_keys():
    """Messages to several (listener, brand) pairs: the engine pools them with the keys
    i * B + b in one ``social_influence``; the reference's listeners apply one inbox per brand."""
    params = Params(n_consumers=4, network="empty", confidence_bound=0.6)
    model, rng = ReferenceModel(params, rng=0), np.random.default_rng(2)
    n, n_brands = 4, 3
    for size in (1, 2, 5, 20, 60):
        a, e = rng.uniform(-1, 1, (n, n_brands)), rng.uniform(-1, 1, (n, n_brands))
        listener, brand = rng.integers(0, n, size), rng.integers(0, n_brands, size)
        weight, valence, content = rng.uniform(0, 1, size), rng.uniform(-1, 1, size), rng.uniform(-1, 1, size)
        state = ConsumerState.initial(np.zeros(n, dtype=np.int8), params, model.qualities, rng)
        state.attitude[:], state.expectation[:], state.aware[:] = a, e, False
        social_influence(state, listener * n_brands + brand, weight, valence, content, params)
        inbox: dict[tuple[int, int], list[Message]] = {}
        for c in model.consumers:
            c.attitude, c.expectation, c.aware = a[c.index].tolist(), e[c.index].tolist(), [False] * n_brands
        for i, b, w, v, x in zip(listener.tolist(), brand.tolist(), weight.tolist(), valence.tolist(),
                                 content.tolist()):
            inbox.setdefault((i, b), []).append(Message(model.consumers[i], b, w, v, x))
        for (i, b), messages in inbox.items():
            model.consumers[i].listen(messages, b)
        for name in ("attitude", "expectation", "aware"):
            got = np.array([getattr(c, name) for c in model.consumers], dtype=float)
            np.testing.assert_allclose(got, getattr(state, name).astype(float), rtol=0, atol=1e-12, err_msg=name)


def test_choice_probabilities_equal_the_engine_logit():
    """The reference's literal logit (utilities, exp, normalise) = the engine's
    ``brand_utility`` + ``choice_probabilities``, for random states, awareness (also none),
    with and without the outside option, at large utilities too."""
    rng = np.random.default_rng(4)
    for outside, intercept in ((True, -1.0), (False, -1.0), (True, 30.0), (False, 30.0)):
        params = Params(n_consumers=60, network="empty", n_brands=4, outside_option=outside,
                        outside_utility=0.7, purchase_intercept=intercept)
        model = ReferenceModel(params, rng=0)
        n, b = 60, 4
        a, loyalty = rng.uniform(-1, 1, (n, b)), rng.uniform(0, 1, (n, b))
        trust, e = rng.uniform(0, 1, (n, b)), rng.uniform(-1, 1, (n, b))
        aware = rng.random((n, b)) < 0.5
        aware[:3] = False  # nobody to choose from (only the outside option, if any)
        want = proc.choice_probabilities(proc.brand_utility(a, loyalty, trust, e, params), aware, params)
        for c in model.consumers:
            i = c.index
            c.attitude, c.loyalty, c.trust = a[i].tolist(), loyalty[i].tolist(), trust[i].tolist()
            c.expectation, c.aware = e[i].tolist(), aware[i].tolist()
        got = np.array([c.choice_probabilities() for c in model.consumers])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        # a consumer who consulted the record: + purchase_rating x each brand's rating
        ratings = rng.uniform(-1, 1, b)
        bonus = params.purchase_rating * ratings
        want_rated = proc.choice_probabilities(proc.brand_utility(a, loyalty, trust, e, params) + bonus, aware, params)
        got_rated = np.array([c.choice_probabilities(ratings.tolist()) for c in model.consumers])
        np.testing.assert_allclose(got_rated, want_rated, rtol=0, atol=1e-12)
        assert not np.allclose(got_rated, got)  # the ratings moved the probabilities
        some = aware.any(axis=1) | outside
        assert np.allclose(got[some].sum(axis=1), 1.0) and (got[~some] == 0).all() and (got[:3, :b] == 0).all()


def test_survey_equals_the_engine_survey():
    """The same recent customers asked on streams with the same seed give the same NPS,
    interval and sample size (sample drawn without replacement, answers' noise in order)."""
    rng = np.random.default_rng(5)
    for customers, sample_size in ((0, 50), (30, 50), (150, 50)):
        params = Params(n_consumers=200, network="empty", nps_sample=sample_size)
        model = ReferenceModel(params, rng=0)
        for c in model.consumers[:customers]:
            c.recent[0], c.last_satisfaction[0], c.loyalty[0] = 1, rng.uniform(-1, 1), rng.uniform(0, 1)
        model.refresh_state()
        want = proc.nps_survey(model.state, params, np.random.default_rng(customers))
        model.survey_rng = np.random.default_rng(customers)
        got = model.nps_survey()
        assert got.respondents == want.respondents == min(customers, sample_size)
        np.testing.assert_allclose(got[:3], want[:3], rtol=0, atol=1e-9)  # NaN == NaN with no customer


def test_public_record_sentiment_and_reply_order_match_the_engine():
    """Per brand: posts, recency-weighted sentiment and reply order; and every post's
    visibility in reading (recency x heavy-tailed reach x reply boost)."""
    params = Params(n_consumers=50, network="empty", reply_window=4, reply_boost=0.7, recency=3.0)
    model, rng = ReferenceModel(params, rng=0), np.random.default_rng(3)
    ours, theirs = PublicRecord(200), EnginePublicRecord(200)
    for step in range(1, 9):
        m = int(rng.integers(0, 12))
        author, brand = rng.integers(0, 50, m), rng.integers(0, 3, m)
        sentiment = rng.choice([-0.7, -0.3, 0.0, 0.2, 0.5], m) * rng.choice([1.0, 1.0, 0.5], m)
        content, reach = rng.uniform(-1, 1, m), rng.lognormal(0.0, 1.5, m)
        theirs.append(author, sentiment, content, step, brand, reach)
        for i, b, s, c, r in zip(author.tolist(), brand.tolist(), sentiment.tolist(), content.tolist(),
                                 reach.tolist()):
            ours.add(Post(model.consumers[i], b, s, c, step, r))
        # answer some posts so that "unanswered" matters
        for slot in rng.choice(len(theirs), size=min(3, len(theirs)), replace=False):
            theirs.replied[slot] = True
            list(ours.posts)[slot].replied = True
        assert ours.total_posts == theirs.total_posts
        np.testing.assert_allclose([PublicRecord.visibility(p, step + 1, params) for p in ours.posts],
                                   theirs.visibility(np.arange(len(theirs)), step + 1, params), rtol=1e-13)
        model.record = ours
        for b in range(3):
            assert ours.brand_posts(b) == theirs.brand_posts(b)
            assert ours.mean_sentiment(step, 4.0, b) == pytest.approx(theirs.mean_sentiment(step, 4.0, b), abs=1e-12)
            visible = [(p.author.index, p.sentiment, p.step) for p in ours.most_visible(b, step + 1, params)]
            top = proc.most_visible(theirs, b, step + 1, params)
            assert visible == list(zip(theirs.author[top].tolist(), theirs.sentiment[top].tolist(),
                                       theirs.step[top].tolist()))
            assert len(visible) == min(params.consult_posts, sum(p.brand == b for p in ours.posts))
            order = [(p.author.index, p.brand, p.sentiment, p.step) for p in model.reply_order(step, b)]
            slots = engine_reply_order(theirs, step, params.reply_window, b)
            assert order == list(zip(theirs.author[slots].tolist(), theirs.brand[slots].tolist(),
                                     theirs.sentiment[slots].tolist(), theirs.step[slots].tolist()))


@pytest.mark.parametrize("network", ["barabasi_albert", "complete", "empty"])
def test_reach_scale_matches_the_engine(network):
    """Each consumer's expected reach, (1 + degree)^reach_degree over its mean, is the engine's
    ``reach_scale`` (the reference counts its ties); a backlash post gets it as its reach."""
    params = {"n_consumers": 200, "network": network, "reach_degree": 1.3}
    engine, reference = WordOfMouthModel(params, rng=4), ReferenceModel(params, rng=4)
    np.testing.assert_allclose([c.reach_scale for c in reference.consumers], engine.record.author_scale,
                               rtol=1e-13)
    c = reference.consumers[3]
    assert c.post_backlash(1, 0).reach == c.reach_scale


def test_ring_buffer_keeps_the_newest_posts():
    ours = PublicRecord(10)
    consumer = ReferenceModel({"n_consumers": 3, "network": "empty"}, rng=0).consumers[0]
    for step in range(25):
        ours.add(Post(consumer, step % 2, 0.1 * (step % 3), 0.0, step))
    assert len(ours) == 10 and ours.total_posts == 25 and ours.brand_posts(0) == 13
    assert [p.step for p in ours.posts] == list(range(15, 25))


# ---------------------------------------------------------------------------------------------
# The reference as a Mesa model, through the runner and the command line
# ---------------------------------------------------------------------------------------------
def test_reference_through_create_model_and_mesa_surface():
    model = create_model({"n_consumers": 150, "engine": "reference", "strategy": "mixed", "steps": 4},
                         rng=3, collect_agents=True)
    assert isinstance(model, ReferenceModel)
    model.run()
    ts = model.timeseries()
    assert list(ts["step"]) == [0, 1, 2, 3, 4] and set(METRIC_NAMES) <= set(ts.columns)
    assert model.n_consumers == len(model.agents) == 150
    agent = model.consumers[7]
    assert agent.cell.coordinate == 7 and agent in agent.cell.agents
    assert sorted(c.coordinate for c in agent.cell.neighborhood) == sorted(n.index for n in agent.ties)
    assert model.state.attitude[7].tolist() == agent.attitude and len(agent.attitude) == 3
    assert model.state.choice[7] == agent.choice
    agents = model.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 5 * 150 and {"attitude", "loyalty", "aware", "choice"} <= set(agents.columns)
    last = agents.xs(4, level="Step")
    assert last.loc[8, "attitude"] == model.consumers[7].attitude[0]  # Mesa's AgentID starts at 1


def test_mean_field_ties_are_all_others():
    model = ReferenceModel({"n_consumers": 1200, "network": "complete", "strategy": "none"}, rng=1)
    c = model.consumers[5]
    assert len(c.ties) == 1199 and c not in set(c.ties) and all(w == 1.0 for _, w in c.ties.items())
    model.run(1)


def test_command_line_simulate_with_the_reference(tmp_path):
    out = tmp_path / "ref"
    result = subprocess.run(
        [sys.executable, "run.py", "simulate", "--set", "engine=reference", "--set", "n_consumers=100",
         "--steps", "5", "--out", str(out), "--no-progress", "--workers", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in ("timeseries.csv", "summary.csv", "run.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "run.json").read_text())["params"]["engine"] == "reference"
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts["step"]) == list(range(6))


def test_reference_does_not_use_the_engine_processes():
    source = (ROOT / "simulation" / "core" / "reference.py").read_text()
    assert "processes" not in "".join(line for line in source.splitlines()
                                      if line.startswith(("import", "from")))
    assert "import random" not in source


def test_same_seed_same_reference_run():
    a = ReferenceModel({"n_consumers": 120, "strategy": "mixed"}, rng=9)
    b = ReferenceModel({"n_consumers": 120, "strategy": "mixed"}, rng=9)
    a.run(6)
    b.run(6)
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
