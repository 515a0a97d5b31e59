#!/usr/bin/env python3
"""Checks of the monitoring files shipped in deploy/ (docs/serve.md, "Alert rules").

PromtoolRules (ctest deploy.promtool_rules): `promtool check rules` and
`promtool check config` find no problems, and `promtool test rules` passes the
unit tests in deploy/prometheus/coldbench-serve-rules.test.yml. Skipped, with
the reason printed, when promtool (Debian `prometheus`) is not installed.

GrafanaDashboard (ctest deploy.grafana_dashboard): the dashboard's structure
without Grafana: a Prometheus data-source variable that every panel and query
uses, the model variable, the seed's panels, and the heatmap's format.
Whether each query evaluates on a real Prometheus is tests/e2e/test_serve_prometheus.py.
Standard library only.
"""

import json
import os
import re
import shutil
import subprocess
import unittest

SOURCE_DIR = os.environ.get("COLDBENCH_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
PROMETHEUS_DIR = os.path.join(SOURCE_DIR, "deploy", "prometheus")
RULES = os.path.join(PROMETHEUS_DIR, "coldbench-serve-rules.yml")
RULES_TEST = os.path.join(PROMETHEUS_DIR, "coldbench-serve-rules.test.yml")
EXAMPLE_CONFIG = os.path.join(PROMETHEUS_DIR, "prometheus.example.yml")
DASHBOARD = os.path.join(SOURCE_DIR, "deploy", "grafana", "coldbench-serve-dashboard.json")


class PromtoolRules(unittest.TestCase):
    def promtool_run(self, *args):
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool not installed (apt-get install prometheus, or scripts/bootstrap)")
        # promtool resolves rule_files against the cwd for `test rules`.
        proc = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120,
                              cwd=PROMETHEUS_DIR)
        return proc.returncode, proc.stdout + proc.stderr

    def test_rules_are_valid(self):
        code, out = self.promtool_run("check", "rules", RULES)
        self.assertEqual(code, 0, out)
        self.assertIn("SUCCESS", out)

    def test_rule_unit_tests_pass(self):
        code, out = self.promtool_run("test", "rules", RULES_TEST)
        self.assertEqual(code, 0, out)
        self.assertIn("SUCCESS", out)

    def test_example_config_is_valid_and_loads_the_rules(self):
        code, out = self.promtool_run("check", "config", EXAMPLE_CONFIG)
        self.assertEqual(code, 0, out)
        self.assertIn("coldbench-serve-rules.yml", out)

    def test_every_alert_has_a_unit_test(self):
        # A new alert without a test would pass `test rules` silently.
        with open(RULES) as f:
            alerts = set(re.findall(r"^\s*- alert: (\S+)", f.read(), re.M))
        with open(RULES_TEST) as f:
            tested = set(re.findall(r"alertname: (\S+)", f.read()))
        self.assertTrue(alerts)
        self.assertEqual(alerts - tested, set())

    def test_recording_rules_are_used_only_after_them_in_their_group(self):
        # Groups run independently (promtool orders them at random), so an
        # alert in another group than the recording rule it reads lags it by
        # an evaluation: ModelInferenceLatencyHigh then fired at 12m instead
        # of 11m in ~1 of 3 `promtool test rules` runs.
        with open(RULES) as f:
            text = f.read()
        groups = re.split(r"^  - name: ", text, flags=re.M)[1:]
        self.assertTrue(groups)
        for group in groups:
            for match in re.finditer(r"^\s*- record: (\S+)$", group, re.M):
                name = match.group(1)
                uses = [m.start() for m in re.finditer(re.escape(name), group) if m.start() != match.start(1)]
                for start in uses:
                    self.assertGreater(start, match.start(1), f"{name} used before it is recorded")
                others = [g.split("\n", 1)[0] for g in groups if g is not group and name in g]
                self.assertEqual(others, [], f"{name} is read in another group")


def dashboard_queries(dashboard):
    """(panel title, refId, expr) of every panel target."""
    return [(p["title"], t["refId"], t["expr"]) for p in dashboard["panels"] for t in p["targets"]]


class GrafanaDashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DASHBOARD) as f:
            cls.dashboard = json.load(f)
        cls.variables = {v["name"]: v for v in cls.dashboard["templating"]["list"]}

    def test_schema_and_variables(self):
        self.assertGreaterEqual(self.dashboard["schemaVersion"], 36)
        source = self.variables["datasource"]
        self.assertEqual((source["type"], source["query"]), ("datasource", "prometheus"))
        model = self.variables["model"]
        self.assertEqual(model["type"], "query")
        self.assertTrue(model["includeAll"])
        self.assertEqual(model["allValue"], ".*")
        self.assertRegex(model["query"]["query"], r"^label_values\(.*, model\)$")

    def test_every_panel_and_query_uses_the_datasource_variable(self):
        ids = [p["id"] for p in self.dashboard["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        for panel in self.dashboard["panels"]:
            self.assertEqual(panel["datasource"], {"type": "prometheus", "uid": "${datasource}"}, panel["title"])
            self.assertTrue(panel["targets"], panel["title"])
            for target in panel["targets"]:
                self.assertEqual(target["datasource"], panel["datasource"], panel["title"])
                self.assertTrue(target["expr"].strip(), panel["title"])

    def test_model_metrics_are_filtered_by_the_model_variable(self):
        # A panel that ignores the picker would show every model while one is chosen.
        for title, ref, expr in dashboard_queries(self.dashboard):
            if re.search(r"\bmodel_(inference|latency)_", expr):
                self.assertIn('model=~"$model"', expr, f"{title} {ref}")

    def test_the_seed_panels_are_there(self):
        kinds = {p["title"]: p["type"] for p in self.dashboard["panels"]}
        heatmaps = [p for p in self.dashboard["panels"] if p["type"] == "heatmap"]
        self.assertEqual(len(heatmaps), 1, kinds)
        target = heatmaps[0]["targets"][0]
        self.assertEqual(target["format"], "heatmap")
        self.assertIn("model_inference_latency_seconds_bucket", target["expr"])
        self.assertIn("sum by (le)", target["expr"])
        self.assertFalse(heatmaps[0]["options"]["calculate"])  # buckets come from the server
        exprs = " ".join(e for _, _, e in dashboard_queries(self.dashboard))
        for needed in ("histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,",
                       "http_requests_total", "model_inference_errors_total", "process_resident_memory_bytes",
                       "process_resident_memory_slope_bytes_per_second", "model_latency_anomaly",
                       "model_memory_leak_suspected", "http_requests_in_flight"):
            self.assertIn(needed, exprs)


if __name__ == "__main__":
    unittest.main(verbosity=2)
