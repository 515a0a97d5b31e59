#!/usr/bin/env bash
# Cold starts of the Python example measured two ways, side by side:
#   coldbench run --cache cold   evicts only the workload's own files (posix_fadvise; no root)
#   hyperfine --prepare 'sync; echo 3 > /proc/sys/vm/drop_caches'   empties the whole page cache (root)
# Prints the coefficient of variation (sd / mean) of the total wall time of
# both, coldbench's runtime_ready CV and the residency of the tracked files
# before each run. Target: coldbench's wall CV no larger than hyperfine's.
#
# Usage: bench/cold_vs_hyperfine.sh [RUNS]    (default 10 runs each, interleaved one by one)
# Environment: COLDBENCH (default build/coldbench), PYTHON (default
# scripts/find-torch-python), EXAMPLE_ARGS (default "--iters 5 --warmup 1"),
# BENCH_USER: run the coldbench half as this user (setpriv), to show it needs no root.
# Needs root for hyperfine's drop_caches (it affects every program on the machine).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-10}"
coldbench="${COLDBENCH:-$root/build/coldbench}"
python="${PYTHON:-$("$root/scripts/find-torch-python")}"
example="$root/examples/python/mobilenet_v2_benchmark.py"
read -r -a example_args <<< "${EXAMPLE_ARGS:---iters 5 --warmup 1}"

die() { echo "cold_vs_hyperfine: $*" >&2; exit 2; }
[[ -x "$coldbench" ]] || die "no coldbench at $coldbench (build it, or set COLDBENCH)"
command -v hyperfine > /dev/null || die "hyperfine is not installed (Debian: apt-get install hyperfine)"
[[ "$(id -u)" == 0 && -w /proc/sys/vm/drop_caches ]] ||
  die "hyperfine's --prepare writes /proc/sys/vm/drop_caches: run as root (coldbench's half needs no root)"
[[ "$runs" =~ ^[0-9]+$ && "$runs" -ge 2 ]] || die "RUNS must be a number >= 2"

out="$(mktemp -d /var/tmp/cold-vs-hyperfine.XXXXXX)"
chmod 755 "$out"
trap '[[ -n "${KEEP:-}" ]] && echo "kept $out" >&2 || rm -rf "$out"' EXIT
as_user=()
if [[ -n "${BENCH_USER:-}" ]]; then
  as_user=(setpriv "--reuid=$(id -u "$BENCH_USER")" "--regid=$(id -g "$BENCH_USER")" --clear-groups)
  chown "$BENCH_USER" "$out"
fi

# The files to evict are found once, before any round (one traced run, not
# measured), so that every round of both tools starts from the same state.
echo "== discovering the workload's files (coldbench cache discover)" >&2
env XDG_CACHE_HOME="$out/cache" "${as_user[@]}" "$coldbench" cache discover \
  -- "$python" "$example" "${example_args[@]}" > /dev/null

# Interleaved one run at a time, so that both see the same background load.
printf -v command_line '%q ' "$python" "$example" "${example_args[@]}"
for ((i = 1; i <= runs; i++)); do
  echo "== round $i/$runs: coldbench run --cache cold${BENCH_USER:+ (as $BENCH_USER)}, then hyperfine with drop_caches" >&2
  env XDG_CACHE_HOME="$out/cache" "${as_user[@]}" "$coldbench" run --cache cold -r 1 --name mobilenet_v2 \
    --no-progress --json "$out/coldbench-$i.json" -- "$python" "$example" "${example_args[@]}" > /dev/null
  hyperfine --runs 1 --prepare 'sync; echo 3 > /proc/sys/vm/drop_caches' --style none \
    --export-json "$out/hyperfine-$i.json" "$command_line" > /dev/null
done

python3 - "$out" <<'EOF'
import glob
import json
import os
import statistics
import sys

out = sys.argv[1]


def cv(values):
    return statistics.stdev(values) / statistics.mean(values)


def holders_of(sizes):
    """Processes that map tracked files now, most tracked bytes first: those pages cannot be evicted or dropped."""
    found = []
    for maps in glob.glob("/proc/[0-9]*/maps"):
        pid = maps.split("/")[2]
        try:
            with open(maps) as f:
                mapped = {line.rstrip("\n").split(" ")[-1] for line in f} & sizes.keys()
            if not mapped:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(bytes(1), b" ").decode(errors="replace")[:70]
            found.append((sum(sizes[p] for p in mapped), f"{pid} {command}"))
        except OSError:
            pass
    return sorted(found, reverse=True)


runs, hf_wall = [], []
for path in sorted(glob.glob(os.path.join(out, "coldbench-*.json"))):
    with open(path) as f:
        runs += [r for r in json.load(f)["runs"] if not r["warmup"] and not r["error"]]
for path in sorted(glob.glob(os.path.join(out, "hyperfine-*.json"))):
    with open(path) as f:
        hf_wall += json.load(f)["results"][0]["times"]
cb_wall = [r["wall_ms"] / 1000 for r in runs]
cb_ready = [p["duration_ms"] / 1000 for r in runs for p in r["phases"] if p["name"] == "runtime_ready"]
residency = [100 * r["residency"]["resident_fraction"] for r in runs
             if r["residency"] and r["residency"]["tracked_files"]]

print(f"runs: coldbench {len(cb_wall)}, hyperfine {len(hf_wall)} (interleaved)")
print(f"total wall     coldbench --cache cold:  median {statistics.median(cb_wall):.3f} s, CV {100 * cv(cb_wall):.1f} %")
print(f"total wall     hyperfine + drop_caches: median {statistics.median(hf_wall):.3f} s, CV {100 * cv(hf_wall):.1f} %")
print("  per run (s), in order: coldbench " + " ".join(f"{w:.2f}" for w in cb_wall))
print("                         hyperfine " + " ".join(f"{w:.2f}" for w in hf_wall))
if len(cb_ready) >= 2:
    print(f"runtime_ready  coldbench --cache cold:  median {statistics.median(cb_ready):.3f} s, "
          f"CV {100 * cv(cb_ready):.1f} %")
if residency:
    last = runs[-1]["residency"]
    print(f"residency of the tracked files before each coldbench run: median {statistics.median(residency):.2f} %, "
          f"max {max(residency):.2f} % ({last['tracked_files']} files, {last['total_bytes'] / 2**20:.0f} MiB)")
    if max(residency) > 1:
        sizes = {}
        for entry in glob.glob(os.path.join(out, "cache", "coldbench", "discovery", "*.json")):
            with open(entry) as f:
                sizes.update({x["path"]: x["size_bytes"] for x in json.load(f)["files"]})
        holders = holders_of(sizes)
        print(f"note: pages that running programs map cannot be evicted (nor dropped by drop_caches); "
              f"{len(holders)} processes map tracked files now, the largest shares:")
        for mapped_bytes, holder in holders[:5]:
            print(f"  {mapped_bytes / 2**20:7.1f} MiB  {holder}")
verdict = "met" if cv(cb_wall) <= cv(hf_wall) else "NOT met"
print(f"target (coldbench wall CV <= hyperfine wall CV): {verdict}")
EOF
