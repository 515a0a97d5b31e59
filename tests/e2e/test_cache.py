"""coldbench run --cache and coldbench cache discover|status|evict|warm, with
small workloads (/bin/cat, the fixture) so they run in seconds. The Python
example's acceptance (cold <= 1 %, warm >= 99 %, runtime_ready ratio) is in
test_cache_python.py.

Residency is checked independently of coldbench here: mincore through ctypes.
Files live in the build tree, a disk filesystem (tmpfs pages cannot be
evicted; the tests skip with that reason there). As root, the unprivileged
cases run as the user coldbench-e2e (created if absent) through setpriv.
"""

import ctypes
import ctypes.util
import glob
import json
import mmap
import os
import pwd
import random
import re
import shutil
import subprocess
import tempfile
import unittest

from e2e_support import BUILD_DIR, CB_FIXTURE, COLDBENCH, chown_tree, describe, main, run_coldbench, unprivileged_prefix

DATA_BYTES = 8 * 1024 * 1024 + 321

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
_MAP_FAILED = ctypes.c_void_p(-1).value


def percent_in(output):
    """The total's percentage from `coldbench cache` output ("1 file: X resident of Y (99.9 %)")."""
    match = re.search(r"\d+ files?: .* \((\d+\.\d) %\)", output)
    if not match:
        raise AssertionError(f"no total percentage in {output!r}")
    return float(match.group(1))


def resident_bytes(path):
    """(size, resident bytes) of a file, by mincore, without touching its pages."""
    size = os.path.getsize(path)
    if size == 0:
        return 0, 0
    fd = os.open(path, os.O_RDONLY)
    try:
        address = _libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if address in (None, _MAP_FAILED):
            raise OSError(ctypes.get_errno(), f"mmap {path}")
        pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
        vector = (ctypes.c_ubyte * pages)()
        ok = _libc.mincore(address, size, vector) == 0
        _libc.munmap(address, size)
        if not ok:
            raise OSError(ctypes.get_errno(), f"mincore {path}")
    finally:
        os.close(fd)
    return size, sum(min(mmap.PAGESIZE, size - i * mmap.PAGESIZE) for i in range(pages) if vector[i] & 1)


def evict(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def read_whole(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def make_workdir(test):
    """A directory in the build tree (on disk), readable by everyone."""
    path = tempfile.mkdtemp(prefix="cb-e2e-cache-", dir=BUILD_DIR)
    os.chmod(path, 0o755)
    test.addCleanup(shutil.rmtree, path, True)
    return path


def write_data(directory, name="model.bin", size=DATA_BYTES):
    path = os.path.join(directory, name)
    rng = random.Random(7)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, 0o644)
    return path


def skip_unless_evictable(test, path):
    evict(path)
    size, resident = resident_bytes(path)
    if resident > size // 2:
        test.skipTest(f"the filesystem of {path} keeps evicted pages (tmpfs?); eviction cannot be tested here")




class Runner:
    """Runs coldbench as root or as the unprivileged user, with its own HOME and
    XDG_CACHE_HOME (so the discovery cache is the test's), JSON in a directory
    that user owns."""

    def __init__(self, test, unprivileged):
        self.prefix = []
        self.user = None
        if unprivileged:
            self.user, self.prefix = unprivileged_prefix(test)
        elif os.geteuid() != 0:
            test.skipTest("needs root")
        self.dir = tempfile.mkdtemp(prefix="cb-e2e-cache-home-", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.cache_home = os.path.join(self.dir, "cache")
        os.makedirs(self.cache_home)
        self.own(self.dir)
        self.env = {"HOME": self.dir, "XDG_CACHE_HOME": self.cache_home}

    def own(self, path):
        chown_tree(path, self.user)

    def run(self, args, timeout=600):
        """`coldbench ARGS`; for `run`, results are read back from --json."""
        json_path = os.path.join(self.dir, "results.json")
        if os.path.exists(json_path):
            os.unlink(json_path)
        if args[0] == "run":
            args = ["run", "--json", json_path, "--no-progress"] + list(args[1:])
        result = run_coldbench(args, timeout=timeout, env=self.env, json_output=False, user_prefix=self.prefix)
        if os.path.exists(json_path):
            with open(json_path) as f:
                result.json = json.load(f)
        return result

    def discovery_entries(self):
        entries = []
        for path in glob.glob(os.path.join(self.cache_home, "coldbench", "discovery", "*.json")):
            with open(path) as f:
                entries.append(json.load(f))
        return entries


def residencies(result, warmup=False):
    return [r["residency"] for r in result.json["runs"] if r["warmup"] == warmup]


class CacheFilesCommands(unittest.TestCase):
    """coldbench cache status|evict|warm: the per-file table, checked against mincore."""

    def setUp(self):
        self.dir = make_workdir(self)
        self.data = write_data(self.dir)
        skip_unless_evictable(self, self.data)

    def test_evict_status_warm_agree_with_mincore(self):
        # The kernel may drop a clean page at any moment (memory pressure, DAMON
        # reclaim): residency is checked against mincore measured around each
        # command, never against an exact 100 % (stress round with a CPU burner:
        # one 4 KiB page went between `warm` and `status`, 99.9 %).
        read_whole(self.data)
        evicted = run_coldbench(["cache", "evict", self.data])
        self.assertEqual(evicted.returncode, 0, describe(evicted))
        size, resident = resident_bytes(self.data)
        self.assertLessEqual(resident, size // 100, "coldbench cache evict left the file resident")
        self.assertIn(self.data, evicted.stdout)
        self.assertRegex(evicted.stdout, r"\b0\.0 %")
        self.assertIn("1 file: ", evicted.stdout)

        # status only looks: an evicted file stays evicted (reading it would make it resident).
        cold_status = run_coldbench(["cache", "status", self.data])
        self.assertEqual(cold_status.returncode, 0, describe(cold_status))
        self.assertRegex(cold_status.stdout, r"1 file: .* \(0\.0 %\)")
        self.assertLessEqual(resident_bytes(self.data)[1], size // 100, "status must not read the file")

        warmed = run_coldbench(["cache", "warm", self.data])
        self.assertEqual(warmed.returncode, 0, describe(warmed))
        size, resident = resident_bytes(self.data)
        self.assertGreaterEqual(resident, size * 99 // 100)
        self.assertGreaterEqual(percent_in(warmed.stdout), 99.0, warmed.stdout)

        before = resident_bytes(self.data)[1]
        status = run_coldbench(["cache", "status", self.data])
        after = resident_bytes(self.data)[1]
        self.assertEqual(status.returncode, 0, describe(status))
        # What status saw lies between mincore just before and just after it (0.05: its rounding).
        seen = percent_in(status.stdout)
        self.assertLessEqual(seen, 100.0 * before / size + 0.05, status.stdout)
        self.assertGreaterEqual(seen, 100.0 * after / size - 0.05, status.stdout)
        self.assertIn("resident of 8.00 MiB (", status.stdout)

    def test_globs_directories_and_problems(self):
        other = write_data(self.dir, "weights.pt", 4096 * 3)
        os.makedirs(os.path.join(self.dir, "sub", "deeper"))
        nested = write_data(os.path.join(self.dir, "sub", "deeper"), "n.bin", 5000)
        result = run_coldbench(["cache", "status", os.path.join(self.dir, "*.{bin,pt}"),
                                os.path.join(self.dir, "sub"), os.path.join(self.dir, "missing.bin"),
                                os.path.join(self.dir, "*.nothing")])
        self.assertEqual(result.returncode, 0, describe(result))
        for path in (self.data, other, nested):
            self.assertIn(path, result.stdout)
        self.assertIn("3 files: ", result.stdout)
        self.assertIn("not measured (2):", result.stdout)
        self.assertIn("missing.bin: No such file or directory", result.stdout)
        self.assertIn("*.nothing: no file matches", result.stdout)

        summary = run_coldbench(["cache", "status", "--summary", self.dir])
        self.assertEqual(summary.returncode, 0, describe(summary))
        self.assertNotIn(other, summary.stdout)
        self.assertIn("3 files: ", summary.stdout)

    def test_nothing_measurable_is_a_usage_error(self):
        result = run_coldbench(["cache", "status", os.path.join(self.dir, "nope-*")])
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("no file could be measured", result.stderr)

    def test_unreadable_files_are_reported_not_fatal(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to make a file that the test user cannot read")
        runner = Runner(self, unprivileged=True)
        runner.own(self.data)
        secret = write_data(self.dir, "secret.bin", 4096)
        os.chmod(secret, 0o600)  # owned by root
        result = runner.run(["cache", "status", self.data, secret])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("secret.bin: Permission denied", result.stdout)
        self.assertIn("1 file: ", result.stdout)


class CacheDiscoverCommand(unittest.TestCase):
    def test_discovers_caches_and_invalidates(self):
        runner = Runner(self, unprivileged=os.geteuid() != 0)
        workdir = make_workdir(self)
        data = write_data(workdir, "input.txt", 1000)
        first = runner.run(["cache", "discover", "--cwd", workdir, "--", "/bin/cat", "input.txt"])
        self.assertEqual(first.returncode, 0, describe(first))
        self.assertIn("Discovery: traced run", first.stdout)
        self.assertIn("exited with code 0", first.stdout)
        self.assertIn("running the command once under ptrace", first.stderr)
        self.assertRegex(first.stdout, r"Tracked: \d+ files: ")
        entries = runner.discovery_entries()
        self.assertEqual(len(entries), 1)
        paths = [f["path"] for f in entries[0]["files"]]
        self.assertIn(os.path.realpath(data), paths)
        self.assertIn(os.path.realpath("/bin/cat"), paths)
        self.assertEqual(entries[0]["key"]["cwd"], workdir)
        for p in paths:
            self.assertFalse(p.startswith(("/proc/", "/dev/", "/sys/")), p)

        again = runner.run(["cache", "discover", "--list", "--cwd", workdir, "--", "/bin/cat", "input.txt"])
        self.assertEqual(again.returncode, 0, describe(again))
        self.assertIn("Discovery: from the cache", again.stdout)
        self.assertNotIn("under ptrace", again.stderr)
        self.assertIn(os.path.realpath(data), again.stdout)  # --list shows every file

        with open(data, "a") as f:
            f.write("more")
        changed = runner.run(["cache", "discover", "--cwd", workdir, "--", "/bin/cat", "input.txt"])
        self.assertIn("Discovery: traced run", changed.stdout)
        self.assertIn("input.txt changed size", changed.stdout)

        forced = runner.run(["cache", "discover", "--rediscover", "--cwd", workdir, "--", "/bin/cat", "input.txt"])
        self.assertIn("traced because --rediscover was given", forced.stdout)

        other_env = runner.run(["cache", "discover", "--env", "CB_E2E=1", "--cwd", workdir, "--",
                                "/bin/cat", "input.txt"])
        self.assertIn("Discovery: traced run", other_env.stdout, "another environment is another entry")
        self.assertEqual(len(runner.discovery_entries()), 2)

    def test_failed_traced_run_is_reported_and_not_cached(self):
        runner = Runner(self, unprivileged=os.geteuid() != 0)
        result = runner.run(["cache", "discover", "--", CB_FIXTURE, "exit:3"])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("exited with code 3 (not cached)", result.stdout)
        self.assertIn("warning: the traced run exited with code 3", result.stderr)
        self.assertEqual(runner.discovery_entries(), [])

    def test_command_that_cannot_start(self):
        result = run_coldbench(["cache", "discover", "--", "/nonexistent/prog"])
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("/nonexistent/prog", result.stderr)


class RunWithCacheState(unittest.TestCase):
    """coldbench run --cache on a tracked data file: residency before each run."""

    def setUp(self):
        self.workdir = make_workdir(self)
        self.data = write_data(self.workdir)
        skip_unless_evictable(self, self.data)

    def check_cold_and_warm(self, runner):
        read_whole(self.data)
        # The fixture does not read the file; the check is what the hook did just before the spawn.
        base = ["--no-discover", "--track", self.data, "--", CB_FIXTURE, "phase:start"]
        cold = runner.run(["run", "-r", "3", "-w", "1", "--cache", "cold"] + base)
        self.assertEqual(cold.returncode, 0, describe(cold))
        # Warmups get no cache action: right after the file was read, it is still warm.
        self.assertGreaterEqual(residencies(cold, warmup=True)[0]["resident_fraction"], 0.99)
        measured = residencies(cold)
        self.assertEqual(len(measured), 3)
        for r in measured:
            self.assertEqual(r["cache_mode"], "cold")
            self.assertEqual(r["tracked_files"], 1)
            self.assertEqual(r["total_bytes"], DATA_BYTES)
            self.assertLessEqual(r["resident_fraction"], 0.01, r)
            self.assertEqual(r["least_resident"][0]["path"], self.data)
        self.assertIn("page cache (--cache cold): 1 tracked file, 8.00 MiB", cold.stdout)
        self.assertEqual(cold.json["options"]["cache"]["mode"], "cold")

        warm = runner.run(["run", "-r", "2", "--cache", "warm"] + base)
        self.assertEqual(warm.returncode, 0, describe(warm))
        for r in residencies(warm):
            self.assertEqual(r["cache_mode"], "warm")
            self.assertGreaterEqual(r["resident_fraction"], 0.99, r)
        self.assertGreaterEqual(resident_bytes(self.data)[1], DATA_BYTES * 99 // 100)

        evict(self.data)
        none = runner.run(["run", "-r", "1", "--cache", "none"] + base)
        self.assertEqual(none.returncode, 0, describe(none))
        self.assertLessEqual(residencies(none)[0]["resident_fraction"], 0.01, "none must not load anything")

    def test_cold_and_warm_as_root(self):
        self.check_cold_and_warm(Runner(self, unprivileged=False))

    def test_cold_and_warm_unprivileged(self):
        runner = Runner(self, unprivileged=True)
        # Linux shows residency only to a file's owner or writers (see the next test).
        runner.own(self.data)
        self.check_cold_and_warm(runner)

    def test_unprivileged_files_of_others_are_evicted_but_not_measured(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to own a file the test user cannot write, and to check it")
        runner = Runner(self, unprivileged=True)
        os.chmod(self.data, 0o644)  # root's, readable by all: the case of /usr/lib/... for a user
        base = ["--no-discover", "--track", self.data, "--", CB_FIXTURE, "phase:start"]
        read_whole(self.data)
        cold = runner.run(["run", "-r", "1", "--cache", "cold"] + base)
        self.assertEqual(cold.returncode, 0, describe(cold))
        self.assertIn("1 of 1 tracked files (8.00 MiB) are evicted/loaded but their residency cannot be measured "
                      "without root", cold.stderr)
        # Never reported as resident: the snapshot leaves the file out.
        self.assertEqual(residencies(cold)[0]["tracked_files"], 0)
        self.assertNotIn("page cache (--cache cold)", cold.stdout)
        # The fixture does not read the file: what root sees now is what the run started with.
        self.assertLessEqual(resident_bytes(self.data)[1], DATA_BYTES // 100)

        warm = runner.run(["run", "-r", "1", "--cache", "warm"] + base)
        self.assertEqual(warm.returncode, 0, describe(warm))
        self.assertGreaterEqual(resident_bytes(self.data)[1], DATA_BYTES * 99 // 100)

        status = runner.run(["cache", "evict", self.data])
        self.assertEqual(status.returncode, 0, describe(status))
        self.assertIn("residency not measurable without root", status.stdout)
        self.assertLessEqual(resident_bytes(self.data)[1], DATA_BYTES // 100)

    def test_discovered_files_are_tracked_with_tracked_extras(self):
        runner = Runner(self, unprivileged=True)
        extra = write_data(self.workdir, "extra.bin", 64 * 1024)
        runner.own(extra)
        runner.own(self.data)
        result = runner.run(["run", "-r", "2", "--cache", "cold", "--cwd", self.workdir, "--track", extra,
                             "--", "md5sum", "model.bin"])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("finding the files it uses (one traced run)", result.stderr)
        self.assertRegex(result.stderr, r"tracking \d+ files, .* \(traced run: ")
        entry = runner.discovery_entries()[0]
        self.assertIn(os.path.realpath(self.data), [f["path"] for f in entry["files"]])
        for r in residencies(result):
            # model.bin and extra.bin; md5sum, libc and ld.so too when the run can see their residency
            self.assertGreaterEqual(r["tracked_files"], 2 if runner.user or os.geteuid() else 5)
            self.assertGreaterEqual(r["total_bytes"], DATA_BYTES + 64 * 1024)
        # A second session reuses the discovery.
        again = runner.run(["run", "-r", "1", "--cache", "cold", "--cwd", self.workdir, "--track", extra,
                            "--", "md5sum", "model.bin"])
        self.assertEqual(again.returncode, 0, describe(again))
        self.assertNotIn("finding the files", again.stderr)
        self.assertIn("cached in", again.stderr)

    def test_drop_needs_root_and_warns(self):
        unprivileged = Runner(self, unprivileged=True)
        refused = unprivileged.run(["run", "-r", "1", "--cache", "drop", "--", CB_FIXTURE, "phase:x"])
        self.assertEqual(refused.returncode, 2, describe(refused))
        self.assertIn("--cache drop needs root", refused.stderr)
        self.assertIn("--cache cold", refused.stderr)
        self.assertIsNone(refused.json, "no run may start")
        if os.geteuid() != 0:
            self.skipTest("the drop itself needs root")
        if not os.access("/proc/sys/vm/drop_caches", os.W_OK):
            self.skipTest("/proc/sys/vm/drop_caches is not writable here")
        read_whole(self.data)
        dropped = Runner(self, unprivileged=False).run(
            ["run", "-r", "1", "--cache", "drop", "--no-discover", "--track", self.data, "--", CB_FIXTURE, "phase:x"])
        self.assertEqual(dropped.returncode, 0, describe(dropped))
        self.assertIn("warning: --cache drop empties the page cache of the whole machine", dropped.stderr)
        self.assertLessEqual(residencies(dropped)[0]["resident_fraction"], 0.01)

    def test_usage_errors(self):
        cases = [
            (["--track", self.data], "need --cache MODE"),
            (["--cache", "cold", "--no-discover"], "--no-discover leaves nothing to track"),
            (["--cache", "cold", "--track", os.path.join(self.workdir, "missing.bin")], "missing.bin: No such file"),
            (["--cache", "cold", "--no-discover", "--rediscover", "--track", self.data], "contradict"),
            (["--cache", "lukewarm"], "--cache"),
        ]
        for extra, message in cases:
            result = run_coldbench(["run", "-r", "1"] + extra + ["--", CB_FIXTURE, "phase:x"])
            self.assertEqual(result.returncode, 2, f"{extra}: {describe(result)}")
            self.assertIn(message, result.stderr, extra)


if __name__ == "__main__":
    main()
