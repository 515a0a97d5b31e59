"""Sizes with bounds: a run count, a matrix or an experiment file too large is
one clear error and exit 2, before anything big is allocated or read."""

import os
import resource
import subprocess
import textwrap
import unittest

from e2e_support import CB_FIXTURE, COLDBENCH, describe, main, temp_dir

# Far more than a refusal needs, far less than the audit's 12.5 GB: a
# regression fails here with an allocation error instead of eating the machine.
ADDRESS_SPACE_LIMIT = 2 * 1024 ** 3


# An AddressSanitizer build reserves terabytes of shadow address space at
# start, so RLIMIT_AS would stop it before main(); its allocator gets the same
# bound instead (a larger allocation is a reported error, a failing test).
SANITIZED = "ASAN_OPTIONS" in os.environ


def limited():
    if not SANITIZED:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def bounded_env():
    env = dict(os.environ)
    if SANITIZED:
        env["ASAN_OPTIONS"] = env["ASAN_OPTIONS"] + f":max_allocation_size_mb={ADDRESS_SPACE_LIMIT // 1024 ** 2}"
    return env


class Completed:
    def __init__(self, completed):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr


def coldbench(*args):
    return Completed(subprocess.run([COLDBENCH] + list(args), capture_output=True, text=True, timeout=120,
                                    preexec_fn=limited, env=bounded_env()))


class BoundsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "cb-bounds-")

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_runs_above_the_cap_are_refused_naming_the_experiment_cap(self):
        result = coldbench("run", "--no-progress", "-r", "2147483647", "--", CB_FIXTURE)
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("--runs 2147483647: give 1 to 1000000 runs per command", result.stderr)
        self.assertIn("the same cap as 'runs' in an experiment file", result.stderr)
        warmup = coldbench("run", "--no-progress", "-w", "2000000", "--", CB_FIXTURE)
        self.assertEqual(warmup.returncode, 2, describe(warmup))
        self.assertIn("--warmup 2000000", warmup.stderr)

    def test_session_total_above_the_cap_is_refused_with_the_product(self):
        result = coldbench("run", "--no-progress", "-r", "600000", "--command", f"a={CB_FIXTURE}", "--command", f"b={CB_FIXTURE}")
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("2 commands x (600000 runs + 0 warmup) = 1200000 runs", result.stderr)

    def test_matrix_of_nine_keys_by_ten_values_is_refused_before_expanding(self):
        keys = "abcdefghi"
        command = "true " + " ".join("{" + k + "}" for k in keys)
        matrix = "".join(f"{k} = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n" for k in keys)
        path = self.write("huge.toml", f'[experiment]\nname = "huge"\n[defaults]\ncommand = "{command}"\n'
                                       f"[matrix]\n{matrix}")
        result = coldbench("sweep", path, "--dry-run")
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("huge.toml:5:1: [matrix] expands to 1 config x 10 (a) x 10 (b)", result.stderr)
        self.assertIn("= 1000000000 configs, more than the 10000 one experiment may hold", result.stderr)

    def test_dev_zero_and_oversized_files_are_refused(self):
        result = coldbench("sweep", "/dev/zero", "--dry-run")
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("experiment file '/dev/zero' is a character device", result.stderr)
        big = self.write("big.toml", textwrap.dedent("""\
            [experiment]
            name = "big"
            [defaults]
            command = "true"
            """) + "# " + "x" * (1024 * 1024) + "\n")
        result = coldbench("sweep", big, "--dry-run")
        self.assertEqual(result.returncode, 2, describe(result))
        self.assertIn("is larger than 1024 KiB", result.stderr)


if __name__ == "__main__":
    main()
