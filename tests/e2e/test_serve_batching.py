#!/usr/bin/env python3
"""End-to-end test of serve's dynamic batching (--max-batch, --batch-timeout;
docs/serve.md, "Dynamic batching").

Two servers of the same model: one with batching (a timeout far longer than a
burst takes to arrive, so the burst's requests are stacked) and one with the
default (--max-batch 1). A burst of concurrent requests, each with its own
input, goes to the batching server; every answer must equal the unbatched
server's answer for the same input, and /metrics must show batches of more
than one row whose rows add up to the requests. The default server must show
only batches of one. Standard library only; 127.0.0.1; bounded in count and time.
"""

import os
import random
import threading
import unittest

from e2e_support import COLDBENCH_TORCH
from test_serve import Server, sample

BURST = 12
MAX_BATCH = 8


def batch_histogram(text):
    """(forward passes, rows, passes of one row) from model_batch_size."""
    count = sample(text, "model_batch_size_count", model="tiny_cnn") or 0
    rows = sample(text, "model_batch_size_sum", model="tiny_cnn") or 0
    ones = sample(text, "model_batch_size_bucket", model="tiny_cnn", le="1") or 0
    return count, rows, ones


@unittest.skipUnless(os.path.exists(COLDBENCH_TORCH), f"{COLDBENCH_TORCH} not built")
class ServeBatching(unittest.TestCase):
    def test_burst_is_batched_and_each_answer_is_its_own(self):
        batched = Server("--warmup", "1", "--workers", "1", "--max-batch", str(MAX_BATCH),
                         "--batch-timeout", "300", "--queue", "64")
        plain = Server("--warmup", "1", "--workers", "1", "--queue", "64")
        try:
            _, _, listing = plain.request("/v1/models")
            shape = listing["models"][0]["input_shape"]
            numel = 1
            for dim in shape:
                numel *= dim
            rng = random.Random(7)
            inputs = [[rng.uniform(-1, 1) for _ in range(numel)] for _ in range(BURST)]
            before = batch_histogram(batched.metrics())

            answers = [None] * BURST
            start = threading.Barrier(BURST)

            def send(i):
                start.wait(timeout=30)
                answers[i] = batched.predict_raw(inputs[i], shape)

            threads = [threading.Thread(target=send, args=(i,)) for i in range(BURST)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            after = batch_histogram(batched.metrics())

            for i in range(BURST):
                self.assertIsNotNone(answers[i], f"request {i} got no answer")
                status, _, body = answers[i]
                self.assertEqual(status, 200, body)
                ref_status, _, ref = plain.predict_raw(inputs[i], shape)
                self.assertEqual(ref_status, 200, ref)
                self.assertEqual(body["output_shape"], ref["output_shape"], (i, body, ref))
                self.assertEqual(len(body["output"]), len(ref["output"]))
                for got, want in zip(body["output"], ref["output"]):
                    self.assertAlmostEqual(got, want, delta=1e-4 + 1e-4 * abs(want), msg=f"request {i}")

            passes = after[0] - before[0]
            rows = after[1] - before[1]
            singles = after[2] - before[2]
            print(f"\n{BURST} concurrent requests, --max-batch {MAX_BATCH}: {passes:.0f} forward passes "
                  f"({singles:.0f} of one row), {rows:.0f} rows", flush=True)
            self.assertEqual(rows, BURST)
            self.assertLess(passes, BURST, "no request shared a forward pass")
            self.assertLess(singles, passes, "every forward pass had one row")
            text = batched.metrics()
            self.assertIsNotNone(sample(text, "model_queue_wait_seconds_count", model="tiny_cnn"))
            # Batching off by default: every forward pass of the plain server has one row.
            count, plain_rows, plain_ones = batch_histogram(plain.metrics())
            self.assertEqual(count, BURST)
            self.assertEqual(plain_rows, BURST)
            self.assertEqual(plain_ones, BURST)
        finally:
            for server in (batched, plain):
                server.kill()


if __name__ == "__main__":
    unittest.main(verbosity=2)
