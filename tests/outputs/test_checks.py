"""Figures and tables of the model checks: the wear-out figure (simulation.outputs.figures.checks)
and the validation output (simulation.outputs.validation_report), from small fake results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from matplotlib import image

from simulation.outputs.figures.checks import plot_marketing_docking, plot_validation, plot_wearout
from simulation.outputs.validation_report import format_checks, format_coefficients, write_validation
from simulation.research.facts import MODEL_CONDITION, REFERENCE_CONDITION
from simulation.research.marketing_docking import Claim, GoldenbergResult, LibaiResult
from simulation.research.validation import Check, ValidationResult, bass_recursion, claim_checks


def _nonblank(png) -> None:
    rgb = image.imread(png)[..., :3]
    assert rgb.std() > 0.05 and (rgb < 0.5).any(), f"{png} looks blank"


def _curve(attitude: list[float], condition: str = MODEL_CONDITION, n: int = 3) -> pd.DataFrame:
    budgets = [0.5, 1.0, 2.0, 4.0][: len(attitude)]
    a = np.array(attitude)
    exposures = np.array(budgets) * 4
    return pd.DataFrame({"condition": condition, "budget": budgets, "exposures": exposures, "n": n,
                         "attitude_mean": a, "attitude_lo": a - 0.01, "attitude_hi": a + 0.01,
                         "per_exposure_mean": a / exposures, "per_exposure_lo": (a - 0.01) / exposures,
                         "per_exposure_hi": (a + 0.01) / exposures})


def test_plot_wearout_with_reference_and_zoom(tmp_path):
    # reactance: the total falls far below 0 after a small rise, so the total panel zooms on the peak
    curve = pd.concat([_curve([0.02, 0.03, -0.2, -0.6]), _curve([0.02, 0.04, 0.07, 0.1], REFERENCE_CONDITION)],
                      ignore_index=True)
    paths = plot_wearout(curve, tmp_path / "wearout", title="test")
    assert [p.name for p in paths] == ["wearout.png", "wearout.svg"]
    _nonblank(paths[0])
    rgb = image.imread(paths[0])[..., :3]
    blue = np.array([0x00, 0x72, 0xB2]) / 255  # the broadcast colour draws the model curve
    assert (np.abs(rgb - blue).max(axis=-1) < 0.08).sum() > 200


def test_plot_wearout_one_replicate_no_bars(tmp_path):
    paths = plot_wearout(_curve([0.01, 0.02, 0.015], n=1), tmp_path / "w")
    _nonblank(paths[0])


def _result() -> ValidationResult:
    rng = np.random.default_rng(0)
    theory = bass_recursion(0.03, 0.38, 10)
    sims = np.clip(theory + 0.01 * rng.standard_normal((3, 11)), 0, 1)
    sparse = {"complete": sims, "watts_strogatz": sims * 0.9}
    trace = np.vstack([np.linspace(1, 0, 20) ** 3] * 5).T * rng.random(5)
    checks = [Check("Bass, complete graph", "discrete Bass recursion", 0.004, "<= 0.01", True, "N=10"),
              Check("DeGroot consensus, karate", "pi^T x(0)", 2e-12, "<= 1e-06", False)]
    table = pd.DataFrame({"metric": ["loyalty"], "step": [5], "p": [0.5], "rejected": [False]})
    return ValidationResult(checks, {(0.03, 0.38): (sims, theory)}, sparse, {"karate": (trace, 0.0)},
                            {"karate": (trace, np.zeros(5))}, {"none": table}, 1.5)


def test_format_checks_is_aligned():
    text = format_checks(_result().checks)
    lines = text.splitlines()
    assert lines[0].split() == ["check", "expected", "measured", "tolerance", "result"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].endswith("PASS") and lines[3].endswith("FAIL")
    assert "0.004" in lines[2] and "2e-12" in lines[3]
    col = lines[0].index("measured")
    assert all(line[col - 2: col] == "  " for line in lines)


def test_plot_and_write_validation(tmp_path):
    result = _result()
    assert [c.check for c in result.failed] == ["DeGroot consensus, karate"]
    paths = plot_validation(tmp_path / "figs", result.bass, result.sparse, result.degroot, result.friedkin_johnsen)
    assert sorted(p.stem for p in paths if p.suffix == ".png") == ["bass_complete", "bass_sparse", "degroot",
                                                                  "friedkin_johnsen"]
    for p in paths:
        if p.suffix == ".png":
            _nonblank(p)
    written = write_validation(result, tmp_path / "out")
    names = {p.name for p in written}
    assert {"validation.csv", "agreement.csv", "validation.json", "bass_complete.png"} <= names
    csv = pd.read_csv(tmp_path / "out" / "validation.csv")
    assert csv["status"].tolist() == ["PASS", "FAIL"]
    meta = json.loads((tmp_path / "out" / "validation.json").read_text())
    assert meta["seconds"] == 1.5 and len(meta["checks"]) == 2 and "git_commit" in meta


def _docking() -> tuple[GoldenbergResult, LibaiResult]:
    factors = ["clique_size", "weak_contacts", "goldenberg_alpha", "goldenberg_beta_w", "goldenberg_beta_s"]
    columns = pd.MultiIndex.from_product([["t15", "t95"], ["coef", "se", "t"]])
    values = np.array([[-0.3, 0.02, -15, -0.4, 0.02, -20], [-0.2, 0.02, -10, -0.3, 0.02, -15],
                       [-0.5, 0.02, -25, -0.25, 0.02, -12], [-0.1, 0.02, -5, -0.2, 0.02, -10],
                       [-0.2, 0.02, -10, -0.3, 0.02, -15]])
    coefficients = pd.DataFrame(values, index=pd.Index(factors, name="factor"), columns=columns)
    coefficients.attrs["r2"] = {"t15": 0.9, "t95": 0.93}
    runs = pd.DataFrame({f: [1.0, 2.0] for f in factors} | {"t15": [3.0, 4.0], "t95": [9.0, 12.0]})
    summary = pd.DataFrame({"value": [40.0, 270.0], "acceleration": [40.0, 14.0], "expansion": [0.0, 256.0],
                            "share": [0.0, 0.95]}, index=pd.Index([1, 2], name="brands"))
    claim = Claim("P", "c", 1.0, "x", False)
    return (GoldenbergResult(runs, coefficients, [claim], coefficients * 2),
            LibaiResult(pd.DataFrame({"brands": [1, 2]}), summary, [claim]))


def test_marketing_docking_figures_tables_and_claims(tmp_path):
    goldenberg, libai = _docking()
    paths = plot_marketing_docking(tmp_path / "figs", goldenberg.coefficients, libai.summary)
    assert sorted(p.stem for p in paths if p.suffix == ".png") == ["goldenberg", "libai"]
    for p in paths:
        if p.suffix == ".png":
            _nonblank(p)
    base = _result()
    claims = claim_checks([Claim("P", "held", 1.2, "ratio >= 1", True), Claim("P", "not held", 0.5, "r", False)])
    result = ValidationResult(base.checks + claims, base.bass, base.sparse, base.degroot, base.friedkin_johnsen,
                              base.agreement, 1.0, goldenberg, libai)
    # a published claim not held is reported, not a failure of the command
    assert [c.check for c in result.failed] == ["DeGroot consensus, karate"]
    assert [c.status for c in result.claims] == ["held", "NOT HELD"]
    names = {p.name for p in write_validation(result, tmp_path / "out")}
    assert {"goldenberg_runs.csv", "goldenberg_coefficients.csv", "goldenberg_elasticities.csv", "libai_runs.csv",
            "libai_summary.csv", "goldenberg.png", "libai.png"} <= names
    csv = pd.read_csv(tmp_path / "out" / "validation.csv")
    assert csv["status"].tolist() == ["PASS", "FAIL", "held", "NOT HELD"] and csv["binding"].tolist()[-1] == False  # noqa: E712
    text = format_coefficients(goldenberg.coefficients).splitlines()
    assert text[0].split()[:1] == ["factor"] and "-0.500 (0.020)" in text[4] and text[-1].split()[0] == "R^2"
