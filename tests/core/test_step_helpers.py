"""The helpers that make the weekly step faster (issue 14) give exactly what the plain numpy
expressions they replace give: random (N, B) arrays with many ties, every brand count the
model allows at the ends (1 and 20), and both code paths of the size-dependent helpers."""

import numpy as np
import pytest

from simulation.core import metrics
from simulation.core.processes.broadcast import hit_counts
from simulation.core.processes.influence import distinct
from simulation.core.state import IMMIGRANT, ConsumerState, kth_true, row_count, row_cumsum, row_max


@pytest.fixture(params=[1, 2, 3, 20], ids=lambda b: f"B={b}")
def arrays(request):
    rng = np.random.default_rng(request.param)
    n, b = 500, request.param
    values = np.round(rng.standard_normal((n, b)), 1)  # rounded: many ties
    mask = rng.random((n, b)) < 0.4
    return rng, values, mask


def test_row_reductions_equal_numpy(arrays):
    rng, values, mask = arrays
    np.testing.assert_array_equal(row_max(values), values.max(axis=1))
    np.testing.assert_array_equal(row_count(mask), mask.sum(axis=1))
    weights = rng.random(values.shape)
    assert np.array_equal(row_cumsum(weights), np.cumsum(weights, axis=1))  # bit for bit


def test_kth_true_equals_the_cumsum_rank(arrays):
    rng, _, mask = arrays
    count = mask.sum(axis=1)
    k = np.floor(rng.random(len(mask)) * count)
    chosen = mask & ((np.cumsum(mask, axis=1) - 1) == k[:, None])
    want = np.where(mask.any(axis=1), chosen.argmax(axis=1), -1)
    np.testing.assert_array_equal(kth_true(mask, k), want)
    np.testing.assert_array_equal(kth_true(mask), np.where(mask.any(axis=1), mask.argmax(axis=1), -1))


@pytest.mark.parametrize("m", [5, 40, 400, 4000])  # below and above the switch to a full-length mask
def test_distinct_is_unique_with_inverse_and_keeps_the_summation_order(m):
    rng = np.random.default_rng(m)
    size = 1000
    key = rng.integers(0, size, m)
    values, group = distinct(key, size)
    want_values, want_group = np.unique(key, return_inverse=True)
    np.testing.assert_array_equal(values, want_values)
    np.testing.assert_array_equal(group, want_group)
    w = rng.random(m)
    full = np.bincount(key, weights=w, minlength=size)[values]
    assert np.array_equal(np.bincount(group, weights=w, minlength=len(values)), full)  # bit for bit


@pytest.mark.parametrize("hits", [3, 30, 3000])
def test_hit_counts_is_unique_with_counts(hits):
    key = np.random.default_rng(hits).integers(0, 100, hits)
    for got, want in zip(hit_counts(key, 100), np.unique(key, return_counts=True)):
        np.testing.assert_array_equal(got, want)


def test_segment_members_and_keys():
    segment = np.array([0, 1, 1, 0, 1])
    state = ConsumerState(segment=segment, **{name: np.zeros((5, 3)) for name in ("aware", "attitude")},
                          **dict.fromkeys(("trust0", "attitude0", "expectation", "trust", "irritation", "loyalty",
                                           "purchases", "follower", "last_satisfaction", "recent", "reinforced",
                                           "answered", "answered_complaint", "last_brand", "history", "online",
                                           "bought", "choice", "experience", "satisfaction", "talked", "topic")))
    natives, immigrants = state.segment_members()
    np.testing.assert_array_equal(natives, np.flatnonzero(segment != IMMIGRANT))
    np.testing.assert_array_equal(immigrants, np.flatnonzero(segment == IMMIGRANT))
    assert state.segment_members()[0] is natives  # computed once
    brand = np.array([2, 0, 1, 1, 0])
    x = np.arange(15.0).reshape(5, 3)
    np.testing.assert_array_equal(x.reshape(-1).take(state.keys(brand)), x[np.arange(5), brand])


def test_metric_counts_equal_the_means_they_replace():
    rng = np.random.default_rng(0)
    aware, mask = rng.random((1001, 3)) < 0.3, rng.random(1001) < 0.6
    assert metrics._share(aware[:, 0]) == float(aware[:, 0].mean())
    assert metrics._share(aware[:, 1:]) == float(aware[:, 1:].mean())
    assert metrics._masked_mean(aware[:, 0], mask) == float(np.sum(aware[:, 0], where=mask) / mask.sum())
