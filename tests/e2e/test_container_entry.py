"""coldbench-entry, the entry point of containerised runs, run directly on the host.

In a container it is pid 1 and sees the container's cgroup; here it sees the
host's, which is enough to check what it reports and how it passes on the
workload's end: markers only with COLDBENCH_MARKERS=stdout, container_ready
before the workload and workload_exited after it, the workload's exit code,
128 + signal for a killed workload, and SIGTERM forwarded to the workload.
"""

import json
import os
import signal
import subprocess
import time
import unittest

from e2e_support import BUILD_DIR, CB_FIXTURE, main

ENTRY = os.path.join(BUILD_DIR, "coldbench-entry")


def markers(stdout):
    return [json.loads(line[len("@coldbench "):]) for line in stdout.splitlines() if line.startswith("@coldbench ")]


def run_entry(args, markers_on=True, timeout=60):
    env = dict(os.environ)
    env.pop("COLDBENCH_FD", None)
    if markers_on:
        env["COLDBENCH_MARKERS"] = "stdout"
    else:
        env.pop("COLDBENCH_MARKERS", None)
    return subprocess.run([ENTRY] + args, env=env, capture_output=True, text=True, timeout=timeout)


class EntryTest(unittest.TestCase):
    def test_reports_limits_then_container_ready_then_the_workloads_end(self):
        result = run_entry([CB_FIXTURE, "stdout-phase:loaded", "alloc:20", "exit:3"])
        self.assertEqual(result.returncode, 3, result.stderr)
        seen = markers(result.stdout)
        phases = [m["name"] for m in seen if m["kind"] == "phase"]
        self.assertEqual(phases, ["container_ready", "loaded", "workload_exited"])
        info = {m["name"]: m["value"] for m in seen if m["kind"] == "info"}
        self.assertIn(info["container.cgroup"], ("v1", "v2"))
        soft, hard = info["container.nofile"].split(":")
        self.assertLessEqual(int(soft), int(hard))
        # The workload touched 20 MiB: its own peak RSS is reported, not the entry's.
        self.assertGreater(info["container.workload.max_rss_kb"], 20 * 1024)
        self.assertNotIn("container.workload.signal", info)
        ready = next(m["t"] for m in seen if m["name"] == "container_ready")
        exited = next(m["t"] for m in seen if m["name"] == "workload_exited")
        self.assertLess(ready, exited)

    def test_killed_workload_exits_128_plus_signal_and_says_so(self):
        result = run_entry([CB_FIXTURE, "crash"])
        info = {m["name"]: m["value"] for m in markers(result.stdout) if m["kind"] == "info"}
        self.assertEqual(result.returncode, 128 + info["container.workload.signal"], result.stderr)
        self.assertIn(info["container.workload.signal"], (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS))

    def test_without_markers_it_only_runs_the_workload(self):
        result = run_entry([CB_FIXTURE, "print:hello", "exit:0"], markers_on=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "hello\n")

    def test_a_missing_program_is_exit_127_with_its_name(self):
        result = run_entry(["/nonexistent/workload"])
        self.assertEqual(result.returncode, 127)
        self.assertIn("cannot execute /nonexistent/workload", result.stderr)

    def test_sigterm_is_forwarded_to_the_workload(self):
        env = dict(os.environ, COLDBENCH_MARKERS="stdout")
        entry = subprocess.Popen([ENTRY, CB_FIXTURE, "stdout-phase:started", "hang"], env=env,
                                 stdout=subprocess.PIPE, text=True)
        deadline = time.time() + 60  # a safety net; the loop ends once the workload runs
        for line in entry.stdout:
            if '"started"' in line or time.time() > deadline:
                break
        entry.send_signal(signal.SIGTERM)
        rest, _ = entry.communicate(timeout=60)
        self.assertEqual(entry.returncode, 128 + signal.SIGTERM)
        self.assertIn('"workload_exited"', rest)


if __name__ == "__main__":
    main()
