"""Global sensitivity analysis of a sweep's results with SALib: Sobol or Morris.

References
----------
Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices.
Computer Physics Communications 145, 280-297. Morris, M. D. (1991). Factorial sampling
plans for preliminary computational experiments. Technometrics 33(2), 161-174.
Herman, J., & Usher, W. (2017). SALib: an open-source Python library for sensitivity
analysis. JOSS 2(9).
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
