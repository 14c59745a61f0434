"""The calibration fit: simulated method of moments over declared free parameters
(docs/ODD.md, 4.12 Calibration targets).

What is fitted is data (``fit.toml`` beside this module, :func:`read_fit_spec`): the targets of
``targets.toml`` used in the fit (every other measured target is held out), the free
parameters with their searched range and scale, the sizes of the runs and the seed.

The objective of a candidate theta is

    L(theta) = sum over fit targets t of ((m_t(theta) - c_t) / h_t)^2

with m_t the mean over replicates of target t measured by
:func:`simulation.research.calibration.check` at theta, c_t the centre of the published band
and h_t its half-width (:func:`loss`). Every trial runs the same seeds (replicate r has seed
``run_seed(seed, r)``: common random numbers), so two candidates differ by the parameters, not
by the luck of the draw. The search is optuna's TPE sampler with its SQLite storage
(``OUT/fit/study.db``): a killed fit resumes where it was (:func:`run_study`).

The uncertainty of the estimate is the SMM sandwich at the best theta (:func:`sandwich`):
G = dm/dtheta by central finite differences on the sampled scale with the same seeds,
Sigma = diag((h_t / 2)^2 + var_t / R) (the band read as +-2 standard deviations of the
published value, plus the simulation variance of each mean), W = diag(1 / h_t^2) and
V = (G'WG)^-1 G'W Sigma W G (G'WG)^-1. A parameter the moments do not pin down (its column
of G is about zero, or part of its direction lies in the null space of W^(1/2) G, as it
must when there are fewer fit targets than free parameters) is flagged as not identified
and its interval is its declared range (:func:`identification`).

Examples
--------
>>> spec = read_fit_spec()
>>> [f.name for f in spec.free][:2], spec.trials
(['talk_negative', 'ad_attention'], 80)
>>> round(loss({"a": 3.0}, {"a": (2.0, 4.0)}), 6), round(loss({"a": 5.0}, {"a": (2.0, 4.0)}), 6)
(0.0, 4.0)
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from tqdm import tqdm

from simulation.core.params import PARAMETERS, closest
from simulation.core.tomlfile import read_toml
from simulation.errors import WomsimError
from simulation.research import calibration as C
from simulation.research.executors import reusing

__all__ = [
    "FIT_FILE",
    "PENALTY",
    "QUICK",
    "Fit",
    "FitSpec",
    "Free",
    "Moments",
    "Uncertainty",
    "conflicts",
    "draws",
    "fit",
    "identification",
    "jacobian",
    "loss",
    "measure",
    "read_fit_spec",
    "run_study",
    "sandwich",
    "trials_table",
    "uncertainty",
    "validate_spec",
]

FIT_FILE = Path(__file__).with_name("fit.toml")
STUDY_NAME = "womsim-fit"
#: Added to the loss for each fit target without a finite value at a candidate (no run gave
#: one: e.g. no negative WOM, no diffusion curve to fit): a miss by 100 half-widths, larger
#: than any miss of a defined value seen, so the search avoids such regions; finite, so the
#: sampler can still rank the trials.
PENALTY = 1.0e4
Z95 = 1.959963984540054
FIT_KEYS = {"targets": None, "trials": 80, "size": {"n_consumers": 2000, "weeks": 104, "replicates": 6},
            "seed": 2013, "start": None}
FREE_KEYS = ("name", "low", "high", "log", "why")
SIZE_KEYS = ("n_consumers", "weeks", "replicates")
#: ``--quick``: a smoke test of the whole fit for CI, not a fit (sizes and trials over the spec's).
QUICK: dict[str, Any] = {"size": {"n_consumers": 200, "weeks": 30, "replicates": 2}, "trials": 6}
#: Finite-difference step on the sampled scale, as a share of the range.
STEP = 0.05
#: Not identified: the parameter's column of the range-scaled W^(1/2) G is below this share of
#: the largest column, or more than ``NULL_SHARE`` of its (squared) direction lies in the null space.
FLAT = 0.01
NULL_SHARE = 0.05
N_DRAWS = 50


# ---------------------------------------------------------------------------- the declarations


@dataclass(frozen=True)
class Free:
    """One free parameter: searched in [low, high], on a log scale if ``log``."""

    name: str
    low: float
    high: float
    log: bool = False
    why: str = ""

    def to_scale(self, x):
        """A value on the sampled scale (natural log for ``log``)."""
        return np.log(x) if self.log else np.asarray(x, dtype=float)

    def from_scale(self, u):
        """A value back on the natural scale, kept in [low, high] (exp(log(x)) may miss a
        bound by a rounding step)."""
        x = np.exp(u) if self.log else np.asarray(u, dtype=float)
        return np.clip(x, self.low, self.high)

    @property
    def scale_range(self) -> tuple[float, float]:
        return float(self.to_scale(self.low)), float(self.to_scale(self.high))


@dataclass(frozen=True)
class FitSpec:
    """A validated ``fit.toml``: fit targets, held-out targets, free parameters, sizes, seed."""

    targets: tuple[C.Target, ...]
    held_out: tuple[C.Target, ...]
    free: tuple[Free, ...]
    trials: int
    size: Mapping[str, int]
    seed: int
    path: str = ""
    start: Mapping[str, float] = field(default_factory=dict)

    @property
    def bands(self) -> dict[str, tuple[float, float]]:
        return {t.name: t.band for t in self.targets}

    def key(self) -> dict[str, Any]:
        """What a study depends on (everything but the number of trials, which may grow)."""
        return {"targets": [[t.name, list(t.band), dict(t.conditions), dict(t.settings), t.measure]
                            for t in self.targets],
                "free": [[f.name, f.low, f.high, f.log] for f in self.free],
                "size": dict(self.size), "seed": self.seed, "start": dict(self.start)}

    def digest(self) -> str:
        text = json.dumps(self.key(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def with_overrides(self, trials: int | None = None, size: Mapping[str, int] | None = None) -> FitSpec:
        return FitSpec(self.targets, self.held_out, self.free, int(trials or self.trials),
                       {**self.size, **(size or {})}, self.seed, self.path, self.start)


def _unknown_key(label: str, key: str, known: Sequence[str]) -> WomsimError:
    near = closest(key, known)
    hint = f" (did you mean '{near}'?)" if near else f"; allowed: {', '.join(known)}"
    return WomsimError(f"{label}: unknown key '{key}'{hint}")


def _number(label: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise WomsimError(f"{label}: '{key}' = {value!r}: expected a finite number")
    return float(value)


def _whole(label: str, key: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise WomsimError(f"{label}: '{key}' = {value!r}: allowed a whole number >= {low}")
    return int(value)


def _free(entry: Any, label: str, fit_targets: Sequence[C.Target]) -> Free:
    if not isinstance(entry, Mapping):
        raise WomsimError(f"{label}: expected a table of keys, got {type(entry).__name__}")
    plain = label
    if isinstance(entry.get("name"), str):
        label = f"{label} ({entry['name']!r})"
    for key in entry:
        if key not in FREE_KEYS:
            raise _unknown_key(label, key, FREE_KEYS)
    for key in ("name", "low", "high", "why"):
        if key not in entry or (isinstance(entry[key], str) and not entry[key].strip()):
            raise WomsimError(f"{label}: missing '{key}' (every free parameter needs name, low, high, why)")
    name = entry["name"]
    if not isinstance(name, str) or name not in PARAMETERS:
        near = closest(str(name), PARAMETERS)
        raise WomsimError(f"{plain}: unknown parameter {name!r}" + (f" (did you mean '{near}'?)" if near else ""))
    spec = PARAMETERS[name]
    if spec.kind is not float:
        raise WomsimError(f"{label}: '{name}' is {spec.kind.__name__}-valued; only real-valued parameters can be free")
    low, high = _number(label, "low", entry["low"]), _number(label, "high", entry["high"])
    if not low < high:
        raise WomsimError(f"{label}: low = {low:g} must be below high = {high:g}")
    lo_ok = spec.low is None or low >= spec.low
    hi_ok = spec.high is None or high <= spec.high
    if not (lo_ok and hi_ok):
        raise WomsimError(f"{label}: [{low:g}, {high:g}] leaves the declared range of '{name}' ({spec.allowed()})")
    log = entry.get("log", False)
    if not isinstance(log, bool):
        raise WomsimError(f"{label}: 'log' = {log!r}: allowed true | false")
    if log and low <= 0:
        raise WomsimError(f"{label}: log = true needs low > 0, got {low:g}")
    if not isinstance(entry["why"], str):
        raise WomsimError(f"{label}: 'why' must be a string")
    fixed = next((t.name for t in fit_targets if name in t.conditions), None)
    if fixed is not None:
        raise WomsimError(f"{label}: '{name}' is set by the conditions of fit target {fixed!r}: the fit cannot move it")
    return Free(name, low, high, log, entry["why"].strip())


def validate_spec(data: Mapping[str, Any], targets: Sequence[C.Target], where: str = "fit spec") -> FitSpec:
    """A :class:`FitSpec` from the parsed TOML ``data``, against the targets ``targets``; a
    one-line :class:`WomsimError` naming ``where`` for an unknown key (with the closest valid
    one), a missing one, an unknown or unmeasured target, a fit target with a zero-width band,
    an unknown or non-real parameter, bounds outside the parameter's declared range or
    ``low >= high``, a bad size, trials or seed.

    Examples
    --------
    >>> ts = C.read_targets()
    >>> validate_spec({"fit": {"targets": ["brand reply rate"]},
    ...                "free": [{"name": "reply_cots", "low": 1, "high": 2, "why": "w"}]}, ts, "f.toml")
    Traceback (most recent call last):
    ...
    simulation.errors.WomsimError: f.toml, free 1: unknown parameter 'reply_cots' (did you mean 'reply_cost'?)
    """
    for key in data:
        if key not in ("fit", "free"):
            raise _unknown_key(where, key, ("fit", "free"))
    fit_table = data.get("fit")
    if not isinstance(fit_table, Mapping):
        raise WomsimError(f"{where}: missing the [fit] table")
    label = f"{where}, [fit]"
    for key in fit_table:
        if key not in FIT_KEYS:
            raise _unknown_key(label, key, tuple(FIT_KEYS))
    names = fit_table.get("targets")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise WomsimError(f"{label}: 'targets' must be a non-empty list of target names")
    by_name = {t.name: t for t in targets}
    measured = [t.name for t in targets if t.measure != C.NOT_MEASURED]
    for n in names:
        if n not in by_name:
            near = closest(n, by_name)
            raise WomsimError(f"{label}: unknown target {n!r}" + (f" (did you mean '{near}'?)" if near else
                                                                   f"; known: {', '.join(by_name)}"))
        if n not in measured:
            raise WomsimError(f"{label}: target {n!r} is not measured ({by_name[n].reason}); it cannot be fitted")
        if by_name[n].band[1] <= by_name[n].band[0]:
            raise WomsimError(f"{label}: target {n!r} has a band of zero width; the objective divides by it")
    if len(set(names)) != len(names):
        raise WomsimError(f"{label}: a target appears twice in 'targets'")
    trials = _whole(label, "trials", fit_table.get("trials", FIT_KEYS["trials"]), 1)
    seed = _whole(label, "seed", fit_table.get("seed", FIT_KEYS["seed"]), 0)
    size_in = fit_table.get("size", FIT_KEYS["size"])
    if not isinstance(size_in, Mapping):
        raise WomsimError(f"{label}: 'size' must be a table {{n_consumers, weeks, replicates}}")
    for key in size_in:
        if key not in SIZE_KEYS:
            raise _unknown_key(f"{label} size", key, SIZE_KEYS)
    size = {**FIT_KEYS["size"], **size_in}
    size = {k: _whole(f"{label} size", k, size[k], 2 if k == "replicates" else 1) for k in SIZE_KEYS}
    fit_targets = tuple(by_name[n] for n in names)
    free_in = data.get("free")
    if not isinstance(free_in, list) or not free_in:
        raise WomsimError(f"{where}: no [[free]] parameter")
    free = tuple(_free(e, f"{where}, free {i + 1}", fit_targets) for i, e in enumerate(free_in))
    dup = next((f.name for f in free if [g.name for g in free].count(f.name) > 1), None)
    if dup is not None:
        raise WomsimError(f"{where}: free parameter {dup!r} appears more than once")
    held = tuple(t for t in targets if t.measure != C.NOT_MEASURED and t.name not in names)
    start = _start(fit_table.get("start", {}), f"{label} start", free)
    return FitSpec(fit_targets, held, free, trials, size, seed, where, start)


def _start(table: Any, label: str, free: Sequence[Free]) -> dict[str, float]:
    """The optional first point of the search (e.g. the best trial of an earlier, wider fit):
    free parameters only, each inside its searched range."""
    if not isinstance(table, Mapping):
        raise WomsimError(f"{label}: expected a table {{parameter = value}} of free parameters")
    by_name = {f.name: f for f in free}
    out = {}
    for key, value in table.items():
        if key not in by_name:
            raise _unknown_key(label, key, tuple(by_name))
        x = _number(label, key, value)
        f = by_name[key]
        if not f.low <= x <= f.high:
            raise WomsimError(f"{label}: {key} = {x:g} is outside its searched range [{f.low:g}, {f.high:g}]")
        out[key] = x
    return out


def read_fit_spec(path: str | Path = FIT_FILE, targets: Sequence[C.Target] | None = None) -> FitSpec:
    """The fit declared in the TOML file ``path`` (:func:`validate_spec`), against ``targets``
    (default: :func:`simulation.research.calibration.read_targets`)."""
    targets = C.read_targets() if targets is None else targets
    return validate_spec(read_toml(path, "fit spec"), targets, str(path))


# ---------------------------------------------------------------------------- the objective


@dataclass(frozen=True)
class Moments:
    """The fit targets measured at one candidate: mean over replicates, the variance of that
    mean (replicate variance / number of finite replicates; NaN below two) and the CI bounds."""

    mean: dict[str, float]
    var: dict[str, float]
    ci: dict[str, tuple[float, float, int]] = field(default_factory=dict)

    def to_attrs(self) -> dict[str, Any]:
        return {"mean": self.mean, "var": self.var, "ci": {k: list(v) for k, v in self.ci.items()}}

    @classmethod
    def from_attrs(cls, a: Mapping[str, Any]) -> Moments:
        return cls(dict(a["mean"]), dict(a["var"]), {k: tuple(v) for k, v in a.get("ci", {}).items()})


def _f(x: Any) -> float:
    """A float with None (JSON's NaN in optuna's storage) as NaN."""
    return math.nan if x is None else float(x)


def loss(moments: Mapping[str, float], bands: Mapping[str, tuple[float, float]]) -> float:
    """sum_t ((m_t - c_t) / h_t)^2 over the targets of ``bands`` (centre c_t, half-width h_t);
    a target without a finite value adds :data:`PENALTY`."""
    total = 0.0
    for name, (lo, hi) in bands.items():
        m = _f(moments.get(name))
        c, h = (lo + hi) / 2, (hi - lo) / 2
        total += ((m - c) / h) ** 2 if math.isfinite(m) else PENALTY
    return float(total)


def measure(theta: Mapping[str, float], spec: FitSpec, *, workers: int | None = None,
            scheduler: str | None = None) -> Moments:
    """The fit targets at ``theta`` (over today's defaults), with the spec's sizes and seed."""
    res = C.check(list(spec.targets), params=dict(theta), size=spec.size, seed=spec.seed, workers=workers,
                  scheduler=scheduler, progress=False)
    mean, var, ci = {}, {}, {}
    for _, row in res.table.iterrows():
        v = res.values.get(row["target"], pd.Series(dtype=float)).to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        mean[row["target"]] = float(row["measured"])
        var[row["target"]] = float(v.var(ddof=1) / v.size) if v.size > 1 else math.nan
        ci[row["target"]] = (float(row["ci_lo"]), float(row["ci_hi"]), int(row["n"]))
    return Moments(mean, var, ci)


# ---------------------------------------------------------------------------- the search


def _quiet_optuna() -> None:
    # ERROR, not WARNING: optuna logs every failed trial (an interrupt included) with its
    # traceback as a warning; the error itself reaches the caller anyway (catch=()).
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    # multivariate TPE and enqueueing are flagged experimental: a warning per study, not news to a user
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def _storage(db: Path) -> optuna.storages.RDBStorage:
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        return optuna.storages.RDBStorage(f"sqlite:///{db}")
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy's errors, without importing it: one line
        raise WomsimError(f"{db} cannot be opened as an optuna study ({type(exc).__name__}); "
                          "use a new --out or delete that file") from None


def _complete(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def open_study(db: Path, spec: FitSpec) -> tuple[optuna.Study, int]:
    """The study of ``db`` (created if new) and the number of trials a killed run left
    RUNNING, now marked FAIL and their parameters queued again (this process is the only
    driver of the study, so a RUNNING trial at the start belongs to a dead one). A study made
    with a different spec (anything but ``trials``) is refused, as is a file that is not a study."""
    _quiet_optuna()
    storage = _storage(db)
    names = optuna.study.get_all_study_names(storage)
    new = STUDY_NAME not in names
    study = optuna.create_study(storage=storage, study_name=STUDY_NAME, load_if_exists=True, direction="minimize")
    if new:
        study.set_user_attr("spec_hash", spec.digest())
        study.set_user_attr("spec", spec.key())
        if spec.start:  # the declared start point is the first trial; unnamed free parameters come from TPE
            study.enqueue_trial(dict(spec.start), skip_if_exists=True)
    elif study.user_attrs.get("spec_hash") != spec.digest():
        raise WomsimError(f"{db} holds a fit of a different spec (free parameters, ranges, targets, size or seed "
                          "changed): use a new --out or delete that study.db")
    stale = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for t in stale:
        storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
        study.enqueue_trial(dict(t.params))
    return study, len(stale)


def run_study(db: Path, spec: FitSpec, *, workers: int | None = None, scheduler: str | None = None,
              progress: bool = True, say: Callable[[str], None] | None = None) -> optuna.Study:
    """Run trials until the study of ``db`` has ``spec.trials`` COMPLETE ones (a re-run after
    a kill runs only the missing ones); each trial stores its moments as the user attribute
    ``moments``. The sampler is TPE seeded with ``spec.seed`` plus the number of trials
    already in the study, so a resumed fit does not repeat the first draws. A trial cut off by
    Ctrl-C or SIGTERM is failed and its parameters queued again, like one cut off by a kill."""
    study, _ = open_study(db, spec)
    done = len(_complete(study))
    queued = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)))
    if done and say:
        again = f" ({queued} interrupted trial(s) run again first)" if queued and done < spec.trials else ""
        say(f"resuming: {done} of {spec.trials} trials done{again}")
    # multivariate TPE: the free parameters act together (attention and effect of ads, say),
    # which the independent default models badly
    study.sampler = optuna.samplers.TPESampler(seed=spec.seed + len(study.trials), multivariate=True)
    bands = spec.bands

    def objective(trial: optuna.Trial) -> float:
        theta = {f.name: trial.suggest_float(f.name, f.low, f.high, log=f.log) for f in spec.free}
        m = measure(theta, spec, workers=workers, scheduler=scheduler)
        trial.set_user_attr("moments", m.to_attrs())
        return loss(m.mean, bands)

    with tqdm(total=spec.trials, initial=min(done, spec.trials), desc="fit", unit="trial", disable=not progress,
              file=sys.stderr, dynamic_ncols=True) as bar:
        while done < spec.trials:
            try:
                study.optimize(objective, n_trials=1, catch=())
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the resumed fit runs this trial first
                last = study.trials[-1]
                if last.state == optuna.trial.TrialState.FAIL:
                    study.enqueue_trial(dict(last.params))
                raise
            done = len(_complete(study))
            bar.n = min(done, spec.trials)
            bar.set_postfix_str(f"best loss {study.best_value:.3g}", refresh=False)
            bar.refresh()
    return study


def trials_table(study: optuna.Study, spec: FitSpec) -> pd.DataFrame:
    """Every COMPLETE trial: number, free parameters, loss, and per fit target its mean."""
    rows = []
    for t in _complete(study):
        m = t.user_attrs.get("moments", {}).get("mean", {})
        rows.append({"trial": t.number, **{f.name: t.params[f.name] for f in spec.free}, "loss": t.value,
                     **{tg.name: _f(m.get(tg.name)) for tg in spec.targets}})
    cols = ["trial", *(f.name for f in spec.free), "loss", *(t.name for t in spec.targets)]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------- uncertainty


def jacobian(fn: Callable[[np.ndarray], np.ndarray], u: np.ndarray, lows: np.ndarray, highs: np.ndarray,
             step: float = STEP) -> np.ndarray:
    """d fn / d u by central differences with steps ``step`` x (high - low) on the sampled scale
    (one-sided at a bound); a non-finite difference is 0 (no measurable effect)."""
    u = np.asarray(u, dtype=float)
    cols = []
    for j in range(u.size):
        d = step * (highs[j] - lows[j])
        up, down = u.copy(), u.copy()
        up[j], down[j] = min(u[j] + d, highs[j]), max(u[j] - d, lows[j])
        diff = (np.asarray(fn(up), dtype=float) - np.asarray(fn(down), dtype=float)) / (up[j] - down[j])
        cols.append(np.where(np.isfinite(diff), diff, 0.0))
    return np.column_stack(cols)


def sandwich(G: np.ndarray, half_widths: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """V = (G'WG)^+ G'W Sigma W G (G'WG)^+ with W = diag(1 / h^2); ``sigma`` is the covariance
    of the moments (a vector = its diagonal). ``+`` is the pseudo-inverse: the usual inverse
    when G has full column rank; otherwise V is right only for identified directions.

    Examples
    --------
    >>> V = sandwich(np.array([[2.0]]), np.array([1.0]), np.array([4.0]))
    >>> float(V[0, 0])  # theta = m / 2, var(m) = 4
    1.0
    """
    W = np.diag(1.0 / np.asarray(half_widths, dtype=float) ** 2)
    S = np.diag(sigma) if np.ndim(sigma) == 1 else np.asarray(sigma, dtype=float)
    bread = np.linalg.pinv(G.T @ W @ G)
    return bread @ (G.T @ W @ S @ W @ G) @ bread


def identification(G: np.ndarray, half_widths: np.ndarray, ranges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per parameter: identified? and the share of its direction in the null space of J =
    W^(1/2) G with the columns scaled by the sampled range (so "small" means small over the
    searched range). Not identified when its column norm is below :data:`FLAT` x the largest,
    or its null-space share exceeds :data:`NULL_SHARE`.

    Examples
    --------
    >>> ok, share = identification(np.array([[1.0, 0.0], [0.0, 2.0]]), np.ones(2), np.ones(2))
    >>> ok.tolist(), share.round(6).tolist()
    ([True, True], [0.0, 0.0])
    >>> identification(np.array([[1.0, 1.0]]), np.ones(1), np.ones(2))[0].tolist()  # one moment, two unknowns
    [False, False]
    """
    J = (G / np.asarray(half_widths, dtype=float)[:, None]) * np.asarray(ranges, dtype=float)[None, :]
    norms = np.linalg.norm(J, axis=0)
    if not np.any(norms > 0):
        return np.zeros(G.shape[1], dtype=bool), np.ones(G.shape[1])
    null_share = np.clip(np.diag(np.eye(J.shape[1]) - np.linalg.pinv(J) @ J), 0.0, 1.0)
    ok = (norms >= FLAT * norms.max()) & (null_share <= NULL_SHARE)
    return ok, null_share


@dataclass
class Uncertainty:
    """The sandwich at the estimate: G (sampled scale), Sigma's diagonal, V, identified?,
    null-space shares, and the 95 % intervals on the natural scale (clipped to the ranges)."""

    G: np.ndarray
    sigma: np.ndarray
    V: np.ndarray
    identified: np.ndarray
    null_share: np.ndarray
    interval: dict[str, tuple[float, float]]
    rank: int


def uncertainty(theta: Mapping[str, float], moments: Moments, spec: FitSpec,
                evaluate: Callable[[Mapping[str, float]], Moments]) -> Uncertainty:
    """The sandwich of :func:`sandwich` at ``theta``: G by :func:`jacobian` through ``evaluate``
    (the same seeds at every point), Sigma = (h/2)^2 + the simulation variance of each mean."""
    names = [t.name for t in spec.targets]
    lows = np.array([f.scale_range[0] for f in spec.free])
    highs = np.array([f.scale_range[1] for f in spec.free])
    u0 = np.array([float(f.to_scale(theta[f.name])) for f in spec.free])

    def fn(u: np.ndarray) -> np.ndarray:
        point = {f.name: float(f.from_scale(x)) for f, x in zip(spec.free, u)}
        m = evaluate(point)
        return np.array([_f(m.mean.get(n)) for n in names])

    G = jacobian(fn, u0, lows, highs)
    h = np.array([(t.band[1] - t.band[0]) / 2 for t in spec.targets])
    sim_var = np.array([_f(moments.var.get(n)) for n in names])
    sigma = (h / 2) ** 2 + np.where(np.isfinite(sim_var), sim_var, 0.0)
    V = sandwich(G, h, sigma)
    ok, share = identification(G, h, highs - lows)
    rank = int(np.linalg.matrix_rank(G / h[:, None] * (highs - lows)[None, :])) if G.size else 0
    interval = {}
    for j, f in enumerate(spec.free):
        sd = math.sqrt(max(V[j, j], 0.0))
        if not ok[j] or not math.isfinite(sd):
            interval[f.name] = (f.low, f.high)
            continue
        lo, hi = max(u0[j] - Z95 * sd, lows[j]), min(u0[j] + Z95 * sd, highs[j])
        interval[f.name] = (float(f.from_scale(lo)), float(f.from_scale(hi)))
    return Uncertainty(G, sigma, V, ok, share, interval, rank)


def _reflect(u: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Fold values into [lo, hi] by reflection at the bounds (any distance)."""
    width = hi - lo
    y = np.mod(u - lo, 2 * width)
    return lo + np.where(y > width, 2 * width - y, y)


def draws(theta: Mapping[str, float], unc: Uncertainty, spec: FitSpec, n: int = N_DRAWS) -> pd.DataFrame:
    """``n`` parameter sets around the estimate (seeded with ``spec.seed``): the identified
    parameters from N(theta, V) on the sampled scale, reflected into the ranges; a parameter
    not identified uniform over its range (sampled scale). One column per free parameter."""
    rng = np.random.default_rng(spec.seed)
    lows = np.array([f.scale_range[0] for f in spec.free])
    highs = np.array([f.scale_range[1] for f in spec.free])
    u0 = np.array([float(f.to_scale(theta[f.name])) for f in spec.free])
    out = rng.uniform(lows, highs, size=(n, len(spec.free)))
    idx = np.flatnonzero(unc.identified)
    if idx.size:
        cov = unc.V[np.ix_(idx, idx)]
        cov = (cov + cov.T) / 2
        z = rng.multivariate_normal(u0[idx], cov, size=n, method="eigh")
        out[:, idx] = _reflect(z, lows[idx], highs[idx])
    return pd.DataFrame({f.name: f.from_scale(out[:, j]) for j, f in enumerate(spec.free)})


# ---------------------------------------------------------------------------- findings


def conflicts(trials: pd.DataFrame, spec: FitSpec, rarely: float = 0.25) -> pd.DataFrame:
    """Per pair of fit targets over the trial history: trials whose mean lies in A's band, in
    B's, in both, and the count expected if meeting them were independent; ``never`` when both
    are met in some trial but never together, ``rarely`` when together at most ``rarely`` x
    the independent count, ``met together`` otherwise, ``not met`` if either never is."""
    met = {t.name: trials[t.name].between(*t.band) if len(trials) else pd.Series(dtype=bool) for t in spec.targets}
    rows = []
    n = len(trials)
    for a, b in combinations([t.name for t in spec.targets], 2):
        na, nb, nab = int(met[a].sum()), int(met[b].sum()), int((met[a] & met[b]).sum())
        expected = na * nb / n if n else 0.0
        if na == 0 or nb == 0:
            verdict = "not met"
        elif nab == 0:
            verdict = "never"
        elif nab <= rarely * expected:
            verdict = "rarely"
        else:
            verdict = "met together"
        rows.append({"target_a": a, "target_b": b, "met_a": na, "met_b": nb, "met_both": nab,
                     "expected_if_independent": expected, "verdict": verdict})
    return pd.DataFrame(rows, columns=["target_a", "target_b", "met_a", "met_b", "met_both",
                                       "expected_if_independent", "verdict"])


@dataclass
class Fit:
    """Everything the report needs: spec, trial history, estimate, its loss and moments,
    the uncertainty, the draws, the pair conflicts and the check of every target at the estimate."""

    spec: FitSpec
    trials: pd.DataFrame
    estimate: dict[str, float]
    loss: float
    best_trial: int
    moments: Moments
    unc: Uncertainty
    draws: pd.DataFrame
    conflicts: pd.DataFrame
    check: C.CheckResult
    all_trials: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The headline of ``fit.json``."""
        return {"estimate": self.estimate,
                "interval": {k: list(v) for k, v in self.unc.interval.items()},
                "identified": {f.name: bool(ok) for f, ok in zip(self.spec.free, self.unc.identified)},
                "targets": [t.name for t in self.spec.targets], "held_out": [t.name for t in self.spec.held_out],
                "loss": self.loss, "best_trial": self.best_trial, "trials": len(self.trials),
                "seed": self.spec.seed, "size": dict(self.spec.size), "spec_hash": self.spec.digest(),
                "free": [asdict(f) for f in self.spec.free], "jacobian_rank": self.unc.rank,
                "G": self.unc.G.tolist(), "V": self.unc.V.tolist(), "sigma": self.unc.sigma.tolist(),
                "null_share": dict(zip([f.name for f in self.spec.free], self.unc.null_share.tolist()))}


def fit(spec: FitSpec, out: Path, *, targets: Sequence[C.Target] | None = None, workers: int | None = None,
        scheduler: str | None = None, progress: bool = True, say: Callable[[str], None] | None = None) -> Fit:
    """The whole fit into ``out`` (the study in ``out/study.db``): the search
    (:func:`run_study`), the sandwich at the best trial, the draws, the pair conflicts and
    the check of ``targets`` (default: the fit's and the held-out ones) at the estimate.
    One pool of workers (or one dask connection) serves every trial and check of the fit."""
    with reusing(workers, scheduler):
        return _fit(spec, out, targets=targets, workers=workers, scheduler=scheduler, progress=progress, say=say)


def _fit(spec: FitSpec, out: Path, *, targets: Sequence[C.Target] | None, workers: int | None,
         scheduler: str | None, progress: bool, say: Callable[[str], None] | None) -> Fit:
    study = run_study(Path(out) / "study.db", spec, workers=workers, scheduler=scheduler, progress=progress, say=say)
    best = study.best_trial
    estimate = {f.name: float(best.params[f.name]) for f in spec.free}
    moments = Moments.from_attrs(best.user_attrs["moments"])
    evaluate = lambda theta: measure(theta, spec, workers=workers, scheduler=scheduler)  # noqa: E731
    if say:
        say(f"uncertainty: {2 * len(spec.free)} runs of the fit targets around the estimate")
    unc = uncertainty(estimate, moments, spec, evaluate)
    table = trials_table(study, spec)
    everything = list(targets) if targets is not None else [*spec.targets, *spec.held_out]
    if say:
        say(f"check at the estimate: {len(everything)} targets")
    checked = C.check(everything, params=estimate, size=spec.size, seed=spec.seed, workers=workers,
                      scheduler=scheduler, progress=progress)
    return Fit(spec, table, estimate, float(best.value), best.number, moments, unc, draws(estimate, unc, spec),
               conflicts(table, spec), checked, len(study.trials))
