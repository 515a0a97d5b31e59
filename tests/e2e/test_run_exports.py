"""Exports: JSON (coldbench/1), CSV, Markdown and hyperfine's layout."""

import csv
import json
import os
import shutil
import subprocess
import unittest

from e2e_support import CB_FIXTURE, describe, main, temp_dir, run_coldbench


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_all_exports_from_two_commands(self):
        result = run_coldbench(["run", "-r", "6", "--order", "random", "--seed", "7",
                                "--csv", self.path("r.csv"), "--markdown", self.path("r.md"),
                                "--export-hyperfine", self.path("h.json"),
                                "--command", f"fast={CB_FIXTURE} sleep:10 phase:a sleep:5 phase:b",
                                # 65 ms apart: far more than a loaded machine adds to either.
                                "--command", f"slow={CB_FIXTURE} sleep:80 phase:a sleep:5 phase:b"])
        self.assertEqual(result.returncode, 0, describe(result))
        doc = result.json
        self.assertEqual(doc["schema"], "coldbench/1")
        self.assertEqual([c["name"] for c in doc["commands"]], ["fast", "slow"])
        self.assertEqual(len(doc["runs"]), 12)
        self.assertEqual(sorted(r["sequence"] for r in doc["runs"]), list(range(12)))
        # Random order with a seed is not simply A B A B.
        order = [r["command"] for r in doc["runs"]]
        self.assertNotEqual(order, ["fast", "slow"] * 6)

        comparison = doc["summary"]["comparisons"][0]
        self.assertEqual((comparison["baseline"], comparison["candidate"]), ("fast", "slow"))
        wall = next(q for q in comparison["quantities"] if q["quantity"] == "wall")
        self.assertGreater(wall["ratio"], 1.3)
        self.assertLess(wall["mann_whitney"]["p"], 0.05)
        self.assertEqual(wall["verdict"], "slower")
        self.assertEqual(sorted(q["quantity"] for q in comparison["quantities"]), ["a", "b", "wall"])
        self.assertIn("'slow' vs 'fast'", result.stdout)

        with open(self.path("r.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 12)
        self.assertIn("phase.a_ms", rows[0])
        self.assertGreater(float(rows[0]["wall_ms"]), 10.0)

        with open(self.path("r.md")) as f:
            markdown = f.read()
        self.assertIn("| fast |", markdown)
        self.assertIn("## slow vs fast", markdown)

        with open(self.path("h.json")) as f:
            hyperfine = json.load(f)
        self.assertEqual([r["command"] for r in hyperfine["results"]], ["fast", "slow"])
        for entry in hyperfine["results"]:
            self.assertEqual(len(entry["times"]), 6)
            self.assertEqual(entry["exit_codes"], [0] * 6)
            for key in ("mean", "stddev", "median", "user", "system", "min", "max"):
                self.assertIsInstance(entry[key], float)
            # Seconds, as hyperfine writes them: the same runs as the JSON's wall_ms.
            walls = [r["wall_ms"] for r in doc["runs"] if r["command"] == entry["command"] and not r["warmup"]]
            for seconds, wall_ms in zip(sorted(entry["times"]), sorted(walls)):
                self.assertAlmostEqual(seconds * 1000.0, wall_ms, places=6)
            self.assertAlmostEqual(entry["mean"] * 1000.0, sum(walls) / len(walls), places=6)

    def test_hyperfine_export_of_failing_runs_keeps_hyperfines_invariants(self):
        # Issue 19: a command that failed every run was written with "times": [] beside its exit
        # codes, which hyperfine's analysis scripts cannot read. What they rely on, per result:
        # times and exit_codes aligned (one entry per measured run, failed runs included, as
        # `hyperfine -i` writes them), and mean/median/min/max over those times.
        counter = self.path("mixed")
        mixed = f"c=$(cat {counter} 2>/dev/null || echo 0); echo $((c+1)) > {counter}; exit $((c % 2))"
        result = run_coldbench(["run", "-r", "4", "-w", "0", "--export-hyperfine", self.path("h.json"),
                                "--command", f"ok={CB_FIXTURE} sleep:5",
                                "--command", f"bad={CB_FIXTURE} exit:3",
                                "--command", f"crash={CB_FIXTURE} crash",
                                "--command", f"mixed=sh -c '{mixed}'"])
        self.assertEqual(result.returncode, 1, describe(result))  # some runs failed
        with open(self.path("h.json")) as f:
            hyperfine = json.load(f)
        entries = {r["command"]: r for r in hyperfine["results"]}
        self.assertEqual(sorted(entries), ["bad", "crash", "mixed", "ok"])
        for name, entry in entries.items():
            times, codes = entry["times"], entry["exit_codes"]
            self.assertEqual(len(times), 4, entry)
            self.assertEqual(len(codes), 4, entry)
            self.assertTrue(all(isinstance(t, float) and t > 0 for t in times), entry)
            for key in ("mean", "median", "min", "max", "stddev", "user", "system"):
                self.assertIsInstance(entry[key], float, (key, entry))
            self.assertAlmostEqual(entry["min"], min(times))
            self.assertAlmostEqual(entry["max"], max(times))
            self.assertAlmostEqual(entry["mean"], sum(times) / len(times))
            walls = [r["wall_ms"] / 1000.0 for r in result.measured_runs(name)]
            self.assertEqual(sorted(round(t, 9) for t in times), sorted(round(w, 9) for w in walls))
        self.assertEqual(entries["ok"]["exit_codes"], [0] * 4)
        self.assertEqual(entries["bad"]["exit_codes"], [3] * 4)
        self.assertEqual(entries["crash"]["exit_codes"], [None] * 4)  # a signal: no exit code
        self.assertEqual(sorted(entries["mixed"]["exit_codes"]), [0, 0, 1, 1])

    @unittest.skipUnless(shutil.which("hyperfine"), "hyperfine not installed (scripts/bootstrap installs it)")
    def test_export_names_write_hyperfines_layouts(self):
        # --export-json/--export-csv/--export-markdown mean what they mean in hyperfine: the same
        # keys, header and table shape as hyperfine 1.15 writes for the same two commands.
        commands = [f"{CB_FIXTURE} sleep:2", f"{CB_FIXTURE} sleep:4"]
        hf = {ext: self.path(f"hf.{ext}") for ext in ("json", "csv", "md")}
        cb = {ext: self.path(f"cb.{ext}") for ext in ("json", "csv", "md")}
        ran = subprocess.run(["hyperfine", "-N", "--runs", "3", "--warmup", "0", "--style", "none",
                              "--export-json", hf["json"], "--export-csv", hf["csv"], "--export-markdown", hf["md"]]
                             + commands, capture_output=True, text=True, timeout=300)
        self.assertEqual(ran.returncode, 0, ran.stderr)
        result = run_coldbench(["run", "-r", "3", "-w", "0", "--export-json", cb["json"], "--export-csv", cb["csv"],
                                "--export-markdown", cb["md"], "--command", f"a={commands[0]}", "--command", f"b={commands[1]}"])
        self.assertEqual(result.returncode, 0, describe(result))
        with open(hf["json"]) as f, open(cb["json"]) as g:
            theirs, ours = json.load(f)["results"], json.load(g)["results"]
        self.assertEqual(len(ours), 2)
        for mine, reference in zip(ours, theirs):
            self.assertEqual(sorted(k for k in reference if k != "parameters"), sorted(mine))
            self.assertEqual(len(mine["times"]), 3)
        with open(hf["csv"]) as f, open(cb["csv"]) as g:
            theirs, ours = list(csv.reader(f)), list(csv.reader(g))
        self.assertEqual(ours[0], theirs[0])
        self.assertEqual([len(row) for row in ours], [len(row) for row in theirs])
        self.assertEqual([row[0] for row in ours[1:]], ["a", "b"])
        with open(hf["md"]) as f, open(cb["md"]) as g:
            theirs, ours = f.read().splitlines(), g.read().splitlines()
        self.assertEqual(ours[:2], theirs[:2])  # header and alignment row: same unit, same columns
        self.assertEqual(len(ours), len(theirs))
        self.assertTrue(ours[2].startswith("| `a` | ") and ours[2].count("|") == theirs[2].count("|"), ours)

    def test_planted_tmp_symlinks_do_not_redirect_any_export(self):
        # Audit item 11: another user plants <export>.tmp -> a root-only file;
        # every export used to open that name with O_TRUNC and write through it.
        victim = self.path("victim")
        with open(victim, "w") as f:
            f.write("secret")
        os.chmod(victim, 0o600)
        exports = {name: self.path(name) for name in
                   ("r.json", "r.csv", "r.md", "h.json", "study.md", "study.html", "gate.md", "gate.json")}
        for target in exports.values():
            os.symlink(victim, target + ".tmp")
        runs = run_coldbench(["run", "-r", "2", "--no-progress", "--json", exports["r.json"],
                              "--csv", exports["r.csv"], "--markdown", exports["r.md"],
                              "--export-hyperfine", exports["h.json"], "--", CB_FIXTURE, "phase:a"],
                             json_output=False)
        self.assertEqual(runs.returncode, 0, describe(runs))
        report = run_coldbench(["report", exports["r.json"], "--markdown", exports["study.md"],
                                "--html", exports["study.html"]], json_output=False)
        self.assertEqual(report.returncode, 0, describe(report))
        gate = run_coldbench(["compare", exports["r.json"], exports["r.json"], "--markdown", exports["gate.md"],
                              "--json", exports["gate.json"]], json_output=False)
        # 2 runs a side decide nothing: inconclusive, exit 3; the files are still written.
        self.assertEqual(gate.returncode, 3, describe(gate))
        with open(victim) as f:
            self.assertEqual(f.read(), "secret")
        for name, target in exports.items():
            self.assertTrue(os.path.isfile(target) and not os.path.islink(target), name)
            self.assertGreater(os.path.getsize(target), 0, name)
            self.assertTrue(os.path.islink(target + ".tmp"), f"{name}.tmp is not ours to remove")

    def test_markdown_exports_escape_script_and_svg_in_names_and_commands(self):
        # Audit item 12: names and commands went into every .md raw.
        runs = run_coldbench(["run", "-r", "3", "--no-progress", "--json", self.path("r.json"),
                              "--markdown", self.path("run.md"),
                              "--command", "echo_x=/bin/echo <svg onload=alert(1)> [x](javascript:alert(1))",
                              "--name", "<script>alert(1)</script>|`x`", "--", CB_FIXTURE, "phase:a"],
                             json_output=False)
        self.assertEqual(runs.returncode, 0, describe(runs))
        report = run_coldbench(["report", self.path("r.json"), "--markdown", self.path("study.md")],
                               json_output=False)
        self.assertEqual(report.returncode, 0, describe(report))
        gate = run_coldbench(["compare", self.path("r.json"), self.path("r.json"), "--markdown",
                              self.path("gate.md")], json_output=False)
        # 3 runs a side cannot show anything equivalent: the gate says inconclusive.
        self.assertEqual(gate.returncode, 3, describe(gate))
        for name in ("run.md", "study.md", "gate.md"):
            with open(self.path(name)) as f:
                markdown = f.read()
            for raw in ("<script", "<svg", "[x](javascript", "|`x`"):
                self.assertNotIn(raw, markdown, f"{raw} in {name}:\n{markdown}")
            self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;\\|\\`x\\`", markdown, name)
            self.assertIn("echo\\_x", markdown, name)
        with open(self.path("run.md")) as f:
            self.assertIn("Command: /bin/echo &lt;svg onload=alert(1)&gt; \\[x\\](javascript:alert(1))", f.read())

    def test_env_cwd_and_env_clear(self):
        result = run_coldbench(["run", "-r", "1", "--show-output", "--env", "CB_TEST_VALUE=hello world",
                                "--cwd", "/tmp", "-S", "/bin/sh", "--",
                                'echo "value=$CB_TEST_VALUE pwd=$(pwd) fd=$COLDBENCH_FD"; read x || echo stdin-empty'])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("value=hello world pwd=/tmp fd=3", result.stdout)
        self.assertIn("stdin-empty", result.stdout)
        result = run_coldbench(["run", "-r", "1", "--show-output", "--env-clear", "--env", "ONLY=1", "--",
                                "/usr/bin/env"])
        self.assertEqual(result.returncode, 0, describe(result))
        lines = [l for l in result.stdout.splitlines() if "=" in l and not l.startswith(" ")]
        self.assertIn("ONLY=1", lines)
        self.assertNotIn("HOME=" + os.environ.get("HOME", "/root"), lines)


if __name__ == "__main__":
    main()
