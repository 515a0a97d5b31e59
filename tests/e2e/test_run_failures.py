"""Failing workloads are recorded per run and the harness carries on."""

import json
import os
import signal
import subprocess
import time
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, describe, main, temp_dir, run_coldbench


def tagged_processes(tag):
    """Live (not zombie) processes whose environment holds CB_ORPHAN_TAG=tag."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if f"CB_ORPHAN_TAG={tag}".encode() not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


class FailureTest(unittest.TestCase):
    def test_crash_hang_and_failure_are_recorded_while_others_run(self):
        result = run_coldbench(["run", "-r", "3", "--timeout", "0.5",
                                "--command", f"ok={CB_FIXTURE} sleep:10 phase:done",
                                "--command", f"crash={CB_FIXTURE} crash",
                                "--command", f"hang={CB_FIXTURE} print:started hang",
                                "--command", f"fail={CB_FIXTURE} eprint:something-went-wrong exit:3"])
        self.assertEqual(result.returncode, 1, describe(result))  # some runs failed
        self.assertEqual(len(result.measured_runs()), 12)  # every scheduled run happened
        for run in result.measured_runs("ok"):
            self.assertTrue(run["succeeded"])
        for run in result.measured_runs("crash"):
            self.assertFalse(run["succeeded"])
            self.assertEqual(run["signal"], signal.SIGSEGV)
            self.assertIn("signal 11", run["error"])
        # The control: what a run that ends by itself costs beyond its own work on
        # this machine right now (spawn, exec, reaping), measured in the same session.
        ok_overhead = max(run["wall_ms"] - 10.0 for run in result.measured_runs("ok"))
        for run in result.measured_runs("hang"):
            self.assertTrue(run["timed_out"])
            self.assertEqual(run["signal"], signal.SIGKILL)
            self.assertGreaterEqual(run["wall_ms"], 500.0)  # never before the timeout
            # Killed at the timeout, not one timeout or more later (a grace period,
            # waiting for the pipe): generous, and as loaded as the control.
            self.assertLess(run["wall_ms"] - 500.0, 500.0 + 2 * ok_overhead,
                            f"the hang was killed {run['wall_ms'] - 500:.0f} ms after its timeout; "
                            f"the control's overhead was {ok_overhead:.0f} ms")
            self.assertIn("started", run["output_tail"])
        for run in result.measured_runs("fail"):
            self.assertEqual(run["exit_code"], 3)
            self.assertIn("something-went-wrong", run["output_tail"])
        self.assertEqual(result.command_summary("ok")["succeeded_runs"], 3)
        self.assertEqual(result.command_summary("hang")["failed_runs"], 3)
        self.assertIn("timed out", result.stdout)

    def test_ignore_failure_counts_nonzero_exits(self):
        result = run_coldbench(["run", "-r", "2", "-i", "--", CB_FIXTURE, "exit:4"])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertTrue(all(r["succeeded"] and r["exit_code"] == 4 for r in result.measured_runs()))

    def test_timeout_kills_the_whole_process_group(self):
        # Every process of the run carries a tag in its environment, so survivors can be
        # found in /proc afterwards; no waiting for something that should not happen.
        tag = f"cb-orphan-{os.getpid()}-{time.monotonic_ns()}"
        script = "sleep 30 & echo forked; sleep 30"
        result = run_coldbench(["run", "-r", "1", "--timeout", "0.3", "--env", f"CB_ORPHAN_TAG={tag}",
                                "-S", "/bin/sh", "--", script])
        self.assertEqual(result.returncode, 1, describe(result))
        run = result.measured_runs()[0]
        self.assertTrue(run["timed_out"])
        self.assertIn("forked", run["output_tail"], "the grandchild must exist before the timeout")
        # Killed processes are gone, or zombies until init reaps them; the deadline
        # only gives init time on a loaded machine.
        deadline = time.time() + 30
        while tagged_processes(tag) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(tagged_processes(tag), [], "a grandchild survived the timeout")

    def test_command_that_cannot_start_is_exit_2(self):
        result = run_coldbench(["run", "-r", "2", "--", "/nonexistent/program"])
        self.assertEqual(result.returncode, 2)
        self.assertIn("/nonexistent/program", result.stderr)
        result = run_coldbench(["run", "-r", "2", "--", "no-such-command-xyz"])
        self.assertEqual(result.returncode, 2)
        self.assertIn("command not found", result.stderr)

    def test_sigint_writes_what_was_measured_and_exits_130(self):
        tmp = temp_dir(self)
        json_path = os.path.join(tmp, "r.json")
        csv_path = os.path.join(tmp, "r.csv")
        proc = subprocess.Popen([COLDBENCH, "run", "-r", "100", "--no-progress", "--json", json_path,
                                 "--csv", csv_path, "--", CB_FIXTURE, "sleep:100", "phase:p"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 300  # a safety net; the loop ends at the third run
        while time.time() < deadline:  # wait until a few runs are on disk
            if os.path.exists(json_path):
                with open(json_path) as f:
                    if len(json.load(f)["runs"]) >= 3:
                        break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
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
