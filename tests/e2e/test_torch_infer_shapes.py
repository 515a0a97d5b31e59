#!/usr/bin/env python3
"""End-to-end tests of `coldbench-torch infer --shapes / --size-range` and
its buckets, on the tiny test model: the counters add up to the requests
sent, precompiled buckets are never missed, a size past every listed bucket
takes the documented fallback, the markers carry the bucket metrics, and
every bad value (sizes beyond limits, zero or negative sizes, a malformed
range, a cache of size 0, buckets without sizes) exits 2 with a message that
names the option and the fix. Standard library only; structure, not speed.
"""

import json
import os
import shutil
import tempfile
import unittest

from e2e_support import COLDBENCH_TORCH, run_workload

TINY = "tiny_cnn"  # sample shape 3x32x32
TIMEOUT_S = 180


def run(args, markers=False):
    return run_workload([COLDBENCH_TORCH, "infer", "--model", TINY, "--threads", "1", "--warmup", "1"] + args,
                        markers=markers, timeout=TIMEOUT_S)


@unittest.skipUnless(os.path.exists(COLDBENCH_TORCH), f"{COLDBENCH_TORCH} not built (COLDBENCH_WITH_TORCH=OFF?)")
class ShapeBuckets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cb_shapes_e2e_")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_json(self, args, markers=False):
        path = os.path.join(self.tmp, "r.json")
        code, out, err, records = run(args + ["--json", path], markers=markers)
        self.assertEqual(code, 0, err)
        with open(path) as handle:
            return json.load(handle), out, records

    def test_unbucketed_range_counts_first_seen_and_distinct_sizes(self):
        doc, out, _ = self.run_json(["--size-range", "24-40", "--iters", "30", "--seed", "3"])
        self.assertEqual(len(doc["requests"]), 30)
        sizes = {(r["h"], r["w"]) for r in doc["requests"]}
        self.assertEqual(doc["distinct_sizes"], len(sizes))
        for r in doc["requests"]:
            self.assertTrue(24 <= r["h"] <= 40 and 24 <= r["w"] <= 40, r)
        # The first request of each size (other than the sample's own 32x32) is first-seen.
        first = sum(1 for r in doc["requests"] if r["first_seen"])
        self.assertEqual(first, len(sizes - {(32, 32)}))
        self.assertEqual(doc["latency_ms"]["first_seen"]["n"] + doc["latency_ms"]["repeat"]["n"], 30)
        self.assertNotIn("buckets", doc)
        self.assertIn("distinct sizes", out)

    def test_same_seed_same_sizes(self):
        a, _, _ = self.run_json(["--size-range", "20-60", "--iters", "15", "--seed", "9"])
        b, _, _ = self.run_json(["--size-range", "20-60", "--iters", "15", "--seed", "9"])
        self.assertEqual([(r["h"], r["w"]) for r in a["requests"]], [(r["h"], r["w"]) for r in b["requests"]])

    def test_precompiled_buckets_are_all_hits_and_counters_add_up(self):
        doc, out, records = self.run_json(
            ["--size-range", "17-48", "--iters", "40", "--bucket-width", "16", "--precompile", "--bucket-cache", "4"],
            markers=True)
        b = doc["buckets"]
        self.assertEqual(b["hits"] + b["misses"] + b["fallbacks"], 40)
        self.assertEqual((b["hits"], b["misses"], b["evictions"], b["fallbacks"]), (40, 0, 0, 0))
        precompiled = [p for p in b["preparations"] if p["precompiled"]]
        self.assertEqual(sorted(tuple(p["bucket"]) for p in precompiled), [(32, 32), (32, 48), (48, 32), (48, 48)])
        for r in doc["requests"]:
            self.assertEqual(r["bucket"], [-(-r["h"] // 16) * 16, -(-r["w"] // 16) * 16])
            self.assertFalse(r["first_seen"], r)
        acc = doc["padding_accuracy"]
        self.assertGreater(acc["samples"], 0)
        self.assertLessEqual(acc["top1_agree"], acc["samples"])
        self.assertIn("hit rate 100.0%", out)
        metrics = {r["name"]: r for r in records if r.get("kind") == "metric"}
        self.assertEqual(metrics["bucket.hits"]["values"], [40])
        self.assertEqual(len(metrics["latency"]["values"]), 40)
        phases = [r["name"] for r in records if r.get("kind") == "phase"]
        self.assertEqual(phases, ["runtime_ready", "model_loaded", "model_optimized", "first_inference", "warmup_done",
                                  "inference_done"])

    def test_small_cache_evicts_and_misses(self):
        doc, _, _ = self.run_json(["--shapes", "16,32,48", "--iters", "9", "--bucket-width", "16", "--bucket-cache", "2"])
        b = doc["buckets"]
        # 16, 32, 48 in turn through a cache of 2: every request misses, and from the third on evicts.
        self.assertEqual((b["hits"], b["misses"], b["evictions"]), (0, 9, 7))

    def test_size_past_every_listed_bucket_takes_the_dynamic_path(self):
        doc, out, _ = self.run_json(["--shapes", "24,40", "--iters", "4", "--buckets", "32"])
        b = doc["buckets"]
        self.assertEqual((b["hits"] + b["misses"], b["fallbacks"]), (2, 2))
        fallbacks = [r for r in doc["requests"] if r.get("fallback")]
        self.assertEqual([(r["h"], r["w"]) for r in fallbacks], [(40, 40), (40, 40)])
        self.assertTrue(all("bucket" not in r for r in fallbacks))
        self.assertIn("fallbacks 2", out)

    def test_bad_values_exit_2_naming_the_option_and_the_fix(self):
        cases = [
            (["--size-range", "0-32"], "--size-range"),
            (["--size-range", "-5-32"], "--size-range"),
            (["--size-range", "64-32"], "--size-range"),
            (["--size-range", "abc"], "--size-range"),
            (["--shapes", "32,-1"], "--shapes"),
            (["--shapes", "0x32"], "--shapes"),
            (["--shapes", "99999"], "--shapes"),
            (["--size-range", "16-32", "--bucket-width", "16", "--bucket-cache", "0"], "--bucket-cache"),
            (["--bucket-width", "16"], "--size-range"),
            (["--size-range", "16-32", "--bucket-width", "16", "--buckets", "32"], "--bucket-width"),
            (["--size-range", "16-32", "--bucket-width", "16", "--precompile", "20"], "--precompile"),
            (["--size-range", "16-64", "--bucket-width", "16", "--precompile", "--bucket-cache", "2"],
             "--bucket-cache"),
        ]
        for args, option in cases:
            code, out, err, _ = run(args + ["--iters", "2"])
            self.assertEqual(code, 2, f"{args}: {err}")
            self.assertIn(option, err, args)
            self.assertIn("fix:", err, args)
            self.assertNotIn("Exception raised from", err)


if __name__ == "__main__":
    unittest.main()
