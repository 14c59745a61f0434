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
    n = state.aware.size
    attitude, expectation = state.attitude.reshape(-1), state.expectation.reshape(-1)
    beyond = np.abs(valence - attitude[listener]) > params.confidence_bound
    w = np.where(beyond, weight * params.resistance, weight)
    total = np.bincount(listener, weights=w, minlength=n)
    heard = np.flatnonzero(np.bincount(listener, minlength=n))
    state.aware.reshape(-1)[heard] = True
    state.reinforced.reshape(-1)[heard] = True
    got = heard[total[heard] > 0]
    if len(got) == 0:
        return
    W = total[got]
    v_bar = np.bincount(listener, weights=w * valence, minlength=n)[got] / W
    c_bar = np.bincount(listener, weights=w * content, minlength=n)[got] / W
    a = attitude[got]
    attitude[got] = a + (1.0 - (1.0 - params.wom_influence) ** W) * (v_bar - a)
    e = expectation[got]
    expectation[got] = e + (1.0 - (1.0 - params.wom_expectation) ** W) * (c_bar - e)
