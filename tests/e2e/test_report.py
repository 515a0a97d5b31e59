"""coldbench report: the study table on the console and as Markdown; HTML
written without a browser; clear errors (exit 2) for bad input."""

import json
import os
import re
import shutil
import tempfile
import unittest

from e2e_support import CB_FIXTURE, describe, main, run_coldbench
from synthetic_results import write_results


def fixture_session(path, runs=4):
    """Two configs of the fixture with phases, a latency metric and thread info."""
    def command(name, ready_ms, threads):
        return (f"{name}={CB_FIXTURE} sleep:{ready_ms} phase:runtime_ready sleep:5 phase:model_loaded "
                f"sleep:2 phase:first_inference metric:latency=1.5,1.7,1.6,2.5 "
                f"info:torch.num_threads={threads} info:torch.num_interop_threads=1")
    return run_coldbench(["run", "-r", str(runs), "-w", "1", "--no-progress", "--json", path,
                          "--command", command("two-threads", 20, 1), "--command", command("many-threads", 30, 64)],
                         json_output=False)


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cb-report-")
        cls.results = os.path.join(cls.tmp, "results.json")
        result = fixture_session(cls.results)
        assert result.returncode == 0, describe(result)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_console_and_markdown(self):
        result = run_coldbench(["report", self.results, "--markdown", self.path("study.md")])
        self.assertEqual(result.returncode, 0, describe(result))
        out = result.stdout
        self.assertIn("2 configs, 8 measured runs", out)
        for column in ("isolation", "limits", "eff. CPUs", "threads (compute / interop)", "env", "cache",
                       "runtime_ready", "model_loaded", "first_inference", "to first inference", "wall",
                       "latency p50", "p95", "p99", "peak RSS", "throttled", "oversubscribed"):
            self.assertIn(column, out)
        self.assertIn("1 / 1", out)
        self.assertIn("64 / 1", out)
        # 64 threads on this host's CPUs (no limits): flagged, with the host's CPU count.
        self.assertIn("YES: 64 threads >", out)
        self.assertIn("note: 'many-threads' is oversubscribed", out)
        self.assertIn(f"wrote {self.path('study.md')}", result.stderr)
        with open(self.path("study.md")) as f:
            markdown = f.read()
        self.assertIn("# coldbench study report", markdown)
        self.assertIn("## Setup", markdown)
        self.assertIn("| two-threads | 4/4 | host |", markdown)
        self.assertIn("| many-threads |", markdown)
        # latency p50 of 1.5,1.7,1.6,2.5 pooled over 4 runs
        self.assertIn("1.650 ms", markdown)

    def test_html_is_written_self_contained(self):
        html_path = self.path("study.html")
        result = run_coldbench(["report", self.results, "--html", html_path, "--quiet"])
        if result.returncode == 2 and "npm packages" in result.stderr:
            self.skipTest("Vega not installed (run scripts/bootstrap): " + result.stderr.strip().splitlines()[-1])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertEqual(result.stdout, "")
        with open(html_path) as f:
            page = f.read()
        # Nothing loaded from elsewhere: no <script src>, no stylesheet links.
        self.assertIsNone(re.search(r"<script[^>]*\ssrc=|<link\s", page), "the page references an external file")
        self.assertIn('id="render-status"', page)
        self.assertIn("vega-embed 7", page)
        self.assertEqual(page.count("<script"), page.count("</script>"), "unbalanced <script> elements")

    def test_synthetic_study(self):
        path = write_results(self.path("synthetic.json"), seed=3, runs=6)
        result = run_coldbench(["report", path])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("script", result.stdout)
        self.assertIn("optimized", result.stdout)

    def test_missing_web_scripts_names_the_fix(self):
        result = run_coldbench(["report", self.results, "--html", self.path("x.html")],
                               env={"COLDBENCH_WEB_DIR": self.path("no-such-dir")})
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("scripts/bootstrap", result.stderr)
        self.assertIn("COLDBENCH_WEB_DIR", result.stderr)
        self.assertFalse(os.path.exists(self.path("x.html")))

    def test_bad_input_exits_2(self):
        with open(self.path("wrong.json"), "w") as f:
            json.dump({"schema": "other/1", "runs": []}, f)
        with open(self.path("broken.json"), "w") as f:
            f.write("{")
        with open(self.path("empty.json"), "w") as f:
            json.dump({"schema": "coldbench/1", "tool": {"version": "x"}, "commands": [], "runs": []}, f)
        cases = [
            ([self.path("missing.json")], "No such file"),
            ([self.path("wrong.json")], "coldbench/1"),
            ([self.path("broken.json")], "not JSON"),
            ([self.path("empty.json")], "no measured runs"),
            (["424242", "--db", self.path("no.sqlite")], "no history database at"),
            ([self.tmp], "directory"),
            ([], "source"),
        ]
        for args, message in cases:
            result = run_coldbench(["report"] + args)
            self.assertEqual(result.returncode, 2, f"{args}: {describe(result)}")
            self.assertIn(message, result.stderr, f"{args}: {describe(result)}")

    def test_help(self):
        result = run_coldbench(["report", "--help"])
        self.assertEqual(result.returncode, 0)
        for option in ("--markdown", "--html", "--db"):
            self.assertIn(option, result.stdout)


if __name__ == "__main__":
    main()
