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
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
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


# ----------------------------------------------------------------------------------------
# Processes started in a session of their own (``start_new_session=True``): signalling the
# group, and checking that nothing of it outlives its leader.
# ----------------------------------------------------------------------------------------
PROC = Path("/proc")
needs_proc = pytest.mark.skipif(not (PROC / "self" / "stat").exists(),
                                reason="reads the process table from Linux /proc")


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to the process group of ``proc`` (its leader and every descendant)."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def session_processes(sid: int) -> list[str]:
    """The live processes (zombies excluded) of session ``sid``, as ``"pid command"``."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        state, _ppid, _pgrp, session = stat[stat.rindex(")") + 2:].split()[:4]
        if state != "Z" and int(session) == sid:
            found.append(f"{entry.name} {command[:160].strip()}")
    return found


def wait_until_session_ends(proc: subprocess.Popen, timeout: float = 10.0) -> list[str]:
    """Wait up to ``timeout`` s for every process of ``proc``'s session to end; returns the
    survivors (empty if none), after killing them so that no test leaves any behind."""
    deadline = time.monotonic() + timeout
    while (left := session_processes(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left:
        signal_group(proc, signal.SIGKILL)  # the group keeps its id while any member lives
    return left


@pytest.fixture
def fresh_layout_cache():
    """Network-picture tests start and end with no cached layout and no open figure."""
    from simulation.outputs import layout

    layout.clear_layout_cache()
    yield
    layout.clear_layout_cache()
    import matplotlib.pyplot as plt

    plt.close("all")
