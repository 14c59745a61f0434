"""Graph files (edge list, GraphML, GML, Pajek) and the clean-up every read or built-in graph gets.

:func:`read_graph_file` reads a file as it is and reports any problem as one
:class:`~simulation.errors.GraphError` line naming the file (and, for edge lists, the
line number); :func:`clean_graph` makes any graph undirected and simple with nodes
``0..N-1`` (docs/ODD.md, 5.2 Cleaning) and, for files, keeps their tie weights
(:func:`fold_weights`; docs/ODD.md, 2.5 The social graph).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from itertools import chain

import networkx as nx

from simulation.core.network.edgelist import parse_edge_list
from simulation.errors import GraphError


def clean_graph(raw: nx.Graph, name: str, *, keep_labels: bool, weights: bool = False) -> nx.Graph:
    """Undirected, simple, nodes 0..N-1 in sorted (else first-appearance) label order.

    With ``weights``, edge ``weight`` attributes become the tie weights of the clean graph
    (see :func:`fold_weights`); otherwise every edge attribute is dropped.
    """
    n = raw.number_of_nodes()
    if n < 2:
        raise GraphError(f"{name} has {n} node(s); at least 2 are needed")
    nodes = list(raw)
    already_clean = (not raw.is_directed() and not raw.is_multigraph()
                     and nodes == list(range(n)) and nx.number_of_selfloops(raw) == 0)
    if already_clean and not keep_labels and not weights:
        return raw
    try:
        order = sorted(nodes)
    except TypeError:  # mixed, unorderable ids: insertion order is still deterministic
        order = nodes
    index = {label: i for i, label in enumerate(order)}
    graph = nx.Graph()
    if keep_labels:
        graph.add_nodes_from((i, {"label": label}) for i, label in enumerate(order))
    else:
        graph.add_nodes_from(range(n))
    # Iterating a directed or multi graph yields each arc once; nx.Graph folds u->v,
    # v->u and repeats into one tie.
    graph.add_edges_from((index[u], index[v]) for u, v in raw.edges() if u != v)
    if weights:
        fold_weights(raw, index, graph, name)
    return graph


def fold_weights(raw: nx.Graph, index: dict, graph: nx.Graph, name: str) -> None:
    """Put the ``weight`` attributes of ``raw`` on the ties of ``graph``, if they say something.

    Weights of repeated ties (both directions, parallel edges, repeated lines) add up: a
    weight measures the amount of contact, as summed call time does in Onnela et al.
    (2007). The weights are used (``graph.graph["weighted"] = True``) only if every tie has
    one and they are not all equal: equal weights (Gephi writes 1.0 for an unweighted
    graph) carry no information on tie strength. Either way ``graph.graph["notes"]`` says
    what was done, for the user.

    Raises
    ------
    GraphError
        A weight that is not a finite number > 0.
    """
    total: dict[tuple[int, int], float] = {}
    missing = 0
    for u, v, w in raw.edges(data="weight"):
        if u == v:
            continue
        if w is None:
            missing += 1
            continue
        try:
            value = float(w)
        except (TypeError, ValueError):
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise GraphError(f"{name}: tie ({u!r}, {v!r}) has weight {w!r}: allowed a finite "
                             "number > 0")
        i, j = sorted((index[u], index[v]))
        total[i, j] = total.get((i, j), 0.0) + value
    notes = graph.graph.setdefault("notes", [])
    if not total:
        return
    if missing:
        notes.append(f"weights ignored: {missing} of {missing + len(total)} ties have no "
                     "weight; tie strength from embeddedness")
        return
    low, high = min(total.values()), max(total.values())
    if low == high:
        notes.append(f"every tie has weight {high:g}: no information on tie strength, so it "
                     "comes from embeddedness as for an unweighted file")
        return
    nx.set_edge_attributes(graph, {e: w for e, w in total.items()}, "weight")
    graph.graph["weighted"] = True
    notes.append(f"weights used as tie strength: weak_tie_strength + (1 - weak_tie_strength) "
                 f"x weight / {high:g} (the largest weight); weights from {low:g} to {high:g}")


# ----------------------------------------------------------------------------------------


FORMATS = {".graphml": "GraphML", ".gml": "GML", ".net": "Pajek"}


def read_graph_file(path: str) -> nx.Graph:
    """Read a graph file as it is (no clean-up), choosing the format by extension.

    Parameters
    ----------
    path : str
        ``*.graphml`` (GraphML), ``*.gml`` (GML, nodes identified by their ``id``),
        ``*.net`` (Pajek, nodes by their label, through :func:`networkx.read_pajek`),
        anything else an edge list: ``u v`` or ``u v weight`` per line, the delimiter
        (tab, ``;``, ``,`` or whitespace) and a header row detected
        (:func:`~simulation.core.network.edgelist.parse_edge_list`), blank lines and lines
        starting with ``#`` or ``%`` skipped (the SNAP and KONECT formats). Node ids are
        strings; if every id is a plain integer they become ints, so that they sort
        numerically.

    Returns
    -------
    networkx.Graph
        As read: may be directed or a multigraph (GraphML, GML, Pajek) and may contain
        self-loops; weights as the edge attribute ``weight`` (the weights of an edge list's
        repeated ties already added up). ``G.graph["file"]`` describes the file: ``path``,
        ``sha256`` of the bytes read, ``format`` and, for edge lists, ``delimiter`` and
        ``header``. :func:`build_graph` cleans it up.

    Raises
    ------
    GraphError
        One line naming the file: it cannot be read, is not UTF-8 text, is not valid
        GraphML/GML/Pajek, or (edge lists) a line that breaks the rules, with its line
        number.

    References
    ----------
    .. [1] McAuley, J., & Leskovec, J. (2012). Learning to discover social circles in ego
       networks. Advances in Neural Information Processing Systems 25. (The SNAP edge
       list format of the ego-Facebook data.)
    .. [2] Batagelj, V., & Mrvar, A. (1998). Pajek: program for large network analysis.
       Connections, 21(2), 47-57.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "tiny.txt")
    ...     with open(path, "w") as fh:
    ...         _ = fh.write("# FromNodeId ToNodeId\\n1 2\\n2 3\\n\\n3 1\\n")
    ...     G = read_graph_file(path)
    ...     with open(path, "a") as fh:
    ...         _ = fh.write("oops\\n")
    ...     try:
    ...         read_graph_file(path)
    ...     except GraphError as exc:
    ...         message = str(exc)
    >>> sorted(G.edges()), G.graph["file"]["format"], len(G.graph["file"]["sha256"])
    ([(1, 2), (1, 3), (2, 3)], 'edge list', 64)
    >>> message.endswith("line 6: expected two node ids, got 'oops'")
    True
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise GraphError(f"graph file '{path}' cannot be read: {exc.strerror or exc}") from None
    kind = FORMATS.get(os.path.splitext(path)[1].lower(), "edge list")
    details: dict = {}
    if kind == "GraphML":
        graph = _read_with(nx.read_graphml, data, path, kind)
    elif kind == "GML":
        # label=None: ids are unique by the GML definition, labels need not be.
        graph = _read_with(lambda f: nx.read_gml(f, label=None), data, path, kind)
    elif kind == "Pajek":
        graph = _read_with(nx.read_pajek, data, path, kind)
        ids = _integer_ids(graph)  # labels are strings; numbers should sort as numbers
        if ids is not None:
            graph = nx.relabel_nodes(graph, ids)
    else:
        graph, details = _read_edge_list(data, path)
    graph.graph["file"] = {"path": path, "sha256": hashlib.sha256(data).hexdigest(),
                           "format": kind, **details}
    return graph


def _read_with(reader, data: bytes, path: str, kind: str) -> nx.Graph:
    try:
        return reader(io.BytesIO(data))
    except UnicodeDecodeError as exc:
        raise GraphError(f"graph file '{path}' is not valid {kind} text: {exc.reason} "
                         f"at byte {exc.start}") from None
    except (ET.ParseError, nx.NetworkXError, KeyError, ValueError, TypeError,
            IndexError, AttributeError, StopIteration) as exc:
        # These libraries report malformed input through many exception types; the user
        # needs the file name and the library's own words, on one line.
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise GraphError(f"graph file '{path}' is not valid {kind}: {detail}") from None


def _read_edge_list(data: bytes, path: str) -> tuple[nx.Graph, dict]:
    try:
        # utf-8-sig: a byte-order mark would otherwise become part of the first node id.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GraphError(f"graph file '{path}' is not UTF-8 text: {exc.reason} at byte "
                         f"{exc.start}") from None
    parsed = parse_edge_list(text, path)
    ids = _integer_ids(set(chain.from_iterable(parsed.ends)))
    ends = parsed.ends if ids is None else [(ids[u], ids[v]) for u, v in parsed.ends]
    graph = nx.Graph()
    if parsed.weights is None:
        graph.add_edges_from(ends)
    else:
        total: dict = {}
        for (u, v), w in zip(ends, parsed.weights):
            key = (u, v) if (v, u) not in total else (v, u)
            total[key] = total.get(key, 0.0) + w  # repeated ties add up (fold_weights)
        graph.add_edges_from((u, v, {"weight": w}) for (u, v), w in total.items())
    return graph, {"delimiter": parsed.delimiter, "header": parsed.header}


def _integer_ids(tokens: Iterable[str]) -> dict[str, int] | None:
    """Map every token to its int if all are canonical integers (``7``, not ``07``)."""
    ids: dict[str, int] = {}
    for token in tokens:
        try:
            value = int(token)
        except ValueError:
            return None
        # int() also accepts '007', '1_000' and non-ASCII digits; those would merge
        # distinct ids or look odd, so they stay strings.
        if str(value) != token:
            return None
        ids[token] = value
    return ids


