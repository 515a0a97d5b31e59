"""One process per session, and a history that is checked before it is
trusted: a second --resume of a running session is refused naming the
process; --resume of a finished session runs nothing; a damaged history is
found before the first run, named as damaged (not as a missing session), and
history/report read a database they may not write."""

import os
import signal
import sqlite3
import subprocess
import textwrap
import time
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, describe, main, temp_dir, run_coldbench, unprivileged_prefix

STUDY = textwrap.dedent("""\
    [experiment]
    name = "locked-study"
    runs = {runs}
    seed = 3

    [defaults]
    command = "{command}"

    [matrix]
    delay = [20, 40]
    """)


def damage_table(db, table):
    """Overwrites the root page of `table` with garbage."""
    with sqlite3.connect(db) as conn:
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(db, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xa5" * size)


class SweepSessionsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "cb-sessions-")
        self.db = os.path.join(self.tmp, "history.sqlite")

    def study(self, runs=2, command=None):
        path = os.path.join(self.tmp, "study.toml")
        command = command or f"{CB_FIXTURE} sleep:{{delay}} phase:done"
        with open(path, "w") as f:
            f.write(STUDY.format(runs=runs, command=command))
        return path

    def sweep(self, *args, db=None, **kwargs):
        return run_coldbench(["sweep", "--db", db or self.db, "--no-progress"] + list(args), json_output=False,
                             **kwargs)

    def run_count(self):
        with sqlite3.connect(self.db, timeout=10) as conn:
            return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def wait_for_runs(self, count, process=None, timeout_s=60):
        """Until the history holds COUNT runs (or PROCESS has exited, or the time is up)."""
        deadline = time.time() + timeout_s
        while time.time() < deadline and (process is None or process.poll() is None):
            try:
                if os.path.exists(self.db) and self.run_count() >= count:
                    return
            except sqlite3.OperationalError:  # locked by the writer: ask again
                pass
            time.sleep(0.05)

    def test_second_resume_of_a_running_session_is_refused_naming_its_process(self):
        path = self.study(runs=200)
        first = subprocess.Popen([COLDBENCH, "sweep", path, "--db", self.db, "--no-progress"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.wait_for_runs(2)
            second = self.sweep(path, "--resume")
            self.assertEqual(second.returncode, 2, describe(second))
            self.assertIn(f"session 1 is being run by process {first.pid}", second.stderr)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()

    def test_resume_after_kill_9_is_not_blocked_by_a_stale_lock(self):
        path = self.study(runs=100)
        first = subprocess.Popen([COLDBENCH, "sweep", path, "--db", self.db, "--no-progress"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_for_runs(2)
        first.send_signal(signal.SIGKILL)
        first.wait()
        # A smaller study would be a changed experiment; interrupt the resume instead of finishing 200 runs.
        resumed = subprocess.Popen([COLDBENCH, "sweep", path, "--db", self.db, "--resume", "--no-progress"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        resumed.send_signal(signal.SIGINT)
        _, stderr = resumed.communicate(timeout=60)
        self.assertEqual(resumed.returncode, 130, stderr)
        self.assertIn("resumed session 1", stderr)

    def test_the_printed_resume_command_resumes_this_session(self):
        # Issue 19: the hint after Ctrl-C left out --db, so running it as printed started a new
        # session in the default database. Run it as printed, from another directory.
        path = self.study(runs=100)
        first = subprocess.Popen([COLDBENCH, "sweep", path, "--db", self.db, "--no-progress"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.wait_for_runs(2)
        first.send_signal(signal.SIGINT)
        _, stderr = first.communicate(timeout=60)
        self.assertEqual(first.returncode, 130, stderr)
        hint = stderr[stderr.index("interrupted: continue with `") + len("interrupted: continue with `"):]
        hint = hint[: hint.index("`")]
        self.assertTrue(hint.startswith("coldbench sweep "), hint)
        self.assertIn("--db", hint)
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.mkdir(elsewhere)
        env = dict(os.environ)
        env.pop("COLDBENCH_DB", None)
        resumed = subprocess.Popen(["/bin/sh", "-c", "exec " + COLDBENCH + hint[len("coldbench"):]], cwd=elsewhere,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.wait_for_runs(self.run_count() + 1, resumed)  # the resumed session has added a run here
        resumed.send_signal(signal.SIGINT)
        _, stderr = resumed.communicate(timeout=60)
        self.assertEqual(resumed.returncode, 130, stderr)
        self.assertIn("resumed session 1", stderr)
        self.assertFalse(os.path.exists(os.path.join(elsewhere, "results")), os.listdir(elsewhere))
        with sqlite3.connect(self.db) as conn:
            self.assertEqual(conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0], 1)

    def test_resume_of_a_finished_session_runs_nothing(self):
        path = self.study()
        self.assertEqual(self.sweep(path).returncode, 0)
        before = self.run_count()
        result = self.sweep(path, "--resume")
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("nothing to resume: session 1 of 'locked-study' finished (4/4 runs)", result.stderr)
        with sqlite3.connect(self.db) as conn:
            self.assertEqual(conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0], 1)
        self.assertEqual(self.run_count(), before)

    def test_resume_without_any_session_starts_one_and_says_so(self):
        result = self.sweep(self.study(), "--resume")
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("no session of 'locked-study' to resume", result.stderr)
        self.assertEqual(self.run_count(), 4)

    def test_damaged_runs_table_is_found_before_the_first_run(self):
        self.assertEqual(self.sweep(self.study()).returncode, 0)
        damage_table(self.db, "runs")
        touched = os.path.join(self.tmp, "a-run-happened")
        result = self.sweep(self.study(command=f"touch {touched}.{{delay}}"))
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn(f"history database '{self.db}' is damaged", result.stderr)
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith("a-run-happened")], [],
                         "a run executed although its result could not be kept")

    def test_damaged_history_is_named_damaged_not_a_missing_session(self):
        self.assertEqual(self.sweep(self.study()).returncode, 0)
        damage_table(self.db, "sessions")
        for args in (["report", "1", "--db", self.db], ["export", "1", "--json", "--db", self.db],
                     ["history", "--db", self.db]):
            result = run_coldbench(args, json_output=False)
            self.assertEqual(result.returncode, 2, f"{args}: {describe(result)}")
            self.assertIn(f"history database '{self.db}' is damaged", result.stderr, args)
            self.assertIn("database disk image is malformed", result.stderr, args)
            self.assertNotIn("no session", result.stderr, args)

    def test_history_and_report_read_a_database_they_cannot_write(self):
        user, prefix = unprivileged_prefix(self)
        self.assertEqual(self.sweep(self.study()).returncode, 0)
        os.chmod(self.tmp, 0o755)
        os.chmod(self.db, 0o444)
        if user is None:
            os.chmod(self.tmp, 0o555)  # as ourselves: a directory we may not write either
        try:
            listed = run_coldbench(["history", "--db", self.db], json_output=False, user_prefix=prefix)
            self.assertEqual(listed.returncode, 0, describe(listed))
            self.assertIn("locked-study", listed.stdout)
            reported = run_coldbench(["report", "1", "--db", self.db], json_output=False, user_prefix=prefix)
            self.assertEqual(reported.returncode, 0, describe(reported))
            self.assertIn("delay=20", reported.stdout)
            self.assertEqual(sorted(os.listdir(self.tmp)), ["history.sqlite", "history.sqlite.lock", "study.toml"])
        finally:
            os.chmod(self.tmp, 0o755)


if __name__ == "__main__":
    main()
