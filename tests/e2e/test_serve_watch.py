#!/usr/bin/env python3
"""End-to-end tests of what watches `coldbench-torch serve` (docs/serve.md,
"Watching the server"): structured logs and their sampling, the latency
anomaly detectors, the leak watch, diagnostics snapshots, and the faults that
trip them (leak-per-request, delay-after, stall-at).

Each alert test has a control measured in the same file: the same server and
traffic without the fault must raise nothing over at least as long. The
injected effects are large (a 100 ms step on a ~10 ms request, 256 KiB leaked
per request against a 2 MB/s threshold), so the verdicts are structural and
hold on a loaded 2-CPU machine. Standard library only; every loop is bounded.
"""

import glob
import json
import os
import re
import shutil
import tempfile
import time
import unittest

from test_serve import BINARY, Server, sample, wait_until

DETECTORS = ("baseline_3sigma", "ewma", "mad")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# The leak watch: 100 ms samples over a 2 s window, alert above 2 MB/s.
LEAK_OPTIONS = ("--leak-sample-ms", "100", "--leak-window-s", "2", "--leak-threshold", "2000000")
LEAK_BYTES = 256 * 1024
LEAK_DEADLINE_S = 30  # stated bound: window (2 s) + a few samples, with room for a slow start
# Detectors with small counts; --anomaly-floor 1: only latencies above about
# 4x the usual (the spread is at least the centre) count as anomalous.
ANOMALY_OPTIONS = ("--anomaly-baseline", "30", "--anomaly-min-count", "20", "--anomaly-mad-window", "40",
                   "--anomaly-raise-after", "3", "--anomaly-raise-window", "5", "--anomaly-clear-after", "10",
                   "--anomaly-floor", "1")
STEADY_REQUESTS = 60  # before the step (delay-after:60:...)
STEP_REQUESTS = 15


def read_log(path):
    """Every JSON line of a log file (each must parse)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class Watched(Server):
    """A server logging to a file in its own temporary directory."""

    def __init__(self, *extra, sample_rate="0"):
        self.dir = tempfile.mkdtemp(prefix="coldbench-serve-watch-")
        self.log_path = os.path.join(self.dir, "serve.log")
        self.diagnostics = os.path.join(self.dir, "diagnostics")
        super().__init__("--warmup", "2", "--log", self.log_path, "--log-sample", sample_rate,
                         "--diagnostics-dir", self.diagnostics, *extra)
        status, _, listing = self.request("/v1/models")
        assert status == 200, listing
        self.model = listing["models"][0]
        self.shape = self.model["input_shape"]
        self.numel = 1
        for dim in self.shape:
            self.numel *= dim

    def predict(self, i, prefix="req"):
        return self.predict_raw([0.01 * (i % 7)] * self.numel, self.shape, headers={"X-Request-Id": f"{prefix}-{i}"})

    def events(self, name=None):
        return [e for e in read_log(self.log_path) if name is None or e["event"] == name]

    def snapshots(self, prefix):
        found = []
        for path in sorted(glob.glob(os.path.join(self.diagnostics, f"{prefix}-*.json"))):
            with open(path) as f:
                found.append(json.load(f))
        return found

    def close(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class LeakWatch(unittest.TestCase):
    def drive(self, server, until, max_seconds):
        """Requests at <= 50/s until until() or max_seconds; returns (requests, seconds)."""
        start = time.monotonic()
        sent = 0
        while time.monotonic() - start < max_seconds:
            status, _, answer = server.predict(sent)
            self.assertEqual(status, 200, answer)
            sent += 1
            if until and sent % 5 == 0 and until():
                break
            time.sleep(0.02)
        return sent, time.monotonic() - start

    def test_leak_fault_trips_the_alert_and_a_clean_server_over_longer_does_not(self):
        leaky = Watched("--fault", f"leak-per-request:{LEAK_BYTES}", *LEAK_OPTIONS)
        try:
            tripped = lambda: sample(leaky.metrics(), "model_memory_leak_suspected") == 1
            sent, seconds = self.drive(leaky, tripped, LEAK_DEADLINE_S)
            text = leaky.metrics()
            self.assertEqual(sample(text, "model_memory_leak_suspected"), 1,
                             f"no leak alert after {sent} requests in {seconds:.1f} s")
            self.assertEqual(sample(text, "model_memory_leak_alerts_total"), 1)
            self.assertGreater(sample(text, "process_resident_memory_slope_bytes_per_second"), 2e6)
            self.assertTrue(wait_until(lambda: leaky.events("leak_suspected")), leaky.events())
            event = leaky.events("leak_suspected")[0]
            self.assertTrue(TIMESTAMP.match(event["timestamp"]), event)
            self.assertGreater(event["slope_bytes_per_second"], 2e6)
            self.assertTrue(wait_until(lambda: leaky.snapshots("leak")))
            snapshot = leaky.snapshots("leak")[0]
            self.assertEqual(snapshot["alert"], "memory_leak")
            self.assertGreater(snapshot["process"]["rss_bytes"], 0)
            self.assertGreater(snapshot["process"]["threads"], 1)
            self.assertEqual(len(snapshot["process"]["load_average"]), 3)
            written = leaky.events("diagnostics_written")
            self.assertTrue(written and os.path.exists(written[0]["path"]), written)
        finally:
            leaky.close()

        # The control: the same traffic without the fault, for twice as long
        # (and at least 8 s: four leak windows).
        clean = Watched(*LEAK_OPTIONS)
        try:
            clean_sent, clean_seconds = self.drive(clean, None, max(8.0, 2 * seconds))
            text = clean.metrics()
            self.assertGreater(clean_seconds, seconds)
            self.assertEqual(sample(text, "model_memory_leak_suspected"), 0, text)
            self.assertEqual(sample(text, "model_memory_leak_alerts_total"), 0)
            self.assertEqual(clean.events("leak_suspected"), [])
            self.assertEqual(clean.snapshots("leak"), [])
            self.assertGreater(clean_sent, sent)
        finally:
            clean.close()


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class LatencyAnomaly(unittest.TestCase):
    def test_latency_step_trips_every_detector_and_steady_traffic_trips_none(self):
        # delay-ms:10 makes every request ~10 ms, so machine noise is small beside it;
        # delay-after adds 100 ms from request 61 on.
        stepped = Watched("--fault", f"delay-ms:10,delay-after:{STEADY_REQUESTS}:100", *ANOMALY_OPTIONS)
        try:
            start = time.monotonic()
            for i in range(STEADY_REQUESTS + STEP_REQUESTS):
                status, _, answer = stepped.predict(i)
                self.assertEqual(status, 200, answer)
                if i >= STEADY_REQUESTS:
                    self.assertGreaterEqual(answer["latency_ms"], 100)  # the fault is in the forward time
            step_seconds = time.monotonic() - start
            text = stepped.metrics()
            for detector in DETECTORS:
                labels = {"model": "tiny_cnn", "detector": detector}
                self.assertEqual(sample(text, "model_latency_detector_ready", **labels), 1, detector)
                self.assertEqual(sample(text, "model_latency_anomalies_total", **labels), 1, (detector, text))
                # The EWMA takes a lasting step as the new normal after about ten
                # requests and clears; the others hold while the step lasts.
                if detector != "ewma":
                    self.assertEqual(sample(text, "model_latency_anomaly", **labels), 1, detector)
            self.assertTrue(wait_until(lambda: len(stepped.events("anomaly_start")) == 3), stepped.events())
            starts = {e["detector"]: e for e in stepped.events("anomaly_start")}
            self.assertEqual(set(starts), set(DETECTORS))
            for event in starts.values():
                self.assertEqual(event["model"], "tiny_cnn")
                self.assertGreaterEqual(event["latency_ms"], 100)
            self.assertTrue(wait_until(lambda: len(stepped.snapshots("anomaly")) == 3))
            for snapshot in stepped.snapshots("anomaly"):
                self.assertEqual(snapshot["alert"], "latency_anomaly")
                self.assertIn(snapshot["detector"], DETECTORS)
                self.assertTrue(TIMESTAMP.match(snapshot["timestamp"]), snapshot)
                recent = snapshot["recent_latencies_ms"]
                # The raise comes on the 3rd slow request (3 of the last 5; on
                # the 2nd if a steady one happened to be flagged just before):
                # the snapshot holds every request up to it, the slow ones last.
                slow = sum(1 for v in recent if v >= 100)
                self.assertIn(slow, (2, 3), recent[-5:])
                self.assertEqual(len(recent), STEADY_REQUESTS + slow)
                self.assertTrue(all(v >= 100 for v in recent[-slow:]), recent[-5:])
                self.assertGreaterEqual(snapshot["in_flight"], 1)
                self.assertTrue(snapshot["detector_state"]["ready"])
                self.assertGreater(snapshot["process"]["rss_bytes"], 0)
        finally:
            stepped.close()

        # The control: the same server and request count without the step, for
        # at least as long.
        steady = Watched("--fault", "delay-ms:10", *ANOMALY_OPTIONS)
        try:
            start = time.monotonic()
            i = 0
            while i < STEADY_REQUESTS + STEP_REQUESTS or time.monotonic() - start < step_seconds:
                status, _, answer = steady.predict(i)
                self.assertEqual(status, 200, answer)
                i += 1
                self.assertLess(i, 5000)
            text = steady.metrics()
            for detector in DETECTORS:
                labels = {"model": "tiny_cnn", "detector": detector}
                self.assertEqual(sample(text, "model_latency_detector_ready", **labels), 1, detector)
                self.assertEqual(sample(text, "model_latency_anomalies_total", **labels), 0, (detector, text))
                self.assertEqual(sample(text, "model_latency_anomaly", **labels), 0, detector)
            self.assertEqual(steady.events("anomaly_start"), [])
            self.assertEqual(steady.snapshots("anomaly"), [])
        finally:
            steady.close()

    def test_stall_at_holds_one_request_once(self):
        server = Watched("--workers", "1", "--fault", "stall-at:3:700", "--anomaly-detectors", "none")
        try:
            latencies = []
            for i in range(6):
                status, _, answer = server.predict(i)
                self.assertEqual(status, 200, answer)
                latencies.append(answer["latency_ms"])
            self.assertGreaterEqual(latencies[2], 700, latencies)
            self.assertEqual(sum(1 for v in latencies if v >= 700), 1, latencies)
            text = server.metrics()
            self.assertIsNone(sample(text, "model_latency_anomaly", model="tiny_cnn", detector="ewma"))
        finally:
            server.close()


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class LogSampling(unittest.TestCase):
    def drive(self, server, good, bad):
        for i in range(good):
            status, _, answer = server.predict(i, "ok")
            self.assertEqual(status, 200, answer)
        for i in range(bad):
            status, _, answer = server.predict_raw([0.0] * (server.numel - 1), server.shape,
                                                   headers={"X-Request-Id": f"bad-{i}"})
            self.assertEqual(status, 400, answer)

    def wait_for_inference_lines(self, server, count):
        wait_until(lambda: len(server.events("inference")) >= count)
        time.sleep(0.2)  # anything beyond the expected count would show now
        return server.events("inference")

    def test_rate_one_logs_every_request_with_the_fields(self):
        server = Watched(sample_rate="1.0")
        try:
            self.drive(server, 20, 5)
            lines = self.wait_for_inference_lines(server, 25)
            self.assertEqual(sorted(e["request_id"] for e in lines),
                             sorted([f"ok-{i}" for i in range(20)] + [f"bad-{i}" for i in range(5)]))
            for event in lines:
                self.assertTrue(TIMESTAMP.match(event["timestamp"]), event)
                self.assertEqual(event["model"], "tiny_cnn")
                self.assertEqual(event["model_version"], server.model["version"])
                self.assertEqual(event["mode"], "script")
                self.assertGreater(event["memory_mb"], 1)
                if event["request_id"].startswith("ok-"):
                    self.assertEqual((event["status"], event["error_type"]), (200, None))
                    self.assertGreater(event["latency_ms"], 0)
                    self.assertEqual(event["input_shape"], server.shape)
                    self.assertEqual(event["batch_size"], 1)
                    self.assertEqual(event["cache"], "warm")  # the warm-up ran batch 1
                else:
                    # The body did not parse (4 bytes short): no shape to report.
                    self.assertEqual((event["status"], event["error_type"]), (400, "size_mismatch"))
                    self.assertIsNone(event["latency_ms"])
                    self.assertIsNone(event["input_shape"])
            ready = server.events("server_ready")
            self.assertEqual(len(ready), 1)
            self.assertEqual(ready[0]["models"][0]["model"], "tiny_cnn")
            code, _ = server.stop()
            self.assertEqual(code, 0)
            self.assertEqual(len(server.events("server_stopping")), 1)
        finally:
            server.close()

    def test_rate_a_tenth_logs_exactly_every_tenth_success_and_every_error(self):
        server = Watched(sample_rate="0.1")
        try:
            self.drive(server, 50, 7)
            lines = self.wait_for_inference_lines(server, 12)
            ok = sorted(int(e["request_id"][3:]) for e in lines if e["status"] == 200)
            self.assertEqual(ok, [9, 19, 29, 39, 49])  # the 10th, 20th, ... success
            self.assertEqual(sorted(e["request_id"] for e in lines if e["status"] != 200),
                             sorted(f"bad-{i}" for i in range(7)))
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
