"""Writing the verification and docking checks (``python run.py validate``): the table on
the command line, and ``validation.csv``, ``agreement.csv``, ``validation.json`` and the
docking figures in the output folder.

The checks themselves are computed by :mod:`simulation.research.validation`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.outputs.figures.checks import plot_validation
from simulation.outputs.tables import render_table
from simulation.research.provenance import provenance, write_atomic, write_json
from simulation.research.validation import Check, ValidationResult, run_validation


def format_checks(checks: list[Check]) -> str:
    """An aligned text table: check | expected | measured | tolerance | result."""
    rows = [(c.check, c.expected, f"{c.measured:.3g}", c.tolerance, c.status) for c in checks]
    return render_table(("check", "expected", "measured", "tolerance", "result"), rows)


def write_validation(result: ValidationResult, out: Path) -> list[Path]:
    """Write the figures, ``validation.csv``, ``agreement.csv`` (engine vs. reference tests,
    when run) and ``validation.json`` (checks and provenance) into ``out``; return the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = plot_validation(out, result.bass, result.sparse, result.degroot, result.friedkin_johnsen)
    table = pd.DataFrame([{**c.__dict__, "status": c.status} for c in result.checks])
    write_atomic(out / "validation.csv", table.to_csv(index=False))
    paths.append(out / "validation.csv")
    if result.agreement:
        write_atomic(out / "agreement.csv", pd.concat(result.agreement, names=["strategy", "row"]).to_csv())
        paths.append(out / "agreement.csv")
    write_json(out / "validation.json", {"checks": table.to_dict(orient="records"), "seconds": result.seconds,
                                         **provenance()})
    paths.append(out / "validation.json")
    return paths


def main_validate(out: str | Path, workers: int | None = None, progress: bool = True, quick: bool = False) -> int:
    """CLI entry (``python run.py validate``): run, write ``out/``, print the table; 1 if a check failed."""
    result = run_validation(workers=workers, progress=progress, quick=quick)
    write_validation(result, Path(out))
    print(format_checks(result.checks))
    failed = result.failed
    print(f"\n{len(result.checks) - len(failed)} passed, {len(failed)} failed ({result.seconds:.0f} s); "
          f"figures and tables in {out}/")
    return 1 if failed else 0
