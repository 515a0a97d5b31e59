"""coldbench run with several commands: four-way verdicts with their power.

`coldbench run -r 3 --command fast='sleep 0.01' --command slow='sleep 0.1'` printed "no detectable
difference" for a 6.5x difference: with 3 runs a side the smallest exact Mann-Whitney p
is 0.1, so it could never say "slower". It must now say inconclusive with the runs it
needs, and every interval must carry its real coverage.
"""

import unittest

from e2e_support import CB_FIXTURE, describe, main, run_coldbench


class RunVerdictTest(unittest.TestCase):
    def test_three_runs_ten_times_apart_are_inconclusive_with_runs_needed(self):
        result = run_coldbench(["run", "-r", "3", "--command", f"fast={CB_FIXTURE} sleep:10",
                                "--command", f"slow={CB_FIXTURE} sleep:100"])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertNotIn("no detectable difference", result.stdout)
        self.assertRegex(result.stdout, r"inconclusive: needs ~\d+ runs/side")
        self.assertIn("none at n 3/3", result.stdout)
        self.assertIn("(only 75%)", result.stdout)  # a median CI of 3 values
        self.assertIn("(only 90%)", result.stdout)  # a ratio CI of 3 + 3 values
        wall = result.json["summary"]["comparisons"][0]["quantities"][0]
        self.assertEqual(wall["quantity"], "wall")
        self.assertEqual(wall["verdict"], "inconclusive")
        self.assertGreaterEqual(wall["runs_needed"], 4)
        self.assertFalse(wall["detectable"])
        self.assertAlmostEqual(wall["ratio_ci"]["level"], 0.9)
        self.assertEqual(wall["ratio_ci"]["requested_level"], 0.95)
        median_ci = result.command_summary("fast")["wall"]["stats"]["median_ci"]
        self.assertAlmostEqual(median_ci["level"], 0.75)
        self.assertEqual(median_ci["n_needed"], 6)
        policy = result.json["summary"]["policy"]
        self.assertEqual((policy["threshold"], policy["alpha"], policy["correction"]), (0.05, 0.05, "holm"))

    def test_six_runs_ten_times_apart_are_slower(self):
        result = run_coldbench(["run", "-r", "6", "--command", f"fast={CB_FIXTURE} sleep:10",
                                "--command", f"slow={CB_FIXTURE} sleep:100"])
        self.assertEqual(result.returncode, 0, describe(result))
        wall = result.json["summary"]["comparisons"][0]["quantities"][0]
        self.assertEqual(wall["verdict"], "slower", wall)
        self.assertIsNone(wall["runs_needed"])
        self.assertGreater(wall["ratio_ci"]["level"], 0.95)

    def test_bad_policy_options_exit_2(self):
        for args, message in ((["--threshold", "abc"], "--threshold"), (["--alpha", "1.5"], "--alpha"),
                              (["--correction", "bonferroni"], "--correction")):
            result = run_coldbench(["run", "-r", "1"] + args + ["--", CB_FIXTURE], json_output=False)
            self.assertEqual(result.returncode, 2, describe(result))
            self.assertIn(message, result.stderr)


if __name__ == "__main__":
    main()
