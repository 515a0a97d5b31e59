#!/usr/bin/env python3
"""Both binaries count effective CPUs by one rule (src/core/effective_cpus.hpp).

`coldbench env` (what --threads auto uses) and `coldbench-torch infer` (its
`cpu.effective`, which decides the oversubscription verdict) are run under the
same affinity and, where coldbench can create cgroups (root), inside the same
run cgroup with a CPU quota and a cpuset. The test fails when they disagree:
coldbench-torch used to count its affinity only and floor the quota without
the harness's slack.

Standard library only; ctest passes COLDBENCH, COLDBENCH_BUILD_DIR.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from e2e_support import COLDBENCH, COLDBENCH_TORCH, cgroup_limits_unavailable, describe, main, run_coldbench

TINY = "tiny_cnn"
TIMEOUT_S = 300


def find_key(value, key):
    """The first value of `key` anywhere in a JSON document, or None."""
    if isinstance(value, dict):
        if key in value:
            return value[key]
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = find_key(item, key)
            if found is not None:
                return found
    return None


def env_argv(out_path):
    return ["sh", "-c", f'exec "$0" env --json --no-engines > "$1"', COLDBENCH, out_path]


def torch_argv(out_path):
    return [COLDBENCH_TORCH, "infer", "--model", TINY, "--iters", "1", "--warmup", "0",
            "--threads", "1", "--json", out_path]


def load(path):
    with open(path) as handle:
        return json.load(handle)


@unittest.skipUnless(os.path.exists(COLDBENCH_TORCH), f"{COLDBENCH_TORCH} not built (COLDBENCH_WITH_TORCH=OFF?)")
class BothBinariesAgreeOnEffectiveCpus(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cb_effective_cpus_")
        self.env = dict(os.environ, OMP_NUM_THREADS="1")
        for name in ("COLDBENCH_FD", "COLDBENCH_MARKERS", "COLDBENCH_RUN_ID"):
            self.env.pop(name, None)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def both_under_affinity(self, cpus):
        env_json = os.path.join(self.tmp, f"env-{len(cpus)}.json")
        torch_json = os.path.join(self.tmp, f"torch-{len(cpus)}.json")
        for argv in (env_argv(env_json), torch_argv(torch_json)):
            done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, env=self.env,
                                  preexec_fn=lambda: os.sched_setaffinity(0, cpus))
            self.assertEqual(done.returncode, 0, f"{argv}: {done.stderr}")
        return load(env_json), load(torch_json)

    def test_same_affinity_same_count(self):
        own = sorted(os.sched_getaffinity(0))
        for cpus in ({own[0]}, set(own)):
            env, torch = self.both_under_affinity(cpus)
            harness = find_key(env, "effective_cpus")
            print(f"affinity {sorted(cpus)}: coldbench env {harness}, coldbench-torch {torch['cpu']['effective']}")
            self.assertIsNotNone(harness, env)
            self.assertEqual(torch["cpu"]["effective"], harness)
            self.assertEqual(torch["cpu"]["affinity"], find_key(env, "affinity"))
            self.assertLessEqual(harness, len(cpus))

    def test_same_run_cgroup_with_quota_and_cpuset(self):
        why = cgroup_limits_unavailable()
        if why:
            self.skipTest(why)
        online = sorted(os.sched_getaffinity(0))
        cpuset = f"{online[0]}-{online[-1]}" if len(online) > 1 else str(online[0])
        # 1.5 CPUs of quota: floor gives 1, whatever the cpuset allows.
        limits = ["--cpus", "1.5", "--cpuset", cpuset]
        env_json = os.path.join(self.tmp, "env-cg.json")
        torch_json = os.path.join(self.tmp, "torch-cg.json")
        for argv in (env_argv(env_json), torch_argv(torch_json)):
            result = run_coldbench(["run", "-r", "1", "-w", "0", "--no-markers"] + limits + ["--"] + argv,
                                   timeout=TIMEOUT_S, env={"OMP_NUM_THREADS": "1"})
            self.assertEqual(result.returncode, 0, describe(result))
            recorded = result.measured_runs()[0]["limits"]["effective_cpus"]
        env, torch = load(env_json), load(torch_json)
        harness = find_key(env, "effective_cpus")
        print(f"--cpus 1.5 --cpuset {cpuset}: coldbench env {harness}, coldbench-torch "
              f"{torch['cpu']['effective']}, run record {recorded}")
        self.assertEqual(harness, 1)
        self.assertEqual(torch["cpu"]["effective"], harness)
        self.assertEqual(recorded, harness)


if __name__ == "__main__":
    main()
