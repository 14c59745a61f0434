"""Shared test helpers: the repository, the test data, and running the command line.

Test modules import them by name (``from conftest import DATA, run_cli``): pytest puts this
folder on ``sys.path`` (rootdir-relative "prepend" import mode), so there is one copy.
Tests mirror the package's layers: ``core/``, ``research/``, ``outputs/``, ``dashboard/``;
whole-program tests (command line, docs, pinned baseline) sit here at the top.

Hypothesis profiles (the fuzz tests): ``ci``, the default, few examples in a fixed order
(``derandomize``: every run tries the same inputs, so CI is reproducible); ``deep``, many
random examples, chosen with ``HYPOTHESIS_PROFILE=deep``. No example database either way
(a failure prints the example that reproduces it); hypothesis's own cache in ``.hypothesis/``
carries a ``.gitignore`` of its own, so the tree stays clean.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=500, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(share: float) -> int:
    """``share`` of the profile's examples (at least 3): for properties whose one example is
    expensive (a subprocess, the per-agent reference), scaled with the profile."""
    return max(3, round(settings.default.max_examples * share))


REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
TIMEOUT = 300


def run_cli(*args: str | os.PathLike, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """``python run.py ARGS`` from the repository root, output captured as text."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    return subprocess.run([sys.executable, "run.py", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def describe(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, describe(result)
    return result


def tree(path: Path) -> dict[str, bytes]:
    """Every file below ``path`` (hidden ones included) with its bytes."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
