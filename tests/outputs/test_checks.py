"""Figures and tables of the model checks: the wear-out figure (simulation.outputs.figures.checks)
and the validation output (simulation.outputs.validation_report), from small fake results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from matplotlib import image

from simulation.outputs.figures.checks import plot_validation, plot_wearout
from simulation.outputs.validation_report import format_checks, write_validation
from simulation.research.facts import MODEL_CONDITION, REFERENCE_CONDITION
from simulation.research.validation import Check, ValidationResult, bass_recursion


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
