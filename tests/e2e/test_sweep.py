"""coldbench sweep: TOML experiments, SQLite history, resume after kill -9,
history/export, and experiment-file errors with file:line."""

import json
import os
import signal
import sqlite3
import subprocess
import textwrap
import time
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, describe, main, temp_dir, run_coldbench

EXPERIMENT = textwrap.dedent("""\
    [experiment]
    name = "fixture-study"
    runs = {runs}
    warmup = 1
    order = "random"
    seed = 7

    [defaults]
    command = "{fixture} {hold}sleep:{{delay}} phase:runtime_ready sleep:5 phase:model_loaded metric:latency=1,2,3"
    env = {{ CB_STUDY = "yes" }}

    [[config]]
    name = "plain"

    [[config]]
    name = "pinned"
    affinity = "0"

    [matrix]
    delay = [10, 30]
    """)


# A failing workload that writes bytes that are not UTF-8 to stderr.
BINARY_STDERR_EXPERIMENT = textwrap.dedent("""\
    [experiment]
    name = "binary-stderr"
    runs = 12

    [defaults]
    command = "printf 'binary \\\\377\\\\376\\\\n' >&2; sleep 0.1; exit 1"
    shell = true
    """)


class SweepTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "cb-sweep-")
        self.db = os.path.join(self.tmp, "history.sqlite")

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def sweep(self, *args, **kwargs):
        return run_coldbench(["sweep", "--db", self.db, "--no-progress"] + list(args), json_output=False, **kwargs)

    def test_dry_run_expands_configs_and_matrix(self):
        path = self.write("study.toml", EXPERIMENT.format(runs=3, fixture=CB_FIXTURE, hold=""))
        result = self.sweep(path, "--dry-run")
        self.assertEqual(result.returncode, 0, describe(result))
        for name in ("plain/delay=10", "plain/delay=30", "pinned/delay=10", "pinned/delay=30"):
            self.assertIn(name, result.stdout)
        self.assertIn("4 configs x (3 runs + 1 warmup) = 16 runs", result.stdout)
        self.assertFalse(os.path.exists(self.db), "a dry run must not touch the history")

    def test_sweep_history_export_and_labels(self):
        path = self.write("study.toml", EXPERIMENT.format(runs=3, fixture=CB_FIXTURE, hold=""))
        json_path = os.path.join(self.tmp, "s.json")
        result = self.sweep(path, "--json", json_path)
        self.assertEqual(result.returncode, 0, describe(result))
        with open(json_path) as f:
            doc = json.load(f)
        self.assertEqual(len(doc["runs"]), 16)
        names = {c["name"] for c in doc["commands"]}
        self.assertEqual(names, {"plain/delay=10", "plain/delay=30", "pinned/delay=10", "pinned/delay=30"})
        pinned = [r for r in doc["runs"] if r["command"] == "pinned/delay=30" and not r["warmup"]]
        self.assertEqual(len(pinned), 3)
        self.assertEqual(pinned[0]["labels"]["delay"], "30")
        self.assertEqual(pinned[0]["labels"]["affinity"], "0")
        self.assertEqual(pinned[0]["labels"]["env.CB_STUDY"], "yes")
        self.assertEqual(pinned[0]["limits"]["affinity"], "0")
        self.assertGreater(pinned[0]["phases"][0]["duration_ms"], 30.0)
        # Random interleaving: not config by config.
        order = [r["command"] for r in doc["runs"] if not r["warmup"]]
        self.assertNotEqual(order, sorted(order))

        history = run_coldbench(["history", "--db", self.db], json_output=False)
        self.assertEqual(history.returncode, 0, describe(history))
        self.assertIn("fixture-study", history.stdout)
        self.assertIn("16/16", history.stdout)
        self.assertIn("finished", history.stdout)

        exported = run_coldbench(["export", "1", "--json", "--db", self.db], json_output=False)
        self.assertEqual(exported.returncode, 0, describe(exported))
        self.assertEqual(len(json.loads(exported.stdout)["runs"]), 16)
        csv_out = run_coldbench(["export", "latest", "--csv", "--db", self.db], json_output=False)
        self.assertEqual(len(csv_out.stdout.strip().splitlines()), 17)
        self.check_export_file_forms(exported.stdout)

        # One transaction per run: the rows are in SQLite with their records.
        with sqlite3.connect(self.db) as db:
            self.assertEqual(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0], 16)
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        self.assertEqual(mode, "wal")

    def check_export_file_forms(self, exported_json):
        """`export --json FILE` as in run and sweep; the older `--json [-o FILE]` still works."""
        new_form = os.path.join(self.tmp, "new.json")
        result = run_coldbench(["export", "1", "--json", new_form, "--db", self.db], json_output=False)
        self.assertEqual(result.returncode, 0, describe(result))
        with open(new_form) as f:
            self.assertEqual(f.read(), exported_json)
        old_form = os.path.join(self.tmp, "old.json")
        result = run_coldbench(["export", "1", "--json", "-o", old_form, "--db", self.db], json_output=False)
        self.assertEqual(result.returncode, 0, describe(result))
        with open(old_form) as f:
            self.assertEqual(f.read(), exported_json)
        csv_path = os.path.join(self.tmp, "runs.csv")
        result = run_coldbench(["export", "1", "--csv", csv_path, "--db", self.db], json_output=False)
        self.assertEqual(result.returncode, 0, describe(result))
        with open(csv_path) as f:
            self.assertEqual(len(f.read().strip().splitlines()), 17)
        stdout = run_coldbench(["export", "1", "--json", "-", "--db", self.db], json_output=False)
        self.assertEqual(stdout.stdout, exported_json)
        # The session before --json: --json takes it as its file, and says so.
        swapped = run_coldbench(["export", "--json", "1", "--db", self.db], json_output=False)
        self.assertEqual(swapped.returncode, 2, describe(swapped))
        self.assertIn("coldbench export SESSION --json FILE", swapped.stderr)
        twice = run_coldbench(["export", "1", "--json", new_form, "-o", old_form, "--db", self.db], json_output=False)
        self.assertEqual(twice.returncode, 2, describe(twice))
        self.assertIn("given twice", twice.stderr)

    def test_history_database_that_is_a_symlink_is_refused_and_its_target_untouched(self):
        # A link planted where the history goes would have a root sweep create
        # or rewrite its target as an SQLite file.
        victim = os.path.join(self.tmp, "victim")
        open(victim, "w").close()
        os.symlink(victim, self.db)
        path = self.write("study.toml", EXPERIMENT.format(runs=1, fixture=CB_FIXTURE, hold=""))
        result = self.sweep(path)
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("is a symbolic link", result.stderr)
        self.assertEqual(os.path.getsize(victim), 0)

    def held_experiment(self, runs, passes):
        """The experiment whose runs after the first `passes` wait for self.release to exist."""
        self.release = os.path.join(self.tmp, "release")
        # Whatever happens to the test, no held fixture outlives it.
        self.addCleanup(lambda: open(self.release, "a").close())
        return self.write("study.toml", EXPERIMENT.format(runs=runs, fixture=CB_FIXTURE,
                                                          hold=f"hold:{passes}:{self.release} "))

    def wait_for_runs(self, proc, count):
        """Polls the history until it holds `count` runs; the sweep cannot get past them."""
        done = 0
        deadline = time.time() + 300  # a safety net, not a bound: the held run waits anyway
        while time.time() < deadline and done < count and proc.poll() is None:
            time.sleep(0.05)
            if os.path.exists(self.db):
                try:
                    with sqlite3.connect(self.db, timeout=5) as db:
                        done = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                except sqlite3.OperationalError:
                    pass
        return done

    def test_kill_9_then_resume_keeps_finished_runs(self):
        # Nine runs (warmups included) pass; the tenth waits in the fixture, so the
        # sweep is killed in the middle by construction, not by timing.
        path = self.held_experiment(runs=6, passes=9)
        proc = subprocess.Popen([COLDBENCH, "sweep", path, "--db", self.db, "--no-progress"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertEqual(self.wait_for_runs(proc, 9), 9)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        open(self.release, "a").close()  # the orphaned held run may finish now
        with sqlite3.connect(self.db) as db:
            kept = db.execute("SELECT sequence, command, run_index, warmup FROM runs ORDER BY sequence").fetchall()
            status = db.execute("SELECT status FROM sessions").fetchone()[0]
        self.assertEqual(len(kept), 9)
        self.assertEqual(status, "running")

        result = self.sweep(path, "--resume")
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn(f"resumed session 1: {len(kept)} runs were already done", result.stderr)
        with sqlite3.connect(self.db) as db:
            after = db.execute("SELECT sequence, command, run_index, warmup FROM runs ORDER BY sequence").fetchall()
            sessions = db.execute("SELECT COUNT(*), MAX(status) FROM sessions").fetchone()
        self.assertEqual(sessions, (1, "finished"))
        self.assertEqual(after[:len(kept)], kept, "finished runs must be kept as they were")
        self.assertEqual(len(after), 4 * (6 + 1))
        keys = [(c, i, w) for _, c, i, w in after]
        self.assertEqual(len(keys), len(set(keys)), "no run may be repeated")

        # The report of the resumed session has the same structure as an uninterrupted one.
        fresh_db = os.path.join(self.tmp, "fresh.sqlite")
        fresh = run_coldbench(["sweep", path, "--db", fresh_db, "--no-progress"], json_output=False)
        self.assertEqual(fresh.returncode, 0, describe(fresh))
        resumed_doc = json.loads(run_coldbench(["export", "1", "--json", "--db", self.db], json_output=False).stdout)
        fresh_doc = json.loads(run_coldbench(["export", "1", "--json", "--db", fresh_db], json_output=False).stdout)

        def shape(doc):
            return [(c["name"], c["measured_runs"], [p["name"] for p in c["phases"]],
                     [m["name"] for m in c["metrics"]]) for c in doc["summary"]["commands"]]
        self.assertEqual(shape(resumed_doc), shape(fresh_doc))

    def test_invalid_utf8_from_workload_neither_aborts_the_sweep_nor_its_resume(self):
        # Found in review: the sweep aborted (SIGABRT) at the first such run,
        # left its session 'running', and --resume aborted again at the same run.
        path = self.write("binary.toml", BINARY_STDERR_EXPERIMENT)
        proc = subprocess.Popen([COLDBENCH, "sweep", path, "--db", self.db, "--no-progress"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done_before = 0
        deadline = time.time() + 60
        while time.time() < deadline and done_before < 3 and proc.poll() is None:
            time.sleep(0.05)
            if os.path.exists(self.db):
                try:
                    with sqlite3.connect(self.db, timeout=5) as db:
                        done_before = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                except sqlite3.OperationalError:
                    pass
        self.assertIsNone(proc.poll(), f"the sweep ended early, exit {proc.returncode}")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with sqlite3.connect(self.db) as db:
            self.assertEqual(db.execute("SELECT status FROM sessions").fetchone()[0], "running")

        result = self.sweep(path, "--resume")
        self.assertEqual(result.returncode, 1, describe(result))  # every run failed, and was recorded
        self.assertIn("resumed session 1", result.stderr)
        with sqlite3.connect(self.db) as db:
            sessions = db.execute("SELECT COUNT(*), MAX(status) FROM sessions").fetchone()
            runs = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        self.assertEqual(sessions, (1, "finished"))
        self.assertEqual(runs, 12)
        exported = run_coldbench(["export", "1", "--json", "--db", self.db], json_output=False)
        self.assertEqual(exported.returncode, 0, describe(exported))
        tails = {r["output_tail"] for r in json.loads(exported.stdout)["runs"]}
        self.assertEqual(tails, {b"binary \xff\xfe\n".decode("utf-8", "replace")})

    def test_experiment_that_is_not_utf8_points_to_file_and_line(self):
        # Config names, commands and rules from TOML are UTF-8 by TOML's rules: checked, not repaired.
        path = os.path.join(self.tmp, "latin1.toml")
        with open(path, "wb") as f:
            f.write(b'[experiment]\nname = "x"\n[defaults]\ncommand = "true"\n[[config]]\nname = "caf\xe9"\n')
        result = self.sweep(path, "--dry-run")
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("latin1.toml:6:", result.stderr)
        self.assertIn("invalid utf-8", result.stderr)

    def test_resume_refuses_a_changed_experiment(self):
        path = self.held_experiment(runs=30, passes=2)
        proc = subprocess.Popen([COLDBENCH, "sweep", path, "--db", self.db, "--no-progress"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertEqual(self.wait_for_runs(proc, 2), 2)  # the session exists; the third run waits
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(timeout=120), 130)
        with open(path) as f:
            changed = f.read().replace("runs = 30", "runs = 31")
        self.write("study.toml", changed)
        result = self.sweep(path, "--resume")
        self.assertEqual(result.returncode, 2)
        self.assertIn("the experiment changed", result.stderr)

    def test_contrasts_choose_what_the_study_compares(self):
        text = EXPERIMENT.format(runs=3, fixture=CB_FIXTURE, hold="") + textwrap.dedent("""\

            [[contrast]]
            name = "longer delay"
            baseline = "plain/delay=10"
            candidate = "plain/delay=30"
            """)
        path = self.write("study.toml", text)
        dry = self.sweep(path, "--dry-run")
        self.assertEqual(dry.returncode, 0, describe(dry))
        self.assertIn("compares ([[contrast]]):", dry.stdout)
        self.assertRegex(dry.stdout, r"longer delay\s+plain/delay=30\s+plain/delay=10")
        result = self.sweep(path)
        self.assertEqual(result.returncode, 0, describe(result))
        document = json.loads(run_coldbench(["export", "1", "--json", "--db", self.db], json_output=False).stdout)
        comparisons = document["summary"]["comparisons"]
        self.assertEqual([(c["baseline"], c["candidate"]) for c in comparisons], [("plain/delay=10", "plain/delay=30")])
        self.assertEqual(document["options"]["contrasts"],
                         [{"name": "longer delay", "baseline": "plain/delay=10", "candidate": "plain/delay=30"}])
        # The study table lists that comparison only (not every config against the first).
        self.assertNotIn("pinned/delay=10  plain/delay=10", result.stdout)
        self.assertRegex(result.stdout, r"plain/delay=30\s+plain/delay=10\s+wall")

    def test_bad_experiment_files_point_to_file_and_line(self):
        cases = {
            "syntax": ("[experiment]\nname = \"x\"\nruns = \n", "syntax.toml:3:"),
            "unknown": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\n[[config]]\nname = \"a\"\ncpu = 1\n",
                        "unknown.toml:7:1: unknown key 'cpu' in [[config]] (did you mean 'cpus'?)"),
            "cpus": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\ncpus = 64\n",
                     "cpus.toml:5:8: impossible limit cpus = 64"),
            "cpuset": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\ncpuset = \"7-9\"\n", "cpuset.toml:5:"),
            "memory": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\nmemory = \"1K\"\n",
                       "impossible limit memory"),
            "runs": ("[experiment]\nname = \"x\"\nruns = 0\n[defaults]\ncommand = \"true\"\n",
                     "runs.toml:3:8: 'runs' must be an integer >= 1"),
            "matrix": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\n[matrix]\nmode = [\"a\"]\n",
                       "matrix key 'mode' is neither a config key nor used as {mode}"),
            "nocommand": ("[experiment]\nname = \"x\"\n", "has no 'command'"),
            "seed": ("[experiment]\nname = \"x\"\nseed = -1\n[defaults]\ncommand = \"true\"\n",
                     "seed.toml:3:8: seed -1 is negative"),
            "envname": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\nenv = { \"A=B\" = \"1\" }\n",
                        "environment variable name 'A=B' contains '='"),
            "noname": ("[experiment]\nruns = 2\n", "needs a non-empty 'name'"),
            # exec would have cut "echo a\0b" to "echo a" without a word.
            "nul": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"echo a\\u0000b\"\n",
                    "the command contains a NUL character"),
            "nulmatrix": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = [\"echo\", \"{w}\"]\n"
                          "[matrix]\nw = [\"a\\u0000b\"]\n", "the command contains a NUL character"),
            "contrast": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\n[[contrast]]\n"
                         "baseline = \"x\"\ncandidate = \"y\"\n",
                         "contrast.toml:7:13: [[contrast]] candidate 'y' is not a config of this experiment"),
            "contrastself": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\n[[contrast]]\n"
                             "baseline = \"x\"\ncandidate = \"x\"\n", "compares 'x' with itself"),
            "contrastkey": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\n[[contrast]]\n"
                            "base = \"x\"\n", "unknown key 'base' in [[contrast]]"),
            "backref": ("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\nphases = { p = \"(a)\\\\1\" }\n",
                        "--phase p: invalid regular expression '(a)\\1'"),
        }
        for name, (text, expected) in cases.items():
            path = self.write(f"{name}.toml", text)
            result = self.sweep(path, "--dry-run")
            self.assertEqual(result.returncode, 2, f"{name}: {describe(result)}")
            self.assertIn(expected, result.stderr, name)
        missing = self.sweep(os.path.join(self.tmp, "absent.toml"))
        self.assertEqual(missing.returncode, 2)
        self.assertIn("cannot read experiment file", missing.stderr)


if __name__ == "__main__":
    main()
