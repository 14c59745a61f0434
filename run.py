#!/usr/bin/env python
"""womsim command line. `python run.py` runs the headline comparison; `--help` for more."""

import sys

from simulation.cli import main

if __name__ == "__main__":
    sys.exit(main())
