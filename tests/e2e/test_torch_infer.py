#!/usr/bin/env python3
"""End-to-end tests of `coldbench-torch infer` and `coldbench-torch models`.

Runs the real binary the way a user (or the harness) does, on the tiny test
model exported at build time: every mode, two batch sizes, the JSON output,
the marker stream on a pipe (COLDBENCH_FD), the accuracy checks, and each
kind of bad input (exit 2, a message that names the problem, no LibTorch
backtrace). Standard library only. ctest passes COLDBENCH_BUILD_DIR.
"""

import json
import os
import shutil
import tempfile
import unittest

from e2e_support import BUILD_DIR, COLDBENCH_TORCH, run_workload

BINARY = COLDBENCH_TORCH
MODELS_DIR = os.path.join(BUILD_DIR, "models")
TINY = "tiny_cnn"
STANDARD_PHASES = ["runtime_ready", "model_loaded", "model_optimized", "first_inference",
                   "warmup_done", "inference_done"]
BACKTRACE_SIGNS = ["Exception raised from", "frame #", "Traceback of TorchScript"]
TIMEOUT_S = 120


def run(args, env=None, markers=False):
    """Runs coldbench-torch; returns (returncode, stdout, stderr, marker records)."""
    return run_workload([BINARY] + args, env=env, markers=markers, timeout=TIMEOUT_S)


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class InferAllModes(unittest.TestCase):
    """One run over every mode and two batch sizes, checked from every side."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cb_torch_e2e_")
        cls.json_path = os.path.join(cls.tmp, "result.json")
        cls.iters = 12
        cls.code, cls.stdout, cls.stderr, cls.records = run(
            ["infer", "--model", TINY, "--mode", "all", "--batch-sizes", "1,3", "--iters",
             str(cls.iters), "--warmup", "2", "--threads", "1", "--json", cls.json_path],
            markers=True)
        with open(cls.json_path) as handle:
            cls.result = json.load(handle)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_exit_code_and_summary_table(self):
        self.assertEqual(self.code, 0, self.stderr)
        self.assertIn("p50", self.stdout)
        for mode in ("script", "frozen", "optimized"):
            self.assertIn(mode, self.stdout)
        self.assertIn("accuracy: ok", self.stdout)

    def test_modes_are_explained_by_their_graphs_and_op_times(self):
        explanations = {e["mode"]: e for e in self.result["explanations"]}
        self.assertEqual(set(explanations), {"script", "frozen", "optimized"})
        self.assertEqual(explanations["script"]["vs_script"], [])
        for mode in ("frozen", "optimized"):
            e = explanations[mode]
            self.assertGreater(e["graph_nodes"], 0)
            # Freezing folds the module's attributes into constants: its graph reads none.
            self.assertIn("prim::GetAttr", [d["kind"] for d in e["vs_script"]], e["vs_script"])
            self.assertEqual(e["graph_nodes"], sum(e["graph_nodes_by_kind"].values()))
        for e in explanations.values():
            profile = e["op_profile"]  # several modes: profiled by default
            self.assertEqual(profile["inferences"], 10)
            self.assertTrue(profile["top_ops"], e["mode"])
            self.assertGreater(profile["coverage"], 0)
            self.assertLessEqual(profile["coverage"], 1.05)
        self.assertIn("what each mode runs", self.stdout)
        metrics = {r["name"] for r in self.records if r.get("kind") == "metric"}
        self.assertTrue({"graph.nodes.script", "graph.nodes.frozen", "graph.nodes.optimized"} <= metrics)

    def test_json_has_every_combination(self):
        self.assertEqual(self.result["schema"], "coldbench-torch/infer/1")
        combos = [(r["mode"], r["batch_size"]) for r in self.result["results"]]
        self.assertEqual(combos, [("script", 1), ("script", 3), ("frozen", 1), ("frozen", 3),
                                  ("optimized", 1), ("optimized", 3)])
        for entry in self.result["results"]:
            self.assertEqual(len(entry["latencies_ms"]), self.iters)
            self.assertEqual(entry["latency_ms"]["n"], self.iters)
            self.assertGreater(entry["latency_ms"]["p50"], 0)
            self.assertLessEqual(entry["latency_ms"]["p50"], entry["latency_ms"]["p99"])
            self.assertGreater(entry["throughput"], 0)
            self.assertGreater(entry["peak_rss_bytes"], 0)
            self.assertGreater(entry["first_inference_ms"], 0)
            if entry["mode"] == "script":
                self.assertNotIn("vs_script", entry)
            else:
                self.assertGreater(entry["vs_script"]["cosine"], 0.999)
                self.assertTrue(entry["vs_script"]["within_tolerance"])

    def test_json_accuracy_and_runtime(self):
        self.assertTrue(self.result["accuracy_ok"])
        self.assertEqual(self.result["accuracy_failures"], [])
        self.assertEqual(self.result["reference_check"]["status"], "passed")
        self.assertEqual(self.result["model"]["name"], TINY)
        self.assertEqual(self.result["model"]["sample_shape"], [3, 32, 32])
        self.assertEqual(self.result["runtime"]["num_threads"], 1)
        self.assertTrue(self.result["runtime"]["torch_version"])
        self.assertEqual([p["name"] for p in self.result["phases"]], STANDARD_PHASES)

    def test_markers_phases_in_order(self):
        phases = [r for r in self.records if r["kind"] == "phase"]
        self.assertEqual([p["name"] for p in phases], STANDARD_PHASES)
        times = [p["t"] for p in phases]
        self.assertEqual(times, sorted(times))
        for record in self.records:
            self.assertEqual(record["v"], 1)

    def test_markers_latency_metrics(self):
        metrics = {r["name"]: r for r in self.records if r["kind"] == "metric"}
        self.assertEqual(metrics["latency"]["unit"], "ms")
        self.assertEqual(len(metrics["latency"]["values"]), self.iters)
        self.assertTrue(all(v > 0 for v in metrics["latency"]["values"]))
        for name in ("throughput", "rss.peak", "rss.growth", "first_inference", "optimize_time"):
            self.assertIn(name, metrics)
        for mode in ("script", "frozen", "optimized"):
            self.assertIn(f"optimize_time.{mode}", metrics)
            for batch in (1, 3):
                self.assertEqual(len(metrics[f"latency.{mode}.b{batch}"]["values"]), self.iters)
                self.assertIn(f"throughput.{mode}.b{batch}", metrics)
                if mode != "script":
                    cosine = metrics[f"accuracy.cosine.{mode}.b{batch}"]["values"][0]
                    self.assertGreater(cosine, 0.999)
                    self.assertIn(f"accuracy.max_abs_diff.{mode}.b{batch}", metrics)
        # The unqualified metrics are the first combination's.
        self.assertEqual(metrics["latency"]["values"], metrics["latency.script.b1"]["values"])

    def test_markers_info(self):
        info = {r["name"]: r["value"] for r in self.records if r["kind"] == "info"}
        for key in ("torch.version", "torch.compiler", "compiler", "torch.cpu_capability",
                    "torch.mkldnn", "torch.openmp", "torch.mkl", "torch.num_threads",
                    "torch.num_interop_threads", "env.OMP_NUM_THREADS", "env.MKL_NUM_THREADS",
                    "env.OPENBLAS_NUM_THREADS", "cpu.affinity", "cpu.effective", "model.name",
                    "accuracy.ok", "accuracy.reference"):
            self.assertIn(key, info)
        self.assertEqual(info["torch.num_threads"], 1)
        self.assertEqual(info["env.OMP_NUM_THREADS"], "1")
        self.assertEqual(info["model.name"], TINY)
        self.assertIs(info["accuracy.ok"], True)
        self.assertEqual(info["accuracy.reference"], "passed")
        self.assertGreaterEqual(info["cpu.effective"], 1)


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class InferOptionsAndModels(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cb_torch_e2e_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_duration_channels_last_and_quiet(self):
        json_path = os.path.join(self.tmp, "d.json")
        code, stdout, stderr, _ = run(["infer", "--model", TINY, "--mode", "optimized", "--duration",
                                       "0.2", "--channels-last", "--threads", "1", "-q",
                                       "--json", json_path])
        self.assertEqual(code, 0, stderr)
        self.assertEqual(stdout, "")
        with open(json_path) as handle:
            result = json.load(handle)
        self.assertGreater(result["results"][0]["latency_ms"]["n"], 1)
        self.assertTrue(result["options"]["channels_last"])
        self.assertEqual(result["options"]["duration_s"], 0.2)

    def test_no_markers_without_harness(self):
        code, stdout, stderr, _ = run(["infer", "--model", TINY, "--iters", "3", "--threads", "1"])
        self.assertEqual(code, 0, stderr)
        self.assertNotIn('"kind"', stdout)

    def test_markers_on_stdout_for_containers(self):
        code, stdout, stderr, _ = run(["infer", "--model", TINY, "--iters", "3", "--threads", "1"],
                                      env={"COLDBENCH_MARKERS": "stdout"})
        self.assertEqual(code, 0, stderr)
        lines = [json.loads(line[len("@coldbench "):]) for line in stdout.splitlines()
                 if line.startswith("@coldbench ")]
        self.assertEqual([r["name"] for r in lines if r["kind"] == "phase"], STANDARD_PHASES)

    def test_models_lists_the_shipped_models(self):
        code, stdout, stderr, _ = run(["models"])
        self.assertEqual(code, 0, stderr)
        for name in ("mobilenet_v2", "resnet18", TINY):
            self.assertIn(name, stdout)
        code, stdout, stderr, _ = run(["models", "--json"])
        self.assertEqual(code, 0, stderr)
        listing = json.loads(stdout)
        names = {m["name"]: m for m in listing["models"]}
        self.assertEqual(names[TINY]["input_shape"], [1, 3, 32, 32])
        self.assertEqual(names["mobilenet_v2"]["input_shape"], [1, 3, 224, 224])
        self.assertGreater(names["mobilenet_v2"]["size_bytes"], 1_000_000)

    def test_models_dir_from_environment(self):
        shutil.copy(os.path.join(MODELS_DIR, TINY + ".pt"), os.path.join(self.tmp, "mine.pt"))
        code, stdout, stderr, _ = run(["infer", "--model", "mine", "--input-shape", "3,32,32",
                                       "--iters", "2", "--threads", "1"],
                                      env={"COLDBENCH_MODELS_DIR": self.tmp})
        self.assertEqual(code, 0, stderr)
        self.assertIn("reference check skipped", stdout)
        code, _, stderr, _ = run(["infer", "--model", TINY], env={"COLDBENCH_MODELS_DIR": self.tmp})
        self.assertEqual(code, 2)
        self.assertIn("no model named 'tiny_cnn'", stderr)
        self.assertIn("mine", stderr)  # what is available there

    def test_help_on_every_subcommand(self):
        for args in (["--help"], ["infer", "--help"], ["models", "--help"]):
            code, stdout, _, _ = run(args)
            self.assertEqual(code, 0, args)
            self.assertIn("Usage", stdout)
        code, stdout, _, _ = run(["infer", "--help"])
        for flag in ("--model", "--mode", "--batch-sizes", "--input-shape", "--threads",
                     "--interop-threads", "--warmup", "--iters", "--duration", "--channels-last",
                     "--inference-mode", "--seed", "--tolerance", "--json"):
            self.assertIn(flag, stdout)


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class AccuracyFailures(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cb_torch_e2e_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_wrong_sidecar_reference_fails_with_exit_1(self):
        model = os.path.join(self.tmp, "tampered.pt")
        shutil.copy(os.path.join(MODELS_DIR, TINY + ".pt"), model)
        with open(os.path.join(MODELS_DIR, TINY + ".json")) as handle:
            sidecar = json.load(handle)
        sidecar["reference"]["values"][0] += 0.5
        with open(os.path.join(self.tmp, "tampered.json"), "w") as handle:
            json.dump(sidecar, handle)
        code, stdout, stderr, _ = run(["infer", "--model", model, "--iters", "2", "--threads", "1"])
        self.assertEqual(code, 1, stderr)
        self.assertIn("accuracy check failed", stderr)
        self.assertIn("does not reproduce its sidecar's reference output", stderr)
        self.assertIn("accuracy: FAILED", stdout)

    def test_modes_disagreeing_beyond_tolerance_fail_with_exit_1(self):
        # Conv+BN folding changes the last bits; a tolerance below that must fail.
        code, _, stderr, records = run(["infer", "--model", TINY, "--mode", "script,frozen",
                                        "--iters", "2", "--threads", "1", "--tolerance", "1e-15"],
                                       markers=True)
        self.assertEqual(code, 1, stderr)
        self.assertIn("frozen mode at batch 1 differs from script mode", stderr)
        self.assertIn("--tolerance", stderr)
        info = {r["name"]: r["value"] for r in records if r["kind"] == "info"}
        self.assertIs(info["accuracy.ok"], False)


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class BadInput(unittest.TestCase):
    """Each bad input: exit 2, a message naming the problem, never a LibTorch backtrace."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cb_torch_e2e_")
        cls.corrupt = os.path.join(cls.tmp, "corrupt.pt")
        with open(cls.corrupt, "wb") as handle:
            handle.write(b"this is not a TorchScript zip archive\n" * 10)
        cls.truncated = os.path.join(cls.tmp, "truncated.pt")
        with open(os.path.join(MODELS_DIR, TINY + ".pt"), "rb") as handle:
            data = handle.read()
        with open(cls.truncated, "wb") as handle:
            handle.write(data[: len(data) // 2])
        cls.bare = os.path.join(cls.tmp, "bare.pt")  # a user's model without a sidecar
        shutil.copy(os.path.join(MODELS_DIR, TINY + ".pt"), cls.bare)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def expect_usage_error(self, args, *needles):
        code, stdout, stderr, _ = run(["infer"] + args + ["--iters", "2", "--threads", "1"])
        self.assertEqual(code, 2, f"{args}: stdout={stdout} stderr={stderr}")
        for needle in needles:
            self.assertIn(needle, stderr, args)
        for sign in BACKTRACE_SIGNS:
            self.assertNotIn(sign, stderr, args)
            self.assertNotIn(sign, stdout, args)

    def test_missing_model_name(self):
        self.expect_usage_error(["--model", "no_such_model"], "no model named 'no_such_model'",
                                "tiny_cnn", "fix:")

    def test_missing_model_path(self):
        self.expect_usage_error(["--model", os.path.join(self.tmp, "nothere.pt")], "does not exist")

    def test_corrupt_model(self):
        self.expect_usage_error(["--model", self.corrupt, "--input-shape", "3,32,32"], "cannot load",
                                "corrupt.pt", "fix:")

    def test_truncated_model(self):
        self.expect_usage_error(["--model", self.truncated, "--input-shape", "3,32,32"],
                                "cannot load", "truncated.pt")

    def test_wrong_input_shape(self):
        self.expect_usage_error(["--model", TINY, "--input-shape", "2,32,32"],
                                "rejected an input of shape [1, 2, 32, 32]", "3 channels",
                                "--input-shape")

    def test_model_without_sidecar_needs_input_shape(self):
        self.expect_usage_error(["--model", self.bare], "has no sidecar", "--input-shape")

    def test_unknown_mode(self):
        self.expect_usage_error(["--model", TINY, "--mode", "turbo"], "unknown mode 'turbo'")

    def test_zero_and_negative_counts(self):
        cases = [
            (["--iters", "0"], "--iters"),
            (["--iters", "-4"], "--iters"),
            (["--warmup", "-1"], "--warmup"),
            (["--batch-size", "0"], "--batch-size"),
            (["--batch-size", "-2"], "--batch-size"),
            (["--batch-sizes", "1,0"], "--batch-sizes"),
            (["--threads", "-1"], "--threads"),
            (["--duration", "0"], "--duration"),
            (["--input-shape", "3,0,32"], "--input-shape"),
        ]
        for args, flag in cases:
            with self.subTest(args=args):
                code, _, stderr, _ = run(["infer", "--model", TINY] + args)
                self.assertEqual(code, 2, stderr)
                self.assertIn(flag, stderr)

    def test_too_large_batch_size_names_the_limit(self):
        # Audit: `--batch-size 100000000` said "must be a positive integer".
        code, _, stderr, _ = run(["infer", "--model", TINY, "--batch-size", "100000000"])
        self.assertEqual(code, 2, stderr)
        self.assertIn("--batch-size 100000000 is larger than 1000000", stderr)

    def test_unknown_subcommand_is_named_with_the_valid_ones(self):
        # Audit: `coldbench-torch bogus` said "A subcommand is required".
        code, _, stderr, _ = run(["bogus"])
        self.assertEqual(code, 2, stderr)
        self.assertIn("unknown subcommand 'bogus' (available: infer, models, profile", stderr)

    def test_unparseable_and_unknown_options(self):
        for args in (["--iters", "many"], ["--no-such-flag"]):
            with self.subTest(args=args):
                code, _, stderr, _ = run(["infer", "--model", TINY] + args)
                self.assertEqual(code, 2, stderr)

    def test_user_model_with_input_shape_runs(self):
        code, stdout, stderr, _ = run(["infer", "--model", self.bare, "--input-shape", "3,32,32",
                                       "--iters", "2", "--threads", "1"])
        self.assertEqual(code, 0, stderr)
        self.assertIn("reference check skipped", stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
