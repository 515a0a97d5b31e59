"""coldbench run --isolate sandbox: fresh HOME, /tmp, PID namespace and hostname
every run, the real HOME untouched; as root and as an unprivileged user.

As root, the unprivileged cases run through a dedicated user (coldbench-e2e,
created if absent) with setpriv; they skip with the reason when that user
cannot be created or when this kernel refuses unprivileged user namespaces.
"""

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import unittest

from e2e_support import (CB_FIXTURE, COLDBENCH, chown_tree, describe, ensure_e2e_user, main, run_coldbench,
                         unprivileged_prefix)

SANDBOX_HOSTNAME = "coldbench-sandbox"

# One script shows everything the sandbox promises: PID 1 (the workload is
# exec'd as PID 1 of the new namespace), an empty /tmp (a file left by the
# previous run would count), the hostname, and the fresh HOME.
PROBE_SCRIPT = ('echo pid=$$; echo tmpfiles=$(ls -A /tmp | wc -l); echo host=$(cat /proc/sys/kernel/hostname); '
                'echo homefiles=$(ls -A "$HOME" | wc -l); touch /tmp/left-by-previous-run "$HOME/left"')
PROBE_RULES = ["--metric", "pid=^pid=([0-9]+)$", "--metric", "tmpfiles=^tmpfiles=([0-9]+)$",
               "--metric", "homefiles=^homefiles=([0-9]+)$", "--phase", f"hostname_set=^host={SANDBOX_HOSTNAME}$"]
HOME_RULES = ["--phase", "saw_absent=^absent$", "--phase", "saw_present=^present$"]

# What a workload would do to undo the sandbox or change the machine; each
# attempt prints its exit status. The sysctl and the cgroup get what they
# already hold, so nothing changes even where the write is allowed.
LOCKDOWN_SCRIPT = (
    "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status | tr -d '\\t'; "
    "umount -l /tmp 2>/dev/null; echo umount=$?; echo tmpfiles=$(ls -A /tmp | wc -l); "
    "v=$(cat /proc/sys/vm/swappiness); (echo $v > /proc/sys/vm/swappiness) 2>/dev/null; echo sysctl=$?; "
    "d=/sys/fs/cgroup; [ -d $d/unified ] && d=$d/unified; cg=$(sed -n 's/^0:://p' /proc/self/cgroup); "
    "(echo $$ > \"$d$cg/cgroup.procs\") 2>/dev/null; echo cgroup=$?; "
    "mount -t tmpfs none \"$HOME\" 2>/dev/null; echo mount=$?")


def make_real_home(parent):
    """A stand-in for the user's real HOME with a cache entry of its own."""
    home = os.path.join(parent, "realhome")
    os.makedirs(os.path.join(home, ".cache"))
    with open(os.path.join(home, ".cache", "sentinel"), "w") as f:
        f.write("real")
    return home


def tree(path):
    return sorted(os.path.relpath(os.path.join(d, n), path) for d, dirs, files in os.walk(path) for n in dirs + files)


def metric_values(run, name):
    for m in run["metrics"]:
        if m["name"] == name:
            return m["values"]
    return None


def phase_names(run):
    return [p["name"] for p in run["phases"]]




class Unprivileged:
    """Runs coldbench as an unprivileged user: ourselves when not root, else coldbench-e2e."""

    def __init__(self, test):
        self.user, self.prefix = unprivileged_prefix(test)
        # Outside /tmp on purpose: nothing to do with the sandbox, but owned by the user.
        self.dir = tempfile.mkdtemp(prefix="cb-e2e-isolate-", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        test.addCleanup(shutil.rmtree, self.dir, True)

    def own(self, path):
        chown_tree(path, self.user)

    def run(self, args, home):
        json_path = os.path.join(self.dir, "results.json")
        if os.path.exists(json_path):
            os.unlink(json_path)
        self.own(self.dir)
        env = dict(os.environ, HOME=home)
        argv = self.prefix + [COLDBENCH, "run", "--json", json_path, "--no-progress"] + list(args)
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, cwd="/")
        result = type("R", (), {})()
        result.returncode, result.stdout, result.stderr = completed.returncode, completed.stdout, completed.stderr
        result.json = None
        if os.path.exists(json_path):
            with open(json_path) as f:
                result.json = json.load(f)
        return result


class SandboxTestBase(unittest.TestCase):
    def assert_locked_down(self, result):
        self.assertEqual(result.returncode, 0, describe(result))
        lines = result.stdout.splitlines()
        for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            self.assertIn(f"{caps}:0000000000000000", lines, f"{caps} is not empty\n" + describe(result))
        self.assertIn("NoNewPrivs:1", lines)
        self.assertIn("tmpfiles=0", lines, "the host's /tmp became visible")
        for attempt in ("umount", "sysctl", "cgroup", "mount"):
            self.assertNotIn(f"{attempt}=0", lines, f"the workload could {attempt}")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cb-e2e-isolate-", dir="/var/tmp")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def assert_home_absent_every_run(self, result, runs, real_home, before):
        self.assertEqual(result.returncode, 0, describe(result))
        measured = [r for r in result.json["runs"]]
        self.assertEqual(len(measured), runs)
        for run in measured:
            self.assertEqual(run["isolation"], "sandbox")
            self.assertIn("saw_absent", phase_names(run), f"run {run['sequence']} saw $HOME/.cache/x")
            self.assertNotIn("saw_present", phase_names(run))
        self.assertEqual(tree(real_home), before, "the real HOME was changed")
        self.assertEqual(result.json["options"]["isolation"]["mode"], "sandbox")

    def assert_probe(self, result, runs):
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertEqual(len(result.json["runs"]), runs)
        for run in result.json["runs"]:
            self.assertEqual(metric_values(run, "pid"), [1.0], "the workload is not PID 1 of a new namespace")
            self.assertEqual(metric_values(run, "tmpfiles"), [0.0], "/tmp is not empty")
            self.assertEqual(metric_values(run, "homefiles"), [0.0], "HOME is not empty")
            self.assertIn("hostname_set", phase_names(run))


class SandboxAsRootTest(SandboxTestBase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (the unprivileged cases run in SandboxUnprivilegedTest)")
        super().setUp()

    def test_home_cache_is_absent_on_every_run_and_real_home_untouched(self):
        real_home = make_real_home(self.tmp)
        before = tree(real_home)
        result = run_coldbench(["run", "-r", "4", "-w", "1", "--isolate", "sandbox"] + HOME_RULES +
                               ["--", CB_FIXTURE, "home-file:.cache/x"], env={"HOME": real_home})
        self.assert_home_absent_every_run(result, 5, real_home, before)
        self.assertFalse(result.json["options"]["isolation"]["user_namespace"])

    def test_pid_namespace_fresh_tmp_and_hostname(self):
        result = run_coldbench(["run", "-r", "3", "--isolate", "sandbox", "--cwd", "/"] + PROBE_RULES +
                               ["--", "/bin/sh", "-c", PROBE_SCRIPT])
        self.assert_probe(result, 3)
        self.assertFalse(os.path.exists("/tmp/left-by-previous-run"))

    def test_root_workload_has_no_capabilities_and_cannot_undo_the_sandbox(self):
        # Audit item 13: as root it kept every capability; `umount -l /tmp`
        # showed the host's /tmp, and it could write sysctls and cgroups.
        result = run_coldbench(["run", "-r", "1", "--isolate", "sandbox", "--cwd", "/", "--show-output",
                                "--", "/bin/sh", "-c", LOCKDOWN_SCRIPT])
        self.assert_locked_down(result)


class SandboxUnprivilegedTest(SandboxTestBase):
    def setUp(self):
        super().setUp()
        self.user = Unprivileged(self)

    def skip_if_refused(self, result):
        # The harness explains a refusal by naming the sysctl; that is this
        # host's policy, not a failure of coldbench.
        if result.returncode == 2 and "namespaces" in result.stderr and "sysctl" in result.stderr:
            self.skipTest("unprivileged user namespaces are not permitted here: " + result.stderr.strip())

    def test_home_cache_is_absent_on_every_run_and_real_home_untouched(self):
        real_home = make_real_home(self.user.dir)
        self.user.own(real_home)
        before = tree(real_home)
        result = self.user.run(["-r", "4", "-w", "1", "--isolate", "sandbox"] + HOME_RULES +
                               ["--", CB_FIXTURE, "home-file:.cache/x"], home=real_home)
        self.skip_if_refused(result)
        self.assert_home_absent_every_run(result, 5, real_home, before)
        self.assertTrue(result.json["options"]["isolation"]["user_namespace"])

    def test_pid_namespace_fresh_tmp_and_hostname(self):
        home = os.path.join(self.user.dir, "home")
        os.makedirs(home)
        result = self.user.run(["-r", "3", "--isolate", "sandbox", "--metric", "uid=^uid=([0-9]+)$"] + PROBE_RULES +
                               ["--", "/bin/sh", "-c", PROBE_SCRIPT + "; echo uid=$(id -u)"], home=home)
        self.skip_if_refused(result)
        self.assert_probe(result, 3)
        # The user's ids map to themselves inside the user namespace.
        expected_uid = self.user.user.pw_uid if self.user.user else os.geteuid()
        for run in result.json["runs"]:
            self.assertEqual(metric_values(run, "uid"), [float(expected_uid)])

    def test_workload_has_no_capabilities_and_cannot_undo_the_sandbox(self):
        home = os.path.join(self.user.dir, "home")
        os.makedirs(home)
        result = self.user.run(["-r", "1", "--isolate", "sandbox", "--show-output",
                                "--", "/bin/sh", "-c", LOCKDOWN_SCRIPT], home=home)
        self.skip_if_refused(result)
        self.assert_locked_down(result)


class SandboxRefusalTest(unittest.TestCase):
    """A real refusal: an unprivileged user in a user namespace whose
    user.max_user_namespaces is 0 (set there by its root, so the host's
    settings stay as they are)."""

    def test_refused_user_namespace_names_the_sysctl(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to build the nested user namespace")
        for tool in ("unshare", "nsenter", "setpriv"):
            if shutil.which(tool) is None:
                self.skipTest(f"{tool} (util-linux) is not installed")
        user, reason = ensure_e2e_user()
        if user is None:
            self.skipTest(reason)
        holder = subprocess.Popen(["unshare", "--user", "sleep", "120"])
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        try:
            for name in ("uid_map", "gid_map"):
                deadline = time.time() + 60  # a safety net: the loop ends once unshare is in
                while time.time() < deadline:  # until unshare has entered the namespace
                    if os.readlink(f"/proc/{holder.pid}/ns/user") != os.readlink("/proc/self/ns/user"):
                        break
                    time.sleep(0.01)
                with open(f"/proc/{holder.pid}/{name}", "w") as f:
                    f.write("0 0 65536\n")
        except OSError as e:
            self.skipTest(f"cannot build a nested user namespace here: {e}")
        inner = (f"echo 0 > /proc/sys/user/max_user_namespaces && "
                 f"exec setpriv --reuid={user.pw_uid} --regid={user.pw_gid} --clear-groups "
                 f"{COLDBENCH} run -r 1 --no-progress --isolate sandbox -- /bin/true")
        completed = subprocess.run(["nsenter", "-t", str(holder.pid), "-U", "sh", "-c", inner],
                                   capture_output=True, text=True, timeout=120, cwd="/")
        self.assertEqual(completed.returncode, 2, completed.stderr)
        self.assertIn("user namespaces are disabled (user.max_user_namespaces=0)", completed.stderr)
        self.assertIn("sysctl -w user.max_user_namespaces=", completed.stderr)
        self.assertIn("--isolate host", completed.stderr)


class HostControlTest(SandboxTestBase):
    def test_host_runs_share_home_so_the_sandbox_checks_can_fail(self):
        real_home = make_real_home(self.tmp)
        result = run_coldbench(["run", "-r", "2"] + HOME_RULES + ["--", CB_FIXTURE, "home-file:.cache/x"],
                               env={"HOME": real_home})
        self.assertEqual(result.returncode, 0, describe(result))
        runs = result.json["runs"]
        self.assertEqual(runs[0]["isolation"], "host")
        self.assertIn("saw_absent", phase_names(runs[0]))
        self.assertIn("saw_present", phase_names(runs[1]))
        self.assertTrue(os.path.exists(os.path.join(real_home, ".cache", "x")))


class SandboxUsageErrorTest(unittest.TestCase):
    def test_bad_flag_combinations_exit_2_with_the_fix(self):
        cases = [
            (["--isolate", "sandbox", "--image", "debian"], "--image is only used with"),
            (["--isolate", "sandbox", "--mount", "/a:/b"], "--mount is only used with"),
            (["--isolate", "docker"], "needs --image"),
            (["--isolate", "docker", "--image", "debian", "--mount", "nocolon"], "SRC:DST"),
            (["--isolate", "vm"], "--isolate"),
        ]
        for flags, message in cases:
            result = run_coldbench(["run", "-r", "1"] + flags + ["--", "true"])
            self.assertEqual(result.returncode, 2, f"{flags}: {describe(result)}")
            self.assertIn(message, result.stderr, f"{flags}: {describe(result)}")
            self.assertIsNone(result.json, "no run may start")


class SandboxWorkloadUnderTmpTest(unittest.TestCase):
    """A workload that lives under /tmp still runs: its own entry of /tmp is
    carried into the fresh tmpfs, and nothing else is."""

    def test_workload_under_tmp_keeps_only_its_own_entry(self):
        tmp = tempfile.mkdtemp(prefix="cb-e2e-isolate-")  # under /tmp on purpose
        self.addCleanup(shutil.rmtree, tmp, True)
        program = os.path.join(tmp, "workload")
        shutil.copy(CB_FIXTURE, program)
        script = os.path.join(tmp, "probe.sh")
        with open(script, "w") as f:
            f.write('echo "tmp=$(ls -A /tmp)"; touch /tmp/left-by-run\n')
        left = "/tmp/left-by-run"
        self.assertFalse(os.path.exists(left))
        result = run_coldbench(["run", "-r", "2", "--isolate", "sandbox", "--cwd", "/",
                                "--phase", f"only_own_entry=^tmp={os.path.basename(tmp)}$",
                                "--command", f"fixture={program} exit:0", "--command", f"script=/bin/sh {script}"])
        if result.returncode == 2 and "sysctl" in result.stderr:
            self.skipTest("namespaces not permitted here: " + result.stderr.strip())
        self.assertEqual(result.returncode, 0, describe(result))
        runs = result.json["runs"]
        self.assertEqual(len(runs), 4)
        for run in runs:
            self.assertEqual(run["exit_code"], 0, run)
            if run["command"] == "script":
                self.assertIn("only_own_entry", phase_names(run), run)
        self.assertFalse(os.path.exists(left), "a file written to the sandbox's /tmp reached the host")


if __name__ == "__main__":
    main()
