#!/usr/bin/env python3
"""End to end: `coldbench-torch serve --size-range` with size buckets
(docs/serve.md, "Inputs of any size").

Starts the real server on the tiny test model (input 3x32x32, a classifier
whose pooled output does not depend on H and W) with a range of sizes and
buckets, sends a fixed mix of sizes (a bounded count), and checks that
/metrics' bucket counters match exactly what was sent: hits + misses are the
bucketed requests, misses are the distinct buckets first seen (a cache large
enough), evictions follow least-recently-used order with a small cache (an
LRU simulated here), precompiled buckets are never missed, and a size past
every listed bucket takes the documented fallback. Sizes outside the range,
zero or negative sizes and wrong channels get a 400 with a JSON body; a
malformed range, a cache of size 0 and the other bad options exit 2 with a
message naming the option. Standard library only; structure, not speed.
"""

import os
import subprocess
import unittest
from collections import OrderedDict

from test_serve import BINARY, MODEL, Server, sample

CHANNELS = 3  # tiny_cnn's input is 3x32x32
RANGE = (16, 48)
WIDTH = 16

# A fixed mix of (H, W) within RANGE; buckets of WIDTH: 16, 32 or 48 per side.
MIX = [(16, 16), (20, 17), (16, 16), (33, 47), (48, 48), (17, 30), (32, 32), (40, 20), (16, 48), (21, 22),
       (48, 48), (45, 33), (16, 16), (30, 31)]


def bucket_of(size, width=WIDTH):
    return tuple((side + width - 1) // width * width for side in size)


def simulate_lru(buckets, capacity):
    """(hits, misses, evictions, resident) of an LRU cache fed `buckets` in order."""
    cache = OrderedDict()
    hits = misses = evictions = 0
    for bucket in buckets:
        if bucket in cache:
            cache.move_to_end(bucket)
            hits += 1
            continue
        misses += 1
        if len(cache) >= capacity:
            cache.popitem(last=False)
            evictions += 1
        cache[bucket] = True
    return hits, misses, evictions, len(cache)


def predict(server, h, w, batch=1, channels=CHANNELS):
    numel = batch * channels * h * w
    return server.predict_raw([0.25] * numel, [batch, channels, h, w])


def counters(server, model=MODEL):
    text = server.metrics()
    values = {name: sample(text, f"model_bucket_{name}_total", model=model)
              for name in ("hits", "misses", "evictions", "fallbacks")}
    values["resident"] = sample(text, "model_buckets_resident", model=model)
    return values, text


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class ServeSizeBuckets(unittest.TestCase):
    def serve(self, *extra):
        server = Server("--warmup", "1", "--size-range", f"{RANGE[0]}-{RANGE[1]}", *extra)
        self.addCleanup(server.kill)
        return server

    def send_mix(self, server):
        for h, w in MIX:
            status, _, answer = predict(server, h, w)
            self.assertEqual(status, 200, (h, w, answer))
            self.assertEqual(answer["output_shape"][0], 1, answer)  # a classifier: [N, classes], never cropped

    def test_counters_match_the_requests_with_a_cache_that_holds_every_bucket(self):
        server = self.serve("--bucket-width", str(WIDTH), "--bucket-cache", "9")
        before, text = counters(server)
        # Every series exists at zero before the first request.
        self.assertEqual(before, {"hits": 0, "misses": 0, "evictions": 0, "fallbacks": 0, "resident": 0}, text)
        self.assertEqual(sample(text, "model_bucket_prepare_seconds_count", model=MODEL, bucket="48x16"), 0)
        self.assertEqual(sample(text, "model_inference_errors_total", model=MODEL, error_type="size_out_of_range"),
                         0)
        self.send_mix(server)
        after, text = counters(server)
        buckets = [bucket_of(size) for size in MIX]
        self.assertEqual(after["hits"] + after["misses"], len(MIX), text)
        self.assertEqual(after["misses"], len(set(buckets)))
        self.assertEqual(after["evictions"], 0)
        self.assertEqual(after["fallbacks"], 0)
        self.assertEqual(after["resident"], len(set(buckets)))
        for bucket in set(buckets):
            self.assertEqual(sample(text, "model_bucket_prepare_seconds_count", model=MODEL,
                                    bucket=f"{bucket[0]}x{bucket[1]}"), 1, bucket)
        self.assertEqual(sample(text, "model_inference_latency_seconds_count", model=MODEL,
                                version=self.version(server), device="cpu"), len(MIX))

        # A batch of two at a size already seen is one more hit.
        status, _, answer = predict(server, 20, 17, batch=2)
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["output_shape"][0], 2)
        self.assertEqual(counters(server)[0]["hits"], after["hits"] + 1)

        _, _, listing = server.request("/v1/models")
        sizes = listing["models"][0]["size_range"]
        self.assertEqual((sizes["min"], sizes["max"]), RANGE, listing)
        self.assertEqual(sizes["buckets"]["width"], WIDTH)
        self.assertEqual(sizes["buckets"]["cache"], 9)

    def test_a_small_cache_evicts_least_recently_used(self):
        server = self.serve("--bucket-width", str(WIDTH), "--bucket-cache", "2")
        self.send_mix(server)
        got, text = counters(server)
        hits, misses, evictions, resident = simulate_lru([bucket_of(size) for size in MIX], 2)
        self.assertGreater(evictions, 0)  # the mix is chosen to evict
        self.assertEqual((got["hits"], got["misses"], got["evictions"], got["resident"]),
                         (hits, misses, evictions, resident), text)

    def test_bad_sizes_get_400_with_a_json_reason_and_the_server_lives_on(self):
        server = self.serve("--bucket-width", str(WIDTH))
        bad = [
            (predict(server, 49, 20), "size_out_of_range", "49x20"),
            (predict(server, 20, 15), "size_out_of_range", "20x15"),
            (predict(server, 4096, 1), "size_out_of_range", "4096x1"),
            (predict(server, 20, 20, channels=4), "shape_mismatch", "[N, 3, H, W]"),
            (server.predict_raw([], [1, 3, 0, 20]), "invalid_shape", "positive"),
            (server.predict_raw([], [1, 3, -20, 20]), "invalid_shape", "positive"),
            (server.predict_json({"shape": [1, 3, 0, 5], "data": []}), "invalid_shape", "positive"),
            (server.predict_json({"shape": [1, 3, -5, 5], "data": []}), "invalid_shape", "positive"),
        ]
        for (status, _, answer), error_type, words in bad:
            self.assertEqual(status, 400, answer)
            self.assertEqual(answer["error_type"], error_type, answer)
            self.assertIn(words, answer["error"])
        text = server.metrics()
        self.assertEqual(sample(text, "model_inference_errors_total", model=MODEL, error_type="size_out_of_range"),
                         3)
        self.assertEqual(counters(server)[0]["misses"], 0)  # nothing bad reached a bucket
        status, _, answer = predict(server, 48, 16)
        self.assertEqual(status, 200, answer)
        self.assertEqual(server.request("/healthz")[0], 200)
        code, stderr = server.stop()
        self.assertEqual(code, 0, stderr)

    def test_precompiled_list_is_never_missed_and_past_it_is_the_fallback(self):
        server = self.serve("--size-buckets", "24,32x40", "--precompile")
        before, text = counters(server)
        self.assertEqual(before["resident"], 2, text)  # both prepared before ready
        self.assertEqual(sample(text, "model_bucket_prepare_seconds_count", model=MODEL, bucket="24x24"), 1)
        self.assertEqual(sample(text, "model_bucket_prepare_seconds_count", model=MODEL, bucket="32x40"), 1)
        sizes = [(16, 16), (24, 20), (30, 40), (25, 24), (48, 48), (33, 16), (20, 41)]
        for h, w in sizes:
            status, _, answer = predict(server, h, w)
            self.assertEqual(status, 200, (h, w, answer))
        fits = [s for s in sizes if (s[0] <= 24 and s[1] <= 24) or (s[0] <= 32 and s[1] <= 40)]
        after, text = counters(server)
        self.assertEqual(after["misses"], 0, text)
        self.assertEqual(after["hits"], len(fits))
        self.assertEqual(after["fallbacks"], len(sizes) - len(fits))
        self.assertGreater(after["fallbacks"], 0)
        _, _, listing = server.request("/v1/models")
        buckets = listing["models"][0]["size_range"]["buckets"]
        self.assertEqual(buckets["list"], ["24x24", "32x40"], listing)
        self.assertEqual(buckets["fallback"], "dynamic")

    def test_sizes_without_buckets_run_at_their_own_size(self):
        server = self.serve()
        for h, w in MIX[:4]:
            status, _, answer = predict(server, h, w)
            self.assertEqual(status, 200, answer)
        text = server.metrics()
        self.assertIsNone(sample(text, "model_bucket_hits_total", model=MODEL))  # no buckets, no series
        self.assertEqual(predict(server, 60, 60)[2]["error_type"], "size_out_of_range")

    def version(self, server):
        return server.request("/v1/models")[2]["models"][0]["version"]

    def test_bad_options_exit_2_naming_the_option(self):
        for args, words in ((["--size-range", "16-"], "--size-range"),
                            (["--size-range", "a-b"], "--size-range"),
                            (["--size-range", "48-16"], "runs backwards"),
                            (["--size-range", "0-16"], "--size-range"),
                            (["--size-range=-16-16"], "--size-range"),
                            (["--size-range", "16-48", "--bucket-width", "16", "--bucket-cache", "0"],
                             "--bucket-cache must hold 1 to 4096"),
                            (["--size-range", "16-48", "--bucket-width", "16", "--bucket-cache", "2", "--precompile"],
                             "--bucket-cache 9"),
                            (["--size-range", "16-48", "--size-buckets", "24,0x8"], "--size-buckets"),
                            (["--size-range", "16-48", "--bucket-width", "16", "--size-buckets", "24"],
                             "--size-buckets"),
                            (["--size-range", "16-48", "--size-buckets", "24", "--precompile", "30"],
                             "not a bucket"),
                            (["--bucket-width", "16"], "--size-range"),
                            (["--bucket-cache", "4"], "--size-range")):
            proc = subprocess.run([BINARY, "serve", "--model", MODEL, "--port", "0", *args],
                                  capture_output=True, text=True, timeout=120)
            self.assertEqual(proc.returncode, 2, (args, proc.stderr))
            self.assertIn(words, proc.stderr, args)
            self.assertNotIn("frame #", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
