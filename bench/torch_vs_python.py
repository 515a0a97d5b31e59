#!/usr/bin/env python3
"""coldbench-torch vs the Python example workload, side by side, in one run.

Driven by bench/torch_vs_python.sh (which finds the binary, the model and a
torch-capable interpreter). Standard library only; the workloads report
through the marker protocol (COLDBENCH_FD), so both sides are timed the same
way: CLOCK_MONOTONIC read just before spawn, and the workload's own phase and
latency markers.

Prints three ratios with targets and PASS/MISS:
  1. optimized mode: native p50 / Python torch.jit.optimize_for_inference p50
  2. best native mode p50 / Python eager (torchvision definition) p50
  3. cold start, spawn -> model_loaded: native / Python, with the page cache
     evicted (posix_fadvise DONTNEED, no root) before every run
and the best native latency against the compute floor (model FLOPs / peak
FLOP rate of the CPUs used, derived from /proc/cpuinfo and stated).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import page_cache  # noqa: E402

TARGETS = {"optimized": 0.8, "best_vs_eager": 0.15, "cold_start": 0.3}


# --- running a workload with a marker pipe -----------------------------------

class Run:
    def __init__(self):
        self.spawn_ns = 0
        self.phases = {}
        self.metrics = {}
        self.info = {}
        self.returncode = None
        self.stderr = ""
        self.mapped_files = set()


def mapped_files(pid):
    """Regular files a process has mapped (shared libraries, the executable)."""
    files = set()
    try:
        with open(f"/proc/{pid}/maps") as handle:
            for line in handle:
                parts = line.split(None, 5)
                if len(parts) == 6 and parts[5].startswith("/"):
                    path = parts[5].strip()
                    if not path.endswith(" (deleted)") and os.path.isfile(path):
                        files.add(path)
    except OSError:
        pass
    return files


def run_with_markers(argv, env_extra=None, capture_maps_at=None, timeout=600):
    """Spawns argv with COLDBENCH_FD set; collects its markers until it exits."""
    env = dict(os.environ)
    env.pop("COLDBENCH_MARKERS", None)
    if env_extra:
        env.update(env_extra)
    read_fd, write_fd = os.pipe()
    env["COLDBENCH_FD"] = str(write_fd)
    run = Run()
    run.spawn_ns = time.monotonic_ns()
    stderr = tempfile.TemporaryFile()  # a file, not a pipe: a chatty workload never blocks
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                            pass_fds=(write_fd,))
    os.close(write_fd)
    buffer = b""
    deadline = time.monotonic() + timeout
    with os.fdopen(read_fd, "rb", buffering=0) as reader:
        while True:
            chunk = reader.read(65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                kind, name = record.get("kind"), record.get("name")
                if kind == "phase":
                    run.phases.setdefault(name, record["t"])
                    if name == capture_maps_at:
                        run.mapped_files = mapped_files(proc.pid)
                elif kind == "metric":
                    run.metrics[name] = record.get("values", [])
                elif kind == "info":
                    run.info[name] = record.get("value")
            if time.monotonic() > deadline:
                proc.kill()
                break
    run.returncode = proc.wait()
    stderr.seek(0)
    run.stderr = stderr.read().decode(errors="replace")
    stderr.close()
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {run.returncode}:\n{run.stderr[-2000:]}")
    return run


def p50(values):
    return statistics.median(values) if values else float("nan")


# --- the workloads -----------------------------------------------------------

class Workloads:
    def __init__(self, args):
        self.args = args

    def native(self, modes, iters, warmup):
        return [self.args.native, "infer", "--model", self.args.model_file, "--mode", modes,
                "--batch-size", str(self.args.batch), "--threads", str(self.args.threads),
                "--iters", str(iters), "--warmup", str(warmup), "-q"]

    def python(self, mode, iters, warmup, threads=None):
        threads = self.args.threads if threads is None else threads
        argv = [self.args.python, self.args.python_workload, "--mode", mode, "--threads",
                str(threads), "--batch-size", str(self.args.batch), "--iters", str(iters),
                "--warmup", str(warmup)]
        if mode != "eager":
            argv += ["--model-file", self.args.model_file]
        return argv


def python_module_files(python):
    """Files a Python process reads to import torch and torchvision (.py, .pyc, .so)."""
    probe = (
        "import sys, os, importlib.util, argparse, shutil, json, math, threading\n"
        "import torch, torchvision\n"
        "out = set()\n"
        "for m in list(sys.modules.values()):\n"
        "    f = getattr(m, '__file__', None)\n"
        "    if not f: continue\n"
        "    out.add(f)\n"
        "    if f.endswith('.py'):\n"
        "        try: out.add(importlib.util.cache_from_source(f))\n"
        "        except Exception: pass\n"
        "with open('/proc/self/maps') as h:\n"
        "    for line in h:\n"
        "        p = line.split(None, 5)\n"
        "        if len(p) == 6 and p[5].startswith('/'): out.add(p[5].strip())\n"
        "print('\\n'.join(sorted(x for x in out if os.path.isfile(x))))\n")
    result = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


# --- compute floor -------------------------------------------------------------

def cpu_peak(threads):
    """(GFLOP/s, derivation text) of the CPUs the workload uses, FP32."""
    flags, mhz, model = set(), 0.0, "unknown CPU"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "flags" and not flags:
                flags = set(value.split())
            elif key == "cpu MHz" and not mhz:
                mhz = float(value)
            elif key == "model name" and model == "unknown CPU":
                model = value
    max_mhz = 0.0
    try:  # cpufreq's maximum when the kernel exposes it (not under most hypervisors)
        with open("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq") as handle:
            max_mhz = int(handle.read()) / 1000.0
    except OSError:
        pass
    ghz = (max_mhz or mhz) / 1000.0
    if "avx512f" in flags:
        lanes, isa = 16, "AVX-512"
    elif "avx2" in flags and "fma" in flags:
        lanes, isa = 8, "AVX2"
    else:
        lanes, isa = 4, "SSE"
    fma_units = int(os.environ.get("FMA_UNITS", "2"))
    cores = min(threads, os.cpu_count() or 1, len(os.sched_getaffinity(0)))
    per_cycle = lanes * 2 * fma_units  # an FMA is 2 FLOPs per lane
    gflops = cores * ghz * per_cycle
    source = "cpufreq max" if max_mhz else "/proc/cpuinfo 'cpu MHz'"
    text = (f"{cores} cores x {ghz:.2f} GHz ({source}) x {per_cycle} FP32 FLOP/cycle "
            f"({isa}: {lanes} lanes x 2 (FMA) x {fma_units} FMA units/core, FMA_UNITS to override)"
            f" = {gflops:.1f} GFLOP/s on {model}")
    return gflops, text


# --- the bench -------------------------------------------------------------------

def cold_start(args, work, files):
    """Median spawn -> model_loaded (and -> runtime_ready) per side, cache evicted before each run."""
    results = {"native": [], "python": []}
    residency = []
    for round_index in range(args.cold_runs):
        order = ["native", "python"] if round_index % 2 == 0 else ["python", "native"]
        for side in order:
            resident, total = page_cache.evict_all(files)
            residency.append((resident, total))
            argv = work.native("optimized", 1, 0) if side == "native" else work.python("optimized", 1, 0)
            run = run_with_markers(argv)
            results[side].append({
                "runtime_ready_ms": (run.phases["runtime_ready"] - run.spawn_ns) / 1e6,
                "model_loaded_ms": (run.phases["model_loaded"] - run.spawn_ns) / 1e6,
            })
    summary = {}
    for side, runs in results.items():
        summary[side] = {key: p50([r[key] for r in runs]) for key in runs[0]}
        summary[side]["runs"] = [round(r["model_loaded_ms"], 1) for r in runs]
    worst = max(residency, key=lambda rt: rt[0] / rt[1] if rt[1] else 0)
    summary["residency_after_evict"] = {"resident_mib": worst[0] / 2**20, "total_mib": worst[1] / 2**20}
    return summary


def warm_latency(args, work):
    """Median over rounds of each workload's p50 latency (ms)."""
    collected = {"native.script": [], "native.frozen": [], "native.optimized": [],
                 "python.optimized": [], "python.eager": [], "python.optimized.torch_default_threads": []}
    slow_iters = max(10, args.iters // 10)
    threads_in_effect = None
    for round_index in range(args.rounds):
        jobs = [
            ("native-opt", lambda: work.native("optimized", args.iters, args.warmup)),
            ("native-slow", lambda: work.native("script,frozen", slow_iters, args.warmup)),
            ("python-opt", lambda: work.python("optimized", args.iters, args.warmup)),
            ("python-eager", lambda: work.python("eager", slow_iters, args.warmup)),
        ]
        if round_index == 0:  # context only: Python with torch's own default thread count
            jobs.append(("python-opt-default", lambda: work.python("optimized", args.iters, args.warmup, 0)))
        if round_index % 2:
            jobs.reverse()
        for name, make in jobs:
            run = run_with_markers(make())
            if name == "native-opt":
                collected["native.optimized"].append(p50(run.metrics["latency"]))
            elif name == "native-slow":
                batch = args.batch
                collected["native.script"].append(p50(run.metrics[f"latency.script.b{batch}"]))
                collected["native.frozen"].append(p50(run.metrics[f"latency.frozen.b{batch}"]))
            elif name == "python-opt":
                collected["python.optimized"].append(p50(run.metrics["latency"]))
            elif name == "python-opt-default":
                key = "python.optimized.torch_default_threads"
                collected[key].append(p50(run.metrics["latency"]))
                threads_in_effect = run.info.get("torch.num_threads")
            else:
                collected["python.eager"].append(p50(run.metrics["latency"]))
    result = {key: {"p50_ms": p50(values), "rounds": [round(v, 3) for v in values]}
              for key, values in collected.items()}
    result["python.optimized.torch_default_threads"]["threads"] = threads_in_effect
    return result


def verdict(value, target):
    return "PASS" if value <= target else "MISS"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--native", required=True, help="path to coldbench-torch")
    parser.add_argument("--python", required=True, help="interpreter that imports torch")
    parser.add_argument("--python-workload", required=True, help="examples/python/mobilenet_v2_benchmark.py")
    parser.add_argument("--model-file", required=True, help="mobilenet_v2.pt (with its .json sidecar)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--iters", type=int, default=200, help="iterations of the fast (optimized) runs")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of warm runs")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold runs per side")
    parser.add_argument("--json", help="also write everything measured to this file")
    args = parser.parse_args()

    with open(os.path.splitext(args.model_file)[0] + ".json") as handle:
        sidecar = json.load(handle)
    work = Workloads(args)
    load = os.getloadavg()
    cpus = len(os.sched_getaffinity(0))
    print(f"torch_vs_python: {sidecar['name']}, batch {args.batch}, {args.threads} threads; "
          f"{cpus} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    if load[0] > cpus:
        print(f"  warning: load average {load[0]:.1f} > {cpus} CPUs: other work is running; ratios "
              f"are measured interleaved, absolute times will be noisy", flush=True)
    print(f"  native: {args.native}\n  python: {args.python} {args.python_workload}", flush=True)

    # Files to evict for a cold start: what each side maps by model_loaded,
    # plus the modules Python reads (read, not mapped), plus the model.
    native_probe = run_with_markers(work.native("optimized", 1, 0), capture_maps_at="model_loaded")
    python_probe = run_with_markers(work.python("optimized", 1, 0), capture_maps_at="model_loaded")
    files = sorted(native_probe.mapped_files | python_probe.mapped_files |
                   python_module_files(args.python) | {os.path.realpath(args.model_file),
                                                       os.path.realpath(args.native)})
    total_mib = sum(os.path.getsize(f) for f in files) / 2**20
    print(f"  cold start evicts {len(files)} files ({total_mib:.0f} MiB) before every run", flush=True)

    cold = cold_start(args, work, files)
    warm = warm_latency(args, work)

    native_modes = {mode: warm[f"native.{mode}"]["p50_ms"] for mode in ("script", "frozen", "optimized")}
    best_mode = min(native_modes, key=native_modes.get)
    ratios = {
        "optimized": native_modes["optimized"] / warm["python.optimized"]["p50_ms"],
        "best_vs_eager": native_modes[best_mode] / warm["python.eager"]["p50_ms"],
        "cold_start": cold["native"]["model_loaded_ms"] / cold["python"]["model_loaded_ms"],
    }

    print("\ncold start, page cache evicted before each run (median of "
          f"{args.cold_runs}; residency after eviction <= {cold['residency_after_evict']['resident_mib']:.1f}"
          f" of {cold['residency_after_evict']['total_mib']:.0f} MiB, the rest mapped by other processes):")
    for side in ("native", "python"):
        c = cold[side]
        print(f"  {side:<7} spawn -> runtime_ready {c['runtime_ready_ms']:8.1f} ms   spawn -> model_loaded "
              f"{c['model_loaded_ms']:8.1f} ms   (runs: {', '.join(f'{v:.0f}' for v in c['runs'])})")
    print(f"\nwarm latency p50, batch {args.batch}, {args.threads} threads (median of {args.rounds} "
          "interleaved rounds):")
    for key, value in warm.items():
        label = key
        if "threads" in value:
            label = f"(python.optimized at torch's default of {value['threads']} thread(s), for context)"
        print(f"  {label:<18} {value['p50_ms']:9.3f} ms   (rounds: {', '.join(f'{v:.2f}' for v in value['rounds'])})")

    rows = [
        ("optimized: native / Python torch.jit.optimize_for_inference", "optimized"),
        (f"best native mode ({best_mode}) / Python eager", "best_vs_eager"),
        ("cold start (spawn -> model_loaded): native / Python", "cold_start"),
    ]
    print(f"\n{'ratio':<62} {'value':>7} {'target':>8}  verdict")
    for label, key in rows:
        print(f"{label:<62} {ratios[key]:7.3f} {'<= ' + str(TARGETS[key]):>8}  {verdict(ratios[key], TARGETS[key])}")

    peak_gflops, derivation = cpu_peak(args.threads)
    flops = float(sidecar["flops_per_sample"]) * args.batch
    floor_ms = flops / (peak_gflops * 1e9) * 1e3
    best_ms = native_modes[best_mode]
    print(f"\ncompute floor: {flops / 1e9:.3f} GFLOP per batch ({sidecar.get('flops_note', 'model FLOPs')})")
    print(f"  peak: {derivation}")
    print(f"  floor = {floor_ms:.2f} ms; best native ({best_mode}) {best_ms:.2f} ms = "
          f"{best_ms / floor_ms:.1f}x the floor ({100 * floor_ms / best_ms:.0f}% of peak)")

    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"ratios": ratios, "targets": TARGETS, "cold_start": cold, "warm": warm,
                       "best_native_mode": best_mode, "floor_ms": floor_ms, "peak_gflops": peak_gflops,
                       "peak_derivation": derivation, "load_average": load}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
