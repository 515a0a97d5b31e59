"""A one-node Slurm cluster in a temporary folder, for tests/e2e/test_scale_out.py.

munged runs with its socket in the folder (not /run/munge, so a host's own
munge is left alone), slurmctld and slurmd from a slurm.conf there, on free
ports; SLURM_CONF in `env` points the clients at it. Needs root and Debian's
slurm-wlm and munge (scripts/bootstrap installs them).
"""

import os
import shutil
import signal
import socket
import subprocess
import time

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


def unavailable():
    """Why no cluster can be started here, or None."""
    if os.geteuid() != 0:
        return "slurmctld and slurmd run as root here; the tests are not root"
    missing = [d for d in DAEMONS if not shutil.which(d) and not os.path.exists("/usr/sbin/" + d)]
    if missing:
        return "not installed: " + ", ".join(missing) + " (scripts/bootstrap installs slurm-wlm and munge)"
    if not os.path.exists("/etc/munge/munge.key"):
        return "no /etc/munge/munge.key (reinstall munge, or create it with mungekey)"
    return None


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _binary(name):
    return shutil.which(name) or "/usr/sbin/" + name


class SlurmCluster:
    def __init__(self, folder):
        self.folder = folder
        self.conf = os.path.join(folder, "slurm.conf")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.started = []

    def _path(self, *parts):
        return os.path.join(self.folder, *parts)

    def start(self):
        for sub in ("state", "spool", "munge"):
            os.makedirs(self._path(sub), exist_ok=True)
        os.chmod(self._path("munge"), 0o700)
        sock = self._path("munge", "munge.sock")
        subprocess.run([_binary("munged"), "--force", "-S", sock, "--pid-file", self._path("munge", "munged.pid"),
                        "--log-file", self._path("munge", "munged.log"), "--seed-file",
                        self._path("munge", "seed")], check=True, capture_output=True, timeout=30)
        self.started.append("munged")
        host = socket.gethostname()
        ctld_port, slurmd_port = _free_ports(2)
        with open(self.conf, "w") as f:
            f.write("\n".join([
                "ClusterName=coldbench-e2e",
                f"SlurmctldHost={host}(127.0.0.1)",
                "SlurmUser=root", "SlurmdUser=root",
                "AuthType=auth/munge", f"AuthInfo=socket={sock}", "CredType=cred/munge",
                f"StateSaveLocation={self._path('state')}", f"SlurmdSpoolDir={self._path('spool')}",
                f"SlurmctldPidFile={self._path('slurmctld.pid')}", f"SlurmdPidFile={self._path('slurmd.pid')}",
                f"SlurmctldPort={ctld_port}", f"SlurmdPort={slurmd_port}",
                "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
                "SchedulerType=sched/builtin", "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core",
                "ReturnToService=2", "MpiDefault=none", "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none", "KillWait=5",
                f"SlurmctldLogFile={self._path('slurmctld.log')}", f"SlurmdLogFile={self._path('slurmd.log')}",
                f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} State=UNKNOWN",
                f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP",
                ""]))
        subprocess.run([_binary("slurmctld"), "-c"], check=True, env=self.env, capture_output=True, timeout=30)
        self.started.append("slurmctld")
        subprocess.run([_binary("slurmd")], check=True, env=self.env, capture_output=True, timeout=30)
        self.started.append("slurmd")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            info = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True, text=True,
                                  timeout=30)
            if info.returncode == 0 and info.stdout.strip() in ("idle", "mixed", "allocated"):
                return
            time.sleep(0.5)
        raise RuntimeError("the one-node cluster did not come up: " + self.log_tail())

    def log_tail(self):
        text = ""
        for name in ("slurmctld.log", "slurmd.log"):
            path = self._path(name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    text += f"--- {name}\n" + "".join(f.readlines()[-15:])
        return text

    def run(self, argv, timeout=300, extra_env=None, **kwargs):
        env = dict(self.env)
        env.update(extra_env or {})
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, **kwargs)

    def wait_idle(self, timeout=300):
        """Waits until no job is queued or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            queue = self.run(["squeue", "-h"], timeout=30)
            if queue.returncode == 0 and not queue.stdout.strip():
                return
            time.sleep(0.5)
        raise RuntimeError("jobs still queued after %ss" % timeout)

    def _stop_pid_file(self, path):
        try:
            with open(path) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self):
        if "slurmd" in self.started:
            self._stop_pid_file(self._path("slurmd.pid"))
        if "slurmctld" in self.started:
            self._stop_pid_file(self._path("slurmctld.pid"))
        if "munged" in self.started:
            self._stop_pid_file(self._path("munge", "munged.pid"))
        self.started = []
