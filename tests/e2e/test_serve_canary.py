#!/usr/bin/env python3
"""End-to-end tests of serve's A/B experiment and canary rollout (docs/serve.md,
"A/B and canary") and of `coldbench load`'s A/B verdict (docs/load.md).

MobileNetV2 from the build's catalog is served twice in one process: A
optimized, B either in script mode (several times slower here) or the same
optimized model again. Requests carry fixed X-Request-Id values, so the route
of each is known in advance: this test computes it itself (FNV-1a 64 +
fmix64, the documented recipe) and checks the server's X-Coldbench-Arm
against it, which is the cross-process stability the routing promises.

- Canary, B in script mode: rolled back in the first or second stage, within
  ROLLBACK_WITHIN requests (stages hold at most STAGE_REQUESTS requests; the
  first B latencies decide once A has 100 as its reference).
- Canary, B the same model and mode: promoted to 100%, within PROMOTE_WITHIN.
- A/B verdict (/v1/ab and `coldbench load`): script vs optimized is "slower"
  with an interval above 1; A/A (both arms the same served model: identical
  code paths) is never "slower" or "faster". The A/A runs use a practical
  margin of 25%: a verdict needs a shift beyond it and significance, which
  chance alone cannot produce at these sizes, so the test cannot flake.

All traffic goes to 127.0.0.1; every loop is bounded in count and time.
"""

import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from e2e_support import COLDBENCH, COLDBENCH_TORCH, temp_dir

STARTUP_TIMEOUT_S = 180
REQUEST_TIMEOUT_S = 60
SHAPE = (1, 3, 224, 224)
STAGE_REQUESTS = 300
ROLLBACK_WITHIN = 2 * STAGE_REQUESTS   # first or second stage
PROMOTE_WITHIN = 4 * STAGE_REQUESTS    # four stages below 100%, each at most STAGE_REQUESTS
WALL_LIMIT_S = 300                     # any one request loop
# The canary tests' p99 margin: B may be up to 2x A's p99 (script mode is far beyond it);
# a generous margin keeps a loaded machine's hiccups from rolling back an equal B.
CANARY_MARGIN = "1.0"
MASK = (1 << 64) - 1


def request_position(request_id):
    """serve's routing (torch/serve/ab_routing.hpp), independently: FNV-1a 64, fmix64, top 53 bits."""
    h = 0xCBF29CE484222325
    for byte in request_id.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK
    h ^= h >> 33
    return (h >> 11) * 2.0 ** -53


class Server:
    """`coldbench-torch serve` on 127.0.0.1, a free port, JSON log to a file."""

    def __init__(self, tmp, *args):
        self.log_path = os.path.join(tmp, "serve.log")
        env = dict(os.environ, OMP_NUM_THREADS="1")
        env.pop("COLDBENCH_FD", None)
        self.proc = subprocess.Popen(
            [COLDBENCH_TORCH, "serve", "--port", "0", "--threads", "1", "--workers", "1", "--queue", "64",
             "--warmup", "3", "--log", self.log_path, "--log-sample", "0", "--anomaly-detectors", "none",
             "--leak-sample-ms", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.port = None
        self.ready = threading.Event()
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(STARTUP_TIMEOUT_S):
            self.stop()
            raise AssertionError(f"serve not ready within {STARTUP_TIMEOUT_S} s: {self.lines}")
        self.body = b"\0" * (4 * SHAPE[0] * SHAPE[1] * SHAPE[2] * SHAPE[3])

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            match = re.match(r"ready http://127\.0\.0\.1:(\d+)$", line.strip())
            if match:
                self.port = int(match.group(1))
                self.ready.set()

    def origin(self):
        return f"http://127.0.0.1:{self.port}"

    def get(self, path):
        with urllib.request.urlopen(self.origin() + path, timeout=REQUEST_TIMEOUT_S) as response:
            return response.read().decode()

    def predict(self, model, request_id):
        req = urllib.request.Request(
            f"{self.origin()}/v1/models/{model}:predict", data=self.body, method="POST",
            headers={"Content-Type": "application/octet-stream", "X-Shape": ",".join(map(str, SHAPE)),
                     "X-Request-Id": request_id})
        try:
            with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as response:
                return response.status, response.headers.get("X-Coldbench-Arm")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("X-Coldbench-Arm")

    def ab(self):
        return json.loads(self.get("/v1/ab"))

    def events(self, prefix="canary_"):
        out = []
        if os.path.exists(self.log_path):
            with open(self.log_path) as f:
                for line in f:
                    event = json.loads(line)
                    if event.get("event", "").startswith(prefix):
                        out.append(event)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()


def sample(text, name):
    match = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


SCRIPT_B = ["--model", "fast=mobilenet_v2@optimized", "--model", "slow=mobilenet_v2@script",
            "--ab", "A=fast,B=slow"]
SAME_B = ["--model", "fast=mobilenet_v2@optimized", "--model", "again=mobilenet_v2@optimized",
          "--ab", "A=fast,B=again"]


@unittest.skipUnless(os.path.exists(COLDBENCH_TORCH), f"{COLDBENCH_TORCH} not built")
class Canary(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, prefix="cb-canary-")

    def drive_canary(self, server, limit):
        """Sends fixed-id requests to arm A's name, one at a time, until the canary is promoted or
        rolled back, or `limit`; returns the count. A stage changes while the server handles a
        request, before it answers, so each answer's arm must be the documented hash's at the share
        /v1/ab showed after the previous answer."""
        deadline = time.monotonic() + WALL_LIMIT_S
        percent = server.ab()["canary"]["percent"]
        for i in range(limit):
            self.assertLess(time.monotonic(), deadline, "request loop ran past its time limit")
            request_id = f"canary-{i}"
            status, arm = server.predict("fast", request_id)
            self.assertEqual(status, 200)
            self.assertEqual(arm, "B" if request_position(request_id) < percent / 100 else "A",
                             f"{request_id} at {percent}%")
            canary = server.ab()["canary"]
            percent = canary["percent"]
            if canary["state"] != "ramping":
                return i + 1
        return limit

    def test_script_mode_b_is_rolled_back_early(self):
        # Precondition of the bound: the fixed ids put at least 2 B requests in the first stage.
        first_stage_b = sum(request_position(f"canary-{i}") < 0.01 for i in range(STAGE_REQUESTS))
        self.assertGreaterEqual(first_stage_b, 2)
        server = Server(self.tmp, *SCRIPT_B, "--canary", "--canary-margin", CANARY_MARGIN,
                        "--canary-stage-requests", str(STAGE_REQUESTS))
        try:
            sent = self.drive_canary(server, ROLLBACK_WITHIN)
            status = server.ab()
            metrics = server.get("/metrics")
            after = [server.predict("fast", f"after-{i}")[1] for i in range(20)]
        finally:
            server.stop()
        events = server.events()
        print(f"\n[canary, B script mode] {sent} requests; events: "
              + "; ".join(f"{e['event']} {e['from_percent']}->{e['to_percent']} ({e.get('reason', '')})"
                          for e in events), flush=True)
        self.assertEqual(status["canary"]["state"], "rolled_back", status)
        self.assertLessEqual(sent, ROLLBACK_WITHIN)
        rolled = [e for e in events if e["event"] == "canary_rolled_back"]
        self.assertEqual(len(rolled), 1, events)
        self.assertIn(rolled[0]["from_percent"], (1, 5))
        self.assertEqual(rolled[0]["to_percent"], 0)
        self.assertEqual(rolled[0]["decided_by"], "sequential_test")
        self.assertEqual(rolled[0]["evidence"]["latency"]["decision"], "accept_h1")
        self.assertEqual(events[0]["event"], "canary_started")
        self.assertEqual(sample(metrics, "canary_stage"), 0)
        self.assertEqual(sample(metrics, "canary_rollbacks_total"), 1)
        self.assertEqual(after, ["A"] * 20)  # rolled back: every request on A

    def test_same_model_and_mode_b_is_promoted_to_all_traffic(self):
        server = Server(self.tmp, *SAME_B, "--canary", "--canary-margin", CANARY_MARGIN,
                        "--canary-stage-requests", str(STAGE_REQUESTS))
        try:
            sent = self.drive_canary(server, PROMOTE_WITHIN)
            status = server.ab()
            metrics = server.get("/metrics")
            after = [server.predict("fast", f"after-{i}")[1] for i in range(10)]
        finally:
            server.stop()
        events = server.events()
        print(f"\n[canary, B same model and mode] {sent} requests; events: "
              + "; ".join(f"{e['event']} {e['from_percent']}->{e['to_percent']} ({e.get('decided_by', '')})"
                          for e in events), flush=True)
        self.assertEqual(status["canary"]["state"], "promoted", (status, events))
        self.assertEqual([e["to_percent"] for e in events], [1, 5, 20, 50, 100])
        self.assertEqual(events[-1]["event"], "canary_promoted")
        self.assertEqual(sample(metrics, "canary_stage"), 100)
        self.assertEqual(sample(metrics, "canary_rollbacks_total"), 0)
        self.assertEqual(after, ["B"] * 10)


def run_load(args, timeout=600):
    tmp = tempfile.mkdtemp(prefix="cb-ab-load-")
    path = os.path.join(tmp, "load.json")
    completed = subprocess.run([COLDBENCH, "load", "--json", path, "--no-progress", *args],
                               capture_output=True, text=True, timeout=timeout)
    data = None
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    return completed, data


@unittest.skipUnless(os.path.exists(COLDBENCH_TORCH), f"{COLDBENCH_TORCH} not built")
class AbVerdict(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, prefix="cb-ab-")
        self.body = os.path.join(self.tmp, "x.bin")
        with open(self.body, "wb") as f:
            f.write(b"\0" * (4 * 3 * 224 * 224))

    def load(self, server, rate, requests, *extra):
        return run_load(["--url", server.origin() + "/v1/models/fast:predict", "--rate", str(rate),
                         "--arrival", "constant", "--requests", str(requests), "--connections", "2",
                         "--timeout", "30s", "--body-file", self.body,
                         "--header", "X-Shape: 1,3,224,224", "--header", "Content-Type: application/octet-stream",
                         *extra])

    def test_routes_match_the_documented_hash(self):
        server = Server(self.tmp, *SAME_B, "--ab-ratio", "0.3")
        try:
            arms = {f"route-{i}": server.predict("fast", f"route-{i}")[1] for i in range(40)}
            direct = server.predict("again", "route-x")[1]
        finally:
            server.stop()
        for request_id, arm in arms.items():
            self.assertEqual(arm, "B" if request_position(request_id) < 0.3 else "A", request_id)
        self.assertIsNone(direct)  # a request to B's own name is not part of the experiment

    def test_script_b_is_slower_with_its_interval(self):
        # Rates far below what the server keeps up with even on a loaded machine (script-mode B
        # passes are the slow ones); the server makes the ids, so B's count is binomial(120, 0.2).
        server = Server(self.tmp, *SCRIPT_B, "--ab-ratio", "0.2")
        try:
            completed, data = self.load(server, 3, 120)
            live = server.ab()
        finally:
            server.stop()
        self.assertEqual(completed.returncode, 0, completed.stdout + completed.stderr)
        ab = data["load"]["ab"]
        print(f"\n[A/B script vs optimized] load: {ab['summary']}\n  /v1/ab: {live['summary']}", flush=True)
        self.assertIn("A/B", completed.stdout)
        self.assertIn("slower", completed.stdout)
        self.assertEqual(ab["verdict"], "slower", ab)
        self.assertGreater(ab["comparison"]["ratio_ci"]["low"], 1.05)
        self.assertEqual(live["verdict"], "slower", live)
        self.assertGreater(live["comparison"]["ratio_ci"]["low"], 1.05)
        self.assertGreater(ab["arms"]["B"]["ok"], 8)

    def test_a_a_is_never_slower(self):
        server = Server(self.tmp, "--model", "fast=mobilenet_v2@optimized", "--ab", "A=fast,B=fast",
                        "--ab-ratio", "0.5", "--ab-threshold", "0.25")
        try:
            completed, data = self.load(server, 5, 150, "--threshold", "25%")
            live = server.ab()
        finally:
            server.stop()
        self.assertEqual(completed.returncode, 0, completed.stdout + completed.stderr)
        ab = data["load"]["ab"]
        print(f"\n[A/A] load: {ab['summary']}\n  /v1/ab: {live['summary']}", flush=True)
        self.assertIn(ab["verdict"], ("equivalent", "inconclusive"), ab)
        self.assertIn(live["verdict"], ("equivalent", "inconclusive"), live)
        self.assertGreater(ab["arms"]["A"]["ok"], 40)
        self.assertGreater(ab["arms"]["B"]["ok"], 40)

    def test_ab_naming_an_unserved_model_is_a_usage_error(self):
        completed = subprocess.run([COLDBENCH_TORCH, "serve", "--model", "tiny_cnn", "--port", "0",
                                    "--ab", "A=tiny_cnn,B=nope", "--exit-when-ready"],
                                   capture_output=True, text=True, timeout=120)
        self.assertEqual(completed.returncode, 2, completed.stderr)
        self.assertIn("--ab", completed.stderr)
        self.assertIn("nope", completed.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
