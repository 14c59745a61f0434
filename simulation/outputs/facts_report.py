"""Writing the stylized facts (``python run.py facts``): ``facts.csv``, ``wearout.csv``,
``double_jeopardy.csv``, ``facts.md``, ``facts.json``, the wear-out and double-jeopardy
figures, and the table on the command line.

The facts are computed by :mod:`simulation.research.facts` (docs/ODD.md, 8 Parameters:
the model is not tuned to them); this module only writes and formats them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.outputs.figures.checks import plot_double_jeopardy, plot_wearout
from simulation.outputs.tables import render_table
from simulation.research import facts as F
from simulation.research.provenance import (
    display_path,
    provenance,
    write_atomic,
    write_json,
)
from simulation.research.tasks import run_seed

__all__ = ["double_jeopardy_markdown", "facts_markdown", "facts_report", "format_facts", "main_facts"]


def _num(x: float) -> str:
    if x is None or not math.isfinite(float(x)):
        return "-"
    x = float(x)
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def _measured(row) -> str:
    m, lo, hi = row["measured"], row["ci_lo"], row["ci_hi"]
    if m is None or not math.isfinite(float(m)):
        return "-"
    if not (math.isfinite(float(lo)) and math.isfinite(float(hi))):
        return _num(m)
    return f"{_num(m)} [{_num(lo)}, {_num(hi)}]"


def _yes_no(c) -> str:
    if c is None or (isinstance(c, float) and math.isnan(c)):
        return "-"
    return "yes" if bool(c) else "NO"


def _cells(df: pd.DataFrame, notes: bool) -> tuple[list[str], list[list[str]]]:
    header = ["fact", "measured [95 % CI]", "published", "source", "consistent"] + (["note"] if notes else [])
    body = [[str(r["fact"]), _measured(r), str(r["published"]), str(r["source"]), _yes_no(r["consistent"])]
            + ([str(r["note"])] if notes else []) for _, r in df.iterrows()]
    return header, body


def format_facts(df: pd.DataFrame) -> str:
    """An aligned plain-text table: fact | measured [CI] | published | source | consistent.

    ``consistent`` prints ``yes``, ``NO`` or ``-`` (undetermined or nothing to compare).

    Examples
    --------
    >>> df = pd.DataFrame([{"fact": "f", "measured": 2.0, "ci_lo": 1.5, "ci_hi": 2.5, "published": "> 1",
    ...                     "source": "S", "consistent": True, "note": ""}])
    >>> print(format_facts(df))
    fact  measured [95 % CI]  published  source  consistent
    ----  ------------------  ---------  ------  ----------
    f     2 [1.5, 2.5]        > 1        S       yes
    """
    return render_table(*_cells(df, notes=False))


def _dj_cell(row, col: str) -> str:
    return _measured({"measured": row[f"{col}_mean"], "ci_lo": row[f"{col}_lo"], "ci_hi": row[f"{col}_hi"]})


def double_jeopardy_markdown(summary: pd.DataFrame) -> str:
    """The brands of the double-jeopardy sweep as a Markdown table: one row per spread and
    quality rank, means [95 % CI] over seeds (``summary`` is
    :func:`simulation.research.facts.summarise_double_jeopardy`)."""
    header = ["spread", "quality rank", "quality", "penetration", "purchase frequency", "SCR", "market share",
              "loyalty of buyers"]
    body = [[f"{r['spread']:g}", f"{int(r['quality_rank']) + 1}", f"{r['quality']:.3g}"]
            + [_dj_cell(r, c) for c in ("penetration", "purchase_frequency", "scr", "market_share", "loyalty")]
            for _, r in summary.iterrows()]
    return render_table(header, body, markdown=True)


def facts_markdown(facts: pd.DataFrame, meta: dict, brands: pd.DataFrame | None = None) -> str:
    """``facts.md``: what was measured, the table with notes, how to read it; with
    ``brands`` (:func:`simulation.research.facts.double_jeopardy_runs`) also the brands of the
    double-jeopardy sweep and its figure."""
    w = meta["wearout"]
    return f"""# Stylized facts: womsim next to the literature

Input: `{meta['input']['path']}`, scenario `{meta['input']['scenario']}`
({meta['input']['replicates']} replicates, strategies
{', '.join(f'`{s}`' for s in meta['input']['strategies'])}, weeks 1-{meta['input']['last_week']});
early window weeks {meta['early_weeks'][0]}-{meta['early_weeks'][1]}, late window weeks
{meta['late_weeks'][0]}-{meta['late_weeks'][1]}. Wear-out: a separate experiment, budgets
{', '.join(f'{b:g}' for b in w['budgets'])} impressions per consumer and week for {w['weeks']} weeks,
{w['n_consumers']} consumers, {w['replicates']} replicates (seeds from base seed {w['seed']}, the same seeds at
every budget), parameters `{w['params']}`; reference runs with `{w['reference']}`.
{_dj_settings(meta)}
Commit `{meta['git_commit']}`; created {meta['created']}.

**The model is not tuned to these values.** Following Rand & Rust (2011), stylized facts from the
literature are a check of the model's face validity: the parameters were set from their own sources
(see `docs/ODD.md`, section 8) and the facts below are measured afterwards and reported whatever they show.

## Facts (mean [95 % t-interval across replicates])

{render_table(*_cells(facts, notes=True), markdown=True)}

## How to read

* Each fact is computed once per replicate, then averaged; the interval is the Student-t 95 %
  confidence interval of that mean across replicates. `hype - broadcast` rows pair the two
  strategies on the same seed (same consumers, graph and random numbers), so the interval is that
  of the paired difference.
* `consistent`: **yes** when the whole interval lies on the published side (of 0 for a difference,
  of 1 for a ratio), **NO** when it lies wholly on the other side, **-** when it straddles the line
  (not settled by these replicates) or there is no number to compare. For the 3:1 ratio only the
  direction (positive more frequent) is tested; the note gives the distance to 3, which depends on how
  word of mouth is counted (messages per tie here, recalled episodes per person in the surveys).
* The wear-out experiment isolates advertising: honest broadcast only, no ties, no purchases and no
  public reading, so attitude moves only through ads. The grey reference switches wear-out and
  reactance off: the fall of its per-exposure effect is saturation toward the claim and forgetting;
  the gap between the two curves is wear-out and reactance.

![Advertising wear-out](wearout.png)

*How to read the figure:* left, the mean attitude of all consumers after {w['weeks']} weeks divided by the
ad exposures per consumer (attitude gained per exposure); right, the total. x is logarithmic. Points
are means over replicates, bars 95 % t-intervals. Wear-out shows as a falling left curve; reactance
as a total that turns down (inverted U) and can fall below 0.
""" + (_dj_section(brands, meta) if brands is not None else "")


def _dj_settings(meta: dict) -> str:
    d = meta.get("double_jeopardy")
    if not d:
        return ""
    return (f"Double jeopardy: a separate sweep, {d['params']['n_brands']} brands in scenario "
            f"`{d['params']['scenario']}` differing only in quality, rival_quality_spread "
            f"{', '.join(f'{x:g}' for x in d['spreads'])}, {d['n_consumers']} consumers, {d['weeks']} weeks, measured "
            f"over the last {d['window']}, {d['replicates']} replicates per spread (seeds from base seed {d['seed']}, "
            f"the same at every spread), parameters `{d['params']}`.")


def _dj_section(brands: pd.DataFrame, meta: dict) -> str:
    d = meta["double_jeopardy"]
    return f"""
## Double jeopardy: the brands

Ehrenberg, Goodhardt & Barwise (1990): a brand with fewer buyers (lower penetration) is also bought
somewhat less often by its buyers and gets a smaller share of their category requirements; the
purchase frequency varies only slightly while penetration varies a lot. The facts above test the
direction (the within-run Spearman correlation across brands, averaged over runs); the note of the
purchase-frequency row gives the magnitude (log-log slope of frequency on penetration). Per brand over
the last {d['window']} of {d['weeks']} weeks, mean [95 % t-interval over {d['replicates']} seeds]:

{double_jeopardy_markdown(F.summarise_double_jeopardy(brands))}

Penetration: share of all consumers who bought the brand at least once in the window; purchase
frequency: its purchases / its buyers; SCR: its purchases / all brand purchases of its buyers (the
outside option is no purchase); market share: its share of all brand purchases; loyalty: mean
attitudinal loyalty of its buyers at the end. Every brand and run: `double_jeopardy.csv`.

![Double jeopardy](double_jeopardy.png)

*How to read the figure:* one marker per brand and run; colour = the brand's quality rank in its
run, marker = the spread of rival qualities. Left, purchases per buyer against penetration, both axes
logarithmic: the published pattern is a rising cloud (lower penetration, lower frequency) with a
slope well below 1 (frequency varies only slightly). Right, SCR against penetration: published,
rising.
"""


def facts_report(headline_dir: Path, out_dir: Path | None = None, progress: bool = True, *,
                 early_weeks=(1, 13), late_weeks=(53, 104),
                 wearout: Mapping[str, Any] | None = None,
                 double_jeopardy: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Compute the facts of a headline run and write them; return the facts table.

    Reads ``headline_dir/timeseries.csv``; runs the wear-out experiment (``wearout``:
    keyword arguments of :func:`simulation.research.facts.wearout_runs` over
    :data:`simulation.research.facts.WEAROUT_DEFAULTS`, e.g. ``{"n_consumers": 300}``; the
    reference condition is always run) and the double-jeopardy sweep (``double_jeopardy``:
    keyword arguments of :func:`simulation.research.facts.double_jeopardy_runs` over
    :data:`simulation.research.facts.DJ_DEFAULTS`); writes to ``out_dir`` (default
    ``headline_dir/facts``): ``facts.csv``, ``wearout.csv`` (the curve),
    ``double_jeopardy.csv`` (every brand of every run), ``facts.md``,
    ``wearout.png``/``.svg``, ``double_jeopardy.png``/``.svg`` and ``facts.json``
    (provenance of all of them, the input's SHA-256 and the settings).

    Raises
    ------
    WomsimError
        If the timeseries is missing, unreadable or lacks columns or strategies.
    """
    ts, path = F.read_timeseries(headline_dir)
    result = F.all_facts(ts, early_weeks=early_weeks, late_weeks=late_weeks, wearout=wearout,
                         double_jeopardy=double_jeopardy, progress=progress)
    facts, curve, wo, dj, brands = result.facts, result.curve, result.wearout, result.double_jeopardy, result.brands

    out = Path(out_dir) if out_dir is not None else Path(headline_dir) / "facts"
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "facts.csv", facts.to_csv(index=False, float_format="%.6g"))
    write_atomic(out / "wearout.csv", curve.to_csv(index=False, float_format="%.6g"))
    title = (f"Advertising wear-out: broadcast only, no word of mouth ({wo['n_consumers']} consumers, "
             f"{wo['weeks']} weeks, claim = quality)")
    plot_wearout(curve, out / "wearout", title=title)
    write_atomic(out / "double_jeopardy.csv", brands.to_csv(index=False, float_format="%.6g"))
    title = (f"Double jeopardy: {brands['brand'].nunique()} brands differing in quality ({dj['n_consumers']} "
             f"consumers, last {dj['window']} of {dj['weeks']} weeks)")
    plot_double_jeopardy(brands, out / "double_jeopardy", title=title)
    meta = {
        "input": {"path": display_path(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                  "scenario": str(ts["scenario"].iloc[0]) if "scenario" in ts.columns else "launch",
                  "strategies": [str(s) for s in ts["strategy"].unique()],
                  "replicates": int(ts["replicate"].nunique()), "last_week": int(ts["step"].max())},
        "early_weeks": list(result.early_weeks), "late_weeks": list(result.late_weeks),
        "wearout": {**{k: (list(v) if k == "budgets" else v) for k, v in wo.items() if k != "params"},
                    "params": {**F.WEAROUT_BASE, **(wo.get("params") or {})}, "reference": F.WEAROUT_REFERENCE,
                    "seeds": [run_seed(wo["seed"], r) for r in range(int(wo["replicates"]))]},
        "double_jeopardy": {**{k: (list(v) if k == "spreads" else v) for k, v in dj.items() if k != "params"},
                            "params": {**F.DJ_BASE, **(dj.get("params") or {})},
                            "seeds": [run_seed(dj["seed"], r) for r in range(int(dj["replicates"]))]},
        "files": ["facts.csv", "wearout.csv", "double_jeopardy.csv", "facts.md", "wearout.png", "wearout.svg",
                  "double_jeopardy.png", "double_jeopardy.svg"],
        **provenance(),
    }
    write_json(out / "facts.json", meta)
    write_atomic(out / "facts.md", facts_markdown(facts, meta, brands))
    return facts


def main_facts(headline_dir: str, out_dir: str | None, progress: bool) -> int:
    """CLI entry (``python run.py facts [DIR]``): write the report, print the table, return 0."""
    out = Path(out_dir) if out_dir else Path(headline_dir) / "facts"
    facts = facts_report(Path(headline_dir), out, progress=progress)
    print(format_facts(facts))
    print("\nconsistent: yes/NO when the 95 % interval lies wholly on one side of the published direction, "
          "- when undetermined.\nThe model is not tuned to these values (see facts.md, which also gives each "
          f"criterion).\nWrote {out}/ (facts.csv, facts.md, facts.json, wearout.csv, wearout.png, wearout.svg, "
          "double_jeopardy.csv, double_jeopardy.png, double_jeopardy.svg)")
    return 0


