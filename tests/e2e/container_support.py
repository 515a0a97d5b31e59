"""Helpers for the e2e tests that run real containers (test_containers.py).

Where an engine can run here, what a test run left behind (containers named
after its harness, their cgroups and mounts), the host image, and a Docker-API
service for the docker client (scripts/docker-service in a temp dir).
"""

import glob
import os
import re
import shutil
import subprocess

from e2e_support import SOURCE_DIR

HOST_IMAGE = "localhost/coldbench-host:1"
HOST_IMAGE_SCRIPT = os.path.join(SOURCE_DIR, "scripts", "host-image")
DOCKER_SERVICE_SCRIPT = os.path.join(SOURCE_DIR, "scripts", "docker-service")


def podman_unavailable():
    """Why podman cannot run containers for these tests here, or None."""
    if shutil.which("podman") is None:
        return "podman is not installed (scripts/bootstrap installs it)"
    if os.geteuid() != 0:
        return "not root: these tests use root podman's storage and cgroups"
    try:
        info = subprocess.run(["podman", "info", "--format", "{{.Version.Version}}"], capture_output=True,
                              text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "podman info did not answer within 120 s"
    if info.returncode != 0:
        return "podman does not answer 'podman info': " + (info.stderr.strip().splitlines() or ["?"])[-1]
    return None


def docker_client_missing():
    return None if shutil.which("docker") else "the docker client is not installed (scripts/bootstrap installs it)"


def build_host_image(engine, env=None):
    """scripts/host-image (idempotent); returns the CompletedProcess."""
    return subprocess.run([HOST_IMAGE_SCRIPT, "--engine", engine, "--tag", HOST_IMAGE], capture_output=True,
                          text=True, timeout=300, env=env)


def start_docker_service(directory):
    """scripts/docker-service start DIR: (DOCKER_HOST value or None, the CompletedProcess)."""
    # Should ctest kill the test before its cleanup runs, the service exits after 10 idle minutes.
    started = subprocess.run([DOCKER_SERVICE_SCRIPT, "start", directory], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "DOCKER_SERVICE_IDLE_EXIT": "600"})
    match = re.search(r"^export DOCKER_HOST=(\S+)$", started.stdout, re.M)
    return (match.group(1) if match else None), started


def stop_docker_service(directory):
    subprocess.run([DOCKER_SERVICE_SCRIPT, "stop", directory], capture_output=True, text=True, timeout=120)


def host_cgroup_version():
    """What a container sees here: 'v2' where cgroup2 is the root, else 'v1' (v1 or hybrid)."""
    root = subprocess.run(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], capture_output=True, text=True)
    return "v2" if root.stdout.strip() == "cgroup2fs" else "v1"


def cpu_list(text):
    """'0-2,4' -> {0, 1, 2, 4}."""
    cpus = set()
    for part in str(text).strip().split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def online_cpus():
    with open("/sys/devices/system/cpu/online") as f:
        return cpu_list(f.read())


def live_containers(client, env=None):
    """{full id: name} of every container the engine knows, running or not."""
    listed = subprocess.run([client, "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"],
                            capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    containers = {}
    for line in listed.stdout.splitlines():
        cid, _, name = line.strip().partition(" ")
        if cid:
            containers[cid] = name.strip()
    return containers


def containers_named(client, harness_pid, env=None):
    """The containers a harness with this pid named (coldbench-<pid>-<seq>), running or not."""
    prefix = f"coldbench-{harness_pid}-"
    return sorted(n for n in live_containers(client, env).values() if n.startswith(prefix))


def _container_cgroups():
    """{cgroup directory: container id} of podman's per-container cgroups (cgroupfs manager, v1 or v2)."""
    found = {}
    for path in glob.glob("/sys/fs/cgroup/*/libpod_parent/libpod-*") + glob.glob(
            "/sys/fs/cgroup/libpod_parent/libpod-*"):
        match = re.search(r"libpod-([0-9a-f]{64})", path)
        if match and os.path.isdir(path):
            found[path] = match.group(1)
    return found


def _container_mounts():
    """{mount point: container id} of mounts under a container's own storage (its shm, its rootfs)."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4]
            match = re.search(r"overlay-containers/([0-9a-f]{64})/", point)
            if match:
                found[point] = match.group(1)
    return found


def cgroups_and_mounts():
    """A snapshot of every container cgroup directory and container mount, to diff against later."""
    return set(_container_cgroups()) | set(_container_mounts())


def orphans_since(before, client="podman", env=None):
    """Container cgroups and mounts created since BEFORE that belong to no container the engine
    knows: what a run left behind. Those of containers that exist (another test's, another
    user's) are not ours to judge; a directory that vanished while we looked was not left behind."""
    owners = {**_container_cgroups(), **_container_mounts()}
    new = {path: cid for path, cid in owners.items() if path not in before}
    if not new:
        return []
    known = set(live_containers(client, env))
    if client != "podman":
        known |= set(live_containers("podman"))
    still_there = set(_container_cgroups()) | set(_container_mounts())
    return sorted(path for path, cid in new.items() if cid not in known and path in still_there)
