#!/usr/bin/env python3
"""MobileNetV2 cold-start and latency benchmark (Debian torch + torchvision).

The Python workload users run today, instrumented for coldbench: it emits the
standard phases (runtime_ready, model_loaded, [model_optimized], warmup_done,
inference_done) and every iteration's latency through the marker protocol, and
prints a human log whose lines the harness can also parse with regexes:

    coldbench run -r 5 -- /usr/bin/python3 examples/python/mobilenet_v2_benchmark.py

Without coldbench the markers are no-ops and the log and summary still print.
If the interpreter running this script cannot import torch, the script looks
for one that can ($COLDBENCH_PYTHON, /usr/bin/python3, python3.X on PATH); run
by hand it says so on stderr and re-runs itself there, but measured by
coldbench it exits 2 with the command to run instead, since a switch inside a
measured run would be timed as start-up.
"""

import time

_START = time.monotonic()

import argparse
import os
import shutil
import sys

# A re-executed copy keeps the first process's start, so its log covers both.
_START = float(os.environ.get("COLDBENCH_EXAMPLE_START", _START))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import coldbench_marker as cb  # noqa: E402


def log(message):
    print(f"[{time.monotonic() - _START:.3f}s] {message}", flush=True)


def _torch_python_candidates():
    candidates = [os.environ.get("COLDBENCH_PYTHON", ""), "/usr/bin/python3"]
    for minor in range(13, 8, -1):
        found = shutil.which(f"python3.{minor}")
        if found:
            candidates.append(found)
    current = os.path.realpath(sys.executable)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and os.path.realpath(candidate) != current:
            if os.system(f"'{candidate}' -c 'import torch, torchvision' >/dev/null 2>&1") == 0:
                yield candidate


def _reexec_under_torch_python(error):
    candidate = next(_torch_python_candidates(), None) if os.environ.get("COLDBENCH_REEXEC") != "1" else None
    if os.environ.get("COLDBENCH_RUN_ID"):  # set by coldbench for every run, --no-markers included
        # Measured by coldbench: switching here would time two interpreter start-ups and the probes
        # as this run's runtime_ready. Refuse, and say what to run instead.
        script = os.path.relpath(os.path.abspath(__file__))
        print(f"error: {sys.executable} cannot import torch ({error}); a measured run does not switch "
              f"interpreters, since the switch would be timed as start-up.", file=sys.stderr)
        if candidate:
            print(f"  fix: coldbench run ... -- {candidate} {script} {' '.join(sys.argv[1:])}".rstrip(),
                  file=sys.stderr)
        else:
            print("  fix: install Debian's python3-torch and python3-torchvision (scripts/bootstrap), "
                  "then run this script under the interpreter that imports them", file=sys.stderr)
        sys.exit(2)
    if candidate:
        print(f"note: {sys.executable} cannot import torch ({error}); "
              f"re-running under {candidate} (set COLDBENCH_PYTHON to choose)",
              file=sys.stderr, flush=True)
        os.environ["COLDBENCH_REEXEC"] = "1"
        os.environ["COLDBENCH_EXAMPLE_START"] = repr(_START)
        os.execv(candidate, [candidate, os.path.abspath(__file__)] + sys.argv[1:])
    print(f"error: no Python interpreter here can import torch and torchvision ({error}).\n"
          f"  fix: install Debian's python3-torch and python3-torchvision (scripts/bootstrap), "
          f"or set COLDBENCH_PYTHON=/path/to/python", file=sys.stderr)
    sys.exit(2)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iters", type=int, default=100, help="measured inference iterations (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="warmup iterations, not measured (default 10)")
    parser.add_argument("--batch-size", type=int, default=1, help="batch size (default 1)")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: torch's own)")
    parser.add_argument("--mode", choices=["eager", "script", "optimized"], default="eager",
                        help="eager torchvision module, TorchScript, or torch.jit.optimize_for_inference")
    parser.add_argument("--model-file", default="",
                        help="load this TorchScript file instead of building torchvision's definition")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and input (default 0)")
    args = parser.parse_args()
    for name in ("iters", "batch_size"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    if args.warmup < 0 or args.threads < 0:
        parser.error("--warmup and --threads must not be negative")
    if args.model_file and not os.path.isfile(args.model_file):
        parser.error(f"--model-file {args.model_file}: no such file (build models with `make`)")
    return args


def main():
    args = parse_args()
    if os.environ.get("COLDBENCH_REEXEC") != "1":
        log("Python Process Started, Importing Torch...")
    try:
        import torch
        import torchvision
    except ImportError as error:
        _reexec_under_torch_python(error)
    cb.phase("runtime_ready")
    log(f"Import Torch Done, Time Spent: {time.monotonic() - _START:.3f}s")

    if args.threads:
        torch.set_num_threads(args.threads)
    env = {k: os.environ.get(k, "") for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    print("=== Runtime Info ===")
    print(f"python: {sys.version.split()[0]}")
    print(f"torch: {torch.__version__} torchvision: {torchvision.__version__}")
    print(f"backends mkldnn={torch.backends.mkldnn.is_available()} mkl={torch.backends.mkl.is_available()} "
          f"openmp={torch.backends.openmp.is_available()}")
    print(f"torch threads: compute={torch.get_num_threads()} interop={torch.get_num_interop_threads()}")
    print("envs " + " ".join(f"{k}={v}" for k, v in env.items()))
    print("====================", flush=True)
    cb.info("python.version", sys.version.split()[0])
    cb.info("torch.version", torch.__version__)
    cb.info("torch.num_threads", torch.get_num_threads())
    cb.info("torch.num_interop_threads", torch.get_num_interop_threads())
    for key, value in env.items():
        cb.info(f"env.{key}", value)

    log("Loading Model...")
    phase_start = time.monotonic()
    torch.manual_seed(args.seed)
    if args.model_file:
        model = torch.jit.load(args.model_file)
    else:
        model = torchvision.models.mobilenet_v2(weights=None)
    model.eval()
    cb.phase("model_loaded")
    log(f"Model Loaded, Time Spent: {time.monotonic() - phase_start:.3f}s")

    if args.mode != "eager":
        phase_start = time.monotonic()
        if not isinstance(model, torch.jit.ScriptModule):
            model = torch.jit.script(model)
        if args.mode == "optimized":
            model = torch.jit.optimize_for_inference(torch.jit.freeze(model.eval()))
        cb.phase("model_optimized")
        log(f"Model Optimized ({args.mode}), Time Spent: {time.monotonic() - phase_start:.3f}s")

    generator = torch.Generator().manual_seed(args.seed)
    batch = torch.randn(args.batch_size, 3, 224, 224, generator=generator)
    log("Starting Warmup...")
    phase_start = time.monotonic()
    with torch.inference_mode():
        for _ in range(args.warmup):
            model(batch)
    cb.phase("warmup_done")
    log(f"Warmup Done, Time Spent: {time.monotonic() - phase_start:.3f}s")

    log(f"Starting Inference Loop ({args.iters} iters)...")
    latencies = []
    with torch.inference_mode():
        for _ in range(args.iters):
            t0 = time.perf_counter()
            model(batch)
            latencies.append((time.perf_counter() - t0) * 1000.0)
    cb.phase("inference_done")
    cb.metric("latency", latencies, unit="ms")
    mean = sum(latencies) / len(latencies)
    log(f"Inference Done. Avg Latency: {mean:.2f} ms")

    ordered = sorted(latencies)

    def pct(p):  # type-7 quantile, the definition coldbench uses
        position = (len(ordered) - 1) * p
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    throughput = args.batch_size * 1000.0 / mean
    cb.metric("throughput", throughput, unit="samples/s")
    print(f"Summary: mode={args.mode} batch={args.batch_size} iters={args.iters} "
          f"p50={pct(0.5):.2f} ms p95={pct(0.95):.2f} ms p99={pct(0.99):.2f} ms "
          f"throughput={throughput:.1f} samples/s total={time.monotonic() - _START:.3f}s", flush=True)


if __name__ == "__main__":
    main()
