"""Strip a notebook for git: no outputs, no execution counts, no per-run metadata.

Notebooks are committed without outputs (tests/docs/test_notebooks.py checks it): outputs
hold images, timings and temporary paths that change on every run and would bury the real
changes in the diff. After working in Jupyter, before committing::

    python docs/strip_notebook.py docs/tutorial.ipynb

(``jupyter nbconvert --clear-output --inplace`` clears outputs too, but leaves the kernel's
version details in the metadata). Kept: the cells' sources, ids and tags, and the kernel's
name; the file is written only if it changes, and the script prints what it stripped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` without outputs, execution counts and per-run metadata (changed in place, returned)."""
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags")
        cell["metadata"] = nbformat.NotebookNode({"tags": tags} if tags else {})
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    language = nb.metadata.get("language_info", {}).get("name", "python")
    kept = {"kernelspec": nb.metadata.get("kernelspec", {"display_name": "Python 3 (ipykernel)",
                                                         "language": "python", "name": "python3"}),
            "language_info": {"name": language}}
    nb["metadata"] = nbformat.NotebookNode(kept)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="the .ipynb files to strip in place")
    for path in parser.parse_args(argv).notebooks:
        before = path.read_text(encoding="utf-8")
        after = nbformat.writes(strip(nbformat.reads(before, as_version=4)))
        after += "" if after.endswith("\n") else "\n"  # as nbformat.write ends a file
        if after != before:
            path.write_text(after, encoding="utf-8")
            print(f"stripped {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
