"""Docking with two published marketing agent-based models (``python run.py validate``):
relational equivalence in the sense of Axtell, Axelrod, Epstein & Cohen (1996), since the
papers publish no tables to match number for number (docs/ODD.md, 4.14).

* :func:`check_goldenberg`: Goldenberg, Libai & Muller (2001), "Talk of the network". The
  ``goldenberg`` preset over a factorial design of clique size s, weak contacts w,
  advertising alpha, weak-tie and strong-tie effects beta_w, beta_s; log time to 15 % and to
  95 % adoption regressed (least squares) on the standardized factors. Their claims: weak
  ties matter at least as much as strong ties (both stages); advertising's effect is
  concentrated early.
* :func:`check_libai`: Libai, Muller & Peres (2013), "Decomposing the value of word-of-mouth
  seeding programs". A seeding program of the focal brand, run against the same market
  without it on the same random numbers; its value (the change in the focal brand's
  discounted adoptions) split consumer by consumer into acceleration (customers in both runs,
  adopting earlier) and expansion (customers only with the program, net of those only
  without it). Their claim: without a rival the value is (almost) all acceleration; with a
  rival a clear expansion share appears.

References
----------
Axtell, R., Axelrod, R., Epstein, J. M., & Cohen, M. D. (1996). Aligning simulation models: A
case study and results. Computational and Mathematical Organization Theory 1(2), 123-141.
Goldenberg, J., Libai, B., & Muller, E. (2001). Talk of the network: A complex systems look at
the underlying process of word-of-mouth. Marketing Letters 12(3), 211-223.
Libai, B., Muller, E., & Peres, R. (2013). Decomposing the value of word-of-mouth seeding
programs: Acceleration versus expansion. Journal of Marketing Research 50(2), 161-176.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.core.params import Params
from simulation.core.presets import preset_values
from simulation.research.executors import execute
from simulation.research.tasks import Task, create_model, run_seed

# The design's range of each factor: Goldenberg, Libai & Muller (2001) vary each over 7 levels
# (7^5 = 16,807 runs of 3,000 consumers) within these bounds, as reported by the replication
# of Gurazada (JuliaGraphs tutorials, "Talk of the network"); not checked in the paper itself.
# s is our clique size (s - 1 strong ties each).
FACTORS = ("clique_size", "weak_contacts", "goldenberg_alpha", "goldenberg_beta_w", "goldenberg_beta_s")
RANGES = {"clique_size": (5, 29), "weak_contacts": (5, 29), "goldenberg_alpha": (0.0005, 0.01),
          "goldenberg_beta_w": (0.005, 0.015), "goldenberg_beta_s": (0.01, 0.07)}
WEAK, STRONG = ("weak_contacts", "goldenberg_beta_w"), ("clique_size", "goldenberg_beta_s")
WOM = WEAK + STRONG  # the word-of-mouth factors (all but advertising)
STAGES = (0.15, 0.95)  # adoption shares whose first week is regressed
MAX_WEEKS = 1000


@dataclass
class Claim:
    """One relational claim of a paper: what it says, what was measured, held or not."""

    paper: str
    claim: str
    measured: float
    criterion: str
    passed: bool
    detail: str = ""


def design_levels(levels: int) -> dict[str, tuple[float, ...]]:
    """``levels`` evenly spaced values of each factor over its range (integers rounded).

    Examples
    --------
    >>> design_levels(3)["weak_contacts"], design_levels(2)["goldenberg_beta_s"]
    ((5, 17, 29), (0.01, 0.07))
    """
    out = {}
    for name, (lo, hi) in RANGES.items():
        values = np.linspace(lo, hi, levels)
        out[name] = tuple(int(round(v)) for v in values) if isinstance(lo, int) else tuple(float(v) for v in values)
    return out


def adoption_run(task: Task) -> dict:
    """One run, week by week, until ``labels["stop_share"]`` of the consumers have adopted
    (if given) or ``params["steps"]`` weeks: the week each consumer adopted (-1: never) and
    the brand (-1: none), with the task's labels."""
    model = create_model(task.params, rng=task.seed)
    n = model.n_consumers
    week, brand = np.full(n, -1), np.full(n, -1)
    stop = task.labels.get("stop_share")
    for t in range(1, int(task.params["steps"]) + 1):
        model.step()
        owns = model.state.purchases >= 1
        new = owns.any(axis=1) & (week < 0)
        week[new], brand[new] = t, owns[new].argmax(axis=1)
        if stop is not None and (week >= 0).mean() >= stop:
            break
    return {**task.labels, "week": week, "brand": brand}


def _run_all(tasks: list[Task], workers, progress: bool, desc: str) -> list[dict]:
    from tqdm import tqdm  # noqa: PLC0415 - as run_tasks: keeps importing this module light

    results: list[dict] = [{}] * len(tasks)
    with tqdm(total=len(tasks), desc=desc, unit="run", disable=not progress) as bar, \
            contextlib.closing(execute(tasks, adoption_run, workers=workers)) as done:
        for i, result in done:
            results[i] = result
            bar.update()
    return results


def time_to(week: np.ndarray, share: float) -> float:
    """First week at which at least ``share`` of the consumers have adopted (NaN if never).

    Examples
    --------
    >>> time_to(np.array([1, 2, 2, 5, -1]), 0.6), time_to(np.array([1, -1]), 0.9)
    (2.0, nan)
    """
    adopted = np.sort(week[week >= 0])
    need = int(np.ceil(share * len(week) - 1e-9))
    return float(adopted[need - 1]) if 0 < need <= len(adopted) else np.nan


def standardized_regression(X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """Least squares of y on the z-scored columns of X and a constant: coefficient, standard
    error and t per factor (the change in y per standard deviation of the factor); R^2 in
    ``attrs["r2"]``.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [0.0, 1, 0, 1], "b": [0.0, 0, 1, 1]})
    >>> standardized_regression(X, np.array([0.0, 2, 1, 3]))["coef"].round(6).tolist()
    [1.0, 0.5]
    """
    Z = (X - X.mean()) / X.std(ddof=0)
    A = np.column_stack([np.ones(len(Z)), Z.to_numpy(float)])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    dof = max(len(y) - A.shape[1], 1)
    cov = resid @ resid / dof * np.linalg.pinv(A.T @ A)
    se = np.sqrt(np.diag(cov))[1:]
    table = pd.DataFrame({"coef": coef[1:], "se": se}, index=pd.Index(X.columns, name="factor"))
    table["t"] = table["coef"] / table["se"].where(table["se"] > 0)
    total = ((y - y.mean()) ** 2).sum()
    table.attrs["r2"] = float(1 - (resid @ resid) / total) if total > 0 else np.nan
    return table


@dataclass
class GoldenbergResult:
    """The factorial runs (one row per run: factors and weeks to each stage), the regression
    table (factor x stage: standardized coefficient and SE of log weeks) and the claims."""

    runs: pd.DataFrame
    coefficients: pd.DataFrame
    claims: list[Claim]
    elasticities: pd.DataFrame | None = None  # the same regression on the logs of the factors


def goldenberg_runs(levels: int = 2, replicates: int = 4, n: int = 3000, workers=None,
                    progress: bool = True, base_seed: int = 2001) -> pd.DataFrame:
    """Every cell of the full factorial of :func:`design_levels`, ``replicates`` runs each,
    each until 95 % adopted: one row per run with the factors and the weeks to each stage."""
    grid = design_levels(levels)
    base = {**preset_values("goldenberg"), "n_consumers": n, "steps": MAX_WEEKS}
    tasks = []
    for point, values in enumerate(itertools.product(*(grid[f] for f in FACTORS))):
        cell = dict(zip(FACTORS, values))
        params = Params(**{**base, **cell}).to_dict()
        tasks += [Task(params, run_seed(base_seed, r, point), {**cell, "replicate": r, "stop_share": max(STAGES)})
                  for r in range(replicates)]
    rows = []
    for result in _run_all(tasks, workers, progress, "goldenberg design"):
        row = {f: result[f] for f in FACTORS} | {"replicate": result["replicate"]}
        rows.append(row | {f"t{round(100 * s)}": time_to(result["week"], s) for s in STAGES})
    return pd.DataFrame(rows)


def goldenberg_coefficients(runs: pd.DataFrame, elasticities: bool = False) -> pd.DataFrame:
    """Standardized coefficients of log weeks to each stage on the factors (rows: factors;
    columns: (stage, coef | se | t)); R^2 per stage in ``attrs``. ``elasticities``: on the
    logs of the factors instead, unstandardized (d log weeks / d log factor), which does not
    depend on how wide a factor's range is."""
    tables, r2 = {}, {}
    X = runs[list(FACTORS)].astype(float)
    if elasticities:
        X = np.log(X)
    for s in STAGES:
        col = f"t{round(100 * s)}"
        table = standardized_regression(X, np.log(runs[col].to_numpy(float)))
        if elasticities:
            table[["coef", "se"]] = table[["coef", "se"]].div(X.std(ddof=0), axis=0)
        tables[col], r2[col] = table, table.attrs["r2"]
    out = pd.concat(tables, axis=1)
    out.attrs["r2"] = r2
    return out


def goldenberg_claims(coefficients: pd.DataFrame, elasticities: pd.DataFrame | None = None) -> list[Claim]:
    """The paper's relational claims on the standardized coefficients (their sizes: a factor
    that speeds adoption has a negative coefficient on log time). With ``elasticities``, the
    details also give the weak/strong comparison of the tie effects in elasticities."""
    size = coefficients.xs("coef", axis=1, level=1).abs()
    paper = "Goldenberg, Libai & Muller 2001"
    claims = []
    for col in size.columns:
        weak, strong = float(size.loc[list(WEAK), col].sum()), float(size.loc[list(STRONG), col].sum())
        detail = f"weak {weak:.3f}, strong {strong:.3f}"
        if elasticities is not None:
            e = elasticities[(col, "coef")].abs()
            detail += (f"; elasticities beta_w {e['goldenberg_beta_w']:.3f} vs beta_s {e['goldenberg_beta_s']:.3f}, "
                       f"w {e['weak_contacts']:.3f} vs s {e['clique_size']:.3f}")
        claims.append(Claim(paper, f"weak ties at least as strong as strong ties ({col})",
                            weak / strong, "|b(w)| + |b(beta_w)| >= |b(s)| + |b(beta_s)| (ratio >= 1)",
                            weak >= strong, detail))
    if elasticities is not None:
        # "Despite the relative inferiority of the weak tie parameter ..., their effect
        # approximates or exceeds that of strong ties": the parameters themselves, in
        # elasticities (free of the ranges' widths); "approximates" read as within 10 %.
        e = elasticities.xs("coef", axis=1, level=1).abs()
        worst = float((e.loc["goldenberg_beta_w"] / e.loc["goldenberg_beta_s"]).min())
        claims.append(Claim(paper, "weak-tie parameter's effect approximates or exceeds the strong-tie one's",
                            worst, "|e(beta_w)| >= 0.9 |e(beta_s)| at 15 % and 95 % (elasticities; min ratio)",
                            worst >= 0.9, ", ".join(f"{c} {e.loc['goldenberg_beta_w', c]:.3f} vs "
                                                    f"{e.loc['goldenberg_beta_s', c]:.3f}" for c in e.columns)))
    ratio = {col: float(size.loc["goldenberg_alpha", col] / size.loc[list(WOM), col].sum()) for col in size.columns}
    early, late = ratio["t15"], ratio["t95"]
    claims.append(Claim(paper, "advertising's effect concentrated early", early / late,
                        "|b(alpha)| / sum |b(WOM)|: larger at t15 than at t95 (ratio > 1)", early > late,
                        f"t15 {early:.3f}, t95 {late:.3f}"))
    signs = coefficients.xs("coef", axis=1, level=1)
    claims.append(Claim(paper, "every factor speeds adoption", float(signs.to_numpy().max()),
                        "every coefficient on log time < 0", bool((signs < 0).all().all()),
                        f"R^2 t15 {coefficients.attrs['r2']['t15']:.2f}, t95 {coefficients.attrs['r2']['t95']:.2f}"))
    return claims


def check_goldenberg(levels: int = 2, replicates: int = 4, n: int = 3000, workers=None,
                     progress: bool = True) -> GoldenbergResult:
    """The factorial runs, the regression and the claims (docs/ODD.md, 4.14)."""
    runs = goldenberg_runs(levels, replicates, n, workers, progress)
    coefficients, elasticities = goldenberg_coefficients(runs), goldenberg_coefficients(runs, elasticities=True)
    return GoldenbergResult(runs, coefficients, goldenberg_claims(coefficients, elasticities), elasticities)


# --- Libai, Muller & Peres (2013) ----------------------------------------------------------
#: The market of the seeding check: the goldenberg preset at mid-design values, a seeding
#: program of 5 % of consumers at random, 60 weeks (everybody adopts well before), a discount
#: rate of 1 % a week (assumption: LMP discount customer equity; the rate here only weighs
#: early against late adoptions).
LIBAI_MARKET = {"clique_size": 10, "weak_contacts": 10, "goldenberg_alpha": 0.005, "goldenberg_beta_w": 0.01,
                "goldenberg_beta_s": 0.04, "steps": 60}
SEED_SHARE = 0.05
DISCOUNT_RATE = 0.01


def decompose(week_with: np.ndarray, brand_with: np.ndarray, week_without: np.ndarray,
              brand_without: np.ndarray, rate: float = DISCOUNT_RATE) -> dict[str, float]:
    """The focal brand's (0) value of a program, consumer by consumer, runs with and without it
    on the same random numbers: value = sum of d^t over its customers with the program minus
    the same without, d = 1 / (1 + rate); acceleration = the part of those customers in both
    runs (d^t_with - d^t_without), expansion = customers only with the program (d^t_with) minus
    customers only without it (d^t_without); value = acceleration + expansion. ``customers``:
    the difference in eventual customers (counts).

    Examples
    --------
    >>> out = decompose(np.array([1, 2, 3]), np.array([0, 0, 0]), np.array([2, 2, 3]), np.array([0, 0, 1]), 0.0)
    >>> out["acceleration"], out["expansion"], out["customers"]
    (0.0, 1.0, 1.0)
    """
    d = 1.0 / (1.0 + rate)
    a, b = (week_with >= 0) & (brand_with == 0), (week_without >= 0) & (brand_without == 0)
    pv_with, pv_without = np.where(a, d ** week_with, 0.0), np.where(b, d ** week_without, 0.0)
    both = a & b
    acceleration = float((pv_with - pv_without)[both].sum())
    expansion = float(pv_with[a & ~b].sum() - pv_without[b & ~a].sum())
    return {"value": acceleration + expansion, "acceleration": acceleration, "expansion": expansion,
            "customers": float(a.sum() - b.sum()), "adopted_with": float((week_with >= 0).mean()),
            "adopted_without": float((week_without >= 0).mean())}


@dataclass
class LibaiResult:
    """Per market (1 brand, 2 brands) and replicate: value, acceleration, expansion and its
    share; the summary (mean and 95 % CI of the expansion share per market) and the claims."""

    runs: pd.DataFrame
    summary: pd.DataFrame
    claims: list[Claim]


def check_libai(replicates: int = 10, n: int = 3000, workers=None, progress: bool = True,
                base_seed: int = 2013) -> LibaiResult:
    """Seeding vs. no seeding, 1 and 2 brands (the rival the focal brand's twin), paired by
    seed; the claims of Libai, Muller & Peres (2013) (docs/ODD.md, 4.14)."""
    tasks = []
    for brands in (1, 2):
        base = {**preset_values("goldenberg"), **LIBAI_MARKET, "n_consumers": n, "n_brands": brands,
                "rival_budget": 0.0}
        for seeding in (SEED_SHARE, 0.0):
            params = Params(**{**base, "seed_share": seeding}).to_dict()
            tasks += [Task(params, run_seed(base_seed, r, brands), {"brands": brands, "seeded": seeding > 0,
                                                                    "replicate": r}) for r in range(replicates)]
    results = _run_all(tasks, workers, progress, "libai seeding")
    by_key = {(r["brands"], r["seeded"], r["replicate"]): r for r in results}
    rows = []
    for brands, rep in itertools.product((1, 2), range(replicates)):
        w, wo = by_key[(brands, True, rep)], by_key[(brands, False, rep)]
        rows.append({"brands": brands, "replicate": rep,
                     **decompose(w["week"], w["brand"], wo["week"], wo["brand"])})
    runs = pd.DataFrame(rows)
    runs["expansion_share"] = runs["expansion"] / runs["value"]
    summary = runs.groupby("brands").agg(value=("value", "mean"), acceleration=("acceleration", "mean"),
                                         expansion=("expansion", "mean"), customers=("customers", "mean"),
                                         share=("expansion_share", "mean"), sd=("expansion_share", "std"),
                                         runs=("expansion_share", "size"),
                                         adopted=("adopted_without", "mean"))
    half = 1.96 * summary["sd"] / np.sqrt(summary["runs"])
    summary["low"], summary["high"] = summary["share"] - half, summary["share"] + half
    paper = "Libai, Muller & Peres 2013"
    mono, duo = summary.loc[1], summary.loc[2]
    claims = [
        Claim(paper, "no rival: (almost) pure acceleration", float(mono["share"]),
              "|expansion share| <= 0.05 and everybody adopts",
              bool(abs(mono["share"]) <= 0.05 and mono["adopted"] >= 0.99),
              f"{int(mono['runs'])} paired runs, share 95 % CI [{mono['low']:.3f}, {mono['high']:.3f}], "
              f"adopted {mono['adopted']:.3f}"),
        Claim(paper, "a rival: a clear expansion share", float(duo["share"]),
              "expansion share >= 0.2, 95 % CI above 0", bool(duo["share"] >= 0.2 and duo["low"] > 0),
              f"{int(duo['runs'])} paired runs, share 95 % CI [{duo['low']:.3f}, {duo['high']:.3f}], "
              f"{duo['customers']:+.0f} eventual customers"),
    ]
    return LibaiResult(runs, summary, claims)
