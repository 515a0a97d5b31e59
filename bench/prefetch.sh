#!/usr/bin/env bash
# The prefetch remedy, measured: MobileNetV2's cold start natively
# (coldbench-torch infer) and in Python (examples/python), each as one sweep
# of three interleaved configs, cold, cold+prefetch (the list recorded in the
# config's warmup run, replayed by a harness thread racing the start) and
# warm. Prints, per workload, the medians of runtime_ready and the wall time,
# the ratios cold+prefetch/cold and warm/cold with their intervals (the
# sweep's own comparisons), and the share of the cold penalty the prefetch
# recovers (the prefetch_recovery finding). Target: at least half.
#
# Then the attribution is checked against vmtouch: one cold run of each
# workload, with vmtouch's resident pages of its top files just before the
# run (after vmtouch -e, the same eviction) and just after; they must agree
# with the run record's resident_before / resident_after within 1%.
#
# Usage: bench/prefetch.sh [RUNS]    (default 10 measured runs per config)
# Environment: COLDBENCH, COLDBENCH_TORCH (default build/...), PYTHON (default
# scripts/find-torch-python), KEEP=1 keeps the output folder, REPORT_ONLY=DIR
# prints the report of a kept folder again without running anything.
# Root: residency of /usr/lib files is visible only to root (docs/cache.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-10}"
coldbench="${COLDBENCH:-$root/build/coldbench}"
torch="${COLDBENCH_TORCH:-$root/build/coldbench-torch}"
python="${PYTHON:-$("$root/scripts/find-torch-python")}"
example="$root/examples/python/mobilenet_v2_benchmark.py"

die() { echo "prefetch: $*" >&2; exit 2; }
[[ -x "$coldbench" ]] || die "no coldbench at $coldbench (make build, or set COLDBENCH)"
[[ -x "$torch" ]] || die "no coldbench-torch at $torch (make build, or set COLDBENCH_TORCH)"
[[ "$runs" =~ ^[0-9]+$ && "$runs" -ge 3 ]] || die "RUNS must be a number >= 3"
[[ "$(id -u)" == 0 ]] || die "run as root: the residency of /usr/lib files is visible only to root"

if [[ -n "${REPORT_ONLY:-}" ]]; then
  out="$REPORT_ONLY"
else
  out="$(mktemp -d /var/tmp/prefetch-bench.XXXXXX)"
  trap '[[ -n "${KEEP:-}" ]] && echo "kept $out" >&2 || rm -rf "$out"' EXIT
fi
export XDG_CACHE_HOME="$out/cache"

native="$torch infer --model mobilenet_v2 --mode optimized --iters 5 --warmup 1"
pyexample="$python $example --iters 5 --warmup 1"

sweep() {  # NAME COMMAND
  cat > "$out/$1.toml" <<TOML
[experiment]
name = "prefetch-$1"
runs = $runs
warmup = 1
order = "interleaved"
timeout = "300s"

[defaults]
command = "$2"

[[config]]
name = "$1"

[matrix]
cache = ["cold", "cold+prefetch", "warm"]
TOML
  echo "== $1: cold, cold+prefetch, warm; $runs runs each, interleaved" >&2
  "$coldbench" sweep "$out/$1.toml" --db "$out/$1.sqlite" --json "$out/$1.json" --no-progress > "$out/$1.txt" 2> "$out/$1.err" ||
    { cat "$out/$1.err" >&2; die "the $1 sweep failed"; }
}

vmtouch_check() {  # NAME COMMAND...: one cold run between two vmtouch readings of its top files
  local name=$1
  shift
  command -v vmtouch > /dev/null || { echo "vmtouch is not installed (Debian: apt-get install vmtouch): check skipped" > "$out/$name.vmtouch"; return; }
  "$coldbench" run --cache cold -r 1 --no-progress --json "$out/$name-probe.json" -- "$@" > /dev/null
  mapfile -t files < <(python3 -c 'import json,sys; print("\n".join(f["path"] for f in json.load(open(sys.argv[1]))["runs"][-1]["cache_reads"]["top"][:5]))' "$out/$name-probe.json")
  vmtouch -q -e "${files[@]}"
  for f in "${files[@]}"; do echo "before $(vmtouch "$f" | awk '/Resident Pages/ {print $3}') $f"; done > "$out/$name.vmtouch"
  "$coldbench" run --cache cold -r 1 --no-progress --json "$out/$name-check.json" -- "$@" > /dev/null
  for f in "${files[@]}"; do echo "after $(vmtouch "$f" | awk '/Resident Pages/ {print $3}') $f"; done >> "$out/$name.vmtouch"
}

read -r -a native_argv <<< "$native"
read -r -a python_argv <<< "$pyexample"
if [[ -z "${REPORT_ONLY:-}" ]]; then
  sweep native "$native"
  sweep python "$pyexample"
  vmtouch_check native "${native_argv[@]}"
  vmtouch_check python "${python_argv[@]}"
fi

python3 - "$out" <<'PY'
import json
import os
import sys

out = sys.argv[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
failed = False


def ms(v):
    return f"{v / 1000:.3f} s" if v >= 1000 else f"{v:.1f} ms"


def interval(ci):
    if not ci or ci.get("low") is None:
        return "(no interval)"
    return f"[{ci['low']:.3f}x, {ci['high']:.3f}x] ({100 * ci['level']:.1f}% CI)"


for name in ("native", "python"):
    if not os.path.exists(os.path.join(out, f"{name}.json")):
        print(f"{name}: no results")
        failed = True
        continue
    doc = json.load(open(os.path.join(out, f"{name}.json")))
    summary = doc["summary"]
    by_mode = {}
    for c in summary["commands"]:
        mode = c["cache"]["mode"] if c.get("cache") else "?"
        by_mode[mode] = c
    print(f"{name}: MobileNetV2 cold start, {by_mode['cold']['measured_runs']} runs per config, interleaved")
    for mode in ("cold", "cold+prefetch", "warm"):
        c = by_mode[mode]
        phases = {p["name"]: p["stats"]["median"] for p in c["phases"]}
        print(f"  {mode:14} runtime_ready {ms(phases.get('runtime_ready', float('nan'))):>10}   wall {ms(c['wall']['stats']['median']):>10}")
    for cmp in summary["comparisons"]:
        for q in cmp["quantities"]:
            if q["quantity"] in ("runtime_ready", "wall"):
                print(f"  {cmp['candidate']} / {cmp['baseline']} {q['quantity']}: {q['ratio']:.3f}x {interval(q.get('ratio_ci'))}")
    reads = by_mode["cold"].get("cold_reads")
    if reads:
        top = ", ".join(f"{f['median_read_bytes'] / 2**20:.1f} MiB {os.path.basename(f['path'])}" for f in reads["files"][:3])
        print(f"  cold start read {reads['read_bytes']['stats']['median'] / 2**20:.1f} MiB per run: {top}")
        floor = reads.get("sequential_floor")
        if floor:
            print(f"  sequential floor: {floor['bytes'] / 2**20:.1f} MiB in {ms(floor['ms'])} ({floor['method']})")
    recovery = [f for f in summary["findings"] if f["id"] == "prefetch_recovery"]
    for f in recovery:
        effect = f["effect"]["value"]
        ci = f["effect"].get("interval") or {}
        low, high = ci.get("low"), ci.get("high")
        bounds = (f"[{100 * low:.0f}%, {100 * high:.0f}%] ({100 * ci['level']:.0f}%+ coverage)"
                  if low is not None else "(no interval)")
        met = effect >= 0.5
        failed = failed or not met
        print(f"  prefetch recovers {100 * effect:.0f}% {bounds} of the cold penalty in {f['subject'].split('/')[-1]}"
              f" (target >= 50%: {'met' if met else 'NOT met'})")
    if not recovery:
        failed = True
        print("  no prefetch_recovery finding (the cold penalty was not positive?)")
    for f in summary["findings"]:
        if f["id"] in ("cold_reads", "pages_left_resident"):
            print(f"  finding: {f['sentence']}")

    # vmtouch against the record, per file: before and after, in bytes (vmtouch counts pages).
    check = os.path.join(out, f"{name}.vmtouch")
    if not os.path.exists(check):
        print("  vmtouch check not run")
        continue
    lines = open(check).read().split("\n")
    if lines and lines[0].startswith("vmtouch is not installed"):
        print(f"  {lines[0]}")
        continue
    record = json.load(open(os.path.join(out, f"{name}-check.json")))["runs"][-1]["cache_reads"]["top"]
    ours = {f["path"]: f for f in record}
    worst = 0.0
    for line in filter(None, lines):
        when, pages, path = line.split(" ", 2)
        resident, total = (int(x) for x in pages.split("/"))
        f = ours.get(path)
        if f is None:
            print(f"  vmtouch: {os.path.basename(path)} gained nothing in the check run (not in its top files)")
            continue
        theirs = resident * PAGE
        mine = f["resident_before"] if when == "before" else f["resident_after"]
        diff = abs(theirs - mine) / max(f["size_bytes"], 1)
        worst = max(worst, diff)
        print(f"  vmtouch {when:6} {os.path.basename(path):32} vmtouch {theirs / 2**20:8.2f} MiB  coldbench {mine / 2**20:8.2f} MiB")
    agree = worst <= 0.01
    failed = failed or not agree
    print(f"  vmtouch agreement: largest difference {100 * worst:.2f}% of a file ({'ok' if agree else 'DISAGREE'}, bound 1%)")
sys.exit(1 if failed else 0)
PY
