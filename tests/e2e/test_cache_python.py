"""Acceptance of cache state on the real workload: the Python MobileNetV2
example (examples/python/mobilenet_v2_benchmark.py) under --cache cold shows
tracked residency <= 1 % before every measured run, under --cache warm >= 99 %,
and the runtime_ready phase of cold vs warm is reported as a ratio with a 95 %
CI (`coldbench compare WARM COLD`, the two sessions' results files).

As root and as an unprivileged user. Linux shows page-cache residency only to
a file's owner or writers (mincore since 5.0), so the unprivileged user runs a
torch installed in a directory of its own (like a venv: the torch and
torchvision Python packages copied, the shared libraries still /usr/lib's);
the residency it records covers those files, while /usr/lib's are evicted
and loaded without being measurable to it.

Pages that other running programs have mapped (libc, a compiler's libraries
on a busy machine) cannot be evicted by anyone. The cold bound is 1 % or,
when such pinned pages alone exceed it, what an independent eviction (this
test, by posix_fadvise) leaves resident plus 0.5 %; the test prints which.
Programs that come and go during the session pin pages only while they run
(another test's torch process maps libtorch for seconds), and how much of a
mapped file they pin changes as they touch it: a sampler watches
/proc/*/maps while the cold session runs, and the size of every tracked file
that other programs mapped around a run's start is added to that run's
bound (printed, with the files). Counting only files no longer mapped at the
end was not enough: a torch process running through the whole session had
touched more of libtorch when one run started than when the bound was
measured after the session (24.1 % resident against a 21.8 % bound). Skips when no interpreter here imports torch
(scripts/find-torch-python).
"""

import datetime
import glob
import json
import os
import random
import shutil
import statistics
import subprocess
import threading
import time
import unittest

from e2e_support import SOURCE_DIR, describe, find_torch_python, main
from test_cache import Runner, evict, resident_bytes

EXAMPLE = os.path.join(SOURCE_DIR, "examples", "python", "mobilenet_v2_benchmark.py")
EXAMPLE_ARGS = ["--iters", "5", "--warmup", "1"]
RUNS = 3
COLD_BOUND = 0.01
WARM_BOUND = 0.99


def phase_durations(result, name):
    values = []
    for run in result.json["runs"]:
        if run["warmup"] or run["error"]:
            continue
        for p in run["phases"]:
            if p["name"] == name:
                values.append(p["duration_ms"])
    return values


def ratio_with_ci(cold, warm, resamples=2000, seed=1):
    """Ratio of medians cold/warm with a 95 % percentile-bootstrap CI."""
    rng = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        c = [rng.choice(cold) for _ in cold]
        w = [rng.choice(warm) for _ in warm]
        ratios.append(statistics.median(c) / statistics.median(w))
    ratios.sort()
    return (statistics.median(cold) / statistics.median(warm), ratios[int(0.025 * resamples)],
            ratios[int(0.975 * resamples) - 1])


def unevictable_fraction(paths):
    """What stays resident of `paths` right after evicting them: pages mapped by running programs."""
    total = resident = 0
    for path in paths:
        try:
            evict(path)
            size, res = resident_bytes(path)
        except OSError:
            continue
        total += size
        resident += res
    return resident / total if total else 0.0


def files_mapped_by_others(own_marker):
    """Paths of files that processes other than ours (whose command line holds
    `own_marker`) and this one have mapped now; only what this user may read."""
    mapped = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if own_marker.encode() in f.read():
                    continue
            with open(f"/proc/{entry}/maps") as f:
                for line in f:
                    fields = line.split(None, 5)
                    if len(fields) == 6 and fields[5].startswith("/"):
                        mapped.add(fields[5].rstrip("\n"))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return mapped


class MappedByOthers(threading.Thread):
    """Samples files_mapped_by_others every half second until stop(), with the time of each sample."""

    def __init__(self, own_marker):
        super().__init__(daemon=True)
        self.own_marker = own_marker
        self.samples = []  # (Unix time, set of paths)
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.5):
            self.samples.append((time.time(), files_mapped_by_others(self.own_marker)))

    def stop(self):
        self.stopping.set()
        self.join()

    def transient_near(self, tracked, started_at):
        """Share of `tracked` bytes in files that others mapped around a run's start (when the
        harness evicted and measured), and those files."""
        start = datetime.datetime.strptime(started_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        near = set()
        for when, paths in self.samples:
            if start - 5.0 <= when <= start + 1.0:
                near |= paths
        sizes = {}
        for path in tracked:
            try:
                sizes[path] = os.path.getsize(path)
            except OSError:
                continue
        transient = sorted(near & set(sizes))
        total = sum(sizes.values())
        return (sum(sizes[p] for p in transient) / total if total else 0.0), transient


def copy_packages_for(runner, python):
    """torch and torchvision's Python packages in a directory the user owns,
    symlinks to their shared libraries kept pointing at /usr/lib."""
    completed = subprocess.run([python, "-c", "import torch, torchvision, os; "
                                "print(os.path.dirname(torch.__path__[0]))"], capture_output=True, text=True)
    site = completed.stdout.strip()
    target = os.path.join(runner.dir, "site")
    for package in ("torch", "torchvision"):
        src = os.path.join(site, package)
        dst = os.path.join(target, package)
        shutil.copytree(src, dst, symlinks=True)
        for d, _, files in os.walk(dst):
            for name in files:
                link = os.path.join(d, name)
                if os.path.islink(link):
                    real = os.path.realpath(os.path.join(src, os.path.relpath(link, dst)))
                    os.unlink(link)
                    os.symlink(real, link)
    # The example finds its marker client at ../../python from its own path.
    os.makedirs(os.path.join(runner.dir, "examples", "python"))
    os.makedirs(os.path.join(runner.dir, "python"))
    script = os.path.join(runner.dir, "examples", "python", os.path.basename(EXAMPLE))
    shutil.copy2(EXAMPLE, script)
    shutil.copy2(os.path.join(SOURCE_DIR, "python", "coldbench_marker.py"), os.path.join(runner.dir, "python"))
    runner.own(runner.dir)
    return target, script


class PythonExampleColdVsWarm(unittest.TestCase):
    def setUp(self):
        self.python = find_torch_python()
        if not self.python:
            self.skipTest("no Python interpreter here imports torch and torchvision (scripts/find-torch-python)")

    def session(self, runner, mode, script, extra_env=None, watcher=None):
        if extra_env:
            runner.env.update(extra_env)
        if watcher:
            watcher.start()
        try:
            result = runner.run(["run", "-r", str(RUNS), "--cache", mode, "--name", "mobilenet_v2", "--timeout",
                                 "300", "--", self.python, script] + EXAMPLE_ARGS, timeout=1800)
        finally:
            if watcher:
                watcher.stop()
        self.assertEqual(result.returncode, 0, describe(result))
        saved = os.path.join(runner.dir, f"{mode}.json")
        with open(saved, "w") as f:
            json.dump(result.json, f)
        runner.own(saved)
        return result, saved

    def check(self, runner, script, measured_prefix=None, extra_env=None):
        who = f"user {runner.user.pw_name}" if runner.user else ("root" if os.geteuid() == 0 else "this user")
        others = MappedByOthers(own_marker=script)
        cold, cold_file = self.session(runner, "cold", script, extra_env, watcher=others)
        entries = runner.discovery_entries()
        self.assertEqual(len(entries), 1, "one discovery for the command, reused by the second session")
        tracked = [f["path"] for f in entries[0]["files"]]
        if measured_prefix:
            # The user's own copies are what it can measure; the run must have used them.
            tracked = [p for p in tracked if p.startswith(measured_prefix)]
            self.assertIn(os.path.join(measured_prefix, "torch", "__init__.py"), tracked)
            self.assertIn("cannot be measured without root", cold.stderr)
        pinned = unevictable_fraction(tracked)
        bound = COLD_BOUND if pinned + 0.005 <= COLD_BOUND else pinned + 0.005
        cold_fractions = [r["residency"]["resident_fraction"] for r in cold.json["runs"] if not r["warmup"]]
        sizes = {r["residency"]["tracked_files"] for r in cold.json["runs"]}
        print(f"\n[{who}] cold: tracked files measured {sorted(sizes)}, residency before each run "
              f"{[f'{100 * f:.2f} %' for f in cold_fractions]}; pinned by running programs now "
              f"{100 * pinned:.2f} %; bound {100 * bound:.2f} %")
        self.assertEqual(len(cold_fractions), RUNS)
        for r in cold.json["runs"]:
            self.assertEqual(r["residency"]["cache_mode"], "cold")
            self.assertGreater(r["residency"]["tracked_files"], 50 if measured_prefix else 500)
            transient, transient_files = others.transient_near(tracked, r["started_at"])
            if transient_files:
                print(f"[{who}] run {r['sequence']}: other programs mapped {100 * transient:.2f} % of the "
                      f"tracked bytes around its start, added to its bound: {len(transient_files)} files, "
                      f"{transient_files[:5]}...")
            self.assertLessEqual(r["residency"]["resident_fraction"], bound + transient, r["residency"])
        self.assertIn("page cache (--cache cold)", cold.stdout)

        warm, warm_file = self.session(runner, "warm", script, extra_env)
        self.assertNotIn("finding the files", warm.stderr, "the second session reuses the discovery")
        warm_fractions = [r["residency"]["resident_fraction"] for r in warm.json["runs"] if not r["warmup"]]
        print(f"[{who}] warm: residency before each run {[f'{100 * f:.2f} %' for f in warm_fractions]}")
        for r in warm.json["runs"]:
            self.assertGreaterEqual(r["residency"]["resident_fraction"], WARM_BOUND, r["residency"])

        cold_ready = phase_durations(cold, "runtime_ready")
        warm_ready = phase_durations(warm, "runtime_ready")
        self.assertEqual(len(cold_ready), RUNS)
        self.assertEqual(len(warm_ready), RUNS)
        ratio, low, high = ratio_with_ci(cold_ready, warm_ready)
        print(f"[{who}] runtime_ready median cold {statistics.median(cold_ready) / 1000:.3f} s vs warm "
              f"{statistics.median(warm_ready) / 1000:.3f} s: ratio {ratio:.2f}x [95% CI {low:.2f}x, {high:.2f}x]")
        # The same ratio as the tool reports it: compare the two results files, warm as the base.
        compared = runner.run(["compare", "--threshold", "0%", warm_file, cold_file])
        # 3: some quantity undecided at these runs; the ratios are printed all the same.
        self.assertIn(compared.returncode, (0, 1, 3), describe(compared))
        self.assertIn("runtime_ready", compared.stdout)
        print(f"[{who}] coldbench compare {os.path.basename(warm_file)} {os.path.basename(cold_file)}:\n"
              f"{compared.stdout}")

    def test_as_root(self):
        runner = Runner(self, unprivileged=False)
        self.check(runner, EXAMPLE)

    def test_as_unprivileged_user(self):
        runner = Runner(self, unprivileged=True)
        site, script = copy_packages_for(runner, self.python)
        self.check(runner, script, measured_prefix=site + "/", extra_env={"PYTHONPATH": site})


if __name__ == "__main__":
    main()
