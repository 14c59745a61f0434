"""The per-agent reference (simulation/core/reference.py) against the vectorised engine.

Three kinds of evidence that the two implementations run the same model:

1. **Exactness, no statistics.** With the same seed both build the same graph, segments and
   initial state (step 0 is identical). Where the rules are deterministic they must give the
   same numbers to 1e-12: a DeGroot / Friedkin-Johnsen setting (word of mouth and
   forgetting); three settings where fan page, purchase, experience, word of mouth with
   bounded confidence, posting, dialogue (reply order, spin, backlash) and forgetting run
   with certain draws; and unit
   checks of single rules (one consumer's k ad exposures step by step = the engine's closed
   form; page posts; one listener's inbox; the public record's sentiment and reply order).

2. **Agreement in distribution.** For each case (the six strategies at default parameters,
   plus stressed settings that exercise spin, backlash posts, an overflowing ring buffer,
   spread initial attitudes and the Bass purchase model) we run ``SEEDS`` = 30 seeds of the
   engine and 30 *different* seeds of the reference (independent samples; N = 300 consumers
   on a Barabasi-Albert graph of mean degree 6, 26 weeks) and compare every metric of
   ``metrics.METRIC_NAMES`` at weeks 5, 13 and 26 with Welch's t-test
   (``scipy.stats.ttest_ind(equal_var=False)``). Degenerate comparisons: two constant samples
   pass if equal and fail if not; a metric that is NaN in every run of both (ROI without
   spend) is skipped, NaN in one implementation only fails. A Bonferroni correction over the
   m comparisons of one case (m = 69, 66 for ``none``) rejects at p < 0.01 / m, so the
   family-wise error rate is <= 1 % per case: if the implementations are equivalent, a case
   raises a false alarm with probability at most 1 % (at most about 9 % for the file's 9
   cases together; less in practice, because the metrics are strongly correlated and
   Bonferroni is then conservative). The base seeds are fixed, so a failure is reproducible.
   Why it can fail: any real difference in a process (a wrong rate, a missing factor, a
   different order of updates) moves the mean of some metric at some checkpoint; with 30 + 30
   runs a shift of about 1.1 standard deviations (of that metric across seeds) is detected
   with probability about one half, a shift of 2 standard deviations almost surely.

3. **Teeth (mutation tests).** The same comparison must *reject* when one implementation is
   deliberately broken, here in the ``broadcast`` case: (a) the reference's listeners ignore
   the weight of each message (every message weighs 1 instead of its tie strength or stranger
   weight); (b) the engine's loyalty gain per satisfied purchase is doubled. (a) shifts mean
   attitude and NPS by about 2 standard deviations (expected |t| about 8 against a critical
   value of 4.1, so a miss has probability below 1e-3); (b) roughly doubles the loyalty of
   customers (|t| above 20). With ``-s`` the tests print how many comparisons rejected.

The statistical tests are marked ``slow`` (CI runs them too). All unmutated runs go to one
pool of ``WORKERS`` = 2 processes; the whole file takes about a minute on 2 free cores.
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
from simulation.core.processes.broadcast import apply_exposures
from simulation.core.processes.dialogue import reply_order as engine_reply_order
from simulation.core.processes.influence import social_influence
from simulation.core.processes.public_record import PublicRecord as EnginePublicRecord
from simulation.core.reference import Message, Post, PublicRecord, ReferenceConsumer, ReferenceModel
from simulation.core.state import ConsumerState
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
# posts), all three channels in mixed, a ring buffer that overflows, spread initial attitudes.
STRESS = {"initial_awareness": 0.1, "honesty": 0.5, "hype": 0.6, "fanpage_share": 0.2,
          "record_capacity": 40, "initial_attitude_sd": 0.3}
CASES = {
    "none": {"strategy": "none"},
    "broadcast": {"strategy": "broadcast"},
    "hype": {"strategy": "hype"},
    "fanpage": {"strategy": "fanpage"},
    "dialogue": {"strategy": "dialogue"},
    "mixed": {"strategy": "mixed"},
    "stressed_dialogue": {"strategy": "dialogue", **STRESS, "budget": 3.0},
    "stressed_mixed": {"strategy": "mixed", **STRESS},
    "bass": {"strategy": "broadcast", "purchase_model": "bass", "bass_p": 0.02, "bass_q": 0.4},
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
    """One Welch t-test per (metric, checkpoint); ``rejected`` at the Bonferroni level
    (the same comparison ``python run.py validate`` runs)."""
    return compare_samples(a, b, checkpoints=CHECKPOINTS, alpha=alpha)


def _describe(table: pd.DataFrame, k: int = 6) -> str:
    worst = table.nsmallest(k, "p")
    return (f"{int(table['rejected'].sum())} of {len(table)} comparisons rejected at "
            f"p < {table.attrs['level']:.2e}; smallest p-values:\n{worst.to_string(index=False)}")


# ---------------------------------------------------------------------------------------------
# 2. Agreement in distribution
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_engine_and_reference_agree_in_distribution(case):
    table = compare(sample(case, "vectorised"), sample(case, "reference"))
    assert len(table) >= 60  # every metric at every checkpoint (ROI skipped only for none)
    assert not table["rejected"].any(), f"{case}: " + _describe(table)


# ---------------------------------------------------------------------------------------------
# 3. Mutation tests: the comparison must detect a broken process
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_detects_reference_listener_ignoring_message_weights(monkeypatch):
    """Mutant reference: every message weighs 1 instead of its tie strength (0.3..1) or
    stranger weight (0.5 / 0.2; resistance still applies), so word of mouth and reading pull
    about 2-3 times harder."""
    original = ReferenceConsumer.listen

    def listen_ignoring_weights(self, messages):
        return original(self, [m._replace(weight=1.0) for m in messages])

    monkeypatch.setattr(ReferenceConsumer, "listen", listen_ignoring_weights)
    case = "broadcast"
    table = compare(sample(case, "vectorised"), mutant_sample(case, "reference"))
    print("\nmutant reference (listen ignores weights):", _describe(table))
    assert table["rejected"].any(), _describe(table)
    assert table.loc[table["rejected"], "metric"].isin(["mean_attitude", "nps"]).any()


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
    assert table["rejected"].any(), _describe(table)
    assert table.loc[table["rejected"], "metric"].str.startswith("loyal").any()


# ---------------------------------------------------------------------------------------------
# 1. Exactness
# ---------------------------------------------------------------------------------------------
def _state_arrays(model) -> dict[str, np.ndarray]:
    return {name: getattr(model.state, name) for name in ConsumerState.__dataclass_fields__}


@pytest.mark.parametrize("network", ["barabasi_albert", "stochastic_block", "karate", "complete"])
def test_same_seed_same_initial_state(network):
    params = {"n_consumers": 200, "network": network, "initial_awareness": 0.3,
              "initial_attitude_sd": 0.4, "strategy": "mixed"}
    engine, reference = WordOfMouthModel(params, rng=11), ReferenceModel(params, rng=11)
    assert sorted(engine.graph.edges()) == sorted(reference.graph.edges())
    for name, value in _state_arrays(engine).items():
        ref = _state_arrays(reference)[name]
        assert ref.dtype == value.dtype, name
        np.testing.assert_array_equal(ref, value, err_msg=name)
    pd.testing.assert_frame_equal(engine.timeseries(), reference.timeseries())
    assert reference.brand == engine.brand
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
        np.testing.assert_allclose(_state_arrays(reference)[name].astype(float), value.astype(float),
                                   rtol=0, atol=atol, err_msg=name)
    a, b = engine.timeseries(), reference.timeseries()
    np.testing.assert_allclose(b.to_numpy(float), a.to_numpy(float), rtol=0, atol=atol * 100)


DEGROOT = {"strategy": "none", "quality_noise": 0.0, "purchase_freq": 0.0, "talk_base": 1.0,
           "talk_nonbuyer": 1.0, "talk_positive": 0.0, "talk_negative": 0.0, "wom_reach": 1.0,
           "weak_tie_strength": 1.0, "confidence_bound": 2.0, "initial_awareness": 1.0,
           "initial_attitude_sd": 0.5, "post_reach": 0.0, "post_prob": 0.0, "attitude_decay": 0.1,
           "n_consumers": 300}


def test_degroot_setting_agrees_exactly():
    """Everybody tells every neighbour every week over ties of strength 1 and forgetting pulls
    back to a(0): deterministic given a(0), whatever the random numbers."""
    engine, reference = _run_both(DEGROOT, 20)
    assert np.ptp(engine.state.attitude) > 0.01  # not converged to a trivial state
    np.testing.assert_allclose(reference.state.attitude, engine.state.attitude, rtol=0, atol=1e-12)
    _assert_same_run(engine, reference, skip=("online",))  # online is drawn but unused here


# Every draw is certain: everybody online, aware, talks, reaches every neighbour, posts and
# follows; the page can serve every follower; the number of replies is a whole number;
# honest replies always resolve.
CERTAIN = {
    "n_consumers": 300, "strategy": "mixed", "dialogue_share": 0.5, "fanpage_share": 0.5,
    "budget": 8.0, "honesty": 1.0, "resolve_prob": 1.0,
    "online_native": 1.0, "online_immigrant": 1.0, "initial_awareness": 1.0,
    "initial_attitude_sd": 0.5, "follow_prob": 1.0, "follow_threshold": -1.0,
    "talk_base": 1.0, "talk_nonbuyer": 1.0, "wom_reach": 1.0, "weak_tie_strength": 1.0,
    "post_prob": 1.0, "post_reach": 0.0, "record_capacity": 100_000,
}
DETERMINISTIC = {
    # No purchases: posts carry attitudes (all distinct), and 6 replies a week for 300 posts
    # make the reply order matter (complaints, most negative first).
    "reply_order": {**CERTAIN, "purchase_freq": 0.0, "reply_cost": 200.0},
    # Dishonest replies (honesty 0, hyped claim) are always caught by complainers: spin,
    # backlash posts (sentiment exactly -backlash_sentiment, ties broken by slot order).
    "spin": {**CERTAIN, "purchase_freq": 0.0, "reply_cost": 200.0, "honesty": 0.0, "hype": 0.4,
             "spin_detection": 1.0},
    # Everybody buys every week (purchase_intercept = 50 makes the sigmoid exactly 1.0 in
    # floating point; quality_noise = 0), with disappointment. Satisfaction then takes few
    # distinct values, and exact ties in the reply order would be broken by last-bit
    # rounding differences; so every post is answered (1200 replies a week, order irrelevant).
    "purchases": {**CERTAIN, "purchase_freq": 1.0, "purchase_intercept": 50.0, "quality_noise": 0.0,
                  "quality": -0.2, "disappointment_threshold": 0.0, "reply_cost": 1.0},
}


@pytest.mark.parametrize("setting", list(DETERMINISTIC))
def test_deterministic_channels_agree_exactly(setting):
    """Fan page (following, page posts), purchase, experience (with disappointment), word of
    mouth with bounded confidence, posting, dialogue (reply order, resolution, author
    effects, spin and backlash) and forgetting (unfollowing), all with certain draws: engine
    and reference must give the same numbers."""
    params = DETERMINISTIC[setting]
    engine, reference = _run_both(params, 15)
    ts = engine.timeseries()
    assert ts["posts"].iloc[1:].ge(300).all() and ts["followers"].iloc[1:].gt(0).all()
    if setting != "purchases":
        assert ts["replies"].iloc[1:].eq(6).all()
        assert ts["posts"].iloc[1:].gt(300).any() == (setting == "spin")  # backlash posts
    else:
        assert ts["customers"].iloc[-1] == 1.0 and ts["replies"].iloc[1:].eq(300).all()
    _assert_same_run(engine, reference)


@pytest.mark.parametrize("irritation", [0.0, 0.7, 2.5, 4.99, 5.0, 7.3])
def test_exposures_one_by_one_equal_the_closed_form(irritation):
    """One consumer meets k exposures one at a time (reference) = ``apply_exposures`` (engine
    closed form), incl. wear-out, reactance, the trust loss and clipping at -1."""
    params = Params(reactance_attitude=0.3, n_consumers=2, network="empty")
    rng = np.random.default_rng(int(irritation * 100))
    model = ReferenceModel(params, rng=0)
    consumer = model.consumers[0]
    for k in range(0, 13):
        a, e, trust, claim = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.1, 1), rng.uniform(-1, 1)
        state = ConsumerState.initial(np.zeros(1, dtype=np.int8), params, rng)
        state.attitude[:], state.expectation[:], state.trust[:], state.irritation[:] = a, e, trust, irritation
        apply_exposures(state, np.array([0]), np.array([k]), claim, params)
        consumer.attitude, consumer.expectation, consumer.trust = a, e, trust
        consumer.irritation, consumer.aware = irritation, False
        consumer.receive_impressions(k, claim)
        got = (consumer.attitude, consumer.expectation, consumer.trust, consumer.irritation)
        want = (state.attitude[0], state.expectation[0], state.trust[0], state.irritation[0])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=f"k={k}")
        assert consumer.aware


def test_page_posts_one_by_one_equal_the_closed_form():
    params = Params(n_consumers=2, network="empty", fanpage_effect=3.0)
    model, rng = ReferenceModel(params, rng=0), np.random.default_rng(1)
    consumer = model.consumers[0]
    for k in range(0, 6):
        a, e, trust, claim = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0, 1), rng.uniform(-1, 1)
        state = ConsumerState.initial(np.zeros(1, dtype=np.int8), params, rng)
        state.attitude[:], state.expectation[:], state.trust[:] = a, e, trust
        apply_exposures(state, np.array([0]), np.array([k]), claim, params,
                        strength=params.fanpage_effect, reactance=False)
        consumer.attitude, consumer.expectation, consumer.trust, consumer.irritation = a, e, trust, 0.0
        consumer.see_page_posts(k, claim)
        np.testing.assert_allclose((consumer.attitude, consumer.expectation, consumer.trust, consumer.irritation),
                                   (state.attitude[0], state.expectation[0], state.trust[0], 0.0),
                                   rtol=0, atol=1e-12)


def test_one_inbox_equals_the_engine_social_influence():
    params = Params(n_consumers=2, network="empty", confidence_bound=0.6)
    model, rng = ReferenceModel(params, rng=0), np.random.default_rng(2)
    listener = model.consumers[0]
    for size in (1, 2, 5, 20):
        a, e = rng.uniform(-1, 1), rng.uniform(-1, 1)
        weight, valence, content = rng.uniform(0, 1, size), rng.uniform(-1, 1, size), rng.uniform(-1, 1, size)
        state = ConsumerState.initial(np.zeros(1, dtype=np.int8), params, rng)
        state.attitude[:], state.expectation[:] = a, e
        social_influence(state, np.zeros(size, dtype=np.int64), weight, valence, content, params)
        listener.attitude, listener.expectation, listener.aware = a, e, False
        listener.listen([Message(listener, *m) for m in zip(weight.tolist(), valence.tolist(), content.tolist())])
        np.testing.assert_allclose((listener.attitude, listener.expectation),
                                   (state.attitude[0], state.expectation[0]), rtol=0, atol=1e-12)
        assert listener.aware


def test_public_record_sentiment_and_reply_order_match_the_engine():
    params = Params(n_consumers=50, network="empty", reply_window=4)
    model, rng = ReferenceModel(params, rng=0), np.random.default_rng(3)
    ours, theirs = PublicRecord(200), EnginePublicRecord(200)
    for step in range(1, 9):
        m = int(rng.integers(0, 12))
        author = rng.integers(0, 50, m)
        sentiment = rng.choice([-0.7, -0.3, 0.0, 0.2, 0.5], m) * rng.choice([1.0, 1.0, 0.5], m)
        content = rng.uniform(-1, 1, m)
        theirs.append(author, sentiment, content, step)
        for i, s, c in zip(author.tolist(), sentiment.tolist(), content.tolist()):
            ours.add(Post(model.consumers[i], s, c, step))
        # answer some posts so that "unanswered" matters
        for slot in rng.choice(len(theirs), size=min(3, len(theirs)), replace=False):
            theirs.replied[slot] = True
            list(ours.posts)[slot].replied = True
        assert ours.total_posts == theirs.total_posts
        assert ours.mean_sentiment(step, 4.0) == pytest.approx(theirs.mean_sentiment(step, 4.0), abs=1e-12)
        model.record = ours
        order = [(p.author.index, p.sentiment, p.step) for p in model.reply_order(step)]
        slots = engine_reply_order(theirs, step, params.reply_window)
        assert order == list(zip(theirs.author[slots].tolist(), theirs.sentiment[slots].tolist(),
                                 theirs.step[slots].tolist()))


def test_ring_buffer_keeps_the_newest_posts():
    ours = PublicRecord(10)
    consumer = ReferenceModel({"n_consumers": 3, "network": "empty"}, rng=0).consumers[0]
    for step in range(25):
        ours.add(Post(consumer, 0.1 * (step % 3), 0.0, step))
    assert len(ours) == 10 and ours.total_posts == 25
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
    assert model.state.attitude[7] == agent.attitude
    agents = model.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 5 * 150 and {"attitude", "loyalty", "aware"} <= set(agents.columns)


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
