"""Calibration targets and the check of the model against them (docs/ODD.md, 4.12 Calibration targets).

The targets are data (``targets.toml`` beside this module): a published value or band, its
source, whether the number was verified in the source, and the conditions of the runs it is
measured in. Each target names one measurement function of :data:`MEASURES`, a plain
function of model output (the time series or finals of the runs :func:`check` starts), so
every measurement can be tested on synthetic output with a known answer.

:func:`check` runs the replicates each target needs at today's defaults (common random
numbers: replicate r has seed ``run_seed(seed, r)`` in every condition of every target),
and returns one row per target: band, measured mean [95 % t-interval across replicates,
kept inside the measurement's range], and ``within``: ``yes`` when the whole interval lies
in the band, ``no`` when it lies wholly outside, ``undetermined`` otherwise (it straddles an
edge, fewer than two replicates give a value, or the target is not measured yet). Nothing
here changes a default: fitting is a later step.

Examples
--------
>>> targets = read_targets()
>>> "positive : negative WOM" in [t.name for t in targets]
True
>>> within(0.12, 0.15, (0.1, 0.2), n=5), within(0.25, 0.3, (0.1, 0.2), n=5), within(0.05, 0.15, (0.1, 0.2), n=5)
('yes', 'no', 'undetermined')
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.core.brand import Brand
from simulation.core.metrics import NPS_RANGE, SIGNED_RANGE, UNBOUNDED, UNIT_RANGE
from simulation.core.params import Params, closest
from simulation.core.processes.purchase import brand_utility, choice_probabilities
from simulation.core.tomlfile import read_toml
from simulation.errors import WomsimError
from simulation.research import facts as F
from simulation.research.executors import execute, reusing
from simulation.research.stats import mean_ci
from simulation.research.tasks import Task, create_model, run_seed, run_task

__all__ = [
    "MEASURES",
    "RESULT_COLUMNS",
    "SIZES",
    "Setup",
    "TARGETS_FILE",
    "CheckResult",
    "Measure",
    "Target",
    "ad_elasticity_long",
    "ad_elasticity_short",
    "bass_fit",
    "bass_p",
    "bass_q",
    "check",
    "double_jeopardy",
    "nps",
    "organic_reach",
    "read_targets",
    "recovery_effects",
    "recovery_run",
    "reply_rate",
    "set_focal_budget",
    "validate_target",
    "within",
    "wom_ad_ratio",
    "wom_elasticity",
    "wom_ratio",
    "wom_run",
]

TARGETS_FILE = Path(__file__).with_name("targets.toml")
REQUIRED_KEYS = ("name", "measure", "band", "published", "source", "verified", "conditions")
OPTIONAL_KEYS = ("settings", "reason", "note", "unmet")
VERIFIED = ("project", "abstract", "secondary")
NOT_MEASURED = "none"
WEEKS_PER_YEAR = 52
RESULT_COLUMNS = ["target", "measure", "band_lo", "band_hi", "published", "measured", "ci_lo", "ci_hi", "n",
                  "within", "verified", "source", "conditions", "note", "unmet"]

#: Sizes of the two modes: consumers, weeks and replicates of every run (the double-jeopardy
#: sweep runs ``replicates`` seeds per spread).
SIZES: dict[str, dict[str, int]] = {"full": {"n_consumers": 2000, "weeks": 104, "replicates": 20},
                                    "quick": {"n_consumers": 300, "weeks": 52, "replicates": 4}}


# ---------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One calibration target (an entry of ``targets.toml``)."""

    name: str
    measure: str
    band: tuple[float, float]
    published: str
    source: str
    verified: str
    conditions: Mapping[str, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""
    note: str = ""
    unmet: str = ""


def validate_target(entry: Any, where: str) -> Target:
    """A :class:`Target` from one TOML table; a one-line :class:`WomsimError` naming ``where``
    (file and entry) for an unknown key (with the closest valid one), a missing or empty
    key, an unknown measure, a malformed band, or invalid conditions.

    Examples
    --------
    >>> validate_target({"name": "x", "measure": "nps", "band": [0, 40], "published": "0..40",
    ...                  "sorce": "S", "verified": "secondary", "conditions": {}}, "t.toml, target 1")
    Traceback (most recent call last):
    ...
    simulation.errors.WomsimError: t.toml, target 1 ('x'): unknown key 'sorce' (did you mean 'source'?)
    """
    if not isinstance(entry, Mapping):
        raise WomsimError(f"{where}: expected a table of keys, got {type(entry).__name__}")
    label = f"{where} ({entry['name']!r})" if isinstance(entry.get("name"), str) else where
    known = (*REQUIRED_KEYS, *OPTIONAL_KEYS)
    for key in entry:
        if key not in known:
            near = closest(key, known)
            hint = f" (did you mean '{near}'?)" if near else f"; allowed: {', '.join(known)}"
            raise WomsimError(f"{label}: unknown key '{key}'{hint}")
    for key in REQUIRED_KEYS:
        if key not in entry or (isinstance(entry[key], str) and not entry[key].strip()):
            raise WomsimError(f"{label}: missing '{key}' (every target needs {', '.join(REQUIRED_KEYS)})")
    for key in ("name", "measure", "published", "source", "verified", *("reason", "note", "unmet")):
        if key in entry and not isinstance(entry[key], str):
            raise WomsimError(f"{label}: '{key}' must be a string")
    measure = entry["measure"]
    if measure != NOT_MEASURED and measure not in MEASURES:
        near = closest(measure, [*MEASURES, NOT_MEASURED])
        hint = f" (did you mean '{near}'?)" if near else f"; known: {', '.join(MEASURES)}, {NOT_MEASURED}"
        raise WomsimError(f"{label}: unknown measure '{measure}'{hint}")
    if measure == NOT_MEASURED and not entry.get("reason", "").strip():
        raise WomsimError(f"{label}: measure = \"{NOT_MEASURED}\" needs a 'reason' (why it is not measured yet)")
    band = entry["band"]
    if (not isinstance(band, list) or len(band) != 2 or not all(isinstance(x, int | float) for x in band)
            or not all(math.isfinite(x) for x in band) or band[0] > band[1]):
        raise WomsimError(f"{label}: band = {band!r}: expected [low, high], two finite numbers with low <= high")
    if entry["verified"] not in VERIFIED:
        raise WomsimError(f"{label}: verified = {entry['verified']!r}: allowed {', '.join(VERIFIED)}")
    for key in ("conditions", "settings"):
        if not isinstance(entry.get(key, {}), Mapping):
            raise WomsimError(f"{label}: '{key}' must be a table of values")
    try:
        Params(**entry["conditions"])
    except WomsimError as exc:
        raise WomsimError(f"{label}: conditions: {exc}") from None
    return Target(entry["name"], measure, (float(band[0]), float(band[1])), entry["published"], entry["source"],
                  entry["verified"], dict(entry["conditions"]), dict(entry.get("settings", {})),
                  entry.get("reason", ""), entry.get("note", ""), entry.get("unmet", ""))


def read_targets(path: str | Path = TARGETS_FILE) -> list[Target]:
    """Every ``[[target]]`` of the TOML file ``path``, validated (:func:`validate_target`);
    names must be unique."""
    data = read_toml(path, "targets file")
    unknown = [k for k in data if k != "target"]
    if unknown:
        raise WomsimError(f"{path}: unknown top-level key '{unknown[0]}' (expected [[target]] tables)")
    entries = data.get("target")
    if not isinstance(entries, list) or not entries:
        raise WomsimError(f"{path}: no [[target]] entry")
    targets = [validate_target(e, f"{path}, target {i + 1}") for i, e in enumerate(entries)]
    names = [t.name for t in targets]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise WomsimError(f"{path}: target name {dup!r} appears more than once")
    return targets


# ---------------------------------------------------------------------------- measurements
# Each takes the output of the runs of one target and returns one value per replicate
# (a Series indexed by seed), so the check can average them with a t-interval.


def _weeks(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.loc[runs["step"] >= 1]  # step 0 is the initial state, no week yet


def wom_ratio(runs: pd.DataFrame) -> pd.Series:
    """Per seed: delivered positive / negative private WOM messages over weeks 1-T (NaN
    without negative WOM).

    Examples
    --------
    >>> runs = pd.DataFrame({"seed": [1, 1, 1], "step": [0, 1, 2], "wom_positive": [0, 6, 3],
    ...                      "wom_negative": [0, 2, 1]})
    >>> float(wom_ratio(runs).loc[1])
    3.0
    """
    s = _weeks(runs).groupby("seed")[["wom_positive", "wom_negative"]].sum().astype(float)
    return s["wom_positive"] / s["wom_negative"].where(s["wom_negative"] > 0)


def reply_rate(runs: pd.DataFrame) -> pd.Series:
    """Per seed: ``reply_rate`` at the last week (a cumulative share)."""
    last = runs.sort_values("step").groupby("seed").tail(1).set_index("seed")
    return last["reply_rate"].astype(float)


def nps(runs: pd.DataFrame, window: int = WEEKS_PER_YEAR) -> pd.Series:
    """Per seed: mean NPS of the surveys of the last ``window`` weeks (weeks without a
    survey result, NaN, left out)."""
    w = _weeks(runs)
    last = w.groupby("seed")["step"].transform("max")
    return w.loc[w["step"] > last - int(window)].groupby("seed")["nps"].mean()


def ad_elasticity_long(runs: pd.DataFrame) -> pd.Series:
    """Per seed: ln(S(b2) / S(b1)) / ln(b2 / b1), S = total ``sales`` over the run, b1 and
    b2 the lowest and highest ``budget`` in ``runs`` (NaN when a total is 0).

    Examples
    --------
    >>> runs = pd.DataFrame({"seed": 1, "step": [1, 1], "budget": [1.0, 4.0], "sales": [10.0, 20.0]})
    >>> float(ad_elasticity_long(runs).loc[1])
    0.5
    """
    totals = _weeks(runs).groupby(["seed", "budget"])["sales"].sum().unstack("budget")
    b1, b2 = float(totals.columns.min()), float(totals.columns.max())
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.log(totals[b2] / totals[b1]) / math.log(b2 / b1)
    return e.where(np.isfinite(e))


def ad_elasticity_short(runs: pd.DataFrame, delta: float, weeks: tuple[int, int]) -> pd.Series:
    """Per seed: ln(S_burst / S_steady) / ln(1 + delta), S = ``sales`` summed over the steps
    ``weeks`` (first, last; inclusive) of the ``burst`` and ``steady`` runs (column
    ``condition``) of the same seed: the log arc elasticity of a temporary budget change.

    Examples
    --------
    >>> runs = pd.DataFrame({"seed": 1, "step": [1, 2, 1, 2], "condition": ["steady"] * 2 + ["burst"] * 2,
    ...                      "sales": [5.0, 10.0, 5.0, 20.0]})
    >>> float(ad_elasticity_short(runs, delta=3.0, weeks=(2, 2)).loc[1])
    0.5
    """
    w = runs.loc[runs["step"].between(*weeks)]
    s = w.groupby(["seed", "condition"])["sales"].sum().unstack("condition")
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.log(s["burst"] / s["steady"]) / math.log1p(delta)
    return e.where(np.isfinite(e))


def bass_fit(runs: pd.DataFrame, periods_per_year: float = WEEKS_PER_YEAR) -> pd.DataFrame:
    """Per seed: Bass p and q per year, and the market potential m, from the ``adopters``
    share F(t) of a run.

    Bass's (1969) least-squares estimator: the new adopters of a step,
    F_{t+1} - F_t = a + b F_t + c F_t^2, are regressed on the adopted share; then
    m = (-b - sqrt(b^2 - 4ac)) / (2c), p = a / m and q = p + b (the discrete Bass model
    (p + q F / m)(m - F) with the market potential m estimated, as in the studies Sultan,
    Farley & Lehmann 1990 pool). p and q are per step and are multiplied by
    ``periods_per_year`` (the continuous Bass model in time t / 52 has p and q 52 times
    those per week). NaN with fewer than 4 usable steps or no real, positive m.

    Examples
    --------
    >>> f = [0.0]
    >>> for _ in range(60):
    ...     f.append(f[-1] + (0.002 + 0.01 * f[-1] / 0.5) * (0.5 - f[-1]))
    >>> fit = bass_fit(pd.DataFrame({"seed": 1, "step": range(61), "adopters": f}))
    >>> [round(float(v), 4) for v in fit.loc[1]]
    [0.104, 0.52, 0.5]
    """
    def one(g: pd.DataFrame) -> pd.Series:
        f = g.sort_values("step")["adopters"].to_numpy(dtype=float)
        x, new = f[:-1], np.diff(f)
        nan = pd.Series({"p": math.nan, "q": math.nan, "m": math.nan})
        if x.size < 4 or np.unique(x).size < 3:
            return nan
        c, b, a = np.polyfit(x, new, 2)
        disc = b * b - 4 * a * c
        if c >= 0 or disc < 0:
            return nan
        m = (-b - math.sqrt(disc)) / (2 * c)
        if m <= 0:
            return nan
        p = a / m
        return pd.Series({"p": p * periods_per_year, "q": (p + b) * periods_per_year, "m": m})

    return runs.groupby("seed")[["step", "adopters"]].apply(one)


def bass_p(runs: pd.DataFrame) -> pd.Series:
    """Per seed: Bass p per year of the focal brand's first purchases (:func:`bass_fit`)."""
    return bass_fit(runs)["p"]


def bass_q(runs: pd.DataFrame) -> pd.Series:
    """Per seed: Bass q per year of the focal brand's first purchases (:func:`bass_fit`)."""
    return bass_fit(runs)["q"]


def double_jeopardy(brands: pd.DataFrame) -> pd.Series:
    """Per run (spread, seed): Spearman correlation across brands of penetration and purchase
    frequency (:func:`simulation.research.facts.rank_correlations`), indexed by seed."""
    cors = F.rank_correlations(brands, measures=("purchase_frequency",))
    return cors.set_index("seed")["rho_purchase_frequency"]


def organic_reach(runs: pd.DataFrame) -> pd.Series:
    """Per seed: mean over weeks 1-T of ``organic_reach_rate`` (the share of the focal page's
    fans, online or not, that an unpaid post reached that week; weeks without followers, NaN,
    left out).

    Examples
    --------
    >>> runs = pd.DataFrame({"seed": 1, "step": [0, 1, 2, 3], "organic_reach_rate": [0.5, 0.02, None, 0.04]})
    >>> round(float(organic_reach(runs).loc[1]), 6)
    0.03
    """
    return _weeks(runs).groupby("seed")["organic_reach_rate"].mean()


def _point_biserial(group: pd.DataFrame, outcome: str) -> float:
    """Pearson correlation of ``resolved`` (0/1) with ``outcome``: the effect size r a
    meta-analysis pools; NaN with fewer than 2 authors in either group or no variation."""
    treated = group["resolved"].astype(bool)
    y = group[outcome].astype(float)
    if treated.sum() < 2 or (~treated).sum() < 2 or not y.std() > 0:
        return math.nan
    return float(np.corrcoef(treated.astype(float), y)[0, 1])


def recovery_effects(runs: pd.DataFrame) -> pd.DataFrame:
    """Per seed: the effect of resolving a complaint on its author, as effect sizes r.

    ``runs`` has one row per author of an answered complaint about the focal brand
    (:func:`recovery_run`): ``seed``, ``resolved`` (the reply resolved it), and the author's
    ``attitude_gain`` and ``intention_gain`` over the reply's week (attitude to the focal brand,
    and the logit probability of choosing it on a purchase occasion: the model's repurchase
    intention). Whether an answered complaint is resolved is a coin (``resolve_prob``) the
    author's state does not enter, so the two groups differ by the resolution alone (a
    randomised comparison inside the run). Columns ``satisfaction`` and ``intention``: the
    point-biserial correlation of ``resolved`` with each gain (NaN with fewer than 2 authors in
    a group), the effect size r that de Matos, Henrique & Rossi (2007) pool.

    Examples
    --------
    >>> runs = pd.DataFrame({"seed": 1, "resolved": [True, True, False, False],
    ...                      "attitude_gain": [0.3, 0.5, 0.1, 0.3], "intention_gain": [0.1, 0.0, 0.1, 0.0]})
    >>> fx = recovery_effects(runs)
    >>> round(float(fx.loc[1, "satisfaction"]), 4), float(fx.loc[1, "intention"])
    (0.7071, 0.0)
    """
    rows = {seed: {"satisfaction": _point_biserial(g, "attitude_gain"),
                   "intention": _point_biserial(g, "intention_gain")} for seed, g in runs.groupby("seed")}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["satisfaction", "intention"]).rename_axis("seed")


def _log_ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a.astype(float) / b.astype(float))


def wom_elasticity(runs: pd.DataFrame) -> pd.Series:
    """Per seed: ln(S_wom / S_base) / ln(V_wom / V_base), S = total focal ``sales`` and V =
    total focal ``wom_volume`` over weeks 1-T of the runs with ``condition`` ``wom`` (more word
    of mouth) and ``base`` on the same seed: the arc elasticity of sales to WOM volume (NaN
    when a total is 0 or the volume did not change).

    Examples
    --------
    >>> runs = pd.DataFrame({"seed": 1, "step": 1, "condition": ["base", "wom"], "sales": [10.0, 20.0],
    ...                      "wom_volume": [100.0, 400.0]})
    >>> float(wom_elasticity(runs).loc[1])
    0.5
    """
    t = _weeks(runs).groupby(["seed", "condition"])[["sales", "wom_volume"]].sum().unstack("condition")
    e = _log_ratio(t["sales"]["wom"], t["sales"]["base"]) / _log_ratio(t["wom_volume"]["wom"],
                                                                        t["wom_volume"]["base"])
    return e.where(np.isfinite(e))


def wom_ad_ratio(runs: pd.DataFrame, delta: float) -> pd.Series:
    """Per seed: :func:`wom_elasticity` / the ad elasticity of the same seed, ln(S_ad / S_base)
    / ln(1 + ``delta``) (``condition`` ``ad``: the focal budget x (1 + delta) from week 0); NaN
    when the ad elasticity is <= 0 (a ratio to no or a negative ad effect says nothing about
    which lever is stronger).

    Examples
    --------
    >>> runs = pd.DataFrame({"seed": 1, "step": 1, "condition": ["base", "wom", "ad"], "sales": [10.0, 20.0, 12.0],
    ...                      "wom_volume": [100.0, 400.0, 110.0]})
    >>> round(float(wom_ad_ratio(runs, delta=0.2).loc[1]), 6)
    0.5
    """
    sales = _weeks(runs).groupby(["seed", "condition"])["sales"].sum().unstack("condition")
    ad = _log_ratio(sales["ad"], sales["base"]) / math.log1p(delta)
    r = wom_elasticity(runs) / ad.where(ad > 0)
    return r.where(np.isfinite(r))


# ---------------------------------------------------------------------------- runs


def set_focal_budget(model, budget: float) -> None:
    """Give the focal brand (brand 0) of a running model the weekly budget ``budget`` from
    the next step on (the rivals keep theirs): the brand is rebuilt with ``Brand.make``.

    The engine derives each week's brands from ``planned_brands`` through the spend schedule
    (docs/ODD.md, 7.14), so the planned brand is replaced too; setting ``brands`` alone
    would be undone at the next step."""
    p = model.params
    focal = Brand.make(p.strategy, budget, p.quality, p.hype, p.honesty, p, model.n_consumers)
    if hasattr(model, "planned_brands"):
        model.planned_brands = (focal, *model.planned_brands[1:])
    model.brands = (focal, *model.brands[1:])
    model.brand = focal  # step() books the spend of model.brand: keep both the same object


def burst_run(task: Task) -> pd.DataFrame:
    """One run of ``warmup`` weeks at the task's budget, then ``burst`` weeks at budget x
    (1 + ``delta``) if the label ``condition`` is ``burst`` (at the same budget if ``steady``);
    the focal purchases per week (``sales``), labels as columns."""
    lab = task.labels
    model = create_model(task.params, rng=task.seed)
    sales = []
    for week in range(1, int(lab["warmup"]) + int(lab["burst"]) + 1):
        if week == int(lab["warmup"]) + 1 and lab["condition"] == "burst":
            set_focal_budget(model, model.params.budget * (1.0 + float(lab["delta"])))
        model.step()
        sales.append(float(model.tally.purchases))
    df = pd.DataFrame({"step": np.arange(1, len(sales) + 1), "sales": sales})
    df.insert(0, "seed", task.seed)
    for i, (key, value) in enumerate(lab.items()):
        df.insert(i, key, value)
    return df


def _focal_intention(model) -> np.ndarray:
    """Per consumer: the probability of choosing the focal brand on an occasion without
    consulting the record (the logit of docs/ODD.md 7.3 on today's state)."""
    s, p = model.state, model.params
    utility = brand_utility(s.attitude, s.loyalty, s.trust, s.expectation, p)
    return choice_probabilities(utility, s.aware, p)[:, 0]


def recovery_run(task: Task) -> pd.DataFrame:
    """One run, week by week, enrolling each author the first week the focal brand answers a
    complaint of theirs (exactly one that week; authors whose reply was caught as spin are not
    enrolled: their complaint could not be resolved). Per enrolled author: ``resolved`` and the
    gains over that week of the attitude to the focal brand and of the focal choice
    probability (:func:`_focal_intention`), end of the week minus end of the week before. Read
    from the model's state and public record only (no model change, no extra random draw);
    labels as columns."""
    model = create_model(task.params, rng=task.seed)
    record, rows, enrolled = model.record, [], set()
    for week in range(1, int(task.params["steps"]) + 1):
        attitude, intention = model.state.attitude[:, 0].copy(), _focal_intention(model)
        replied, seq = record.replied.copy(), record.seq.copy()
        model.step()
        slots = record.slots()
        # a reply of this week: replied now, and not before (or the slot held an older post)
        new = (record.replied[slots] & ~(replied[slots] & (seq[slots] == record.seq[slots]))
               & (record.brand[slots] == 0) & (record.sentiment[slots] < 0) & ~record.spin[slots])
        slots = slots[new]
        authors, first, count = np.unique(record.author[slots], return_index=True, return_counts=True)
        after_a, after_i = model.state.attitude[:, 0], _focal_intention(model)
        for author, slot in zip(authors[count == 1], slots[first[count == 1]]):
            if author in enrolled:
                continue
            enrolled.add(author)
            rows.append({"week": week, "resolved": bool(record.resolved[slot]),
                         "attitude_gain": after_a[author] - attitude[author],
                         "intention_gain": after_i[author] - intention[author]})
        enrolled.update(authors[count > 1].tolist())  # several at once: not a single coin
    # a run without any enrolled author keeps one empty row, so its replicate counts (as NaN)
    empty = [{"week": 0, "resolved": False, "attitude_gain": math.nan, "intention_gain": math.nan}]
    df = pd.DataFrame(rows or empty, columns=["week", "resolved", "attitude_gain", "intention_gain"])
    df.insert(0, "seed", task.seed)
    for i, (key, value) in enumerate(task.labels.items()):
        df.insert(i, key, value)
    return df


def _focal_wom_volume(model) -> float:
    """The expected private WOM messages about the focal brand this week: over the talkers whose
    topic is brand 0, the sum of their ties' delivery probabilities min(wom_reach w, 1)
    (docs/ODD.md 7.5). The expectation given who talked, so it needs no record of the draws."""
    s = model.state
    src, _, w = model.adjacency.edges_from(np.flatnonzero(s.talked & (s.topic == 0)))
    return float(np.minimum(model.params.wom_reach * w, 1.0).sum()) if len(src) else 0.0


def wom_run(task: Task) -> pd.DataFrame:
    """One run of the task's parameters from week 0; per week the focal ``sales`` and
    ``wom_volume`` (:func:`_focal_wom_volume`), labels as columns."""
    model = create_model(task.params, rng=task.seed)
    sales, volume = [], []
    for _ in range(int(task.params["steps"])):
        model.step()
        sales.append(float(model.tally.purchases))
        volume.append(_focal_wom_volume(model))
    df = pd.DataFrame({"step": np.arange(1, len(sales) + 1), "sales": sales, "wom_volume": volume})
    df.insert(0, "seed", task.seed)
    for i, (key, value) in enumerate(task.labels.items()):
        df.insert(i, key, value)
    return df


@dataclass(frozen=True)
class Setup:
    """How the runs of a check are made: sizes (consumers, weeks, replicates), base seed,
    ``base`` parameter values under every target's conditions (the candidate of a fit; empty =
    today's defaults), and where they run (``workers``, dask ``scheduler``)."""

    size: Mapping[str, int]
    seed: int = 2013
    base: Mapping[str, Any] = field(default_factory=dict)
    workers: int | None = None
    scheduler: str | None = None
    progress: bool = True


def _run(tasks: list[Task], fn: Callable[[Task], pd.DataFrame], setup: Setup, desc: str) -> pd.DataFrame:
    """Every task through ``fn`` on the setup's workers or scheduler
    (:func:`simulation.research.executors.execute`), with a progress bar on stderr; the frames
    concatenated in task order."""
    out: list[pd.DataFrame | None] = [None] * len(tasks)
    done_iter = execute(tasks, fn, workers=setup.workers, scheduler=setup.scheduler)
    with tqdm(total=len(tasks), desc=desc, unit="run", disable=not setup.progress, file=sys.stderr,
              dynamic_ncols=True) as bar, contextlib.closing(done_iter) as done:
        for i, frame in done:
            out[i] = frame
            bar.update()
    return pd.concat(out, ignore_index=True)


@dataclass(frozen=True)
class Measure:
    """How a target is measured: the runs (``runs(target, setup)`` returns their output) and
    the function of that output giving one value per replicate, with the value's range (the
    interval is kept inside it)."""

    runs: Callable[..., pd.DataFrame]
    value: Callable[[pd.DataFrame, Target, Mapping[str, int]], pd.Series]
    bounds: tuple[float, float] = UNBOUNDED


def _params(target: Target, setup: Setup, **extra) -> dict[str, Any]:
    """The run's parameters: the setup's base values, the target's conditions over them, then
    the measurement's own values and the sizes."""
    size = setup.size
    return {**setup.base, **target.conditions, **extra, "n_consumers": int(size["n_consumers"]),
            "steps": int(size["weeks"])}


def _plain_runs(target: Target, setup: Setup) -> pd.DataFrame:
    tasks = [Task(_params(target, setup), run_seed(setup.seed, r), {"replicate": r})
             for r in range(setup.size["replicates"])]
    return _run(tasks, run_task, setup, target.name)


def _budget_runs(target: Target, setup: Setup) -> pd.DataFrame:
    budgets = [float(b) for b in target.settings.get("budgets", (0.5, 2.0))]
    tasks = [Task(_params(target, setup, budget=b), run_seed(setup.seed, r), {"budget": b, "replicate": r})
             for b in budgets for r in range(setup.size["replicates"])]
    return _run(tasks, run_task, setup, target.name)


def _short_settings(target: Target, size: Mapping[str, int]) -> tuple[int, int, float]:
    """(warmup, burst, delta); the warm-up is shortened to fit a short (quick) horizon."""
    burst = int(target.settings.get("burst", 4))
    warmup = min(int(target.settings.get("warmup", 52)), max(1, int(size["weeks"]) - burst))
    return warmup, burst, float(target.settings.get("delta", 1.0))


def _burst_runs(target: Target, setup: Setup) -> pd.DataFrame:
    warmup, burst, delta = _short_settings(target, setup.size)
    labels = {"warmup": warmup, "burst": burst, "delta": delta}
    tasks = [Task(_params(target, setup), run_seed(setup.seed, r), {"condition": c, "replicate": r, **labels})
             for c in ("steady", "burst") for r in range(setup.size["replicates"])]
    return _run(tasks, burst_run, setup, target.name)


def _dj_runs(target: Target, setup: Setup) -> pd.DataFrame:
    s, size = target.settings, setup.size
    weeks = int(size["weeks"])
    return F.double_jeopardy_runs(spreads=s.get("spreads", F.DJ_DEFAULTS["spreads"]),
                                  n_consumers=int(size["n_consumers"]), weeks=weeks,
                                  window=min(int(s.get("window", 52)), weeks), replicates=int(size["replicates"]),
                                  seed=setup.seed, params={**setup.base, **target.conditions},
                                  progress=setup.progress)


def _recovery_runs(target: Target, setup: Setup) -> pd.DataFrame:
    tasks = [Task(_params(target, setup), run_seed(setup.seed, r), {"replicate": r})
             for r in range(setup.size["replicates"])]
    return _run(tasks, recovery_run, setup, target.name)


def _wom_settings(target: Target) -> tuple[float, float]:
    """(WOM shift, budget shift): wom_reach x (1 + wom_delta), budget x (1 + delta)."""
    return float(target.settings.get("wom_delta", 0.5)), float(target.settings.get("delta", 0.5))


def _wom_runs(target: Target, setup: Setup) -> pd.DataFrame:
    wom_delta, delta = _wom_settings(target)
    base = _params(target, setup)
    p = Params(**base)
    conditions = {"base": {}, "wom": {"wom_reach": min(1.0, p.wom_reach * (1.0 + wom_delta))},
                  "ad": {"budget": p.budget * (1.0 + delta)}}
    tasks = [Task({**base, **extra}, run_seed(setup.seed, r), {"condition": c, "replicate": r})
             for c, extra in conditions.items() for r in range(setup.size["replicates"])]
    return _run(tasks, wom_run, setup, target.name)


def _short_value(runs, target, size):
    warmup, burst, delta = _short_settings(target, size)
    return ad_elasticity_short(runs, delta, (warmup + 1, warmup + burst))


MEASURES: dict[str, Measure] = {
    "wom_ratio": Measure(_plain_runs, lambda runs, t, s: wom_ratio(runs), (0.0, math.inf)),
    "reply_rate": Measure(_plain_runs, lambda runs, t, s: reply_rate(runs), UNIT_RANGE),
    "nps": Measure(_plain_runs, lambda runs, t, s: nps(runs), NPS_RANGE),
    "ad_elasticity_short": Measure(_burst_runs, _short_value),
    "ad_elasticity_long": Measure(_budget_runs, lambda runs, t, s: ad_elasticity_long(runs)),
    "double_jeopardy": Measure(_dj_runs, lambda runs, t, s: double_jeopardy(runs), SIGNED_RANGE),
    "bass_p": Measure(_plain_runs, lambda runs, t, s: bass_p(runs)),
    "bass_q": Measure(_plain_runs, lambda runs, t, s: bass_q(runs)),
    "organic_reach": Measure(_plain_runs, lambda runs, t, s: organic_reach(runs), UNIT_RANGE),
    "recovery_satisfaction": Measure(_recovery_runs, lambda runs, t, s: recovery_effects(runs)["satisfaction"],
                                     SIGNED_RANGE),
    "recovery_intention": Measure(_recovery_runs, lambda runs, t, s: recovery_effects(runs)["intention"],
                                  SIGNED_RANGE),
    "wom_ad_ratio": Measure(_wom_runs, lambda runs, t, s: wom_ad_ratio(runs, _wom_settings(t)[1])),
    "wom_elasticity": Measure(_wom_runs, lambda runs, t, s: wom_elasticity(runs)),
}


# ---------------------------------------------------------------------------- the check


def within(lo: float, hi: float, band: tuple[float, float], n: int) -> str:
    """``yes`` if [lo, hi] lies inside ``band``, ``no`` if wholly outside it, else (or with
    fewer than 2 values, or a non-finite interval) ``undetermined``."""
    if n < 2 or not (math.isfinite(lo) and math.isfinite(hi)):
        return "undetermined"
    if band[0] <= lo and hi <= band[1]:
        return "yes"
    if hi < band[0] or lo > band[1]:
        return "no"
    return "undetermined"


@dataclass
class CheckResult:
    """The table of :func:`check` (columns :data:`RESULT_COLUMNS`), the per-replicate values
    of every measured target, the mode's sizes and the base seed."""

    table: pd.DataFrame
    values: dict[str, pd.Series]
    size: dict[str, int]
    seed: int
    mode: str


def _conditions_text(target: Target) -> str:
    parts = [f"{k}={v}" for k, v in {**target.conditions, **target.settings}.items()]
    return ", ".join(parts) or "defaults"


def check(targets: Sequence[Target] | None = None, quick: bool = False, workers: int | None = None, *,
          size: Mapping[str, int] | None = None, seed: int = 2013, progress: bool = True,
          params: Mapping[str, Any] | None = None, scheduler: str | None = None) -> CheckResult:
    """Measure every target at today's defaults; one row per target (:data:`RESULT_COLUMNS`).

    Parameters
    ----------
    targets : list of Target, optional
        Default: :func:`read_targets` of :data:`TARGETS_FILE`.
    quick : bool
        Use ``SIZES["quick"]`` (a smoke run for CI) instead of ``SIZES["full"]``.
    workers : int, optional
        Worker processes (None = every core, 1 = this process).
    size : mapping, optional
        Consumers, weeks and replicates over those of the mode (e.g. for a tiny test).
    seed : int
        Base seed; replicate r runs with ``run_seed(seed, r)`` in every condition (common
        random numbers).
    progress : bool
        A progress bar per target on stderr.
    params : mapping, optional
        Parameter values under every target's conditions (a fit's candidate); default: none,
        today's defaults. Checked like any parameter set (one-line error on a bad name or value).
    scheduler : str, optional
        A dask scheduler (``"local"`` or ``"tcp://host:port"``) instead of local processes.
    """
    targets = read_targets() if targets is None else list(targets)
    mode = "quick" if quick else "full"
    sz = {**SIZES[mode], **(size or {})}
    for key, value in sz.items():
        if int(value) < 1:
            raise WomsimError(f"calibration size {key} = {value}: allowed a whole number >= 1")
    base = dict(params or {})
    Params(**base)  # a bad name or value fails here, in one line, before any run
    setup = Setup(sz, int(seed), base, workers, scheduler, progress)
    with reusing(workers, scheduler):  # one pool for every target (and for a fit's trials, see fit.py)
        return _check(targets, setup, sz, int(seed), mode)


def _check(targets: Sequence[Target], setup: Setup, sz: Mapping[str, int], seed: int, mode: str) -> CheckResult:
    rows, values, cache = [], {}, {}
    for t in targets:
        row = {"target": t.name, "measure": t.measure, "band_lo": t.band[0], "band_hi": t.band[1],
                "published": t.published, "verified": t.verified, "source": t.source,
                "conditions": _conditions_text(t)}
        if t.measure == NOT_MEASURED:
            rows.append({**row, "measured": math.nan, "ci_lo": math.nan, "ci_hi": math.nan, "n": 0,
                         "within": "undetermined", "note": f"not measured yet: {t.reason}", "unmet": t.reason})
            continue
        m = MEASURES[t.measure]
        # targets with the same runs share them (Bass p and q; and WOM ratio, reply rate and NPS, whose
        # conditions differ only by values that are today's defaults): compare the resolved parameters
        key = (m.runs, repr(sorted(Params(**_params(t, setup)).to_dict().items())), repr(sorted(t.settings.items())))
        if key not in cache:
            cache[key] = m.runs(t, setup)
        v = m.value(cache[key], t, sz).astype(float)
        values[t.name] = v
        mean, lo, hi = mean_ci(v.to_numpy(), bounds=m.bounds)
        n = int(np.isfinite(v.to_numpy()).sum())
        dropped = len(v) - n
        note = "; ".join(filter(None, [t.note, f"{dropped} replicate(s) without a finite value left out"
                                       if dropped else ""]))
        rows.append({**row, "measured": mean, "ci_lo": lo, "ci_hi": hi, "n": n,
                     "within": within(lo, hi, t.band, n), "note": note,
                     "unmet": t.unmet})
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    return CheckResult(table, values, {k: int(v) for k, v in sz.items()}, seed, mode)
