"""Writing the calibration fit (``python run.py calibrate --fit``) into ``OUT/fit/``.

``fit.json`` (estimate, intervals, targets, held-out targets, loss, trials, seed, sizes, the
sandwich's matrices, provenance), ``draws.csv`` (parameter sets around the estimate, one column
per free parameter, read by the robustness experiment), ``trials.csv`` (every trial: parameters,
loss, moments), ``table.csv``/``.md`` (per parameter: default before, estimate, 95 % interval,
range, identified?), ``targets_after.csv``/``.md`` (every measured target at the estimate, fit or
held out), ``conflicts.md`` (pairs of fit targets the trials never or rarely met together), and
the figures ``fit_history`` (loss per trial) and ``fit_targets`` (measured vs. band at the estimate).

The fit itself is :mod:`simulation.research.fit` (docs/ODD.md, 4.12); this module only writes,
formats and draws it.
"""

from __future__ import annotations

import math
from importlib import metadata
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulation.core.params import PARAMETERS
from simulation.outputs.calibration_report import format_calibration, plot_calibration
from simulation.outputs.figures.style import OKABE_ITO, STYLE, save_figure
from simulation.outputs.tables import render_table
from simulation.research import calibration as C
from simulation.research import fit as F
from simulation.research.provenance import display_path, provenance, write_atomic, write_json

__all__ = ["FILES", "main_fit", "parameter_table", "plot_history", "targets_after", "write_fit"]

FILES = ["fit.json", "draws.csv", "trials.csv", "table.csv", "table.md", "targets_after.csv", "targets_after.md",
         "conflicts.md", "fit_history.png", "fit_history.svg", "fit_targets.png", "fit_targets.svg"]


def _g(x) -> str:
    return "-" if x is None or not math.isfinite(float(x)) else f"{float(x):.4g}"


def parameter_table(result: F.Fit) -> pd.DataFrame:
    """Per free parameter: default before, estimate, 95 % interval, searched range, identified?"""
    rows = []
    for f, ok, share in zip(result.spec.free, result.unc.identified, result.unc.null_share):
        lo, hi = result.unc.interval[f.name]
        rows.append({"parameter": f.name, "default_before": PARAMETERS[f.name].default,
                     "estimate": result.estimate[f.name], "ci_lo": lo, "ci_hi": hi, "low": f.low, "high": f.high,
                     "log": f.log, "identified": "yes" if ok else "no (interval = range)",
                     "null_share": float(share)})
    return pd.DataFrame(rows)


def _parameter_md(table: pd.DataFrame) -> str:
    header = ["parameter", "default before", "estimate", "95 % interval", "range", "identified?"]
    body = [[r["parameter"], _g(r["default_before"]), _g(r["estimate"]), f"[{_g(r['ci_lo'])}, {_g(r['ci_hi'])}]",
             f"[{_g(r['low'])}, {_g(r['high'])}]" + (" log" if r["log"] else ""), r["identified"]]
            for _, r in table.iterrows()]
    return render_table(header, body, markdown=True)


def targets_after(result: F.Fit) -> pd.DataFrame:
    """The check at the estimate (:data:`simulation.research.calibration.RESULT_COLUMNS`) with
    a ``role`` column: fit or held out."""
    fit_names = {t.name for t in result.spec.targets}
    table = result.check.table.copy()
    table.insert(1, "role", ["fit" if n in fit_names else "held out" for n in table["target"]])
    return table


def _labelled(after: pd.DataFrame) -> pd.DataFrame:
    """The table with each target named with its role, e.g. ``NPS (held out)``."""
    return after.assign(target=[f"{n} ({r})" for n, r in zip(after["target"], after["role"])])


def _conflicts_md(result: F.Fit) -> str:
    c = result.conflicts
    header = ["target A", "target B", "trials meeting A", "meeting B", "meeting both", "expected if independent",
              "verdict"]
    body = [[r["target_a"], r["target_b"], str(r["met_a"]), str(r["met_b"]), str(r["met_both"]),
             f"{r['expected_if_independent']:.1f}", r["verdict"]] for _, r in c.iterrows()]
    never_met = [t.name for t in result.spec.targets if not result.trials[t.name].between(*t.band).any()]
    found = c.loc[c["verdict"].isin(["never", "rarely"])]
    lines = [f"- **{r['target_a']}** and **{r['target_b']}**: {r['verdict']} met together "
             f"({r['met_both']} of {len(result.trials)} trials; {r['met_a']} met A, {r['met_b']} met B)"
             for _, r in found.iterrows()]
    return f"""# Which fit targets the trials could not meet together

Over the {len(result.trials)} trials of the fit, a target counts as met in a trial when the mean of its
replicates lies inside its band. Per pair: trials meeting each, both, and the count expected if the two were
met independently ({len(result.trials)} trials x share meeting A x share meeting B). **never**: each was met
in some trial, never both; **rarely**: both in at most a quarter of the independent count; **not met**: one
of the two is met in no trial at all.

## Findings

{chr(10).join(lines) if lines else "- No pair of targets was met alone but never or rarely together."}
- Never met in any trial: {", ".join(never_met) if never_met else "none"}.

{render_table(header, body, markdown=True)}
"""


def plot_history(trials: pd.DataFrame, path_stem: Path) -> list[Path]:
    """Loss per trial (log scale) and the best so far."""
    t = trials.sort_values("trial")
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7, 3.6))
        ax.plot(t["trial"], t["loss"], "o", ms=3.5, color=OKABE_ITO["sky_blue"], label="trial")
        ax.step(t["trial"], t["loss"].cummin(), where="post", color=OKABE_ITO["vermillion"], label="best so far")
        if (t["loss"] > 0).all():
            ax.set_yscale("log")
        ax.set_xlabel("trial")
        ax.set_ylabel("loss: sum of ((measured - centre) / half-width)^2")
        ax.legend(frameon=False)
        ax.set_title("Calibration fit: loss per trial", loc="left")
        fig.tight_layout()
        return save_figure(fig, path_stem)


def _md(result: F.Fit, params: pd.DataFrame, after: pd.DataFrame, meta: dict) -> str:
    s = result.spec
    unident = [f.name for f, ok in zip(s.free, result.unc.identified) if not ok]
    shown = _labelled(after)
    rank_note = (f"G has rank {result.unc.rank} for {len(s.free)} free parameters and {len(s.targets)} fit targets"
                 + (": fewer moments than parameters, so some directions cannot be identified by these targets"
                    if len(s.targets) < len(s.free) else ""))
    return f"""# Calibration fit: simulated method of moments

{len(result.trials)} trials (optuna TPE, seed {s.seed}); each trial runs the fit targets at
{s.size['n_consumers']} consumers, {s.size['weeks']} weeks, {s.size['replicates']} replicates (seeds
`run_seed({s.seed}, r)` in every trial: common random numbers). Spec `{display_path(s.path)}` (hash `{s.digest()}`).
Commit `{meta['git_commit']}`; created {meta['created']}.

Best trial {result.best_trial}: loss {result.loss:.4g}.

## Parameters

{_parameter_md(params)}

Intervals: 95 % from the SMM sandwich at the estimate (docs/ODD.md 4.12), on the sampled scale, clipped
to the searched range. {rank_note}. Not identified (interval = range):
{", ".join(unident) if unident else "none"}.

## Targets at the estimate

{format_calibration(shown, markdown=True)}

Held out (not used in the fit): {", ".join(t.name for t in s.held_out) or "none"}.

See `conflicts.md` for targets the trials could not meet together.

![Loss per trial](fit_history.png)

![Targets at the estimate](fit_targets.png)
"""


def write_fit(result: F.Fit, out: Path) -> list[Path]:
    """Write :data:`FILES` into ``out`` (the fit's folder, beside ``study.db``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    params = parameter_table(result)
    after = targets_after(result)
    prov = provenance()
    prov["versions"]["optuna"] = metadata.version("optuna")
    meta = {**result.summary(), "spec": display_path(result.spec.path), "files": FILES, **prov}
    write_json(out / "fit.json", meta)
    write_atomic(out / "draws.csv", result.draws.to_csv(index=False, float_format="%.8g"))
    write_atomic(out / "trials.csv", result.trials.to_csv(index=False, float_format="%.8g"))
    write_atomic(out / "table.csv", params.to_csv(index=False, float_format="%.6g"))
    write_atomic(out / "table.md", _md(result, params, after, meta))
    write_atomic(out / "targets_after.csv", after.to_csv(index=False, float_format="%.6g"))
    shown = _labelled(after)
    write_atomic(out / "targets_after.md", "# Every measured target at the fitted values\n\n"
                 + format_calibration(shown, markdown=True) + "\n")
    write_atomic(out / "conflicts.md", _conflicts_md(result))
    plot_history(result.trials, out / "fit_history")
    plot_calibration(shown, out / "fit_targets", title="womsim at the fitted values vs. published targets")
    return [out / f for f in FILES]


def main_fit(out: str | Path, *, spec_path: str | Path | None = None, targets: str | Path | None = None,
             quick: bool = False, trials: int | None = None, workers: int | None = None,
             scheduler: str | None = None, progress: bool = True, say=None) -> int:
    """CLI entry (``python run.py calibrate --fit``): fit (resuming ``out/fit/study.db``), write
    ``out/fit/``, print the parameter table and the targets at the estimate; 0. ``quick``: the
    sizes and trials of :data:`simulation.research.fit.QUICK`, in this process by default."""
    all_targets = C.read_targets(targets) if targets else C.read_targets()
    spec = F.read_fit_spec(spec_path or F.FIT_FILE, all_targets)
    if quick:
        spec = spec.with_overrides(trials=F.QUICK["trials"], size=F.QUICK["size"])
        # runs of a fraction of a second: starting worker pools (one per target and candidate)
        # would cost more than the runs, so --quick runs in this process unless told otherwise
        workers = 1 if workers is None and scheduler is None else workers
    spec = spec.with_overrides(trials=trials)
    folder = Path(out) / "fit"
    result = F.fit(spec, folder, workers=workers, scheduler=scheduler, progress=progress, say=say)
    write_fit(result, folder)
    params = parameter_table(result)
    body = [[r["parameter"], _g(r["default_before"]), _g(r["estimate"]), f"[{_g(r['ci_lo'])}, {_g(r['ci_hi'])}]",
             "yes" if r["identified"] == "yes" else "no"] for _, r in params.iterrows()]
    print(render_table(["parameter", "default", "estimate", "95 % interval", "identified?"], body))
    after = targets_after(result)
    print()
    print(format_calibration(_labelled(after)))
    bad = result.conflicts.loc[result.conflicts["verdict"].isin(["never", "rarely"])]
    print(f"\nloss {result.loss:.4g} (best of {len(result.trials)} trials); "
          f"{int(np.sum(~result.unc.identified))} of {len(spec.free)} parameters not identified; "
          f"{len(bad)} pair(s) of targets never or rarely met together (conflicts.md).\n"
          f"Wrote {folder}/ ({', '.join(FILES)}; study.db resumes the search)")
    return 0
