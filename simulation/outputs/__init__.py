"""Outputs: everything that draws figures or writes tables and reports (the only layer
besides ``dashboard/`` that imports matplotlib). Computation lives in ``research/``.

Modules (each depends only on the ones named and on ``core/``, ``research/``):

- ``tables``              text and Markdown tables, mean [lo, hi] cells (no matplotlib, no pandas at import)
- ``figures/``            figures from computed results: ``style`` (colours, labels, saving),
                          ``checks`` (wear-out and docking figures; uses style), the plot_* figures
- ``snapshots``           network snapshots and animations (re-runs the model)
- ``report``              ``report.md``/``report.html`` of a simulate, headline or sweep folder:
                          a registry of figure makers; uses tables, figures, snapshots
- ``facts_report``        the stylized-facts report (``run.py facts``); uses tables, figures.checks
- ``validation_report``   the docking checks' files (``run.py validate``); uses tables, figures.checks
- ``sensitivity_report``  Sobol / Morris indices' files (``run.py sensitivity``); uses tables, figures
"""
