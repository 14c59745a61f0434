"""Global sensitivity analysis of a sweep's results with SALib: Sobol or Morris, and whether
the sample is large enough for the indices to be trusted (:func:`sample_warning`).

Sample size rules (stated in every warning, and in docs/ODD.md, 4.11):

* Sobol (Saltelli sampling, :func:`SALib.sample.sobol.sample` without second-order
  indices): N base samples give N (D + 2) runs for D parameters. N should be a power of 2
  (the balance of the Sobol' sequence needs it; scipy warns otherwise), and the indices
  typically stabilise only from N of several hundred to about a thousand (SALib's own
  examples use N = 1024). With fewer, estimates outside [0, 1] (S1 = 1.24 at N = 16) and
  bootstrap intervals wider than the indices are common.
* Morris (:func:`SALib.sample.morris.sample`): r trajectories give r (D + 1) runs; r of
  10 to 20 or more is the usual recommendation (Campolongo et al. 2007; Saltelli et al.
  2008, ch. 3) for a stable ranking by mu*.

References
----------
Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices.
Computer Physics Communications 145, 280-297. Morris, M. D. (1991). Factorial sampling
plans for preliminary computational experiments. Technometrics 33(2), 161-174.
Herman, J., & Usher, W. (2017). SALib: an open-source Python library for sensitivity
analysis. JOSS 2(9). Campolongo, F., Cariboni, J., & Saltelli, A. (2007). An effective
screening design for sensitivity analysis of large models. Environmental Modelling &
Software 22, 1509-1518. Saltelli, A., et al. (2008). Global Sensitivity Analysis: The
Primer. Wiley.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.core.metrics import check_metric
from simulation.errors import WomsimError
from simulation.research.experiment import Experiment


def analyse(exp: Experiment, finals: pd.DataFrame, metric: str = "loyalty") -> pd.DataFrame:
    """Sobol first-order and total indices with 95 % CIs, or Morris mu* and sigma, per
    strategy (and per grid combination), of the replicate mean of ``metric``.

    The design-point index (``point``) is the row of the sample matrix within its grid
    combination, so the outputs line up with SALib's sample order.
    """
    check_metric(metric)
    if exp.design not in ("sobol", "morris"):
        raise WomsimError(f"{exp.path}: sensitivity needs design = sobol | morris, not {exp.design!r}")
    prob = exp.problem()
    X = exp.sample_matrix()
    n_rows = len(X)
    means = finals.groupby(["point", "strategy"])[metric].mean()
    rows = []
    for strategy in exp.strategies():
        try:
            y_all = means.xs(strategy, level="strategy")
        except KeyError:
            continue
        n_combos = max(1, int(np.ceil((y_all.index.max() + 1) / n_rows)))
        for combo in range(n_combos):
            idx = np.arange(combo * n_rows, (combo + 1) * n_rows)
            y = y_all.reindex(idx).to_numpy(float)
            if np.isnan(y).any():
                raise WomsimError(f"{int(np.isnan(y).sum())} of {n_rows} design points of strategy "
                                  f"'{strategy}' have no finished run yet: finish the sweep first")
            if exp.design == "sobol":
                from SALib.analyze import sobol  # noqa: PLC0415 - loaded only for this design

                si = sobol.analyze(prob, y, calc_second_order=False, conf_level=0.95, seed=exp.seed)
                for i, name in enumerate(prob["names"]):
                    rows.append({"strategy": strategy, "combo": combo, "parameter": name,
                                 "S1": si["S1"][i], "S1_conf": si["S1_conf"][i],
                                 "ST": si["ST"][i], "ST_conf": si["ST_conf"][i]})
            else:
                from SALib.analyze import morris  # noqa: PLC0415 - loaded only for this design

                si = morris.analyze(prob, X, y, conf_level=0.95, num_levels=4, seed=exp.seed)
                for i, name in enumerate(prob["names"]):
                    rows.append({"strategy": strategy, "combo": combo, "parameter": name,
                                 "mu_star": si["mu_star"][i], "mu_star_conf": si["mu_star_conf"][i],
                                 "sigma": si["sigma"][i]})
    return pd.DataFrame(rows)


#: Smallest Sobol base sample N trusted without a warning (a power of 2 in "several hundred
#: to a thousand").
SOBOL_MIN_N = 512
#: Fewest Morris trajectories trusted without a warning.
MORRIS_MIN_TRAJECTORIES = 10
#: Largest 95 % half-width of a Sobol index trusted without a warning (indices are shares
#: of variance in [0, 1]: +/- 0.1 already blurs "matters" against "does not").
MAX_HALF_WIDTH = 0.1
#: Morris: warn when the most influential parameter's mu* is uncertain by more than this share.
MORRIS_MAX_RELATIVE_HALF_WIDTH = 0.5

SOBOL_RULE = ("SALib's Saltelli sampling gives N (D + 2) runs for D parameters; N should be a power of 2, and "
              f"Sobol indices stabilise only from N of several hundred to a thousand (warned below N = {SOBOL_MIN_N})")
MORRIS_RULE = ("Morris sampling gives r (D + 1) runs for r trajectories and D parameters; r of 10 to 20 or more "
               f"is the usual recommendation (warned below r = {MORRIS_MIN_TRAJECTORIES})")


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _fmt(v: float) -> str:
    return f"{v:.2f}"


def _sobol_reasons(table: pd.DataFrame, n: int) -> list[str]:
    reasons = []
    if n < SOBOL_MIN_N:
        reasons.append(f"N = {n} base samples is below {SOBOL_MIN_N}")
    if not _power_of_two(n):
        reasons.append(f"N = {n} is not a power of 2")
    for col in ("S1", "ST"):
        est, half = table[col].to_numpy(float), table[f"{col}_conf"].to_numpy(float)
        if np.isnan(est).any():
            reasons.append(f"{int(np.isnan(est).sum())} {col} values are NaN (the output does not vary)")
        outside = (est - np.nan_to_num(half) > 1.0) | (est + np.nan_to_num(half) < 0.0)
        if outside.any():
            k = int(np.argmax(np.where(outside, np.abs(est - 0.5), -np.inf)))
            row = table.iloc[k]
            reasons.append(f"{int(outside.sum())} {col} values lie outside [0, 1] beyond their CI (e.g. {col} of "
                           f"{row['parameter']} for {row['strategy']} = {_fmt(est[k])} +/- {_fmt(half[k])})")
    widest = float(np.nanmax(table[["S1_conf", "ST_conf"]].to_numpy(float), initial=0.0))
    if widest > MAX_HALF_WIDTH:
        reasons.append(f"95 % CI half-widths reach {_fmt(widest)} (> {MAX_HALF_WIDTH:g})")
    return reasons


def _morris_reasons(table: pd.DataFrame, r: int) -> list[str]:
    reasons = []
    if r < MORRIS_MIN_TRAJECTORIES:
        reasons.append(f"r = {r} trajectories is below {MORRIS_MIN_TRAJECTORIES}")
    for (strategy, _), t in table.groupby(["strategy", "combo"], sort=False):
        mu = t["mu_star"].to_numpy(float)
        if not np.isfinite(mu).any() or np.nanmax(mu) <= 0:
            continue
        k = int(np.nanargmax(mu))
        half = float(t["mu_star_conf"].to_numpy(float)[k])
        if half > MORRIS_MAX_RELATIVE_HALF_WIDTH * mu[k]:
            reasons.append(f"mu* of the most influential parameter ({t['parameter'].iloc[k]}, {strategy}) = "
                           f"{mu[k]:.3g} +/- {half:.3g}: uncertain by more than "
                           f"{MORRIS_MAX_RELATIVE_HALF_WIDTH:.0%}")
            break
    return reasons


def sample_warning(exp: Experiment, table: pd.DataFrame) -> str:
    """Why the indices of :func:`analyse` should not be trusted, or "" if nothing says so.

    Sobol: N below :data:`SOBOL_MIN_N` or not a power of 2; an index outside [0, 1] by more
    than its 95 % half-width; a half-width above :data:`MAX_HALF_WIDTH`; NaN indices.
    Morris: fewer than :data:`MORRIS_MIN_TRAJECTORIES` trajectories; the top parameter's mu*
    uncertain by more than :data:`MORRIS_MAX_RELATIVE_HALF_WIDTH`. The text names every
    reason and the SALib sample size rule (:data:`SOBOL_RULE`, :data:`MORRIS_RULE`), and
    how to fix it; the table, the figure and the command line all show it.

    Parameters
    ----------
    exp : Experiment
        The sweep (its ``design``, ``samples`` and ranged parameters).
    table : pandas.DataFrame
        Output of :func:`analyse`.

    Returns
    -------
    str
        One line starting "too few samples", or "".
    """
    if table.empty or exp.design not in ("sobol", "morris"):
        return ""
    d = len(exp.ranges)
    if exp.design == "sobol":
        reasons, rule = _sobol_reasons(table, exp.samples), SOBOL_RULE
        runs = f"here {exp.samples} x ({d} + 2) = {exp.samples * (d + 2)} runs per strategy"
        small = exp.samples < SOBOL_MIN_N or not _power_of_two(exp.samples)
        target = 1 << (max(SOBOL_MIN_N, exp.samples) - 1).bit_length() if small else 2 * exp.samples
        fix = f"raise [sweep] samples to {target} or more"
    else:
        reasons, rule = _morris_reasons(table, exp.samples), MORRIS_RULE
        runs = f"here {exp.samples} x ({d} + 1) = {exp.samples * (d + 1)} runs per strategy"
        fix = f"raise [sweep] samples to {max(MORRIS_MIN_TRAJECTORIES, 2 * exp.samples)} or more"
    if not reasons:
        return ""
    return (f"too few samples for these {exp.design.capitalize()} indices to be trusted: " + "; ".join(reasons)
            + f". {rule}; {runs}: {fix}.")
