"""Shared helpers for coldbench's end-to-end tests (standard library only).

ctest runs each tests/e2e/test_*.py with these environment variables:
COLDBENCH (the harness binary), CB_FIXTURE (the scriptable fixture workload),
COLDBENCH_SOURCE_DIR and COLDBENCH_BUILD_DIR.
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("COLDBENCH_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("COLDBENCH_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
COLDBENCH = os.environ.get("COLDBENCH", os.path.join(BUILD_DIR, "coldbench"))
CB_FIXTURE = os.environ.get("CB_FIXTURE", os.path.join(BUILD_DIR, "tests", "cb_fixture"))
COLDBENCH_TORCH = os.path.abspath(os.path.join(BUILD_DIR, "coldbench-torch"))


class Result:
    def __init__(self, completed, json_path=None):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.json = None
        if json_path and os.path.exists(json_path):
            with open(json_path) as f:
                self.json = json.load(f)

    def measured_runs(self, command=None):
        return [r for r in self.json["runs"] if not r["warmup"] and (command is None or r["command"] == command)]

    def command_summary(self, name):
        for c in self.json["summary"]["commands"]:
            if c["name"] == name:
                return c
        raise KeyError(name)

    def phase_stats(self, command, phase):
        for p in self.command_summary(command)["phases"]:
            if p["name"] == phase:
                return p["stats"]
        raise KeyError(phase)


def temp_dir(test, prefix="cb-e2e-", **kwargs):
    """A temporary folder removed when TEST ends, pass or fail (a suite run
    ten times must not leave a thousand folders in /tmp)."""
    path = tempfile.mkdtemp(prefix=prefix, **kwargs)
    test.addCleanup(shutil.rmtree, path, True)
    return path


def run_coldbench(args, timeout=600, env=None, json_output=True, user_prefix=None, input_text=None):
    """Runs `coldbench ARGS` (with --json into a temp file unless told not to)."""
    tmp = tempfile.mkdtemp(prefix="cb-e2e-")
    json_path = os.path.join(tmp, "results.json")
    argv = [COLDBENCH] + list(args)
    if json_output and args and args[0] == "run":
        argv = [COLDBENCH, "run", "--json", json_path, "--no-progress"] + list(args[1:])
    if user_prefix:
        argv = list(user_prefix) + argv
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=full_env,
                               input=input_text)
    result = Result(completed, json_path)
    shutil.rmtree(tmp, ignore_errors=True)
    return result


def cgroup_limits_unavailable():
    """Why coldbench cannot apply --cpus/--cpuset here, or None."""
    probe = run_coldbench(["env", "--json", "--no-engines"], json_output=False)
    if probe.returncode != 0:
        return f"coldbench env failed: {probe.stderr}"
    for capability in json.loads(probe.stdout)["capabilities"]:
        if capability["name"] == "create cgroups" and not capability["available"]:
            return "this host does not let coldbench create cgroups: " + capability["how"]
    return None


def run_workload(argv, env=None, markers=False, cwd=None, timeout=600):
    """Runs a workload alone, the way a user or the harness does.

    Returns (returncode, stdout, stderr, marker records). Any marker setting
    inherited from the caller is removed; with markers=True the workload gets a
    pipe in COLDBENCH_FD (marker protocol v1) and its JSON records come back.
    OMP_NUM_THREADS defaults to 1 so two tests in parallel do not fight.
    """
    full_env = dict(os.environ)
    full_env.pop("COLDBENCH_FD", None)
    full_env.pop("COLDBENCH_MARKERS", None)
    full_env.setdefault("OMP_NUM_THREADS", "1")
    if env:
        full_env.update(env)
    if not markers:
        proc = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=timeout,
                              cwd=cwd)
        return proc.returncode, proc.stdout, proc.stderr, []
    read_fd, write_fd = os.pipe()
    full_env["COLDBENCH_FD"] = str(write_fd)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, env=full_env, stdout=out, stderr=err, pass_fds=(write_fd,),
                                cwd=cwd)
        os.close(write_fd)
        chunks = []
        with os.fdopen(read_fd, "rb") as reader:
            for chunk in iter(lambda: reader.read(65536), b""):
                chunks.append(chunk)
        code = proc.wait(timeout=timeout)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    records = [json.loads(line) for line in b"".join(chunks).decode().splitlines() if line.strip()]
    return code, stdout, stderr, records


def find_torch_python():
    """The interpreter that imports torch (scripts/find-torch-python), or None."""
    script = os.path.join(SOURCE_DIR, "scripts", "find-torch-python")
    completed = subprocess.run([script], capture_output=True, text=True)
    return completed.stdout.strip() if completed.returncode == 0 else None


# The unprivileged user non-root cases run as when the tests run as root (CI).
E2E_USER = "coldbench-e2e"


def ensure_e2e_user():
    """The unprivileged user to run as (creating it when root), or a reason to skip."""
    try:
        return pwd.getpwnam(E2E_USER), None
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        return None, "useradd is not installed"
    completed = subprocess.run(["useradd", "-M", "-r", "-s", "/usr/sbin/nologin", E2E_USER],
                               capture_output=True, text=True)
    if completed.returncode != 0:
        return None, f"cannot create user {E2E_USER}: {completed.stderr.strip()}"
    return pwd.getpwnam(E2E_USER), None



def unprivileged_prefix(test):
    """How to run a command as an unprivileged user: (user, argv prefix).

    As root, the coldbench-e2e user (created if absent) through setpriv; when
    not root, ourselves: (None, []). Skips `test` with the reason when that
    user cannot be had.
    """
    if os.geteuid() != 0:
        return None, []
    user, reason = ensure_e2e_user()
    if user is None:
        test.skipTest(reason)
    if shutil.which("setpriv") is None:
        test.skipTest("setpriv (util-linux) is not installed")
    return user, ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]


def chown_tree(path, user):
    """Gives `path`, and all below it when a directory, to `user` (None: nothing to do)."""
    if user is None:
        return
    if os.path.islink(path) or not os.path.isdir(path):
        os.lchown(path, user.pw_uid, user.pw_gid)
        return
    for d, dirs, files in os.walk(path):
        for n in [d] + [os.path.join(d, x) for x in dirs + files]:
            os.lchown(n, user.pw_uid, user.pw_gid)

def describe(result):
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def main():
    unittest.main(verbosity=2)
