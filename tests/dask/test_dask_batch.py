"""``grade batch --executor dask`` on a real ``distributed.LocalCluster`` (worker processes, not threads).

One cluster for the module (2 workers, 1 thread each): the same gradebook as a local batch; a worker
killed mid-batch loses and doubles nothing; the secret is in no worker log, file or environment.
Skipped when ``distributed`` (the ``[dask]`` extra) is not installed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.batch.helpers import EXERCISES, ROOT, SECRET, grade_cmd, mixed_class, run_grade, write_class

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask

HOSTILE = {
    ("zz-killer", "exercise04.py"): "import os\nos.kill(os.getpid(), 9)\n",  # kills its sandbox child
    ("zz-exit", "exercise05.py"): "import os\nos._exit(3)\n",
    ("zz-syntax", "exercise08.py"): "def broken(:\n",
}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=False
    ) as made:
        yield made


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster, set_as_default=False) as made:
        yield made


def run_batch(folder: Path, db: Path, executor: str = "local", scheduler: str | None = None, report=None):
    from grader.classroom import batch
    from grader.classroom.course_config import Course, Secret

    opts = batch.Options(
        folder,
        Secret(SECRET, "tests"),
        Course(),
        db,
        jobs=2,
        exercises_dir=EXERCISES,
        executor=executor,
        scheduler=scheduler,
    )
    return batch.run(opts, report)


def gradebook(db: Path) -> dict[str, list[tuple]]:
    """Every stored row that a grading decides (no ids, times or durations), in a stable order."""
    con = sqlite3.connect(db)
    key = "s.student, s.item, s.content_sha256"
    try:
        return {
            "results": con.execute(
                f"SELECT {key}, s.kind, s.size, s.filename, s.time_source, r.exercise_digest, r.grader_version, "
                "r.secret_id, r.status, r.score, r.max_score, r.error_kind, r.verdict "
                "FROM results r JOIN submissions s ON s.id = r.submission_id ORDER BY 1, 2, 3"
            ).fetchall(),
            "tasks": con.execute(
                f"SELECT {key}, t.position, t.function, t.kind, t.score, t.max_score, t.passed, t.error_kind, "
                "t.blame_node, t.blame_mistake FROM tasks t JOIN results r ON r.id = t.result_id "
                "JOIN submissions s ON s.id = r.submission_id ORDER BY 1, 2, 3, 4"
            ).fetchall(),
            "checks": sorted(
                con.execute(
                    f"SELECT {key}, c.task, c.point, c.node, c.public, c.ok, c.expected, c.got, c.mistake, c.why "
                    "FROM checks c JOIN results r ON r.id = c.result_id JOIN submissions s ON s.id = r.submission_id"
                ).fetchall(),
                key=repr,
            ),
        }
    finally:
        con.close()


def test_a_dask_batch_gives_the_gradebook_of_a_local_batch(tmp_path, cluster):
    klass = write_class(mixed_class(tmp_path / "class", 5), HOSTILE)
    local = run_batch(klass, tmp_path / "local.db")
    dask = run_batch(klass, tmp_path / "dask.db", "dask", cluster.scheduler_address)
    assert dask["executor"]["kind"] == "dask" and dask["executor"]["threads"] == 2
    assert (dask["graded"], dask["faults"]) == (local["graded"], 0) == (18, 0)
    assert dask["statuses"] == local["statuses"] and dask["statuses"]["error"] == 3  # the sandbox killers: graded
    assert dask["isolation"] == local["isolation"]
    expected, got = gradebook(tmp_path / "local.db"), gradebook(tmp_path / "dask.db")
    assert len(got["checks"]) > 100
    assert got == expected

    again = run_batch(klass, tmp_path / "dask.db", "dask", cluster.scheduler_address)  # resumable, idempotent
    assert (again["graded"], again["up_to_date"], again["executor"]["chunks"]) == (0, 18, 0)
    assert gradebook(tmp_path / "dask.db") == expected


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(tmp_path, cluster, client):
    klass = mixed_class(tmp_path / "class", 16)  # 48 files: chunks of 6, several in flight on each worker
    killed: list[int] = []

    def report(progress) -> None:
        if killed or progress.done < 1:
            return
        busy = [(addr, keys) for addr, keys in client.processing().items() if keys]
        pids = client.run(os.getpid, workers=[busy[0][0]])
        for pid in pids.values():
            os.kill(pid, signal.SIGKILL)  # the worker process itself, mid-chunk (its nanny restarts it)
            killed.append((pid, busy[0][0], busy[0][1]))

    summary = run_batch(klass, tmp_path / "dask.db", "dask", cluster.scheduler_address, report)
    assert killed, "no worker was busy when the first result came back"
    _pid, address, chunks = killed[0]
    assert any(key.startswith("grade-chunk-") for key in chunks)  # it held a chunk when it died
    scheduler_log = "\n".join(message for _level, message in client.get_scheduler_logs())
    assert f"Remove worker addr: {address}" in scheduler_log  # ...and the scheduler saw it die
    assert (summary["graded"], summary["faults"], summary["interrupted"]) == (48, 0, False)
    con = sqlite3.connect(tmp_path / "dask.db")
    counts = con.execute("SELECT COUNT(*), COUNT(DISTINCT submission_id) FROM results").fetchone()
    con.close()
    assert counts == (48, 48)
    run_batch(klass, tmp_path / "local.db")
    assert gradebook(tmp_path / "dask.db") == gradebook(tmp_path / "local.db")
    client.wait_for_workers(2, timeout=30)  # the nanny's replacement, for the next test


def test_a_chunk_dask_gives_up_on_is_split_and_graded_alone(tmp_path):
    """With ``allowed-failures`` 0, Dask gives up on a chunk at its worker's first death (KilledWorker):
    the batch sends each of its submissions alone, and still loses nothing."""
    import dask

    klass = mixed_class(tmp_path / "class", 16)  # chunks of 6: ~0.15 s each, so the kill lands mid-chunk
    killed: list[int] = []
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):

        def report(progress) -> None:
            busy = [addr for addr, keys in client.processing().items() if keys]
            if not killed and progress.done >= 1 and busy:
                for pid in client.run(os.getpid, workers=busy[:1]).values():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

        summary = run_batch(klass, tmp_path / "dask.db", "dask", cluster.scheduler_address, report)
    assert killed and summary["executor"]["chunks_split"] >= 1, (
        summary["executor"],
        summary["graded"],
        summary["faults"],
        summary["fault_examples"],
    )
    assert (summary["graded"], summary["faults"]) == (48, 0)
    run_batch(klass, tmp_path / "local.db")
    assert gradebook(tmp_path / "dask.db") == gradebook(tmp_path / "local.db")


def test_the_secret_reaches_no_worker_log_file_or_environment(tmp_path, capfd):
    from grader.classroom.dask_executor import CoursePayload, grade_chunk

    # a cluster of its own, started under capfd: its workers' stderr is captured too
    with (
        distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=False
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        klass = write_class(mixed_class(tmp_path / "class", 2), HOSTILE)
        summary = run_batch(klass, tmp_path / "dask.db", "dask", cluster.scheduler_address)
        assert summary["graded"] == 9
        payload = CoursePayload(SECRET, "en", {})
        assert SECRET not in repr(payload) and SECRET not in str(payload) and "<redacted>" in repr(payload)
        # a task that fails with the payload as argument: Dask logs the failed task (older versions with
        # the arguments' repr)
        with pytest.raises(TypeError):
            failed = client.submit(int, payload, pure=False)
            failed.result()
        # a chunk whose grading faults (an exercise the worker cannot load): the worker prints a traceback
        chunk = [{"id": 0, "exercise_path": "/nowhere.yaml"}]
        fault = client.submit(grade_chunk, payload, chunk, pure=False).result()
        assert fault["replies"][0]["ok"] is False and SECRET not in fault["replies"][0]["fault"]

        logs = [client.get_scheduler_logs(), *client.get_worker_logs().values()]
        logs += client.get_worker_logs(nanny=True).values()
        text = "\n".join(message for log in logs for _level, message in log)
        assert failed.key in text and SECRET not in text
        stderr = capfd.readouterr().err  # the workers' own stderr
        assert "UsageError: /nowhere.yaml" in stderr and failed.key in stderr and SECRET not in stderr

        def scan(dask_worker) -> list[str]:
            """On a worker: the environment variables and the files of its local directory that hold the secret."""
            hits = [key for key, value in os.environ.items() if SECRET in value]
            for folder, _dirs, names in os.walk(dask_worker.local_directory):
                for name in names:
                    try:
                        if SECRET.encode() in Path(folder, name).read_bytes():
                            hits.append(str(Path(folder, name)))
                    except OSError:
                        pass
            return hits

        assert client.run(scan) == {addr: [] for addr in client.scheduler_info()["workers"]}


def test_a_plain_batch_never_imports_distributed(tmp_path):
    code = (
        "import sys; from grader.cli import main; from grader.classroom import batch, executor, worker; "
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_dask_without_a_scheduler_is_a_usage_error(tmp_path):
    from grader.errors import UsageError

    klass = mixed_class(tmp_path / "class", 1)
    with pytest.raises(UsageError, match="--scheduler"):
        run_batch(klass, tmp_path / "grades.db", "dask")


def test_the_command_line(tmp_path, cluster):
    klass = mixed_class(tmp_path / "class", 2)
    done = run_grade(
        grade_cmd(klass, tmp_path / "g.db", "--executor", "dask", "--scheduler", cluster.scheduler_address), tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert (summary["graded"], summary["executor"]["kind"], summary["jobs"]) == (6, "dask", 2)
    assert SECRET not in done.stdout + done.stderr
    usage = run_grade(grade_cmd(klass, tmp_path / "g.db", "--executor", "dask"), tmp_path)
    assert usage.returncode == 2 and "--scheduler" in usage.stderr
