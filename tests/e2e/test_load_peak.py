#!/usr/bin/env python3
"""End-to-end tests of `coldbench load --find-peak --slo` (docs/load.md,
"Peak rate under an SLO").

A stand-in server (stall_server.py --service-ms 10) holds its one worker for
10 ms per POST, so it cannot sustain more than 100 requests/s: above that the
backlog (and, from the intended send time, the latency) grows without bound.
The search must find a peak at or below what the server can hold (with room
for the bracket's tolerance), start by doubling, judge every step with the
p99's interval, and leave every step in the JSON and the history. The
assertions are structural and bounded by the server's capacity, not by this
machine's speed. Bad SLO strings exit 2 with one line. Standard library only;
127.0.0.1 only; every run bounded by --duration, --peak-max-steps and --timeout.
"""

import json
import os
import sqlite3
import subprocess
import sys
import unittest

from e2e_support import COLDBENCH, temp_dir

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICE_MS = 10
CAPACITY = 1000 / SERVICE_MS  # requests/s the one worker can hold at most


class FindPeakTest(unittest.TestCase):
    def test_peak_is_bracketed_below_the_servers_capacity_and_every_step_is_kept(self):
        tmp = temp_dir(self, prefix="cb-peak-")
        json_path, db = os.path.join(tmp, "peak.json"), os.path.join(tmp, "h.sqlite")
        argv = [COLDBENCH, "load", "--no-progress", "--url", "/predict", "--method", "POST",
                "--arrival", "constant", "--rate", "30", "--duration", "13s", "--timeout", "5s",
                "--find-peak", "--slo", "p99=150ms", "--peak-tolerance", "0.1", "--peak-max-steps", "8",
                "--json", json_path, "--db", db, "--server-log", os.path.join(tmp, "server.log"),
                "--", sys.executable, os.path.join(HERE, "stall_server.py"), "--service-ms", str(SERVICE_MS)]
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        print("\n" + completed.stdout, flush=True)
        self.assertEqual(completed.returncode, 0, completed.stdout + completed.stderr)
        with open(json_path) as f:
            peak = json.load(f)["peak"]
        steps = peak["steps"]
        self.assertEqual(peak["steps_run"], len(steps))
        self.assertEqual(peak["slo"], "p99=150ms")
        self.assertIn("bisect", peak["rule"]["text"])
        # Exponential growth from the start rate until the first failure.
        self.assertEqual(steps[0]["rate"], 30)
        first_fail = next(i for i, s in enumerate(steps) if s["verdict"] != "pass")
        for i in range(1, first_fail + 1):
            self.assertEqual(steps[i]["rate"], 2 * steps[i - 1]["rate"], steps)
        # Every step: its rate, achieved rate, p99 with its interval and the verdict that follows from it.
        for s in steps:
            bound = s["slo"]["bounds"][0]
            self.assertEqual(bound["name"], "p99")
            self.assertIsNotNone(bound["ci"], s)
            self.assertIn("achieved_rate", s["load"])
            high, low = bound["ci"]["high_ms"], bound["ci"]["low_ms"]
            high = float("inf") if high == "inf" else high
            low = float("inf") if low == "inf" else low
            if s["verdict"] == "pass":
                self.assertLessEqual(high, 150, s)
            elif s["verdict"] == "fail":
                self.assertGreater(low, 150, s)
        # The peak: a rate that passed, below what one 10 ms worker can hold
        # (a rate 10% above it builds a second of backlog in a step), and the
        # lowest failure above it.
        self.assertIsNotNone(peak["peak_rate"], peak)
        passed = [s["rate"] for s in steps if s["verdict"] == "pass"]
        failed = [s["rate"] for s in steps if s["verdict"] != "pass"]
        self.assertEqual(peak["peak_rate"], max(passed))
        self.assertEqual(peak["first_fail_rate"], min(r for r in failed if r > peak["peak_rate"]))
        self.assertLessEqual(peak["peak_rate"], 1.1 * CAPACITY, steps)
        self.assertIn(peak["stop_reason"], ("bracket within tolerance", "step limit"))
        if peak["stop_reason"] == "bracket within tolerance":
            self.assertLessEqual(peak["first_fail_rate"] / peak["peak_rate"] - 1, 0.1)
        self.assertIn("peak:", completed.stdout)
        self.assertEqual(completed.stdout.count(" -> "), len(steps))

        # The history: the session's header has the search, and its slices say their step.
        con = sqlite3.connect(db)
        try:
            header, status = con.execute("SELECT header, status FROM sessions").fetchone()
            records = [json.loads(r) for (r,) in con.execute("SELECT record FROM runs ORDER BY sequence")]
        finally:
            con.close()
        self.assertEqual(status, "finished")
        self.assertEqual(json.loads(header)["options"]["peak_search"]["peak_rate"], peak["peak_rate"])
        step_numbers = sorted({r["info"]["load.step"] for r in records})
        self.assertEqual(step_numbers, list(range(1, len(steps) + 1)))

    def test_bad_slo_exits_2_with_one_line_that_names_the_fix(self):
        base = [COLDBENCH, "load", "--no-progress", "--url", "http://127.0.0.1:9/"]
        step = ["--rate", "100", "--duration", "5s"]
        cases = [
            (["--find-peak", "--slo", "p99", *step], "--slo"),
            (["--find-peak", "--slo", "p99=fast", *step], "p99=fast"),
            (["--find-peak", "--slo", "q99=5ms", *step], "unknown bound"),
            (["--find-peak", "--slo", "errors=200%", *step], "errors=1%"),
            (["--find-peak", "--slo", "p99=5ms,p99=6ms", *step], "twice"),
            (["--find-peak", *step], "--slo"),
            (["--slo", "p99=50ms", *step], "--find-peak"),
            (["--find-peak", "--slo", "p99=50ms", "--rate", "10", "--duration", "1s"], "raise --duration"),
        ]
        for extra, hint in cases:
            completed = subprocess.run([*base, *extra], capture_output=True, text=True, timeout=60)
            self.assertEqual(completed.returncode, 2, (extra, completed.stderr))
            self.assertIn(hint, completed.stderr, extra)
            self.assertEqual(len(completed.stderr.strip().splitlines()), 1, completed.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
