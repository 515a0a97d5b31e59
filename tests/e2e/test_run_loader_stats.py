#!/usr/bin/env python3
"""End-to-end tests of `coldbench run --loader-stats`: the dynamic loader's
own report (glibc LD_DEBUG=statistics,files) becomes run info for a
dynamically linked workload, a static one gets a warning instead, the
loader's files do not pile up in the temp folder, and a sandboxed run is
refused with the fix. Standard library only.
"""

import glob
import os
import tempfile
import unittest

from e2e_support import BUILD_DIR, CB_FIXTURE, main, run_coldbench

STATIC_PROGRAM = os.path.join(BUILD_DIR, "coldbench-spawner")  # built static, libc only


class LoaderStats(unittest.TestCase):
    def test_dynamic_workload_records_objects_and_loader_time(self):
        before = set(glob.glob(os.path.join(tempfile.gettempdir(), "coldbench-ld-*")))
        result = run_coldbench(["run", "-r", "2", "--loader-stats", "--", CB_FIXTURE, "exit:0"])
        self.assertEqual(result.returncode, 0, result.stderr)
        for run in result.measured_runs():
            info = run["info"]
            # cb_fixture maps at least libstdc++, libm, libgcc_s and libc besides itself.
            self.assertGreaterEqual(info["loader.objects"], 4, info)
            self.assertGreater(info["loader.startup_cycles"], 0)
            self.assertGreater(info["loader.relocations"], 0)
            self.assertGreaterEqual(info["loader.final_relocations"], info["loader.relocations"])
            if "loader.startup_ms" in info:
                self.assertGreater(info["loader.startup_ms"], 0)
                self.assertLess(info["loader.startup_ms"], run["wall_ms"])
            self.assertEqual(run["warnings"], [])
        self.assertTrue(result.json["options"]["loader_stats"])
        after = set(glob.glob(os.path.join(tempfile.gettempdir(), "coldbench-ld-*")))
        self.assertEqual(after - before, set(), "the loader's report folder was left behind")

    def test_without_the_flag_no_loader_info(self):
        result = run_coldbench(["run", "-r", "1", "--", CB_FIXTURE, "exit:0"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse([k for k in result.measured_runs()[0]["info"] if k.startswith("loader.")])

    @unittest.skipUnless(os.path.exists(STATIC_PROGRAM), "coldbench-spawner not built")
    def test_static_workload_gets_a_warning_not_numbers(self):
        # The spawner reads requests from fd 3; without one it exits at once, which is all this needs.
        result = run_coldbench(["run", "-r", "1", "-i", "--loader-stats", "--", STATIC_PROGRAM])
        self.assertEqual(result.returncode, 0, result.stderr)
        run = result.measured_runs()[0]
        self.assertFalse([k for k in run["info"] if k.startswith("loader.")])
        self.assertTrue(any("no loader report" in w for w in run["warnings"]), run["warnings"])

    def test_sandbox_is_refused_with_the_fix(self):
        result = run_coldbench(["run", "-r", "1", "--loader-stats", "--isolate", "sandbox", "--", CB_FIXTURE, "exit:0"])
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--loader-stats", result.stderr)
        self.assertIn("fix:", result.stderr)


if __name__ == "__main__":
    main()
