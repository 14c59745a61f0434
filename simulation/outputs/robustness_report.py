"""Writing the robustness of the headline (``python run.py robustness``): ``results/robustness/``.

The runs and their tables are :mod:`simulation.research.robustness` (docs/ODD.md, 4.13); this
module only writes, formats and draws them: ``runs.csv`` (every run's outcomes with its draw's
parameter values), ``winners.csv`` (per draw), ``wins.csv`` + ``wins.md`` (the table),
``pairs.csv`` (dialogue vs broadcast), ``robustness.json`` (what was run, provenance),
``report.md``, and the figures ``robustness_wins.png`` (:func:`plot_wins`) and
``robustness_outcomes.png`` (:func:`plot_outcomes`), each also as SVG.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulation.outputs.figures.style import (
    OKABE_ITO,
    STRATEGY_ORDER,
    STYLE,
    fig_footer,
    fig_title,
    metric_label,
    new_axis,
    save_figure,
    style_for,
)
from simulation.outputs.tables import render_table
from simulation.research import robustness as R
from simulation.research.provenance import provenance, write_atomic, write_json

__all__ = ["FILES", "main_robustness", "plot_outcomes", "plot_wins", "statements", "wins_markdown",
           "write_robustness"]

FILES = ["runs.csv", "winners.csv", "wins.csv", "wins.md", "pairs.csv", "robustness.json", "report.md",
         "robustness_wins.png", "robustness_wins.svg", "robustness_outcomes.png", "robustness_outcomes.svg"]
FLOAT_FORMAT = "%.6g"
#: Colours and markers of the design points (scenarios) in the wins figure, whose x axis is the strategies.
POINT_LOOKS = ((OKABE_ITO["vermillion"], "o"), (OKABE_ITO["blue"], "s"), (OKABE_ITO["bluish_green"], "^"),
               (OKABE_ITO["reddish_purple"], "D"))


def _pct(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{100 * x:.0f} %"


def _num(x: float) -> str:
    return "-" if x is None or not math.isfinite(float(x)) else f"{float(x):.3g}"


def _label(point: Mapping[str, Any]) -> str:
    """``launch`` for the headline's one design column, ``scenario=launch, budget=2`` for more."""
    if len(point) == 1:
        return str(next(iter(point.values())))
    return ", ".join(f"{k}={v}" for k, v in point.items()) or "all runs"


def _points(table: pd.DataFrame, design: Sequence[str]) -> list[dict[str, Any]]:
    if not design:
        return [{}]
    return [dict(zip(design, v)) for v in dict.fromkeys(table[list(design)].itertuples(index=False, name=None))]


def _rows(table: pd.DataFrame, point: Mapping[str, Any]) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for k, v in point.items():
        mask &= (table[k] == v).to_numpy()
    return table[mask]


# ---------------------------------------------------------------------------- text


def _estimate_line(result: R.RobustnessResult, point: Mapping[str, Any], outcome: str) -> str:
    """At the estimate: its winner, the margin over the runner-up [paired 95 % CI] (or why none)."""
    w = result.estimate_winners_of(point, outcome)
    if w is None:
        return "At the estimate: not run (no fit.json beside the draws)."
    if w["winner"] in (R.TIE, R.NO_WINNER):
        return f"At the estimate: {w['winner'].strip('()')}."
    return (f"At the estimate: {w['winner']} wins by {_num(w['margin'])} [{_num(w['margin_lo'])}, "
            f"{_num(w['margin_hi'])}] over {w['runner_up']} ({'clear' if w['clear'] else 'not clear'}).")


def wins_markdown(result: R.RobustnessResult, outcome: str = R.PRIMARY, markdown: bool = True) -> str:
    """The table of one outcome per design point: strategy, wins (clear), share [Wilson 95 %],
    mean across draws (sd; central 95 % of draws), at the estimate (* = its winner); under it,
    the estimate's row: its winner and margin."""
    parts = []
    header = ["strategy", "wins (clear)", "share of draws [95 % CI]", "mean over draws (sd)",
              "central 95 % of draws", "at the estimate"]
    t = result.wins[result.wins["outcome"] == outcome]
    for point in _points(t, result.design):
        rows = _rows(t, point)
        body = [[r["strategy"], f"{int(r['wins'])} ({int(r['clear_wins'])})",
                 f"{_pct(r['share'])} [{_pct(r['share_lo'])}, {_pct(r['share_hi'])}]",
                 f"{_num(r['mean'])} ({_num(r['sd'])})", f"{_num(r['p2_5'])} .. {_num(r['p97_5'])}",
                 _num(r["estimate"]) + (" *" if r["estimate_winner"] else "")]
                for _, r in rows.iterrows()]
        n = int(rows["draws"].iloc[0]) if len(rows) else 0
        title = f"{_label(point)}: {metric_label(outcome)}, {n} draws"
        table = render_table(header, body, markdown=markdown)
        sep = "\n\n" if markdown else "\n"
        below = _estimate_line(result, point, outcome)
        parts.append((f"**{title}**" if markdown else title) + sep + table + sep + below)
    return "\n\n".join(parts)


def _others(rows: pd.DataFrame, top: str) -> str:
    rest = rows[(rows["strategy"] != top) & (rows["wins"] > 0)].sort_values("wins", ascending=False, kind="stable")
    return ", ".join(f"{r['strategy']} {int(r['wins'])}" for _, r in rest.iterrows())


def statements(result: R.RobustnessResult, outcome: str = R.PRIMARY) -> list[str]:
    """One sentence per design point, from the numbers: the strategy that wins most draws with
    its count, share and Wilson interval, how many of its wins are clear, the other winners,
    dialogue vs broadcast, and the winner at the estimate."""
    out = []
    wins = result.wins[result.wins["outcome"] == outcome]
    for point in _points(wins, result.design):
        rows = _rows(wins, point)
        n = int(rows["draws"].iloc[0])
        real = rows[~rows["strategy"].isin([R.TIE, R.NO_WINNER])]
        best = real.sort_values("wins", ascending=False, kind="stable").iloc[0]
        text = (f"{_label(point)} ({metric_label(outcome)}): {best['strategy']} wins in {int(best['wins'])} of {n} "
                f"draws ({_pct(best['share'])}, [{_pct(best['share_lo'])}, {_pct(best['share_hi'])}]), "
                f"{int(best['clear_wins'])} of them clearly (the paired 95 % interval of its margin excludes 0)")
        others = _others(real, best["strategy"])
        ties = rows.loc[rows["strategy"].isin([R.TIE, R.NO_WINNER]), "wins"].sum()
        text += f"; other winners: {others}" if others else "; no other strategy wins a draw"
        text += f"; {int(ties)} draw(s) tied or without a winner" if ties else ""
        pairs = result.pairs
        if len(pairs):
            p = _rows(pairs[pairs["outcome"] == outcome], point)
            if len(p):
                p = p.iloc[0]
                text += (f". {p['a']} beats {p['b']} in {int(p['a_wins'])} of {int(p['draws'])} draws "
                         f"({_pct(p['share'])}, [{_pct(p['share_lo'])}, {_pct(p['share_hi'])}])")
        if result.estimate_winners is not None:
            out.append(f"{text}. {_estimate_line(result, point, outcome)}")
        else:
            out.append(text + ".")
    return out


# ---------------------------------------------------------------------------- figures


def plot_wins(table: pd.DataFrame, ax=None, *, design: Sequence[str] | None = None):
    """Share of draws won per strategy (x) and design point (colour, marker), with Wilson 95 %
    intervals; the winner at the estimate ringed. ``table``: the rows of
    :func:`~simulation.research.robustness.win_table` for one outcome. Returns the axis."""
    ax = ax if ax is not None else new_axis(STYLE, (8, 4.2))
    design = list(design) if design is not None else [c for c in table.columns if c not in R.WIN_COLUMNS]
    t = table[~table["strategy"].isin([R.TIE, R.NO_WINNER])]
    strategies = [s for s in STRATEGY_ORDER if s in set(t["strategy"])] + [
        s for s in dict.fromkeys(t["strategy"]) if s not in STRATEGY_ORDER]
    x = {s: i for i, s in enumerate(strategies)}
    points = _points(t, design)
    width = 0.6 / max(1, len(points))
    for j, point in enumerate(points):
        rows = _rows(t, point)
        colour, marker = POINT_LOOKS[j % len(POINT_LOOKS)]
        xs = np.array([x[s] for s in rows["strategy"]]) + (j - (len(points) - 1) / 2) * width
        share = rows["share"].to_numpy(dtype=float)
        lo, hi = rows["share_lo"].to_numpy(dtype=float), rows["share_hi"].to_numpy(dtype=float)
        err = np.vstack([share - lo, hi - share])
        n = int(rows["draws"].iloc[0]) if len(rows) else 0
        ax.errorbar(xs, share, yerr=err, fmt=marker, color=colour, capsize=3, ms=6, lw=1.2,
                    label=f"{_label(point)} ({n} draws)")
        est = rows["estimate_winner"].to_numpy(dtype=bool)
        if est.any():
            ax.scatter(xs[est], share[est], s=220, facecolors="none", edgecolors=colour, linewidths=1.4)
    if any(t["estimate_winner"]):
        ax.scatter([], [], s=220, facecolors="none", edgecolors="0.3", linewidths=1.4, label="winner at the estimate")
    ax.set_xticks(range(len(strategies)), strategies)
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("share of draws won (Wilson 95 % CI)")
    ax.legend(frameon=False, fontsize="small", loc="upper right")
    return ax


def plot_outcomes(means: pd.DataFrame, outcome: str, ax=None, *, estimate: pd.DataFrame | None = None):
    """The outcome across draws per strategy (one box and the draws as points), on one axis for one
    design point: ``means`` has ``strategy`` and ``outcome`` (one row per draw,
    :func:`~simulation.research.robustness.draw_means`); ``estimate``, the same at the estimate
    (a diamond). Returns the axis."""
    ax = ax if ax is not None else new_axis(STYLE, (6, 4))
    strategies = [s for s in STRATEGY_ORDER if s in set(means["strategy"])] + [
        s for s in dict.fromkeys(means["strategy"]) if s not in STRATEGY_ORDER]
    rng = np.random.default_rng(0)  # the jitter only spreads the points; fixed so figures are stable
    labelled = False
    for i, s in enumerate(strategies):
        v = means.loc[means["strategy"] == s, outcome].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        look = style_for(s)
        if v.size:
            ax.boxplot([v], positions=[i], widths=0.5, showfliers=False, patch_artist=True,
                       boxprops={"facecolor": "none", "edgecolor": look["color"]},
                       medianprops={"color": look["color"]}, whiskerprops={"color": look["color"]},
                       capprops={"color": look["color"]})
            ax.scatter(i + rng.uniform(-0.15, 0.15, v.size), v, s=22, color=look["color"], alpha=0.6,
                       marker=look["marker"], lw=0)
        if estimate is not None:
            e = estimate.loc[estimate["strategy"] == s, outcome].to_numpy(dtype=float)
            if e.size and np.isfinite(e[0]):
                ax.scatter([i], e[:1], marker="D", s=45, facecolors="white", edgecolors="black", zorder=5,
                           label=None if labelled else "at the estimate")
                labelled = True
    ax.set_xticks(range(len(strategies)), strategies)
    ax.set_ylabel(metric_label(outcome))
    if labelled:
        ax.legend(frameon=False, fontsize="small")
    return ax


def _figures(result: R.RobustnessResult, out: Path, outcome: str) -> None:
    n, reps = len(result.runs[R.DRAW_COLUMN].unique()), result.meta["experiment"]["replicates"]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
        plot_wins(result.wins[result.wins["outcome"] == outcome], ax, design=result.design)
        fig_title(fig, f"Which strategy wins the headline ({metric_label(outcome)}) across {n} draws of the "
                       "calibrated parameters")
        fig_footer(fig, [f"winner of a draw: highest mean over {reps} replicates (common random numbers)",
                         "bars: Wilson 95 % intervals of the share of draws", "ties count for nobody"])
        save_figure(fig, out / "robustness_wins")
        points = _points(result.runs, result.design)
        fig, axes = plt.subplots(1, len(points), figsize=(5.2 * len(points), 4.4), layout="constrained",
                                 squeeze=False, sharey=True)
        for ax, point in zip(axes.flat, points, strict=True):
            keys = [R.DRAW_COLUMN, "strategy"]
            means = R.draw_means(_rows(result.runs, point), keys, outcome)
            est = result.estimate_runs
            est_means = (_rows(est, point).groupby("strategy", sort=False)[outcome].mean().reset_index()
                         if est is not None else None)
            plot_outcomes(means, outcome, ax, estimate=est_means)
            ax.set_title(_label(point), loc="left")
        fig_title(fig, f"{metric_label(outcome)} per strategy across {n} draws (each point: one draw's mean over "
                       f"{reps} replicates)")
        fig_footer(fig, ["boxes: quartiles and whiskers to 1.5 IQR across draws", "diamond: at the fit's estimate"])
        save_figure(fig, out / "robustness_outcomes")


# ---------------------------------------------------------------------------- files


def _pairs_markdown(pairs: pd.DataFrame, design: Sequence[str], outcome: str) -> str:
    p = pairs[pairs["outcome"] == outcome]
    if p.empty:
        return "(dialogue or broadcast is not among the strategies)"
    header = ["design point", "draws", "dialogue beats broadcast [95 % CI]", "clear (dialogue / broadcast)",
              "ties", "mean difference over draws", "at the estimate [95 % CI]"]
    body = [[_label({k: r[k] for k in design}), str(int(r["draws"])),
             f"{int(r['a_wins'])} ({_pct(r['share'])} [{_pct(r['share_lo'])}, {_pct(r['share_hi'])}])",
             f"{int(r['a_clear'])} / {int(r['b_clear'])}", str(int(r["ties"])), _num(r["mean_diff"]),
             f"{_num(r['estimate_diff'])} [{_num(r['estimate_lo'])}, {_num(r['estimate_hi'])}]"]
            for _, r in p.iterrows()]
    return render_table(header, body, markdown=True)


def report_markdown(result: R.RobustnessResult, meta: Mapping[str, Any], outcome: str = R.PRIMARY) -> str:
    """``report.md``: what was run (draws file and its sha256, sizes, seed, versions), the
    statements, the table of the primary outcome, dialogue vs broadcast, the other outcomes, the figures."""
    d, e = meta["draws"], meta["experiment"]
    est = meta.get("estimate")
    values = ", ".join(f"`{k}` = {v:g}" for k, v in est["values"].items()) if est else ""
    est_text = (f"the fit's estimate from `{est['file']}` ({values})" if est
                else "no `fit.json` beside the draws: no row at the estimate")
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    others = [m for m in dict.fromkeys(result.wins["outcome"]) if m != outcome]
    sentences = "\n".join(f"* {s}" for s in statements(result, outcome))
    other_tables = "\n\n".join(f"### {metric_label(m)}\n\n{wins_markdown(result, m)}"
                               for m in others)
    points = "; ".join(_label(p) for p in e["points"]) or "one"
    return f"""# Robustness of the headline over the calibrated parameters' uncertainty

The headline comparison re-run at every draw of the fitted parameters (each draw's values over the
headline's other parameters), and at the fit's point estimate.

* comparison: `{e['file'] or e['name']}`, strategies {', '.join(e['strategies'])} at equal budget; design
  points: {points}
* draws: `{d['file']}` (sha256 `{d['sha256']}`), {d['used']} of its {d['rows']} draws; parameters
  {', '.join(f'`{p}`' for p in d['parameters'])}
* estimate: {est_text}
* sizes: {e['n_consumers']} consumers, {e['steps']} weeks, {e['replicates']} replicates per draw, design point
  and strategy: {meta['runs']} runs in {meta['timing_s']['runs']:.0f} s
* seeds: base seed {e['seed']}, replicate r on `run_seed({e['seed']}, r)` in every draw, design point and
  strategy (common random numbers)
* made by: commit `{meta['git_commit']}`, {meta['created']}; {versions}

## The statement

{sentences}

## Wins per strategy

The winner of a draw is the strategy with the highest mean over the replicates; a draw whose two highest
means are equal is a tie and counts for nobody (it stays among the draws). Wins (clear): draws won, and those
in which the paired 95 % interval of the margin over the runner-up excludes 0. Share of draws with its
Wilson 95 % interval; mean over draws of each draw's mean, its standard deviation across draws and the
central 95 % of draws; at the estimate: the mean at the fit's estimate, * its winner.

{wins_markdown(result, outcome)}

![Share of draws won](robustness_wins.png)

![Outcome across draws](robustness_outcomes.png)

## Dialogue vs broadcast ({metric_label(outcome)})

Per draw, the paired mean difference dialogue - broadcast over the replicates (same seeds); dialogue beats
broadcast in a draw when it is above 0; clear when its 95 % t-interval excludes 0.

{_pairs_markdown(result.pairs, result.design, outcome)}

## The other outcomes

{other_tables}

Every run is in `runs.csv` (with its draw's parameter values), every draw's winner and margin in
`winners.csv`, the tables in `wins.csv` and `pairs.csv`.
"""


def write_robustness(result: R.RobustnessResult, out: str | Path, outcome: str = R.PRIMARY) -> list[Path]:
    """Write :data:`FILES` into ``out`` (created if needed); return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    est = result.estimate_runs
    runs = pd.concat([result.runs, est], ignore_index=True) if est is not None else result.runs
    write_atomic(out / "runs.csv", runs.to_csv(index=False, float_format=FLOAT_FORMAT))
    write_atomic(out / "winners.csv", result.winners.to_csv(index=False, float_format=FLOAT_FORMAT))
    write_atomic(out / "wins.csv", result.wins.to_csv(index=False, float_format=FLOAT_FORMAT))
    write_atomic(out / "pairs.csv", result.pairs.to_csv(index=False, float_format=FLOAT_FORMAT))
    meta = {**result.meta, "files": FILES, **provenance()}
    write_json(out / "robustness.json", meta)
    tables = "\n\n".join(f"## {metric_label(m)}\n\n{wins_markdown(result, m)}"
                         for m in dict.fromkeys(result.wins["outcome"]))
    write_atomic(out / "wins.md", f"# Wins per strategy across the draws\n\n{tables}\n")
    _figures(result, out, outcome)
    write_atomic(out / "report.md", report_markdown(result, meta, outcome))
    return [out / f for f in FILES]


def main_robustness(out: str | Path, *, draws: str | Path = R.DEFAULT_DRAWS, max_draws: int | None = None,
                    replicates: int | None = None, n_consumers: int | None = None, steps: int | None = None,
                    seed: int | None = None, quick: bool = False, experiment: str | Path | None = None,
                    workers: int | None = None, scheduler: str | None = None, progress: bool = True) -> int:
    """CLI entry (``python run.py robustness``): validate, run, write ``out/``, print the statements; 0.

    ``quick`` takes :data:`~simulation.research.robustness.QUICK` for every size not given.
    """
    if quick:
        q = R.QUICK
        max_draws = q["max_draws"] if max_draws is None else max_draws
        replicates = q["replicates"] if replicates is None else replicates
        n_consumers = q["n_consumers"] if n_consumers is None else n_consumers
        steps = q["steps"] if steps is None else steps
    d = R.read_draws(draws, max_draws=max_draws)
    exp = R.headline_for(experiment, replicates=replicates, steps=steps, n_consumers=n_consumers, seed=seed)
    start = time.perf_counter()
    result = R.run_robustness(d, exp, workers=workers, scheduler=scheduler, progress=progress)
    write_robustness(result, out)
    print(f"robustness: {len(d)} draws x {len(exp.scenarios())} design point(s) x {len(exp.strategies())} "
          f"strategies x {exp.replicates} replicates{' + the estimate' if d.estimate is not None else ''} = "
          f"{result.meta['runs']} runs of {exp.base.get('n_consumers')} consumers, {exp.steps} weeks "
          f"({time.perf_counter() - start:.1f} s)\n")
    print(wins_markdown(result, markdown=False))
    print()
    for s in statements(result):
        print(f"* {s}")
    print(f"\nWrote {out}/ ({', '.join(FILES)})")
    return 0
