"""Nothing of a run outlives it or its harness (audit: a host-mode workload
kept running with parent 1 after kill -9 of the harness; a `setsid sleep &`
of a finished run stayed). The workload dies with the harness; what it
started is ended when the run ends, or by the watchdog when the harness is
killed mid-run."""

import os
import signal
import subprocess
import time
import unittest

from e2e_support import COLDBENCH, describe, main, temp_dir, run_coldbench


def state_of(pid):
    """The state letter from /proc/PID/stat, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rfind(")") + 2]


def gone_soon(pid, deadline_s=30):
    """Polls until `pid` is gone (a zombie nobody reaps counts: it is dead)."""
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        if state_of(pid) in (None, "Z"):
            return True
        time.sleep(0.05)
    return False


def pids_running(argv_text):
    """Processes whose command line is exactly `argv_text` (words joined by spaces)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                words = f.read().split(b"\0")
        except OSError:
            continue
        if b" ".join(w for w in words if w).decode(errors="replace") == argv_text and state_of(entry) != "Z":
            found.append(int(entry))
    return found


def writes_pid(pidfile):
    """Shell words that write the shell's pid to `pidfile` atomically."""
    return f"echo $$ > {pidfile}.tmp && mv {pidfile}.tmp {pidfile}"


class ProcessesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "cb-procs-")
        self.leftovers = []

    def tearDown(self):
        for pid in self.leftovers:  # a failing test must not leave sleepers behind
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def path(self, name):
        return os.path.join(self.tmp, name)

    def wait_for_pid(self, pidfile, proc, deadline_s=60):
        deadline = time.time() + deadline_s
        while time.time() < deadline:
            if os.path.exists(pidfile):
                with open(pidfile) as f:
                    pid = int(f.read())
                self.leftovers.append(pid)
                return pid
            if proc.poll() is not None:
                self.fail(f"the harness exited ({proc.returncode}) before the workload started: "
                          f"{proc.stderr.read()}")
            time.sleep(0.02)
        self.fail(f"{pidfile} never appeared")

    def start(self, script, *options):
        return subprocess.Popen([COLDBENCH, "run", "-r", "1", "--no-progress", *options, "-S", "/bin/sh", "--", script],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def kill_9(self, proc):
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()

    def test_kill_9_of_the_harness_ends_its_sleeping_workload(self):
        pidfile = self.path("workload.pid")
        proc = self.start(f"{writes_pid(pidfile)}; exec sleep 1000")
        workload = self.wait_for_pid(pidfile, proc)
        self.kill_9(proc)
        self.assertTrue(gone_soon(workload), f"workload {workload} outlived its killed harness")

    def test_setsid_descendant_of_a_finished_run_does_not_remain(self):
        pidfile = self.path("daemon.pid")
        script = (f"setsid sh -c '{writes_pid(pidfile)}; exec sleep 1000' & "
                  f"while [ ! -s {pidfile} ]; do sleep 0.01; done")
        result = run_coldbench(["run", "-r", "1", "-S", "/bin/sh", "--", script])
        self.assertEqual(result.returncode, 0, describe(result))
        with open(pidfile) as f:
            daemon = int(f.read())
        self.leftovers.append(daemon)
        self.assertTrue(gone_soon(daemon), f"setsid descendant {daemon} remained after the harness exited")

    def test_kill_9_of_the_harness_ends_a_daemon_its_run_started(self):
        # The subshell exits at once, so the daemon is orphaned mid-run (and
        # adopted by the harness, a subreaper); only the watchdog can end it
        # once the harness is killed.
        daemon_file, main_file = self.path("daemon.pid"), self.path("main.pid")
        script = (f"(setsid sh -c '{writes_pid(daemon_file)}; exec sleep 1000' &); "
                  f"{writes_pid(main_file)}; exec sleep 1000")
        proc = self.start(script)
        daemon = self.wait_for_pid(daemon_file, proc)
        workload = self.wait_for_pid(main_file, proc)
        self.kill_9(proc)
        self.assertTrue(gone_soon(workload), f"workload {workload} outlived its killed harness")
        self.assertTrue(gone_soon(daemon), f"daemon {daemon} outlived its killed harness")

    def test_kill_9_of_the_harness_ends_a_sandboxed_run_and_its_daemon(self):
        # Inside the sandbox /tmp is fresh and pids are the namespace's: find
        # the processes by their (unique) command lines instead.
        if os.geteuid() != 0:
            self.skipTest("the sandbox cases of an unprivileged user run in test_isolate_sandbox")
        tag = os.getpid()
        daemon_argv, main_argv = f"sleep 9{tag}1", f"sleep 9{tag}2"
        proc = self.start(f"setsid {daemon_argv} & exec {main_argv}", "--isolate", "sandbox")
        deadline = time.time() + 60
        while time.time() < deadline and not (pids_running(daemon_argv) and pids_running(main_argv)):
            if proc.poll() is not None:
                self.skipTest(f"the sandbox cannot run here: {proc.stderr.read().strip()}")
            time.sleep(0.05)
        found = pids_running(daemon_argv) + pids_running(main_argv)
        self.assertEqual(len(found), 2, "the sandboxed processes never started")
        self.leftovers.extend(found)
        self.kill_9(proc)
        for pid in found:
            self.assertTrue(gone_soon(pid), f"sandboxed process {pid} outlived its killed harness")

    def test_kill_9_of_the_harness_ends_a_daemon_left_in_the_runs_cgroup(self):
        # Without markers the daemon carries no run tag: the watchdog finds it
        # in the run's cgroup.
        daemon_file, main_file = self.path("daemon.pid"), self.path("main.pid")
        script = (f"(setsid sh -c '{writes_pid(daemon_file)}; exec sleep 1000' &); "
                  f"{writes_pid(main_file)}; exec sleep 1000")
        proc = self.start(script, "--no-markers", "--memory", "256M")
        deadline = time.time() + 60
        while time.time() < deadline and not os.path.exists(main_file):
            if proc.poll() is not None:
                self.skipTest(f"no cgroup limits here: {proc.stderr.read().strip()}")
            time.sleep(0.02)
        daemon = self.wait_for_pid(daemon_file, proc)
        workload = self.wait_for_pid(main_file, proc)
        self.kill_9(proc)
        self.assertTrue(gone_soon(workload), f"workload {workload} outlived its killed harness")
        self.assertTrue(gone_soon(daemon), f"daemon {daemon} outlived its killed harness")


if __name__ == "__main__":
    main()
