"""The research layer: experiments, many runs, the run store, statistics. No plotting.

Imports :mod:`simulation.core` and :mod:`simulation.errors` only (never ``outputs``,
``dashboard`` or the command line). Modules, lowest first:

``provenance``
    Package versions, git commit, command line; atomic file writes. (standard library)
``stats``
    Means with Student-t intervals, paired differences. (numpy, scipy, pandas)
``tasks``
    :class:`~simulation.research.tasks.Task`, ``run_seed`` and the plain functions a
    worker runs: ``create_model``, ``run_simulation``, ``run_task``,
    ``run_task_safely``; ``final_rows``. (core)
``executors``
    ``execute``: one interface to run tasks in this process, on local worker processes
    or on a Dask cluster; ``run_tasks`` (results in task order); ``model_class=`` runs a
    model class of one's own, also one defined in a notebook (``portable``: sent by value
    with cloudpickle). (tasks)
``experiment``
    Experiment files (``experiments/*.toml``): the design and its tasks. (core, tasks)
``store``
    The SQLite run store of a sweep; ``load`` and ``export``. (core, provenance)
``sweep``
    ``run_sweep``: an experiment into a resumable run store. (executors, experiment, store)
``summaries``
    Incremental ROI and the confidence table of final metrics. (stats)
``runfiles``
    ``write_run_outputs``: ``timeseries.csv``, ``summary.csv``, ``run.json``. (provenance)
``headline``
    The six strategies at equal budget: runs and data files. (executors, experiment,
    runfiles, summaries)
``robustness``
    The headline re-run over the calibration's draws: the winner per draw, wins per
    strategy with Wilson intervals. (headline, executors, stats)
``sensitivity``, ``facts``, ``validation``
    Sobol/Morris indices, stylized facts, docking checks: the numbers only; their tables,
    figures and files are written by ``simulation.outputs`` (``sensitivity_report``,
    ``facts_report``, ``validation_report``). (SALib; tasks, executors, summaries, stats)
``calibration``, ``fit``
    The published targets and the check against them; the calibration fit (simulated
    method of moments, an optuna study that resumes) over the free parameters of
    ``fit.toml``; written by ``calibration_report`` and ``fit_report``. (optuna; facts,
    executors, stats, tasks)
"""
