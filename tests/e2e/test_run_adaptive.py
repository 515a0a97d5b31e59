"""--runs auto: run and sweep decide how many runs to make.

Timing decides how many runs a session takes, so these tests check what
holds whatever the machine's noise: the runs in the file are the runs the
session says it used, a command stops for the reason it states (a target
reached is a median interval within the target, in the same file), a
comparison session stops on a verdict decided at its look's share of alpha,
and bad settings are exit 2 with the option named.
"""

import json
import math
import os
import signal
import sqlite3
import subprocess
import textwrap
import time
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, describe, main, temp_dir, run_coldbench


def look_alpha(alpha, look, looks):
    """stats::look_alpha: the Lan-DeMets Pocock-type spending increment."""
    spend = lambda t: alpha * math.log1p((math.e - 1.0) * t)
    return spend(look / looks) - spend((look - 1) / looks)


class RunAutoTest(unittest.TestCase):
    def test_one_command_stops_when_its_median_is_known_or_at_max_runs(self):
        result = run_coldbench(["run", "--runs", "auto", "--target-ci", "5%", "--min-runs", "4", "--max-runs", "40",
                                "--", CB_FIXTURE, "sleep:20", "phase:done"])
        self.assertEqual(result.returncode, 0, describe(result))
        adaptive = result.json["adaptive"]
        self.assertEqual(adaptive["rule"], "precision")
        self.assertEqual((adaptive["target_ci"], adaptive["min_runs"], adaptive["max_runs"]), (0.05, 4, 40))
        command = adaptive["commands"][0]
        runs = result.measured_runs()
        self.assertEqual(command["runs"], len(runs))
        self.assertEqual([r["index"] for r in runs], list(range(len(runs))))
        self.assertGreaterEqual(len(runs), 6)  # the first n whose median interval reaches 95%
        self.assertLessEqual(len(runs), 40)
        self.assertIn(command["stopped"], ("target-ci", "max-runs"))
        stats = result.command_summary(command["name"])["wall"]["stats"]
        ci = stats["median_ci"]
        half = max(stats["median"] - ci["low"], ci["high"] - stats["median"]) / stats["median"]
        self.assertAlmostEqual(command["median_ci_half_width"], half, places=9)
        if command["stopped"] == "target-ci":
            self.assertLessEqual(half, 0.05)
        else:  # max-runs: it never got there, and says so
            self.assertEqual(len(runs), 40)
            self.assertGreater(half, 0.05)
        self.assertIn("Runs: auto, until each median's 95% interval is within +-5%", result.stdout)
        self.assertIn(f"{len(runs)} runs, stopped:", result.stdout)
        self.assertEqual(result.json["options"]["runs"], "auto")

    def test_several_commands_stop_together_on_a_conclusive_verdict_at_the_looks_alpha(self):
        # 10 ms against 80 ms: "slower" is certain after a few rounds, whatever the noise.
        result = run_coldbench(["run", "--runs", "auto", "--max-runs", "30",
                                "--command", f"fast={CB_FIXTURE} sleep:10", "--command", f"slow={CB_FIXTURE} sleep:80"])
        self.assertEqual(result.returncode, 0, describe(result))
        adaptive = result.json["adaptive"]
        self.assertEqual(adaptive["rule"], "comparison")
        fast, slow = adaptive["commands"]
        self.assertEqual((fast["stopped"], slow["stopped"]), ("conclusive", "conclusive"), describe(result))
        self.assertEqual(fast["runs"], slow["runs"])  # whole rounds
        self.assertEqual(len(result.measured_runs("fast")), fast["runs"])
        sequential = adaptive["sequential"]
        self.assertEqual(sequential["max_looks"], 30 - 5 + 1)
        self.assertEqual(sequential["looks"], fast["runs"] - 5 + 1)
        self.assertAlmostEqual(sequential["decision_alpha"], look_alpha(0.05, sequential["looks"], 26), places=12)
        # The verdicts printed and written are decided at that alpha, not at 0.05.
        summary = result.json["summary"]
        self.assertAlmostEqual(summary["policy"]["alpha"], sequential["decision_alpha"], places=12)
        wall = [q for q in summary["comparisons"][0]["quantities"] if q["quantity"] == "wall"][0]
        self.assertEqual(wall["verdict"], "slower")
        self.assertLess(wall["p_adjusted"], sequential["decision_alpha"])
        self.assertIn("in rounds until every comparison with the first command is conclusive", result.stdout)

    def test_gate_runs_until_it_can_decide_and_exits_like_compare(self):
        slower = run_coldbench(["run", "--runs", "auto", "--max-runs", "30", "--gate",
                                "--command", f"base={CB_FIXTURE} sleep:10", "--command", f"new={CB_FIXTURE} sleep:80"])
        self.assertEqual(slower.returncode, 1, describe(slower))
        self.assertIn("gate: REGRESSION", slower.stderr)
        self.assertEqual(slower.json["adaptive"]["commands"][1]["stopped"], "conclusive")
        # A/A: the same command twice is never a regression; with a 50% threshold
        # "equivalent" is reachable within the runs allowed.
        same = run_coldbench(["run", "--runs", "auto", "--max-runs", "20", "--gate", "--threshold", "50%",
                              "--command", f"a={CB_FIXTURE} sleep:20", "--command", f"b={CB_FIXTURE} sleep:20"])
        self.assertIn(same.returncode, (0, 3), describe(same))
        verdicts = [q["verdict"] for c in same.json["summary"]["comparisons"] for q in c["quantities"]]
        self.assertNotIn("slower", verdicts)
        self.assertIn("gate: OK" if same.returncode == 0 else "gate: INCONCLUSIVE", same.stderr)
        # Three fixed runs a side cannot decide: 3, and the way out.
        few = run_coldbench(["run", "-r", "3", "--gate", "--command", f"a={CB_FIXTURE} sleep:10",
                             "--command", f"b={CB_FIXTURE} sleep:80"])
        self.assertEqual(few.returncode, 3, describe(few))
        self.assertIn("--runs auto runs until it can decide", few.stderr)
        alone = run_coldbench(["run", "-r", "3", "--gate", "--", CB_FIXTURE], json_output=False)
        self.assertEqual(alone.returncode, 2, describe(alone))
        self.assertIn("--gate compares commands with the first", alone.stderr)

    def test_max_time_stops_the_session(self):
        result = run_coldbench(["run", "--runs", "auto", "--target-ci", "0.01%", "--max-time", "1s",
                                "--", CB_FIXTURE, "sleep:100"])
        self.assertEqual(result.returncode, 0, describe(result))
        command = result.json["adaptive"]["commands"][0]
        self.assertEqual(command["stopped"], "max-time")
        # It went on while less than the second had passed (the runs before the
        # last took less than that), and stopped far from --max-runs 100.
        walls = [r["wall_ms"] for r in result.measured_runs()]
        self.assertEqual(len(walls), command["runs"])
        self.assertLess(sum(walls[:-1]), 1000)
        self.assertGreaterEqual(sum(walls), 100 * len(walls))
        self.assertLess(command["runs"], 100)
        self.assertEqual(result.json["adaptive"]["max_time_s"], 1)

    def test_failing_command_stops_after_its_first_runs(self):
        result = run_coldbench(["run", "--runs", "auto", "--min-runs", "3", "--", CB_FIXTURE, "exit:3"])
        self.assertEqual(result.returncode, 1, describe(result))
        command = result.json["adaptive"]["commands"][0]
        self.assertEqual((command["stopped"], command["runs"], command["successful_runs"]), ("failing", 3, 0))
        self.assertIn("3 runs, stopped: its first runs all failed", result.stdout)

    def test_bad_settings_are_usage_errors_naming_the_option(self):
        cases = [
            (["--runs", "lots"], "--runs 'lots': give a number of runs (1 to 1000000) or auto"),
            (["--runs", "5", "--target-ci", "1%"], "go with --runs auto"),
            (["--runs", "auto", "--target-ci", "0.02"], "--target-ci: '0.02' is ambiguous"),
            (["--runs", "auto", "--target-ci", "0%"], "--target-ci 0%"),
            (["--runs", "auto", "--min-runs", "1"], "--min-runs 1"),
            (["--runs", "auto", "--min-runs", "10", "--max-runs", "5"], "--max-runs 5"),
            (["--runs", "auto", "--max-time", "soon"], "--max-time"),
        ]
        for extra, message in cases:
            result = run_coldbench(["run"] + extra + ["--", CB_FIXTURE], json_output=False)
            self.assertEqual(result.returncode, 2, describe(result))
            self.assertIn(message, result.stderr)
        sequential = run_coldbench(["run", "--runs", "auto", "--order", "sequential", "--command", f"a={CB_FIXTURE}",
                                    "--command", f"b={CB_FIXTURE}"], json_output=False)
        self.assertEqual(sequential.returncode, 2, describe(sequential))
        self.assertIn("--order sequential has no rounds", sequential.stderr)


STUDY = textwrap.dedent("""\
    [experiment]
    name = "auto-study"
    runs = "auto"
    target_ci = "{target}"
    min_runs = 3
    max_runs = {max_runs}
    warmup = 1
    order = "random"
    seed = 3

    [defaults]
    command = "{fixture} {hold}sleep:{{delay}} phase:done"

    [matrix]
    delay = [5, 25]
    """)


class SweepAutoTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "cb-sweep-auto-")
        self.db = os.path.join(self.tmp, "history.sqlite")

    def write(self, text):
        path = os.path.join(self.tmp, "study.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def sweep(self, *args):
        return run_coldbench(["sweep", "--db", self.db, "--no-progress"] + list(args), json_output=False)

    def export(self):
        result = run_coldbench(["export", "1", "--json", "--db", self.db], json_output=False)
        self.assertEqual(result.returncode, 0, describe(result))
        return json.loads(result.stdout)

    def check_session(self, document, max_runs):
        adaptive = document["adaptive"]
        self.assertEqual(adaptive["rule"], "precision")
        measured = {}
        for run in document["runs"]:
            if not run["warmup"]:
                measured.setdefault(run["command"], []).append(run["index"])
        for command in adaptive["commands"]:
            indexes = sorted(measured[command["name"]])
            self.assertEqual(indexes, list(range(command["runs"])), command["name"])
            self.assertIn(command["stopped"], ("target-ci", "max-runs"))
            self.assertGreaterEqual(command["runs"], 3)
            self.assertLessEqual(command["runs"], max_runs)

    def test_each_config_runs_until_its_own_target(self):
        path = self.write(STUDY.format(target="10%", max_runs=25, fixture=CB_FIXTURE, hold=""))
        dry = self.sweep(path, "--dry-run")
        self.assertEqual(dry.returncode, 0, describe(dry))
        self.assertIn("2 configs x (auto: 3 to 25 runs, until the median is known to +-10%; + 1 warmup) = "
                      "at most 52 runs", dry.stdout)
        result = self.sweep(path)
        self.assertEqual(result.returncode, 0, describe(result))
        document = self.export()
        self.check_session(document, 25)
        self.assertEqual(document["options"]["runs"], "auto")

    def test_interrupted_auto_sweep_resumes_where_it_stopped(self):
        # Seven runs (two warmups and five measured) pass; the eighth waits, so the
        # kill comes mid-session by construction.
        release = os.path.join(self.tmp, "release")
        self.addCleanup(lambda: open(release, "a").close())
        path = self.write(STUDY.format(target="3%", max_runs=12, fixture=CB_FIXTURE, hold=f"hold:7:{release} "))
        proc = subprocess.Popen([COLDBENCH, "sweep", path, "--db", self.db, "--no-progress"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done, deadline = 0, time.time() + 300
        while time.time() < deadline and done < 7 and proc.poll() is None:
            time.sleep(0.05)
            try:
                with sqlite3.connect(self.db, timeout=5) as db:
                    done = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.OperationalError:
                pass
        self.assertEqual(done, 7)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        open(release, "a").close()
        result = self.sweep(path, "--resume")
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("resumed session 1: 7 runs were already done", result.stderr)
        self.check_session(self.export(), 12)

    def test_experiment_errors_name_the_key(self):
        cases = [
            ('runs = "lots"', "'runs' must be an integer >= 1 or \"auto\""),
            ('runs = 5\ntarget_ci = "2%"', "'target_ci' goes with runs = \"auto\""),
            ('runs = "auto"\nmin_runs = 1', "min_runs = 1"),
            ('runs = "auto"\nmax_runs = "many"', "'max_runs' must be an integer number of runs"),
            ('runs = "auto"\ntarget_ci = "0.5"', "target_ci: '0.5' is ambiguous"),
        ]
        for header, message in cases:
            path = self.write(f'[experiment]\nname = "bad"\n{header}\n\n[defaults]\ncommand = "{CB_FIXTURE}"\n')
            result = self.sweep(path, "--dry-run")
            self.assertEqual(result.returncode, 2, describe(result))
            self.assertIn(message, result.stderr)
            self.assertIn("study.toml", result.stderr)


if __name__ == "__main__":
    main()
