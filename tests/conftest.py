"""Shared test helpers: the repository, the test data, and running the command line.

Test modules import them by name (``from conftest import DATA, run_cli``): pytest puts this
folder on ``sys.path`` (rootdir-relative "prepend" import mode), so there is one copy.
Tests mirror the package's layers: ``core/``, ``research/``, ``outputs/``, ``dashboard/``;
whole-program tests (command line, docs, pinned baseline) sit here at the top.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
