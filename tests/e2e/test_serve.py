#!/usr/bin/env python3
"""End-to-end tests of `coldbench-torch serve` (docs/serve.md).

Starts the real server on 127.0.0.1, port 0, with the tiny test model, reads
the port from its `listening` line, and drives a bounded number of requests:
good ones (raw float32 and JSON) and each kind of bad input. Checks the
answers, that /metrics counts them exactly, /readyz before and after ready,
queue-full refusals, an injected model fault, SIGTERM draining an in-flight
request, `promtool check metrics` (when installed) and that `coldbench run`
records the server's start-up phases. Standard library only; every wait is
bounded in count and time.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

from e2e_support import COLDBENCH_TORCH, run_coldbench

BINARY = COLDBENCH_TORCH
MODEL = "tiny_cnn"
STARTUP_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 30


class Server:
    """One `coldbench-torch serve` process on 127.0.0.1 and a port it picked."""

    def __init__(self, *extra, wait_ready=True):
        env = dict(os.environ, OMP_NUM_THREADS="1")
        env.pop("COLDBENCH_FD", None)
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--model", MODEL, "--port", "0", "--threads", "1", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines = []
        self.ready = threading.Event()
        self.listening = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.listening.wait(STARTUP_TIMEOUT_S):
            self.kill()
            raise AssertionError(f"no 'listening' line within {STARTUP_TIMEOUT_S} s: {self.lines}")
        if wait_ready and not self.ready.wait(STARTUP_TIMEOUT_S):
            self.kill()
            raise AssertionError(f"no 'ready' line within {STARTUP_TIMEOUT_S} s: {self.lines}")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            match = re.match(r"(listening|ready) http://127\.0\.0\.1:(\d+)$", line.strip())
            if match:
                self.port = int(match.group(2))
                (self.listening if match.group(1) == "listening" else self.ready).set()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, path, body=None, headers=None, method=None):
        """(status, headers, parsed JSON or text) for one request."""
        req = urllib.request.Request(self.url(path), data=body, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as response:
                status, head, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, head, raw = error.code, dict(error.headers), error.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, head, json.loads(text)
        except ValueError:
            return status, head, text

    def predict_raw(self, values, shape, model=MODEL, headers=None):
        body = struct.pack(f"<{len(values)}f", *values)
        head = {"Content-Type": "application/octet-stream", "X-Shape": ",".join(map(str, shape))}
        head.update(headers or {})
        return self.request(f"/v1/models/{model}:predict", body, head)

    def predict_json(self, payload, model=MODEL):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request(f"/v1/models/{model}:predict", body, {"Content-Type": "application/json"})

    def metrics(self):
        status, head, text = self.request("/metrics")
        assert status == 200, (status, text)
        assert head.get("Content-Type", "").startswith("text/plain; version=0.0.4"), head
        return text

    def stop(self, sig=signal.SIGTERM, timeout=60):
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return code, self.proc.stderr.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()


def sample(text, name, **labels):
    """The value of one series in a text exposition, or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if found == {k: str(v) for k, v in labels.items()}:
            return float(match.group(4))
    return None


def wait_until(predicate, timeout=REQUEST_TIMEOUT_S, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class ServeTraffic(unittest.TestCase):
    """One server, a fixed mix of good and bad requests, then exact counts."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--warmup", "2", "--max-body", "65536", "--read-timeout", "1")
        status, _, listing = cls.server.request("/v1/models")
        assert status == 200, listing
        cls.model = listing["models"][0]
        cls.shape = cls.model["input_shape"]
        cls.numel = 1
        for dim in cls.shape:
            cls.numel *= dim

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def test_traffic_answers_and_exact_metrics(self):
        server, shape, numel = self.server, self.shape, self.numel
        good = 0
        for i in range(5):
            status, head, answer = server.predict_raw([0.01 * i] * numel, shape, headers={"X-Request-Id": f"raw-{i}"})
            self.assertEqual(status, 200, answer)
            self.assertEqual(answer["request_id"], f"raw-{i}")
            self.assertEqual(head.get("X-Request-Id"), f"raw-{i}")
            self.assertEqual(answer["model"], MODEL)
            self.assertGreater(answer["latency_ms"], 0)
            self.assertTrue(answer["output_shape"])
            good += 1
        for i in range(3):
            status, _, answer = server.predict_json({"shape": shape, "data": [0.5] * numel})
            self.assertEqual(status, 200, answer)
            self.assertTrue(answer["request_id"])  # generated
            if len(answer["output_shape"]) == 2 and answer["output_shape"][1] > 1:
                self.assertEqual(len(answer["top_k"]), 1)
            good += 1

        wrong = list(shape)
        wrong[-1] += 1
        wrong_numel = numel // shape[-1] * wrong[-1]
        bad = [
            (server.predict_raw([0.0] * wrong_numel, wrong), 400, "shape_mismatch"),
            (server.predict_raw([0.0] * (numel - 1), shape), 400, "size_mismatch"),
            (server.predict_raw([0.0] * numel, shape, headers={"X-Dtype": "float16"}), 400, "unsupported_dtype"),
            (server.predict_json(b'{"shape": [1, 2'), 400, "malformed_json"),
            (server.request(f"/v1/models/{MODEL}:predict", b"\0" * 70000,
                            {"Content-Type": "application/octet-stream", "X-Shape": "17500"}), 413, "body_too_large"),
            (server.predict_raw([0.0] * numel, shape, model="no_such_model"), 404, "unknown_model"),
            (server.request(f"/v1/models/{MODEL}:predict", b"hello", {"Content-Type": "text/plain"}), 415,
             "unsupported_media_type"),
        ]
        for (status, _, answer), want_status, want_type in bad:
            self.assertEqual(status, want_status, answer)
            self.assertEqual(answer["error_type"], want_type, answer)
            self.assertTrue(answer["error"])

        # A slow client: half a body, then silence past --read-timeout (1 s).
        with socket.create_connection(("127.0.0.1", server.port), timeout=REQUEST_TIMEOUT_S) as slow:
            slow.sendall((f"POST /v1/models/{MODEL}:predict HTTP/1.1\r\nHost: x\r\n"
                          "Content-Type: application/octet-stream\r\nX-Shape: 1\r\n"
                          "Content-Length: 4\r\n\r\n\0\0").encode())
            reply = b""
            while True:
                chunk = slow.recv(65536)
                if not chunk:
                    break
                reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply)
        self.assertIn(b'"error_type":"incomplete_request"', reply)

        # Still serving after all of it.
        status, _, answer = server.predict_raw([0.0] * numel, shape)
        self.assertEqual(status, 200, answer)
        good += 1
        status, _, text = server.request("/no/such/path")
        self.assertEqual(status, 404)
        self.assertEqual(text["error_type"], "not_found")

        text = server.metrics()
        predict = "/v1/models/{name}:predict"
        version = self.model["version"]
        self.assertEqual(sample(text, "http_requests_total", path=predict, status=200), good)
        self.assertEqual(sample(text, "http_requests_total", path=predict, status=400), 5)
        self.assertEqual(sample(text, "http_requests_total", path=predict, status=413), 1)
        self.assertEqual(sample(text, "http_requests_total", path=predict, status=404), 1)
        self.assertEqual(sample(text, "http_requests_total", path=predict, status=415), 1)
        self.assertEqual(sample(text, "http_requests_total", path="other", status=404), 1)
        self.assertEqual(sample(text, "model_inference_latency_seconds_count", model=MODEL, version=version,
                                device="cpu"), good)
        self.assertEqual(sample(text, "model_inference_latency_seconds_bucket", model=MODEL, version=version,
                                device="cpu", le="+Inf"), good)
        for error_type in ("shape_mismatch", "size_mismatch", "unsupported_dtype", "malformed_json",
                           "body_too_large", "unsupported_media_type", "incomplete_request"):
            self.assertEqual(sample(text, "model_inference_errors_total", model=MODEL, error_type=error_type), 1,
                             error_type)
        self.assertEqual(sample(text, "model_inference_errors_total", model="", error_type="unknown_model"), 1)
        self.assertEqual(sample(text, "http_requests_in_flight"), 1)  # the scrape itself
        for name in ("process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
                     "process_max_fds", "process_start_time_seconds", "process_virtual_memory_bytes"):
            self.assertIsNotNone(sample(text, name), name)
            self.assertIn(f"# TYPE {name} ", text)

    def test_models_health_and_ready(self):
        self.assertEqual(self.model["name"], MODEL)
        self.assertEqual(self.model["mode"], "script")
        self.assertRegex(self.model["version"], r"^[0-9a-f]{12}$")
        self.assertEqual(self.shape[0], 1)
        self.assertEqual(self.server.request("/healthz")[0], 200)
        self.assertEqual(self.server.request("/readyz")[0], 200)

    def test_promtool_finds_no_problems(self):
        promtool = shutil.which("promtool")
        if not promtool:
            print("skipped promtool check: promtool not installed (apt-get install prometheus)")
            return
        text = self.server.metrics()
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True,
                               timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual((check.stdout + check.stderr).strip(), "", check.stdout + check.stderr)


@unittest.skipUnless(os.path.exists(BINARY), f"{BINARY} not built (COLDBENCH_WITH_TORCH=OFF?)")
class ServeLifecycle(unittest.TestCase):
    def predict_zero(self, server):
        status, _, listing = server.request("/v1/models")
        shape = listing["models"][0]["input_shape"]
        numel = 1
        for dim in shape:
            numel *= dim
        return server.predict_raw([0.0] * numel, shape)

    def test_not_ready_while_warming_up_and_sigterm_cancels_warmup(self):
        # A million warmup passes keep the server in warmup for the whole test.
        server = Server("--warmup", "1000000", wait_ready=False)
        try:
            status, _, answer = server.request("/readyz")
            self.assertEqual(status, 503, answer)
            self.assertEqual(server.request("/healthz")[0], 200)
            status, _, answer = server.predict_raw([0.0], [1])
            self.assertEqual((status, answer["error_type"]), (503, "not_ready"))
            code, stderr = server.stop()
            self.assertEqual(code, 0, stderr)
            self.assertFalse(server.ready.is_set())
        finally:
            server.kill()

    def test_model_that_throws_gets_500_and_server_keeps_serving(self):
        server = Server("--warmup", "1", "--fault", "throw-after:2")
        try:
            statuses = [self.predict_zero(server) for _ in range(4)]
            self.assertEqual([s for s, _, _ in statuses], [200, 200, 500, 500])
            self.assertEqual(statuses[2][2]["error_type"], "model_error")
            self.assertIn("injected fault", statuses[2][2]["error"])
            self.assertEqual(server.request("/healthz")[0], 200)
            text = server.metrics()
            self.assertEqual(sample(text, "model_inference_errors_total", model=MODEL, error_type="model_error"), 2)
            self.assertEqual(sample(text, "http_requests_total", path="/v1/models/{name}:predict", status=500), 2)
            code, stderr = server.stop()
            self.assertEqual(code, 0, stderr)
        finally:
            server.kill()

    def test_full_queue_refuses_with_503_and_sigterm_drains_in_flight(self):
        server = Server("--warmup", "0", "--workers", "1", "--queue", "0", "--fault", "delay-ms:3000")
        try:
            results = []
            first = threading.Thread(target=lambda: results.append(self.predict_zero(server)))
            first.start()
            # In flight: the slow request plus this scrape.
            self.assertTrue(wait_until(lambda: sample(server.metrics(), "http_requests_in_flight") >= 2))
            status, _, answer = self.predict_zero(server)
            self.assertEqual((status, answer["error_type"]), (503, "queue_full"))
            # SIGTERM while the first is still running: it completes, then exit 0.
            self.assertTrue(wait_until(lambda: sample(server.metrics(), "http_requests_in_flight") >= 2))
            code, stderr = server.stop()
            first.join(timeout=REQUEST_TIMEOUT_S)
            self.assertEqual(code, 0, stderr)
            self.assertIn("SIGTERM received, drained", stderr)
            self.assertEqual(len(results), 1)
            self.assertEqual(results[0][0], 200, results[0])
        finally:
            server.kill()

    def test_answers_do_not_wait_for_delayed_ack(self):
        # Regression: without TCP_NODELAY the body segment waited for the
        # client's delayed ACK, ~40 ms per keep-alive request on loopback.
        # Control: the server's own forward + queue time of the same requests.
        server = Server("--warmup", "1")
        shape = server.request("/v1/models")[2]["models"][0]["input_shape"]
        numel = 1
        for dim in shape:
            numel *= dim
        body = struct.pack(f"<{numel}f", *([0.0] * numel))
        head = {"Content-Type": "application/octet-stream", "X-Shape": ",".join(map(str, shape))}
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT_S)
        extra_ms = []
        try:
            for _ in range(15):
                start = time.monotonic()
                connection.request("POST", f"/v1/models/{MODEL}:predict", body, head)
                response = connection.getresponse()
                answer = json.loads(response.read())
                elapsed_ms = (time.monotonic() - start) * 1000
                self.assertEqual(response.status, 200, answer)
                extra_ms.append(elapsed_ms - answer["latency_ms"] - answer["queue_ms"])
        finally:
            connection.close()
            server.kill()
        extra_ms.sort()
        self.assertLess(extra_ms[len(extra_ms) // 2], 30, extra_ms)

    def test_two_models_served_side_by_side(self):
        path = os.path.join(os.path.dirname(BINARY), "models", f"{MODEL}.pt")
        server = Server("--warmup", "1", "--model", f"copy={path}")
        try:
            status, _, listing = server.request("/v1/models")
            self.assertEqual(status, 200)
            names = [m["name"] for m in listing["models"]]
            self.assertEqual(names, [MODEL, "copy"])
            # The same file under two names: one version (a digest of the file).
            self.assertEqual(listing["models"][0]["version"], listing["models"][1]["version"])
            shape = listing["models"][0]["input_shape"]
            numel = 1
            for dim in shape:
                numel *= dim
            for name in names:
                status, _, answer = server.predict_raw([0.0] * numel, shape, model=name)
                self.assertEqual((status, answer["model"]), (200, name), answer)
            code, stderr = server.stop()
            self.assertEqual(code, 0, stderr)
        finally:
            server.kill()

    def test_bad_options_exit_2_with_one_line(self):
        for args, words in ((["--model", MODEL, "--port", "70000"], "--port"),
                            (["--model", MODEL, "--buckets", "0.1,0.01"], "--buckets"),
                            (["--model", "no_such_model_here"], "no_such_model_here"),
                            (["--model", MODEL, "--model", MODEL], "two models are named")):
            proc = subprocess.run([BINARY, "serve", *args], capture_output=True, text=True, timeout=120)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn(words, proc.stderr)
            self.assertNotIn("frame #", proc.stderr)

    def test_coldbench_run_records_server_start_phases(self):
        result = run_coldbench(["run", "-r", "2", "--", BINARY, "serve", "--model", MODEL, "--port", "0",
                                "--threads", "1", "--warmup", "1", "--exit-when-ready"], timeout=600)
        self.assertEqual(result.returncode, 0, result.stderr)
        runs = result.measured_runs()
        self.assertEqual(len(runs), 2)
        for run in runs:
            self.assertEqual(run["exit_code"], 0, run)
            self.assertEqual([p["name"] for p in run["phases"]],
                             ["runtime_ready", "model_loaded", "first_inference", "warmup_done"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
