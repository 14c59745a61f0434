"""The run store: one embedded SQLite database per experiment (``DIR/runs.sqlite``).

Tables
------
``meta``       key/value: store format, the experiment definition it belongs to, created.
``runs``       one row per run: run id, design point, strategy, replicate, seed, parameters,
               status (``done`` | ``failed``), error text, timings, package versions, commit.
``steps``      per-step metrics, one row per (run, step), one column per metric (tidy).
``finals``     the last step of every finished run, one row per run.

Views (format 2), so that plain SQL filters on what the experiment varies without
``json_extract`` (the swept values are also kept, as given, in the JSON ``labels``):

``runs_wide``    ``runs`` with one column per swept parameter (the grid's lists and the
                 sampled ranges of the experiment definition; ``strategy`` is a column of
                 ``runs`` already), e.g. ``SELECT run_id FROM runs_wide WHERE budget = 2``.
``finals_wide``  the final metrics of every finished run beside its run id, point, strategy,
                 replicate, seed and swept columns: one row per finished run.

The views are made from the experiment definition when the store is created. A store of
format 1 (before the views) still opens and loads; the next sweep that writes to it adds
the views and marks it format 2.

Each finished run is written in ONE transaction as soon as it returns (the driver alone
writes; workers only compute), so a run is either complete in the store or absent: a sweep
killed at any moment loses only the runs in flight. WAL mode lets readers load the store
while a sweep writes to it. Readers (:func:`load`, :func:`export`, the report) open the
store for reading only, so a store in a read-only folder can be read.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> with RunStore.create(d / "runs.sqlite", {"name": "demo"}) as store:
...     store.done_ids()
set()
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.core.metrics import METRIC_NAMES
from simulation.errors import StoreError, WomsimError
from simulation.research.provenance import check_output, write_atomic

STORE_FILE = "runs.sqlite"
APPLICATION_ID = 0x574F4D53  # "WOMS": marks a file as a womsim store
FORMAT_VERSION = 2  # 1: tables only; 2: + the views runs_wide and finals_wide

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, point INTEGER NOT NULL, strategy TEXT, replicate INTEGER NOT NULL,
    seed INTEGER NOT NULL, labels TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL,
    error TEXT, started REAL, finished REAL, seconds REAL, versions TEXT, git_commit TEXT);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, step INTEGER NOT NULL,
    {", ".join(f'"{m}" REAL' for m in METRIC_NAMES)},
    PRIMARY KEY (run_id, step));
CREATE TABLE IF NOT EXISTS finals (
    run_id TEXT PRIMARY KEY, step INTEGER NOT NULL,
    {", ".join(f'"{m}" REAL' for m in METRIC_NAMES)});
"""


_RUN_COLUMNS = ("run_id", "point", "strategy", "replicate", "seed", "status", "error", "started",
                "finished", "seconds", "versions", "git_commit", "labels", "params")


def swept_parameters(experiment: Mapping[str, Any]) -> list[str]:
    """The parameters an experiment definition varies, in design order, without ``strategy``
    (and ``events``, the name of the event set, when the experiment sweeps event sets)."""
    events = ["events"] if experiment.get("event_sets") else []
    return [k for k in [*experiment.get("grid", {}), *experiment.get("ranges", {}), *events] if k != "strategy"]


def view_statements(experiment: Mapping[str, Any]) -> list[str]:
    """SQL that (re)creates the views ``runs_wide`` and ``finals_wide`` of ``experiment``.

    SQLite reads a swept value out of the JSON ``labels`` inside the view (``json_extract``,
    built into SQLite since 3.38), so whoever queries the view needs no JSON function. A
    parameter whose name is taken by a column (none today) is called ``param_<name>``.
    """
    taken = {*_RUN_COLUMNS, "step", *METRIC_NAMES}
    def column(k: str) -> str:
        name = f"param_{k}" if k in taken else k
        return f"json_extract(r.labels, '$.\"{k}\"') AS \"{name}\""

    swept = "".join(f", {column(k)}" for k in swept_parameters(experiment))
    head = f"r.run_id, r.point, r.strategy, r.replicate, r.seed{swept}"
    runs_rest = ", ".join(f"r.{c}" for c in _RUN_COLUMNS[5:])
    metrics = ", ".join(f'f."{m}"' for m in METRIC_NAMES)
    return ["DROP VIEW IF EXISTS runs_wide", "DROP VIEW IF EXISTS finals_wide",
            f"CREATE VIEW runs_wide AS SELECT {head}, {runs_rest} FROM runs r",
            f"CREATE VIEW finals_wide AS SELECT {head}, f.step, {metrics} FROM finals f "
            "JOIN runs r USING (run_id) WHERE r.status = 'done'"]


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30.0, isolation_level=None)  # explicit transactions
    con.execute("PRAGMA busy_timeout = 30000")
    return con


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that only reads (for loading): a store in a read-only folder (a shared
    archive, a read-only mount) loads like any other.

    What works read-only was measured (SQLite 3.40): a WAL database needs its ``-shm`` and
    ``-wal`` files even to be read. In a writable folder, a ``mode=ro`` connection creates
    them and, being read-only, cannot remove them, so every ``report`` or ``export`` would
    leave two files behind; there an ordinary connection with ``PRAGMA query_only`` reads
    (no statement can write) and SQLite removes the files when it closes, as after any
    sweep. In a read-only folder the store is opened ``mode=ro``; if SQLite cannot open it
    so (no ``-shm`` there, and none can be created), nobody can be writing it (a writer
    needs those files), so it is opened ``immutable`` (no locks, the database file alone),
    unless a non-empty ``-wal`` holds commits not yet in the database file (a writer that
    was killed): then a one-line error says to copy the folder somewhere writable.
    """
    uri = path.resolve().as_uri()

    def connect(target: str, uri_mode: bool) -> sqlite3.Connection:
        con = sqlite3.connect(target, uri=uri_mode, timeout=30.0, isolation_level=None)
        try:
            con.execute("PRAGMA busy_timeout = 30000")
            con.execute("PRAGMA schema_version").fetchone()  # opens the file: fails here, not later
            con.execute("PRAGMA query_only = ON")
        except sqlite3.OperationalError:
            con.close()
            raise
        except sqlite3.DatabaseError as exc:
            con.close()
            raise StoreError(f"'{path}' is not a womsim run store (not an SQLite database: {exc})") from None
        except BaseException:
            con.close()
            raise
        return con

    def cannot(exc: Exception) -> StoreError:
        return StoreError(f"run store '{path}' cannot be opened for reading ({exc})")

    if os.access(path.resolve().parent, os.W_OK):
        try:
            return connect(str(path), False)
        except sqlite3.OperationalError as exc:
            raise cannot(exc) from None
    try:
        return connect(f"{uri}?mode=ro", True)
    except sqlite3.OperationalError as exc:
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise StoreError(f"run store '{path}' cannot be read: its folder is read-only and '{wal.name}' "
                             "holds commits not yet in the database file; copy the folder somewhere "
                             "writable and read it there") from None
        first = exc
    try:
        return connect(f"{uri}?mode=ro&immutable=1", True)
    except sqlite3.OperationalError:
        raise cannot(first) from None


def _check_is_store(con: sqlite3.Connection, path: Path) -> None:
    try:
        app = con.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"'{path}' is not a womsim run store (not an SQLite database: {exc})") from None
    if app != APPLICATION_ID or not {"meta", "runs", "steps", "finals"} <= tables:
        raise StoreError(f"'{path}' is not a womsim run store (an SQLite file of another kind); "
                         "choose another --out folder")


def _upgrade(con: sqlite3.Connection, path: Path, experiment: Mapping[str, Any]) -> None:
    """Bring an existing store to :data:`FORMAT_VERSION` before writing to it (format 1: add
    the views); refuse a store of a newer format, which this version may not write right."""
    row = _guard(path, lambda: con.execute("SELECT value FROM meta WHERE key='format'").fetchone())
    version = int(row[0]) if row else 1
    if version > FORMAT_VERSION:
        raise StoreError(f"'{path}' is a run store of format {version}, made by a newer womsim; this "
                         f"version writes format {FORMAT_VERSION}: upgrade womsim or use another --out folder")
    if version < FORMAT_VERSION:
        with _transaction(con):
            for statement in view_statements(experiment):
                con.execute(statement)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (str(FORMAT_VERSION),))


class RunStore:
    """Writer/reader of one experiment's run store. Use :meth:`create` or :meth:`open`."""

    def __init__(self, path: Path, con: sqlite3.Connection) -> None:
        self.path = path
        self.con = con

    # --- opening ------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, experiment: Mapping[str, Any], resume: bool = True) -> RunStore:
        """Open ``path`` for writing the runs of ``experiment`` (created if absent).

        An existing store must belong to the same experiment definition; any other file at
        ``path`` is refused and left untouched.
        """
        path = Path(path)
        definition = json.dumps(experiment, sort_keys=True, default=str)
        existed = path.exists() and path.stat().st_size > 0
        if existed:
            _sniff(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect(path)
        try:
            if existed:
                _check_is_store(con, path)
                row = _guard(path, lambda: con.execute(
                    "SELECT value FROM meta WHERE key='experiment'").fetchone())
                if row and row[0] != definition:
                    raise StoreError(f"'{path}' holds runs of a different experiment definition; "
                                     "use another --out folder (or the same experiment file)")
                _upgrade(con, path, experiment)
            else:
                con.execute("PRAGMA journal_mode = WAL")
                # schema, identity and definition in one transaction: a store is complete or absent
                with _transaction(con):
                    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    for statement in [*filter(str.strip, _SCHEMA.split(";")), *view_statements(experiment)]:
                        con.execute(statement)
                    con.executemany("INSERT INTO meta VALUES (?, ?)", [
                        ("format", str(FORMAT_VERSION)), ("experiment", definition),
                        ("created", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))])
        except BaseException:
            con.close()
            raise
        con.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
        return cls(path, con)

    @classmethod
    def open(cls, path: str | Path) -> RunStore:
        """Open an existing store for reading only (loading): see :func:`_connect_readonly`."""
        path = Path(path)
        if path.is_dir():
            path = path / STORE_FILE
        if not path.is_file():
            raise StoreError(f"no run store at '{path}' (run a sweep with --out there first)")
        con = _connect_readonly(path)
        try:
            _check_is_store(con, path)
        except BaseException:
            con.close()
            raise
        return cls(path, con)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writing ------------------------------------------------------------------------
    def done_ids(self) -> set[str]:
        return _guard(self.path, lambda: {r[0] for r in self.con.execute(
            "SELECT run_id FROM runs WHERE status='done'")})

    def record_done(self, run: Mapping[str, Any], timeseries: pd.DataFrame, *, started: float,
                    finished: float, versions: Mapping[str, str], git_commit: str | None) -> None:
        """Write one finished run (its row, all its steps, its final values) atomically."""
        cols = ["step", *METRIC_NAMES]
        values = timeseries[cols].astype(float).to_numpy()
        rows = [(run["run_id"], int(v[0]), *map(_num, v[1:])) for v in values]
        marks = ", ".join("?" * (len(cols) + 1))
        with _transaction(self.con):
            self._delete(run["run_id"])
            self._insert_run(run, "done", None, started, finished, versions, git_commit)
            self.con.executemany(f"INSERT INTO steps VALUES ({marks})", rows)
            self.con.execute(f"INSERT INTO finals VALUES ({marks})", rows[-1])

    def record_failed(self, run: Mapping[str, Any], error: str, *, started: float, finished: float,
                      versions: Mapping[str, str], git_commit: str | None) -> None:
        with _transaction(self.con):
            self._delete(run["run_id"])
            self._insert_run(run, "failed", error, started, finished, versions, git_commit)

    def _delete(self, run_id: str) -> None:
        for table in ("runs", "steps", "finals"):
            self.con.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))

    def _insert_run(self, run, status, error, started, finished, versions, git_commit) -> None:
        labels = dict(run["labels"])
        self.con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run["run_id"], int(run["point"]), labels.get("strategy"), int(run["replicate"]),
             int(run["seed"]), json.dumps(labels, default=str), json.dumps(run["params"], default=str),
             status, error, started, finished, finished - started, json.dumps(versions), git_commit))

    # --- reading ------------------------------------------------------------------------
    def experiment(self) -> dict[str, Any]:
        row = self.con.execute("SELECT value FROM meta WHERE key='experiment'").fetchone()
        return json.loads(row[0]) if row else {}

    def runs(self) -> pd.DataFrame:
        df = pd.read_sql_query("SELECT * FROM runs ORDER BY point, strategy, replicate", self.con)
        return _expand_labels(df)

    def counts(self) -> dict[str, int]:
        return dict(self.con.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall())

    def timeseries(self) -> pd.DataFrame:
        return self._joined("steps", ["step"])

    def finals(self) -> pd.DataFrame:
        return self._joined("finals", [])

    def _joined(self, table: str, order: list[str]) -> pd.DataFrame:
        sql = (f"SELECT r.run_id, r.point, r.replicate, r.seed, r.labels, t.* FROM {table} t "
               "JOIN runs r USING (run_id) WHERE r.status = 'done' "
               f"ORDER BY r.point, r.strategy, r.replicate{''.join(', t.' + o for o in order)}")
        df = pd.read_sql_query(sql, self.con)
        df = df.loc[:, ~df.columns.duplicated()]
        # SQLite stores NaN as NULL; a metric undefined in every run (dialogue utilisation
        # without a dialogue budget) would come back as a column of None, not of NaN.
        metrics = [m for m in METRIC_NAMES if m in df.columns]
        df[metrics] = df[metrics].astype(float)
        return _expand_labels(df)


def _expand_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Turn the JSON ``labels`` column into columns (the varied parameters, strategy)."""
    if df.empty or "labels" not in df:
        return df
    labels = pd.DataFrame([json.loads(x) for x in df.pop("labels")], index=df.index)
    labels = labels.drop(columns=[c for c in labels.columns if c in df.columns])
    return pd.concat([df.iloc[:, :1], labels, df.iloc[:, 1:]], axis=1)


def _num(x: float) -> float | None:
    return None if x != x else float(x)  # NaN -> NULL


class _transaction:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self):
        self.con.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.con.execute("ROLLBACK" if exc_type else "COMMIT")


def _sniff(path: Path) -> None:
    """Refuse a file that is not SQLite, through a read-only SQLite connection.

    Not with open()/close(): on POSIX, closing any descriptor of a file drops all the
    process's locks on it, including those of a writer connection in the same process
    (SQLite's documented way to corrupt a database).
    """
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
        try:
            con.execute("PRAGMA schema_version").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"'{path}' is not a womsim run store (not an SQLite database: {exc}); "
                         "it was left untouched: choose another --out folder") from None


def load(directory: str | Path) -> dict[str, pd.DataFrame]:
    """Load a run store into pandas: ``{"runs", "timeseries", "finals"}``.

    ``timeseries`` and ``finals`` hold finished runs only, with the varied parameters
    (and ``strategy``) as columns; ``runs`` lists every run with its status and error.
    The three tables are read in one transaction: a consistent snapshot even while a
    sweep writes.
    """
    with RunStore.open(directory) as store:
        def read():
            store.con.execute("BEGIN")
            try:
                return {"runs": store.runs(), "timeseries": store.timeseries(), "finals": store.finals()}
            finally:
                store.con.execute("COMMIT")
        return _guard(store.path, read)


def _guard(path: Path, read):
    """Run a read; a damaged database becomes a one-line StoreError, not a traceback."""
    try:
        return read()
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
        raise StoreError(f"run store '{path}' is damaged and cannot be read ({exc}); "
                         "move it away and run the sweep again") from None


def export(directory: str | Path, fmt: str = "csv", out: str | Path | None = None) -> list[Path]:
    """Write ``runs``, ``timeseries`` and ``finals`` as CSV or Parquet files beside the store."""
    if fmt not in ("csv", "parquet"):
        raise WomsimError(f"--format {fmt!r}: allowed csv | parquet")
    out = Path(out or (Path(directory) if Path(directory).is_dir() else Path(directory).parent))
    check_output(out)
    tables = load(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        path = out / f"{name}.{fmt}"
        if fmt == "csv":  # full precision: run times are Unix seconds
            write_atomic(path, df.to_csv(index=False))
        else:
            try:
                tmp = path.with_name(f".{path.name}.tmp")
                df.to_parquet(tmp, index=False)
                tmp.replace(path)
            except ImportError:
                raise WomsimError("--format parquet needs pyarrow: pip install pyarrow") from None
        paths.append(path)
    return paths


def failed_runs(directory: str | Path) -> Iterable[tuple[str, str]]:
    runs = load(directory)["runs"]
    failed = runs[runs["status"] == "failed"]
    return list(zip(failed["run_id"], failed["error"]))
