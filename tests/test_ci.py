"""``.ci/run``: the README's test command, run last and verbatim, and no environment left behind.

The script is run for real by bash, with every tool it calls replaced by a stub on ``PATH``
(``python3.12`` makes a fake environment whose ``python``, ``pip`` and ``ruff`` log their
arguments), so the check takes a second: what is run, in which order, and that the
temporary folder of the environment (1.2 GB for real) is gone afterwards, whether the run
passed or a step failed.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, describe

CI = REPO / ".ci" / "run"

# `python3.12 -m venv DIR` makes DIR/bin/activate, which puts stubs of python, pip and ruff
# first on PATH; each logs its command line and fails if its name is in $CI_STUB_FAIL.
FAKE_PYTHON = r"""#!/usr/bin/env bash
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"
    head -c 100000 /dev/zero > "$3/payload"
    printf 'export PATH="%s/bin:$PATH"\n' "$3" > "$3/bin/activate"
    for tool in python pip ruff; do
        printf '#!/usr/bin/env bash\necho "%s $*" >> "$CI_LOG"\ncase " $CI_STUB_FAIL " in *" %s "*) exit 3;; esac\n' \
            "$tool" "$tool" > "$3/bin/$tool"
        chmod +x "$3/bin/$tool"
    done
fi
exit 0
"""


def run_ci(tmp_path: Path, fail: str = "") -> tuple[subprocess.CompletedProcess, list[str], Path]:
    stubs, tmp = tmp_path / "stubs", tmp_path / "tmp"
    stubs.mkdir()
    tmp.mkdir()
    for name, text in {"python3.12": FAKE_PYTHON, "apt-get": "#!/usr/bin/env bash\nexit 0\n"}.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    log = tmp_path / "ci.log"
    env = {**os.environ, "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(tmp),
           "CI_LOG": str(log), "CI_STUB_FAIL": fail}
    result = subprocess.run(["bash", str(CI)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60)
    lines = log.read_text().splitlines() if log.exists() else []
    return result, lines, tmp


def readme_test_command() -> str:
    block = re.search(r"## Run the tests.*?```bash\n(.*?)\n```", (REPO / "README.md").read_text(), re.S)
    assert block, "README.md has no 'Run the tests' block"
    return block.group(1).strip()


def test_last_line_is_the_readme_test_command_verbatim():
    lines = [ln for ln in CI.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[-1] == readme_test_command()
    assert "ruff check ." in lines


def test_a_passing_run_lints_tests_last_and_leaves_no_environment(tmp_path):
    result, calls, tmp = run_ci(tmp_path)
    assert result.returncode == 0, describe(result)
    assert "ruff check ." in calls
    assert calls[-2:] == ["pip install -e .[test]", "python -m pytest"]
    assert calls.index("ruff check .") < calls.index("python -m pytest")
    assert list(tmp.iterdir()) == [], "the virtual environment was left in TMPDIR"


@pytest.mark.parametrize("step", ["ruff", "python"])
def test_a_failing_step_fails_the_run_and_leaves_no_environment(tmp_path, step):
    result, calls, tmp = run_ci(tmp_path, fail=step)
    assert result.returncode != 0, describe(result)
    assert "python -m pytest" not in calls  # nothing after the failing step
    assert list(tmp.iterdir()) == [], "the virtual environment was left in TMPDIR"
