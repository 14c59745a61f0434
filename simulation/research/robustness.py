"""Robustness of the headline: the comparison re-run over the calibrated parameters' uncertainty
(docs/ODD.md, 4.13 Robustness of the headline).

The calibration's fit (``python run.py calibrate --fit``) writes ``draws.csv``: one row per
draw from the uncertainty of the fitted parameters, one column per free parameter, and
``fit.json`` beside it with the point ``estimate``. For every draw (its values over the base
parameters of ``experiments/headline.toml``), every design point of the headline (the
scenarios ``launch`` and ``established``), every strategy and ``replicates`` seeds, this module
runs the headline's runs (:func:`simulation.research.headline.paired_tasks`, outcomes of
:func:`simulation.research.headline.run_outcomes` and the paired incremental ROI), and asks per
(draw, scenario) which strategy wins.

Common random numbers: replicate r runs on seed ``run_seed(seed, r)`` in every draw, scenario
and strategy (and at the estimate), so the strategies of one draw are compared pair by pair,
and two draws differ by their parameters, not by their random numbers.

The rules (:func:`winners`, :func:`win_table`, :func:`pair_table`):

* **winner** of a (draw, scenario) and outcome: the strategy with the highest mean over the
  replicates (:func:`simulation.research.headline.leaders`: only strategies with a value in at
  least half of the replicates compete; ``none`` does not compete in ``incremental_roi``). The
  **margin** is the paired difference winner - runner-up over the replicates (same seed), with
  its 95 % t-interval; the win is **clear** when that interval excludes 0.
* **ties**: when the two highest means are equal (to a relative :data:`TIE_RTOL`: equal up to
  rounding, e.g. two strategies that act the same under the draw's parameters), nobody wins
  that draw; it is counted in the row ``(tie)`` and stays in the denominator. A draw in which
  fewer than two strategies have a value has no winner, row ``(no winner)``.
* **share of draws won**: wins / draws with a Wilson 95 % interval (:func:`wilson_interval`,
  inside [0, 1] by construction, sound at 0 and at n wins, where the Wald interval collapses).
  The draws are taken as a sample of the parameters' uncertainty; the interval is about the
  finite number of draws, given the replicates' seeds (the same in every draw, so the seeds'
  noise is shared by all draws and not in this interval). With few replicates per draw, the
  winner of a close draw is partly that noise: the count of clear wins says how many wins are not.
* **mean outcome over draws**: the mean over draws of each draw's mean over replicates, its
  standard deviation across draws and the central 95 % of draws (2.5 and 97.5 percentiles).
* **dialogue vs broadcast**: per (draw, scenario) the paired mean difference dialogue -
  broadcast over the replicates; dialogue beats broadcast in a draw when it is > 0 (the same
  Wilson interval for the share of draws; clear when its t-interval excludes 0).
* **at the estimate**: the same runs at the fit's point estimate, reported beside the draws.

Examples
--------
>>> lo, hi = wilson_interval(41, 50)
>>> round(lo, 3), round(hi, 3)
(0.692, 0.902)
>>> wilson_interval(0, 10)[0], wilson_interval(10, 10)[1]
(0.0, 1.0)
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from simulation.core.params import PARAMETERS, Params, check_value, closest
from simulation.errors import WomsimError
from simulation.research import headline as H
from simulation.research.executors import run_tasks
from simulation.research.experiment import Experiment, load_experiment
from simulation.research.provenance import REPO_ROOT, display_path, graphs_used
from simulation.research.stats import mean_ci
from simulation.research.summaries import incremental_roi
from simulation.research.tasks import Task, run_task

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_REPLICATES",
    "ESTIMATE",
    "OUTCOMES",
    "QUICK",
    "Draws",
    "RobustnessResult",
    "draw_means",
    "headline_for",
    "outcome_run",
    "pair_table",
    "read_draws",
    "read_estimate",
    "robustness_tasks",
    "run_robustness",
    "win_table",
    "wilson_interval",
    "winners",
]

#: Where ``python run.py calibrate --fit`` writes its draws (and ``fit.json`` beside them).
DEFAULT_DRAWS = REPO_ROOT / "results" / "calibration" / "fit" / "draws.csv"
FIT_FILE = "fit.json"
#: Replicates per (draw, scenario, strategy) by default: 50 draws x 2 scenarios x 6 strategies x 4
#: replicates + the estimate's 48 = 2,448 runs of 2,000 consumers and 104 weeks, about 6.5 to 7 minutes
#: on 2 idle cores (0.31 to 0.35 s of CPU per run; README, "Robustness of the headline"). 4 rather than 3: the
#: t-quantile of a margin's paired interval drops from 4.30 to 3.18, for a third more time.
DEFAULT_REPLICATES = 4
#: ``--quick``: a smoke run (small market, a year, the first draws), not the published check.
QUICK = {"n_consumers": 300, "steps": 52, "replicates": 2, "max_draws": 5}
#: An optional column of draws.csv that numbers the draws (every other column is a parameter).
DRAW_COLUMN = "draw"
#: The ``draw`` label of the runs at the fit's point estimate.
ESTIMATE = "estimate"
#: Outcomes whose winners are counted: the headline's leading metrics, the late market share first.
OUTCOMES = H.LEAD_METRICS
PRIMARY = H.SHARE_COLUMN
#: Relative tolerance under which the two highest means are a tie (equal up to rounding).
TIE_RTOL = 1e-12
TIE, NO_WINNER = "(tie)", "(no winner)"
#: Parameters a draw may not set: the design of the comparison and its sizes.
RESERVED = ("strategy", "scenario", "steps", "n_consumers", "engine")


# ---------------------------------------------------------------------------- the draws


@dataclass(frozen=True)
class Draws:
    """The validated draws file: one dict of parameter values per draw, the draws' ids, the
    file's path and sha256, and the fit's point estimate (``fit.json`` beside it), if any."""

    path: Path
    sha256: str
    names: tuple[str, ...]
    values: tuple[dict[str, Any], ...]
    ids: tuple[int, ...]
    estimate: dict[str, Any] | None = None
    estimate_path: Path | None = None
    total: int = 0  # rows in the file (values may hold only the first --max-draws of them)

    def __len__(self) -> int:
        return len(self.values)


def _check_name(name: str, where: str) -> None:
    if name in RESERVED:
        raise WomsimError(f"{where}: column '{name}' is set by the robustness experiment itself "
                          f"({', '.join(RESERVED)} are not drawn); remove it")
    if name not in PARAMETERS:
        near = closest(name, PARAMETERS)
        hint = f" (did you mean '{near}'?)" if near else "; every column must be a parameter name (run.py params)"
        raise WomsimError(f"{where}: unknown column {name!r}{hint}")


def read_draws(path: str | Path = DEFAULT_DRAWS, max_draws: int | None = None,
               estimate: bool = True) -> Draws:
    """Read and validate a draws file; one-line :class:`WomsimError` on anything wrong.

    The file is a CSV with a header of parameter names (:mod:`simulation.core.params`) and an
    optional :data:`DRAW_COLUMN` numbering the draws, one row per draw. Refused: a missing file
    (saying to run the fit first), an empty file or one without any draw, an unknown column
    (with the closest parameter name), a column the experiment sets itself (:data:`RESERVED`),
    a column given twice, a row with the wrong number of cells, a value that is not allowed for
    its parameter (named by row and column: the declared range of ``params.py``), and a draw
    whose values break a rule between parameters. ``max_draws`` keeps the first K draws (the
    draws of a fit are exchangeable). With ``estimate``, ``fit.json`` beside the file gives the
    point estimate (:func:`read_estimate`; none if there is no such file).
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise WomsimError(f"draws file '{path}' {what}: run `python run.py calibrate --fit` first "
                          "(it writes results/calibration/fit/draws.csv), or give --draws FILE")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WomsimError(f"draws file '{path}' is not a UTF-8 text file (expected a CSV)") from None
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if not rows:
        raise WomsimError(f"draws file '{path}' is empty: expected a header of parameter names and one row per draw")
    header = [c.strip() for c in rows[0]]
    for i, name in enumerate(header):
        if name in header[:i]:
            raise WomsimError(f"{path}: column '{name}' appears more than once")
        if name != DRAW_COLUMN:
            _check_name(name, str(path))
    names = tuple(n for n in header if n != DRAW_COLUMN)
    if not names:
        raise WomsimError(f"{path}: no parameter column (the header is {','.join(header)})")
    if len(rows) == 1:
        raise WomsimError(f"draws file '{path}' has a header but no draw")
    values, ids = [], []
    for k, row in enumerate(rows[1:], start=1):
        where = f" ({path}, row {k})"
        if len(row) != len(header):
            raise WomsimError(f"{path}, row {k}: {len(row)} cells for {len(header)} columns")
        cells = dict(zip(header, (c.strip() for c in row)))
        draw = {n: check_value(n, cells[n], where) for n in names}
        try:
            Params(**draw)
        except WomsimError as exc:
            raise WomsimError(f"{path}, row {k}: {exc}") from None
        ident = k - 1
        if DRAW_COLUMN in cells:
            try:
                ident = int(cells[DRAW_COLUMN])
            except ValueError:
                raise WomsimError(f"{path}, row {k}: {DRAW_COLUMN} = {cells[DRAW_COLUMN]!r} is not a whole "
                                  "number") from None
        values.append(draw)
        ids.append(ident)
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup is not None:
        raise WomsimError(f"{path}: {DRAW_COLUMN} {dup} appears more than once")
    total = len(values)
    if max_draws is not None:
        if int(max_draws) < 1:
            raise WomsimError(f"--max-draws = {max_draws}: allowed a whole number >= 1")
        values, ids = values[:max_draws], ids[:max_draws]
    est_path = path.with_name(FIT_FILE)
    est = read_estimate(est_path, names) if estimate and est_path.is_file() else None
    return Draws(path, hashlib.sha256(data).hexdigest(), names, tuple(values), tuple(ids), est,
                 est_path if est is not None else None, total)


def read_estimate(path: str | Path, names: Sequence[str]) -> dict[str, Any]:
    """The point estimate of ``fit.json`` (its ``"estimate"``: parameter -> value), checked like
    a draw, with the same parameters as the draws (a different set means files of two fits)."""
    path = Path(path)
    try:
        fit = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WomsimError(f"{path}: not a readable JSON file ({exc})") from None
    est = fit.get("estimate") if isinstance(fit, Mapping) else None
    if not isinstance(est, Mapping) or not est:
        raise WomsimError(f"{path}: no \"estimate\" table of parameter values")
    for name in est:
        _check_name(name, f"{path}, estimate")
    if set(est) != set(names):
        missing = sorted(set(names) - set(est)) or sorted(set(est) - set(names))
        raise WomsimError(f"{path}: the estimate and the draws set different parameters ({', '.join(missing)}): "
                          "files of two different fits?")
    values = {n: check_value(n, est[n], f" ({path}, estimate)") for n in names}
    try:
        Params(**values)
    except WomsimError as exc:
        raise WomsimError(f"{path}, estimate: {exc}") from None
    return values


# ---------------------------------------------------------------------------- the runs


def outcome_run(task: Task) -> pd.DataFrame:
    """One run reduced to its headline outcomes (a worker sends back one row, not 105)."""
    return H.run_outcomes(run_task(task), [*task.labels, "seed"])


def robustness_tasks(exp: Experiment, draws: Sequence[Mapping[str, Any]], ids: Sequence[Any]) -> list[Task]:
    """The headline's paired tasks of ``exp`` once per draw (its values over ``exp.base``), labelled
    ``draw`` first: the same seeds ``run_seed(exp.seed, r)`` in every draw."""
    out = []
    for ident, values in zip(ids, draws):
        e = dataclasses.replace(exp, base={**exp.base, **values})
        for t in H.paired_tasks(e):
            out.append(Task(t.params, t.seed, {DRAW_COLUMN: ident, **t.labels}, run_id=f"d{ident}-{t.run_id}",
                            point=t.point))
    return out


@dataclass
class RobustnessResult:
    """The runs and their tables.

    ``runs``: one row per draw x design point x strategy x replicate, with the draw's parameter
    values and the outcomes; ``estimate_runs`` the same at the estimate (or None); ``winners``
    per (draw, design point, outcome) from :func:`winners`; ``wins`` from :func:`win_table`;
    ``pairs`` from :func:`pair_table`; ``meta`` what was run; ``estimate_winners`` the winners at
    the estimate (or None).
    """

    runs: pd.DataFrame
    estimate_runs: pd.DataFrame | None
    winners: pd.DataFrame
    wins: pd.DataFrame
    pairs: pd.DataFrame
    design: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    estimate_winners: pd.DataFrame | None = None

    def estimate_winners_of(self, point: Mapping[str, Any], outcome: str) -> dict[str, Any] | None:
        """The row of :attr:`estimate_winners` at one design point and outcome (None without an estimate)."""
        if self.estimate_winners is None:
            return None
        rows = H.rows_of(self.estimate_winners, point)
        rows = rows[rows["outcome"] == outcome]
        return rows.iloc[0].to_dict() if len(rows) else None


def headline_for(experiment: str | Path | Experiment | None = None, *, replicates: int | None = None,
                 steps: int | None = None, n_consumers: int | None = None, seed: int | None = None) -> Experiment:
    """The headline's experiment (default ``experiments/headline.toml``) at the robustness sizes."""
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment or H.HEADLINE_FILE)
    for name, value in (("--replicates", replicates), ("--steps", steps), ("--n-consumers", n_consumers)):
        if value is not None and int(value) < 1:
            raise WomsimError(f"{name} = {value}: allowed a whole number >= 1")
    if seed is not None and int(seed) < 0:
        raise WomsimError(f"--seed = {seed}: allowed a whole number >= 0")
    base = dict(exp.base)
    if n_consumers is not None:
        base["n_consumers"] = int(check_value("n_consumers", n_consumers, " (--n-consumers)"))
    return dataclasses.replace(exp, base=base, replicates=int(replicates or DEFAULT_REPLICATES),
                               steps=int(steps or exp.steps), seed=int(exp.seed if seed is None else seed))


def run_robustness(draws: Draws, exp: Experiment, *, workers: int | None = None, scheduler: str | None = None,
                   progress: bool = True) -> RobustnessResult:
    """Run the headline ``exp`` at every draw (and at the estimate), in one pool of runs; the tables.

    ``exp`` carries the sizes (:func:`headline_for`). Runs go through
    :func:`simulation.research.executors.run_tasks` (local workers, or a dask ``scheduler``), with
    a progress bar over runs; the results are in task order, so they do not depend on the workers.
    """
    design = H.design_columns(exp)
    tasks = robustness_tasks(exp, draws.values, draws.ids)
    if draws.estimate is not None:
        tasks += robustness_tasks(exp, [draws.estimate], [ESTIMATE])
    graphs = graphs_used(tasks, say=lambda note: print(note, file=sys.stderr))  # a bad graph fails first
    start = time.perf_counter()
    frames = run_tasks(tasks, workers=workers, progress=progress, desc="robustness", fn=outcome_run,
                       scheduler=scheduler)
    seconds = time.perf_counter() - start
    finals = pd.concat(frames, ignore_index=True)
    finals["incremental_roi"] = incremental_roi(finals, within=[DRAW_COLUMN, *design])
    keys = [DRAW_COLUMN, *design, "strategy", "replicate", "seed"]
    metrics = [m for m in H.TABLE_METRICS if m in finals.columns]
    values = pd.DataFrame([*draws.values, *([draws.estimate] if draws.estimate is not None else [])],
                          columns=list(draws.names))
    values.insert(0, DRAW_COLUMN, [*draws.ids, *([ESTIMATE] if draws.estimate is not None else [])])
    # draws are numbered, the estimate is named: one object column on both sides of the merge
    finals[DRAW_COLUMN] = finals[DRAW_COLUMN].astype(object)
    table = finals[keys + metrics].merge(values.astype({DRAW_COLUMN: object}), on=DRAW_COLUMN, how="left")
    table = table[[*keys, *draws.names, *metrics]]
    at_estimate = table[DRAW_COLUMN].astype(str) == ESTIMATE
    runs = table[~at_estimate].reset_index(drop=True)
    runs[DRAW_COLUMN] = runs[DRAW_COLUMN].astype(int)
    est = table[at_estimate].reset_index(drop=True) if draws.estimate is not None else None
    outcomes = [m for m in OUTCOMES if m in runs.columns]
    won = winners(runs, design, outcomes)
    est_won = winners(est, design, outcomes, draw=False) if est is not None else None
    wins = win_table(runs, won, design, outcomes, estimate=est, estimate_winners=est_won)
    pairs = pair_table(runs, design, outcomes, estimate=est)
    meta = {
        "draws": {"file": display_path(draws.path), "sha256": draws.sha256, "rows": draws.total,
                  "used": len(draws), "ids": list(draws.ids), "parameters": list(draws.names)},
        "estimate": ({"file": display_path(draws.estimate_path), "values": draws.estimate}
                     if draws.estimate is not None else None),
        "experiment": {"name": exp.name, "file": display_path(exp.path) if exp.path else "", "steps": exp.steps,
                       "replicates": exp.replicates, "seed": exp.seed, "n_consumers": exp.base.get("n_consumers"),
                       "strategies": exp.strategies(), "design": design, "points": exp.scenarios()},
        "base": exp.base,
        "seeds": "run_seed(seed, r) for replicate r: the same in every draw, design point and strategy",
        "runs": len(tasks), "graphs": graphs,
        "rules": {"tie_rtol": TIE_RTOL, "interval": "Wilson 95 % for shares of draws; paired t 95 % for margins"},
        "timing_s": {"runs": round(seconds, 2), "per_run": round(seconds / max(1, len(tasks)), 4)},
    }
    return RobustnessResult(runs, est, won, wins, pairs, design, meta, est_won)


# ---------------------------------------------------------------------------- the tables


def wilson_interval(wins: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a share ``wins / n`` (Wilson 1927): inside [0, 1] by construction.

    (NaN, NaN) for ``n = 0``.
    """
    if n <= 0:
        return (math.nan, math.nan)
    z = float(_st.norm.ppf(0.5 + confidence / 2))
    p = wins / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at 0 (or n) wins the end is 0 (1) exactly; centre - half only up to rounding
    lo = 0.0 if wins <= 0 else max(0.0, centre - half)
    hi = 1.0 if wins >= n else min(1.0, centre + half)
    return (lo, hi)


def _groups(df: pd.DataFrame, keys: Sequence[str]):
    """(values tuple, rows) per group of ``keys`` in order of appearance (one group without keys)."""
    if not keys:
        yield (), df
        return
    for point, g in df.groupby(list(keys), sort=False):
        yield (point if isinstance(point, tuple) else (point,)), g


def winners(runs: pd.DataFrame, design: Sequence[str], outcomes: Sequence[str] = OUTCOMES, *,
            draw: bool = True) -> pd.DataFrame:
    """Per draw (if ``draw``), design point and outcome: the winner, the runner-up and the margin.

    Columns: ``draw``, the design columns, ``outcome``, ``winner`` (a strategy, :data:`TIE` or
    :data:`NO_WINNER`), ``runner_up``, ``winner_mean``, ``runner_up_mean``, ``margin``,
    ``margin_lo``, ``margin_hi`` (paired over replicates), ``pairs`` and ``clear`` (the margin's
    interval excludes 0). The ranking is :func:`simulation.research.headline.leaders`'s.
    """
    keys = [*([DRAW_COLUMN] if draw else []), *design]
    rows = []
    for point, g in _groups(runs, keys):
        base = dict(zip(keys, point))
        lead = H.leaders(g, (), metrics=[m for m in outcomes if m in g.columns])
        led = {r["metric"]: r for r in lead.to_dict("records")}
        for m in outcomes:
            r = led.get(m)
            if r is None:
                rows.append({**base, "outcome": m, "winner": NO_WINNER, "runner_up": "", "winner_mean": math.nan,
                             "runner_up_mean": math.nan, "margin": math.nan, "margin_lo": math.nan,
                             "margin_hi": math.nan, "pairs": 0, "clear": False})
                continue
            first, second = r["first_mean"], r["second_mean"]
            tie = abs(first - second) <= TIE_RTOL * max(abs(first), abs(second), 1e-300)
            rows.append({**base, "outcome": m, "winner": TIE if tie else r["first"], "runner_up": r["second"],
                         "winner_mean": first, "runner_up_mean": second, "margin": r["diff"],
                         "margin_lo": r["diff_lo"], "margin_hi": r["diff_hi"], "pairs": r["pairs"],
                         "clear": bool(r["separated"]) and not tie})
    return pd.DataFrame(rows, columns=[*keys, "outcome", "winner", "runner_up", "winner_mean", "runner_up_mean",
                                       "margin", "margin_lo", "margin_hi", "pairs", "clear"])


def draw_means(runs: pd.DataFrame, keys: Sequence[str], outcome: str) -> pd.DataFrame:
    """Mean of ``outcome`` over the replicates, per ``keys`` (e.g. draw, design point and
    strategy; NaN left out): the values whose spread across draws the tables and figures show."""
    return runs.groupby(list(keys), sort=False)[outcome].mean().reset_index()


WIN_COLUMNS = ["outcome", "strategy", "draws", "wins", "share", "share_lo", "share_hi", "clear_wins", "mean", "sd",
               "p2_5", "p97_5", "estimate", "estimate_winner"]


def win_table(runs: pd.DataFrame, won: pd.DataFrame, design: Sequence[str], outcomes: Sequence[str] = OUTCOMES, *,
              estimate: pd.DataFrame | None = None, estimate_winners: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per design point, outcome and strategy: how many draws it wins (share, Wilson 95 %
    interval, clear wins), and its outcome across draws (mean, sd, central 95 % of draws), with
    its mean at the estimate and whether it wins there. Rows :data:`TIE` and :data:`NO_WINNER`
    follow the strategies when a draw had no winner. Columns: the design columns, then
    :data:`WIN_COLUMNS`.
    """
    strategies = list(dict.fromkeys(runs["strategy"]))
    rows = []
    for point, g in _groups(runs, design):
        base = dict(zip(design, point))
        w = H.rows_of(won, base) if design else won
        e = H.rows_of(estimate, base) if estimate is not None and design else estimate
        ew = H.rows_of(estimate_winners, base) if estimate_winners is not None and design else estimate_winners
        for m in outcomes:
            wm = w[w["outcome"] == m]
            n = len(wm)
            means = draw_means(g, [DRAW_COLUMN, "strategy"], m)
            at = e.groupby("strategy", sort=False)[m].mean() if e is not None else pd.Series(dtype=float)
            top = ew.loc[ew["outcome"] == m, "winner"].iloc[0] if ew is not None and len(ew) else None
            for s in [*strategies, TIE, NO_WINNER]:
                k = int((wm["winner"] == s).sum())
                if s in (TIE, NO_WINNER) and k == 0:
                    continue
                x = means.loc[means["strategy"] == s, m].to_numpy(dtype=float) if s in strategies else np.array([])
                x = x[np.isfinite(x)]
                lo, hi = wilson_interval(k, n)
                rows.append({**base, "outcome": m, "strategy": s, "draws": n, "wins": k,
                             "share": k / n if n else math.nan, "share_lo": lo, "share_hi": hi,
                             "clear_wins": int((wm["winner"].eq(s) & wm["clear"]).sum()),
                             "mean": float(x.mean()) if x.size else math.nan,
                             "sd": float(x.std(ddof=1)) if x.size > 1 else math.nan,
                             "p2_5": float(np.percentile(x, 2.5)) if x.size else math.nan,
                             "p97_5": float(np.percentile(x, 97.5)) if x.size else math.nan,
                             "estimate": float(at.get(s, math.nan)), "estimate_winner": top == s})
    return pd.DataFrame(rows, columns=[*design, *WIN_COLUMNS])


PAIR = ("dialogue", "broadcast")
PAIR_COLUMNS = ["outcome", "a", "b", "draws", "a_wins", "ties", "share", "share_lo", "share_hi", "a_clear", "b_clear",
                "mean_diff", "estimate_diff", "estimate_lo", "estimate_hi"]


def _paired(g: pd.DataFrame, keys: Sequence[str], outcome: str, a: str, b: str) -> pd.DataFrame:
    """Per ``keys``: mean paired difference a - b over the replicates (same seed) and its t-interval."""
    wide = g.pivot_table(index=[*keys, "seed"], columns="strategy", values=outcome, aggfunc="first", dropna=False)
    diff = (wide[a] - wide[b]).rename("d").reset_index()
    rows = []
    for point, h in _groups(diff, keys):
        d, lo, hi = mean_ci(h["d"].to_numpy(dtype=float))
        rows.append({**dict(zip(keys, point)), "diff": d, "lo": lo, "hi": hi})
    return pd.DataFrame(rows, columns=[*keys, "diff", "lo", "hi"])


def pair_table(runs: pd.DataFrame, design: Sequence[str], outcomes: Sequence[str] = OUTCOMES, *,
               a: str = PAIR[0], b: str = PAIR[1], estimate: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per design point and outcome: in how many draws ``a`` beats ``b`` (mean paired difference
    over the replicates > 0, ``ties`` where it is 0; share with its Wilson 95 % interval; clear when the difference's
    t-interval excludes 0, either way), the mean difference over draws and the difference at
    the estimate with its interval. Empty when the runs lack ``a`` or ``b``. Columns: the design
    columns, then :data:`PAIR_COLUMNS`."""
    if not {a, b} <= set(runs["strategy"]):
        return pd.DataFrame(columns=[*design, *PAIR_COLUMNS])
    rows = []
    for point, g in _groups(runs, design):
        base = dict(zip(design, point))
        e = H.rows_of(estimate, base) if estimate is not None and design else estimate
        for m in outcomes:
            if m == "incremental_roi" and "none" in (a, b):
                continue
            p = _paired(g, [DRAW_COLUMN], m, a, b)
            d = p["diff"].to_numpy(dtype=float)
            n = int(np.isfinite(d).sum())
            k = int((d > 0).sum())
            lo, hi = wilson_interval(k, n)
            est = _paired(e, [], m, a, b).iloc[0] if e is not None else {"diff": math.nan, "lo": math.nan,
                                                                          "hi": math.nan}
            rows.append({**base, "outcome": m, "a": a, "b": b, "draws": n, "a_wins": k, "ties": int((d == 0).sum()),
                         "share": k / n if n else math.nan, "share_lo": lo, "share_hi": hi,
                         "a_clear": int((p["lo"] > 0).sum()), "b_clear": int((p["hi"] < 0).sum()),
                         "mean_diff": float(np.nanmean(d)) if n else math.nan,
                         "estimate_diff": float(est["diff"]), "estimate_lo": float(est["lo"]),
                         "estimate_hi": float(est["hi"])})
    return pd.DataFrame(rows, columns=[*design, *PAIR_COLUMNS])
