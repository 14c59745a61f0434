"""Writing the calibration check (``python run.py calibrate --check``): ``calibration.csv``,
``calibration.md``, ``calibration.json`` (provenance) and the figure measured vs. band per
target, and the table on the command line.

The targets and their measurements are :mod:`simulation.research.calibration`
(docs/ODD.md, 4.12 Calibration targets); this module only writes, formats and draws them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from simulation.core.params import Params
from simulation.outputs.figures.style import OKABE_ITO, STYLE, save_figure
from simulation.outputs.tables import render_table
from simulation.research import calibration as C
from simulation.research.provenance import display_path, provenance, write_atomic, write_json

__all__ = ["calibration_markdown", "draw_target", "fit_status", "format_calibration", "main_calibrate",
           "plot_calibration", "unmet_lines", "write_calibration"]

FILES = ["calibration.csv", "calibration.md", "calibration.json", "calibration.png", "calibration.svg"]


def _num(x) -> str:
    if x is None or not math.isfinite(float(x)):
        return "-"
    return f"{float(x):.3g}"


def _measured(row) -> str:
    if not math.isfinite(float(row["measured"])):
        return "not measured" if row["measure"] == C.NOT_MEASURED else "-"
    return f"{_num(row['measured'])} [{_num(row['ci_lo'])}, {_num(row['ci_hi'])}]"


def _cells(table: pd.DataFrame, notes: bool) -> tuple[list[str], list[list[str]]]:
    header = ["target", "band", "measured [95 % CI]", "n", "within?", "verified"] + (
        ["conditions", "source", "note"] if notes else [])
    body = [[str(r["target"]), f"{_num(r['band_lo'])} to {_num(r['band_hi'])}", _measured(r), str(int(r["n"])),
             str(r["within"]), str(r["verified"])]
            + ([str(r["conditions"]), str(r["source"]), str(r["note"])] if notes else [])
            for _, r in table.iterrows()]
    return header, body


def format_calibration(table: pd.DataFrame, markdown: bool = False) -> str:
    """The check as a text (or Markdown) table: target | band | measured [CI] | n | within? | verified.

    Examples
    --------
    >>> t = pd.DataFrame([{"target": "x", "measure": "nps", "band_lo": 0.0, "band_hi": 40.0, "measured": 10.0,
    ...                    "ci_lo": 5.0, "ci_hi": 15.0, "n": 4, "within": "yes", "verified": "secondary"}])
    >>> print(format_calibration(t))
    target  band     measured [95 % CI]  n  within?  verified
    ------  -------  ------------------  -  -------  ---------
    x       0 to 40  10 [5, 15]          4  yes      secondary
    """
    return render_table(*_cells(table, notes=False), markdown=markdown)


def unmet_lines(table: pd.DataFrame) -> list[str]:
    """One line per target whose interval is not wholly inside its band: the target, its
    verdict and why the calibrated model does not meet it (the target's ``unmet`` entry in
    the targets file), or that no reason is documented.

    Examples
    --------
    >>> t = pd.DataFrame([{"target": "x", "within": "no", "unmet": "the model cannot"},
    ...                   {"target": "y", "within": "yes", "unmet": ""}])
    >>> unmet_lines(t)
    ['x (no): the model cannot']
    """
    lines = []
    for _, r in table.iterrows():
        if r["within"] == "yes":
            continue
        why = r.get("unmet", "")
        if not (isinstance(why, str) and why.strip()):
            why = ("no reason documented (targets file: unmet)" if r["within"] == "no" else
                   "its interval reaches over a band edge at this size (few replicates or runs, as in --quick); "
                   "no reason documented")
        lines.append(f"{r['target']} ({r['within']}): {why}")
    return lines


def draw_target(ax, row) -> None:
    """One target on ``ax``: its band as a shaded span, the measured mean with its 95 %
    interval as a point with a bar (or the text "not measured yet")."""
    lo, hi = float(row["band_lo"]), float(row["band_hi"])
    ax.axvspan(lo, hi, color=OKABE_ITO["bluish_green"], alpha=0.25, lw=0, label="published band")
    m = float(row["measured"])
    span = [lo, hi]
    if math.isfinite(m):
        err_lo, err_hi = float(row["ci_lo"]), float(row["ci_hi"])
        ok = math.isfinite(err_lo) and math.isfinite(err_hi)
        ax.errorbar([m], [0], xerr=[[m - err_lo], [err_hi - m]] if ok else None, fmt="o", color=OKABE_ITO["vermillion"],
                    capsize=4, label="measured, 95 % CI")
        span += [err_lo, err_hi] if ok else [m]
    else:
        ax.text(0.5, 0.5, "not measured yet", transform=ax.transAxes, ha="center", va="center", color="0.4")
    width = (max(span) - min(span)) or 1.0
    ax.set_xlim(min(span) - 0.15 * width, max(span) + 0.15 * width)
    ax.set_yticks([])
    ax.set_ylim(-1, 1)
    ax.set_title(f"{row['target']}: {row['within']}", loc="left", fontsize="medium")


def plot_calibration(table: pd.DataFrame, path_stem: str | Path, title: str | None = None) -> list[Path]:
    """One panel per target (each on its own scale): measured vs. band (:func:`draw_target`)."""
    n = len(table)
    cols = 2
    rows = math.ceil(n / cols)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(rows, cols, figsize=(10, 1.3 * rows + 0.8), squeeze=False)
        for ax, (_, row) in zip(axes.flat, table.iterrows(), strict=False):
            draw_target(ax, row)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
        if title:
            fig.suptitle(title)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        return save_figure(fig, path_stem)


def fit_status(fit_json: Path) -> str:
    """One sentence: are today's defaults the estimates of the fit in ``fit_json``
    (``calibrate --fit``'s ``fit.json``), each to the 3 significant digits the defaults keep?"""
    if not fit_json.is_file():
        return f"No fit in `{display_path(fit_json)}`: today's defaults are not compared with a fit."
    estimate = json.loads(fit_json.read_text())["estimate"]
    defaults = Params()
    off = [k for k, v in estimate.items() if not math.isclose(float(defaults[k]), float(v), rel_tol=5e-3)]
    names = ", ".join(f"`{k}` = {defaults[k]:g}" for k in estimate)
    if off:
        return (f"**Today's defaults are not the estimates of the fit** in `{display_path(fit_json)}` "
                f"({', '.join(off)} differ): a check of the defaults, not of the fit.")
    return (f"**After calibration**: the fitted defaults ({names}) are the estimates of the fit in "
            f"`{display_path(fit_json)}` (to 3 significant digits); every other default as documented.")


def calibration_markdown(result: C.CheckResult, meta: dict) -> str:
    """``calibration.md``: settings, the table with notes, how to read it, the figure."""
    s = result.size
    return f"""# Calibration check: womsim at today's defaults against published targets

Mode `{result.mode}`: {s['n_consumers']} consumers, {s['weeks']} weeks, {s['replicates']} replicates per
condition (seeds `run_seed({result.seed}, r)`, the same in every condition: common random numbers);
targets from `{meta['targets']}`. Commit `{meta['git_commit']}`; created {meta['created']}.

{meta['fit_status']}

{render_table(*_cells(result.table, notes=True), markdown=True)}

## Targets not inside their band, and why

{chr(10).join("* " + line for line in unmet_lines(result.table)) or "Every target is inside its band."}

## How to read

* `measured` is the mean over replicates of the target's measurement (one value per run, see
  `note` and `simulation/research/calibration.py`), with its Student-t 95 % interval, kept inside
  the measurement's range.
* `within?`: **yes** when the whole interval lies inside the band, **no** when it lies wholly
  outside, **undetermined** when it straddles an edge, fewer than two replicates give a value,
  or the target is not measured yet (the note says why).
* `verified`: `project` = the project read the number in the source; `abstract` = from the
  paper's abstract; `secondary` = taken from a secondary source, not checked in the paper.

![Measured vs. band](calibration.png)

*How to read the figure:* one panel per target, each on its own scale; the shaded span is the
published band, the point the measured mean with its 95 % interval.
"""


def write_calibration(result: C.CheckResult, out: Path, targets_path: Path = C.TARGETS_FILE) -> list[Path]:
    """Write :data:`FILES` into ``out``; return their paths. Whether the defaults are a fit's
    estimates is judged against ``out/fit/fit.json`` (:func:`fit_status`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "calibration.csv", result.table.to_csv(index=False, float_format="%.6g"))
    plot_calibration(result.table, out / "calibration",
                     title=f"womsim at today's defaults vs. published targets ({result.mode} mode)")
    meta = {"mode": result.mode, "size": result.size, "seed": result.seed, "targets": display_path(targets_path),
            "values": {k: [float(x) for x in v.to_numpy()] for k, v in result.values.items()},
            "files": FILES, "fit_status": fit_status(out / "fit" / "fit.json"), **provenance()}
    write_json(out / "calibration.json", meta)
    write_atomic(out / "calibration.md", calibration_markdown(result, meta))
    return [out / f for f in FILES]


def main_calibrate(out: str | Path, quick: bool = False, workers: int | None = None, progress: bool = True,
                   targets: str | Path | None = None, scheduler: str | None = None) -> int:
    """CLI entry (``python run.py calibrate --check``): measure, write ``out/``, print the table; 0."""
    path = Path(targets) if targets else C.TARGETS_FILE
    result = C.check(C.read_targets(path), quick=quick, workers=workers, progress=progress, scheduler=scheduler)
    write_calibration(result, Path(out), path)
    print(format_calibration(result.table))
    lines = unmet_lines(result.table)
    if lines:
        print("\nNot inside the band, and why:\n" + "\n".join(f"  {line}" for line in lines))
    counts = result.table["within"].value_counts()
    status = fit_status(Path(out) / "fit" / "fit.json").replace("**", "").replace("`", "")
    print(f"\n{counts.get('yes', 0)} within, {counts.get('no', 0)} outside, {counts.get('undetermined', 0)} "
          f"undetermined of {len(result.table)} targets ({result.mode} mode). {status}\n"
          f"Wrote {out}/ ({', '.join(FILES)})")
    return 0
