"""Random graphs of millions of nodes as edge pairs, without a Python loop per edge.

Above ``NUMPY_GRAPH_MIN`` consumers :func:`~simulation.core.network.build_graph` draws
Barabasi-Albert, Watts-Strogatz and Erdos-Renyi graphs here instead of in networkx (whose
generators spend about 35 s on a million-node Barabasi-Albert graph, most of it adapting
the numpy Generator to Python's ``random`` API). Each function returns an ``(E, 2)`` int64
array of undirected ties (no self-loop, no parallel tie) and draws only from the
``numpy.random.Generator`` passed in; the same generator state gives the same pairs. The
graphs have the same distribution as networkx's (tests/core/test_vectorised.py compares
them), not the same draws: see docs/ODD.md, 5.1 Graph sources.
"""

from __future__ import annotations

import numpy as np

NUMPY_GRAPH_MIN = 100_000  # consumers from which the generators below replace networkx's
NUMPY_SOURCES = ("barabasi_albert", "watts_strogatz", "erdos_renyi")


def _check(ok: bool, message: str) -> None:
    # build_graph checks the parameters first (one-line GraphError); this guards direct callers
    # of the public functions against a silent wrong graph (e.g. node ids beyond n - 1).
    if not ok:
        raise ValueError(message)


def barabasi_albert_pairs(n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """Linear preferential attachment as networkx's ``barabasi_albert_graph``: m(n - m) ties.

    The same process: a star of m + 1 nodes (hub 0), then each newcomer v = m+1 .. n-1
    ties to m distinct earlier nodes, each drawn with probability proportional to its
    degree, by sampling the "repeated nodes" list (every node once per tie end) uniformly
    and rejecting a node already chosen by v. The list is never built: slot s of it is
    either a newcomer's own entry (known) or a target drawn earlier, which is resolved by
    pointer jumping (Batagelj & Brandes 2005, their linear preferential attachment).

    Newcomers are drawn in blocks of consecutive ids, each about 1/8 of those before it,
    so that most draws of a block read slots of earlier, finished blocks (known values)
    and few read slots of the same block (resolved by pointer doubling). In a block, a
    target that repeats one of the same newcomer's earlier targets is drawn again, but only
    once the newcomers it reads from are settled: so every target is the first of its own
    uniform draws that is not an earlier target of the newcomer, from the list as it stood,
    which is networkx's sequential rejection. Same distribution, not the same draws.

    Examples
    --------
    >>> pairs = barabasi_albert_pairs(1000, 3, np.random.default_rng(1))
    >>> pairs.shape, int(pairs.min()), int(pairs.max())
    ((2991, 2), 0, 999)
    >>> bool((pairs[:, 0] != pairs[:, 1]).all())
    True
    """
    _check(1 <= m < n, f"barabasi_albert_pairs: needs 1 <= m < n, got n = {n}, m = {m}")
    k = n - m - 1  # newcomers
    star = np.column_stack([np.zeros(m, dtype=np.int64), np.arange(1, m + 1, dtype=np.int64)])
    if k <= 0:
        return star
    # Newcomer j (0-based) draws from the 2m + 2mj list entries before its own.
    length = 2 * m * (np.arange(k, dtype=np.int64) + 1)
    value = np.empty(k * m, dtype=np.int64)  # the targets, newcomer by newcomer
    lo = 0
    while lo < k:
        hi = min(k, lo + max(64, lo // 8))
        value[lo * m:hi * m] = _block_targets(lo, hi, m, length, value, rng)
        lo = hi
    pairs = np.column_stack([np.repeat(np.arange(m + 1, n, dtype=np.int64), m), value])
    return np.concatenate([star, pairs])


def _block_targets(lo: int, hi: int, m: int, length: np.ndarray, value: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """The m distinct targets of newcomers lo..hi-1, given ``value`` of those before lo."""
    rows = hi - lo
    size = length[lo:hi]
    draw = rng.integers(0, size[:, None], size=(rows, m), dtype=np.int64).ravel()
    while True:
        fixed, parent = _slot_kind(draw, m)
        earlier = (parent >= 0) & (parent < lo * m)
        fixed[earlier] = value[parent[earlier]]
        local = np.where(parent >= lo * m, parent - lo * m, -1)  # a slot of this block
        got = _resolve(fixed, local)
        repeat = _repeats(got.reshape(rows, m))
        bad = repeat.any(axis=1)
        if not bad.any():
            return got
        # Unsettled: a newcomer with a repeat, or reading a slot of an unsettled one.
        reads = np.where(local >= 0, local // m, rows).reshape(rows, m)
        unsettled = np.append(bad, False)
        while True:
            grown = bad | unsettled[reads].any(axis=1)
            if np.array_equal(grown, unsettled[:rows]):
                break
            unsettled[:rows] = grown
        ready = bad & ~unsettled[reads].any(axis=1)
        redo = np.flatnonzero((repeat & ready[:, None]).ravel())
        draw[redo] = rng.integers(0, size[redo // m], dtype=np.int64)


def _slot_kind(draw: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """For drawn list positions: (the node there or -1, the target slot read there or -1).

    Position p < 2m is the star (m times hub 0, then nodes 1..m); after that newcomer j's
    block of 2m entries: its m targets (target slot j*m + o), then itself m times.
    """
    rest = draw - 2 * m
    block = rest // (2 * m)  # np.divmod is about 50x slower than // and - here
    offset = rest - block * (2 * m)
    in_star = draw < 2 * m
    own = ~in_star & (offset >= m)
    fixed = np.where(in_star, np.where(draw < m, 0, draw - m + 1), np.where(own, m + 1 + block, -1))
    parent = np.where(in_star | own, -1, block * m + offset)
    return fixed, parent


def _resolve(fixed: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """The node at every drawn position, by pointer doubling along the target slots read."""
    value, target = fixed.copy(), parent.copy()
    pending = np.flatnonzero(target >= 0)
    while pending.size:
        t = target[pending]
        beyond = target[t]  # read before any update of this round
        known = beyond < 0
        value[pending[known]] = value[t[known]]
        target[pending] = beyond  # point at what the target points at: O(log depth) rounds
        pending = pending[~known]
    return value


def _repeats(value: np.ndarray) -> np.ndarray:
    """True where a newcomer's target equals one of its earlier targets."""
    repeat = np.zeros(value.shape, dtype=bool)
    for a in range(1, value.shape[1]):
        repeat[:, a] = (value[:, a:a + 1] == value[:, :a]).any(axis=1)
    return repeat


def watts_strogatz_pairs(n: int, k: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """A ring lattice of even degree k, each tie's far end rewired with probability p.

    networkx's ``watts_strogatz_graph`` process: for each distance j = 1 .. k/2 and each
    node u in order, the tie (u, u+j) is, with probability p, replaced by (u, w) with w
    uniform among the nodes that are not u and not already tied to u (at that moment);
    the number of ties stays nk/2. Here the rewiring coins and the new ends are drawn in
    one vector per distance; a new end that is u itself or already a neighbour of u
    (counting the ties rewired so far) is redrawn, as networkx's rejection does.

    Examples
    --------
    >>> pairs = watts_strogatz_pairs(200, 4, 0.1, np.random.default_rng(0))
    >>> pairs.shape
    (400, 2)
    """
    # k < n - 2 when rewiring: a node tied to (nearly) everybody has no free end to rewire to,
    # and the redraws below would never end (networkx gives up on such a node instead).
    _check(2 <= k < n and k % 2 == 0 and 0 <= p <= 1 and (p == 0 or k < n - 2),
           f"watts_strogatz_pairs: needs an even 2 <= k < n (k < n - 2 if p > 0) and 0 <= p <= 1, "
           f"got n = {n}, k = {k}, p = {p}")
    u = np.arange(n, dtype=np.int64)
    ends = [(u, (u + j) % n) for j in range(1, k // 2 + 1)]
    a = np.concatenate([e[0] for e in ends])
    b = np.concatenate([e[1] for e in ends])
    if p <= 0:
        return np.column_stack([a, b])
    present = _sorted_unique(_key(a, b, n))  # sorted keys of the ties as they stand
    for j in range(k // 2):
        rewire = np.flatnonzero(rng.random(n) < p) + j * n
        if rewire.size == 0:
            continue
        src = a[rewire]
        new = rng.integers(0, n, size=rewire.size, dtype=np.int64)
        while True:
            key = _key(src, new, n)
            bad = (new == src) | _member(key, present)
            # Two rewirings of this distance landing on the same pair: the first keeps it.
            bad |= _later_repeats(key)
            if not bad.any():
                break
            new[bad] = rng.integers(0, n, size=int(bad.sum()), dtype=np.int64)
        b[rewire] = new
        present = _sorted_unique(_key(a, b, n))
    return np.column_stack([a, b])


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique(keys)`` by sorting: numpy 2's hash-based unique is about 40x slower here."""
    keys = np.sort(keys)
    keep = np.ones(keys.size, dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def _later_repeats(keys: np.ndarray) -> np.ndarray:
    """True at every entry whose key already occurred earlier in ``keys``."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    repeat = np.zeros(keys.size, dtype=bool)
    repeat[order[1:]] = ordered[1:] == ordered[:-1]
    return repeat


def _member(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in the sorted array ``sorted_keys``."""
    where = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[where] == keys


def _key(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """One int64 per undirected pair: min * n + max."""
    return np.minimum(u, v) * n + np.maximum(u, v)


def erdos_renyi_pairs(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """G(n, p): each of the n(n-1)/2 pairs a tie independently with probability p.

    The number of ties is drawn first (binomial), then that many distinct pairs uniformly
    (drawn in batches, repeated pairs and loops drawn again): the same distribution as networkx's
    ``fast_gnp_random_graph`` (Batagelj & Brandes 2005), with no loop per pair.

    Examples
    --------
    >>> pairs = erdos_renyi_pairs(1000, 0.01, np.random.default_rng(0))
    >>> 4500 < len(pairs) < 5500, bool((pairs[:, 0] < pairs[:, 1]).all())
    (True, True)
    """
    _check(0 <= p <= 1 and n >= 1, f"erdos_renyi_pairs: needs n >= 1 and 0 <= p <= 1, got n = {n}, p = {p}")
    total = n * (n - 1) // 2
    e = int(rng.binomial(total, p))
    keys = np.empty(0, dtype=np.int64)
    while keys.size < e:
        # The distinct pairs among uniform draws are a uniform set of their size (by
        # symmetry), so topping up with fresh draws until e keeps it uniform.
        need = e - keys.size
        u = rng.integers(0, n, size=need, dtype=np.int64)
        v = rng.integers(0, n, size=need, dtype=np.int64)
        keys = _sorted_unique(np.concatenate([keys, _key(u[u != v], v[u != v], n)]))
    first = keys // n
    return np.column_stack([first, keys - first * n])
