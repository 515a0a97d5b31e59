"""The Python example workload under coldbench run: markers and regex rules
give the same phase structure."""

import os
import unittest

from e2e_support import SOURCE_DIR, describe, find_torch_python, main, run_coldbench, temp_dir

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
        result = run_coldbench(["run", "-r", "3", "--", find_torch_python(), EXAMPLE, "--iters", "8", "--warmup", "2"])
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
        result = run_coldbench(["run", "-r", "2", "--no-markers"] + REGEX_RULES +
                               ["--", find_torch_python(), EXAMPLE, "--iters", "5", "--warmup", "1"])
        self.assertEqual(result.returncode, 0, describe(result))
        for run in result.measured_runs():
            self.assertEqual([p["name"] for p in run["phases"]], PHASES)
            self.assertTrue(all(p["source"] == "regex" for p in run["phases"]))
            self.assertEqual(run["metrics"][0]["name"], "latency")
            self.assertEqual(len(run["metrics"][0]["values"]), 1)

    def test_a_measured_run_never_switches_interpreters(self):
        # Issue 19: under an interpreter without torch the example re-ran itself under another one
        # inside the measured run, so runtime_ready timed two start-ups. Measured, it refuses
        # (exit 2, the fix on stderr), with and without markers; by hand it still switches.
        planted = temp_dir(self, "cb-no-torch-")
        os.makedirs(os.path.join(planted, "torch"))
        with open(os.path.join(planted, "torch", "__init__.py"), "w") as f:
            f.write("raise ImportError('planted: this interpreter has no torch')\n")
        env = {"PYTHONPATH": planted, "COLDBENCH_PYTHON": ""}
        for markers in ([], ["--no-markers"]):
            result = run_coldbench(["run", "-r", "1", "-w", "0"] + markers +
                                   ["--", find_torch_python(), EXAMPLE, "--iters", "2", "--warmup", "0"], env=env)
            self.assertEqual(result.returncode, 1, describe(result))  # the run failed, and says why
            run = result.measured_runs()[0]
            self.assertEqual(run["exit_code"], 2, run)
            self.assertEqual(run["phases"], [], run)
            self.assertIn("a measured run does not switch interpreters", run["output_tail"])
            self.assertIn("fix:", run["output_tail"])
            self.assertNotIn("re-running under", run["output_tail"])

    def test_runs_without_coldbench(self):
        import subprocess
        completed = subprocess.run([find_torch_python(), EXAMPLE, "--iters", "3", "--warmup", "1"],
                                   capture_output=True, text=True, timeout=300)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertIn("Inference Done. Avg Latency", completed.stdout)
        self.assertIn("Summary: mode=eager", completed.stdout)


if __name__ == "__main__":
    main()
