"""Whatever a workload writes (bytes that are not
UTF-8, pathological lines for --phase/--metric rules, deep or huge markers, a
flood of distinct marker names), the harness neither crashes nor hangs, and
its own work stays out of the measurement."""

import json
import os
import signal
import subprocess
import time
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, describe, main, temp_dir, run_coldbench

REPLACED = "\ufffd"
# Lines that made std::regex backtrack for ever ((a+)+$ on the short one) or
# recurse once per character until the stack overflowed (a.*b, ^a+b$,
# (a|b)*c, (.*) on the long one).
SHORT_LINE = "a" * 60 + "b"
LONG_LINE = "a" * 60000 + "b"
PATHOLOGICAL_RULES = ["--phase", "p1=(a+)+$", "--phase", "p2=a.*b", "--phase", "p3=^a+b$",
                      "--phase", "p4=(a|b)*c", "--metric", "x=(.*)"]
# An endless stream of such lines.
ENDLESS_LONG_LINES = ("l=$(head -c 60000 /dev/zero | tr '\\0' a)b; "
                      "while :; do echo \"$l\" || exit 0; done")
# Generous: these bound a hang, they do not time anything.
HANG_LIMIT_S = 120


class InvalidUtf8Test(unittest.TestCase):
    def test_invalid_utf8_argument_is_recorded_with_replacement(self):
        # The command line may hold any bytes; the workload gets them unchanged.
        result = run_coldbench(["run", "-r", "1", "--", "/bin/echo", os.fsdecode(b"\xff")])
        self.assertEqual(result.returncode, 0, describe(result))
        command = result.json["commands"][0]
        self.assertEqual(command["argv"], ["/bin/echo", REPLACED])
        self.assertEqual(result.measured_runs()[0]["command"], command["name"])

    def test_invalid_utf8_from_failing_workload_is_kept_not_fatal(self):
        tmp = temp_dir(self)
        exports = {fmt: os.path.join(tmp, "r." + fmt) for fmt in ("csv", "md", "hf.json")}
        result = run_coldbench(["run", "-r", "2", "--csv", exports["csv"], "--markdown", exports["md"],
                                "--export-hyperfine", exports["hf.json"], "--",
                                CB_FIXTURE, "ebytes:62696e61727920fffe0a", "eprint:caf\u00e9", "exit:1"])
        self.assertEqual(result.returncode, 1, describe(result))  # failed runs, recorded
        runs = result.measured_runs()
        self.assertEqual(len(runs), 2)
        expected_tail = b"binary \xff\xfe\n".decode("utf-8", "replace") + "caf\u00e9\n"
        for run in runs:
            self.assertEqual(run["output_tail"], expected_tail)
            self.assertEqual(run["exit_code"], 1)
        self.assertIn("| binary " + REPLACED * 2, result.stdout)
        for path in exports.values():
            with open(path, encoding="utf-8") as f:  # strict: every export is UTF-8
                self.assertTrue(f.read())

    def test_names_that_are_not_utf8_are_usage_errors(self):
        bad = os.fsdecode(b"ph\xffse")
        cases = [(["--name", bad], "--name 'ph\\xFFse': not valid UTF-8"),
                 (["--phase", bad + "=ready"], "--phase 'ph\\xFFse': the name is not valid UTF-8"),
                 (["--metric", bad + "=([0-9]+)"], "--metric 'ph\\xFFse': the name is not valid UTF-8")]
        for options, message in cases:
            result = run_coldbench(["run", "-r", "1"] + options + ["--", CB_FIXTURE])
            self.assertEqual(result.returncode, 2, describe(result))
            self.assertIn(message, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)


class TerminalEscapeTest(unittest.TestCase):
    def test_escape_sequences_from_a_workload_are_shown_not_sent_to_the_terminal(self):
        # A failing workload's output tail and a command name are printed in the
        # console summary; raw, ESC ]0; retitles the window and ESC [2J clears it.
        result = run_coldbench(["run", "-r", "1", "--name", "up\x1b[1A", "--", CB_FIXTURE,
                                "ebytes:1b5d303b6f776e6564071b5b324a0a", "exit:1"])
        self.assertEqual(result.returncode, 1, describe(result))
        self.assertEqual(result.measured_runs()[0]["output_tail"], "\x1b]0;owned\x07\x1b[2J\n")  # kept as data
        for stream in (result.stdout, result.stderr):
            self.assertNotIn("\x1b", stream)
            self.assertNotIn("\x07", stream)
        self.assertIn("| \\x1b]0;owned\\x07\\x1b[2J", result.stdout)
        self.assertIn("up\\x1b[1A", result.stdout)

    def test_escape_in_a_bad_name_is_shown_in_the_error(self):
        result = run_coldbench(["run", "-r", "1", "--command", "a\x1b[2J=", "--", CB_FIXTURE])
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertNotIn("\x1b", result.stderr)
        self.assertIn("--command 'a\\x1b[2J='", result.stderr)


class CacheDiscoveryTest(unittest.TestCase):
    def test_file_name_that_is_not_utf8_does_not_abort_cache_discovery(self):
        # The discovery cache (JSON) got the path of a file the workload
        # opened; a name that is not UTF-8 threw type_error 316: SIGABRT.
        tmp = temp_dir(self)
        data = os.path.join(os.fsencode(tmp), b"data-\xff.bin")
        with open(data, "wb") as f:
            f.write(b"x" * 4096)
        result = run_coldbench(["run", "-r", "2", "--cache", "warm", "--", "/bin/cat", os.fsdecode(data)],
                               env={"XDG_CACHE_HOME": os.path.join(tmp, "cache")}, timeout=HANG_LIMIT_S)
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertEqual(len(result.measured_runs()), 2)
        self.assertEqual(result.json["commands"][0]["argv"][1], os.path.join(tmp, "data-" + REPLACED + ".bin"))


class NamedCommandTest(unittest.TestCase):
    def test_named_command_of_100kb_is_split_without_recursion(self):
        # -c NAME=CMD was matched with std::regex, whose matcher recursed once
        # per character: a 100 KB command (or name) was a SIGSEGV.
        long_word = "x" * 100000
        for spec in (f"a=/bin/true {long_word}", f"{'n' * 100000}=/bin/true"):
            result = run_coldbench(["run", "-r", "1", "--command", spec], timeout=HANG_LIMIT_S)
            self.assertEqual(result.returncode, 0, describe(result)[:2000])
            self.assertEqual(len(result.measured_runs()), 1)

    def test_bad_named_command_is_a_usage_error(self):
        result = run_coldbench(["run", "-r", "1", "--command", "bad name=/bin/true"])
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("--command 'bad name=/bin/true': expected NAME=CMD", result.stderr)


class RegexRuleTest(unittest.TestCase):
    def test_pathological_regexes_on_a_long_line_neither_hang_nor_crash(self):
        result = run_coldbench(["run", "-r", "2"] + PATHOLOGICAL_RULES +
                               ["--", CB_FIXTURE, "print:" + SHORT_LINE, "print:" + LONG_LINE, "print:done"],
                               timeout=HANG_LIMIT_S)
        self.assertEqual(result.returncode, 0, describe(result))
        for run in result.measured_runs():
            self.assertEqual(sorted(p["name"] for p in run["phases"]), ["p2", "p3"])
            # (.*) captured each whole line: none is a number.
            self.assertEqual(run["malformed_markers"], 3)
            self.assertIn("--metric x: captured 'aaaa", run["warnings"][0])

    def test_ecmascript_only_syntax_is_a_usage_error_naming_re2(self):
        result = run_coldbench(["run", "-r", "1", "--phase", "p=(a)\\1", "--", CB_FIXTURE])
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("--phase p: invalid regular expression", result.stderr)
        self.assertIn("RE2 syntax", result.stderr)

    def test_timeout_holds_while_rules_match_endless_long_lines(self):
        result = run_coldbench(["run", "-r", "1", "--timeout", "1", "-S", "/bin/sh"] + PATHOLOGICAL_RULES +
                               ["--", ENDLESS_LONG_LINES], timeout=HANG_LIMIT_S)
        self.assertEqual(result.returncode, 1, describe(result))
        run = result.measured_runs()[0]
        self.assertTrue(run["timed_out"], run)

    def test_sigint_during_a_run_with_rules_exits_130(self):
        tmp = temp_dir(self)
        json_path = os.path.join(tmp, "r.json")
        proc = subprocess.Popen([COLDBENCH, "run", "-r", "3", "--no-progress", "--json", json_path, "-S", "/bin/sh"] +
                                PATHOLOGICAL_RULES + ["--", ENDLESS_LONG_LINES],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.5)  # the first run is under way, its output streaming through the rules
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=HANG_LIMIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            self.fail("SIGINT did not stop the harness")
        self.assertEqual(proc.returncode, 130)
        with open(json_path) as f:
            document = json.load(f)
        self.assertTrue(document["interrupted"])
        self.assertEqual(document["runs"], [])  # the interrupted run is not a measurement


class MarkerLimitTest(unittest.TestCase):
    def test_marker_nested_100000_deep_is_malformed_not_a_crash(self):
        # 100,000 levels overflowed the stack; 30,000 levels (a 60 KB line)
        # made a 1.8 GB JSON export.
        result = run_coldbench(["run", "-r", "2", "--", CB_FIXTURE, "info-nested:100000:1",
                                "info-nested:30000:1", "phase:done"], timeout=HANG_LIMIT_S)
        self.assertEqual(result.returncode, 0, describe(result))
        for run in result.measured_runs():
            self.assertEqual(run["malformed_markers"], 2)
            self.assertEqual([p["name"] for p in run["phases"]], ["done"])
            self.assertEqual(run["info"], {})
            self.assertIn("first malformed marker: nested deeper than 64 levels", run["warnings"][0])
        self.assertIn("nested deeper than 64 levels", result.stdout)

    def test_60kb_info_value_is_kept_and_exports_stay_proportional(self):
        tmp = temp_dir(self)
        json_path = os.path.join(tmp, "r.json")
        # 60 levels around 30,000 zeros: 60 KB, within both limits.
        result = run_coldbench(["run", "-r", "3", "--no-progress", "--json", json_path, "--",
                                CB_FIXTURE, "info-nested:60:30000", "info-nested:1:40000"],
                               json_output=False, timeout=HANG_LIMIT_S)
        self.assertEqual(result.returncode, 0, describe(result))
        with open(json_path) as f:
            document = json.load(f)
        for run in document["runs"]:
            value = run["info"]["nested"]
            for _ in range(59):
                value = value[0]
            self.assertEqual(len(value), 30000)
            # The 80 KB value is over the 64 KiB limit.
            self.assertEqual(run["malformed_markers"], 1)
            self.assertIn("more than the limit of 64 KiB", run["warnings"][0])
        # Pretty-printing indents each of the 30,000 zeros 60 levels deep
        # (~3.7 MB a run); each run is one compact line instead.
        self.assertLess(os.path.getsize(json_path), 3 * 60000 + 200000)

    def test_100000_distinct_marker_names_do_not_slow_the_workload(self):
        # The same workload writes the same lines to the marker fd, or as plain
        # output (the control); quadratic handling made the first wait on its
        # pipe, 10-24 s against 0.32 s.
        result = run_coldbench(["run", "-r", "3", "--command", f"markers={CB_FIXTURE} marker-flood:100000",
                                "--command", f"control={CB_FIXTURE} stdout-flood:100000"], timeout=HANG_LIMIT_S * 3)
        self.assertEqual(result.returncode, 0, describe(result))
        for run in result.measured_runs("markers"):
            self.assertEqual(len(run["phases"]), 1000)  # the cap on distinct names
            self.assertEqual(run["malformed_markers"], 99000)
            self.assertIn("more than 1000 distinct phase names", run["warnings"][0])
        self.assertIn("more than 1000 distinct phase names", result.stdout)
        markers = min(r["wall_ms"] for r in result.measured_runs("markers"))
        control = min(r["wall_ms"] for r in result.measured_runs("control"))
        self.assertLess(markers, 4 * control, f"markers {markers:.0f} ms, control {control:.0f} ms")


if __name__ == "__main__":
    main()
