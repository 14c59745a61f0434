"""Refresh the pinned numbers of tests/test_baselines.py: ``python tests/update_baseline.py``.

Do this only when the model changes on purpose, in a commit of its own that says why; a
refactor must pass the test with the stored values unchanged.
"""

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import BASELINE_FILE, compare, compute


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        data = compute(Path(tmp))
    old = json.loads(BASELINE_FILE.read_text()) if BASELINE_FILE.exists() else None
    BASELINE_FILE.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n")
    if old is None:
        print(f"wrote {BASELINE_FILE}")
    else:
        diffs = [d for part in data for d in compare(old.get(part, {}), data[part], part)]
        print(f"wrote {BASELINE_FILE}: {len(diffs)}{'+' if len(diffs) > 20 else ''} values changed")
        for d in diffs[:20]:
            print("  " + d)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
