#!/usr/bin/env bash
# Make benchmarks/.venv-ndlib: NDlib in its own virtual environment, plus this repo
# (editable) so that benchmarks/bench_ndlib.py can import both womsim and ndlib.
#
#     bash benchmarks/ndlib_env.sh
#     benchmarks/.venv-ndlib/bin/python benchmarks/bench_ndlib.py
#
# NDlib declares too few dependencies (its SI model imports six, tqdm and, through
# other modules of the package, scikit-learn), so they are installed by name here.
# NDlib never goes into the project's own environment.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
venv="$here/.venv-ndlib"
python="${PYTHON:-python3.12}"

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet ndlib six tqdm scikit-learn
"$venv/bin/python" -m pip install --quiet -e "$repo"
"$venv/bin/python" - <<'PY'
from importlib import metadata
import ndlib.models.epidemics as ep  # noqa: F401  (fails here if a dependency is missing)
import simulation  # noqa: F401
for name in ("ndlib", "networkx", "numpy", "scipy", "mesa", "womsim"):
    print(f"{name} {metadata.version(name)}")
PY
