"""Cold start attributed to files, the processes that keep evicted pages
resident, and the prefetch remedy (docs/cache.md, "What a cold run read",
"Prefetch"), on a fixture workload: a Python script that reads a data file,
its second half first. Residency is checked independently with mincore
through ctypes (test_cache.py's helpers). These tests evict pages and name
other processes' mappings, so they run as root and skip, saying why, when not.
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from e2e_support import COLDBENCH, describe, main, run_coldbench
from test_cache import DATA_BYTES, evict, make_workdir, read_whole, resident_bytes, skip_unless_evictable, write_data

# Reads the file given, second half first, in 64 KiB reads (each read faults its pages in).
# Reads the second half of the file, then the first. With a pause (argv[2], seconds) between the
# halves, the first-touch recorder (mincore every 5 ms) sees the second half in an earlier sample
# even on a fast idle machine, where the whole 8 MiB otherwise lands in one sample and is ordered
# by offset.
READER = textwrap.dedent("""
    import sys, time
    path = sys.argv[1]
    pause = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    size = __import__("os").path.getsize(path)
    half = size // 2
    with open(path, "rb", buffering=0) as f:
        for start, end in ((half, size), (0, half)):
            if start == 0 and pause:
                time.sleep(pause)
            f.seek(start)
            left = end - start
            while left > 0:
                chunk = f.read(min(65536, left))
                if not chunk:
                    break
                left -= len(chunk)
""")

# Maps the file, touches every page, says "ready", and waits for stdin to close.
HOLDER = textwrap.dedent("""
    import mmap, sys
    with open(sys.argv[1], "rb") as f:
        m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
        total = sum(m[i] for i in range(0, len(m), mmap.PAGESIZE))
        print("ready", total % 7, flush=True)
        sys.stdin.read()
""")


class AttributionTest(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root: these tests evict pages and read other processes' /proc/PID/maps")
        self.workdir = make_workdir(self)
        self.data = write_data(self.workdir)
        skip_unless_evictable(self, self.data)
        self.reader = os.path.join(self.workdir, "reader.py")
        with open(self.reader, "w") as f:
            f.write(READER)
        self.base = ["--no-discover", "--track", self.data, "--", sys.executable, self.reader, self.data]

    def test_cold_runs_attribute_the_bytes_read_to_the_file(self):
        result = run_coldbench(["run", "-r", "3", "--cache", "cold"] + self.base)
        self.assertEqual(result.returncode, 0, describe(result))
        runs = result.measured_runs()
        self.assertEqual(len(runs), 3)
        for run in runs:
            reads = run["cache_reads"]
            self.assertIsNotNone(reads, run)
            # The script reads the whole file: what the file gained is its size (readahead cannot add more).
            self.assertGreaterEqual(reads["read_bytes"], DATA_BYTES * 95 // 100, reads)
            self.assertLessEqual(reads["read_bytes"], DATA_BYTES, reads)
            self.assertEqual(reads["files_read"], 1)
            top = reads["top"][0]
            self.assertEqual(top["path"], self.data)
            self.assertEqual(top["read_bytes"], top["resident_after"] - top["resident_before"])
        # After the last run, mincore's view of the file is what the record says it ended with.
        self.assertEqual(resident_bytes(self.data)[1], runs[-1]["cache_reads"]["top"][0]["resident_after"])
        floors = [r["cache_reads"]["sequential_floor"] for r in runs if r["cache_reads"]["sequential_floor"]]
        self.assertEqual(len(floors), 1, "the floor is measured once per session")
        self.assertEqual(floors[0]["bytes"], runs[0]["cache_reads"]["read_bytes"])
        self.assertGreater(floors[0]["ms"], 0)
        self.assertIn("pread", floors[0]["method"])
        self.assertRegex(result.stdout, r"cold start read \(pages the tracked files gained per run\): median 8\.0\d MiB")
        self.assertIn("from model.bin", result.stdout)
        self.assertIn("disk's sequential floor:", result.stdout)
        summary = result.command_summary(runs[0]["command"])
        self.assertEqual(summary["cold_reads"]["files"][0]["path"], self.data)
        findings = [f for f in result.json["summary"]["findings"] if f["id"] == "cold_reads"]
        self.assertEqual(len(findings), 1, result.json["summary"]["findings"])
        self.assertIn("from model.bin (100%)", findings[0]["sentence"])

    def test_warm_runs_read_nothing_and_record_no_reads(self):
        read_whole(self.data)
        result = run_coldbench(["run", "-r", "2", "--cache", "warm"] + self.base)
        self.assertEqual(result.returncode, 0, describe(result))
        for run in result.measured_runs():
            self.assertIsNone(run["cache_reads"])
        self.assertNotIn("cold start read", result.stdout)

    def test_a_process_that_maps_the_file_is_named(self):
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, self.data], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.wait, 30)
        self.addCleanup(holder.stdin.close)
        self.addCleanup(holder.stdout.close)
        self.assertTrue(holder.stdout.readline().startswith("ready"))
        result = run_coldbench(["run", "-r", "1", "--cache", "cold"] + self.base)
        self.assertEqual(result.returncode, 0, describe(result))
        left = result.measured_runs()[0]["cache_reads"]["left_resident"]
        self.assertEqual(len(left), 1, left)
        self.assertEqual(left[0]["path"], self.data)
        self.assertGreaterEqual(left[0]["resident_bytes"], DATA_BYTES * 99 // 100)
        self.assertIn(holder.pid, [m["pid"] for m in left[0]["mapped_by"]])
        self.assertRegex(result.stdout, rf"100% of model\.bin \(8\.0\d MiB\) stays resident after eviction: mapped by "
                                        rf"pid {holder.pid} \([^)\n]*python[^)\n]*-c\s+import mmap")
        findings = [f for f in result.json["summary"]["findings"] if f["id"] == "pages_left_resident"]
        self.assertEqual(len(findings), 1)
        self.assertIn(f"pid {holder.pid}", findings[0]["sentence"])
        # Without the holder, nothing stays and nothing is named.
        holder.stdin.close()
        holder.wait(30)
        again = run_coldbench(["run", "-r", "1", "--cache", "cold"] + self.base)
        self.assertEqual(again.returncode, 0, describe(again))
        self.assertEqual(again.measured_runs()[0]["cache_reads"]["left_resident"], [])
        self.assertNotIn("stays resident", again.stdout)


class PrefetchTest(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root: these tests evict pages (the suite's cache tests run as root)")
        self.workdir = make_workdir(self)
        self.data = write_data(self.workdir)
        skip_unless_evictable(self, self.data)
        self.reader = os.path.join(self.workdir, "reader.py")
        with open(self.reader, "w") as f:
            f.write(READER)
        self.base = ["--no-discover", "--track", self.data, "--", sys.executable, self.reader, self.data]
        self.list = os.path.join(self.workdir, "start.prefetch")
        # For recording: a second between the halves, 200 recorder samples, so the order is the reads'.
        self.record_base = self.base + ["1.0"]

    def read_list(self):
        with open(self.list) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "# coldbench prefetch list v1")
        ranges = []
        for line in lines[1:]:
            if line.startswith("#") or not line:
                continue
            offset, length, path = line.split(" ", 2)
            ranges.append((int(offset), int(length), path))
        return ranges

    def test_record_replay_and_race(self):
        recorded = run_coldbench(["run", "-r", "1", "--cache", "cold", "--record-prefetch", self.list] +
                                 self.record_base)
        self.assertEqual(recorded.returncode, 0, describe(recorded))
        self.assertIn(f"prefetch list written to {self.list}", recorded.stderr)
        ranges = self.read_list()
        self.assertTrue(ranges)
        self.assertEqual({path for _, _, path in ranges}, {self.data})
        self.assertGreaterEqual(sum(length for _, length, _ in ranges), DATA_BYTES * 95 // 100)
        # The script read the second half first: the list starts there.
        self.assertGreaterEqual(ranges[0][0], DATA_BYTES // 2 - 4096, ranges[:3])

        # Replayed before a start: the file is resident afterwards.
        evict(self.data)
        self.assertLess(resident_bytes(self.data)[1], DATA_BYTES // 100)
        replay = run_coldbench(["prefetch", self.list])
        self.assertEqual(replay.returncode, 0, describe(replay))
        self.assertRegex(replay.stdout, r"prefetched 8\.0\d MiB in .* of \d+ ranges")
        self.assertGreaterEqual(resident_bytes(self.data)[1], DATA_BYTES * 95 // 100)

        # Racing the start: evicted before each run (cold), then the replay runs beside the workload.
        raced = run_coldbench(["run", "-r", "2", "--cache", "cold+prefetch", "--prefetch-list", self.list] + self.base)
        self.assertEqual(raced.returncode, 0, describe(raced))
        for run in raced.measured_runs():
            self.assertLessEqual(run["residency"]["resident_fraction"], 0.01, run["residency"])
            self.assertEqual(run["residency"]["cache_mode"], "cold+prefetch")
            reads = run["cache_reads"]
            self.assertGreater(reads["prefetched_bytes"], 0, reads)
            self.assertGreaterEqual(reads["read_bytes"], DATA_BYTES * 95 // 100, reads)
        self.assertIn("prefetch racing the start:", raced.stdout)

    def test_cold_prefetch_records_its_list_in_a_warmup_or_says_how_to_get_one(self):
        none = run_coldbench(["run", "-r", "1", "--cache", "cold+prefetch"] + self.base)
        self.assertEqual(none.returncode, 2, describe(none))
        self.assertIn("--prefetch-list FILE", none.stderr)
        self.assertIn("-w 1", none.stderr)
        auto = run_coldbench(["run", "-r", "1", "-w", "1", "--cache", "cold+prefetch"] + self.base)
        self.assertEqual(auto.returncode, 0, describe(auto))
        self.assertIn("prefetch list recorded in warmup run 1 (run cold)", auto.stderr)
        self.assertGreater(auto.measured_runs()[0]["cache_reads"]["prefetched_bytes"], 0)

    def test_bad_lists_and_options_are_usage_errors(self):
        with open(self.list, "w") as f:
            f.write("0 4096 /etc/hostname\n")
        bad = run_coldbench(["prefetch", self.list])
        self.assertEqual(bad.returncode, 2, describe(bad))
        self.assertIn(f"{self.list}:1: not a prefetch list", bad.stderr)
        missing = run_coldbench(["prefetch", os.path.join(self.workdir, "nope")])
        self.assertEqual(missing.returncode, 2, describe(missing))
        wrong_mode = run_coldbench(["run", "-r", "1", "--cache", "warm", "--record-prefetch", self.list] + self.base)
        self.assertEqual(wrong_mode.returncode, 2, describe(wrong_mode))
        self.assertIn("--record-prefetch records the first-touch order of a cold start", wrong_mode.stderr)
        stray = run_coldbench(["run", "-r", "1", "--cache", "cold", "--prefetch-list", self.list] + self.base)
        self.assertEqual(stray.returncode, 2, describe(stray))
        self.assertIn("--prefetch-list is replayed by --cache cold+prefetch only", stray.stderr)


if __name__ == "__main__":
    main()
