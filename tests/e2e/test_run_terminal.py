"""coldbench run on a terminal (a pseudo-terminal here): the progress line moves
during a single long run, instead of sitting at "elapsed 0:00 ETA ?" until it
ends (issue 19). Structure only: distinct redraws of the current run's elapsed
time, never how fast they come."""

import os
import pty
import re
import select
import subprocess
import time
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, COLDBENCH_TORCH, main


def run_on_terminal(argv, timeout_s=120):
    """Runs ARGV with stdout and stderr on a fresh pseudo-terminal; returns (exit code, all it wrote)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.time() + timeout_s
    try:
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(master)
    return process.returncode, b"".join(chunks).decode("utf-8", "replace")


class TerminalTest(unittest.TestCase):
    def test_progress_line_moves_during_a_single_three_second_run(self):
        code, text = run_on_terminal([COLDBENCH, "run", "-r", "1", "-w", "0", "--command",
                                      f"slow={CB_FIXTURE} sleep:3000"])
        self.assertEqual(code, 0, text)
        # Each redraw starts with "\r\x1b[K"; those during the run name it with its elapsed time.
        during = re.findall(r"\r\x1b\[K\[[#.]+\] 0/1 .*?slow: run (\d+:\d\d)", text)
        self.assertGreaterEqual(len(set(during)), 2, f"the line did not move during the run: {text!r}")
        self.assertIn("0:00", during)
        self.assertIn("Command 'slow'", text)  # the summary follows on the same terminal

    @unittest.skipUnless(os.path.exists(COLDBENCH_TORCH), f"{COLDBENCH_TORCH} not built")
    def test_version_everywhere(self):
        for binary, name in ((COLDBENCH, "coldbench"), (COLDBENCH_TORCH, "coldbench-torch")):
            done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertRegex(done.stdout, rf"^{name} \d+\.\d+\.\d+\n$")


if __name__ == "__main__":
    main()
