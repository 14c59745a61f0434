"""Writing the verification and docking checks (``python run.py validate``): the table on
the command line, and ``validation.csv``, ``agreement.csv``, ``validation.json`` and the
docking figures in the output folder; with the marketing docking (docs/ODD.md, 4.14) also
``goldenberg_runs.csv``, ``goldenberg_coefficients.csv``, ``goldenberg_elasticities.csv``, ``libai_runs.csv``,
``libai_summary.csv`` and the figures ``goldenberg`` and ``libai``.

The checks themselves are computed by :mod:`simulation.research.validation`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.outputs.figures.checks import plot_marketing_docking, plot_validation
from simulation.outputs.tables import render_table
from simulation.research.provenance import provenance, write_atomic, write_json
from simulation.research.validation import Check, ValidationResult, run_validation


def format_checks(checks: list[Check]) -> str:
    """An aligned text table: check | expected | measured | tolerance | result."""
    rows = [(c.check, c.expected, f"{c.measured:.3g}", c.tolerance, c.status) for c in checks]
    return render_table(("check", "expected", "measured", "tolerance", "result"), rows)


def format_coefficients(coefficients: pd.DataFrame) -> str:
    """An aligned text table: factor | coefficient (SE) per stage, and R^2."""
    stages = list(coefficients.columns.get_level_values(0).unique())
    rows = [(f, *(f"{coefficients.loc[f, (s, 'coef')]:+.3f} ({coefficients.loc[f, (s, 'se')]:.3f})" for s in stages))
            for f in coefficients.index]
    rows.append(("R^2", *(f"{coefficients.attrs.get('r2', {}).get(s, float('nan')):.3f}" for s in stages)))
    return render_table(("factor", *(f"log weeks to {s[1:]} %" for s in stages)), rows)


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
    if result.goldenberg is not None and result.libai is not None:
        tables = {"goldenberg_runs": result.goldenberg.runs.to_csv(index=False),
                  "goldenberg_coefficients": result.goldenberg.coefficients.to_csv(),
                  "goldenberg_elasticities": (result.goldenberg.elasticities.to_csv()
                                              if result.goldenberg.elasticities is not None else ""),
                  "libai_runs": result.libai.runs.to_csv(index=False), "libai_summary": result.libai.summary.to_csv()}
        for name, text in tables.items():
            write_atomic(out / f"{name}.csv", text)
            paths.append(out / f"{name}.csv")
        paths += plot_marketing_docking(out, result.goldenberg.coefficients, result.libai.summary)
    write_json(out / "validation.json", {"checks": table.to_dict(orient="records"), "seconds": result.seconds,
                                         **provenance()})
    paths.append(out / "validation.json")
    return paths


def main_validate(out: str | Path, workers: int | None = None, progress: bool = True, quick: bool = False) -> int:
    """CLI entry (``python run.py validate``): run, write ``out/``, print the table; 1 if a check failed."""
    result = run_validation(workers=workers, progress=progress, quick=quick)
    write_validation(result, Path(out))
    print(format_checks(result.checks))
    if result.goldenberg is not None:
        print("\nGoldenberg, Libai & Muller (2001): standardized coefficients of log weeks to 15 % / 95 % adoption")
        print(format_coefficients(result.goldenberg.coefficients))
    failed, claims = result.failed, result.claims
    held = sum(c.passed for c in claims)
    print(f"\n{len(result.checks) - len(claims) - len(failed)} passed, {len(failed)} failed; {held} of "
          f"{len(claims)} published claims held (not held: a finding, not a failure) ({result.seconds:.0f} s); "
          f"figures and tables in {out}/")
    return 1 if failed else 0
