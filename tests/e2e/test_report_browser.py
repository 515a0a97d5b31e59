"""The HTML report in a real browser: headless Chromium (Debian `chromium`)
loads the page offline, with no console messages, and every chart draws SVG
marks. The page writes its own outcome into #render-status after vega-embed's
promises settle (errors and warnings caught by window.onerror and console
hooks); the test reads it from the dumped DOM. A screenshot is kept under the
build directory as a test artifact. Skipped, with the reason, when Chromium or
the npm scripts are missing."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from e2e_support import BUILD_DIR, describe, main, run_coldbench
from synthetic_results import write_results
from test_report import fixture_session

ARTIFACTS = os.path.abspath(os.path.join(BUILD_DIR, "test-artifacts"))
CHART_IDS = ["chart-phases", "chart-latency", "chart-run-order", "chart-cold-start"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_args(chromium, profile):
    # A proxy that refuses every connection: any fetch the page tried would fail loudly.
    return [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=10000"]


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chromium = find_chromium()
        cls.tmp = tempfile.mkdtemp(prefix="cb-browser-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def render(self, results, name):
        if not self.chromium:
            self.skipTest("chromium not installed (scripts/bootstrap installs the Debian package 'chromium')")
        html = os.path.join(ARTIFACTS, name + ".html")
        os.makedirs(ARTIFACTS, exist_ok=True)
        result = run_coldbench(["report", results, "--html", html, "--quiet"])
        if result.returncode == 2 and "npm packages" in result.stderr:
            self.skipTest("Vega scripts not installed (run scripts/bootstrap)")
        self.assertEqual(result.returncode, 0, describe(result))

        profile = tempfile.mkdtemp(dir=self.tmp)
        dump = subprocess.run(chromium_args(self.chromium, profile) + ["--window-size=1280,2400", "--dump-dom",
                                                                        "file://" + html],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(dump.returncode, 0, dump.stderr[-3000:])
        console = [line for line in dump.stderr.splitlines() if ":CONSOLE" in line]
        self.assertEqual(console, [], "console messages while rendering")

        status = re.search(r'<div id="render-status"([^>]*)>([^<]*)', dump.stdout)
        self.assertIsNotNone(status, "no #render-status in the DOM")
        attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', status.group(1)))
        self.assertEqual(attributes.get("state"), "done", status.group(2))
        self.assertEqual(attributes.get("errors"), "0", status.group(2))
        self.assertEqual(attributes.get("warnings"), "0", status.group(2))
        self.assertEqual(attributes.get("expected"), str(len(CHART_IDS)), status.group(2))
        self.assertEqual(attributes.get("charts"), str(len(CHART_IDS)), status.group(2))
        # Every table's last column ends inside the page (the window the screenshot below has), so
        # nothing is clipped or hidden behind a scroll bar; the status line itself is hidden when all is well.
        self.assertLessEqual(int(attributes["table-right"]), int(attributes["page-width"]), attributes)
        self.assertGreater(int(attributes["table-right"]), 0, attributes)
        self.assertIn('class="ok"', status.group(1))
        for chart in CHART_IDS:
            element = re.search(r'<div[^>]*\bid="%s"[^>]*\bdata-marks="(\d+)"[^>]*>' % chart, dump.stdout)
            self.assertIsNotNone(element, f"{chart}: not rendered")
            self.assertGreater(int(element.group(1)), 0, f"{chart}: no data marks")
            inside = dump.stdout[element.end():dump.stdout.find("<h2", element.end())]
            self.assertIn("<svg", inside, f"{chart}: no SVG")

        screenshot = os.path.join(ARTIFACTS, name + ".png")
        shot = subprocess.run(chromium_args(self.chromium, tempfile.mkdtemp(dir=self.tmp)) +
                              ["--window-size=1280,2400", f"--screenshot={screenshot}", "file://" + html],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(shot.returncode, 0, shot.stderr[-3000:])
        self.assertGreater(os.path.getsize(screenshot), 10000)
        print(f"report: {html}\nscreenshot: {screenshot}")

    def test_fixture_session_renders(self):
        results = os.path.join(self.tmp, "fixture.json")
        created = fixture_session(results)
        self.assertEqual(created.returncode, 0, describe(created))
        self.render(results, "report-fixture")

    def test_synthetic_study_with_many_latency_values_renders(self):
        # 2 configs x 15 runs x 400 iterations: the latency chart draws a subsample.
        results = write_results(os.path.join(self.tmp, "synthetic.json"), seed=11, runs=15, iterations=400)
        self.render(results, "report-synthetic")

    def test_fourteen_configs_fit_the_page_with_distinct_colors(self):
        # Issue 19: 14 configs shared 10 colors and the results table was clipped at the fourth column.
        configs = {}
        for k in range(14):
            configs[f"config-with-a-long-name-{k:02d}-threads-{k % 4 + 1}"] = {
                "runtime_ready": 1000.0 + 40 * k, "model_loaded": 80.0 + k, "first_inference": 25.0, "latency": 6.0}
        results = write_results(os.path.join(self.tmp, "many.json"), seed=5, runs=5, iterations=20, configs=configs)
        self.render(results, "report-many-configs")
        with open(os.path.join(ARTIFACTS, "report-many-configs.html")) as f:
            page = f.read()
        self.assertIn('"scheme":"tableau20"', page)
        self.assertNotIn('"zero":false', page)  # magnitude axes from zero


if __name__ == "__main__":
    main()
