"""Writes coldbench/1 results files with controlled noise (standard library only).

Used by the compare tests: identical settings with different seeds give A/A
pairs whose only differences are the seeded noise; `scale` makes every time
slower or faster by a known factor. Also runnable:
  python3 synthetic_results.py OUT.json --seed 1 [--scale 1.1] [--runs 15] [--noise 0.03]
"""

import argparse
import json
import random

# Configs as a small study: phase means in ms and per-iteration latency.
DEFAULT_CONFIGS = {
    "script": {"runtime_ready": 300.0, "model_loaded": 80.0, "first_inference": 25.0, "latency": 6.0},
    "optimized": {"runtime_ready": 300.0, "model_loaded": 95.0, "first_inference": 18.0, "latency": 4.5},
}


def results_document(seed, scale=1.0, runs=15, noise=0.03, configs=None, iterations=50):
    """A results document: `runs` measured runs per config, every time x `scale`,
    each value normal with `noise` relative standard deviation (seeded)."""
    configs = configs or DEFAULT_CONFIGS
    rng = random.Random(seed)
    names = list(configs)
    document = {
        "schema": "coldbench/1",
        "tool": {"name": "coldbench", "version": "synthetic"},
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:01:00Z",
        "interrupted": False,
        "host": {"hostname": "synthetic", "kernel": "", "cpu_model": "", "online_cpus": 2, "memory_bytes": 0},
        "options": {"runs": runs, "seed": seed},
        "commands": [{"name": n, "command": n, "argv": [n], "shell": False} for n in names],
        "runs": [],
        "summary": None,
    }
    sequence = 0
    for index in range(runs):
        for c, name in enumerate(names):
            plan = configs[name]
            phases, end = [], 0.0
            for phase in ("runtime_ready", "model_loaded", "first_inference"):
                duration = max(0.001, rng.gauss(plan[phase] * scale, plan[phase] * scale * noise))
                end += duration
                phases.append({"name": phase, "end_ms": end, "duration_ms": duration, "source": "marker"})
            latency = [max(0.001, rng.gauss(plan["latency"] * scale, plan["latency"] * scale * noise))
                       for _ in range(iterations)]
            wall = end + sum(latency) + 1.0
            document["runs"].append({
                "command": name, "command_index": c, "index": index, "sequence": sequence, "warmup": False,
                "started_at": "2026-01-01T00:00:00Z", "wall_ms": wall, "exit_code": 0, "signal": None,
                "timed_out": False, "oom_killed": False, "succeeded": True, "error": "",
                "cpu": {"user_ms": wall, "system_ms": 1.0}, "max_rss_kb": 200000,
                "page_faults": {"minor": 1000, "major": 0}, "context_switches": {"voluntary": 10, "involuntary": 1},
                "phases": phases, "metrics": [{"name": "latency", "unit": "ms", "values": latency}],
                "info": {"torch.num_threads": 2}, "malformed_markers": 0, "output_tail": "",
                "cgroup": None, "limits": None, "residency": None, "isolation": "host", "labels": {"mode": name},
            })
            sequence += 1
    return document


def write_results(path, **kwargs):
    with open(path, "w") as f:
        json.dump(results_document(**kwargs), f)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--noise", type=float, default=0.03)
    args = parser.parse_args()
    write_results(args.out, seed=args.seed, scale=args.scale, runs=args.runs, noise=args.noise)
