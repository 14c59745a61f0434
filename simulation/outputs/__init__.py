"""Outputs: everything that draws figures or writes tables and reports (the only layer
besides ``dashboard/`` that imports matplotlib). Computation lives in ``research/``.

Modules (each depends only on the ones named and on ``core/``, ``research/``):

- ``tables``              text and Markdown tables, mean [lo, hi] cells (no matplotlib, no pandas at import)
- ``figures/``            figures from computed results, each a table function, ``draw_*(ax, table)``
                          and ``plot_*``: ``style`` (colours, labels, saving), ``data``, ``timeseries``,
                          ``finals``, ``segments``, ``grids``, ``sweeps``, ``difference``, ``indices``,
                          ``checks`` (wear-out and docking figures); see its own map
- ``layout``              where the consumers of a network picture sit (positions, samples; no matplotlib)
- ``snapshots``           network snapshots at chosen weeks (re-runs the model; uses layout, figures.style)
- ``animation``           GIF/MP4 of attitudes spreading (uses layout, snapshots)
- ``report``              ``report.md``/``report.html`` of a simulate, headline or sweep folder:
                          a registry of figure makers; uses tables, figures, snapshots
- ``facts_report``        the stylized-facts report (``run.py facts``); uses tables, figures.checks
- ``validation_report``   the docking checks' files (``run.py validate``); uses tables, figures.checks
- ``sensitivity_report``  Sobol / Morris indices' files (``run.py sensitivity``); uses tables, figures
- ``calibration_report``  the calibration check's files (``run.py calibrate --check``); uses tables, figures
- ``fit_report``          the calibration fit's files (``run.py calibrate --fit``); uses calibration_report
"""
