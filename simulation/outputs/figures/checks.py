"""Figures of the model checks: the wear-out curve and the double-jeopardy scatter of the
stylized facts (:mod:`simulation.research.facts`) and the docking curves of the validation
(:mod:`simulation.research.validation`; docs/ODD.md, 7 Submodels).

Each figure is a ``draw_*(ax, ...)`` that draws one panel from computed results and a
``plot_*(..., path_stem)`` that lays the panels out and saves PNG and SVG.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from simulation.outputs.figures.style import OKABE_ITO, STYLE, save_figure, style_for
from simulation.research.facts import DJ_MEASURES, MODEL_CONDITION, REFERENCE_CONDITION

__all__ = ["draw_bass_complete", "draw_bass_sparse", "draw_convergence", "draw_double_jeopardy",
           "draw_goldenberg_coefficients", "draw_libai_decomposition", "draw_wearout", "plot_double_jeopardy",
           "plot_marketing_docking", "plot_validation", "plot_wearout"]

#: Colours of the networks in the sparse-graph Bass figure.
NETWORK_COLOURS = {"complete": "#000000", "barabasi_albert": "#0072B2", "watts_strogatz": "#009E73",
                   "erdos_renyi": "#E69F00"}


# ---------------------------------------------------------------------------- wear-out


def _wearout_looks() -> dict[str, dict]:
    st = style_for("broadcast")
    return {MODEL_CONDITION: {"color": st["color"], "linestyle": "-", "marker": st["marker"], "label": "model"},
            REFERENCE_CONDITION: {"color": OKABE_ITO["grey"], "linestyle": (0, (5, 2)), "marker": "o",
                                  "label": "reference: wear-out and reactance off"}}


def draw_wearout(ax, curve: pd.DataFrame, metric: str = "per_exposure", *, small: bool = False) -> None:
    """One panel of the wear-out figure: ``metric`` (``per_exposure`` or ``attitude``)
    against ad exposures per consumer (log x), per condition of ``curve``.

    ``curve`` is :func:`simulation.research.facts.summarise_wearout`; means with 95 % CI bars
    (bars only with 2 replicates or more), the reference condition dashed grey.
    """
    bars = int(curve["n"].max()) >= 2
    for cond, look in _wearout_looks().items():
        c = curve.loc[curve["condition"] == cond]
        if c.empty:
            continue
        x = c["exposures"].to_numpy(float)
        y = c[f"{metric}_mean"].to_numpy(float)
        err = np.vstack([y - c[f"{metric}_lo"].to_numpy(float), c[f"{metric}_hi"].to_numpy(float) - y])
        ax.errorbar(x, y, yerr=err if bars else None, capsize=2.5 if small else 3, markersize=3.5 if small else 5,
                    elinewidth=1.0, linewidth=1.3 if small else 1.8, zorder=3 if cond == MODEL_CONDITION else 2,
                    **look)
    ax.axhline(0.0, color="#666666", linewidth=0.8, zorder=1)
    ax.set_xscale("log")
    xs = np.sort(curve["exposures"].unique())
    ax.set_xticks(xs, [f"{v:g}" for v in xs])
    ax.minorticks_off()


def _zoom_on_peak(ax, curve: pd.DataFrame, model: pd.DataFrame) -> None:
    """Mark the peak of the total effect; when reactance drives the total far below 0 the
    rise up to the peak is invisible at full scale, so an inset zooms on it."""
    i = int(np.argmax(model["attitude_mean"].to_numpy()))
    pk = model.iloc[i]
    label = f"peak: {pk['exposures']:g} exposures\n(budget {pk['budget']:g} a week)"
    full = np.ptp(ax.get_ylim())
    head = model.iloc[: min(i + 2, len(model))]  # up to one point after the peak
    ylo = float(head["attitude_lo"].min())
    yhi = float(head["attitude_hi"].max())
    if i > 0 and yhi - ylo < 0.15 * full:
        ins = ax.inset_axes([0.1, 0.3, 0.42, 0.36])
        draw_wearout(ins, curve.loc[curve["condition"] == MODEL_CONDITION], "attitude", small=True)
        ins.set_xlim(head["exposures"].min() / 1.3, head["exposures"].max() * 1.3)
        pad = 0.12 * (yhi - ylo) or 1e-3
        ins.set_ylim(min(ylo, 0.0) - pad, yhi + pad)
        ins.tick_params(labelsize=7)
        ins.set_title(f"zoom: peak at {pk['exposures']:g} exposures (budget {pk['budget']:g} a week)",
                      fontsize=7.5, loc="left")
        ins.plot([pk["exposures"]], [pk["attitude_mean"]], marker="o", markersize=9, markerfacecolor="none",
                 markeredgecolor="black", markeredgewidth=0.9, linestyle="none", zorder=4)
        ax.indicate_inset_zoom(ins, edgecolor="#777777")
    else:
        ax.annotate(label, (pk["exposures"], pk["attitude_mean"]), xytext=(0, 10),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)


def plot_wearout(curve: pd.DataFrame, path_stem: str | Path, title: str | None = None) -> list[Path]:
    """Two panels against ad exposures per consumer (log x): attitude gained per exposure,
    and total attitude; mean with 95 % CI bars, the reference condition dashed grey.

    When reactance drives the total far below 0, the rise up to the peak is too small to
    see on the full scale, so the total panel gets an inset that zooms on it. Returns the
    PNG and SVG paths.
    """
    n = int(curve["n"].max())
    model = curve.loc[curve["condition"] == MODEL_CONDITION].sort_values("exposures")
    weeks = float(model["exposures"].iloc[0] / model["budget"].iloc[0]) if not model.empty else float("nan")
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.5), layout="constrained")
        panels = [("per_exposure", "attitude gained per exposure\n(mean attitude of all consumers / exposures)",
                   "Effect per exposure (wear-out: falls)"),
                  ("attitude", "mean attitude of all consumers (-1..1)", "Total effect (reactance: turns down)")]
        for ax, (metric, ylabel, ptitle) in zip(axes, panels):
            draw_wearout(ax, curve, metric)
            ax.set_xlabel(f"ad exposures per consumer in {weeks:g} weeks\n(= weekly budget x {weeks:g}; log scale)")
            ax.set_ylabel(ylabel)
            ax.set_title(ptitle, loc="left", fontweight="bold")
        if not model.empty:
            _zoom_on_peak(axes[1], curve, model)
        axes[1].legend(loc="lower left", frameon=False, fontsize=8.5)
        fig.suptitle(title or "Advertising wear-out", x=0.01, ha="left", fontsize=11.5)
        fig.supxlabel(f"points: mean over replicates; bars: 95 % t-confidence interval (n = {n} replicates, "
                      "seeds paired across budgets; bars narrower than a marker are hidden by it)", x=0.01,
                      ha="left", fontsize=7.5, color="#555555")
        return save_figure(fig, path_stem)


# ---------------------------------------------------------------------------- double jeopardy

#: Colour per quality rank of a brand in its run (0 = lowest quality), Okabe-Ito.
RANK_COLOURS = (OKABE_ITO["vermillion"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"], OKABE_ITO["sky_blue"],
                OKABE_ITO["blue"], OKABE_ITO["reddish_purple"], OKABE_ITO["black"])
#: Marker per spread of rival qualities, in the order the spreads come.
SPREAD_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def draw_double_jeopardy(ax, runs: pd.DataFrame, measure: str = "purchase_frequency", *, log: bool = False) -> None:
    """``measure`` against ``penetration``: one marker per brand and run of ``runs``
    (:func:`simulation.research.facts.double_jeopardy_runs`), colour = the brand's quality
    rank in its run, marker = the spread of rival qualities. ``log``: both axes logarithmic."""
    ranks = sorted(runs["quality_rank"].unique())
    for j, spread in enumerate(runs["spread"].unique()):
        for k in ranks:
            pts = runs.loc[(runs["spread"] == spread) & (runs["quality_rank"] == k)]
            ax.scatter(pts["penetration"], pts[measure], s=22, alpha=0.8, linewidths=0.4, edgecolors="white",
                       color=RANK_COLOURS[k % len(RANK_COLOURS)], marker=SPREAD_MARKERS[j % len(SPREAD_MARKERS)],
                       zorder=3)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(plain)


def _dj_legend(ax, runs: pd.DataFrame) -> None:
    handles = [Line2D([], [], linestyle="none", marker="o", color=RANK_COLOURS[k % len(RANK_COLOURS)],
                      label=f"quality rank {k + 1}" + (" (lowest)" if k == 0 else ""))
               for k in sorted(runs["quality_rank"].unique())]
    handles += [Line2D([], [], linestyle="none", marker=SPREAD_MARKERS[j % len(SPREAD_MARKERS)], color="#555555",
                       label=f"spread {x:g}") for j, x in enumerate(runs["spread"].unique())]
    ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=8)


def plot_double_jeopardy(runs: pd.DataFrame, path_stem: str | Path, title: str | None = None) -> list[Path]:
    """Two panels, one marker per brand and run: purchase frequency among buyers against
    penetration (log-log: a slope below 1 is frequency varying less than penetration) and
    SCR against penetration. Returns the PNG and SVG paths."""
    n_runs = runs.groupby(["spread", "seed"]).ngroups
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.6), layout="constrained")
        for ax, (measure, label) in zip(axes, DJ_MEASURES.items()):
            log = measure == "purchase_frequency"
            draw_double_jeopardy(ax, runs, measure, log=log)
            ax.set_xlabel("penetration: share of consumers who bought the brand" + (" (log)" if log else ""))
            ax.set_ylabel("purchases per buyer (log)" if log else "share of its buyers' brand purchases")
            ax.set_title(f"{label} vs penetration", loc="left", fontweight="bold")
        _dj_legend(axes[1], runs)
        fig.suptitle(title or "Double jeopardy", x=0.01, ha="left", fontsize=11.5)
        fig.supxlabel(f"one marker per brand and run ({n_runs} runs); published (Ehrenberg, Goodhardt & Barwise "
                      "1990): both rise with penetration, purchase frequency only slightly", x=0.01, ha="left",
                      fontsize=7.5, color="#555555")
        return save_figure(fig, path_stem)


# ---------------------------------------------------------------------------- validation


def draw_bass_complete(ax, sims: np.ndarray, theory: np.ndarray, p: float, q: float) -> None:
    """Adoption curves of single seeds (thin), their mean and the discrete Bass recursion."""
    t = np.arange(len(theory))
    for s in sims:
        ax.plot(t, s, color="#56B4E9", lw=0.6, alpha=0.5)
    ax.plot(t, sims.mean(axis=0), color="#0072B2", lw=2, label="model, mean of seeds")
    ax.plot(t, theory, color="#D55E00", lw=1.5, ls="--", label="discrete Bass recursion")
    ax.set(title=f"p = {p}, q = {q}", xlabel="week", ylabel="adopters F(t)")


def draw_bass_sparse(ax, curves: Mapping[str, np.ndarray]) -> None:
    """Mean adoption curve per network (``curves``: network -> seeds x weeks), the complete graph solid."""
    for name, sims in curves.items():
        ax.plot(np.arange(sims.shape[1]), sims.mean(axis=0), color=NETWORK_COLOURS[name], lw=2,
                ls="-" if name == "complete" else "--", label=name)
    ax.set(xlabel="week", ylabel="adopters F(t), mean of seeds")
    ax.legend()


def draw_convergence(ax, trace: np.ndarray, target: np.ndarray | float, title: str) -> None:
    """Largest distance of the attitudes (``trace``: weeks x consumers) to the prediction, log y,
    with the tolerance of the DeGroot and Friedkin-Johnsen checks."""
    dev = np.abs(trace - target).max(axis=1)
    ax.semilogy(np.arange(len(dev)), np.maximum(dev, 1e-17), color="#0072B2", lw=2)
    ax.axhline(1e-6, color="#D55E00", ls="--", lw=1, label="tolerance 1e-6")  # the checks' tolerance
    ax.set(title=title, xlabel="week", ylabel="max |x_i(t) - prediction|")
    ax.legend()


def plot_validation(out: Path, bass, sparse, degroot, friedkin_johnsen) -> list[Path]:
    """The docking figures in ``out``: ``bass_complete``, ``bass_sparse``, ``degroot``,
    ``friedkin_johnsen`` (PNG and SVG each), from the curves of
    :func:`simulation.research.validation.run_validation`. Returns the paths."""
    paths = []
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(bass), figsize=(4.2 * len(bass), 3.6), layout="constrained",
                                 squeeze=False)
        for ax, ((p, q), (sims, theory)) in zip(axes[0], bass.items()):
            draw_bass_complete(ax, sims, theory, p, q)
        axes[0][0].legend(loc="lower right")
        fig.suptitle("Bass docking on the complete graph (thin lines: single seeds)", x=0.01, ha="left")
        paths += save_figure(fig, Path(out) / "bass_complete")

        fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
        draw_bass_sparse(ax, sparse)
        fig.suptitle("Bass on sparse graphs is never faster than on the complete graph", x=0.01, ha="left")
        paths += save_figure(fig, Path(out) / "bass_sparse")

        for name, traces, title in (("degroot", degroot, "DeGroot: convergence to pi^T x(0)"),
                                    ("friedkin_johnsen", friedkin_johnsen,
                                     "Friedkin-Johnsen: convergence to the equilibrium")):
            fig, axes = plt.subplots(1, len(traces), figsize=(5.2 * len(traces), 3.8), layout="constrained",
                                     squeeze=False)
            for ax, (net, (trace, target)) in zip(axes[0], traces.items()):
                draw_convergence(ax, trace, target, net)
            fig.suptitle(title, x=0.01, ha="left")
            paths += save_figure(fig, Path(out) / name)
    return paths


# ------------------------------------------------------------ marketing docking (ODD 4.13)

#: Display names of the Goldenberg factors (s = clique size, w = weak contacts a week).
FACTOR_LABELS = {"clique_size": "s (clique size)", "weak_contacts": "w (weak contacts)",
                 "goldenberg_alpha": "alpha (advertising)", "goldenberg_beta_w": "beta_w (weak tie)",
                 "goldenberg_beta_s": "beta_s (strong tie)"}


def draw_goldenberg_coefficients(ax, coefficients: pd.DataFrame) -> None:
    """Standardized effect of each factor on log weeks to 15 % and to 95 % adoption (bars:
    minus the coefficient, so that a factor speeding adoption points right; whiskers: 2 SE)."""
    factors = list(coefficients.index)
    y = np.arange(len(factors))
    stages = list(coefficients.columns.get_level_values(0).unique())
    height = 0.8 / len(stages)
    colours = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"])
    for k, stage in enumerate(stages):
        coef, se = coefficients[(stage, "coef")], coefficients[(stage, "se")]
        ax.barh(y + (k - (len(stages) - 1) / 2) * height, -coef, height, xerr=2 * se, color=colours[k % 3],
                label=f"weeks to {stage[1:]} %")
    ax.set_yticks(y, [FACTOR_LABELS.get(f, f) for f in factors])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("speed-up: - standardized coefficient on log weeks")
    ax.legend(loc="lower right")


def draw_libai_decomposition(ax, summary: pd.DataFrame) -> None:
    """Mean value of the seeding program per market (1 brand, 2 brands), split into
    acceleration and expansion (discounted adoptions of the focal brand)."""
    labels = [f"{b} brand{'s' if b > 1 else ''}" for b in summary.index]
    x = np.arange(len(labels))
    ax.bar(x, summary["acceleration"], 0.6, color=OKABE_ITO["blue"], label="acceleration")
    ax.bar(x, summary["expansion"], 0.6, bottom=summary["acceleration"].clip(lower=0), color=OKABE_ITO["orange"],
           label="expansion")
    for xi, (_, row) in zip(x, summary.iterrows()):
        ax.annotate(f"expansion {row['share']:.0%}", (xi, row["value"]), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, labels)
    ax.set_ylabel("value: discounted focal adoptions")
    ax.legend(loc="upper left")


def plot_marketing_docking(out: Path, coefficients: pd.DataFrame, summary: pd.DataFrame) -> list[Path]:
    """``goldenberg`` (the coefficients) and ``libai`` (the decomposition) in ``out``, PNG and SVG."""
    paths = []
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
        draw_goldenberg_coefficients(ax, coefficients)
        fig.suptitle("Goldenberg, Libai & Muller (2001) factorial: what speeds adoption", x=0.01, ha="left")
        paths += save_figure(fig, Path(out) / "goldenberg")
        fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
        draw_libai_decomposition(ax, summary)
        fig.suptitle("Libai, Muller & Peres (2013): value of seeding 5 %", x=0.01, ha="left")
        paths += save_figure(fig, Path(out) / "libai")
    return paths
