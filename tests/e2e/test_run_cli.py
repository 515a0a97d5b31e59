"""Bad input to coldbench run: clear errors, exit 2; --help everywhere."""

import subprocess
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, main, run_coldbench


class CliTest(unittest.TestCase):
    def assert_usage_error(self, args, expected):
        result = run_coldbench(args, json_output=False)
        self.assertEqual(result.returncode, 2, f"{args}: {result.stdout}{result.stderr}")
        self.assertIn(expected, result.stderr)

    def test_bad_input(self):
        self.assert_usage_error(["run", "-r", "0", "--", CB_FIXTURE], "--runs 0: give 1 to 1000000 runs")
        self.assert_usage_error(["run", "-w", "-1", "--", CB_FIXTURE], "--warmup -1: give 0 to 1000000 warmup runs")
        self.assert_usage_error(["run", "--order", "zigzag", "--", CB_FIXTURE], "unknown order 'zigzag'")
        self.assert_usage_error(["run", "--timeout", "soon", "--", CB_FIXTURE], "not a duration")
        self.assert_usage_error(["run", "--env", "NOVALUE", "--", CB_FIXTURE], "expected KEY=VALUE")
        self.assert_usage_error(["run", "--command", "no name here", "--", CB_FIXTURE], "expected NAME=CMD")
        self.assert_usage_error(["run", "--phase", "x=(", "--", CB_FIXTURE], "invalid regular expression")
        self.assert_usage_error(["run", "--metric", "x=no group", "--", CB_FIXTURE], "capture group")
        self.assert_usage_error(["run"], "no command to run")
        self.assert_usage_error(["run", "--command", "a=\"unterminated", "--", CB_FIXTURE], "unterminated")
        self.assert_usage_error(["run", "--cwd", "/nonexistent-dir", "--", CB_FIXTURE], "--cwd")
        self.assert_usage_error(["run", "--no-such-flag", "--", CB_FIXTURE], "no-such-flag")
        self.assert_usage_error(["frobnicate"], "frobnicate")

    def test_memory_below_the_minimum_is_refused_like_in_an_experiment_file(self):
        # Audit: `--memory 1k` was accepted, then every run was OOM-killed.
        self.assert_usage_error(["run", "--memory", "1k", "--", CB_FIXTURE],
                                "--memory 1k: impossible limit memory = 1024 bytes: use at least 4M")

    def test_negative_seed_is_refused_like_in_an_experiment_file(self):
        # Audit: `--seed -1` was accepted; the TOML refused it.
        self.assert_usage_error(["run", "--seed", "-1", "--", CB_FIXTURE], "--seed: seed -1 is negative")
        self.assert_usage_error(["run", "--seed", "x", "--", CB_FIXTURE], "--seed: seed 'x' is not an integer")

    def test_help(self):
        for args in (["--help"], ["run", "--help"]):
            completed = subprocess.run([COLDBENCH] + args, capture_output=True, text=True)
            self.assertEqual(completed.returncode, 0)
            self.assertIn("Usage", completed.stdout)
        completed = subprocess.run([COLDBENCH, "run", "--help"], capture_output=True, text=True)
        for flag in ("--runs", "--warmup", "--order", "--timeout", "--json", "--csv", "--markdown",
                     "--export-hyperfine", "--phase", "--metric", "--shell", "--env-clear", "--command-name",
                     "--prepare", "--setup", "--conclude", "--cleanup", "--parameter-list", "--parameter-scan",
                     "--time-unit", "--style", "--reference", "--sort", "does not subtract"):
            self.assertIn(flag, completed.stdout)


if __name__ == "__main__":
    main()
