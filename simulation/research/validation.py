"""Verification and docking (Rand & Rust 2011): ``python run.py validate``.

Checks, each with its expected value, measured value and tolerance:

* **Bass on the complete graph** (Bass 1969): with the ``bass`` preset the mean adoption
  curve over seeds follows the discrete recursion F(t+1) = F(t) + (p + q F(t))(1 - F(t))
  (max abs deviation <= 0.01), for several (p, q) incl. p = 0.03, q = 0.38 (Sultan, Farley
  & Lehmann 1990).
* **Bass on sparse graphs** (Fibich & Levin: the complete graph is the fastest case):
  on Barabasi-Albert, Watts-Strogatz and Erdos-Renyi graphs the mean curve is never
  significantly above the complete graph's (one-sided, 3 standard errors).
* **DeGroot** (1974): with the ``degroot`` preset attitudes converge to pi^T x(0), pi the
  stationary distribution of the update matrix (within 1e-6).
* **Friedkin-Johnsen** (1990): with stubbornness, to (I - Lambda W)^-1 (I - Lambda) x(0).
* **Two implementations agree**: engine vs. per-agent reference, in distribution
  (:func:`compare_samples`).
* **Docking with published marketing ABMs** (:mod:`simulation.research.marketing_docking`;
  relational equivalence, Axtell et al. 1996): the claims of Goldenberg, Libai & Muller
  (2001) and Libai, Muller & Peres (2013). Reported as claims (``binding = False``): a claim
  not reproduced is a finding about the two models, not a failure of the code, so it does not
  make the command fail.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from simulation.core.metrics import METRIC_NAMES
from simulation.core.model import WordOfMouthModel
from simulation.core.params import Params
from simulation.core.presets import preset_values
from simulation.research.executors import run_tasks
from simulation.research.marketing_docking import Claim, GoldenbergResult, LibaiResult, check_goldenberg, check_libai
from simulation.research.tasks import Task, run_seed

BASS_PAIRS = ((0.03, 0.38), (0.01, 0.5), (0.1, 0.2))


@dataclass
class Check:
    """One verification check: what is expected, what was measured, the tolerance, pass or fail."""

    check: str
    expected: str
    measured: float
    tolerance: str
    passed: bool
    detail: str = ""
    binding: bool = True  # False: a published claim (docking), reported but not a failure

    @property
    def status(self) -> str:
        if not self.binding:
            return "held" if self.passed else "NOT HELD"
        return "PASS" if self.passed else "FAIL"


def bass_recursion(p: float, q: float, steps: int) -> np.ndarray:
    """F(0) = 0, F(t+1) = F(t) + (p + q F(t)) (1 - F(t)): the discrete Bass model.

    Examples
    --------
    >>> bass_recursion(0.03, 0.38, 2).round(5).tolist()
    [0.0, 0.03, 0.07016]
    """
    F = np.zeros(steps + 1)
    for t in range(steps):
        F[t + 1] = F[t] + (p + q * F[t]) * (1.0 - F[t])
    return F


def _adoption_curves(params: dict, seeds: int, base_seed: int, workers, progress, desc) -> np.ndarray:
    tasks = [Task(params, run_seed(base_seed, r), {"replicate": r}) for r in range(seeds)]
    frames = run_tasks(tasks, workers=workers, progress=progress, desc=desc)
    return np.stack([f["adopters"].to_numpy() for f in frames])


def check_bass_complete(n: int = 10_000, seeds: int = 10, steps: int = 30, pairs=BASS_PAIRS,
                        workers=None, progress=True, tolerance: float = 0.01):
    checks, curves = [], {}
    for p, q in pairs:
        params = Params(**{**preset_values("bass"), "network": "complete", "n_consumers": n,
                           "bass_p": p, "bass_q": q, "steps": steps}).to_dict()
        sims = _adoption_curves(params, seeds, 1969, workers, progress, f"bass p={p} q={q}")
        theory = bass_recursion(p, q, steps)
        dev = float(np.abs(sims.mean(axis=0) - theory).max())
        curves[(p, q)] = (sims, theory)
        checks.append(Check(f"Bass, complete graph, p={p}, q={q}", "discrete Bass recursion",
                            dev, f"max |mean F - F_theory| <= {tolerance}", dev <= tolerance,
                            f"N={n}, {seeds} seeds"))
    return checks, curves


def check_bass_sparse(n: int = 2000, seeds: int = 10, steps: int = 30, workers=None, progress=True):
    """Fibich & Levin: adoption on a sparse graph is not faster than on the complete graph."""
    base = {**preset_values("bass"), "n_consumers": n, "steps": steps, "mean_degree": 6}
    complete = _adoption_curves(Params(**{**base, "network": "complete"}).to_dict(), seeds, 7, workers,
                                progress, "bass complete")
    checks, curves = [], {"complete": complete}
    for net in ("barabasi_albert", "watts_strogatz", "erdos_renyi"):
        sims = _adoption_curves(Params(**{**base, "network": net}).to_dict(), seeds, 7, workers, progress,
                                f"bass {net}")
        curves[net] = sims
        se = np.sqrt(sims.var(axis=0, ddof=1) / seeds + complete.var(axis=0, ddof=1) / seeds)
        excess = sims.mean(axis=0) - complete.mean(axis=0)
        z = float(np.max(np.where(se > 0, excess / np.where(se > 0, se, 1), 0.0)))
        checks.append(Check(f"Bass, {net} not faster than complete", "sparse <= complete",
                            z, "max (sparse - complete) / SE <= 3", z <= 3.0,
                            f"N={n}, {seeds} seeds, max excess {excess.max():+.4f}"))
    return checks, curves


def degroot_matrix(model) -> sp.csr_array:
    """The update matrix of the ``degroot`` preset: x(t+1) = M x(t) with
    M = diag(1 - f) + diag(f) D^-1 A, f_i = 1 - (1 - wom_influence)^(sum of i's tie weights)."""
    A = model.adjacency.to_scipy()
    w = np.asarray(A.sum(axis=1)).ravel()
    f = 1.0 - (1.0 - model.params.wom_influence) ** w
    inv = np.divide(f, w, out=np.zeros_like(w), where=w > 0)
    return (sp.diags(1.0 - f) + sp.diags(inv) @ A).tocsr()


def _focal_attitudes(model) -> np.ndarray:
    """The attitudes the reductions are about: the one brand of the presets (column 0)."""
    return model.state.attitude[:, 0].copy()


def _run_to_convergence(model, max_steps: int, tol: float = 1e-12) -> tuple[np.ndarray, int]:
    trace = [_focal_attitudes(model)]
    for t in range(max_steps):  # noqa: B007 - the step count is returned after the loop
        before = trace[-1]
        model.step()
        trace.append(_focal_attitudes(model))
        if np.abs(trace[-1] - before).max() < tol:
            break
    return np.array(trace), t + 1


def check_degroot(networks=("karate", "barabasi_albert"), n: int = 300, max_steps: int = 3000,
                  tolerance: float = 1e-6):
    checks, traces = [], {}
    for net in networks:
        model = WordOfMouthModel({**preset_values("degroot"), "network": net, "n_consumers": n}, rng=1974)
        x0 = _focal_attitudes(model)
        M = degroot_matrix(model)
        vals, vecs = np.linalg.eig(M.toarray().T)
        pi = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
        pi = pi / pi.sum()
        consensus = float(pi @ x0)
        trace, steps = _run_to_convergence(model, max_steps)
        dev = float(np.abs(trace[-1] - consensus).max())
        traces[net] = (trace, consensus)
        checks.append(Check(f"DeGroot consensus, {net}", f"pi^T x(0) = {consensus:+.6f}", dev,
                            f"max |x_i - consensus| <= {tolerance:g}", dev <= tolerance,
                            f"N={model.n_consumers}, {steps} steps"))
    return checks, traces


def check_friedkin_johnsen(networks=("karate", "barabasi_albert"), n: int = 300, max_steps: int = 3000,
                           tolerance: float = 1e-6):
    checks, traces = [], {}
    for net in networks:
        model = WordOfMouthModel({**preset_values("friedkin_johnsen"), "network": net, "n_consumers": n},
                                 rng=1990)
        x0 = model.state.attitude0[:, 0].copy()
        lam = 1.0 - model.params.attitude_decay
        M = degroot_matrix(model).toarray()
        equilibrium = np.linalg.solve(np.eye(len(x0)) - lam * M, (1.0 - lam) * x0)
        trace, steps = _run_to_convergence(model, max_steps)
        dev = float(np.abs(trace[-1] - equilibrium).max())
        traces[net] = (trace, equilibrium)
        checks.append(Check(f"Friedkin-Johnsen equilibrium, {net}", "(I - lambda W)^-1 (1 - lambda) x(0)",
                            dev, f"max |x_i - x*_i| <= {tolerance:g}", dev <= tolerance,
                            f"N={model.n_consumers}, lambda={lam:g}, {steps} steps"))
    return checks, traces


def _welch(u: np.ndarray, v: np.ndarray) -> float:
    """p-value of Welch's t-test. Two constant samples: 1 if equal; if not, the exact
    permutation p-value of the split, 1 (or 2, with equal sizes, counting the mirror split)
    in C(n_u + n_v, n_u) equally likely ones under the null: tiny for 30 runs against 30,
    but 0.1 for 3 runs against 2, which a rate among one or two buyers shows by chance."""
    if np.ptp(u) == 0 and np.ptp(v) == 0:
        if math.isclose(u[0], v[0], rel_tol=1e-12, abs_tol=1e-12):
            return 1.0
        return min(1.0, (2 if len(u) == len(v) else 1) / math.comb(len(u) + len(v), len(u)))
    with warnings.catch_warnings():
        # nearly constant samples (awareness 1.0 in all runs but one) make scipy warn; the
        # test is still well defined
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_ind(u, v, equal_var=False).pvalue)


def compare_samples(a: pd.DataFrame, b: pd.DataFrame, metrics=METRIC_NAMES, checkpoints=(5, 13, 26),
                    alpha: float = 0.01) -> pd.DataFrame:
    """Tests of every metric at every checkpoint between two sets of runs.

    ``a`` and ``b`` are tidy timeseries (column ``step`` plus metrics; one row per run and
    step). Per (metric, step): if some run of either set is undefined (NaN: a share of
    nothing, ROI without spend), the shares of undefined runs are compared by Fisher's exact
    test (``test = "undefined"``; ``mean_a``/``mean_b`` are those shares); the defined
    values are compared by Welch's t-test (``test = "mean"``) when each set has at least 2;
    NaN in every run of both is skipped; two constant samples are equal (p = 1) or
    different (the exact permutation p-value of :func:`_welch`). ``rejected``: p below the
    Bonferroni level ``alpha / number of comparisons`` (family-wise error rate ``alpha``),
    which ``attrs["level"]`` holds.
    """
    rows = []
    for step in checkpoints:
        xa, xb = a[a["step"] == step], b[b["step"] == step]
        for m in metrics:
            u, v = xa[m].to_numpy(float), xb[m].to_numpy(float)
            nan_u, nan_v = np.isnan(u), np.isnan(v)
            if nan_u.any() or nan_v.any():
                if nan_u.all() and nan_v.all():
                    continue
                table = [[nan_u.sum(), (~nan_u).sum()], [nan_v.sum(), (~nan_v).sum()]]
                rows.append({"metric": m, "step": step, "test": "undefined", "mean_a": nan_u.mean(),
                             "mean_b": nan_v.mean(), "sd_a": np.nan, "sd_b": np.nan,
                             "p": float(stats.fisher_exact(table).pvalue)})
            u, v = u[~nan_u], v[~nan_v]
            if len(u) >= 2 and len(v) >= 2:
                rows.append({"metric": m, "step": step, "test": "mean", "mean_a": u.mean(), "mean_b": v.mean(),
                             "sd_a": u.std(ddof=1), "sd_b": v.std(ddof=1), "p": _welch(u, v)})
    out = pd.DataFrame(rows)
    out.attrs["level"] = alpha / max(len(out), 1)
    out["rejected"] = out["p"] < out.attrs["level"]
    return out


def check_agreement(strategies=("none", "broadcast", "hype", "dialogue", "mixed"), n: int = 200,
                    steps: int = 20, seeds: int = 20, workers=None, progress=True, alpha: float = 0.01):
    checks, tables = [], {}
    for strategy in strategies:
        base = {"n_consumers": n, "steps": steps, "strategy": strategy}
        eng = [Task({**base, "engine": "vectorised"}, run_seed(1, r), {"replicate": r}) for r in range(seeds)]
        ref = [Task({**base, "engine": "reference"}, run_seed(2, r), {"replicate": r}) for r in range(seeds)]
        frames = run_tasks(eng + ref, workers=workers, progress=progress, desc=f"agreement {strategy}")
        a, b = pd.concat(frames[:seeds]), pd.concat(frames[seeds:])
        table = compare_samples(a, b, checkpoints=(steps // 4, steps // 2, steps), alpha=alpha)
        tables[strategy] = table
        worst = float(table["p"].min())
        checks.append(Check(f"engine = reference in distribution, {strategy}",
                            "no metric differs", worst,
                            f"min p >= {table.attrs['level']:.1e} (Bonferroni, FWER {alpha})",
                            not table["rejected"].any(),
                            f"N={n}, {seeds}+{seeds} seeds, {len(table)} Welch tests"))
    return checks, tables


@dataclass
class ValidationResult:
    """Every check of :func:`run_validation` and the curves behind them (for the figures)."""

    checks: list[Check]
    bass: dict          # (p, q) -> (seeds x weeks adoption curves, discrete Bass recursion)
    sparse: dict        # network -> seeds x weeks adoption curves
    degroot: dict       # network -> (weeks x consumers attitudes, consensus)
    friedkin_johnsen: dict  # network -> (weeks x consumers attitudes, equilibrium)
    agreement: dict = field(default_factory=dict)  # strategy -> compare_samples table
    seconds: float = 0.0
    goldenberg: GoldenbergResult | None = None  # the factorial runs, coefficients and claims
    libai: LibaiResult | None = None            # the paired seeding runs, summary and claims

    @property
    def failed(self) -> list[Check]:
        """The binding checks that failed (a published claim not held is not among them)."""
        return [c for c in self.checks if c.binding and not c.passed]

    @property
    def claims(self) -> list[Check]:
        return [c for c in self.checks if not c.binding]


def claim_checks(claims: list[Claim]) -> list[Check]:
    """The published claims as non-binding checks of the validation table."""
    return [Check(f"{c.paper}: {c.claim}", c.criterion, c.measured, "relational (Axtell et al. 1996)",
                  c.passed, c.detail, binding=False) for c in claims]


def run_validation(workers=None, progress=True, quick: bool = False) -> ValidationResult:
    """Run every check (``quick``: smaller sizes, a smoke test); nothing is written."""
    start = time.perf_counter()
    bass_checks, bass = check_bass_complete(n=2000 if quick else 10_000, workers=workers, progress=progress)
    sparse_checks, sparse = check_bass_sparse(workers=workers, progress=progress)
    dg_checks, dg = check_degroot()
    fj_checks, fj = check_friedkin_johnsen()
    checks = bass_checks + sparse_checks + dg_checks + fj_checks
    agreement_checks, tables = check_agreement(seeds=10 if quick else 20, workers=workers, progress=progress)
    checks += agreement_checks
    # the marketing docking: the full factorial at two levels (32 cells) either way, fewer runs if quick
    goldenberg = check_goldenberg(levels=2, replicates=2 if quick else 4, n=1000 if quick else 3000,
                                  workers=workers, progress=progress)
    libai = check_libai(replicates=4 if quick else 10, n=1000 if quick else 3000, workers=workers, progress=progress)
    checks += claim_checks(goldenberg.claims + libai.claims)
    return ValidationResult(checks, bass, sparse, dg, fj, tables, round(time.perf_counter() - start, 1),
                            goldenberg, libai)
