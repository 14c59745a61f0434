"""Tables as text: one renderer for the aligned plain-text tables of the command line and the
GitHub Markdown tables of the reports and of docs/ODD.md (section 8, Parameters).

The numbers come from :mod:`simulation.research.summaries` (means and 95 % intervals that
respect each metric's range, see :mod:`simulation.research.stats`; incremental ROI); this
module only turns them into cells and lines.

Examples
--------
>>> print(render_table(["name", "value"], [["a", 1.5], ["bb", float("nan")]]))
name  value
----  -----
a     1.500
bb        -
>>> print(render_table(["name", "value"], [["a|b", 1.5]], markdown=True))
| name | value |
|---|---|
| a\\|b | 1.500 |
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

from simulation.core.params import PARAMETER_COLUMNS, PARAMETERS, parameter_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DIGITS", "HEADLINE_NOTE", "INTERVAL_NOTE", "MISSING", "NO_INTERVAL", "HeadlineBlock", "ci_cell",
           "confidence_cells", "format_confidence", "format_headline", "headline_blocks", "headline_cells",
           "lead_sentence", "parameter_table", "render_frame", "render_table"]

#: What an empty cell (None, NaN, +/-inf) shows.
MISSING = "-"
#: What follows the mean of a group with one finite replicate value (no interval).
NO_INTERVAL = "(n/a, 1 replicate)"
#: How to read the intervals of a :func:`confidence_cells` table (printed under it).
INTERVAL_NOTE = ("Intervals: 95 % Student-t, on the logit (two bounds) or log (one bound) scale of a metric with a "
                 "declared range, so they stay inside it (docs/ODD.md, 4.11); [x, x]: every run gave the same value; "
                 f"{NO_INTERVAL}: a single run, no interval.")
#: Decimals of a mean [lo, hi] cell per metric; every other metric gets 3.
DIGITS: dict[str, int] = {"nps": 1, "profit": 1, "incremental_roi": 2, "estimated_roi": 2, "bias": 2,
                           "sales_half_weeks": 1, "trust_half_weeks": 1}


def _missing(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, Real) and not isinstance(value, bool) and not math.isfinite(float(value))


def _number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _cell(value: Any, floatfmt: str) -> str:
    if _missing(value):
        return MISSING
    if _number(value) and not isinstance(value, Integral):
        return format(float(value), floatfmt)
    return str(value)


def render_table(header: Sequence[str], rows: Iterable[Sequence[Any]], markdown: bool = False, *,
                 floatfmt: str = ".3f", right: Iterable[str] | None = None) -> str:
    """Render ``rows`` under ``header`` as aligned text or as a GitHub Markdown table.

    Parameters
    ----------
    header : sequence of str
        Column names.
    rows : iterable of sequences
        One sequence of cells per row. Strings are shown as they are; floats with
        ``floatfmt``; None, NaN and infinities as :data:`MISSING` (``-``).
    markdown : bool, default False
        False: columns padded to their widest cell, two spaces apart, a dashed line under
        the header, no trailing blanks. True: ``| a | b |`` rows under ``|---|---|``, with
        ``|`` in a cell escaped and line breaks turned into spaces.
    floatfmt : str, default ".3f"
        Format of float cells.
    right : iterable of str, optional
        Columns aligned to the right in text. Default: the columns whose every non-empty
        cell is a number (as ``pandas`` prints them); the others are aligned left.

    Returns
    -------
    str
        The table, lines joined by newlines, no final newline.
    """
    header = [str(h) for h in header]
    raw = [list(r) for r in rows]
    for r in raw:
        if len(r) != len(header):
            raise ValueError(f"row {r!r} has {len(r)} cells, the header {len(header)}")
    body = [[_cell(v, floatfmt) for v in r] for r in raw]
    if markdown:
        def line(cells):
            return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

        return "\n".join([line(header), "|" + "---|" * len(header)] + [line(b) for b in body])
    if right is None:
        numeric = [all(_number(r[i]) or _missing(r[i]) for r in raw) and any(_number(r[i]) for r in raw)
                   for i in range(len(header))]
    else:
        names = set(right)
        numeric = [h in names for h in header]
    widths = [max(len(x) for x in col) for col in zip(header, *body)]

    def text(cells):
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, numeric)).rstrip()

    return "\n".join([text(header), text(["-" * w for w in widths])] + [text(b) for b in body])


def render_frame(df: pd.DataFrame, markdown: bool = False, *, floatfmt: str = ".3f",
                 right: Iterable[str] | None = None) -> str:
    """:func:`render_table` of a DataFrame: its columns are the header, its rows the rows
    (the index is left out)."""
    return render_table([str(c) for c in df.columns], df.itertuples(index=False), markdown,
                        floatfmt=floatfmt, right=right)


def ci_cell(mean: float, lo: float, hi: float, digits: int = 3) -> str:
    """``"mean [lo, hi]"`` with ``digits`` decimals; :data:`NO_INTERVAL` after the mean when
    the bounds are missing (one finite replicate value: no spread to estimate); :data:`MISSING`
    without a mean.

    Examples
    --------
    >>> ci_cell(0.5234, 0.5211, 0.5257)
    '0.523 [0.521, 0.526]'
    >>> ci_cell(0.362, float("nan"), float("nan"))
    '0.362 (n/a, 1 replicate)'
    >>> ci_cell(float("nan"), float("nan"), float("nan"))
    '-'
    """
    if _missing(mean):
        return MISSING
    if _missing(lo) or _missing(hi):
        # :func:`simulation.research.stats.interval` leaves the bounds out only for n = 1
        return f"{mean:.{digits}f} {NO_INTERVAL}"
    return f"{mean:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def confidence_cells(table: pd.DataFrame, metrics: Sequence[str], by: str | Sequence[str] = "strategy",
                     n: bool = False) -> pd.DataFrame:
    """Cells of a :func:`simulation.research.summaries.confidence_table`: the ``by`` columns
    (as strings), one ``mean [lo, hi]`` string per metric present (decimals from
    :data:`DIGITS`), and the run count ``n`` if asked."""
    import pandas as pd  # noqa: PLC0415 - pandas costs 0.4 s that `run.py params` should not pay

    by = [by] if isinstance(by, str) else list(by)
    metrics = [m for m in metrics if m in table.columns]
    # group values are labels: shown as written (0.5, not 0.500)
    out = pd.DataFrame({b: [MISSING if _missing(v) else str(v) for v in table[b]] for b in by})
    for m in metrics:
        digits = DIGITS.get(m, 3)
        out[m] = [ci_cell(a, b, c, digits) for a, b, c in zip(table[m], table[f"{m}_lo"], table[f"{m}_hi"])]
    if n:
        out["n"] = table["n"].astype(int).to_numpy()
    return out


#: Column headers of :func:`roi_estimate_cells` for the comparison's columns.
ROI_ESTIMATE_HEADERS = {"estimated_roi": "firm's estimate", "incremental_roi": "true ROI", "bias": "bias",
                        "rmse": "RMSE", "sd_estimate": "sd of estimate", "coverage": "CI covers truth",
                        "sign_right": "sign right", "carryover": "carry-over"}
#: How to read the table of :func:`roi_estimate_cells`.
ROI_ESTIMATE_NOTE = (
    "firm's estimate: (margin x beta x sum of adstock - spend) / spend from the regression sales_t = a + g t + "
    "beta adstock_t of each run's own weekly sales and spend (docs/ODD.md, 4.11); true ROI = (profit - profit of "
    "'none' on the same seed) / spend; both mean [95 % t-interval] over runs; bias = mean(estimate - truth) "
    "[paired 95 % t-interval]; RMSE and sd of the estimate over runs; CI covers truth: share of runs whose own 95 % "
    "interval of the estimate contains their true ROI; sign right: share of runs where estimate and truth agree on "
    "whether the marketing pays (ROI >= 0); carry-over: mean weekly adstock rate chosen by least squares.")


def roi_estimate_cells(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Cells of a :func:`simulation.research.roi.roi_comparison`: the ``by`` columns, ``n``,
    estimate, truth and bias as ``mean [lo, hi]``, then RMSE, spread, coverage, sign and carry-over."""
    by = list(by)
    out = confidence_cells(table, ["estimated_roi", "incremental_roi", "bias"], by, n=False)
    out.insert(len(by), "n", table["n"].astype(int).to_numpy())
    for col, digits in (("rmse", 2), ("sd_estimate", 2), ("coverage", 2), ("sign_right", 2), ("carryover", 2)):
        out[col] = [MISSING if _missing(v) else f"{float(v):.{digits}f}" for v in table[col]]
    return out.rename(columns=ROI_ESTIMATE_HEADERS)


def format_confidence(table: pd.DataFrame, by: str | Sequence[str] = "strategy", markdown: bool = False) -> str:
    """A :func:`simulation.research.summaries.confidence_table` as text or Markdown: the ``by``
    columns, then ``mean [lo, hi]`` of every metric in it (as the headline prints it)."""
    metrics = [c for c in table.columns if f"{c}_lo" in table.columns and f"{c}_hi" in table.columns]
    return render_frame(confidence_cells(table, metrics, by), markdown)


def parameter_table(markdown: bool = False) -> str:
    """Every parameter of :data:`simulation.core.params.PARAMETERS`.

    Markdown: the table of docs/ODD.md, section 8 (``python run.py params --markdown``).
    Text: a listing by group, two lines per parameter (name, default, allowed, unit; then
    meaning and source), as ``python run.py params`` prints it.
    """
    if markdown:
        return render_table(PARAMETER_COLUMNS, parameter_rows(), markdown=True)
    lines = []
    group = None
    for spec, row in zip(PARAMETERS.values(), parameter_rows()):
        cells: Mapping[str, str] = dict(zip(PARAMETER_COLUMNS, row))
        if spec.group != group:
            group = spec.group
            lines.append(f"\n[{group}]")
        lines.append(f"  {cells['name']:<26} {cells['default']:<16} {cells['allowed']:<22} {cells['unit']}")
        lines.append(f"      {cells['meaning']}  (source: {cells['source']})")
    return "\n".join(lines).lstrip("\n")


# ------------------------------------------------------------------------------ headline
#: Column names of the headline table (:func:`headline_cells`) for the derived columns.
SURVEY_HEADER = "nps survey 95 %"
RESPONDENTS_HEADER = "respondents"
#: How to read the headline table (printed under it).
HEADLINE_NOTE = (
    "market_share_13w: the focal brand's share of all category purchases in the last 13 weeks of a run (purchases "
    "pooled over those weeks); scr, loyal_share, trust: at the last week; nps: each run's last survey, with the "
    f"survey's own 95 % interval ({SURVEY_HEADER}) and sample size ({RESPONDENTS_HEADER}) averaged over runs; "
    "reply_rate: share of all posts about the focal brand it answered; dialogue_utilisation: its replies / the "
    "replies its dialogue budget bought, both over the whole run (- without posts or without a dialogue budget); "
    "incremental_roi = (profit - profit of 'none' on the same seed, same scenario) / spend. "
    "(k/n runs): the metric was undefined (NaN) in the other runs, which are left out of its mean.")


def _count_note(k: Any, n: Any) -> str:
    return "" if _missing(k) or int(k) >= int(n) else f" ({int(k)}/{int(n)} runs)"


def headline_cells(table: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Cells of one design point's rows of a :func:`simulation.research.headline.headline_table`:
    ``strategy``, ``mean [lo, hi]`` of each of ``metrics`` (with ``(k/n runs)`` when only k
    of the n runs had a value), after ``nps`` the survey's mean interval and respondents,
    and ``n`` (runs)."""
    import pandas as pd  # noqa: PLC0415 - pandas costs 0.4 s that `run.py params` should not pay

    out = pd.DataFrame({"strategy": [str(s) for s in table["strategy"]]})
    for m in metrics:
        if m not in table.columns:
            continue
        digits = DIGITS.get(m, 3)
        counts = table[f"{m}_n"] if f"{m}_n" in table.columns else table["n"]
        out[m] = [ci_cell(a, b, c, digits) + ("" if _missing(a) else _count_note(k, n))
                  for a, b, c, k, n in zip(table[m], table[f"{m}_lo"], table[f"{m}_hi"], counts, table["n"])]
        if m == "nps" and {"nps_low", "nps_high"} <= set(table.columns):
            out[SURVEY_HEADER] = [MISSING if _missing(lo) or _missing(hi) else f"[{lo:.1f}, {hi:.1f}]"
                                  for lo, hi in zip(table["nps_low"], table["nps_high"])]
        if m == "nps" and "nps_respondents" in table.columns:
            out[RESPONDENTS_HEADER] = [MISSING if _missing(r) else f"{r:.0f}" for r in table["nps_respondents"]]
    out["n"] = table["n"].astype(int).to_numpy()
    return out


def lead_sentence(row: Mapping[str, Any]) -> str:
    """One line from a row of :func:`simulation.research.headline.leaders`: which strategy
    has the highest mean of the metric and whether the paired difference to the second
    excludes 0, all from the numbers in the row."""
    m = str(row["metric"])
    digits = DIGITS.get(m, 3)

    def num(v: float) -> str:
        return f"{v:.{digits}f}"

    first, second = row["first"], row["second"]
    a, b = num(row["first_mean"]), num(row["second_mean"])
    if a == b and num(row["diff"]) in (num(0.0), num(-0.0)):
        return f"{m}: {first} and {second} share the highest mean ({a}) at the precision shown"
    d = f"{row['diff']:+.{digits}f}"
    if _missing(row["diff_lo"]) or _missing(row["diff_hi"]):
        return (f"{m}: highest mean {first} ({a}), then {second} ({b}); difference {d} from "
                f"{int(row['pairs'])} paired replicate(s), no interval")
    ci = f"[{num(row['diff_lo'])}, {num(row['diff_hi'])}]"
    if row["separated"]:
        return (f"{m}: {first} highest ({a}), ahead of {second} ({b}) by {d} {ci} "
                f"(paired over {int(row['pairs'])} replicates)")
    return (f"{m}: {first} ({a}) and {second} ({b}) lead, not separated (paired difference {d} {ci} "
            f"includes 0, {int(row['pairs'])} replicates)")


def _at(df: pd.DataFrame, point: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of ``df`` at one design point (all rows for ``{}``)."""
    keep = [True] * len(df)
    for k, v in point.items():
        keep = [a and b for a, b in zip(keep, df[k] == v)]
    return df[keep]


@dataclass(frozen=True)
class HeadlineBlock:
    """The headline of one design point (e.g. one scenario): what a report or the command
    line shows of it."""

    title: str
    description: str
    cells: pd.DataFrame
    sentences: list[str]


def headline_blocks(table: pd.DataFrame, lead: pd.DataFrame, points: Sequence[Mapping[str, Any]],
                    descriptions: Sequence[str], metrics: Sequence[str]) -> list[HeadlineBlock]:
    """One :class:`HeadlineBlock` per design point: a title, the sentence on what the point
    means, the :func:`headline_cells` of ``metrics`` and the :func:`lead_sentence` lines.

    ``table`` is a :func:`simulation.research.headline.headline_table`, ``lead`` the
    :func:`simulation.research.headline.leaders` of the same runs, ``points`` the design
    points in order (``[{}]`` for one), ``descriptions`` one sentence per point.
    """
    blocks = []
    for point, text in zip(points, descriptions):
        rows = _at(table, point)
        name = ", ".join(f"{k} = {v}" for k, v in point.items()) or "all runs"
        n = rows["n"]
        runs = f"{int(n.min())} replicates" if len(n) and n.min() == n.max() else "the runs in column n"
        lead_rows = _at(lead, point) if len(lead) else lead
        blocks.append(HeadlineBlock(f"{name}: mean [95 % CI] over {runs}", text, headline_cells(rows, metrics),
                                    [lead_sentence(r) for _, r in lead_rows.iterrows()]))
    return blocks


def format_headline(blocks: Sequence[HeadlineBlock], markdown: bool = False) -> str:
    """:func:`headline_blocks` as text or Markdown (a ``###`` heading per block), with
    :data:`HEADLINE_NOTE` and :data:`INTERVAL_NOTE` at the end."""
    parts = []
    for b in blocks:
        parts += [f"### {b.title}" if markdown else b.title, "", b.description, "",
                  render_frame(b.cells, markdown), ""]
        if b.sentences:
            parts += ["Highest means, from the numbers above:", ""] + [f"- {x}" for x in b.sentences] + [""]
    parts += [HEADLINE_NOTE, "", INTERVAL_NOTE]
    return "\n".join(parts)
