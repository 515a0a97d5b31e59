"""Sweeps beyond one machine: shards, merge, reports across hosts, the
Kubernetes manifest parsed, and the Slurm script on a real one-node cluster
(docs/scale-out.md)."""

import collections
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
import time
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, describe, main, run_coldbench, temp_dir

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slurm_cluster  # noqa: E402

try:
    import yaml
except ImportError:  # scripts/bootstrap installs python3-yaml
    yaml = None

# Four configs of two matrix values each; {sleep} ms per run. {limits}: the
# Kubernetes test's memory and CPU limits (the sweeps run without, since not
# every host lets coldbench create cgroups).
STUDY = textwrap.dedent("""\
    [experiment]
    name = "{name}"
    runs = {runs}
    warmup = 1
    seed = 3

    [defaults]
    command = "{fixture} sleep:{sleep} phase:runtime_ready sleep:{{delay}} phase:model_loaded"

    [[config]]
    name = "plain"

    [[config]]
    name = "small"
    {limits}

    [matrix]
    delay = [1, 3]
    """)
CONFIGS = ["plain/delay=1", "plain/delay=3", "small/delay=1", "small/delay=3"]


def runs_of(db):
    """(command, run_index, warmup) of every run in a history, with the session's host label."""
    with sqlite3.connect(db) as con:
        return con.execute("SELECT command, run_index, warmup FROM runs").fetchall()


def planned(runs, warmup=1, configs=CONFIGS):
    return sorted((c, i, w) for c in configs for w, n in ((0, runs), (1, warmup)) for i in range(n))


class ScaleOutTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "cb-scale-")

    def write_study(self, name="fleet-study", runs=2, sleep=5, file="study.toml", limits=""):
        path = os.path.join(self.tmp, file)
        with open(path, "w") as f:
            f.write(STUDY.format(name=name, runs=runs, fixture=CB_FIXTURE, sleep=sleep, limits=limits))
        return path

    def cb(self, *args, **kwargs):
        return run_coldbench(list(args), json_output=False, **kwargs)

    def shard(self, study, spec, db, *extra):
        result = self.cb("sweep", study, "--shard", spec, "--db", db, "--no-progress", *extra)
        self.assertEqual(result.returncode, 0, describe(result))
        return result

    def test_shards_cover_the_study_once_and_merge_idempotently(self):
        study = self.write_study()
        dbs = [os.path.join(self.tmp, f"shard-{i}.sqlite") for i in range(3)]
        for i, db in enumerate(dbs):
            self.shard(study, f"{i}/3", db)
        # 4 configs over 3 shards: blocks of 1, 1 and 2 whole configs.
        self.assertEqual([len({r[0] for r in runs_of(db)}) for db in dbs], [1, 1, 2])
        merged = os.path.join(self.tmp, "all.sqlite")
        first = self.cb("merge", *dbs, "-o", merged)
        self.assertEqual(first.returncode, 0, describe(first))
        self.assertIn("3 sessions added", first.stdout)
        self.assertEqual(sorted(runs_of(merged)), planned(2))
        again = self.cb("merge", dbs[1], *dbs, "-o", merged)
        self.assertEqual(again.returncode, 0, describe(again))
        self.assertIn("0 sessions added, 0 updated, 0 runs added", again.stdout)
        self.assertEqual(sorted(runs_of(merged)), planned(2))

        # Each shard's session carries the host's identity.
        with sqlite3.connect(merged) as con:
            headers = [row[0] for row in con.execute("SELECT header FROM sessions")]
        import json
        for header in headers:
            shard = json.loads(header)["options"]["shard"]
            self.assertEqual(shard["count"], 3)
            self.assertIn("cgroup_limits", shard["host_identity"])
            self.assertIn("memory_limit_bytes", shard["host_identity"]["cgroup_limits"])
            self.assertTrue(json.loads(header)["host"]["cpu_model"] is not None)

        report = self.cb("report", "study", "--db", merged)
        self.assertEqual(report.returncode, 0, describe(report))
        host = os.uname().nodename
        for config in CONFIGS:
            self.assertIn(f"{config} @ {host}", report.stdout)

    def test_another_study_is_refused_with_exit_2(self):
        study = self.write_study()
        other = self.write_study(name="other-study", file="other.toml")
        a, b = os.path.join(self.tmp, "a.sqlite"), os.path.join(self.tmp, "b.sqlite")
        self.shard(study, "0/4", a)
        self.shard(other, "0/4", b)
        merged = os.path.join(self.tmp, "all.sqlite")
        refused = self.cb("merge", a, b, "-o", merged)
        self.assertEqual(refused.returncode, 2, describe(refused))
        self.assertIn("other-study", refused.stderr)
        self.assertIn("merge only the shards of one experiment file", refused.stderr)
        self.assertFalse(os.path.exists(merged))
        # A shard of the same file with other runs is another study too.
        changed = self.write_study(runs=3, file="changed.toml")
        c = os.path.join(self.tmp, "c.sqlite")
        self.shard(changed, "1/4", c)
        self.assertEqual(self.cb("merge", a, c, "-o", merged).returncode, 2)

    def test_fleet_compares_hosts_config_by_config(self):
        study = self.write_study(runs=3)
        dbs = []
        for i, host in enumerate(("edge-a", "edge-b")):
            dbs.append(os.path.join(self.tmp, f"{host}.sqlite"))
            self.shard(study, f"{i}/2", dbs[-1], "--fleet", "--host-label", host)
        merged = os.path.join(self.tmp, "fleet.sqlite")
        self.assertEqual(self.cb("merge", *dbs, "-o", merged).returncode, 0)
        report = self.cb("report", "study", "--db", merged)
        self.assertEqual(report.returncode, 0, describe(report))
        for config in CONFIGS:
            for host in ("edge-a", "edge-b"):
                self.assertIn(f"{config} @ {host}", report.stdout)
        compare = self.cb("compare", "host:edge-a", "host:edge-b", "--db", merged)
        self.assertIn(compare.returncode, (0, 1, 3), describe(compare))
        for config in CONFIGS:
            self.assertIn(config, compare.stdout)
        unknown = self.cb("compare", "host:edge-a", "host:edge-z", "--db", merged)
        self.assertEqual(unknown.returncode, 2)
        self.assertIn("its hosts: edge-a, edge-b", unknown.stderr)

    def test_shard_errors_are_clear(self):
        study = self.write_study()
        db = os.path.join(self.tmp, "x.sqlite")
        for args, text in ((["--shard", "4/4"], "the index must be 0 to 3"),
                           (["--shard", "0/5"], "use at most 4 shards"),
                           (["--shard", "one"], "expected I/N"),
                           (["--emit", "slurm"], "needs --shards N"),
                           (["--emit", "k8s", "--shards", "5"], "or\n--fleet"),
                           (["--fleet"], "--fleet goes with --shard")):
            result = self.cb("sweep", study, "--db", db, *args)
            self.assertEqual(result.returncode, 2, describe(result))
            self.assertIn(text.replace("\n", " "), result.stderr.replace("\n", " "), args)
        self.assertFalse(os.path.exists(db))

    def test_k8s_manifest_is_an_indexed_job_with_a_merge_step(self):
        if yaml is None:
            self.skipTest("no PyYAML (python3-yaml; scripts/bootstrap installs it)")
        study = self.write_study(limits='memory = "256M"\ncpus = 1', file="limited.toml")
        result = self.cb("sweep", study, "--emit", "k8s", "--shards", "4", "--image", "registry.example/cb:1")
        self.assertEqual(result.returncode, 0, describe(result))
        objects = [o for o in yaml.safe_load_all(result.stdout) if o]
        kinds = [o["kind"] for o in objects]
        self.assertEqual(kinds, ["ConfigMap", "PersistentVolumeClaim", "Job", "Job"])
        with open(study) as f:
            self.assertEqual(objects[0]["data"]["limited.toml"], f.read())
        job = objects[2]
        self.assertEqual(job["spec"]["completionMode"], "Indexed")
        self.assertEqual(job["spec"]["completions"], 4)
        pod = job["spec"]["template"]["spec"]
        term = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
        self.assertEqual(term["topologyKey"], "kubernetes.io/hostname")
        for key, value in term["labelSelector"]["matchLabels"].items():
            self.assertEqual(job["spec"]["template"]["metadata"]["labels"][key], value)
        container = pod["containers"][0]
        self.assertEqual(container["image"], "registry.example/cb:1")
        self.assertIn("$JOB_COMPLETION_INDEX/4", container["command"][2])
        self.assertIn("--resume", container["command"][2])
        self.assertEqual(container["resources"]["requests"], {"cpu": "2", "memory": "512Mi"})
        self.assertEqual(container["resources"]["limits"], container["resources"]["requests"])
        merge = objects[3]
        self.assertTrue(merge["spec"]["suspend"])
        self.assertIn("coldbench merge", merge["spec"]["template"]["spec"]["containers"][0]["command"][2])
        # The shard command the pod runs is a working sweep here too (without the limits: not every
        # host here lets coldbench create cgroups).
        command = container["command"][2].replace("/study/limited.toml", self.write_study())
        command = command.replace("/results/", self.tmp + "/").replace("exec coldbench", "exec " + COLDBENCH)
        done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, JOB_COMPLETION_INDEX="2", NODE_NAME="node-x"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(len(runs_of(os.path.join(self.tmp, "shard-2.sqlite"))), 3)


class SlurmTest(unittest.TestCase):
    """The emitted sbatch script on a one-node cluster started here."""

    @classmethod
    def setUpClass(cls):
        reason = slurm_cluster.unavailable()
        if reason:
            print(f"test_scale_out: Slurm tests skipped: {reason}", file=sys.stderr)
            raise unittest.SkipTest(reason)
        import tempfile
        cls.folder = tempfile.mkdtemp(prefix="cb-slurm-")
        cls.cluster = slurm_cluster.SlurmCluster(cls.folder)
        try:
            cls.cluster.start()
        except Exception:
            cls.cluster.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        import shutil
        shutil.rmtree(cls.folder, ignore_errors=True)

    def setUp(self):
        self.tmp = temp_dir(self, "cb-slurm-study-")

    def emit(self, name, runs, sleep, shards):
        study = os.path.join(self.tmp, "study.toml")
        with open(study, "w") as f:
            f.write(STUDY.format(name=name, runs=runs, fixture=CB_FIXTURE, sleep=sleep, limits=""))
        results = os.path.join(self.tmp, "results")
        emitted = run_coldbench(["sweep", study, "--emit", "slurm", "--shards", str(shards), "--results-dir",
                                 results], json_output=False)
        self.assertEqual(emitted.returncode, 0, describe(emitted))
        script = os.path.join(self.tmp, "study.sbatch")
        with open(script, "w") as f:
            f.write(emitted.stdout)
        return script, results

    def slurm(self, argv, timeout=400, **env):
        return self.cluster.run(argv, timeout=timeout, cwd=self.tmp, extra_env=dict(COLDBENCH=COLDBENCH, **env))

    def check_complete(self, results, runs):
        merged = os.path.join(results, "study.sqlite")
        self.assertTrue(os.path.exists(merged), self.cluster.log_tail())
        got = sorted(runs_of(merged))
        duplicates = [r for r, n in collections.Counter(got).items() if n > 1]
        self.assertEqual(duplicates, [])
        self.assertEqual(got, planned(runs))
        report = run_coldbench(["report", "study", "--db", merged], json_output=False)
        self.assertEqual(report.returncode, 0, describe(report))
        for config in CONFIGS:
            self.assertIn(config, report.stdout)

    def test_array_runs_every_shard_and_the_merge(self):
        script, results = self.emit("slurm-study", runs=2, sleep=5, shards=4)
        submitted = self.slurm(["bash", script, "--wait"])
        self.assertEqual(submitted.returncode, 0, submitted.stdout + submitted.stderr + self.cluster.log_tail())
        self.assertIn("submitted shards", submitted.stdout)
        self.cluster.wait_idle()
        self.check_complete(results, runs=2)

    def test_a_cancelled_shard_resumes_without_repeating_runs(self):
        # Shard 1 (one config) runs 1 warmup + 12 runs of ~0.2 s: cancelled after its first few.
        script, results = self.emit("slurm-cancel", runs=12, sleep=200, shards=4)
        submitted = self.slurm(["bash", script])
        self.assertEqual(submitted.returncode, 0, submitted.stdout + submitted.stderr)
        array = re.search(r"submitted shards: job (\d+)", submitted.stdout).group(1)
        shard_db = os.path.join(results, "shard-1.sqlite")
        deadline = time.monotonic() + 240
        done = 0
        while time.monotonic() < deadline:
            if os.path.exists(shard_db):
                try:
                    with sqlite3.connect(shard_db, timeout=5) as con:
                        done = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
            if done >= 3:
                break
            time.sleep(0.1)
        self.assertGreaterEqual(done, 3, "shard 1 never got going: " + self.cluster.log_tail())
        cancel = self.slurm(["scancel", f"{array}_1"])
        self.assertEqual(cancel.returncode, 0, cancel.stderr)
        self.cluster.wait_idle()
        with sqlite3.connect(shard_db) as con:
            cut = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            status = con.execute("SELECT status FROM sessions").fetchall()
        self.assertLess(cut, 13, "the cancel came after shard 1 finished; nothing was tested")
        self.assertNotEqual(status, [("finished",)])
        merged = os.path.join(results, "study.sqlite")
        self.assertLess(len(runs_of(merged)), len(planned(12)))

        rerun = self.slurm(["sbatch", "--wait", "--array=1", script])
        self.assertEqual(rerun.returncode, 0, rerun.stdout + rerun.stderr + self.cluster.log_tail())
        with open(os.path.join(results, f"slurm-{rerun.stdout.split()[-1]}_1.out")) as f:
            self.assertIn(f"{cut} runs were already done", f.read())
        merge = self.slurm(["bash", script], COLDBENCH_STEP="merge")
        self.assertEqual(merge.returncode, 0, merge.stdout + merge.stderr)
        self.assertIn("1 updated", merge.stdout)
        self.check_complete(results, runs=12)


if __name__ == "__main__":
    main()
