#!/usr/bin/env bash
# Peak rate under an SLO with and without serve's dynamic batching, and
# coldbench load's own CPU per request against wrk's (issue 15).
#
# 1. `coldbench load --find-peak --slo p99=50ms` against MobileNetV2
#    (optimized, 224x224, one worker) started by coldbench on 127.0.0.1:
#    once plain (--max-batch 1) and once with --max-batch 8 --batch-timeout 5;
#    prints each search's steps, both peaks and their ratio.
# 2. The load generator's CPU: wrk (-t1) runs for SECONDS on serve's /healthz
#    and reports N requests; `coldbench load --closed-loop --requests N` sends
#    the same N with the same connections; each client's user+system CPU comes
#    from getrusage(RUSAGE_CHILDREN) around it. Interleaved ROUNDS; prints
#    microseconds of CPU per request for each and the median ratio.
#
#   bench/load_peak.sh
#   START_RATE=10 STEP_S=30 SLO=p99=100ms ROUNDS=5 bench/load_peak.sh
# Each step must hold 1.25x the requests the SLO needs (p99: 299 -> 374), so START_RATE x
# STEP_S >= 374, and the lowest rate a search can go down to is 374 / STEP_S. The
# defaults (20/s, 40 s steps: down to 9.4/s; at most 6 steps) take about 9 minutes;
# with 25 s steps most p99 intervals were too wide to decide (inconclusive).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_load_prologue load_peak
slo="${SLO:-p99=50ms}"
start_rate="${START_RATE:-20}"
step_s="${STEP_S:-40}"
max_batch="${MAX_BATCH:-8}"
batch_timeout="${BATCH_TIMEOUT:-5}"
threads="${THREADS:-2}"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_ROUND:-3}"
connections="${CONNECTIONS:-4}"

/usr/bin/python3 - "$tmp/x.bin" <<'PY'
import random, struct, sys
random.seed(1)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<150528f", *(random.uniform(-1, 1) for _ in range(150528))))  # 1x3x224x224
PY
shape="1,3,224,224"
predict=/v1/models/mobilenet_v2:predict
echo "load_peak: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "load_peak: MobileNetV2 optimized, 1 worker, $threads threads; SLO $slo; steps of ${step_s}s from ${start_rate}/s"

find_peak() {  # label, then extra serve options
  local label="$1"; shift
  OMP_NUM_THREADS="$threads" "$build/coldbench" load --no-progress --url "$predict" \
    --body-file "$tmp/x.bin" --header "X-Shape: $shape" --header "Content-Type: application/octet-stream" \
    --arrival poisson --rate "$start_rate" --duration "${step_s}s" --warmup-s 1 --timeout 5s --connections 32 \
    --find-peak --slo "$slo" --peak-tolerance 0.1 --peak-max-steps "${MAX_STEPS:-6}" --json "$tmp/$label.json" \
    --server-log "$tmp/$label.log" -- \
    "$build/coldbench-torch" serve --model mobilenet_v2 --mode optimized --threads "$threads" --workers 1 \
    --queue 64 --port 0 --log off --warmup 5 "$@" | sed "s/^/  [$label] /" || true
}
find_peak plain
find_peak batched --max-batch "$max_batch" --batch-timeout "$batch_timeout"
/usr/bin/python3 - "$tmp/plain.json" "$tmp/batched.json" "$max_batch" "$batch_timeout" <<'PY'
import json, sys
plain, batched = (json.load(open(p))["peak"] for p in sys.argv[1:3])
def text(p):
    if p["peak_rate"] is None:
        return "none"
    fail = p["first_fail_rate"]
    return f"{p['peak_rate']:.1f}/s (bracket [{p['peak_rate']:.1f}, {fail:.1f}))" if fail else f">= {p['peak_rate']:.1f}/s"
print(f"peak under {plain['slo']}: plain {text(plain)}; --max-batch {sys.argv[3]} --batch-timeout {sys.argv[4]}: {text(batched)}")
if plain["peak_rate"] and batched["peak_rate"]:
    print(f"  ratio batched / plain: {batched['peak_rate'] / plain['peak_rate']:.2f}")
PY

# --- 2. the client's CPU per request, against wrk on the same endpoint --------------------
OMP_NUM_THREADS=1 "$build/coldbench-torch" serve --model tiny_cnn --threads 1 --port 0 --log off \
  >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
origin=""
for _ in $(seq 300); do
  origin=$(sed -n 's/^ready \(http:[^ ]*\).*/\1/p' "$tmp/serve.out" | head -1)
  [[ -n "$origin" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "load_peak: serve exited: $(tail -3 "$tmp/serve.err")" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$origin" ]] || { echo "load_peak: serve did not become ready in 30 s" >&2; exit 1; }
echo "load_peak: client CPU per request on $origin/healthz, closed loop, $connections connections, $rounds rounds"
/usr/bin/python3 - "$build/coldbench" "$origin/healthz" "$connections" "$seconds" "$rounds" "$tmp" <<'PY'
import json, os, re, resource, statistics, subprocess, sys
coldbench, url, connections, seconds, rounds, tmp = sys.argv[1:7]

def cpu_of(argv):
    """(user+system CPU seconds of the child, its stdout)"""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=int(seconds) + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"load_peak: {argv[0]} failed: {out.stderr[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out.stdout

ratios = []
for r in range(1, int(rounds) + 1):
    wrk_cpu, text = cpu_of(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url])
    n = int(re.search(r"(\d+) requests in", text).group(1))
    path = os.path.join(tmp, "cpu.json")
    cb_cpu, _ = cpu_of([coldbench, "load", "--no-progress", "--url", url, "--closed-loop",
                        "--connections", connections, "--requests", str(n), "--json", path])
    cb_n = json.load(open(path))["load"]["measured"]["requests"]
    wrk_us, cb_us = wrk_cpu / n * 1e6, cb_cpu / cb_n * 1e6
    ratios.append(cb_us / wrk_us)
    print(f"  round {r}: {n} requests each; CPU per request: coldbench {cb_us:.1f} us, wrk {wrk_us:.1f} us, "
          f"ratio {cb_us / wrk_us:.2f}")
print(f"  median ratio coldbench / wrk CPU per request: {statistics.median(ratios):.2f}")
PY
