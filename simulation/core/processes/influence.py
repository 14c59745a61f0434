"""Social influence on a listener: the update shared by private WOM and public reading.

A listener who receives messages (valence v, expectation content c, weight w) in one step
moves toward their weighted means:

    a <- a + (1 - (1 - wom_influence)^W) (v_bar - a)
    e <- e + (1 - (1 - wom_expectation)^W) (c_bar - e)

with W the sum of weights. A message farther than ``confidence_bound`` from the listener's
attitude keeps only ``resistance`` of its weight (bounded confidence, Deffuant et al. 2000;
resistance to disconfirming WOM, East, Hammond & Lomax 2008). With
``confidence_bound = 2``, every consumer talking to every neighbour with certainty over ties
of strength 1 and no other process active, this is the DeGroot (1974) update.
"""

from __future__ import annotations

import numpy as np

from simulation.core.params import Params
from simulation.core.state import ConsumerState


def social_influence(state: ConsumerState, listener: np.ndarray, weight: np.ndarray,
                     valence: np.ndarray, content: np.ndarray, params: Params) -> None:
    """Apply a batch of messages synchronously (all listeners judge on the same snapshot).

    A message is about one brand: ``listener`` holds the key ``i * B + b`` of (listener i,
    brand b) in the flattened (N, B) arrays, so messages about different brands are pooled
    in one pass and each (listener, brand) pair is updated from its own messages. Hearing
    about a brand makes the listener aware of it and reinforces that awareness.

    Parameters
    ----------
    listener : int array, one entry per message: the key i * B + b
    weight : float array, tie strength (or stranger weight) of each message
    valence : float array in [-1, 1], the sender's impression
    content : float array in [-1, 1], the quality the sender reports (their expectation)
    """
    if len(listener) == 0:
        return
    attitude, expectation = state.attitude.reshape(-1), state.expectation.reshape(-1)
    beyond = np.abs(valence - attitude[listener]) > params.confidence_bound
    w = np.where(beyond, weight * params.resistance, weight)
    heard, group = distinct(listener, state.aware.size)
    state.aware.reshape(-1)[heard] = True
    state.reinforced.reshape(-1)[heard] = True
    total = np.bincount(group, weights=w, minlength=len(heard))
    got = np.flatnonzero(total > 0)
    if len(got) == 0:
        return
    W = total[got]
    v_bar = np.bincount(group, weights=w * valence, minlength=len(heard))[got] / W
    c_bar = np.bincount(group, weights=w * content, minlength=len(heard))[got] / W
    got = heard[got]
    a = attitude[got]
    attitude[got] = a + (1.0 - (1.0 - params.wom_influence) ** W) * (v_bar - a)
    e = expectation[got]
    expectation[got] = e + (1.0 - (1.0 - params.wom_expectation) ** W) * (c_bar - e)


def distinct(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``key`` (ints in [0, size)), ascending, and the position of
    each entry's value among them: ``np.unique(key, return_inverse=True)``.

    ``np.bincount(group, weights=w)`` then sums each key's weights in the order of the
    entries, exactly as a full-length ``np.bincount(key, weights=w, minlength=size)`` would,
    but in O(len(key)) memory. Few keys against ``size`` (a sort is cheaper than passes
    over ``size``): ``np.unique``; many: a full-length mask, whose cost does not grow with
    the sort.

    Examples
    --------
    >>> [a.tolist() for a in distinct(np.array([7, 2, 7, 5]), 10)]
    [[2, 5, 7], [2, 0, 2, 1]]
    """
    key = np.asarray(key, dtype=np.int64)
    if 8 * len(key) < size:  # measured crossover: about size / 10 (a sort of len(key) vs passes over size)
        return np.unique(key, return_inverse=True)
    seen = np.zeros(size, dtype=bool)
    seen[key] = True
    values = np.flatnonzero(seen)
    position = np.empty(size, dtype=np.int64)
    position[values] = np.arange(len(values))
    return values, position[key]
