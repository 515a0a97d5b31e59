"""coldbench sweep records the git commit it ran at without running anything
the repository configures (audit item 10): a repository is data, and an
unpacked archive can carry a hostile .git/config, attributes and hooks."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import textwrap
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, main

EXPERIMENT = textwrap.dedent("""\
    [experiment]
    name = "git-provenance"
    runs = 1
    warmup = 0

    [[config]]
    name = "quick"
    command = "{fixture} phase:runtime_ready"
    """)


def git(repo, *args):
    # The test's own git calls run nothing the hostile config names: -c wins over
    # .git/config, and none of these commands reads the index or the work tree.
    completed = subprocess.run(["git", "-C", repo, "-c", "core.fsmonitor=", "-c", "core.hooksPath=/dev/null",
                                "-c", "user.name=t", "-c", "user.email=t@example.com"] + list(args),
                               capture_output=True, text=True, check=True)
    return completed.stdout.strip()


@unittest.skipIf(shutil.which("git") is None, "git is not installed")
class SweepGitCommitTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cb-git-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.repo = os.path.join(self.tmp, "repo")
        os.mkdir(self.repo)
        git(self.repo, "init", "-q")
        with open(os.path.join(self.repo, "a.txt"), "w") as f:
            f.write("hello\n")
        git(self.repo, "add", "a.txt")
        git(self.repo, "commit", "-q", "-m", "one")
        self.commit = git(self.repo, "rev-parse", "HEAD")[:12]
        self.experiment = os.path.join(self.repo, "study.toml")
        with open(self.experiment, "w") as f:
            f.write(EXPERIMENT.format(fixture=CB_FIXTURE))
        self.db = os.path.join(self.tmp, "history.sqlite")

    def plant(self, what):
        """A script that leaves tmp/<what>-ran behind when something runs it."""
        script = os.path.join(self.tmp, what + ".sh")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\ntouch {self.tmp}/{what}-ran\ncat\n")
        os.chmod(script, 0o755)
        return script

    def ran(self):
        return sorted(n for n in os.listdir(self.tmp) if n.endswith("-ran"))

    def make_hostile(self):
        git_dir = os.path.join(self.repo, ".git")
        with open(os.path.join(git_dir, "config"), "a") as f:
            f.write(f"[core]\n\tfsmonitor = {self.plant('fsmonitor')}\n")
            f.write(f"[filter \"evil\"]\n\tclean = {self.plant('filter')}\n\trequired = true\n")
        with open(os.path.join(git_dir, "info", "attributes"), "w") as f:
            f.write("* filter=evil\n")
        hook = os.path.join(git_dir, "hooks", "post-index-change")
        os.makedirs(os.path.dirname(hook), exist_ok=True)
        shutil.copy(self.plant("hook"), hook)
        # A new mtime makes git compare a.txt's content, through the clean filter.
        tracked = os.path.join(self.repo, "a.txt")
        stat = os.stat(tracked)
        os.utime(tracked, (stat.st_atime + 100, stat.st_mtime + 100))

    def sweep(self):
        completed = subprocess.run([COLDBENCH, "sweep", self.experiment, "--db", self.db, "--no-progress"],
                                   cwd=self.repo, capture_output=True, text=True, timeout=300)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT git_commit FROM sessions ORDER BY id DESC LIMIT 1").fetchone()[0]

    def test_sweep_runs_no_fsmonitor_filter_or_hook_of_the_repository(self):
        self.make_hostile()
        recorded = self.sweep()
        self.assertEqual(self.ran(), [], "coldbench ran a program the repository's config names")
        # study.toml is untracked: not a change. a.txt has a new mtime, same content.
        self.assertEqual(recorded, self.commit)

    def test_sweep_in_a_hostile_repository_still_sees_uncommitted_changes(self):
        self.make_hostile()
        with open(os.path.join(self.repo, "a.txt"), "a") as f:
            f.write("changed\n")
        self.assertEqual(self.sweep(), self.commit + "-dirty")
        self.assertEqual(self.ran(), [])

    def test_commit_of_a_worktree_and_of_packed_refs_is_read(self):
        git(self.repo, "pack-refs", "--all")
        self.assertEqual(os.listdir(os.path.join(self.repo, ".git", "refs", "heads")), [])
        self.assertEqual(self.sweep(), self.commit)
        worktree = os.path.join(self.tmp, "wt")
        git(self.repo, "worktree", "add", "-q", "-b", "other", worktree)
        with open(os.path.join(worktree, "b.txt"), "w") as f:
            f.write("b\n")
        git(worktree, "add", "b.txt")
        git(worktree, "commit", "-q", "-m", "two")
        expected = git(worktree, "rev-parse", "HEAD")[:12]
        self.experiment = os.path.join(worktree, "study.toml")
        shutil.copy(os.path.join(self.repo, "study.toml"), self.experiment)
        self.repo = worktree
        self.assertEqual(self.sweep(), expected)

    def test_a_git_that_hangs_does_not_hang_the_sweep(self):
        # git blocks opening a FIFO named by include.path until a writer comes: never.
        fifo = os.path.join(self.tmp, "config.fifo")
        os.mkfifo(fifo)
        with open(os.path.join(self.repo, ".git", "config"), "a") as f:
            f.write(f"[include]\n\tpath = {fifo}\n")
        recorded = self.sweep()
        self.assertEqual(recorded, self.commit + "-unchecked")


if __name__ == "__main__":
    main()
