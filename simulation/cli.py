"""Command line of womsim: ``python run.py [headline|simulate|params] ...``.

Bad input (a parameter, a file, an output location that cannot be written) ends with a
one-line ``error: ...`` on stderr and exit code 2, before anything is run or written. A
value given twice with different values (``--steps 3 --steps 4``, ``--set budget=1 --set
budget=2``, ``--set steps=10 --steps 3``) is refused, never silently overridden. Ctrl-C
(SIGINT) and SIGTERM (``kill``, a batch scheduler, ``docker stop``) stop a command the same
way: what is finished is kept (a sweep's runs are in its store), one line says so and how to
go on, and the exit code is 128 + the signal's number (130, 143).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from simulation.errors import WomsimError

EXIT_USAGE = 2


class _Interrupts:
    """SIGTERM handled as Ctrl-C: raised as KeyboardInterrupt in the main thread.

    So every long command stops the same way whichever signal came (a sweep records what
    has finished, the workers are ended), and the exit code still tells them apart.
    """

    def __init__(self) -> None:
        self.signum = signal.SIGINT

    @contextlib.contextmanager
    def handled(self) -> Iterator[None]:
        """SIGTERM raises KeyboardInterrupt inside the block (main thread only); restored after."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        self.signum = signal.SIGINT
        previous = signal.signal(signal.SIGTERM, self._stop)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _stop(self, signum: int, frame) -> None:
        self.signum = signal.Signals(signum)
        # One request to stop is enough; a second SIGTERM while saving would only lose the
        # save (a supervisor that is done waiting sends SIGKILL, which needs no handler).
        signal.signal(signum, signal.SIG_IGN)
        raise KeyboardInterrupt

    @property
    def how(self) -> str:
        return "Ctrl-C" if self.signum == signal.SIGINT else self.signum.name

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signum)


_interrupts = _Interrupts()


class _StoreOnce(argparse._StoreAction):
    """``store``, but an option given twice with different values is an error (argparse
    would keep the last one silently)."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = namespace.__dict__.setdefault("_given", {})
        if self.dest in given and given[self.dest] != values:
            parser.error(f"{option_string or self.dest} given twice with different values: "
                         f"{given[self.dest]} and {values}; give it once")
        given[self.dest] = values
        setattr(namespace, self.dest, values)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)

    def error(self, message: str):  # one line, not usage + message
        self.exit(EXIT_USAGE, f"error: {message} (see '{self.prog} --help')\n")


def _add_event_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--event", dest="events", action="append", default=[], metavar="FIELDS",
                   help="add an event (repeatable), e.g. step=52,kind=scandal,brand=0,size=0.05,duration=4; "
                        "kind defect | scandal, see docs/ODD.md 7.12")


def _events(args) -> list:
    """The events of the repeated ``--event`` options, each checked (one-line error otherwise)."""
    from simulation.core.events import parse_event

    return [parse_event(text) for text in args.events]


def _language(text: str) -> str:
    """``--lang``: a language of the dashboard, else argparse's one line with the closest one
    (argparse's own ``choices`` message names no closest value)."""
    from simulation.dashboard.i18n import check_language

    try:
        return check_language(text, name="")
    except WomsimError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes (default: number of cores; 1 = in this process)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="run.py", description="womsim: word of mouth vs. broadcast on a social graph. "
                     "Without a command, runs the headline comparison.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    h = sub.add_parser("headline", help="the six strategies at equal budget (the default command)")
    h.add_argument("--experiment", default=None, metavar="FILE",
                   help="experiment file (default: experiments/headline.toml)")
    h.add_argument("--replicates", type=int, default=None, metavar="R", help="override the replicates of the file")
    h.add_argument("--steps", type=int, default=None, metavar="N", help="override the weeks of the file")
    h.add_argument("--out", default="results/headline", metavar="DIR", help="output folder (default: %(default)s)")
    _add_run_options(h)

    s = sub.add_parser("simulate", help="run one parameter set, possibly replicated")
    s.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="set a parameter (repeatable); see 'run.py params'")
    s.add_argument("--params", default=None, metavar="FILE.toml",
                   help="read parameters from a TOML file ([params] table or top level)")
    s.add_argument("--preset", default=None, metavar="NAME",
                   help="a documented setting: bass, degroot, friedkin_johnsen (see docs/ODD.md); --set overrides it")
    s.add_argument("--steps", type=int, default=None, metavar="N",
                   help="weeks to simulate (default: the 'steps' parameter)")
    s.add_argument("--seed", type=int, default=0, metavar="S", help="base seed (default: %(default)s)")
    s.add_argument("--replicates", type=int, default=1, metavar="R",
                   help="runs with seeds derived from --seed (default: 1)")
    s.add_argument("--out", default="results/simulate", metavar="DIR", help="output folder (default: %(default)s)")
    _add_event_option(s)
    _add_run_options(s)

    sw = sub.add_parser("sweep", help="run an experiment file into a resumable run store")
    sw.add_argument("experiment", metavar="FILE.toml", help="experiment file, e.g. experiments/budget_split.toml")
    sw.add_argument("--out", default=None, metavar="DIR", help="output folder (default: results/<experiment name>)")
    sw.add_argument("--scheduler", default=None, metavar="ADDR",
                    help="'local' starts a dask LocalCluster; tcp://host:port uses an existing dask scheduler")
    sw.add_argument("--resume", action="store_true",
                    help="continue an interrupted sweep (finished runs are always skipped; this only says so)")
    sw.add_argument("--replicates", type=int, default=None, metavar="R", help="override the file's replicates")
    sw.add_argument("--steps", type=int, default=None, metavar="N", help="override the file's steps")
    sw.add_argument("--no-report", action="store_true", help="do not write report.html / report.md at the end")
    _add_event_option(sw)
    _add_run_options(sw)

    se = sub.add_parser("sensitivity", help="Sobol / Morris indices (SALib) of a sobol or morris experiment")
    se.add_argument("experiment", metavar="FILE.toml")
    se.add_argument("--metric", default="loyalty", help="output metric (default: %(default)s)")
    se.add_argument("--out", default=None, metavar="DIR", help="output folder (default: results/<experiment name>)")
    se.add_argument("--scheduler", default=None, metavar="ADDR", help="as for sweep")
    _add_run_options(se)

    ex = sub.add_parser("export", help="write a run store's tables as CSV or Parquet")
    ex.add_argument("dir", metavar="DIR", help="a sweep output folder (with runs.sqlite)")
    ex.add_argument("--format", default="csv", choices=("csv", "parquet"))
    ex.add_argument("--out", default=None, metavar="DIR", help="where to write (default: DIR)")

    r = sub.add_parser("report", help="HTML and Markdown report of a simulate, headline or sweep folder")
    r.add_argument("dir", metavar="DIR", help="an output folder (timeseries.csv or runs.sqlite)")
    r.add_argument("--metric", default="loyalty", help="metric of the sweep figures (default: %(default)s)")
    r.add_argument("--no-network", action="store_true", help="skip the network snapshots (they re-run the model)")
    r.add_argument("--out", default=None, metavar="DIR",
                   help="where to write report.html, report.md and figures/ (default: DIR)")

    an = sub.add_parser("animate", help="GIF (or MP4 with ffmpeg) of attitudes spreading, two strategies side by side")
    an.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    an.add_argument("--seed", type=int, default=0, metavar="S")
    an.add_argument("--steps", type=int, default=None, metavar="N", help="weeks (default: 52)")
    an.add_argument("--fps", type=int, default=4)
    an.add_argument("--out", default="results/animation.gif", metavar="FILE.gif")
    an.add_argument("--no-progress", action="store_true")
    _add_event_option(an)

    vz = sub.add_parser("viz", help="the classroom dashboard in the browser: broadcast vs. networked, live")
    vz.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    vz.add_argument("--port", type=int, default=8765, help="port (default: %(default)s)")
    vz.add_argument("--public", action="store_true",
                    help="listen on all interfaces (0.0.0.0): only on a trusted network")
    from simulation.dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES  # stdlib only: --help stays light

    vz.add_argument("--lang", type=_language, choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                    help="language of the page at start (switchable on the page; default: %(default)s)")

    v = sub.add_parser("validate", help="docking (Bass, DeGroot, Friedkin-Johnsen) and engine-vs-reference checks")
    v.add_argument("--out", default="results/validation", metavar="DIR", help="output folder (default: %(default)s)")
    v.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test, not the published check)")
    _add_run_options(v)

    f = sub.add_parser("facts", help="stylized facts from the headline runs, beside the published values")
    f.add_argument("dir", nargs="?", default="results/headline", help="headline output folder (default: %(default)s)")
    f.add_argument("--out", default=None, metavar="DIR", help="output folder (default: DIR/facts)")
    f.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    c = sub.add_parser("calibrate", help="the model at today's defaults against published targets (--check)")
    mode = c.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="measure every target: table and figure in --out")
    mode.add_argument("--fit", action="store_true",
                      help="fit the free parameters to the targets (simulated method of moments; resumes "
                           "OUT/fit/study.db)")
    c.add_argument("--quick", action="store_true", help="small sizes (a smoke test for CI, not the published check)")
    c.add_argument("--out", default="results/calibration", metavar="DIR", help="output folder (default: %(default)s)")
    c.add_argument("--targets", default=None, metavar="FILE.toml",
                   help="targets file (default: simulation/research/targets.toml)")
    c.add_argument("--fit-spec", default=None, metavar="FILE.toml",
                   help="--fit: free parameters, fit targets, sizes (default: simulation/research/fit.toml)")
    c.add_argument("--trials", type=int, default=None, metavar="N", help="--fit: trials (default: the spec's)")
    c.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="run on dask: 'local' (a LocalCluster) or tcp://host:port (default: local processes)")
    _add_run_options(c)

    rb = sub.add_parser("robustness", help="the headline re-run over the calibrated parameters' draws: "
                        "how often each strategy wins, per scenario")
    rb.add_argument("--draws", default=None, metavar="FILE",
                    help="draws of the fit, one row per draw (default: results/calibration/fit/draws.csv; "
                         "fit.json beside it gives the estimate)")
    rb.add_argument("--max-draws", type=int, default=None, metavar="K", help="use the first K draws (default: all)")
    rb.add_argument("--replicates", type=int, default=None, metavar="R",
                    help="seeds per draw, scenario and strategy (default: 4; --quick: 2)")
    rb.add_argument("--n-consumers", type=int, default=None, metavar="N",
                    help="consumers (default: the headline's 2000; --quick: 300)")
    rb.add_argument("--steps", type=int, default=None, metavar="T",
                    help="weeks (default: the headline's 104; --quick: 52)")
    rb.add_argument("--seed", type=int, default=None, metavar="S", help="base seed (default: the headline's 2026)")
    rb.add_argument("--quick", action="store_true",
                    help="small sizes and the first 5 draws (a smoke test, not the published check)")
    rb.add_argument("--experiment", default=None, metavar="FILE",
                    help="the comparison to re-run (default: experiments/headline.toml)")
    rb.add_argument("--out", default="results/robustness", metavar="DIR", help="output folder (default: %(default)s)")
    rb.add_argument("--scheduler", default=None, metavar="ADDR", help="as for sweep")
    _add_run_options(rb)

    pp = sub.add_parser("params", help="print the table of all parameters")
    pp.add_argument("--markdown", action="store_true", help="as a Markdown table")
    return parser


class StagePrinter:
    """Prints a model's build stages (:mod:`simulation.core.progress`) to stderr, slow ones only.

    A stage is shown once it has run for ``after`` seconds (``building graph (1,000,000
    nodes, barabasi_albert)...``), and its time when it ends; a stage that ends sooner
    prints nothing, so small runs stay quiet. One watcher thread (started with the first
    stage) writes the first line while the main thread builds, through ``tqdm.write`` so
    that a progress bar on stderr is redrawn below it; a quick stage costs a few
    microseconds, which matters for in-process sweeps of many small runs.
    """

    def __init__(self, after: float = 1.0, stream=None) -> None:
        self.after = after
        self.stream = stream
        self._cond = threading.Condition()
        self._stage: str | None = None  # the stage running now
        self._started = 0.0
        self._shown = False
        self._watcher: threading.Thread | None = None

    def __call__(self, stage: str, seconds: float | None) -> None:
        with self._cond:
            if seconds is None:
                self._stage, self._started, self._shown = stage, time.monotonic(), False
                if self._watcher is None:
                    self._watcher = threading.Thread(target=self._watch, name="womsim-stages", daemon=True)
                    self._watcher.start()
                self._cond.notify()
                return
            shown, self._stage = self._shown, None
            if shown:  # under the lock: after the stage's first line, never before it
                self._write(f"  {stage}: {seconds:.1f} s")

    def _watch(self) -> None:
        with self._cond:
            while True:
                if self._stage is None or self._shown:
                    self._cond.wait()
                    continue
                remaining = self._started + self.after - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                self._shown = True
                self._write(f"  {self._stage}...")

    def _write(self, line: str) -> None:
        from tqdm import tqdm  # loaded only when a slow stage is shown

        tqdm.write(line, file=self.stream or sys.stderr)


def _stage_printer(args) -> contextlib.AbstractContextManager:
    """Build stages of the models made in this process go to a :class:`StagePrinter`,
    unless ``--no-progress``. Worker processes start without a listener: they stay quiet."""
    if getattr(args, "no_progress", False) or args.command in ("params", "viz"):
        return contextlib.nullcontext()
    from simulation.core.progress import listening

    return listening(StagePrinter())


def _positive(name: str, value: int | None, low: int = 1) -> None:
    if value is not None and value < low:
        raise WomsimError(f"{name} = {value}: allowed a whole number >= {low}")


def _option_and_set(sets: dict, name: str, value, option: str) -> None:
    """Refuse a parameter given both by ``--set`` and by its own option with different values."""
    from simulation.core.params import check_value

    if value is not None and name in sets and check_value(name, sets[name]) != value:
        raise WomsimError(f"{name} given twice with different values: --set {name}={sets[name].strip()} "
                          f"and {option} {value}; give it once")


def _writable(path, **kwargs):
    """The output location checked before anything runs (one check for every command)."""
    from simulation.research.provenance import check_output

    return check_output(path, **kwargs)


def cmd_params(args) -> int:
    from simulation.outputs.tables import parameter_table

    print(parameter_table(markdown=args.markdown))
    return 0


def cmd_simulate(args) -> int:
    import pandas as pd

    from simulation.core.params import Params
    from simulation.research.executors import run_tasks
    from simulation.research.provenance import graphs_used
    from simulation.research.runfiles import write_run_outputs
    from simulation.research.tasks import Task, final_rows, run_seed, run_task_described

    _positive("--replicates", args.replicates)
    _positive("--steps", args.steps)
    _positive("--seed", args.seed, 0)
    _positive("--workers", args.workers)
    from simulation.core.presets import preset_values

    sets = Params.parse_assignments(args.sets)  # every value checked, repeats must agree
    _option_and_set(sets, "steps", args.steps, "--steps")
    events = _events(args)
    _writable(args.out)
    base = Params.from_toml(args.params) if args.params else Params()
    preset = preset_values(args.preset) if args.preset else {}
    values = {**base.to_dict(), **preset, **sets}  # layers: file < preset < --set (documented)
    if args.steps is not None:
        values["steps"] = args.steps
    if events:  # added to the file's [[events]]
        values["events"] = [*base.events, *events]
    params = Params(**values)
    seeds = [run_seed(args.seed, r) for r in range(args.replicates)]
    tasks = [Task(params.to_dict(), sd, {"strategy": params.strategy, "replicate": r}) for r, sd in enumerate(seeds)]
    # Checked before any run, so a bad graph file fails before work starts (a large generated
    # graph is not built here: its entry is replaced by the first run's own graph below).
    graphs = graphs_used(tasks, say=lambda note: print(note, file=sys.stderr))
    start = time.perf_counter()
    results = run_tasks(tasks, workers=args.workers, progress=not args.no_progress, desc="simulate",
                        fn=run_task_described)
    frames = [frame for frame, _ in results]
    graphs = [{**results[0][1], "seed": g["seed"], "runs": g["runs"]} if g.get("measured") is False else g
              for g in graphs]
    ts = pd.concat(frames, ignore_index=True)
    summary = final_rows(ts, ["strategy", "replicate", "seed"])
    out = write_run_outputs(args.out, ts, summary, {
        "params": params.to_dict(), "changed": params.differing(), "preset": args.preset,
        "base_seed": args.seed, "seeds": seeds, "replicates": args.replicates, "graphs": graphs,
        "timing_s": round(time.perf_counter() - start, 2)})
    print(f"{args.replicates} run(s) x {params.steps} weeks -> {out}/timeseries.csv, summary.csv, run.json")
    cols = ["awareness", "customers", "loyalty", "loyal_share", "nps", "trust", "profit"]
    print(summary[["replicate", *cols]].to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return 0


def cmd_headline(args) -> int:
    from simulation.research.experiment import load_experiment
    from simulation.research.headline import HEADLINE_FILE, run_headline

    for name in ("replicates", "steps", "workers"):
        _positive(f"--{name}", getattr(args, name, None))
    exp = load_experiment(args.experiment or HEADLINE_FILE, replicates=args.replicates, steps=args.steps)
    out = _writable(args.out)  # the data files and the report go there: before the runs
    start = time.perf_counter()
    run_headline(out, exp, workers=args.workers, progress=not args.no_progress)
    from simulation.outputs.report import HEADLINE_FILE_MD, build_report, headline_text, sync_readme

    build_report(out, figure_dir=".")  # report.md, report.html, headline.md and every figure, beside the CSVs
    elapsed = time.perf_counter() - start
    scenarios = len(exp.scenarios())
    print(f"\n{exp.name}: {len(exp.strategies())} strategies x {scenarios} scenario(s) x {exp.replicates} "
          f"replicates, {exp.steps} weeks ({elapsed:.1f} s), the same seeds for every strategy and scenario of a "
          "replicate.\n")
    print(headline_text(out))
    print(f"\nWrote {args.out}/ (timeseries.csv, summary.csv, run.json, report.md, report.html, {HEADLINE_FILE_MD} "
          "and the figures of the report)")
    if sync_readme(out):
        print("Updated the headline block of README.md from it.")
    return 0


def cmd_validate(args) -> int:
    from simulation.outputs.validation_report import main_validate

    _positive("--workers", args.workers)
    _writable(args.out)
    return main_validate(args.out, workers=args.workers, progress=not args.no_progress, quick=args.quick)


def _sweep(args, exp):
    from simulation.research.sweep import run_sweep

    out = _writable(args.out or Path("results") / exp.name)
    result = run_sweep(exp, out, workers=args.workers, scheduler=args.scheduler, progress=not args.no_progress)
    state = f"interrupted ({_interrupts.how})" if result.interrupted else "finished"
    print(f"{exp.name}: {state}. {result.skipped} run(s) already in the store, {result.done} done now, "
          f"{result.failed} failed, in {result.seconds:.1f} s -> {result.store}")
    if result.interrupted:
        print("Everything finished so far is saved; run the same command again to resume.", file=sys.stderr)
    return result, out


def cmd_sweep(args) -> int:
    from simulation.research.experiment import load_experiment

    for name in ("replicates", "steps", "workers"):
        _positive(f"--{name}", getattr(args, name, None))
    events = _events(args)
    exp = load_experiment(args.experiment, events=events, replicates=args.replicates, steps=args.steps)
    result, out = _sweep(args, exp)
    if result.interrupted:
        return _interrupts.exit_code
    if not args.no_report and result.done + result.skipped > 0:
        from simulation.outputs.report import build_report

        paths = build_report(out)
        print(f"report: {paths['html']}")
    return 1 if result.failed else 0


def cmd_sensitivity(args) -> int:
    from simulation.core.metrics import check_metric
    from simulation.outputs.sensitivity_report import main_sensitivity
    from simulation.research.experiment import load_experiment

    _positive("--workers", args.workers)
    exp = load_experiment(args.experiment)
    if exp.design not in ("sobol", "morris"):
        raise WomsimError(f"{args.experiment}: sensitivity needs [sweep] design = sobol | morris, not '{exp.design}'")
    check_metric(args.metric)
    result, out = _sweep(args, exp)
    if result.interrupted:
        return _interrupts.exit_code
    return main_sensitivity(exp, out, args.metric)


def cmd_export(args) -> int:
    from simulation.research.store import export

    paths = export(args.dir, args.format, args.out)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def cmd_report(args) -> int:
    from simulation.outputs.report import main_report

    return main_report(args.dir, args.metric, snapshots=not args.no_network, out=args.out)


def cmd_animate(args) -> int:
    from simulation.core.params import Params
    from simulation.outputs.animation import main_animate

    _positive("--steps", args.steps)
    _positive("--fps", args.fps)
    _positive("--seed", args.seed, 0)
    values = Params.parse_assignments(args.sets)
    _option_and_set(values, "steps", args.steps, "--steps")
    if args.events:
        values["events"] = _events(args)
    _writable(args.out, file=True)
    return main_animate(values, args.seed, args.out, args.steps, args.fps, not args.no_progress)


def cmd_viz(args) -> int:
    from simulation.dashboard.app import main_viz

    if not 1 <= args.port <= 65535:
        raise WomsimError(f"--port {args.port}: allowed 1 .. 65535")
    return main_viz("0.0.0.0" if args.public else args.host, args.port, False, lang=args.lang)


def cmd_facts(args) -> int:
    from simulation.outputs.facts_report import main_facts

    out = _writable(args.out or Path(args.dir) / "facts")
    return main_facts(args.dir, out, progress=not args.no_progress)


def cmd_calibrate(args) -> int:
    _positive("--workers", args.workers)
    if args.scheduler is not None and args.scheduler != "local" and "://" not in args.scheduler:
        raise WomsimError(f"--scheduler {args.scheduler!r}: allowed 'local' or a dask address such as tcp://host:8786")
    _positive("--trials", args.trials)
    _writable(args.out)
    if not args.fit:
        if args.fit_spec or args.trials is not None:
            raise WomsimError("--fit-spec and --trials belong to calibrate --fit, not --check")
        from simulation.outputs.calibration_report import main_calibrate

        return main_calibrate(args.out, quick=args.quick, workers=args.workers, progress=not args.no_progress,
                              targets=args.targets, scheduler=args.scheduler)
    from simulation.outputs.fit_report import main_fit

    try:
        return main_fit(args.out, spec_path=args.fit_spec, targets=args.targets, quick=args.quick, trials=args.trials,
                        workers=args.workers, scheduler=args.scheduler, progress=not args.no_progress,
                        say=lambda line: print(line, file=sys.stderr))
    except KeyboardInterrupt:
        print(f"interrupted ({_interrupts.how}): the finished trials are in {Path(args.out) / 'fit' / 'study.db'}; "
              "run the same command again to resume", file=sys.stderr)
        return _interrupts.exit_code


def cmd_robustness(args) -> int:
    from simulation.outputs.robustness_report import main_robustness
    from simulation.research.robustness import DEFAULT_DRAWS

    for name in ("max_draws", "replicates", "n_consumers", "steps", "workers"):
        _positive(f"--{name.replace('_', '-')}", getattr(args, name))
    _positive("--seed", args.seed, 0)
    _writable(args.out)
    return main_robustness(args.out, draws=args.draws or DEFAULT_DRAWS, max_draws=args.max_draws,
                           replicates=args.replicates, n_consumers=args.n_consumers, steps=args.steps, seed=args.seed,
                           quick=args.quick, experiment=args.experiment, workers=args.workers,
                           scheduler=args.scheduler, progress=not args.no_progress)


COMMANDS = {"headline": cmd_headline, "simulate": cmd_simulate, "params": cmd_params,
            "validate": cmd_validate, "facts": cmd_facts, "calibrate": cmd_calibrate, "sweep": cmd_sweep,
            "sensitivity": cmd_sensitivity, "export": cmd_export, "report": cmd_report,
            "animate": cmd_animate, "viz": cmd_viz, "robustness": cmd_robustness}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("--") and argv[0] not in ("--help", "-h"):
        argv = ["headline", *argv]
    args = parser.parse_args(argv)
    try:
        with _interrupts.handled(), _stage_printer(args):
            return COMMANDS[args.command](args)
    except WomsimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"interrupted ({_interrupts.how}): nothing more was written; run the same command again "
              "to start over", file=sys.stderr)
        return _interrupts.exit_code
    except BrokenPipeError:  # e.g. `run.py params | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a write that failed after the checks (disk full, a folder removed)
        where = f"cannot write '{exc.filename}': " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
