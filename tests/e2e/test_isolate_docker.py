"""coldbench run --isolate docker|podman.

With no engine (this project's CI machine has the docker client but no
daemon) the run is refused before it starts: exit 2 and a message that says
how to fix it. The container path itself is exercised with a fake engine
client first in PATH: it logs its arguments, answers `info` and `image
inspect`, and runs `run`'s command locally with exactly the -e variables it
was given, the way a container would.
"""

import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import textwrap
import time
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, describe, main, run_coldbench

FAKE_ENGINE = textwrap.dedent("""\
    #!/usr/bin/env python3
    import json, os, sys
    with open(os.environ["FAKE_ENGINE_LOG"], "a") as log:
        log.write(json.dumps(sys.argv[1:]) + "\\n")
    args = sys.argv[1:]
    if args[0] == "info":
        print(json.dumps({"ServerVersion": "fake-1.0", "DefaultRuntime": "runc", "CgroupDriver": "cgroupfs",
                          "version": {"Version": "fake-1.0"},
                          "host": {"ociRuntime": {"name": "runc"}, "cgroupManager": "cgroupfs"}}))
        sys.exit(0)
    if args[0] == "version":
        print(json.dumps({"Components": [{"Name": "Fake Engine"}]}))
        sys.exit(0)
    if args[0] in ("kill", "rm"):
        sys.exit(0)
    if args[:2] == ["image", "inspect"]:
        # hostview:1 declares the host's /usr at /usr, as scripts/host-image's image does.
        print(json.dumps({"io.coldbench.host-mounts": "/usr:/usr:ro"}) if args[-1] == "hostview:1" else "null")
        sys.exit(0 if args[-1] in ("present:1", "hostview:1") else 1)
    assert args[0] == "run", args
    with_value = {"--name", "--cpus", "--cpuset-cpus", "--memory", "--memory-swap", "-e", "-v", "-w", "--entrypoint"}
    env, mounts, entrypoint, i = {}, {}, None, 1
    while args[i].startswith("-"):
        if args[i] in with_value:
            if args[i] == "-e":
                key, _, value = args[i + 1].partition("=")
                env[key] = value
            if args[i] == "-v":
                source, target = args[i + 1].split(":")[:2]
                mounts[target] = source
            if args[i] == "--entrypoint":
                entrypoint = args[i + 1]
            i += 2
        else:
            i += 1
    command = args[i + 1:]  # after the image
    if entrypoint:  # run the mounted entry point from its host path, as the container would
        command = [mounts[entrypoint]] + command
    os.execvpe(command[0], command, env)
    """)



def engine_state():
    """'missing' (no client), 'running' (an engine answers) or 'down'."""
    if shutil.which("docker") is None:
        return "missing"
    completed = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                               timeout=60)
    return "running" if completed.returncode == 0 else "down"


class NoEngineTest(unittest.TestCase):
    def test_docker_without_engine_exits_2_before_any_run(self):
        state = engine_state()
        if state == "running":
            self.skipTest("a Docker engine runs here; this test covers hosts without one")
        result = run_coldbench(["run", "-r", "3", "--isolate", "docker", "--image", "debian", "--", "true"])
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIsNone(result.json, "no run may start")
        if state == "missing":
            self.assertIn("docker client is not installed", result.stderr)
        else:
            self.assertIn("no Docker engine is running here", result.stderr)
            self.assertIn("docker info", result.stderr)
            self.assertIn("systemctl start docker", result.stderr)
            self.assertIn("DOCKER_HOST", result.stderr)
        self.assertIn("--isolate sandbox", result.stderr)
        self.assertEqual(result.stderr.count("coldbench: error:"), 1, result.stderr)


class FakeEngineTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cb-e2e-engine-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.log = os.path.join(self.dir, "calls.jsonl")
        for name in ("docker", "podman"):
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write(FAKE_ENGINE)
            os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        self.env = {"PATH": self.dir + ":" + os.environ.get("PATH", "/usr/bin:/bin"), "FAKE_ENGINE_LOG": self.log,
                    "HOST_ONLY_SECRET": "must-not-cross"}

    def calls(self):
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def run_calls(self):
        return [c for c in self.calls() if c[0] == "run"]

    def test_run_becomes_the_engine_command_with_limits_env_mounts_and_stdout_markers(self):
        models = os.path.join(self.dir, "models")
        os.makedirs(models)
        result = run_coldbench(["run", "-r", "2", "--isolate", "docker", "--image", "present:1",
                                "--cpus", "0.5", "--cpuset", "0", "--memory", "64M",
                                "--env", "MODEL=resnet18", "--threads", "1",
                                "--mount", f"{models}:/models:ro", "--cwd", "/",
                                "--", CB_FIXTURE, "sleep:20", "phase:loaded", "sleep:10", "stdout-phase:ready",
                                "print:hello"], env=self.env)
        self.assertEqual(result.returncode, 0, describe(result))
        calls = self.calls()
        # Checked once before any run: the engine answers, the image is present.
        self.assertEqual(calls[0], ["info", "--format", "{{json .}}"])
        self.assertEqual(calls[1], ["version", "--format", "{{json .Server}}"])
        self.assertEqual(calls[2], ["image", "inspect", "--format", "{{json .Config.Labels}}", "present:1"])
        runs = self.run_calls()
        self.assertEqual(len(runs), 2)
        pid_names = set()
        for call, record in zip(runs, result.json["runs"]):
            self.assertEqual(call[:3], ["run", "--rm", "--name"])
            pid_names.add(call[3])
            self.assertRegex(call[3], r"^coldbench-\d+-%d$" % record["sequence"])
            def value(flag):
                return [call[i + 1] for i, a in enumerate(call) if a == flag]
            self.assertEqual(value("--cpus"), ["0.5"])
            self.assertEqual(value("--cpuset-cpus"), ["0"])
            self.assertEqual(value("--memory"), [str(64 << 20)])
            self.assertEqual(value("--memory-swap"), [str(64 << 20)])
            self.assertEqual(value("-v")[0], f"{models}:/models:ro")
            # The entry point (coldbench-entry beside coldbench) is mounted and made the entrypoint.
            self.assertRegex(value("-v")[1], r"/coldbench-entry:/\.coldbench/entry:ro$")
            self.assertEqual(value("--entrypoint"), ["/.coldbench/entry"])
            self.assertEqual(value("-w"), ["/"])
            env = dict(e.partition("=")[::2] for e in value("-e"))
            self.assertEqual(env["MODEL"], "resnet18")
            self.assertEqual(env["OMP_NUM_THREADS"], "1")
            self.assertEqual(env["COLDBENCH_MARKERS"], "stdout")
            self.assertIn("COLDBENCH_RUN_ID", env)
            self.assertNotIn("HOST_ONLY_SECRET", env)
            self.assertNotIn("PATH", env)
            self.assertNotIn("COLDBENCH_FD", env)
            image_at = call.index("present:1")
            self.assertEqual(call[image_at + 1:], [CB_FIXTURE, "sleep:20", "phase:loaded", "sleep:10",
                                                   "stdout-phase:ready", "print:hello"])
            # The entry point's marker and both of the workload's came back on stdout (no fd
            # crosses into a container).
            self.assertEqual([p["name"] for p in record["phases"]], ["container_ready", "loaded", "ready", "workload_exited"])
            self.assertIn("container.cgroup", record["info"])
            self.assertEqual(record["isolation"], "docker")
        self.assertEqual(len(pid_names), 2, "each run needs its own container name")
        self.assertEqual(result.json["options"]["isolation"]["image"], "present:1")
        self.assertEqual(result.json["options"]["isolation"]["mounts"],
                         [{"source": models, "target": "/models", "read_only": True}])

    def test_timeout_also_kills_the_container_by_name(self):
        result = run_coldbench(["run", "-r", "1", "--timeout", "0.5", "--isolate", "podman", "--image", "present:1",
                                "--", CB_FIXTURE, "hang"], env=self.env)
        self.assertEqual(result.returncode, 1, describe(result))
        self.assertTrue(result.json["runs"][0]["timed_out"])
        self.assertEqual(result.json["runs"][0]["isolation"], "podman")
        calls = self.calls()
        # The harness names the container (coldbench-<pid>-<sequence>) before it starts
        # the engine; on a loaded machine the timeout may come before the fake engine,
        # a Python script, has even logged its run call, and the kill must come anyway.
        # Killed, then removed in case the engine's --rm cleanup died with its client.
        self.assertEqual([c[0] for c in calls[-2:]], ["kill", "rm"], calls)
        self.assertRegex(calls[-2][1], r"^coldbench-\d+-0$")
        self.assertEqual(calls[-1], ["rm", "--force", calls[-2][1]])
        for run_call in self.run_calls():
            self.assertEqual(run_call[3], calls[-2][1])

    def test_interrupt_also_kills_the_container_and_exits_130(self):
        env = dict(os.environ, **self.env)
        harness = subprocess.Popen([COLDBENCH, "run", "-r", "3", "--no-progress", "--isolate", "docker", "--image",
                                    "present:1", "--", CB_FIXTURE, "hang"], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120  # a safety net: the loop ends once the engine runs
        while time.time() < deadline:  # until the first run's engine command has started
            if os.path.exists(self.log) and self.run_calls():
                break
            time.sleep(0.01)
        # The engine runs, so the harness is waiting for it: the interrupt lands in that wait.
        harness.send_signal(signal.SIGINT)
        stdout, stderr = harness.communicate(timeout=60)
        self.assertEqual(harness.returncode, 130, stderr)
        runs = self.run_calls()
        self.assertEqual(len(runs), 1, "no run may start after the interrupt")
        self.assertEqual(self.calls()[-2:], [["kill", runs[0][3]], ["rm", "--force", runs[0][3]]])

    def test_cold_cache_in_a_container_traces_the_workload_on_the_host_only_for_a_host_view_image(self):
        data = os.path.join(self.dir, "model.bin")
        with open(data, "wb") as f:
            f.write(os.urandom(1 << 20))
        command = ["--", CB_FIXTURE, "phase:done"]
        # An image that does not see the host's files: nothing to trace, so --track is needed.
        refused = run_coldbench(["run", "-r", "1", "--cache", "cold", "--isolate", "docker", "--image", "present:1"]
                                + command, env=self.env)
        self.assertEqual(refused.returncode, 2, describe(refused))
        self.assertIn("scripts/host-image", refused.stderr)
        self.assertIn("--track", refused.stderr)
        tracked = run_coldbench(["run", "-r", "1", "--cache", "cold", "--track", data, "--isolate", "docker",
                                 "--image", "present:1"] + command, env=self.env)
        self.assertEqual(tracked.returncode, 0, describe(tracked))
        self.assertEqual(tracked.json["runs"][0]["residency"]["tracked_files"], 1)
        # The host-view image: the same workload traced on the host finds its files (binary, libraries).
        host_view = run_coldbench(["run", "-r", "1", "--cache", "cold", "--isolate", "docker", "--image",
                                   "hostview:1", "--mount", f"{self.dir}:{self.dir}"] + command, env=self.env)
        self.assertEqual(host_view.returncode, 0, describe(host_view))
        self.assertIn("traced run", host_view.stderr)
        residency = host_view.json["runs"][0]["residency"]
        self.assertGreater(residency["tracked_files"], 1)
        # The image's declared mount comes first, the user's identity mount after it.
        run_call = self.run_calls()[-1]
        mounts = [run_call[i + 1] for i, a in enumerate(run_call) if a == "-v"]
        self.assertEqual(mounts[:2], ["/usr:/usr:ro", f"{self.dir}:{self.dir}"])

    def test_missing_entry_point_is_refused_before_any_run(self):
        env = dict(self.env, COLDBENCH_ENTRY=os.path.join(self.dir, "no-entry"))
        result = run_coldbench(["run", "-r", "1", "--isolate", "docker", "--image", "present:1", "--", "true"], env=env)
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("entry point", result.stderr)
        self.assertIn("no-entry", result.stderr)
        self.assertEqual(self.run_calls(), [])

    def test_missing_image_is_refused_before_any_run(self):
        result = run_coldbench(["run", "-r", "1", "--isolate", "docker", "--image", "absent:2", "--", "true"],
                               env=self.env)
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("docker pull absent:2", result.stderr)
        self.assertEqual(self.run_calls(), [])

    def test_affinity_and_missing_mount_sources_are_refused(self):
        result = run_coldbench(["run", "-r", "1", "--isolate", "docker", "--image", "present:1", "--affinity", "0",
                                "--", "true"], env=self.env)
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("--cpuset", result.stderr)
        result = run_coldbench(["run", "-r", "1", "--isolate", "docker", "--image", "present:1", "--mount",
                                os.path.join(self.dir, "nowhere") + ":/x", "--", "true"], env=self.env)
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("does not exist on this host", result.stderr)


if __name__ == "__main__":
    main()
