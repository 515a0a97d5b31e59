"""coldbench run on a fixture whose phases sleep known amounts."""

import unittest

from e2e_support import CB_FIXTURE, describe, main, run_coldbench


class PhaseTimingTest(unittest.TestCase):
    def test_sleeping_phases_take_their_sleep_plus_no_more_than_a_control(self):
        # The control runs the same steps without the sleeps, interleaved in the same
        # session: its wall time is what spawning, exec, start-up and reaping cost on
        # this machine right now, loaded or not.
        steps = ["phase:load", "phase:infer", "metric:latency=1.5,2.5,3.5", "info:torch.num_threads=2"]
        sleepy = " ".join([CB_FIXTURE, "sleep:50", steps[0], "sleep:100"] + steps[1:])
        control = " ".join([CB_FIXTURE] + steps)
        result = run_coldbench(["run", "-r", "5", "-w", "1", "--command", f"sleepy={sleepy}", "--command", f"control={control}"])
        self.assertEqual(result.returncode, 0, describe(result))
        load = result.phase_stats("sleepy", "load")
        infer = result.phase_stats("sleepy", "infer")
        overhead = result.command_summary("control")["wall"]["stats"]["median"]
        print(f"load median {load['median']:.2f} ms (sleep 50), infer median {infer['median']:.2f} ms "
              f"(sleep 100), control wall median {overhead:.2f} ms")
        # A sleep is never shorter than asked; the first phase starts at spawn, so it
        # also holds exec and start-up.
        self.assertGreaterEqual(load["median"], 50.0)
        self.assertGreaterEqual(infer["median"], 100.0)
        # Nor much longer: each phase is its sleep plus at most twice the control's
        # whole run and a fifth of the sleep for a late wake-up. A wrong origin (the
        # harness's start, not the spawn) or a phase counted twice shows here.
        self.assertLessEqual(load["median"], 50.0 + 2 * overhead + 10.0)
        self.assertLessEqual(infer["median"], 100.0 + 2 * overhead + 20.0)
        self.assertEqual(load["n"], 5)
        self.assertLessEqual(load["median_ci"]["low"], load["median"])
        self.assertGreaterEqual(load["median_ci"]["high"], load["median"])

        runs = result.measured_runs("sleepy")
        self.assertEqual(len(runs), 5)
        self.assertEqual(len([r for r in result.json["runs"] if r["warmup"] and r["command"] == "sleepy"]), 1)
        for run in runs:
            self.assertEqual([p["name"] for p in run["phases"]], ["load", "infer"])
            self.assertAlmostEqual(run["phases"][1]["end_ms"],
                                   run["phases"][0]["end_ms"] + run["phases"][1]["duration_ms"], places=6)
            self.assertAlmostEqual(run["phases"][0]["end_ms"], run["phases"][0]["duration_ms"], places=6)
            self.assertGreaterEqual(run["phases"][0]["duration_ms"], 50.0)
            self.assertGreaterEqual(run["phases"][1]["duration_ms"], 100.0)
            self.assertGreaterEqual(run["wall_ms"], run["phases"][1]["end_ms"])
            self.assertEqual(run["metrics"][0]["values"], [1.5, 2.5, 3.5])
            self.assertEqual(run["info"]["torch.num_threads"], 2)
            self.assertEqual(run["exit_code"], 0)
            self.assertGreater(run["max_rss_kb"], 0)
            self.assertGreater(run["page_faults"]["minor"], 0)
        latency = result.command_summary("sleepy")["metrics"][0]
        self.assertEqual(latency["stats"]["n"], 15)
        self.assertAlmostEqual(latency["stats"]["median"], 2.5)
        # The console shows the phase table and the metric.
        self.assertIn("load", result.stdout)
        self.assertIn("infer", result.stdout)
        self.assertIn("latency (ms)", result.stdout)
        self.assertIn("total (wall)", result.stdout)

    def test_stdout_markers_and_regex_rules(self):
        result = run_coldbench(["run", "-r", "3",
                                "--phase", "ready=^Model ready",
                                "--metric", "lat=latency ([0-9.]+) ms", "--",
                                CB_FIXTURE, "sleep:30", "stdout-phase:boot", "sleep:20", "print:Model ready",
                                "print:latency 4.5 ms", "print:latency 5.5 ms"])
        self.assertEqual(result.returncode, 0, describe(result))
        run = result.measured_runs()[0]
        self.assertEqual([p["name"] for p in run["phases"]], ["boot", "ready"])
        self.assertEqual([p["source"] for p in run["phases"]], ["marker", "regex"])
        self.assertGreaterEqual(run["phases"][1]["duration_ms"], 19.0)
        self.assertEqual(run["metrics"][0]["name"], "lat")
        self.assertEqual(run["metrics"][0]["values"], [4.5, 5.5])

    def test_malformed_markers_are_counted_not_fatal(self):
        result = run_coldbench(["run", "-r", "2", "--", CB_FIXTURE, "raw:not json", "raw:{\"v\":2}",
                                "phase:ok", "raw:{\"v\":1,\"t\":5,\"kind\":\"bogus\",\"name\":\"x\"}"])
        self.assertEqual(result.returncode, 0, describe(result))
        for run in result.measured_runs():
            self.assertEqual(run["malformed_markers"], 3)
            self.assertEqual([p["name"] for p in run["phases"]], ["ok"])
        self.assertIn("malformed marker", result.stdout)

    def test_no_markers_flag_hides_the_fd(self):
        result = run_coldbench(["run", "-r", "1", "--no-markers", "--", CB_FIXTURE, "phase:never"])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertEqual(result.measured_runs()[0]["phases"], [])


if __name__ == "__main__":
    main()
