#!/usr/bin/env bash
# What a container adds to a cold start, measured by coldbench itself: the
# same coldbench-torch binary, model and host libraries on the host and in a
# container of the host image (scripts/host-image: the host's /usr, read-only),
# with a cold and with a warm page cache. Per cache state it prints the median
# wall time of each, their difference in ms with a 95% bootstrap CI, the ratio
# of medians with its CI from `coldbench compare`, and the container's extra
# time split into
#   engine start  spawn -> container_ready (the entry point inside is running)
#   workload      container_ready -> workload_exited, against the host run's whole wall time
#   engine exit   workload_exited -> reaped (the engine tearing the container down)
#
#   bench/container_overhead.sh [BUILD_DIR] [RUNS_PER_ROUND] [ROUNDS] [ENGINE]
#                               (defaults: build, 2, 5, podman: 10 runs a side and cache state)
#
# Host and container sessions alternate in every round (host first in odd
# rounds, the container in even ones) so a shared machine's drift hits both
# alike; each side's rounds are then pooled into one results file for
# `coldbench compare`. One unmeasured session per side comes first. ENGINE
# docker needs a Docker API (DOCKER_HOST; scripts/docker-service starts podman's).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-2}
rounds=${3:-5}
engine=${4:-podman}
image=localhost/coldbench-host:1
coldbench=$build/coldbench
torch=$(cd "$build" 2>/dev/null && pwd)/coldbench-torch
for tool in "$coldbench" "$torch"; do
  [[ -x $tool ]] || { echo "container_overhead.sh: $tool not built; run 'make' (with COLDBENCH_WITH_TORCH=ON)" >&2; exit 2; }
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "container_overhead.sh: RUNS_PER_ROUND must be a positive number (got '$runs')" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ && $((runs * rounds)) -ge 3 ]] ||
  { echo "container_overhead.sh: ROUNDS must be a positive number, with at least 3 runs in all (got '$rounds')" >&2; exit 2; }
command -v python3 >/dev/null || { echo "container_overhead.sh: needs python3 to read the JSON results" >&2; exit 2; }
build_abs=$(cd "$build" && pwd)

# The image (built once, a few kB); exit 2 with the fix where the engine cannot run.
scripts/host-image --engine "$engine" --tag "$image" >&2

tmp=$(mktemp -d /var/tmp/cb-container-overhead-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# A cold start, not a throughput test: few iterations, one compute thread (two
# OpenMP threads on a shared 2-CPU machine spin against each other and swamp
# the difference measured here).
workload=("$torch" infer --model mobilenet_v2 --iters 5 --warmup 1)

# coldbench cannot trace into a container, but the host image reads the very
# same host files: track what the host run opens (traced once) in both.
"$coldbench" cache discover --list -- "${workload[@]}" 2>/dev/null | awk '$1 ~ /^\// {print $1}' >"$tmp/files"
[[ -s $tmp/files ]] || { echo "container_overhead.sh: discovery found no files; see 'coldbench cache discover -- ${workload[*]}'" >&2; exit 2; }
track=()
while read -r path; do track+=(--track "$path"); done <"$tmp/files"

session() {  # side cache label runs
  local side=$1 cache=$2 label=$3 n=$4 where=()
  [[ $side == container ]] && where=(--isolate "$engine" --image "$image" --mount "$build_abs:$build_abs:ro")
  "$coldbench" run -r "$n" --no-progress --threads 1 --cache "$cache" --no-discover "${track[@]}" \
    --name mobilenet_v2 "${where[@]}" --json "$tmp/$side-$cache-$label.json" -- "${workload[@]}" \
    >"$tmp/$side-$cache-$label.txt" 2>&1 || { cat "$tmp/$side-$cache-$label.txt" >&2; exit 2; }
}

echo "container vs host: $rounds rounds x $runs runs a side and cache state, $engine, image $image" \
  "($(nproc) CPUs, $(uname -r))" >&2
# Unmeasured: the first container after a while pays for engine state the next ones find ready.
session host warm warmup 1
session container warm warmup 1
for round in $(seq 1 "$rounds"); do
  echo "  round $round/$rounds" >&2
  for cache in warm cold; do
    if (( round % 2 )); then
      session host "$cache" "$round" "$runs"; session container "$cache" "$round" "$runs"
    else
      session container "$cache" "$round" "$runs"; session host "$cache" "$round" "$runs"
    fi
  done
done
busy=$(grep -l "warning: machine busy" "$tmp"/*-[0-9]*.txt | wc -l)
(( busy == 0 )) || echo "  $busy of $((rounds * 4)) sessions ran on a busy machine (coldbench's warning; docs/machine-noise.md)" >&2

# Each side's rounds as one results file (runs renumbered; compare recomputes from the runs).
python3 - "$tmp" <<'PY'
import glob, json, os, sys
tmp = sys.argv[1]
for side in ("host", "container"):
    for cache in ("warm", "cold"):
        paths = sorted(glob.glob(os.path.join(tmp, f"{side}-{cache}-[0-9]*.json")))
        with open(paths[0]) as f:
            pooled = json.load(f)
        pooled["runs"] = []
        for path in paths:
            with open(path) as f:
                pooled["runs"] += [r for r in json.load(f)["runs"] if not r["warmup"]]
        for i, run in enumerate(pooled["runs"]):
            run["index"] = run["sequence"] = i
        pooled.pop("summary", None)  # per session; compare computes its own
        with open(os.path.join(tmp, f"{side}-{cache}.json"), "w") as f:
            json.dump(pooled, f)
PY
for cache in warm cold; do
  # The ratio of medians with its interval, from the same statistics as the regression gate.
  "$coldbench" compare "$tmp/host-$cache.json" "$tmp/container-$cache.json" --json "$tmp/compare-$cache.json" \
    >"$tmp/compare-$cache.txt" 2>&1 || true
  [[ -s $tmp/compare-$cache.json ]] || { cat "$tmp/compare-$cache.txt" >&2; exit 2; }
done

python3 - "$tmp" "$engine" <<'PY'
import json, os, random, statistics, sys

tmp, engine = sys.argv[1], sys.argv[2]

def runs(side, cache):
    with open(os.path.join(tmp, f"{side}-{cache}.json")) as f:
        return [r for r in json.load(f)["runs"] if not r["warmup"] and r["succeeded"]]

def end(run, phase):
    return next(p["end_ms"] for p in run["phases"] if p["name"] == phase)

def duration(run, phase):
    return next(p["duration_ms"] for p in run["phases"] if p["name"] == phase)

def median_diff_ci(base, other, resamples=2000):
    rng = random.Random(1)
    diffs = sorted(statistics.median(rng.choices(other, k=len(other))) -
                   statistics.median(rng.choices(base, k=len(base))) for _ in range(resamples))
    return (statistics.median(other) - statistics.median(base),
            diffs[int(0.025 * resamples)], diffs[int(0.975 * resamples) - 1])

def ratios(cache):
    with open(os.path.join(tmp, f"compare-{cache}.json")) as f:
        [config] = json.load(f)["configs"]
    return {q["quantity"]: q for q in config["quantities"]}

def ratio_text(q):
    ci = q["ratio_ci"]
    return f"{q['ratio']:.3f}x [{ci['low']:.3f}, {ci['high']:.3f}]" + ("" if ci["level"] >= 0.949 else
                                                                         f" ({ci['level']:.0%})")

def diff_text(d):
    return f"{d[0]:+9.1f} ms [{d[1]:+.1f}, {d[2]:+.1f}]"

print(f"{'cache':<6}{'quantity':<31}{'n':>4}{'host':>12}{'container':>12}{'difference [95% CI]':>32}"
      f"{'ratio [CI]':>30}")
for cache in ("warm", "cold"):
    host, box = runs("host", cache), runs("container", cache)
    if not host or not box:
        print(f"{cache:<6}no successful runs on one side: see the sessions' output")
        continue
    q = ratios(cache)
    n = min(len(host), len(box))
    rows = [("wall (spawn -> reaped)", [r["wall_ms"] for r in host], [r["wall_ms"] for r in box], q.get("wall"))]
    for phase in ("runtime_ready", "model_loaded", "first_inference"):
        rows.append((f"  phase {phase}", [duration(r, phase) for r in host], [duration(r, phase) for r in box],
                     q.get(phase)))
    # The split, adding up to the wall difference: the engine's start, the workload's own time
    # (its whole process on the host), and the engine's teardown after the workload exited.
    rows.append(("engine start (-> ready)", [0.0] * len(host), [end(r, "container_ready") for r in box], None))
    rows.append(("workload (ready -> exited)", [r["wall_ms"] for r in host],
                 [end(r, "workload_exited") - end(r, "container_ready") for r in box], None))
    rows.append(("engine exit (exited -> reaped)", [0.0] * len(host),
                 [r["wall_ms"] - end(r, "workload_exited") for r in box], None))
    for label, h, b, quantity in rows:
        print(f"{cache:<6}{label:<31}{n:>4}{statistics.median(h):>9.1f} ms{statistics.median(b):>9.1f} ms"
              f"{diff_text(median_diff_ci(h, b)):>32}{ratio_text(quantity) if quantity else '':>30}")
print(f"engine: {engine}; difference = container median - host median (bootstrap CI of the difference of "
      "medians); ratio = median(container) / median(host) with the Hodges-Lehmann CI of coldbench compare")
PY
