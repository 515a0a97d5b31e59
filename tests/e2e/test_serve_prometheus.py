#!/usr/bin/env python3
"""End to end: a real Prometheus scraping a real `coldbench-torch serve`.

Starts the server (tiny_cnn, 127.0.0.1, port 0, fine latency buckets) and
Debian's Prometheus (127.0.0.1, a free port, a temporary TSDB, a config this
test writes: scrape every second, evaluate deploy/prometheus's rules every
second). Drives a fixed mix of requests: good ones, bad ones of known kinds,
and model errors from `--fault throw-after`; waits until Prometheus has
scraped after the last one; then asks Prometheus' HTTP API for the exact
request and error counts, the p95 against the server's own, the rules'
health, which alerts are pending, and evaluates every rule expression and
every dashboard query (docs/serve.md, "Alert rules" and "Dashboard").
Skipped, with the reason printed, without prometheus/promtool or the torch
build. Standard library only; every wait is bounded in count and time.
"""

import json
import math
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from e2e_support import COLDBENCH_TORCH, SOURCE_DIR
from test_serve import MODEL, Server

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
RULES = os.path.join(SOURCE_DIR, "deploy", "prometheus", "coldbench-serve-rules.yml")
DASHBOARD = os.path.join(SOURCE_DIR, "deploy", "grafana", "coldbench-serve-dashboard.json")
PREDICT_ROUTE = "/v1/models/{name}:predict"
JOB = "coldbench-serve"
WAIT_S = 60  # each wait on Prometheus (start, a scrape, a rule evaluation)

# Metrics the rules and dashboard use that the server does not expose (none:
# every query must return data). A name added here must come with a reason.
NOT_YET_EXPOSED = frozenset()

# Bounds around tiny_cnn's ~0.2-1 ms forwards, so the p95 comparison below
# tells buckets apart instead of finding every request in the first one.
BUCKETS = [0.0001, 0.00015, 0.0002, 0.0003, 0.0004, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.005,
           0.01, 0.1, 1.0]
GOOD = 40           # successful predicts, then --fault throw-after makes the rest throw
MODEL_ERRORS = 3    # valid requests after those: 500 model_error


def free_port():
    # Closed before Prometheus binds it: a small race, but nothing else on
    # this machine picks ports at random in that instant.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what, timeout=WAIT_S, step=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s: {what} (last: {last!r})")


def bucket_of(value):
    """Index of the histogram bucket VALUE falls in (le: first bound >= value;
    len(BUCKETS) for +Inf), as the server's histogram counts it."""
    for i, bound in enumerate(BUCKETS):
        if value <= bound:
            return i
    return len(BUCKETS)


def substitute(expr):
    """A dashboard query as Grafana would send it with every server and model
    picked: the variables' "All" value (.*), and a rate window that holds
    several 1 s scrapes."""
    return (expr.replace("$model", ".*").replace("$instance", ".*")
            .replace("$__rate_interval", "1m"))


class Prometheus:
    """Debian's prometheus on 127.0.0.1, scraping one server every second."""

    def __init__(self, add_cleanup, target_port):
        self.dir = tempfile.mkdtemp(prefix="cb-e2e-prom-")
        add_cleanup(shutil.rmtree, self.dir, True)
        self.port = free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                    f"rule_files:\n  - {json.dumps(RULES)}\n"
                    f"scrape_configs:\n  - job_name: {JOB}\n"
                    f"    static_configs:\n      - targets: [\"127.0.0.1:{target_port}\"]\n")
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        add_cleanup(self.stop)
        wait_for(lambda: self.proc.poll() is not None or self.get_status("/-/ready") == 200,
                 "prometheus ready")
        if self.proc.poll() is not None:
            raise AssertionError(f"prometheus exited {self.proc.returncode}:\n{self.log_text()}")

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def get_status(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status
        except OSError:
            return None

    def api(self, path, **params):
        """The `data` of a successful API answer; an error answer fails the test."""
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                answer = json.loads(r.read())
        except urllib.error.HTTPError as error:
            answer = json.loads(error.read() or b"{}")
        if answer.get("status") != "success":
            raise AssertionError(f"{path} {params}: {answer.get('errorType')}: {answer.get('error')}")
        return answer["data"]

    def query(self, expr):
        """[(labels, value)] of an instant vector; a scalar as one unlabelled sample."""
        data = self.api("query", query=expr)
        if data["resultType"] == "vector":
            return [(s["metric"], float(s["value"][1])) for s in data["result"]]
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        raise AssertionError(f"{expr}: unexpected {data['resultType']}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.log.close()


def missing_tools():
    if not os.path.exists(COLDBENCH_TORCH):
        return f"{COLDBENCH_TORCH} not built (COLDBENCH_WITH_TORCH=OFF?)"
    if not PROMETHEUS or not PROMTOOL:
        return "prometheus/promtool not installed (apt-get install prometheus, or scripts/bootstrap)"
    return None


@unittest.skipIf(missing_tools(), missing_tools())
class ServeUnderPrometheus(unittest.TestCase):
    """One server, one Prometheus, one fixed traffic mix; then checks through the API."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--warmup", "2", "--max-body", "65536", "--fault", f"throw-after:{GOOD}",
                            "--buckets", ",".join(map(str, BUCKETS)))
        cls.addClassCleanup(cls.server.kill)
        # Prometheus first: rate() sees only increases it scraped, so the
        # traffic must come after its first scrape.
        cls.prometheus = Prometheus(cls.addClassCleanup, cls.server.port)
        started = time.time()
        cls.wait_for_scrape_after(started, "a first successful scrape")
        cls.traffic()

    @classmethod
    def wait_for_scrape_after(cls, moment, what):
        # Not timestamp(up == 1): an operator's result is stamped with the
        # query's time, not the scrape's.
        # A failed scrape (up 0) is waited past: the next one counts.
        def scraped():
            stamps = cls.prometheus.query(f'timestamp(up{{job="{JOB}"}})')
            up = cls.prometheus.query(f'up{{job="{JOB}"}}')
            return any(v > moment for _, v in stamps) and [v for _, v in up] == [1.0]
        wait_for(scraped, what)

    @classmethod
    def traffic(cls):
        """Sends the mix in three rounds, each followed by a scrape; records
        what the server answered. The server creates a labelled series on its
        first use, and rate() sees no increase in a series' first sample, so
        the first round creates every 4xx series and the last adds model
        errors to a series already scraped."""
        server = cls.server
        shape = server.request("/v1/models")[2]["models"][0]["input_shape"]
        numel = math.prod(shape)
        wrong = list(shape)
        wrong[-1] += 1
        cls.latencies_s = []
        cls.sent = 0
        cls.errors = {}

        def good(i):
            answer = (server.predict_raw([0.01 * i] * numel, shape) if i % 4
                      else server.predict_json({"shape": shape, "data": [0.5] * numel}))
            return answer

        kinds = {  # error_type: (send, status)
            "shape_mismatch": (lambda: server.predict_raw([0.0] * (numel // shape[-1] * wrong[-1]), wrong), 400),
            "size_mismatch": (lambda: server.predict_raw([0.0] * (numel - 1), shape), 400),
            "unsupported_dtype": (lambda: server.predict_raw([0.0] * numel, shape, headers={"X-Dtype": "float16"}),
                                  400),
            "malformed_json": (lambda: server.predict_json(b'{"shape": [1, 2'), 400),
            "body_too_large": (lambda: server.request(f"/v1/models/{MODEL}:predict", b"\0" * 70000,
                                                      {"Content-Type": "application/octet-stream",
                                                       "X-Shape": "17500"}), 413),
            "unknown_model": (lambda: server.predict_raw([0.0] * numel, shape, model="no_such_model"), 404),
            "model_error": (lambda: server.predict_raw([0.0] * numel, shape), 500),
        }
        rounds = [  # (good requests, {error_type: how many})
            (GOOD // 2, {"shape_mismatch": 1, "size_mismatch": 1, "unsupported_dtype": 1, "malformed_json": 1,
                         "body_too_large": 1, "unknown_model": 1}),
            (GOOD - GOOD // 2, {"shape_mismatch": 2, "size_mismatch": 1, "malformed_json": 1, "unknown_model": 1,
                                "model_error": 1}),
            (0, {"model_error": MODEL_ERRORS - 1}),
        ]
        for good_count, bad in rounds:
            for _ in range(good_count):
                status, _, body = good(len(cls.latencies_s))
                assert status == 200, (status, body)
                cls.latencies_s.append(body["latency_ms"] / 1000.0)
                cls.sent += 1
            for error_type, times in bad.items():
                send, want_status = kinds[error_type]
                for _ in range(times):
                    status, _, body = send()
                    assert (status, body["error_type"]) == (want_status, error_type), (status, body)
                    cls.errors[error_type] = cls.errors.get(error_type, 0) + 1
                    cls.sent += 1
            cls.last_request_done = time.time()
            # A scrape that started after the last answer was written sees
            # every count (the server counts a response before writing it).
            cls.wait_for_scrape_after(cls.last_request_done, "a successful scrape after the last request")

    def test_counts_and_p95_agree_with_the_server(self):
        prometheus = self.prometheus
        [(_, total)] = prometheus.query(f'sum(http_requests_total{{path="{PREDICT_ROUTE}"}})')
        self.assertEqual(total, self.sent, prometheus.query("http_requests_total"))
        by_type = {s["error_type"]: v for s, v in
                   prometheus.query("sum by (error_type) (model_inference_errors_total)")}
        # The server exposes every error_type of a served model from the start,
        # at zero (so rate() sees the first burst): those not sent stay 0.
        self.assertEqual({t: v for t, v in by_type.items() if v}, self.errors)
        self.assertIn("model_error", by_type)
        [(_, five_xx)] = prometheus.query(f'sum(http_requests_total{{path="{PREDICT_ROUTE}", status=~"5.."}})')
        self.assertEqual(five_xx, MODEL_ERRORS)

        # Every bucket holds exactly the answers whose latency_ms falls in it.
        buckets = {float(s["le"]): v for s, v in
                   prometheus.query("sum by (le) (model_inference_latency_seconds_bucket)")}
        for bound in BUCKETS + [math.inf]:
            self.assertEqual(buckets[bound], sum(1 for x in self.latencies_s if x <= bound), bound)

        # The server's p95: the nearest-rank 95th percentile of the latencies
        # it answered with. Prometheus interpolates inside the bucket where
        # rank 0.95 * count falls, so it cannot be exact. "Within one bucket":
        # the two values fall in the same bucket interval (lower bound, le]
        # or in adjacent ones (adjacent allows a value sitting on a bound).
        ordered = sorted(self.latencies_s)
        own_p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]
        [(_, prom_p95)] = prometheus.query(
            "histogram_quantile(0.95, sum by (le) (model_inference_latency_seconds_bucket))")
        detail = f"server p95 {own_p95 * 1000:.4f} ms, Prometheus {prom_p95 * 1000:.4f} ms, buckets {BUCKETS}"
        print(detail)
        self.assertLessEqual(abs(bucket_of(own_p95) - bucket_of(prom_p95)), 1, detail)

    def test_promtool_check_metrics_on_a_scrape(self):
        text = self.server.metrics()
        check = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True,
                               timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual((check.stdout + check.stderr).strip(), "")

    def test_rules_load_evaluate_and_the_right_alerts_are_pending(self):
        prometheus = self.prometheus
        with open(RULES) as f:
            in_file = re.findall(r"^\s*- (?:alert|record): (\S+)", f.read(), re.M)

        def loaded():
            rules = [r for g in prometheus.api("rules")["groups"] for r in g["rules"]]
            return rules if rules and all(r["health"] == "ok" for r in rules) else None
        rules = wait_for(loaded, "every rule evaluated with health ok")
        self.assertEqual(sorted(r["name"] for r in rules), sorted(in_file))
        for rule in rules:
            prometheus.query(rule["query"])  # raises on an evaluation error
            if rule["type"] == "recording":
                # Over metrics this server exposes: each has a value now.
                self.assertTrue(prometheus.query(rule["query"]), rule["name"])

        # This traffic fails 12 of tiny_cnn's 52 predicts, 3 with 5xx: both
        # error alerts pending (for: 5m), nothing else active.
        want = {("ModelErrorRatioHigh", MODEL), ("ColdbenchServeServerErrorsHigh", None)}

        def active():
            found = {(a["labels"]["alertname"], a["labels"].get("model")): a["state"]
                     for a in prometheus.api("alerts")["alerts"]}
            return found if set(found) == want else None
        found = wait_for(active, f"exactly {sorted(want, key=str)} active")
        self.assertEqual(set(found.values()), {"pending"}, found)

    def test_every_dashboard_query_evaluates_and_returns_data(self):
        prometheus = self.prometheus
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        empty, expected_empty, checked = set(), set(), 0
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                key = f'{panel["title"]} [{target["refId"]}]'
                expr = substitute(target["expr"])
                self.assertNotIn("$", expr, key)
                try:
                    if not prometheus.query(expr):
                        empty.add(key)
                except AssertionError as error:  # an evaluation error
                    raise AssertionError(f"{key}: {error}") from None
                if any(re.search(rf"\b{name}\b", expr) for name in NOT_YET_EXPOSED):
                    expected_empty.add(key)
                checked += 1
        self.assertGreaterEqual(checked, 15)
        self.assertEqual(sorted(empty), sorted(expected_empty),
                         "left: queries that returned nothing; right: queries over NOT_YET_EXPOSED metrics")

        # The variables' label_values(SELECTOR, LABEL): SELECTOR has data
        # carrying LABEL.
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            match = re.fullmatch(r"label_values\((.*), (\w+)\)", variable["query"]["query"])
            self.assertTrue(match, variable["name"])
            values = {s.get(match.group(2)) for s, _ in prometheus.query(substitute(match.group(1)))}
            self.assertTrue(values and None not in values, (variable["name"], values))
        self.assertIn(MODEL, values)  # the model variable is last


if __name__ == "__main__":
    unittest.main(verbosity=2)
