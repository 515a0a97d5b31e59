"""Machine noise is recorded per run and a busy machine is named
(docs/machine-noise.md): with a CPU burner beside the runs, the summary warns "machine busy"
with the other processes' share of the CPUs as evidence; a workload whose
wall time grows with every run gets a run-order trend warning. Checks are
structural (fields present, null or a number, the burner's CPU > 0), never
timed."""

import math
import os
import subprocess
import sys
import tempfile
import time
import unittest

from e2e_support import describe, main, run_coldbench

MACHINE_NUMBER_FIELDS = ["load_1m_start", "load_1m_end", "cpus", "interval_ms", "busy_cpu_ms", "harness_cpu_ms",
                         "other_cpu_ms", "other_cpu_fraction", "steal_fraction", "iowait_fraction", "cpu_freq_mhz"]

# A burner ends itself after this long even if the test is killed before its cleanup.
BURNER_LIFETIME_S = 120


def start_burners(count):
    code = f"import time\nend = time.monotonic() + {BURNER_LIFETIME_S}\nwhile time.monotonic() < end: pass\n"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]


def stop_burners(burners):
    for b in burners:
        b.kill()
    for b in burners:
        b.wait(timeout=30)


class MachineNoiseTest(unittest.TestCase):
    def check_machine_fields(self, run):
        machine = run["machine"]
        self.assertIsInstance(machine, dict, run)
        for key in MACHINE_NUMBER_FIELDS:
            self.assertIn(key, machine)
            value = machine[key]
            self.assertTrue(value is None or (isinstance(value, (int, float)) and math.isfinite(value)),
                            f"{key} = {value!r}")
        self.assertIn("cpu_governor", machine)
        self.assertTrue(machine["cpu_governor"] is None or isinstance(machine["cpu_governor"], str))
        for key in ("other_cpu_fraction", "steal_fraction", "iowait_fraction"):
            if machine[key] is not None:
                self.assertTrue(0 <= machine[key] <= 1, f"{key} = {machine[key]}")
        # This machine has /proc: the load average and the counters are read.
        self.assertIsInstance(machine["load_1m_start"], (int, float))
        self.assertIsInstance(machine["cpus"], int)

    def test_busy_machine_warning_names_the_evidence_with_a_cpu_burner(self):
        cpus = os.cpu_count() or 1
        # A quarter of the CPUs busy (at least one): above the 10% threshold
        # even if the burners get only part of their CPU on a shared machine.
        burners = start_burners(max(1, cpus // 4))
        try:
            time.sleep(0.3)  # let them start spinning
            result = run_coldbench(["run", "-r", "5", "--command", "idle=sleep 0.3"], timeout=120)
        finally:
            stop_burners(burners)
        self.assertEqual(result.returncode, 0, describe(result))
        output = result.stdout + result.stderr
        self.assertIn("warning: machine busy:", output, describe(result))
        self.assertIn("other processes used", output, describe(result))

        runs = result.measured_runs("idle")
        self.assertEqual(len(runs), 5)
        for run in runs:
            self.check_machine_fields(run)
        # The burner's CPU is other processes' CPU: sleep itself uses next to none.
        self.assertGreater(sum(run["machine"]["other_cpu_ms"] for run in runs), 0)

        summary = result.command_summary("idle")
        self.assertTrue(summary["machine"]["busy"], summary["machine"])
        self.assertGreaterEqual(summary["machine"]["other_cpu_fraction"], 0.10)
        self.assertTrue(any(w.startswith("machine busy:") for w in summary["noise_warnings"]), summary)

    def test_wall_time_rising_with_run_order_gets_a_trend_warning(self):
        with tempfile.TemporaryDirectory() as tmp:
            counter = os.path.join(tmp, "n")
            # Each run sleeps 50 ms longer than the one before.
            script = (f'n=$(cat {counter} 2>/dev/null || echo 0); echo $((n + 1)) > {counter}; '
                      f'sleep $(echo "$n" | awk \'{{print $1 * 0.05}}\')')
            result = run_coldbench(["run", "-r", "10", "-S", "/bin/sh", "--command", "drift=" + script], timeout=120)
        self.assertEqual(result.returncode, 0, describe(result))
        output = result.stdout + result.stderr
        self.assertIn("warning: wall time rises with run order (Mann-Kendall p = ", output, describe(result))
        trend = result.command_summary("drift")["wall_trend"]
        self.assertTrue(trend["drifted"], trend)
        self.assertGreater(trend["sen_slope_per_run"], 0)
        self.assertLess(trend["p"], 0.01)


if __name__ == "__main__":
    main()
