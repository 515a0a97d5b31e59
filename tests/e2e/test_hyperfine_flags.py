"""hyperfine's flags mean in `coldbench run` what they mean in hyperfine (issue 19).

A table of hyperfine invocations runs through hyperfine 1.15 and through
`coldbench run` with the same argument list: the same commands (names), run
counts, parameters and export keys. Flags hyperfine 1.15 lacks (--conclude,
--reference, --sort, -u microsecond) are checked against their documented
meaning. The old spellings that conflict (-n N, -c NAME=CMD, a bare --shell,
coldbench-torch infer -n) exit 2 with the new spelling named.
"""

import json
import os
import shutil
import subprocess
import unittest

from e2e_support import COLDBENCH, COLDBENCH_TORCH, describe, main, run_coldbench, temp_dir

HYPERFINE = shutil.which("hyperfine")

# (label, arguments as hyperfine takes them). Commands are short and runs few: a loaded 2-core box.
TABLE = [
    ("positional and -r", ["-r", "2", "sleep 0.01"]),
    ("-w and two commands", ["-r", "2", "-w", "1", "sleep 0.01", "sleep 0.02"]),
    ("-n names in order", ["-r", "2", "-n", "short", "-n", "long", "sleep 0.01", "sleep 0.02"]),
    ("-n names the first only", ["-r", "2", "-n", "short", "sleep 0.01", "sleep 0.02"]),
    ("-N without a shell", ["-N", "-r", "2", "sleep 0.01"]),
    ("-S a shell", ["-S", "bash", "-r", "2", "sleep 0.01 && true"]),
    ("--shell=none", ["--shell=none", "-r", "2", "sleep 0.01"]),
    ("-p prepare", ["-r", "2", "-p", "true", "sleep 0.01"]),
    ("-p per command", ["-r", "2", "-p", "true", "-p", "sleep 0", "sleep 0.01", "sleep 0.02"]),
    ("-s setup", ["-r", "2", "-s", "true", "sleep 0.01"]),
    ("-c cleanup", ["-r", "2", "-c", "true", "sleep 0.01"]),
    ("-L list", ["-r", "2", "-L", "t", "0.01,0.02", "sleep {t}"]),
    ("-L twice", ["-r", "2", "-L", "a", "1,2", "-L", "b", "x,y", "sleep 0.01 && echo {a}{b}",
                  "sleep 0.01 && echo {b}{a}"]),
    ("-L with a -n template", ["-r", "2", "-L", "n", "1,2", "-n", "nap-{n}", "sleep 0.0{n}"]),
    ("-P range", ["-r", "2", "-P", "n", "1", "3", "sleep 0.0{n}"]),
    ("-P with -D decimals", ["-r", "2", "-P", "d", "0.01", "0.03", "-D", "0.01", "sleep {d}"]),
    ("-m and -M", ["-m", "2", "-M", "3", "sleep 0.01"]),
    ("-M alone below the default minimum", ["-M", "2", "sleep 0.01"]),
    ("-u second", ["-r", "2", "-u", "second", "sleep 0.01"]),
    ("--style basic", ["-r", "2", "--style", "basic", "sleep 0.01"]),
    ("-i ignores failures", ["-r", "2", "-i", "sleep 0.01; false", "sleep 0.01"]),
]


def names_counts(export):
    return [(r["command"], len(r["times"]), r.get("parameters", {})) for r in export["results"]]


class HyperfineTableTest(unittest.TestCase):
    """Each row through both tools: same commands, run counts, parameters, export keys, exit status."""

    def setUp(self):
        self.tmp = temp_dir(self)

    def run_both(self, label, args):
        paths = {tool: os.path.join(self.tmp, f"{tool}-{len(os.listdir(self.tmp))}.json")
                 for tool in ("hf", "cb")}
        md = {tool: paths[tool][:-5] + ".md" for tool in paths}
        cb = subprocess.run([COLDBENCH, "run"] + args + ["--export-json", paths["cb"], "--export-markdown", md["cb"]],
                            capture_output=True, text=True, timeout=300)
        self.assertEqual(cb.returncode, 0, f"{label}: coldbench run {args}\n{cb.stdout}\n{cb.stderr}")
        with open(paths["cb"]) as f:
            cb_export = json.load(f)
        if not HYPERFINE:
            print(f"{label}: hyperfine is not installed, checked coldbench alone (scripts/bootstrap installs it)")
            return cb_export, None, cb
        hf = subprocess.run([HYPERFINE] + args + ["--export-json", paths["hf"], "--export-markdown", md["hf"]],
                            capture_output=True, text=True, timeout=300)
        self.assertEqual(hf.returncode, 0, f"{label}: hyperfine {args}\n{hf.stdout}\n{hf.stderr}")
        with open(paths["hf"]) as f:
            hf_export = json.load(f)
        self.assertEqual(names_counts(cb_export), names_counts(hf_export), label)
        for ours, theirs in zip(cb_export["results"], hf_export["results"]):
            # hyperfine 1.15 may write an empty "parameters"; its values are compared above.
            self.assertEqual(set(ours) - {"parameters"}, set(theirs) - {"parameters"}, label)
            self.assertEqual(ours["exit_codes"], theirs["exit_codes"], label)
        with open(md["cb"]) as f, open(md["hf"]) as g:
            ours, theirs = f.read().splitlines(), g.read().splitlines()
        self.assertEqual(ours[0], theirs[0], f"{label}: the Markdown header (its time unit)")
        self.assertEqual(len(ours), len(theirs), label)
        return cb_export, hf_export, cb

    def test_table(self):
        self.assertGreaterEqual(len(TABLE), 15)
        for label, args in TABLE:
            if "-S" in args and not shutil.which("bash"):
                print(f"{label}: skipped, no bash here")
                continue
            with self.subTest(label):
                cb_export, _, cb = self.run_both(label, args)
                if label == "-u second":
                    self.assertIn("(s)", cb.stdout)  # the console's tables too
                if label == "-i ignores failures":
                    self.assertEqual(cb_export["results"][0]["exit_codes"], [1, 1])

    def test_style_none_prints_nothing(self):
        args = ["-r", "1", "--style", "none", "true"]
        cb = subprocess.run([COLDBENCH, "run"] + args, capture_output=True, text=True, timeout=120)
        self.assertEqual((cb.returncode, cb.stdout, cb.stderr), (0, "", ""))
        if HYPERFINE:
            hf = subprocess.run([HYPERFINE] + args, capture_output=True, text=True, timeout=120)
            self.assertEqual((hf.returncode, hf.stdout), (0, ""))

    def test_hooks_run_in_hyperfines_order(self):
        # setup, then prepare before every run (warmups too), cleanup once after the last: the
        # same lines hyperfine writes for the same arguments.
        logs = {}
        for tool in ("cb", "hf"):
            if tool == "hf" and not HYPERFINE:
                print("hooks: hyperfine is not installed, checked against the documented order alone")
                continue
            log = os.path.join(self.tmp, f"{tool}.log")
            args = ["-w", "1", "-r", "2", "-s", f"echo setup >> {log}", "-p", f"echo prepare >> {log}",
                    "-c", f"echo cleanup >> {log}", f"echo run >> {log}"]
            argv = [COLDBENCH, "run", "--style", "none"] + args if tool == "cb" else [HYPERFINE, "--style", "none"] + args
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            self.assertEqual(done.returncode, 0, done.stderr)
            with open(log) as f:
                logs[tool] = f.read().split()
        self.assertEqual(logs["cb"], ["setup"] + ["prepare", "run"] * 3 + ["cleanup"])
        if "hf" in logs:
            self.assertEqual(logs["cb"], logs["hf"])


class FlagsHyperfineLacksTest(unittest.TestCase):
    """hyperfine 1.15 has no --conclude, --reference, --sort or -u microsecond: their documented meaning."""

    def setUp(self):
        self.tmp = temp_dir(self)

    def test_conclude_after_each_run_and_all_hooks_in_order_with_two_commands(self):
        log = os.path.join(self.tmp, "log")
        hooks = []
        for flag in ("-s", "-p", "--conclude", "-c"):
            hooks += [flag, f"echo {flag.strip('-')} >> {log}"]
        result = run_coldbench(["run", "-r", "2", "--order", "sequential"] + hooks +
                               [f"echo a >> {log}", f"echo b >> {log}"])
        self.assertEqual(result.returncode, 0, describe(result))
        with open(log) as f:
            lines = f.read().split()
        per_command = lambda name: ["s"] + ["p", name, "conclude"] * 2 + ["c"]
        self.assertEqual(lines, per_command("a") + per_command("b"))
        self.assertEqual(len(result.measured_runs()), 4)  # hooks are not runs

    def test_failing_hook_stops_with_exit_1_after_writing_the_runs_before_it(self):
        flag = os.path.join(self.tmp, "flag")
        result = run_coldbench(["run", "-r", "3", "-p", f"test ! -e {flag}", f"touch {flag}"])
        self.assertEqual(result.returncode, 1, describe(result))
        self.assertIn(f"--prepare 'test ! -e {flag}' exited with code 1 (before run 2 of 'touch {flag}')",
                      result.stderr)
        self.assertEqual(len(result.measured_runs()), 1)  # written per run, before the hook failed

    def test_reference_runs_first_and_is_every_comparisons_baseline(self):
        result = run_coldbench(["run", "-r", "3", "--reference", "sleep 0.02", "sleep 0.01", "true"])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertEqual([c["name"] for c in result.json["commands"]], ["sleep 0.02", "sleep 0.01", "true"])
        self.assertEqual({c["baseline"] for c in result.json["summary"]["comparisons"]}, {"sleep 0.02"})

    def test_sort_orders_the_console(self):
        commands = ["sleep 0.08", "true"]
        def sections(sort):
            result = run_coldbench(["run", "-r", "3", "--sort", sort] + commands, json_output=False)
            self.assertEqual(result.returncode, 0, describe(result))
            heads = [line for line in result.stdout.splitlines() if line.startswith("Command '")]
            return [h.split("'")[1] for h in heads], result.stdout
        self.assertEqual(sections("command")[0], commands)
        self.assertEqual(sections("auto")[0], commands)  # tables as given
        self.assertEqual(sections("mean-time")[0], ["true", "sleep 0.08"])

    def test_time_unit_microsecond(self):
        result = run_coldbench(["run", "-r", "2", "-u", "microsecond", "true"], json_output=False)
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("median (µs)", result.stdout)

    def test_min_and_max_runs_without_runs_mean_auto(self):
        result = run_coldbench(["run", "-m", "2", "-M", "4", "sleep 0.01"])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertEqual(result.json["options"]["runs"], "auto")
        self.assertLessEqual(len(result.measured_runs()), 4)
        self.assertGreaterEqual(len(result.measured_runs()), 2)


class OldSpellingsTest(unittest.TestCase):
    def refused(self, argv, *expected):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 2, f"{argv}\n{done.stdout}\n{done.stderr}")
        for text in expected:
            self.assertIn(text, done.stderr)
        return done

    def test_dash_n_with_a_count(self):
        self.refused([COLDBENCH, "run", "-n", "5", "--", "true"], "-n names a command", "-r 5 or --runs 5")
        self.refused([COLDBENCH, "run", "-n", "auto", "true"], "-r auto")

    def test_dash_c_with_a_named_command(self):
        self.refused([COLDBENCH, "run", "-c", "a=true", "--", "true"], "--cleanup", "--command NAME=CMD",
                     "env X=Y CMD")

    def test_bare_shell(self):
        self.refused([COLDBENCH, "run", "--shell", "--", "true"], "--shell sh")
        self.refused([COLDBENCH, "run", "--shell", "-r", "1", "true"], "--shell sh")

    @unittest.skipUnless(os.path.exists(COLDBENCH_TORCH), "coldbench-torch is not built")
    def test_torch_infer_dash_n(self):
        self.refused([COLDBENCH_TORCH, "infer", "-n", "5"], "--iters 5")

    def test_unknown_options_in_order_with_suggestions(self):
        done = self.refused([COLDBENCH, "run", "--runz", "3", "--wramup", "1", "--frobnicate", "true"])
        self.assertIn("unknown options --runz (did you mean --runs?), --wramup (did you mean --warmup?), "
                      "--frobnicate", done.stderr)
        one = self.refused([COLDBENCH, "run", "--stlye", "none", "true"])
        self.assertIn("unknown option --stlye; did you mean --style?", one.stderr)


if __name__ == "__main__":
    main()
