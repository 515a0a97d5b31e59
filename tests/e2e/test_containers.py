"""coldbench run --isolate podman|docker with real engines.

The seed's host/container table reproduced on this machine: the host and a
container of the host image (scripts/host-image: the host's /usr, read-only,
so both run the same binaries) under no limit, --cpus 1, --cpuset 0 and
--memory 2G, with coldbench-torch infer on mobilenet_v2. The container's
entry point (coldbench-entry) confirms the limits from inside (`container.*`
info) and marks `container_ready` before the workload's own phases. Faults:
an OOM kill under --memory 64M is recorded as one; --timeout and SIGINT leave
no container, cgroup or mount behind. The same through the docker client,
against podman's Docker API started in a temp dir (scripts/docker-service).

Skipped, with the reason, only where the engine cannot run (no podman, not
root, podman not answering); the docker tests also need the docker client.
"""

import os
import resource
import signal
import subprocess
import tempfile
import time
import unittest

from container_support import (DOCKER_SERVICE_SCRIPT, HOST_IMAGE, HOST_IMAGE_SCRIPT, build_host_image, containers_named, cgroups_and_mounts, cpu_list,
                               docker_client_missing, host_cgroup_version, online_cpus, orphans_since,
                               podman_unavailable, start_docker_service, stop_docker_service)
from e2e_support import (BUILD_DIR, CB_FIXTURE, COLDBENCH, COLDBENCH_TORCH, Result, cgroup_limits_unavailable,
                         describe, main, run_coldbench, temp_dir)

PODMAN_REASON = podman_unavailable()
TORCH_REASON = None if os.path.exists(COLDBENCH_TORCH) else f"{COLDBENCH_TORCH} not built (COLDBENCH_WITH_TORCH=OFF?)"
INFER = [COLDBENCH_TORCH, "infer", "--model", "mobilenet_v2", "--iters", "3", "--warmup", "1"]
TORCH_PHASES = ["runtime_ready", "model_loaded", "first_inference", "warmup_done", "inference_done"]
# The build folder (coldbench-torch, its models, cb_fixture) at the same path inside.
BUILD_MOUNT = ["--mount", f"{BUILD_DIR}:{BUILD_DIR}:ro"]
# The seed's matrix: each limit as coldbench options, and what the entry point must see inside.
LIMITS = {
    "no limit": ([], {}),
    "--cpus 1": (["--cpus", "1"], {"container.cpus": 1.0}),
    "--cpuset 0": (["--cpuset", "0"], {"container.cpuset": {0}}),
    "--memory 2G": (["--memory", "2G"], {"container.memory_limit_bytes": 2 << 30}),
}
if PODMAN_REASON:
    print(f"test_containers: container tests skipped: {PODMAN_REASON}", flush=True)


def container_run(engine, limit_args, command, env=None):
    return run_coldbench(["run", "-r", "1", "--threads", "1", "--isolate", engine,
                          "--image", HOST_IMAGE] + BUILD_MOUNT + list(limit_args) + ["--"] + command, env=env)


class ContainerChecks:
    """Assertions shared by the podman and the docker classes (a mixin, not a test case)."""

    def assert_container_torch_run(self, result, engine, expected_inside):
        self.assertEqual(result.returncode, 0, describe(result))
        [run] = result.measured_runs()
        self.assertEqual(run["isolation"], engine)
        self.assertTrue(run["succeeded"], run)
        names = [p["name"] for p in run["phases"]]
        # The engine's part ends at container_ready; the workload's phases all come after it.
        self.assertEqual(names[0], "container_ready", names)
        self.assertEqual(names[-1], "workload_exited", names)  # then only the engine's teardown
        torch_names = [n for n in names if n in TORCH_PHASES]
        self.assertEqual(torch_names, TORCH_PHASES, names)
        ends = [p["end_ms"] for p in run["phases"]]
        self.assertEqual(ends, sorted(ends), run["phases"])
        info = run["info"]
        self.assertEqual(info["container.cgroup"], host_cgroup_version(), info)
        # Limits confirmed from inside: exactly what was asked, and no limit where none was.
        if "container.cpus" in expected_inside:
            self.assertAlmostEqual(float(info["container.cpus"]), expected_inside["container.cpus"], places=3)
        else:
            self.assertNotIn("container.cpus", info)
        seen_cpus = cpu_list(info["container.cpuset"])
        self.assertEqual(seen_cpus, expected_inside.get("container.cpuset", online_cpus()), info)
        if "container.memory_limit_bytes" in expected_inside:
            self.assertEqual(int(info["container.memory_limit_bytes"]), expected_inside["container.memory_limit_bytes"])
        else:
            self.assertNotIn("container.memory_limit_bytes", info)
        soft, hard = (int(x) for x in str(info["container.nofile"]).split(":"))
        self.assertLessEqual(soft, hard)
        self.assertLessEqual(hard, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
        self.assertEqual(int(info["container.oom_kills"]), 0)
        self.assertEqual([w for w in run["warnings"] if "container" in w], [], "what was asked is what it saw")
        self.assertGreater(int(info["container.workload.max_rss_kb"]), 10_000)  # LibTorch alone is more
        self.assertGreater(float(info["container.workload.cpu_ms"]), 0)
        # The workload ran the same model from the same build, seen through the mount.
        self.assertEqual(info["model.path"], os.path.join(BUILD_DIR, "models", "mobilenet_v2.pt"))

    def assert_oom_recorded(self, engine, env=None):
        result = container_run(engine, ["--memory", "64M"], [CB_FIXTURE, "alloc:512", "print:survived"], env=env)
        self.assertEqual(result.returncode, 1, describe(result))
        [run] = result.measured_runs()
        self.assertTrue(run["oom_killed"], run)
        self.assertFalse(run["succeeded"])
        self.assertNotIn("survived", run.get("output_tail", "") or "")
        self.assertGreaterEqual(int(run["info"]["container.oom_kills"]), 1, run["info"])

    def assert_timeout_leaves_nothing(self, client, env=None):
        before = cgroups_and_mounts()
        # Long enough that the workload is usually hanging inside when the limit strikes; a
        # slow engine start cut short must leave nothing behind either.
        proc, json_path = self.start_hanging_run(client, ["--timeout", "10"], env)
        stdout, stderr = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 1, stdout + stderr)
        [run] = Result(subprocess.CompletedProcess([], 1, "", ""), json_path).measured_runs()
        self.assertTrue(run["timed_out"], run)
        self.assert_nothing_left(client, proc.pid, before, env)

    def start_hanging_run(self, client, options, env, runs=1):
        json_path = os.path.join(temp_dir(self), "results.json")
        argv = [COLDBENCH, "run", "-r", str(runs), "--no-progress", "--json", json_path] + options + [
                "--isolate", client, "--image", HOST_IMAGE] + BUILD_MOUNT + [
                "--", CB_FIXTURE, "stdout-phase:started", "hang"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, **(env or {})})
        return proc, json_path

    def assert_sigint_leaves_nothing(self, client, env=None):
        before = cgroups_and_mounts()
        proc, _ = self.start_hanging_run(client, [], env, runs=3)
        try:
            # Interrupt once the container exists (an event, not a guess at how long the engine takes).
            deadline = time.monotonic() + 240
            while not containers_named(client, proc.pid, env) and proc.poll() is None:
                self.assertLess(time.monotonic(), deadline, "the run's container never appeared")
                time.sleep(0.2)
            self.assertIsNone(proc.poll(), "coldbench ended before it could be interrupted")
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 130, stdout + stderr)
        self.assert_nothing_left(client, proc.pid, before, env)

    def assert_nothing_left(self, client, harness_pid, before, env):
        self.assertEqual(containers_named(client, harness_pid, env), [],
                         f"'{client} ps -a' still lists this harness's containers")
        self.assertEqual(orphans_since(before, client, env), [], "cgroups or mounts of a removed container remain")


@unittest.skipIf(PODMAN_REASON, PODMAN_REASON)
class PodmanTest(unittest.TestCase, ContainerChecks):
    @classmethod
    def setUpClass(cls):
        built = build_host_image("podman")
        if built.returncode != 0:
            raise AssertionError(f"scripts/host-image failed: {built.stdout}{built.stderr}")

    @unittest.skipIf(TORCH_REASON, TORCH_REASON)
    def test_seed_matrix_host_and_container_under_each_limit(self):
        host_limits_reason = cgroup_limits_unavailable()
        for label, (limit_args, expected_inside) in LIMITS.items():
            with self.subTest(limit=label, where="container"):
                self.assert_container_torch_run(container_run("podman", limit_args, INFER), "podman",
                                                expected_inside)
            with self.subTest(limit=label, where="host"):
                if limit_args and host_limits_reason:
                    self.skipTest(host_limits_reason)
                host = run_coldbench(["run", "-r", "1", "--threads", "1"] + limit_args
                                     + ["--"] + INFER)
                self.assertEqual(host.returncode, 0, describe(host))
                [run] = host.measured_runs()
                self.assertEqual([p["name"] for p in run["phases"] if p["name"] in TORCH_PHASES], TORCH_PHASES)
                self.assertNotIn("container_ready", [p["name"] for p in run["phases"]])
                self.assertFalse([k for k in run["info"] if k.startswith("container.")], run["info"])

    def test_oom_under_memory_limit_is_recorded_as_oom(self):
        self.assert_oom_recorded("podman")

    def test_timeout_leaves_no_container_cgroup_or_mount(self):
        self.assert_timeout_leaves_nothing("podman")

    def test_sigint_leaves_no_container_cgroup_or_mount(self):
        self.assert_sigint_leaves_nothing("podman")

    def test_missing_image_is_one_line_exit_2(self):
        result = run_coldbench(["run", "-r", "1", "--isolate", "podman", "--image", "localhost/coldbench-absent:0",
                                "--", "/bin/true"])
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIsNone(result.json, "no run may start")
        self.assertEqual(result.stderr.count("coldbench: error:"), 1, result.stderr)
        self.assertIn("localhost/coldbench-absent:0", result.stderr)
        self.assertIn("scripts/host-image", result.stderr)


@unittest.skipIf(PODMAN_REASON, PODMAN_REASON)
@unittest.skipIf(docker_client_missing(), docker_client_missing())
class DockerThroughPodmanServiceTest(unittest.TestCase, ContainerChecks):
    """The docker client against podman's Docker API, started by scripts/docker-service in a
    temp dir (a unix socket there, nothing listening on the network) and stopped afterwards."""

    @classmethod
    def setUpClass(cls):
        cls.service_dir = tempfile.mkdtemp(prefix="cb-e2e-docker-")
        docker_host, started = start_docker_service(cls.service_dir)
        if docker_host is None:
            stop_docker_service(cls.service_dir)
            os.rmdir(cls.service_dir)
            raise AssertionError(f"scripts/docker-service start failed: {started.stdout}{started.stderr}")
        cls.env = {"DOCKER_HOST": docker_host}
        built = build_host_image("docker", env={**os.environ, **cls.env})
        if built.returncode != 0:
            cls.tearDownClass()
            raise AssertionError(f"scripts/host-image --engine docker failed: {built.stdout}{built.stderr}")

    @classmethod
    def tearDownClass(cls):
        stop_docker_service(cls.service_dir)
        leftover = os.listdir(cls.service_dir)
        os.rmdir(cls.service_dir) if not leftover else None
        assert not leftover, f"scripts/docker-service stop left {leftover} behind"

    @unittest.skipIf(TORCH_REASON, TORCH_REASON)
    def test_seed_matrix_in_a_container_through_docker(self):
        for label, (limit_args, expected_inside) in LIMITS.items():
            with self.subTest(limit=label):
                self.assert_container_torch_run(container_run("docker", limit_args, INFER, env=self.env), "docker",
                                                expected_inside)

    def test_oom_through_docker_is_recorded_as_oom(self):
        self.assert_oom_recorded("docker", env=self.env)

    def test_timeout_through_docker_leaves_no_container(self):
        self.assert_timeout_leaves_nothing("docker", env=self.env)

    def test_sigint_through_docker_leaves_no_container(self):
        self.assert_sigint_leaves_nothing("docker", env=self.env)


@unittest.skipIf(docker_client_missing(), docker_client_missing())
class DeadDockerEngineTest(unittest.TestCase):
    """A DOCKER_HOST whose engine is gone: one line naming the fix, exit 2, before any run."""

    def setUp(self):
        self.env = {"DOCKER_HOST": "unix://" + os.path.join(temp_dir(self), "gone.sock")}

    def test_run_against_dead_engine_is_one_line_exit_2(self):
        result = run_coldbench(["run", "-r", "2", "--isolate", "docker", "--image", HOST_IMAGE, "--", "/bin/true"],
                               env=self.env)
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIsNone(result.json, "no run may start")
        self.assertEqual(result.stderr.count("coldbench: error:"), 1, result.stderr)
        self.assertIn("scripts/docker-service start", result.stderr)

    def test_host_image_against_dead_engine_is_one_line_exit_2(self):
        built = build_host_image("docker", env={**os.environ, **self.env})
        self.assertEqual(built.returncode, 2, built.stdout + built.stderr)
        self.assertEqual(len(built.stderr.strip().splitlines()), 1, built.stderr)
        self.assertIn("scripts/docker-service start", built.stderr)


class ScriptUsageTest(unittest.TestCase):
    """scripts/host-image and scripts/docker-service refuse what they cannot do: one line, exit 2."""

    def script(self, argv, env=None):
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})

    def test_host_image_with_engine_not_installed_exits_2(self):
        empty_path = temp_dir(self)  # neither podman nor docker there
        done = self.script(["/bin/bash", HOST_IMAGE_SCRIPT, "--engine", "podman"], env={"PATH": empty_path})
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("podman is not installed", done.stderr)
        self.assertIn("scripts/bootstrap", done.stderr)

    def test_host_image_engine_failing_without_a_message_is_one_line_exit_2(self):
        # A silent failure once made the script die of its own pipefail: exit 1, no message.
        folder = temp_dir(self)
        with open(os.path.join(folder, "podman"), "w") as fake:
            fake.write("#!/bin/sh\nexit 1\n")
        os.chmod(os.path.join(folder, "podman"), 0o755)
        done = self.script([HOST_IMAGE_SCRIPT, "--engine", "podman"],
                           env={"PATH": folder + ":" + os.environ.get("PATH", "/usr/bin:/bin")})
        self.assertEqual(done.returncode, 2, done.stderr)
        [line] = done.stderr.strip().splitlines()
        self.assertIn("podman does not answer 'podman info' (exit status 1, no message)", line)

    def test_host_image_rejects_unknown_engine_and_argument(self):
        for argv, says in ((["--engine", "lxc"], "--engine must be podman or docker"),
                           (["--colour"], "unknown argument '--colour'")):
            done = self.script([HOST_IMAGE_SCRIPT] + argv)
            self.assertEqual(done.returncode, 2, done.stderr)
            [line] = done.stderr.strip().splitlines()
            self.assertTrue(line.startswith("host-image: "), line)
            self.assertIn(says, done.stderr)

    def test_docker_service_usage_errors_exit_2(self):
        for argv, says in (([], "Usage"), (["restart", "/tmp/x"], "unknown action 'restart'"),
                           (["start"], "start needs one folder")):
            done = self.script([DOCKER_SERVICE_SCRIPT] + argv)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(says, done.stderr)

    def test_docker_service_stop_without_service_is_fine_and_leaves_nothing(self):
        folder = temp_dir(self)
        done = self.script([DOCKER_SERVICE_SCRIPT, "stop", folder])
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(os.listdir(folder), [])


if __name__ == "__main__":
    main()
