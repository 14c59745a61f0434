"""Edge lists as real tools write them: delimiter, header row and ``u v [weight]`` lines.

:func:`parse_edge_list` reads the text of an edge list (SNAP, KONECT, Gephi or pandas
CSV, a semicolon CSV from a spreadsheet, a tab-separated export) into its ties and
weights, and rejects what is not an edge list (a file of prose, a line with extra
columns, a weight that is not a number) with one :class:`~simulation.errors.GraphError`
line naming the file and the line (docs/ODD.md, 5.1 Graph sources).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from itertools import chain

from simulation.errors import GraphError

# Header names of the two ends, as Gephi / Cytoscape / networkx-pandas ("source,target")
# and R igraph ("from,to") write them; matched case-insensitively.
END_NAMES = (("source", "target"), ("from", "to"), ("node1", "node2"))
WEIGHT_NAME = "weight"
DELIMITERS = {"\t": "tab", ";": "semicolon", ",": "comma"}
_NUMBER_ID = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class EdgeList:
    """What an edge list says: the ties (node ids as written), their weights, its layout.

    Attributes
    ----------
    ends : list of (str, str)
        One pair per data line, in file order (repeats and self-loops as written).
    weights : list of float or None
        One positive weight per pair, or None for a file without a weight column.
    delimiter : str
        ``"tab"``, ``"semicolon"``, ``"comma"`` or ``"whitespace"``.
    header : list of str or None
        The header row, if the first line is one.
    """

    ends: list[tuple[str, str]]
    weights: list[float] | None
    delimiter: str
    header: list[str] | None


def parse_edge_list(text: str, path: str) -> EdgeList:
    """Split an edge list into ties and weights, by the rules of docs/ODD.md, 5.1.

    Parameters
    ----------
    text : str
        The file's text (already decoded).
    path : str
        For the error messages.

    Returns
    -------
    EdgeList

    Raises
    ------
    GraphError
        ``graph file 'PATH', line N: ...``: a line with fewer than two fields, with more
        columns than the first data line (or more than 3 without a header naming them), a
        weight that is not a positive finite number, an empty node id, or node ids that
        are words where the first data line's are numbers (or the reverse).

    Notes
    -----
    * Blank lines and lines starting with ``#`` or ``%`` are skipped (SNAP, KONECT).
    * Delimiter: taken from the first data line: a tab if it has one, else ``;``, else
      ``,``, else runs of whitespace. Every line is split by it (quotes as in CSV).
    * Header: only the first data line can be one. It is a header if it names the two
      ends (``source``/``target``, ``from``/``to`` or ``node1``/``node2``; case does not
      matter); then the columns are found by name, a ``weight`` column is the weight and
      any other named column (Gephi's ``Type``, ``Id``, ``Label``...) is ignored. It is also
      a header if its first two fields are words while every other line's node ids are
      numbers (columns then by position, as without a header).
    * Without a named header a line is ``u v`` or ``u v weight``: 2 or 3 columns, the same
      number on every line.

    Examples
    --------
    >>> edges = parse_edge_list("Source,Target,Weight\\n1,2,0.5\\n2,3,2\\n", "g.csv")
    >>> edges.ends, edges.weights, edges.delimiter, edges.header
    ([('1', '2'), ('2', '3')], [0.5, 2.0], 'comma', ['Source', 'Target', 'Weight'])
    >>> parse_edge_list("# SNAP\\n1 2\\n2 3\\n", "g.txt").weights is None
    True
    >>> try:
    ...     parse_edge_list("a b c d\\nhello world again\\n", "prose.txt")
    ... except GraphError as exc:
    ...     print(str(exc)[:58])
    graph file 'prose.txt', line 1: 4 columns; an edge list li
    """
    where = _Where(path)
    delimiter: str | None = None
    header: list[str] | None = None
    columns: tuple[int, int, int | None] = (0, 1, None)
    width = 0  # 0 until the first data line
    first_line = 0
    candidate: list[str] | None = None  # a first line of words: a header if all other ids are numbers
    ends: list[tuple[str, str]] = []
    linenos: list[int] = []
    weight_tokens: list[str] = []
    # One pass, one split per line: files of millions of ties are read in seconds.
    for lineno, raw in enumerate(io.StringIO(text), start=1):
        line = raw.strip()
        if not line or line[0] in "#%":
            continue
        if not width:
            first_line = lineno
            delimiter = next((c for c in DELIMITERS if c in line), None)
            fields = _split(line, delimiter)
            named = _named_columns(fields)
            if named is not None:
                header, columns, width = fields, named, len(fields)
                continue
            width = len(fields)
            if width < 2:
                raise GraphError(where.line(lineno, f"expected two node ids, got {_shown(line)!r}"))
            if width > 3:
                raise GraphError(where.line(
                    lineno, f"{width} columns; an edge list line is 'u v' or 'u v weight' (more "
                    "columns need a header naming source and target)"))
            columns = (0, 1, 2 if width == 3 else None)
            if not _is_number(fields[0]) and not _is_number(fields[1]):
                candidate = fields
        else:
            fields = line.split() if delimiter is None else _split(line, delimiter)
        if len(fields) != width:
            if len(fields) < 2:
                between = f" separated by {DELIMITERS[delimiter]}s like line {first_line}" if delimiter else ""
                raise GraphError(where.line(lineno, f"expected two node ids{between}, got {_shown(line)!r}"))
            raise GraphError(where.line(
                lineno, f"{len(fields)} columns, but the file's {'header has' if header else 'first line has'} "
                f"{width}: every line must have the same columns"))
        u, v = fields[columns[0]], fields[columns[1]]
        if not u or not v:
            raise GraphError(where.line(lineno, f"empty node id in {_shown(line)!r}"))
        ends.append((u, v))
        linenos.append(lineno)
        if columns[2] is not None:
            weight_tokens.append(fields[columns[2]])
    if not ends:
        return EdgeList([], None, DELIMITERS.get(delimiter, "whitespace"), header)

    kind = {t: _is_number(t) for t in set(chain.from_iterable(ends))}  # ids repeat: test each once
    if candidate is not None and len(ends) > 1 and all(kind[u] and kind[v] for u, v in ends[1:]):
        header = candidate
        del ends[0], linenos[0], weight_tokens[:1]
        kind = {t: True for t in set(chain.from_iterable(ends))}
    _check_id_kinds(ends, linenos, kind, where)
    weights = None
    if columns[2] is not None:
        weights = [_weight(t, lineno, where, delimiter) for t, lineno in zip(weight_tokens, linenos)]
    return EdgeList(ends, weights, DELIMITERS.get(delimiter, "whitespace"), header)


def _check_id_kinds(ends: list[tuple[str, str]], linenos: list[int], kind: dict[str, bool],
                    where: _Where) -> None:
    """Node ids are all numbers or all words, as on the first data line (a file of prose
    or a header line in the middle of the ties must not pass as a graph)."""
    if len(set(kind.values())) < 2 or not ends:
        return
    numbers = kind[ends[0][0]]
    for (u, v), lineno in zip(ends, linenos):
        odd = next((t for t in (u, v) if kind[t] != numbers), None)
        if odd is not None:
            said, other = ("a word", "a number") if numbers else ("a number", "a word")
            raise GraphError(where.line(
                lineno, f"node id {odd!r} is {said} but {ends[0][0]!r} on line {linenos[0]} is "
                f"{other}: ids are all numbers or all words (a header is allowed only on the "
                "first line)"))


@dataclass(frozen=True)
class _Where:
    path: str

    def line(self, lineno: int, what: str) -> str:
        return f"graph file '{self.path}', line {lineno}: {what}"


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    if '"' not in line:  # the common case, without the csv module's per-line cost
        return [t.strip() for t in line.split(delimiter)]
    return [t.strip() for t in next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))]


def _named_columns(header: list[str]) -> tuple[int, int, int | None] | None:
    """(source, target, weight) column of a header naming its ends, else None."""
    names = [t.strip().lower() for t in header]
    for u_name, v_name in END_NAMES:
        if u_name in names and v_name in names:
            w = names.index(WEIGHT_NAME) if WEIGHT_NAME in names else None
            return names.index(u_name), names.index(v_name), w
    return None


def _is_number(token: str) -> bool:
    return _NUMBER_ID.fullmatch(token) is not None


def _weight(token: str, lineno: int, where: _Where, delimiter: str | None) -> float:
    try:
        value = float(token)
    except ValueError:
        hint = (" (a decimal comma? write 0.5, not 0,5)"
                if delimiter == ";" and re.fullmatch(r"[0-9]*,[0-9]+", token) else "")
        raise GraphError(where.line(lineno, f"weight {token!r} is not a number{hint}")) from None
    if not (math.isfinite(value) and value > 0):
        raise GraphError(where.line(
            lineno, f"weight {token!r}: allowed a finite number > 0 (a tie of weight 0 is no "
            "tie: leave the line out)"))
    return value


def _shown(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
