"""The NPS survey: a sample of the focal brand's recent customers answers "How likely are
you to recommend ...?" on 0-10.

References
----------
Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review 81(12),
46-54 (promoters 9-10, detractors 0-6, NPS = % promoters - % detractors).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from simulation.core.params import Params
from simulation.core.state import ConsumerState

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


class Survey(NamedTuple):
    """One survey's result: NPS in [-100, 100], its 95 % interval (inside [-100, 100]) and
    the number of respondents; NaN and 0 when nobody could be asked."""

    nps: float
    low: float
    high: float
    respondents: int


NO_SURVEY = Survey(math.nan, math.nan, math.nan, 0)


def recommend_scores(satisfaction: np.ndarray, loyalty: np.ndarray, params: Params,
                     noise: np.ndarray) -> np.ndarray:
    """Answers on 0..10: round(nps_intercept + nps_satisfaction * s + nps_loyalty * L +
    nps_noise * z), clipped to 0..10 (s: the last satisfaction with the brand, L: loyalty to
    it, z: standard normal response noise).

    Examples
    --------
    >>> from simulation.core.params import Params
    >>> recommend_scores(np.array([1.0, -1.0]), np.array([1.0, 0.0]), Params(), np.zeros(2)).tolist()
    [10, 4]
    """
    latent = (params.nps_intercept + params.nps_satisfaction * satisfaction
              + params.nps_loyalty * loyalty + params.nps_noise * noise)
    return np.clip(np.floor(latent + 0.5), 0, 10).astype(np.int64)


def net_promoter(scores: np.ndarray) -> Survey:
    """NPS of a sample of 0..10 answers with its 95 % interval.

    NPS = 100 (P - D) with P, D the shares of promoters (9-10) and detractors (0-6); its
    sampling variance is (P + D - (P - D)^2) / n (one multinomial sample). The normal
    interval is clipped to [-100, 100] (a share difference cannot leave it).

    Examples
    --------
    >>> s = net_promoter(np.array([10, 9, 7, 3]))
    >>> s.nps, s.respondents, -100 <= s.low < s.nps < s.high <= 100
    (25.0, 4, True)
    """
    n = len(scores)
    if n == 0:
        return NO_SURVEY
    promoters = np.count_nonzero(scores >= 9) / n
    detractors = np.count_nonzero(scores <= 6) / n
    diff = promoters - detractors
    half = Z95 * math.sqrt(max(promoters + detractors - diff * diff, 0.0) / n)
    return Survey(float(100.0 * diff), float(100.0 * max(diff - half, -1.0)),
                  float(100.0 * min(diff + half, 1.0)), n)


def nps_survey(state: ConsumerState, params: Params, rng: np.random.Generator) -> Survey:
    """Ask ``nps_sample`` of the focal brand's recent customers (bought it in the last
    ``scr_window`` weeks), drawn without replacement (all of them if fewer).

    ``rng`` is the survey's own stream (spawned from the model's Generator): how many are
    asked changes no other draw of the run.
    """
    customers = np.flatnonzero(state.recent[:, 0] > 0)
    if len(customers) == 0:
        return NO_SURVEY
    asked = customers if len(customers) <= params.nps_sample else \
        rng.choice(customers, size=params.nps_sample, replace=False)
    noise = rng.standard_normal(len(asked))
    scores = recommend_scores(state.last_satisfaction[asked, 0], state.loyalty[asked, 0], params, noise)
    return net_promoter(scores)
