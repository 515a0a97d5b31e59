"""The Python example workload under coldbench run: markers and regex rules
give the same phase structure."""

import os
import unittest

from e2e_support import SOURCE_DIR, describe, find_torch_python, main, run_coldbench

EXAMPLE = os.path.join(SOURCE_DIR, "examples", "python", "mobilenet_v2_benchmark.py")
PHASES = ["runtime_ready", "model_loaded", "warmup_done", "inference_done"]
REGEX_RULES = [
    "--phase", "runtime_ready=Import Torch Done",
    "--phase", "model_loaded=Model Loaded",
    "--phase", "warmup_done=Warmup Done",
    "--phase", "inference_done=Inference Done",
    "--metric", "latency=Avg Latency: ([0-9.]+) ms",
]


@unittest.skipUnless(find_torch_python(), "no Python interpreter here imports torch (scripts/find-torch-python)")
class PythonExampleTest(unittest.TestCase):
    def test_markers_give_four_phases_and_latency(self):
        # `python3` as a user would type it: if that interpreter lacks torch the
        # script finds one that has it and re-executes itself there.
        result = run_coldbench(["run", "-n", "3", "--", "python3", EXAMPLE, "--iters", "8", "--warmup", "2"])
        self.assertEqual(result.returncode, 0, describe(result))
        for run in result.measured_runs():
            self.assertEqual([p["name"] for p in run["phases"]], PHASES)
            latency = next(m for m in run["metrics"] if m["name"] == "latency")
            self.assertEqual(len(latency["values"]), 8)
            self.assertEqual(latency["unit"], "ms")
            self.assertIn("torch.version", run["info"])
            self.assertEqual(run["malformed_markers"], 0)
        for phase in PHASES:
            self.assertIn(phase, result.stdout)
        self.assertIn("latency (ms)", result.stdout)

    def test_regex_rules_on_plain_output_give_the_same_structure(self):
        result = run_coldbench(["run", "-n", "2", "--no-markers"] + REGEX_RULES +
                               ["--", "python3", EXAMPLE, "--iters", "5", "--warmup", "1"])
        self.assertEqual(result.returncode, 0, describe(result))
        for run in result.measured_runs():
            self.assertEqual([p["name"] for p in run["phases"]], PHASES)
            self.assertTrue(all(p["source"] == "regex" for p in run["phases"]))
            self.assertEqual(run["metrics"][0]["name"], "latency")
            self.assertEqual(len(run["metrics"][0]["values"]), 1)

    def test_runs_without_coldbench(self):
        import subprocess
        completed = subprocess.run([find_torch_python(), EXAMPLE, "--iters", "3", "--warmup", "1"],
                                   capture_output=True, text=True, timeout=300)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertIn("Inference Done. Avg Latency", completed.stdout)
        self.assertIn("Summary: mode=eager", completed.stdout)


if __name__ == "__main__":
    main()
