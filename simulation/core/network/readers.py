"""Graph files (edge list, GraphML, GML) and the clean-up every read or built-in graph gets.

:func:`read_graph_file` reads a file as it is and reports any problem as one
:class:`~simulation.errors.GraphError` line naming the file (and, for edge lists, the
line number); :func:`clean_graph` makes any graph undirected and simple with nodes
``0..N-1`` (docs/ODD.md, 5.2 Cleaning).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from itertools import chain

import networkx as nx

from simulation.errors import GraphError


def clean_graph(raw: nx.Graph, name: str, *, keep_labels: bool) -> nx.Graph:
    """Undirected, simple, nodes 0..N-1 in sorted (else first-appearance) label order."""
    n = raw.number_of_nodes()
    if n < 2:
        raise GraphError(f"{name} has {n} node(s); at least 2 are needed")
    nodes = list(raw)
    already_clean = (not raw.is_directed() and not raw.is_multigraph()
                     and nodes == list(range(n)) and nx.number_of_selfloops(raw) == 0)
    if already_clean and not keep_labels:
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
    return graph


# ----------------------------------------------------------------------------------------


_SEPARATORS = re.compile(r"[,\s]+")


def read_graph_file(path: str) -> nx.Graph:
    """Read a graph file as it is (no clean-up), choosing the format by extension.

    Parameters
    ----------
    path : str
        ``*.graphml`` (GraphML), ``*.gml`` (GML, nodes identified by their ``id``),
        anything else an edge list: one tie ``u v`` per line, separated by whitespace
        and/or commas, further columns (weights, timestamps) ignored, blank lines and
        lines starting with ``#`` or ``%`` skipped (the SNAP and KONECT formats). Node
        ids are strings; if every id is a plain integer they become ints, so that they
        sort numerically.

    Returns
    -------
    networkx.Graph
        As read: may be directed or a multigraph (GraphML, GML) and may contain
        self-loops. :func:`build_graph` cleans it up.

    Raises
    ------
    GraphError
        One line naming the file: it cannot be read, is not UTF-8 text, is not valid
        GraphML/GML, or (edge lists) a line with fewer than two node ids, with its
        line number.

    References
    ----------
    .. [1] McAuley, J., & Leskovec, J. (2012). Learning to discover social circles in ego
       networks. Advances in Neural Information Processing Systems 25. (The SNAP edge
       list format of the ego-Facebook data.)

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "tiny.txt")
    ...     with open(path, "w") as fh:
    ...         _ = fh.write("# FromNodeId ToNodeId\\n1 2\\n2,3,0.5\\n\\n3 1\\n")
    ...     G = read_graph_file(path)
    ...     with open(path, "a") as fh:
    ...         _ = fh.write("oops\\n")
    ...     try:
    ...         read_graph_file(path)
    ...     except GraphError as exc:
    ...         message = str(exc)
    >>> sorted(G.edges())
    [(1, 2), (1, 3), (2, 3)]
    >>> message.endswith("line 6: expected two node ids, got 'oops'")
    True
    """
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    if extension == ".graphml":
        return _read_with(nx.read_graphml, path, "GraphML")
    if extension == ".gml":
        # label=None: ids are unique by the GML definition, labels need not be.
        return _read_with(lambda p: nx.read_gml(p, label=None), path, "GML")
    return _read_edge_list(path)


def _read_with(reader, path: str, kind: str) -> nx.Graph:
    try:
        return reader(path)
    except OSError as exc:
        raise GraphError(f"graph file '{path}' cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise GraphError(f"graph file '{path}' is not valid {kind} text: {exc.reason} "
                         f"at byte {exc.start}") from None
    except (ET.ParseError, nx.NetworkXError, KeyError, ValueError, TypeError,
            IndexError, AttributeError) as exc:
        # These libraries report malformed input through many exception types; the user
        # needs the file name and the library's own words, on one line.
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise GraphError(f"graph file '{path}' is not valid {kind}: {detail}") from None


def _read_edge_list(path: str) -> nx.Graph:
    edges: list[tuple[str, str]] = []
    try:
        # utf-8-sig: a byte-order mark would otherwise become part of the first node id.
        with open(path, encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, start=1):
                text = line.strip()
                if not text or text[0] in "#%":
                    continue
                tokens = [t for t in _SEPARATORS.split(text) if t]
                if len(tokens) < 2:
                    shown = text if len(text) <= 60 else text[:57] + "..."
                    raise GraphError(f"graph file '{path}', line {lineno}: expected two "
                                     f"node ids, got {shown!r}")
                edges.append((tokens[0], tokens[1]))
    except OSError as exc:
        raise GraphError(f"graph file '{path}' cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise GraphError(f"graph file '{path}' is not UTF-8 text: {exc.reason} at byte "
                         f"{exc.start}") from None
    ids = _integer_ids(set(chain.from_iterable(edges)))
    graph = nx.Graph()
    if ids is None:
        graph.add_edges_from(edges)
    else:
        graph.add_edges_from((ids[u], ids[v]) for u, v in edges)
    return graph


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


