"""coldbench env: the facts it reports match what the kernel says, and each
capability it lists is either available or comes with how to get it."""

import json
import os
import subprocess
import unittest

from e2e_support import COLDBENCH, describe, main, run_coldbench


def cpu_list(cpus):
    """{0,1,2,5} -> "0-2,5", as coldbench prints lists."""
    cpus = sorted(cpus)
    parts, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        parts.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(parts)


def own_cgroup_versions():
    """Which controllers of cpu/cpuset/memory this process sees on v1 and whether a v2 mount exists."""
    v1, v2 = set(), False
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            dash = fields.index("-")
            if fields[dash + 1] == "cgroup2":
                v2 = True
            elif fields[dash + 1] == "cgroup":
                v1 |= set(fields[dash + 3].split(",")) & {"cpu", "cpuacct", "cpuset", "memory"}
    return v1, v2


class Env(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.result = run_coldbench(["env", "--json", "--no-engines"], json_output=False)
        cls.report = json.loads(cls.result.stdout) if cls.result.returncode == 0 else None

    def setUp(self):
        self.assertEqual(self.result.returncode, 0, describe(self.result))

    def test_cpu_facts_match_the_kernel(self):
        self.assertEqual(self.report["affinity"], cpu_list(os.sched_getaffinity(0)))
        with open("/sys/devices/system/cpu/online") as f:
            self.assertEqual(self.report["online_cpus"], f.read().strip())
        effective = self.report["effective_cpus"]
        self.assertGreaterEqual(effective, 1)
        self.assertLessEqual(effective, len(os.sched_getaffinity(0)))
        if self.report["cpu_quota"] is not None:
            self.assertLessEqual(effective, max(1, int(self.report["cpu_quota"])))
        print(f"env: affinity {self.report['affinity']}, cpuset {self.report['cpuset']!r}, "
              f"quota {self.report['cpu_quota']}, effective CPUs {effective}, "
              f"memory limit {self.report['memory_limit_bytes']}, cgroups {self.report['cgroup_mode']}")

    def test_controller_versions_match_the_mounts(self):
        v1, v2 = own_cgroup_versions()
        versions = {c["name"]: c["version"] for c in self.report["controllers"]}
        for name in ("cpu", "cpuacct", "cpuset", "memory"):
            if name in v1:
                self.assertEqual(versions[name], "v1", name)
            elif versions[name] == "v2":
                self.assertTrue(v2)
        expected_mode = "hybrid" if v1 and v2 else "v1" if v1 else "v2" if v2 else "none"
        self.assertEqual(self.report["cgroup_mode"], expected_mode)

    def test_every_missing_capability_says_how_to_get_it(self):
        names = [c["name"] for c in self.report["capabilities"]]
        for expected in ("create cgroups", "set CPU affinity", "drop page caches", "create user namespaces",
                         "mount/PID/IPC/UTS namespaces"):
            self.assertIn(expected, names)
        for c in self.report["capabilities"]:
            if not c["available"]:
                self.assertTrue(c["how"], f"{c['name']} is missing without a hint")
        caps = {c["name"]: c for c in self.report["capabilities"]}
        self.assertTrue(caps["set CPU affinity"]["available"])
        self.assertEqual(caps["drop page caches"]["available"],
                         os.geteuid() == 0 and os.access("/proc/sys/vm/drop_caches", os.W_OK))

    def test_spawner_is_found_beside_coldbench_or_its_absence_is_explained(self):
        caps = {c["name"]: c for c in self.report["capabilities"]}
        beside = os.path.join(os.path.dirname(COLDBENCH), "coldbench-spawner")
        self.assertEqual(caps["spawner process"]["available"], os.access(beside, os.X_OK))
        off = run_coldbench(["env", "--json", "--no-engines"], json_output=False,
                            env={"COLDBENCH_SPAWNER": "off"})
        self.assertEqual(off.returncode, 0, describe(off))
        spawner = {c["name"]: c for c in json.loads(off.stdout)["capabilities"]}["spawner process"]
        self.assertFalse(spawner["available"])
        self.assertIn("COLDBENCH_SPAWNER", spawner["detail"])
        self.assertIn("max RSS", spawner["how"])

    def test_probes_leave_no_cgroup_behind(self):
        # The trial cgroups are named after the probing process: run-<its pid>-N.
        probe = subprocess.Popen([COLDBENCH, "env", "--json", "--no-engines"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        _, stderr = probe.communicate(timeout=120)
        self.assertEqual(probe.returncode, 0, stderr)
        pid = probe.pid
        for c in self.report["controllers"]:
            if c["cgroup"]:
                parent = os.path.join(c["cgroup"], "coldbench")
                leftovers = [d for d in os.listdir(parent) if d.startswith(f"run-{pid}-")] if os.path.isdir(parent) else []
                self.assertEqual(leftovers, [], parent)

    def test_text_output_and_engines(self):
        text = run_coldbench(["env"], json_output=False)
        self.assertEqual(text.returncode, 0, describe(text))
        for heading in ("effective CPUs", "cgroups (", "What coldbench can do here", "docker engine", "podman engine"):
            self.assertIn(heading, text.stdout)
        print(text.stdout)

    def test_help(self):
        result = run_coldbench(["env", "--help"], json_output=False)
        self.assertEqual(result.returncode, 0)
        self.assertIn("--json", result.stdout)


if __name__ == "__main__":
    main()
