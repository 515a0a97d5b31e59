"""Failing workloads are recorded per run and the harness carries on."""

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, describe, main, run_coldbench


class FailureTest(unittest.TestCase):
    def test_crash_hang_and_failure_are_recorded_while_others_run(self):
        result = run_coldbench(["run", "-n", "3", "--timeout", "0.5",
                                "-c", f"ok={CB_FIXTURE} sleep:10 phase:done",
                                "-c", f"crash={CB_FIXTURE} crash",
                                "-c", f"hang={CB_FIXTURE} print:started hang",
                                "-c", f"fail={CB_FIXTURE} eprint:something-went-wrong exit:3"])
        self.assertEqual(result.returncode, 1, describe(result))  # some runs failed
        self.assertEqual(len(result.measured_runs()), 12)  # every scheduled run happened
        for run in result.measured_runs("ok"):
            self.assertTrue(run["succeeded"])
        for run in result.measured_runs("crash"):
            self.assertFalse(run["succeeded"])
            self.assertEqual(run["signal"], signal.SIGSEGV)
            self.assertIn("signal 11", run["error"])
        for run in result.measured_runs("hang"):
            self.assertTrue(run["timed_out"])
            self.assertEqual(run["signal"], signal.SIGKILL)
            self.assertGreaterEqual(run["wall_ms"], 500.0)
            self.assertLess(run["wall_ms"], 1500.0)
            self.assertIn("started", run["output_tail"])
        for run in result.measured_runs("fail"):
            self.assertEqual(run["exit_code"], 3)
            self.assertIn("something-went-wrong", run["output_tail"])
        self.assertEqual(result.command_summary("ok")["succeeded_runs"], 3)
        self.assertEqual(result.command_summary("hang")["failed_runs"], 3)
        self.assertIn("timed out", result.stdout)

    def test_ignore_failure_counts_nonzero_exits(self):
        result = run_coldbench(["run", "-n", "2", "-i", "--", CB_FIXTURE, "exit:4"])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertTrue(all(r["succeeded"] and r["exit_code"] == 4 for r in result.measured_runs()))

    def test_timeout_kills_the_whole_process_group(self):
        marker = tempfile.mktemp(prefix="cb-orphan-")
        # The shell backgrounds a grandchild that would touch the file after 2 s.
        script = f"(sleep 2; touch {marker}) & sleep 30"
        result = run_coldbench(["run", "-n", "1", "--timeout", "0.3", "--shell", "--", script])
        self.assertEqual(result.returncode, 1, describe(result))
        time.sleep(2.5)
        self.assertFalse(os.path.exists(marker), "a grandchild survived the timeout")

    def test_command_that_cannot_start_is_exit_2(self):
        result = run_coldbench(["run", "-n", "2", "--", "/nonexistent/program"])
        self.assertEqual(result.returncode, 2)
        self.assertIn("/nonexistent/program", result.stderr)
        result = run_coldbench(["run", "-n", "2", "--", "no-such-command-xyz"])
        self.assertEqual(result.returncode, 2)
        self.assertIn("command not found", result.stderr)

    def test_sigint_writes_what_was_measured_and_exits_130(self):
        tmp = tempfile.mkdtemp(prefix="cb-e2e-")
        json_path = os.path.join(tmp, "r.json")
        csv_path = os.path.join(tmp, "r.csv")
        proc = subprocess.Popen([COLDBENCH, "run", "-n", "100", "--no-progress", "--json", json_path,
                                 "--csv", csv_path, "--", CB_FIXTURE, "sleep:100", "phase:p"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        while time.time() < deadline:  # wait until a few runs are on disk
            if os.path.exists(json_path):
                with open(json_path) as f:
                    if len(json.load(f)["runs"]) >= 3:
                        break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 130, stderr)
        with open(json_path) as f:
            document = json.load(f)
        self.assertTrue(document["interrupted"])
        self.assertGreaterEqual(len(document["runs"]), 3)
        self.assertLess(len(document["runs"]), 100)
        self.assertIsNotNone(document["summary"])
        with open(csv_path) as f:
            self.assertEqual(len(f.read().strip().splitlines()), len(document["runs"]) + 1)
        self.assertIn("Interrupted", stdout)


if __name__ == "__main__":
    main()
