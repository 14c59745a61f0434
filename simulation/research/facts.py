"""Stylized facts: what the model produces, next to what the literature reports.

Rand & Rust (2011) ask agent-based marketing models to be validated against stylized
facts. This module *computes* such facts (:mod:`simulation.outputs.facts_report` writes
them); the model is not tuned to them. Each fact is computed once per replicate
(vectorised ``groupby``) and summarised by its mean and Student-t 95 % interval across
replicates (:func:`simulation.research.stats.mean_ci`).

From the headline comparison (``results/headline/timeseries.csv``):

1. positive : negative private word of mouth, all weeks (all strategies pooled, and per
   strategy); East, Hammond & Wright (2007) report about 3 : 1;
2. hype raises early sales: ``customers`` at the end of the early window, ``hype`` minus
   ``broadcast`` on the same seed (common random numbers);
3. ... and later negative word of mouth: share of negative messages in the late window,
   ``hype`` minus ``broadcast``;
4. hype costs trust: ``trust`` at the last week, ``hype`` minus ``broadcast``.

From a small dedicated experiment (:func:`wearout_runs`: honest broadcast only, no ties,
no purchases, nobody reads public posts, so attitude moves only through ads):

5. the ad effect per exposure falls with repetition (wear-out), and the total effect
   rises, then falls (inverted U) once reactance sets in.

From a sweep of markets of brands that differ only in quality (:func:`double_jeopardy_runs`):

6. double jeopardy: across brands, the one with fewer buyers (lower penetration) also has
   buyers who buy it less often and give it a smaller share of their category requirements
   (Ehrenberg, Goodhardt & Barwise 1990); measured as the rank correlation across the
   brands of one run, per run.

``consistent`` is decided on the 95 % interval: ``True`` when the whole interval lies on
the published side (of 0 for a difference, of 1 for a ratio), ``False`` when it lies
wholly on the other side, ``None`` when it straddles the line, when fewer than two
replicates give a value, or when there is nothing to compare. The magnitude of the 3 : 1
ratio is reported in ``note`` (distance to 3), not tested.

Examples
--------
>>> ts = synthetic_timeseries(replicates=3, weeks=20)
>>> facts = stylized_facts(ts, early_weeks=(1, 5), late_weeks=(10, 20))
>>> row = facts.set_index("fact").loc["positive : negative WOM, all strategies"]
>>> float(row["measured"]), bool(row["consistent"])
(3.0, True)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.core.brand import rival_qualities
from simulation.core.metrics import SIGNED_RANGE, UNBOUNDED, brand_table
from simulation.core.params import STRATEGIES, Params
from simulation.errors import WomsimError
from simulation.research.stats import mean_ci, summarise
from simulation.research.tasks import create_model, run_seed, run_simulation

__all__ = [
    "DJ_BASE",
    "DJ_DEFAULTS",
    "DJ_MEASURES",
    "FACT_COLUMNS",
    "MODEL_CONDITION",
    "REFERENCE_CONDITION",
    "REQUIRED_COLUMNS",
    "REQUIRED_STRATEGIES",
    "WEAROUT_BASE",
    "WEAROUT_DEFAULTS",
    "WEAROUT_REFERENCE",
    "FactsResult",
    "all_facts",
    "check_timeseries",
    "double_jeopardy_facts",
    "double_jeopardy_runs",
    "rank_correlations",
    "summarise_double_jeopardy",
    "FACTS_SCENARIO",
    "one_scenario",
    "read_timeseries",
    "stylized_facts",
    "summarise_wearout",
    "synthetic_timeseries",
    "wearout_curve",
    "wearout_facts",
    "wearout_runs",
]

FACT_COLUMNS = ["fact", "measured", "ci_lo", "ci_hi", "published", "source", "consistent", "note"]
REQUIRED_COLUMNS = ("strategy", "replicate", "seed", "step", "wom_positive", "wom_negative", "customers", "trust")
REQUIRED_STRATEGIES = ("broadcast", "hype")

SOURCE_EAST = "East, Hammond & Wright 2007, IJRM 24(2):175-184"
SOURCE_HYPE_SALES = "Anderson 1973, JMR 10(1):38-44; Oliver 1980, JMR 17(4):460-469; MODEL.md"
SOURCE_HYPE_WOM = "Oliver 1980, JMR 17(4):460-469; Anderson 1998, JSR 1(1):5-17; MODEL.md"
SOURCE_TRUST = "Friestad & Wright 1994, JCR 21(1):1-31"
SOURCE_WEAROUT = "Cacioppo & Petty 1979, JPSP 37(1):97-109; Pechmann & Stewart 1988"
SOURCE_REACTANCE = "Cacioppo & Petty 1979; Friestad & Wright 1994"
SOURCE_DJ = "Ehrenberg, Goodhardt & Barwise 1990, JM 54(3):82-91"

#: Parameters of the wear-out experiment: honest broadcast only; no ties (no private word
#: of mouth), nobody aware at the start, no purchases (no experience), and no public
#: reading (``post_reach`` = 0: consumers who dislike the ads still post, but nobody reads
#: the posts), so attitude moves only through ad exposures, wear-out, reactance and decay.
#: As in the laboratory studies it is compared with (forced exposure), every impression is
#: noticed (``ad_attention`` = 1), and the brand is alone (rivals' ads would not change
#: its attitudes here, only cost time).
WEAROUT_BASE: dict[str, Any] = {
    "strategy": "broadcast",
    "n_brands": 1,
    "ad_attention": 1.0,
    "network": "empty",
    "initial_awareness": 0.0,
    "purchase_freq": 0.0,
    "post_reach": 0.0,
}
#: The counterfactual drawn beside it: wear-out and reactance switched off (both at the top
#: of their allowed range), so what is left of the fall of the per-exposure effect is
#: saturation toward the claim and forgetting, not wear-out.
WEAROUT_REFERENCE: dict[str, Any] = {"wearout": 1000.0, "reactance_threshold": 1000.0}
WEAROUT_BUDGETS = (0.25, 0.5, 1, 2, 4, 8)
WEAROUT_SEED = 2026
#: Settings of the wear-out experiment in :func:`all_facts` (keyword arguments of
#: :func:`wearout_runs`): about 60 short runs, a few seconds.
WEAROUT_DEFAULTS: dict[str, Any] = {"budgets": WEAROUT_BUDGETS, "n_consumers": 2000, "weeks": 4, "replicates": 5,
                                    "seed": WEAROUT_SEED}

#: Parameters of the double-jeopardy sweep: five brands, all equally known at step 0, with
#: the same honest broadcast strategy and budget; they differ only in quality (the focal
#: brand at ``quality``, the four rivals spread around the same value by
#: ``rival_quality_spread``, which the sweep varies).
DJ_BASE: dict[str, Any] = {
    "n_brands": 5,
    "scenario": "established",
    "strategy": "broadcast",
    "rival_strategy": "broadcast",
    "budget": 1.0,
    "rival_budget": 1.0,
    "quality": 0.3,
    "rival_quality": 0.3,
}
#: Settings of the double-jeopardy sweep in :func:`all_facts` (keyword arguments of
#: :func:`double_jeopardy_runs`): 3 spreads x 10 seeds of 104 weeks, measured over the last
#: 52 (a year, as the panel data of Ehrenberg et al.); about 30 runs of a second each.
DJ_DEFAULTS: dict[str, Any] = {"spreads": (0.1, 0.2, 0.4), "n_consumers": 2000, "weeks": 104, "window": 52,
                               "replicates": 10, "seed": 1990}
#: The loyalty measures whose rank correlation with penetration is a fact: column, label.
DJ_MEASURES = {"purchase_frequency": "purchase frequency", "scr": "SCR"}

MODEL_CONDITION = "model"
REFERENCE_CONDITION = "wear-out and reactance off"


# ---------------------------------------------------------------------------- checks


def check_timeseries(ts: pd.DataFrame, source: str | Path = "timeseries") -> None:
    """Raise :class:`WomsimError` naming ``source`` if ``ts`` cannot give the facts.

    Needs the columns :data:`REQUIRED_COLUMNS`, the strategies :data:`REQUIRED_STRATEGIES`
    and at least one seed shared by ``hype`` and ``broadcast`` (they are paired by seed).
    """
    hint = "run `python run.py` first (the headline comparison writes it)"
    missing = [c for c in REQUIRED_COLUMNS if c not in ts.columns]
    if missing:
        raise WomsimError(f"{source}: missing column(s) {', '.join(missing)}; {hint}")
    have = set(ts["strategy"].astype(str).unique())
    absent = [s for s in REQUIRED_STRATEGIES if s not in have]
    if absent:
        has = ", ".join(sorted(have)) or "none"
        raise WomsimError(f"{source}: no run of strategy {', '.join(absent)} (has {has}); "
                          f"the facts compare hype with broadcast; {hint}")
    if ts.duplicated(["strategy", "seed", "step"]).any():
        raise WomsimError(f"{source}: more than one run per strategy, seed and week (a sweep over other parameters?); "
                          "the facts need one run per strategy and replicate, as the headline comparison writes")
    shared = set(ts.loc[ts["strategy"] == "hype", "seed"]) & set(ts.loc[ts["strategy"] == "broadcast", "seed"])
    if not shared:
        raise WomsimError(f"{source}: hype and broadcast share no seed, but the facts pair them by seed "
                          f"(common random numbers); {hint}")


def _check_window(name: str, weeks) -> tuple[int, int]:
    try:
        lo, hi = (int(w) for w in weeks)
    except (TypeError, ValueError):
        raise WomsimError(f"{name} = {weeks!r}: expected two whole weeks (first, last)") from None
    if lo < 1 or hi < lo:
        raise WomsimError(f"{name} = {weeks!r}: expected 1 <= first <= last")
    return lo, hi


def _window(ts: pd.DataFrame, lo: int, hi: int) -> tuple[pd.Series, str]:
    """Mask of the rows in weeks lo..hi (clipped to the data) and a description of it."""
    last = int(ts["step"].max())
    used_hi = min(hi, last)
    mask = ts["step"].between(lo, used_hi)
    if lo > last:
        return mask, f"weeks {lo}-{hi}: beyond the data (last week {last})"
    text = f"weeks {lo}-{used_hi}"
    return mask, text + (f" (asked {lo}-{hi}; the data end at week {last})" if used_hi < hi else "")


# ---------------------------------------------------------------------------- helpers


def _side(lo: float, hi: float, n: int, line: float, sign: int) -> bool | None:
    """True if the interval lies wholly on the ``sign`` side of ``line``, False if wholly on the
    other side, None if it straddles it or fewer than 2 finite replicates give it."""
    if n < 2 or not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    above, below = bool(lo > line), bool(hi < line)
    if sign > 0:
        return True if above else False if below else None
    return True if below else False if above else None


def _fact(fact: str, values, published: str, source: str, line: float, sign: int, *details: str,
          bounds: tuple[float, float] = UNBOUNDED, unit: str = "replicates") -> dict:
    """One row from per-replicate values: mean, t-interval (kept inside ``bounds``), and the
    direction check against ``line`` (``sign`` +1: published above it, -1: below), stated in
    the note; ``unit`` names what one value is (a replicate, a run)."""
    x = np.asarray(values, dtype=float)
    n = int(np.isfinite(x).sum())
    m, lo, hi = mean_ci(x, bounds=bounds)
    consistent = _side(lo, hi, n, line, sign)
    side = "above" if sign > 0 else "below"
    if consistent is None:
        verdict = f"undetermined (interval straddles it, or < 2 {unit})"
    else:
        verdict = "met" if consistent else f"not met: interval wholly {'below' if sign > 0 else 'above'} {line:g}"
    dropped = x.size - n
    count = f"n = {n} {unit}" + (f" ({dropped} without a finite value left out)" if dropped else "")
    note = "; ".join([f"consistent = 95 % CI wholly {side} {line:g}: {verdict}", *filter(None, details), count])
    return {"fact": fact, "measured": m, "ci_lo": lo, "ci_hi": hi, "published": published, "source": source,
            "consistent": consistent, "note": note}


def _paired(per_run: pd.Series) -> np.ndarray:
    """hype minus broadcast, per seed, from a Series indexed by (strategy, seed)."""
    wide = per_run.unstack("strategy")
    if not all(s in wide.columns for s in REQUIRED_STRATEGIES):
        return np.array([np.nan])
    return (wide["hype"] - wide["broadcast"]).dropna().to_numpy(dtype=float)


def _levels(per_run: pd.Series, digits: int = 3) -> str:
    """"means: hype x, broadcast y" from a Series indexed by (strategy, seed)."""
    means = per_run.groupby(level="strategy").mean().dropna()
    if means.empty:
        return ""
    return "means: " + ", ".join(f"{s} {means[s]:.{digits}g}" for s in ("hype", "broadcast") if s in means.index)


def _strategy_order(values) -> list:
    """Distinct strategies, known ones in :data:`simulation.core.params.STRATEGIES` order, then the rest by name."""
    distinct = list(dict.fromkeys(values))
    return sorted(distinct, key=lambda s: (0, STRATEGIES.index(s), "") if s in STRATEGIES else (1, 0, str(s)))


def _ratio(pos: pd.Series, neg: pd.Series) -> pd.Series:
    return pos.astype(float) / neg.astype(float).where(neg > 0)


# ---------------------------------------------------------------------------- headline facts


def stylized_facts(timeseries: pd.DataFrame, *, early_weeks=(1, 13), late_weeks=(53, 104)) -> pd.DataFrame:
    """Facts 1-4 from a headline timeseries; one row per fact, columns :data:`FACT_COLUMNS`.

    Parameters
    ----------
    timeseries : pandas.DataFrame
        Tidy: one row per strategy x replicate x step, with :data:`REQUIRED_COLUMNS`.
        ``hype`` and ``broadcast`` are paired by ``seed``.
    early_weeks, late_weeks : (int, int)
        First and last week (inclusive) of the early and late windows. Windows are
        clipped to the weeks in the data; a window wholly beyond them gives NaN.

    Returns
    -------
    pandas.DataFrame
        Rows: the positive : negative ratio pooled over strategies, then per strategy;
        hype - broadcast in early customers, in the late share of negative WOM, and in
        final trust.

    Raises
    ------
    WomsimError
        If columns or strategies are missing, or a window is malformed.
    """
    check_timeseries(timeseries)
    e_lo, e_hi = _check_window("early_weeks", early_weeks)
    l_lo, l_hi = _check_window("late_weeks", late_weeks)
    ts = timeseries.loc[timeseries["step"] >= 1]  # step 0 is the initial state, no week yet
    if ts.empty:
        raise WomsimError("timeseries: no simulated week (only step 0)")
    rows: list[dict] = []
    last = int(ts["step"].max())

    # 1. positive : negative private WOM over all weeks
    per_run = ts.groupby(["strategy", "replicate"], sort=False)[["wom_positive", "wom_negative"]].sum()
    pooled = per_run.groupby(level="replicate").sum()
    what = (f"sum of delivered private messages with valence > 0 / < 0, weeks 1-{last}; the model counts "
            "messages per tie reached, surveys count WOM episodes recalled per person")

    def ratio_row(label: str, pos: pd.Series, neg: pd.Series, scope: str) -> dict:
        ratio = _ratio(pos, neg)
        m, lo, hi = mean_ci(ratio)
        if math.isfinite(m):
            dist = f"measured / 3 = {m / 3:.2f}, CI {'includes' if lo <= 3.0 <= hi else 'excludes'} 3"
        else:
            dist = "no replicate with negative WOM, ratio undefined"
        return _fact(label, ratio, "about 3:1 (positive more frequent)", SOURCE_EAST, 1.0, +1,
                     f"direction as East et al. report it across their studies; magnitude reported, not tested: "
                     f"{dist}", scope, what)

    n_strategies = per_run.index.get_level_values("strategy").nunique()
    rows.append(ratio_row("positive : negative WOM, all strategies", pooled["wom_positive"], pooled["wom_negative"],
                          f"all {n_strategies} strategies pooled per replicate"))
    for s in _strategy_order(per_run.index.get_level_values("strategy")):
        g = per_run.xs(s, level="strategy")
        rows.append(ratio_row(f"positive : negative WOM, {s}", g["wom_positive"], g["wom_negative"],
                              f"strategy {s}"))

    pair = ts.loc[ts["strategy"].isin(REQUIRED_STRATEGIES)]

    # 2. hype raises early sales: customers at the end of the early window
    mask, wtext = _window(pair, e_lo, e_hi)
    early = pair.loc[mask]
    end = early.groupby(["strategy", "seed"])["step"].transform("max") == early["step"]
    cust = early.loc[end].set_index(["strategy", "seed"])["customers"]
    row = _fact("hype - broadcast: customers, end of early window", _paired(cust), "positive (hype sells more early)",
                SOURCE_HYPE_SALES, 0.0, +1,
                f"share of consumers who bought at least once, at the last of {wtext}, hype minus broadcast on the "
                "same seed", _levels(cust))
    rows.append(row)

    # 3. ... and later negative WOM: share of negative messages in the late window
    mask, wtext = _window(pair, l_lo, l_hi)
    late = pair.loc[mask].groupby(["strategy", "seed"])[["wom_positive", "wom_negative"]].sum()
    total = late["wom_positive"] + late["wom_negative"]
    share = late["wom_negative"].astype(float) / total.where(total > 0)
    row = _fact("hype - broadcast: share of negative WOM, late window", _paired(share),
                "positive (hype breeds negative WOM)", SOURCE_HYPE_WOM, 0.0, +1,
                f"wom_negative / (wom_positive + wom_negative) summed over {wtext}, hype minus broadcast on the same "
                "seed", _levels(share))
    rows.append(row)

    # 4. hype costs trust: trust at the last week
    end = pair.groupby(["strategy", "seed"])["step"].transform("max") == pair["step"]
    trust = pair.loc[end].set_index(["strategy", "seed"])["trust"]
    row = _fact("hype - broadcast: trust, last week", _paired(trust), "negative (over-claiming costs credibility)",
                SOURCE_TRUST, 0.0, -1,
                f"mean trust of all consumers at week {last}, hype minus broadcast on the same seed", _levels(trust))
    rows.append(row)
    return _table(rows)


# ---------------------------------------------------------------------------- wear-out


def wearout_runs(budgets: Sequence[float] = WEAROUT_BUDGETS, n_consumers: int = 2000, weeks: int = 4,
                 replicates: int = 5, seed: int = WEAROUT_SEED, *, reference: bool = False,
                 params: Mapping[str, Any] | None = None, progress: bool = False) -> pd.DataFrame:
    """Run the wear-out experiment; one row per condition x budget x replicate.

    Every run is :func:`simulation.research.tasks.run_simulation` with :data:`WEAROUT_BASE`,
    ``budget``, ``n_consumers``, ``steps = weeks`` and ``params`` (extra parameters,
    applied last). Replicate r uses ``run_seed(seed, r)`` at every budget (common random
    numbers: budgets are paired by seed). With ``reference=True`` every run is repeated with
    :data:`WEAROUT_REFERENCE` (wear-out and reactance off) as condition
    ``"wear-out and reactance off"``.

    Columns: ``condition``, ``budget``, ``exposures`` (= budget x weeks, the expected ad
    impressions per consumer), ``replicate``, ``seed``, ``attitude`` (mean attitude of *all*
    consumers after ``weeks``: ``mean_attitude`` x ``awareness``, since only exposed
    consumers are aware and the unaware keep attitude 0), ``per_exposure`` (= attitude /
    exposures: attitude gained per impression), ``attitude_aware``, ``awareness``, ``trust``.

    Examples
    --------
    >>> runs = wearout_runs(budgets=(1,), n_consumers=50, weeks=2, replicates=1)
    >>> runs[["condition", "budget", "exposures", "replicate"]].values.tolist()
    [['model', 1.0, 2.0, 0]]
    """
    budgets = [float(b) for b in budgets]
    if not budgets or any(not (math.isfinite(b) and b > 0) for b in budgets):
        raise WomsimError(f"wear-out budgets = {budgets}: need at least one, all > 0")
    for name, value in (("weeks", weeks), ("replicates", replicates), ("n_consumers", n_consumers)):
        if int(value) < 1:
            raise WomsimError(f"wear-out {name} = {value}: allowed a whole number >= 1")
    conditions = [(MODEL_CONDITION, {})] + ([(REFERENCE_CONDITION, WEAROUT_REFERENCE)] if reference else [])
    jobs = [(c, extra, b, r) for c, extra in conditions for b in budgets for r in range(int(replicates))]

    rows = []
    for cond, extra, b, r in tqdm(jobs, desc="wear-out", unit="run", disable=not progress, file=sys.stderr,
                                  dynamic_ncols=True):
        p = {**WEAROUT_BASE, "n_consumers": int(n_consumers), "steps": int(weeks), "budget": b, **extra,
             **(params or {})}
        sd = run_seed(seed, r)
        last = run_simulation(p, sd).iloc[-1]
        rows.append({"condition": cond, "budget": b, "exposures": b * int(weeks), "replicate": r, "seed": sd,
                     "attitude_aware": float(last["mean_attitude"]), "awareness": float(last["awareness"]),
                     "trust": float(last["trust"])})
    runs = pd.DataFrame(rows)
    runs["attitude"] = runs["attitude_aware"] * runs["awareness"]
    runs["per_exposure"] = runs["attitude"] / runs["exposures"]
    return runs


def summarise_wearout(runs: pd.DataFrame) -> pd.DataFrame:
    """Per condition and budget: mean and 95 % CI of ``attitude`` and ``per_exposure``.

    Columns ``condition``, ``budget``, ``exposures``, ``n``, then ``attitude_mean``,
    ``attitude_lo``, ``attitude_hi``, ``per_exposure_mean``, ``per_exposure_lo``,
    ``per_exposure_hi`` (one vectorised :func:`simulation.research.stats.summarise`).
    """
    s = summarise(runs, ["condition", "budget"], ["attitude", "per_exposure"])
    exposures = runs.groupby(["condition", "budget"])["exposures"].first().to_numpy()
    s.insert(2, "exposures", exposures)
    s.insert(3, "n", s.pop("attitude_n"))
    s = s.drop(columns="per_exposure_n")
    order = {MODEL_CONDITION: 0, REFERENCE_CONDITION: 1}
    return s.sort_values(["condition", "budget"], key=lambda c: c.map(order) if c.name == "condition" else c,
                         ignore_index=True)


def wearout_curve(budgets: Sequence[float] = WEAROUT_BUDGETS, n_consumers: int = 2000, weeks: int = 4,
                  replicates: int = 5, seed: int = WEAROUT_SEED, *, reference: bool = False,
                  params: Mapping[str, Any] | None = None, progress: bool = False) -> pd.DataFrame:
    """Attitude gained per ad exposure, per budget (see :func:`wearout_runs`, :func:`summarise_wearout`).

    Wear-out means ``per_exposure_mean`` falls as ``exposures`` rise (Cacioppo & Petty
    1979; Pechmann & Stewart 1988); with reactance the total ``attitude_mean`` can fall
    too (inverted U).
    """
    return summarise_wearout(wearout_runs(budgets, n_consumers, weeks, replicates, seed, reference=reference,
                                          params=params, progress=progress))


def wearout_facts(runs: pd.DataFrame) -> pd.DataFrame:
    """Fact 5 from :func:`wearout_runs`: two rows, columns :data:`FACT_COLUMNS`.

    * "ad effect per exposure falls with repetition": per seed, ``per_exposure`` at the
      highest budget / at the lowest (published direction: < 1);
    * "total ad effect rises, then falls": the budget where the mean total attitude peaks
      (no interval). ``consistent`` is True when the peak is inside the budget range and the
      paired drop from the peak to the highest budget has a 95 % CI above 0; False when the
      peak is at the highest budget (no fall within the range); None otherwise.
    """
    model = runs.loc[runs["condition"] == MODEL_CONDITION]
    wide = model.pivot_table(index="seed", columns="budget", values="per_exposure")
    b_lo, b_hi = float(wide.columns.min()), float(wide.columns.max())
    weeks = model["exposures"].iloc[0] / model["budget"].iloc[0]
    setting = (f"broadcast only, {WEAROUT_BASE['network']} network, nobody aware at start, no purchases, "
               f"no public reading; {weeks:g} weeks, seeds paired across budgets")
    base = wide[b_lo].where(wide[b_lo] > 0)  # a ratio to a non-positive effect means nothing
    ratio = (wide[b_hi] / base).to_numpy() if b_hi > b_lo else np.array([np.nan])
    steps = np.diff(wide.mean().to_numpy())
    mono = ("the mean effect per exposure falls at every step of the budget grid" if (steps < 0).all()
            else "the mean effect per exposure does not fall at every step of the budget grid")
    ref = runs.loc[runs["condition"] == REFERENCE_CONDITION]
    ref_text = ""
    if not ref.empty and b_hi > b_lo:
        rw = ref.pivot_table(index="seed", columns="budget", values="per_exposure")
        rm = mean_ci((rw[b_hi] / rw[b_lo].where(rw[b_lo] > 0)).to_numpy())[0]
        ref_text = (f"with wear-out and reactance off the ratio is {rm:.3g}: that part of the fall is saturation "
                    "toward the claim and forgetting, not wear-out")
    row = _fact("ad effect per exposure, highest / lowest budget", ratio, "< 1 (wear-out)", SOURCE_WEAROUT,
                1.0, -1,
                f"attitude of all consumers per expected impression at budget {b_hi:g} vs {b_lo:g} per consumer and "
                "week (per seed); a ratio < 0 means the ads turned attitude negative (reactance)", mono, ref_text,
                setting)

    total = model.pivot_table(index="seed", columns="budget", values="attitude")
    curve = total.mean()
    peak = float(curve.idxmax())
    peaks = total.idxmax(axis=1)
    drop = (total[peak] - total[b_hi]).to_numpy()
    m, lo, hi = mean_ci(drop)
    n = int(np.isfinite(drop).sum())
    if peak == b_hi:
        consistent, verdict = False, "the total still rises at the highest budget: no fall within the range"
    elif peak == b_lo:
        consistent, verdict = None, "the total falls from the lowest budget on: no rise seen, widen the range"
    else:
        consistent = _side(lo, hi, n, 0.0, +1)
        verdict = (f"peak inside the range; total at the peak minus at budget {b_hi:g}: {m:.3g} [{lo:.3g}, {hi:.3g}]"
                   + ("" if consistent else " (interval not wholly above 0: undetermined)"))
    peak_row = {"fact": "total ad effect peaks at budget (inverted U)", "measured": peak, "ci_lo": np.nan,
                "ci_hi": np.nan, "published": "rises, then falls (inverted U)", "source": SOURCE_REACTANCE,
                "consistent": consistent,
                "note": (f"measured = weekly budget (impressions per consumer) with the highest mean attitude of all "
                         f"consumers, = {peak * weeks:g} exposures per consumer; no interval (a location); "
                         f"{_peaks(peaks)}; consistent = peak inside "
                         f"the range and the paired drop after it has a CI wholly above 0: {verdict}; {setting}; "
                         f"n = {len(total)} replicates")}
    return _table([row, peak_row])


# ---------------------------------------------------------------------------- double jeopardy


def double_jeopardy_runs(spreads: Sequence[float] = DJ_DEFAULTS["spreads"], n_consumers: int = 2000,
                         weeks: int = 104, window: int = 52, replicates: int = 10, seed: int = 1990, *,
                         params: Mapping[str, Any] | None = None, progress: bool = False) -> pd.DataFrame:
    """Run the double-jeopardy sweep; one row per spread x replicate x brand.

    Every run has :data:`DJ_BASE`, ``rival_quality_spread`` = the spread, ``n_consumers``,
    ``steps = weeks`` and ``params`` (applied last). The model runs ``weeks - window`` weeks,
    the purchase counts are copied, and it runs the last ``window`` weeks; the brand measures
    are those of the window (:func:`simulation.core.metrics.brand_table` with ``since``).
    Replicate r uses ``run_seed(seed, r)`` at every spread (common random numbers).

    Columns: ``spread``, ``replicate``, ``seed``, ``brand``, ``quality``, ``quality_rank``
    (0 = the lowest quality of the run), then the columns of ``brand_table``.

    Examples
    --------
    >>> runs = double_jeopardy_runs(spreads=(0.4,), n_consumers=60, weeks=3, window=2, replicates=1)
    >>> runs["brand"].tolist(), runs["quality_rank"].tolist()
    ([0, 1, 2, 3, 4], [2, 0, 1, 3, 4])
    """
    spreads = [float(x) for x in spreads]
    if not spreads or any(not math.isfinite(x) for x in spreads):
        raise WomsimError(f"double jeopardy spreads = {spreads}: need at least one finite value")
    for name, value in (("weeks", weeks), ("window", window), ("replicates", replicates),
                        ("n_consumers", n_consumers)):
        if int(value) < 1:
            raise WomsimError(f"double jeopardy {name} = {value}: allowed a whole number >= 1")
    if int(window) > int(weeks):
        raise WomsimError(f"double jeopardy window = {window} > weeks = {weeks}: the window is the last weeks of "
                          "the run")
    jobs = [(x, r) for x in spreads for r in range(int(replicates))]
    frames = []
    for x, r in tqdm(jobs, desc="double jeopardy", unit="run", disable=not progress, file=sys.stderr,
                     dynamic_ncols=True):
        p = Params(**{**DJ_BASE, "n_consumers": int(n_consumers), "steps": int(weeks), "rival_quality_spread": x,
                      **(params or {})})
        sd = run_seed(seed, r)
        model = create_model(p, rng=sd)
        model.run(int(weeks) - int(window))
        start = model.state.purchases.copy()
        model.run(int(window))
        table = pd.DataFrame(brand_table(model, since=start))
        quality = np.concatenate([[p.quality], rival_qualities(p)])
        table.insert(1, "quality", quality)
        table.insert(2, "quality_rank", np.argsort(np.argsort(quality, kind="stable"), kind="stable"))
        for i, (key, value) in enumerate((("spread", x), ("replicate", r), ("seed", sd))):
            table.insert(i, key, value)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def rank_correlations(runs: pd.DataFrame, measures: Sequence[str] = tuple(DJ_MEASURES)) -> pd.DataFrame:
    """Per run (spread, seed): Spearman's rank correlation across brands between
    ``penetration`` and each measure, and the log-log slope of ``purchase_frequency`` on
    ``penetration`` (least squares across the brands: how much faster frequency changes
    than penetration; double jeopardy says much slower, a slope well below 1).

    Brands without buyers in the window (NaN measures) are left out; a run with fewer than 3
    brands left gets NaN. Columns: ``spread``, ``seed``, ``rho_<measure>`` ..., ``slope``.

    Examples
    --------
    >>> runs = pd.DataFrame({"spread": 0.2, "seed": 1, "penetration": [0.1, 0.2, 0.4],
    ...                      "purchase_frequency": [2.0, 2.2, 2.1], "scr": [0.2, 0.3, 0.4]})
    >>> rank_correlations(runs).round(3).iloc[0].tolist()
    [0.2, 1.0, 0.5, 1.0, 0.035]
    """
    def per_run(g: pd.DataFrame) -> pd.Series:
        out = {f"rho_{m}": g["penetration"].corr(g[m], method="spearman", min_periods=3) for m in measures}
        ok = (g["penetration"] > 0) & (g["purchase_frequency"] > 0)
        x, y = np.log(g.loc[ok, "penetration"]), np.log(g.loc[ok, "purchase_frequency"])
        out["slope"] = float(np.polyfit(x, y, 1)[0]) if ok.sum() >= 3 and np.ptp(x) > 0 else math.nan
        return pd.Series(out)

    cols = ["penetration", *dict.fromkeys([*measures, "purchase_frequency"])]
    return runs.groupby(["spread", "seed"], sort=False)[cols].apply(per_run).reset_index()


def double_jeopardy_facts(runs: pd.DataFrame) -> pd.DataFrame:
    """Fact 6 from :func:`double_jeopardy_runs`: one row per measure of :data:`DJ_MEASURES`.

    ``measured`` is the mean over runs (every spread and seed) of the within-run Spearman
    correlation between penetration and the measure across the brands, with its t-interval
    across runs (kept in [-1, 1]); ``consistent`` when that interval lies wholly above 0
    (the published direction). The note gives the mean per spread, the correlation of all
    brand x run points pooled, and, for purchase frequency, the log-log slope on
    penetration (magnitude: reported, not tested).
    """
    cors = rank_correlations(runs)
    n_brands = int(runs.groupby(["spread", "seed"])["brand"].nunique().max())
    spreads = ", ".join(f"{x:g}" for x in runs["spread"].unique())
    setting = (f"{n_brands} brands differing only in quality (rival_quality_spread {spreads}), scenario "
               f"{DJ_BASE['scenario']}, all honest broadcast at the same budget; per brand over the window of each "
               "run; seeds paired across spreads")
    rows = []
    for m, label in DJ_MEASURES.items():
        per_spread = cors.groupby("spread", sort=False)[f"rho_{m}"].mean()
        by_spread = "mean per spread: " + ", ".join(f"{x:g}: {v:.2f}" for x, v in per_spread.items())
        pooled = runs["penetration"].corr(runs[m], method="spearman")
        details = [f"measured = Spearman correlation across the brands of one run between penetration (share of "
                   f"consumers who bought the brand in the window) and {label} "
                   + ("(purchases / buyers)" if m == "purchase_frequency" else
                      "(its purchases / all brand purchases of its buyers)") + ", averaged over runs",
                   by_spread, f"all brand x run points pooled: {pooled:.2f}"]
        if m == "purchase_frequency":
            sm, slo, shi = mean_ci(cors["slope"])
            details.append(f"magnitude reported, not tested: log-log slope of frequency on penetration {sm:.2f} "
                           f"[{slo:.2f}, {shi:.2f}] (published: frequency varies only slightly, a slope well "
                           "below 1)")
        details.append(setting)
        row = _fact(f"double jeopardy: penetration vs {label}", cors[f"rho_{m}"],
                    f"positive rank correlation (lower penetration, lower {label})", SOURCE_DJ, 0.0, +1,
                    *details, bounds=SIGNED_RANGE, unit="runs")
        rows.append(row)
    return _table(rows)


def summarise_double_jeopardy(runs: pd.DataFrame) -> pd.DataFrame:
    """Per spread and quality rank: mean quality and mean [95 % CI] over seeds of
    ``penetration``, ``purchase_frequency``, ``scr``, ``market_share`` and ``loyalty``
    (:func:`simulation.research.stats.summarise`)."""
    s = summarise(runs, ["spread", "quality_rank"], ["penetration", "purchase_frequency", "scr", "market_share",
                                                     "loyalty"])
    quality = runs.groupby(["spread", "quality_rank"])["quality"].mean().to_numpy()
    s.insert(2, "quality", quality)
    n = s.pop("penetration_n")
    s = s.drop(columns=[c for c in s.columns if c.endswith("_n")])
    s.insert(3, "n", n)
    return s.sort_values(["spread", "quality_rank"], ignore_index=True)


def _table(rows: list[dict]) -> pd.DataFrame:
    """Rows -> facts frame; ``consistent`` stays object (Python True/False/None), also when no row is None."""
    df = pd.DataFrame(rows, columns=FACT_COLUMNS)
    df["consistent"] = df["consistent"].astype(object)
    return df


def _peaks(peaks: pd.Series) -> str:
    if peaks.empty:
        return "no replicate"
    lo, hi = float(peaks.min()), float(peaks.max())
    return f"every replicate peaks at budget {lo:g}" if lo == hi else f"replicates peak at budgets {lo:g}-{hi:g}"


# ---------------------------------------------------------------------------- all facts


@dataclass
class FactsResult:
    """Facts 1-6 of one headline timeseries, the wear-out curve, the brands of the
    double-jeopardy sweep (:func:`double_jeopardy_runs`), and the settings used."""

    facts: pd.DataFrame
    curve: pd.DataFrame
    early_weeks: tuple[int, int]
    late_weeks: tuple[int, int]
    wearout: dict[str, Any]
    brands: pd.DataFrame | None = None
    double_jeopardy: dict[str, Any] | None = None


#: The headline runs both scenarios; the facts read the established brand's runs, the
#: setting of the field studies they are compared with (mature brands in their markets).
FACTS_SCENARIO = "established"


def one_scenario(ts: pd.DataFrame, scenario: str = FACTS_SCENARIO, source: str | Path = "timeseries") -> pd.DataFrame:
    """The rows of ``scenario`` if ``ts`` has a ``scenario`` column (the v2 headline), else ``ts``."""
    if "scenario" not in ts.columns:
        return ts
    have = sorted(ts["scenario"].astype(str).unique())
    if scenario not in have:
        raise WomsimError(f"{source}: no run of scenario {scenario!r} (has {', '.join(have)}); "
                          "run `python run.py` first (the headline comparison writes both scenarios)")
    return ts.loc[ts["scenario"] == scenario].reset_index(drop=True)


def read_timeseries(headline_dir: str | Path, scenario: str = FACTS_SCENARIO) -> tuple[pd.DataFrame, Path]:
    """Read ``headline_dir/timeseries.csv`` (or the CSV itself), keep ``scenario``'s runs
    (:func:`one_scenario`) and check them; (frame, path)."""
    d = Path(headline_dir)
    path = d if d.suffix == ".csv" else d / "timeseries.csv"
    hint = "run `python run.py` first (the headline comparison writes it)"
    if not path.is_file():
        raise WomsimError(f"{path}: no headline timeseries there; {hint}")
    try:
        ts = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise WomsimError(f"{path}: not a readable timeseries CSV ({exc}); {hint}") from None
    ts = one_scenario(ts, scenario, path)
    check_timeseries(ts, path)
    return ts, path


def all_facts(ts: pd.DataFrame, *, early_weeks=(1, 13), late_weeks=(53, 104),
              wearout: Mapping[str, Any] | None = None, double_jeopardy: Mapping[str, Any] | None = None,
              progress: bool = True) -> FactsResult:
    """Facts 1-4 of ``ts`` (:func:`stylized_facts`), fact 5 from the wear-out experiment and
    fact 6 from the double-jeopardy sweep.

    ``wearout``: keyword arguments of :func:`wearout_runs` over :data:`WEAROUT_DEFAULTS`
    (e.g. ``{"n_consumers": 300}``); the reference condition is always run.
    ``double_jeopardy``: keyword arguments of :func:`double_jeopardy_runs` over
    :data:`DJ_DEFAULTS`.
    """
    early, late = _check_window("early_weeks", early_weeks), _check_window("late_weeks", late_weeks)
    facts = stylized_facts(ts, early_weeks=early, late_weeks=late)
    wo = {**WEAROUT_DEFAULTS, **(wearout or {})}
    runs = wearout_runs(**{**wo, "reference": True, "progress": progress})
    dj = {**DJ_DEFAULTS, **(double_jeopardy or {})}
    brands = double_jeopardy_runs(**{**dj, "progress": progress})
    facts = pd.concat([facts, wearout_facts(runs), double_jeopardy_facts(brands)], ignore_index=True)
    return FactsResult(facts, summarise_wearout(runs), early, late, wo, brands, dj)


# ---------------------------------------------------------------------------- test data


def synthetic_timeseries(replicates: int = 3, weeks: int = 104, *, ratio: float = 3.0,
                         hype_customers: float = 0.05, neg_share: tuple[float, float] = (0.25, 0.25),
                         hype_trust: float = -0.04, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """A headline-like timeseries (none, broadcast, hype) whose facts are known.

    ``wom_positive = ratio x wom_negative`` in ``none``; ``neg_share`` = share of negative
    messages every week in (broadcast, hype); hype's ``customers`` exceed broadcast's by
    ``hype_customers`` at every step >= 1, its ``trust`` by ``hype_trust``; ``noise`` adds a
    per-replicate offset (the same in both strategies for customers and trust, so paired
    differences stay exact). Replicate r has seed ``100 + r`` in every strategy.
    """
    rng = np.random.default_rng(seed)
    strategies = ["none", "broadcast", "hype"]
    s, r, t = (a.ravel() for a in np.meshgrid(np.arange(3), np.arange(replicates), np.arange(weeks + 1),
                                             indexing="ij"))
    offset = noise * rng.standard_normal(replicates)[r]
    neg = np.where(t > 0, 10 + (r % 3), 0)
    share = np.select([s == 1, s == 2], [neg_share[0], neg_share[1]], 1.0 / (1.0 + ratio))
    total = neg / share  # exact for the shares used in the tests
    pos = total - neg
    frac = np.minimum(t / max(weeks, 1), 1.0)
    customers = 0.5 * frac + offset + np.where((s == 2) & (t > 0), hype_customers, 0.0)
    trust = 0.5 + offset + np.where((s == 2) & (t > 0), hype_trust, 0.0)
    return pd.DataFrame({"strategy": np.array(strategies)[s], "replicate": r, "seed": 100 + r, "step": t,
                         "wom_positive": pos, "wom_negative": neg.astype(float), "customers": customers,
                         "trust": trust})
