"""Exports: JSON (coldbench/1), CSV, Markdown and hyperfine's layout."""

import csv
import json
import os
import tempfile
import unittest

from e2e_support import CB_FIXTURE, describe, main, run_coldbench


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cb-e2e-")

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_all_exports_from_two_commands(self):
        result = run_coldbench(["run", "-n", "6", "--order", "random", "--seed", "7",
                                "--csv", self.path("r.csv"), "--markdown", self.path("r.md"),
                                "--export-hyperfine", self.path("h.json"),
                                "-c", f"fast={CB_FIXTURE} sleep:10 phase:a sleep:5 phase:b",
                                # 65 ms apart: far more than a loaded machine adds to either.
                                "-c", f"slow={CB_FIXTURE} sleep:80 phase:a sleep:5 phase:b"])
        self.assertEqual(result.returncode, 0, describe(result))
        doc = result.json
        self.assertEqual(doc["schema"], "coldbench/1")
        self.assertEqual([c["name"] for c in doc["commands"]], ["fast", "slow"])
        self.assertEqual(len(doc["runs"]), 12)
        self.assertEqual(sorted(r["sequence"] for r in doc["runs"]), list(range(12)))
        # Random order with a seed is not simply A B A B.
        order = [r["command"] for r in doc["runs"]]
        self.assertNotEqual(order, ["fast", "slow"] * 6)

        comparison = doc["summary"]["comparisons"][0]
        self.assertEqual((comparison["baseline"], comparison["candidate"]), ("fast", "slow"))
        wall = next(q for q in comparison["quantities"] if q["quantity"] == "wall")
        self.assertGreater(wall["ratio"], 1.3)
        self.assertLess(wall["mann_whitney"]["p"], 0.05)
        self.assertEqual(wall["verdict"], "slower")
        self.assertEqual(sorted(q["quantity"] for q in comparison["quantities"]), ["a", "b", "wall"])
        self.assertIn("'slow' vs 'fast'", result.stdout)

        with open(self.path("r.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 12)
        self.assertIn("phase.a_ms", rows[0])
        self.assertGreater(float(rows[0]["wall_ms"]), 10.0)

        with open(self.path("r.md")) as f:
            markdown = f.read()
        self.assertIn("| `fast` |", markdown)
        self.assertIn("## `slow` vs `fast`", markdown)

        with open(self.path("h.json")) as f:
            hyperfine = json.load(f)
        self.assertEqual([r["command"] for r in hyperfine["results"]], ["fast", "slow"])
        for entry in hyperfine["results"]:
            self.assertEqual(len(entry["times"]), 6)
            self.assertEqual(entry["exit_codes"], [0] * 6)
            for key in ("mean", "stddev", "median", "user", "system", "min", "max"):
                self.assertIsInstance(entry[key], float)
            # Seconds, as hyperfine writes them: the same runs as the JSON's wall_ms.
            walls = [r["wall_ms"] for r in doc["runs"] if r["command"] == entry["command"] and not r["warmup"]]
            for seconds, wall_ms in zip(sorted(entry["times"]), sorted(walls)):
                self.assertAlmostEqual(seconds * 1000.0, wall_ms, places=6)
            self.assertAlmostEqual(entry["mean"] * 1000.0, sum(walls) / len(walls), places=6)

    def test_env_cwd_and_env_clear(self):
        result = run_coldbench(["run", "-n", "1", "--show-output", "--env", "CB_TEST_VALUE=hello world",
                                "--cwd", "/tmp", "--shell", "--",
                                'echo "value=$CB_TEST_VALUE pwd=$(pwd) fd=$COLDBENCH_FD"; read x || echo stdin-empty'])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("value=hello world pwd=/tmp fd=3", result.stdout)
        self.assertIn("stdin-empty", result.stdout)
        result = run_coldbench(["run", "-n", "1", "--show-output", "--env-clear", "--env", "ONLY=1", "--",
                                "/usr/bin/env"])
        self.assertEqual(result.returncode, 0, describe(result))
        lines = [l for l in result.stdout.splitlines() if "=" in l and not l.startswith(" ")]
        self.assertIn("ONLY=1", lines)
        self.assertNotIn("HOME=" + os.environ.get("HOME", "/root"), lines)


if __name__ == "__main__":
    main()
