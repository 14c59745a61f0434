"""The run store (``DIR/runs.sqlite``): atomic runs, loading, refusing foreign files, WAL, export.

What is checked:

* ``record_done`` writes the run row, all its steps and its finals in ONE transaction
  (a reader never sees part of a run; a failure half-way leaves the previous state);
  ``load`` returns ``runs`` / ``timeseries`` / ``finals`` with the varied parameters and the
  strategy as columns; failed runs are listed with their error text and are absent from
  ``timeseries`` and ``finals``; recording a run again replaces it (no duplicates).
* A file that is not a womsim store (a text file named runs.sqlite, SQLite bytes that are
  garbage, an SQLite database of another application, a damaged store) is refused with a
  :class:`StoreError` (a :class:`WomsimError`) and left byte-identical, folder included;
  through the CLI: exit 2 and one ``error: ...`` line. A store of another experiment
  definition is refused the same way.
* WAL: a reader loads the store while a writer holds an open write transaction (same
  process and another process), and sees only committed runs while a writer is writing.
* ``export`` CSV and Parquet files hold the same rows as ``load``.
* Plain SQL (the ``sqlite3`` module, no JSON function) filters on a swept parameter through
  the views ``runs_wide`` / ``finals_wide``; a format-1 store (no views) still loads and
  gets the views when written again; a store of a newer format is not written.

Everything is tiny (100 consumers x 5 weeks); the file takes ~20 s on 2 cores.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.core.metrics import METRIC_NAMES
from simulation.errors import StoreError, WomsimError
from simulation.research.experiment import load_experiment
from simulation.research.store import STORE_FILE, RunStore, export, failed_runs, load
from simulation.research.sweep import run_sweep
from simulation.research.tasks import run_simulation

from conftest import DATA, REPO, describe, run_cli, tree

TINY = DATA / "sweep_tiny.toml"
VERSIONS = {"womsim": "test"}





def one_error_line(result) -> str:
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), describe(result)
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def exp():
    return load_experiment(TINY)


@pytest.fixture(scope="module")
def outputs(exp):
    """The timeseries of the first few tasks (computed once)."""
    return {t.run_id: run_simulation(t.params, t.seed) for t in exp.tasks()[:4]}


def new_store(path: Path, exp) -> RunStore:
    return RunStore.create(path / STORE_FILE, exp.definition())


def record(store: RunStore, task, ts, started: float = 100.0) -> None:
    store.record_done(task.as_record(), ts, started=started, finished=started + 1.5, versions=VERSIONS,
                      git_commit="abc")


# ----------------------------------------------------------------------------------------
# writing and loading
# ----------------------------------------------------------------------------------------
def test_record_done_is_one_transaction(tmp_path, exp, outputs):
    task = exp.tasks()[0]
    ts = outputs[task.run_id]
    statements: list[str] = []
    seen_by_reader: list[dict] = []

    def trace(sql: str) -> None:
        statements.append(sql.strip())
        if sql.startswith("INSERT INTO finals"):  # the last write of the run, not committed yet
            with sqlite3.connect(tmp_path / STORE_FILE) as other:
                seen_by_reader.append({t: other.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                                       for t in ("runs", "steps", "finals")})

    with new_store(tmp_path, exp) as store:
        store.con.set_trace_callback(trace)
        record(store, task, ts)
        store.con.set_trace_callback(None)
    writes = [s for s in statements if not s.upper().startswith("SELECT")]
    assert writes[0].upper().startswith("BEGIN") and writes[-1].upper() == "COMMIT"
    assert sum(s.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "END")) for s in writes) == 2
    kinds = {s.split("(")[0].split()[2] for s in writes[1:-1] if s.startswith("INSERT")}
    assert kinds == {"runs", "steps", "finals"}
    assert seen_by_reader == [{"runs": 0, "steps": 0, "finals": 0}]  # nothing visible before COMMIT
    tables = load(tmp_path)
    assert len(tables["runs"]) == 1 and len(tables["timeseries"]) == exp.steps + 1
    assert len(tables["finals"]) == 1


def test_a_failure_half_way_leaves_the_previous_run(tmp_path, exp, outputs):
    task = exp.tasks()[0]
    ts = outputs[task.run_id]
    with new_store(tmp_path, exp) as store:
        record(store, task, ts, started=100.0)
        before = load(tmp_path)
        broken = pd.concat([ts, ts.iloc[[2]]], ignore_index=True)  # a duplicate step: the steps insert fails
        with pytest.raises(sqlite3.IntegrityError):
            record(store, task, broken, started=200.0)
        after = load(tmp_path)
        for name in ("runs", "timeseries", "finals"):
            pd.testing.assert_frame_equal(after[name], before[name])
        record(store, task, ts, started=300.0)  # the connection is usable afterwards
    assert load(tmp_path)["runs"]["started"].tolist() == [300.0]


def test_load_has_varied_parameters_and_strategy_as_columns(tmp_path, exp, outputs):
    tasks = exp.tasks()[:4]
    with new_store(tmp_path, exp) as store:
        for t in tasks:
            record(store, t, outputs[t.run_id])
    tables = load(tmp_path)
    assert set(tables) == {"runs", "timeseries", "finals"}
    for name, df in tables.items():
        for col in ("run_id", "dialogue_share", "budget", "strategy", "replicate", "point", "seed"):
            assert col in df.columns, f"{col} missing from {name}"
        assert "labels" not in df.columns
    runs = tables["runs"].set_index("run_id")
    for col in ("status", "error", "params", "started", "finished", "seconds", "versions", "git_commit"):
        assert col in runs.columns
    for t in tasks:
        row = runs.loc[t.run_id]
        assert (row["dialogue_share"], row["budget"], row["strategy"], row["replicate"], row["seed"]) == (
            t.labels["dialogue_share"], t.labels["budget"], t.labels["strategy"], t.replicate, t.seed)
        assert json.loads(row["params"]) == dict(t.params)
        assert row["seconds"] == pytest.approx(1.5) and json.loads(row["versions"]) == VERSIONS
    finals = tables["finals"].set_index("run_id")
    ts = tables["timeseries"]
    assert finals.index.is_unique and len(finals) == len(tasks)
    for t in tasks:
        direct = outputs[t.run_id]
        mine = ts[ts["run_id"] == t.run_id]
        assert mine["step"].tolist() == list(range(exp.steps + 1))
        assert (mine["strategy"] == t.labels["strategy"]).all()
        assert (mine["budget"] == t.labels["budget"]).all()
        last = direct.iloc[-1]
        assert finals.loc[t.run_id, "step"] == exp.steps
        for m in METRIC_NAMES:
            got, want = finals.loc[t.run_id, m], float(last[m])
            assert (np.isnan(got) and np.isnan(want)) or got == want, m
            np.testing.assert_array_equal(mine[m].to_numpy(float), direct[m].to_numpy(float))


def test_failed_runs_are_listed_and_absent_from_the_results(tmp_path, exp, outputs):
    ok, bad = exp.tasks()[0], exp.tasks()[1]
    with new_store(tmp_path, exp) as store:
        record(store, ok, outputs[ok.run_id])
        store.record_failed(bad.as_record(), "GraphError: boom\nTraceback ...", started=1.0, finished=2.0,
                            versions=VERSIONS, git_commit=None)
        assert store.counts() == {"done": 1, "failed": 1}
        assert store.done_ids() == {ok.run_id}
    tables = load(tmp_path)
    runs = tables["runs"].set_index("run_id")
    assert runs.loc[bad.run_id, "status"] == "failed"
    assert runs.loc[bad.run_id, "error"] == "GraphError: boom\nTraceback ..."
    assert runs.loc[bad.run_id, "budget"] == bad.labels["budget"]
    assert set(tables["finals"]["run_id"]) == {ok.run_id}
    assert set(tables["timeseries"]["run_id"]) == {ok.run_id}
    assert failed_runs(tmp_path) == [(bad.run_id, "GraphError: boom\nTraceback ...")]


def test_recording_a_run_again_replaces_it(tmp_path, exp, outputs):
    task = exp.tasks()[0]
    ts = outputs[task.run_id]

    def counts():
        with sqlite3.connect(tmp_path / STORE_FILE) as con:
            return {t: con.execute(f"SELECT COUNT(*) FROM {t} WHERE run_id = ?", (task.run_id,)).fetchone()[0]
                    for t in ("runs", "steps", "finals")}

    full = {"runs": 1, "steps": exp.steps + 1, "finals": 1}
    with new_store(tmp_path, exp) as store:
        record(store, task, ts, started=1.0)
        record(store, task, ts, started=2.0)
        assert counts() == full
        store.record_failed(task.as_record(), "boom", started=3.0, finished=4.0, versions=VERSIONS,
                            git_commit=None)
        assert counts() == {"runs": 1, "steps": 0, "finals": 0}
        record(store, task, ts, started=5.0)
        assert counts() == full
    runs = load(tmp_path)["runs"]
    assert runs["status"].tolist() == ["done"] and runs["error"].isna().all()
    assert runs["started"].tolist() == [5.0]


def test_reopening_keeps_the_runs(tmp_path, exp, outputs):
    task = exp.tasks()[0]
    with new_store(tmp_path, exp) as store:
        record(store, task, outputs[task.run_id])
    with new_store(tmp_path, exp) as store:
        assert store.done_ids() == {task.run_id}
        assert store.experiment() == json.loads(json.dumps(exp.definition()))
        with sqlite3.connect(tmp_path / STORE_FILE) as con:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_no_store_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="no run store"):
        load(tmp_path)
    with pytest.raises(StoreError, match="no run store"):
        load(tmp_path / "absent")
    assert not (tmp_path / "absent").exists()
    assert issubclass(StoreError, WomsimError)


# ----------------------------------------------------------------------------------------
# foreign, corrupt and other experiments' files
# ----------------------------------------------------------------------------------------
def make_text(path: Path) -> None:
    path.write_text("these are my notes, not a database\n" * 20)


def make_garbage_sqlite(path: Path) -> None:
    rng = np.random.default_rng(0)
    path.write_bytes(b"SQLite format 3\x00" + rng.bytes(8000))


def make_foreign_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE foo (x INTEGER, y TEXT)")
    con.executemany("INSERT INTO foo VALUES (?, ?)", [(i, f"row {i}") for i in range(50)])
    con.commit()
    con.close()


def make_foreign_with_our_tables(path: Path) -> None:
    """Another application's database that happens to have tables of the same names."""
    con = sqlite3.connect(path)
    for t in ("meta", "runs", "steps", "finals"):
        con.execute(f"CREATE TABLE {t} (a)")
    con.commit()
    con.close()


FOREIGN = {"text": make_text, "garbage_after_sqlite_header": make_garbage_sqlite,
           "sqlite_of_another_application": make_foreign_sqlite,
           "sqlite_with_the_same_table_names": make_foreign_with_our_tables}


def damage_store(path: Path, exp) -> None:
    """A real store whose 'runs' table page is overwritten (header and schema intact)."""
    run_sweep(exp, path.parent, workers=1, progress=False)
    (path.parent / "sweep.json").unlink()
    with sqlite3.connect(path) as con:
        page = con.execute("PRAGMA page_size").fetchone()[0]
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    data = bytearray(path.read_bytes())
    data[(root - 1) * page:root * page] = b"\xff" * page
    path.write_bytes(bytes(data))


def _refused_untouched(folder: Path, action, match: str = "not a womsim run store") -> StoreError:
    before = tree(folder)
    with pytest.raises(StoreError) as info:
        action()
    assert isinstance(info.value, WomsimError)
    message = str(info.value)
    assert str(folder / STORE_FILE) in message and match in message and "\n" not in message
    assert tree(folder) == before, "the folder changed"
    return info.value


@pytest.mark.parametrize("kind", list(FOREIGN))
def test_foreign_file_is_refused_and_untouched(tmp_path, exp, kind):
    path = tmp_path / STORE_FILE
    FOREIGN[kind](path)
    _refused_untouched(tmp_path, lambda: RunStore.create(path, exp.definition()))
    _refused_untouched(tmp_path, lambda: RunStore.open(path))
    _refused_untouched(tmp_path, lambda: load(tmp_path))
    _refused_untouched(tmp_path, lambda: export(tmp_path, "csv"))
    _refused_untouched(tmp_path, lambda: run_sweep(exp, tmp_path, workers=1, progress=False))


def test_damaged_store_is_a_store_error(tmp_path, exp):
    path = tmp_path / STORE_FILE
    damage_store(path, exp)
    _refused_untouched(tmp_path, lambda: load(tmp_path), match="")
    _refused_untouched(tmp_path, lambda: run_sweep(exp, tmp_path, workers=1, progress=False), match="")


@pytest.mark.parametrize("kind", ["text", "sqlite_of_another_application"])
def test_foreign_file_through_the_cli(tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    FOREIGN[kind](out / STORE_FILE)
    before = tree(out)
    line = one_error_line(run_cli("sweep", TINY, "--out", out, "--workers", 1, "--no-progress"))
    assert str(out / STORE_FILE) in line and "not a womsim run store" in line
    line = one_error_line(run_cli("export", out))
    assert "not a womsim run store" in line
    assert tree(out) == before


def test_store_of_another_experiment_is_refused_and_untouched(tmp_path, exp):
    run_sweep(exp, tmp_path, workers=1, progress=False)
    original = load(tmp_path)
    other = load_experiment(TINY, seed=8)
    error = _refused_untouched(tmp_path, lambda: run_sweep(other, tmp_path, workers=1, progress=False),
                               match="different experiment definition")
    assert "--out" in str(error)
    _refused_untouched(tmp_path, lambda: RunStore.create(tmp_path / STORE_FILE, other.definition()),
                       match="different experiment definition")
    # the same experiment is still accepted
    result = run_sweep(exp, tmp_path, workers=1, progress=False)
    assert (result.skipped, result.done) == (16, 0)
    pd.testing.assert_frame_equal(load(tmp_path)["finals"], original["finals"])

    before = tree(tmp_path)
    line = one_error_line(run_cli("sweep", TINY, "--out", tmp_path, "--replicates", 3, "--no-progress"))
    assert "different experiment definition" in line
    assert tree(tmp_path) == before


# ----------------------------------------------------------------------------------------
# WAL: readers while a writer writes
# ----------------------------------------------------------------------------------------
LOAD_IN_SUBPROCESS = ("import sys; from simulation.research.store import load; t = load(sys.argv[1]); "
                      "print(' '.join(sorted(t['runs']['run_id'])), len(t['timeseries']), len(t['finals']))")


def load_in_subprocess(folder: Path) -> list[str]:
    result = subprocess.run([sys.executable, "-c", LOAD_IN_SUBPROCESS, str(folder)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, describe(result)
    return result.stdout.split()


def open_write(store: RunStore, drop, add) -> None:
    """Begin a write transaction (the writer's lock) that replaces run ``drop`` by ``add``."""
    store.con.execute("BEGIN IMMEDIATE")
    store._delete(drop.run_id)
    store._insert_run(add.as_record(), "done", None, 1.0, 2.0, VERSIONS, None)


def test_readers_in_other_processes_load_while_a_writer_holds_a_transaction(tmp_path, exp, outputs):
    first, second = exp.tasks()[0], exp.tasks()[1]
    steps = str(exp.steps + 1)
    store = new_store(tmp_path, exp)
    try:
        record(store, first, outputs[first.run_id])
        open_write(store, first, second)
        t0 = time.perf_counter()
        assert load_in_subprocess(tmp_path) == [first.run_id, steps, "1"]  # the committed state
        assert load_in_subprocess(tmp_path) == [first.run_id, steps, "1"]
        assert time.perf_counter() - t0 < 30, "the readers waited for the writer"
        store.con.execute("COMMIT")
        assert load_in_subprocess(tmp_path) == [second.run_id, "0", "0"]  # no steps recorded for it
        record(store, first, outputs[first.run_id])
    finally:
        store.close()
    assert sorted(load(tmp_path)["runs"]["run_id"]) == [first.run_id, second.run_id]


def test_reader_in_the_writers_process_loads_the_committed_state(tmp_path, exp, outputs):
    first, second = exp.tasks()[0], exp.tasks()[1]
    with new_store(tmp_path, exp) as store:
        record(store, first, outputs[first.run_id])
        open_write(store, first, second)
        t0 = time.perf_counter()
        tables = load(tmp_path)  # another connection, same process
        assert time.perf_counter() - t0 < 5, "the reader waited for the writer"
        assert tables["runs"]["run_id"].tolist() == [first.run_id]
        assert len(tables["timeseries"]) == exp.steps + 1 and len(tables["finals"]) == 1
        store.con.execute("COMMIT")
        assert load(tmp_path)["runs"]["run_id"].tolist() == [second.run_id]


def test_load_in_the_writers_process_does_not_break_the_writer(tmp_path, exp, outputs):
    """A notebook that sweeps in a thread and loads to watch progress, while a second
    process (e.g. ``run.py export``) reads the same store."""
    first, second, third = exp.tasks()[:3]
    with new_store(tmp_path, exp) as store:
        record(store, first, outputs[first.run_id])
        open_write(store, first, second)
        load(tmp_path)  # in the writer's process
        assert load_in_subprocess(tmp_path)[0] == first.run_id
        store.con.execute("COMMIT")
        record(store, third, outputs[third.run_id])
        tables = load(tmp_path)
        assert sorted(tables["runs"]["run_id"]) == [second.run_id, third.run_id]
    assert sorted(load(tmp_path)["runs"]["run_id"]) == [second.run_id, third.run_id]
    with sqlite3.connect(tmp_path / STORE_FILE) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_load_is_one_consistent_snapshot(tmp_path, exp, outputs, monkeypatch):
    first, second = exp.tasks()[0], exp.tasks()[1]
    writer = new_store(tmp_path, exp)
    record(writer, first, outputs[first.run_id])
    real = RunStore.timeseries

    def timeseries_after_a_commit(self):
        if not writer.done_ids() >= {second.run_id}:
            record(writer, second, outputs[second.run_id])  # the sweep commits a run mid-load
        return real(self)

    monkeypatch.setattr(RunStore, "timeseries", timeseries_after_a_commit)
    try:
        tables = load(tmp_path)
    finally:
        writer.close()
    runs = set(tables["runs"]["run_id"])
    assert set(tables["timeseries"]["run_id"]) == runs
    assert set(tables["finals"]["run_id"]) == runs


def test_reader_never_sees_part_of_a_run_while_a_writer_writes(tmp_path, exp, outputs):
    tasks = exp.tasks()
    ts = outputs[tasks[0].run_id]
    new_store(tmp_path, exp).close()
    error: list[BaseException] = []

    def writer():
        try:
            with new_store(tmp_path, exp) as store:
                for task in tasks:
                    record(store, task, ts)
                    time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001
            error.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    loads = 0
    while thread.is_alive() or loads == 0:
        tables = load(tmp_path)
        # each table is read in one statement: whole runs only
        assert set(tables["runs"]["status"]) <= {"done"}
        counts = tables["timeseries"].groupby("run_id").size()
        assert (counts == exp.steps + 1).all(), counts
        assert tables["finals"]["run_id"].is_unique
        assert (tables["finals"]["step"] == exp.steps).all()
        loads += 1
    thread.join()
    assert not error
    assert loads >= 2
    tables = load(tmp_path)
    assert len(tables["runs"]) == len(tables["finals"]) == len(tasks)


# ----------------------------------------------------------------------------------------
# export
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def swept(tmp_path_factory, exp):
    """The tiny experiment swept in this process, with one run made to fail."""
    import simulation.research.tasks as tasks_module

    out = tmp_path_factory.mktemp("swept")
    victim = exp.tasks()[3]
    real = tasks_module.run_simulation

    def flaky(params, seed, labels=None):
        if seed == victim.seed and params["strategy"] == victim.params["strategy"]:
            raise RuntimeError("made to fail")
        return real(params, seed, labels)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tasks_module, "run_simulation", flaky)
        result = run_sweep(exp, out, workers=1, progress=False)
    assert (result.done, result.failed) == (15, 1)
    return out, victim


def _same_rows(read: pd.DataFrame, loaded: pd.DataFrame, rtol: float) -> None:
    assert list(read.columns) == list(loaded.columns)
    assert len(read) == len(loaded)
    for col in loaded.columns:
        a, b = read[col], loaded[col]
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=rtol, atol=0,
                                       equal_nan=True, err_msg=col)
            if pd.api.types.is_integer_dtype(b):
                assert (a.to_numpy() == b.to_numpy()).all(), col  # ids, seeds, steps: exact
        else:
            assert _texts(a) == _texts(b), col


def _texts(column: pd.Series) -> list[str]:
    """Text cells, a missing one (None, NaN) as ''."""
    return ["" if pd.isna(x) else str(x) for x in column.astype(object)]


def test_export_csv_round_trips(tmp_path, swept):
    out, victim = swept
    paths = export(out, "csv", tmp_path)
    assert sorted(p.name for p in paths) == ["finals.csv", "runs.csv", "timeseries.csv"]
    tables = load(out)
    for name, df in tables.items():
        _same_rows(pd.read_csv(tmp_path / f"{name}.csv"), df, rtol=1e-5)  # 6 significant digits
    runs = pd.read_csv(tmp_path / "runs.csv").set_index("run_id")
    assert runs.loc[victim.run_id, "status"] == "failed"
    assert runs.loc[victim.run_id, "error"].startswith("RuntimeError: made to fail")
    assert victim.run_id not in set(pd.read_csv(tmp_path / "finals.csv")["run_id"])


def test_export_csv_keeps_run_times_to_the_second(tmp_path, swept):
    out, _ = swept
    export(out, "csv", tmp_path)
    runs = pd.read_csv(tmp_path / "runs.csv")
    loaded = load(out)["runs"]
    for col in ("started", "finished"):
        np.testing.assert_allclose(runs[col], loaded[col], rtol=0, atol=1.0, err_msg=col)


def test_export_parquet_round_trips_exactly(tmp_path, swept):
    pytest.importorskip("pyarrow")
    out, _ = swept
    paths = export(out, "parquet", tmp_path)
    assert sorted(p.name for p in paths) == ["finals.parquet", "runs.parquet", "timeseries.parquet"]
    for name, df in load(out).items():
        read = pd.read_parquet(tmp_path / f"{name}.parquet")
        _same_rows(read, df, rtol=0)
        pd.testing.assert_frame_equal(read, df, check_dtype=False)


def test_export_command_writes_beside_the_store(tmp_path, swept):
    out, _ = swept
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    result = run_cli("export", copy, "--format", "csv")
    assert result.returncode == 0, describe(result)
    for name in ("runs", "timeseries", "finals"):
        assert (copy / f"{name}.csv").is_file() and f"{name}.csv" in result.stdout
    assert len(pd.read_csv(copy / "finals.csv")) == 15
    line = one_error_line(run_cli("export", copy, "--format", "xlsx"))
    assert "xlsx" in line
    line = one_error_line(run_cli("export", tmp_path / "nothing"))
    assert "no run store" in line


# ----------------------------------------------------------------------------------------
# plain SQL: the views runs_wide and finals_wide (format 2)
# ----------------------------------------------------------------------------------------
def test_plain_sql_filters_on_a_swept_parameter(swept):
    """With the sqlite3 module only and no JSON function: the swept values are columns."""
    out, victim = swept
    con = sqlite3.connect(out / STORE_FILE)
    try:
        finals = con.execute("SELECT run_id, strategy, budget, dialogue_share, loyalty FROM finals_wide "
                             "WHERE budget = 2 ORDER BY run_id").fetchall()
        runs = con.execute("SELECT run_id, status FROM runs_wide WHERE budget = 0.5 AND dialogue_share = 1 "
                           "ORDER BY run_id").fetchall()
        columns = [d[0] for d in con.execute("SELECT * FROM runs_wide LIMIT 0").description]
    finally:
        con.close()
    expected = load(out)["finals"]
    expected = expected[expected["budget"] == 2.0].sort_values("run_id")
    assert [r[0] for r in finals] == expected["run_id"].tolist() and len(finals) == 8
    assert all(r[2] == 2.0 for r in finals) and {r[3] for r in finals} == {0.0, 1.0}
    np.testing.assert_allclose([r[4] for r in finals], expected["loyalty"].to_numpy())
    tasks = [t for t in load_experiment(TINY).tasks() if t.labels["budget"] == 0.5
             and t.labels["dialogue_share"] == 1.0]
    assert runs == sorted((t.run_id, "failed" if t.run_id == victim.run_id else "done") for t in tasks)
    assert columns[:7] == ["run_id", "point", "strategy", "replicate", "seed", "dialogue_share", "budget"]


def test_a_format_1_store_still_opens_and_gets_the_views_when_written(tmp_path, exp, outputs):
    task = exp.tasks()[0]
    with new_store(tmp_path, exp) as store:
        record(store, task, outputs[task.run_id])
        store.con.execute("DROP VIEW runs_wide")  # as a store made before the views
        store.con.execute("DROP VIEW finals_wide")
        store.con.execute("UPDATE meta SET value = '1' WHERE key = 'format'")
    assert load(tmp_path)["finals"]["run_id"].tolist() == [task.run_id]
    with new_store(tmp_path, exp) as store:  # a sweep resuming it
        assert store.con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()[0] == "2"
        rows = store.con.execute("SELECT run_id, budget FROM finals_wide").fetchall()
    assert rows == [(task.run_id, task.labels["budget"])]


def test_a_store_of_a_newer_format_is_not_written(tmp_path, exp):
    with new_store(tmp_path, exp) as store:
        store.con.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    before = tree(tmp_path)
    with pytest.raises(StoreError, match="format 99"):
        new_store(tmp_path, exp)
    assert tree(tmp_path) == before


# ----------------------------------------------------------------------------------------
# reading only (issue 10, item 8): read-only connections, read-only folders
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def finished(tmp_path_factory, exp):
    """A finished store of the tiny experiment (copied by the tests that lock it)."""
    d = tmp_path_factory.mktemp("finished")
    run_sweep(exp, d, workers=1, progress=False)
    return d


def _chattr(flag: str, path: Path) -> bool:
    try:
        return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0
    except OSError:
        return False


@pytest.fixture
def read_only_copy(tmp_path, finished):
    """A copy of the finished store in a folder made immutable (``chattr +i``): as root,
    permission bits do not stop writes, an immutable folder does (no file can be created,
    so SQLite cannot create the -shm file a WAL database needs). Skipped where chattr is
    not available; ``+i`` is removed again afterwards."""
    import shutil

    d = tmp_path / "archive"
    shutil.copytree(finished, d)
    if not _chattr("+i", d):
        pytest.skip("chattr +i is not available here (needs CAP_LINUX_IMMUTABLE and ext4/xfs/btrfs)")
    yield d
    _chattr("-i", d)


def test_a_store_in_a_read_only_folder_loads(read_only_copy, finished):
    """Before: 'not a womsim run store (... unable to open database file)'."""
    before = tree(read_only_copy)
    got = load(read_only_copy)
    want = load(finished)
    for name in ("runs", "timeseries", "finals"):
        pd.testing.assert_frame_equal(got[name], want[name])
    assert tree(read_only_copy) == before


def test_read_only_folder_through_the_cli(read_only_copy, tmp_path):
    before = tree(read_only_copy)
    ok_export = run_cli("export", read_only_copy, "--out", tmp_path / "csv")
    assert ok_export.returncode == 0, describe(ok_export)
    assert pd.read_csv(tmp_path / "csv" / "finals.csv").shape[0] == 16
    line = one_error_line(run_cli("report", read_only_copy, "--no-network"))
    assert "not writable" in line and "--out" in line  # the default output is the data folder
    report = run_cli("report", read_only_copy, "--no-network", "--out", tmp_path / "report")
    assert report.returncode == 0, describe(report)
    assert (tmp_path / "report" / "report.html").is_file()
    assert tree(read_only_copy) == before


def test_a_read_only_folder_with_an_unfinished_log_is_refused(tmp_path, exp, outputs):
    """A writer killed with commits still in its -wal, then the folder made read-only and
    its -shm lost: the database file alone would miss runs, so it is not read silently."""
    import shutil

    live = tmp_path / "live"
    live.mkdir()
    store = new_store(live, exp)
    con = store.con
    con.execute("PRAGMA wal_autocheckpoint = 0")  # keep the commits in the -wal
    task = exp.tasks()[0]
    record(store, task, outputs[task.run_id])
    d = tmp_path / "archive"
    d.mkdir()
    for name in (STORE_FILE, STORE_FILE + "-wal"):  # copied while the writer holds them: as after kill -9
        shutil.copy(live / name, d / name)
    store.close()
    assert (d / (STORE_FILE + "-wal")).stat().st_size > 0
    if not _chattr("+i", d):
        pytest.skip("chattr +i is not available here")
    try:
        with pytest.raises(StoreError, match="read-only.*-wal.*copy the folder"):
            load(d)
    finally:
        _chattr("-i", d)
    assert len(load(d)["finals"]) == 1  # writable again: SQLite recovers the log


def test_open_only_reads(finished):
    """RunStore.open is for loading: a write through it fails (before: it was writable)."""
    before = tree(finished)
    with RunStore.open(finished) as store:
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
            store.con.execute("DELETE FROM runs")
    assert tree(finished) == before
    assert len(load(finished)["finals"]) == 16


def test_loading_leaves_no_sqlite_files_behind(finished):
    """Reading a store leaves the folder as it was (no -wal / -shm left by a read-only open)."""
    names = sorted(p.name for p in finished.iterdir())
    load(finished)
    export(finished, "csv", finished.parent / "export_out")
    assert sorted(p.name for p in finished.iterdir()) == names
