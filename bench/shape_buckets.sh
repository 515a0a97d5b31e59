#!/usr/bin/env bash
# Inputs of varying size with and without shape buckets, in one run
# (issue: seeds/004 8.6). The same seeded stream of sizes (H and W uniform in
# RANGE) goes through `coldbench-torch infer --size-range` twice per round:
# unbucketed (every new size runs at a shape LibTorch has not seen), and
# padded to WIDTH-pixel buckets, all prepared before ready (--precompile).
# Prints p50/p99 of both and their ratios (target: p50 at least 2x lower
# with buckets), the hit rate, memory and preparation time per bucket, and
# top-1 agreement of the padded output with the unpadded one.
#
#   bench/shape_buckets.sh                              # mobilenet_v2 optimized, 160-320, 32 px, 200 requests, 2 rounds
#   MODEL=resnet18 RANGE=160-320 WIDTH=64 REQUESTS=300 ROUNDS=3 THREADS=2 bench/shape_buckets.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
model="${MODEL:-mobilenet_v2}"
mode="${MODE:-optimized}"
range="${RANGE:-160-320}"
width="${WIDTH:-32}"
requests="${REQUESTS:-200}"
rounds="${ROUNDS:-2}"
threads="${THREADS:-2}"
torch_bin="$build/coldbench-torch"
if [[ ! -x "$torch_bin" ]]; then
  echo "shape_buckets: $torch_bin is missing. fix: build with -DCOLDBENCH_WITH_TORCH=ON (cmake --build $build)" >&2
  exit 2
fi
py=python3
command -v "$py" >/dev/null || { echo "shape_buckets: needs python3 (stdlib only) to read the JSON" >&2; exit 2; }
lo="${range%-*}"; hi="${range#*-}"
# Every bucket of the range fits in the cache: ceil(hi/w) - ceil(lo/w) + 1 per side.
per_side=$(( (hi + width - 1) / width - (lo + width - 1) / width + 1 ))
cache=$(( per_side * per_side ))
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "shape_buckets: $model ($mode), sizes $range, ${width}-pixel buckets ($cache, all precompiled), $threads thread(s), $rounds rounds of $requests requests"
for round in $(seq "$rounds"); do
  "$torch_bin" infer --model "$model" --mode "$mode" --threads "$threads" --size-range "$range" --iters "$requests" \
    --seed "$round" --quiet --json "$tmp/plain.$round.json"
  "$torch_bin" infer --model "$model" --mode "$mode" --threads "$threads" --size-range "$range" --iters "$requests" \
    --seed "$round" --bucket-width "$width" --bucket-cache "$cache" --precompile --quiet --json "$tmp/bucket.$round.json"
done

"$py" - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
plain = [json.load(open(f"{tmp}/plain.{r}.json")) for r in range(1, rounds + 1)]
bucket = [json.load(open(f"{tmp}/bucket.{r}.json")) for r in range(1, rounds + 1)]
def med(docs, q):
    return statistics.median(d["latency_ms"]["all"][q] for d in docs)
p50, p99 = med(plain, "p50"), med(plain, "p99")
b50, b99 = med(bucket, "p50"), med(bucket, "p99")
print(f"  unbucketed   p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   distinct sizes {statistics.median(d['distinct_sizes'] for d in plain):.0f}"
      f", first-seen p50 {statistics.median(d['latency_ms']['first_seen'].get('p50', float('nan')) for d in plain):.2f} ms")
print(f"  bucketed     p50 {b50:8.2f} ms   p99 {b99:8.2f} ms")
ratio = p50 / b50
print(f"  ratio (unbucketed / bucketed): p50 {ratio:.2f}x, p99 {p99 / b99:.2f}x   "
      f"(target p50 >= 2x: {'met' if ratio >= 2 else 'NOT met'})")
b = bucket[-1]["buckets"]
preps = [p for d in bucket for p in d["buckets"]["preparations"] if p["precompiled"]]
print(f"  hit rate {statistics.median(d['buckets']['hit_rate'] for d in bucket) * 100:.1f}%, "
      f"misses {sum(d['buckets']['misses'] for d in bucket)}, fallbacks {sum(d['buckets']['fallbacks'] for d in bucket)}")
print(f"  per bucket: memory {statistics.median(p['rss_bytes'] for p in preps) / 2**20:.1f} MiB (median), "
      f"preparation {statistics.median(p['prepare_ms'] for p in preps):.0f} ms (median); "
      f"all {len(preps) // rounds} before ready: {sum(p['prepare_ms'] for p in preps) / rounds / 1000:.1f} s")
acc = bucket[-1].get("padding_accuracy")
if acc:
    line = f"  padding vs unpadded: top-1 agrees on {acc['top1_agree']}/{acc['samples']} sizes, cosine min {acc['cosine_min']:.4f}"
    if "reference" in acc:
        ref = acc["reference"]
        line += f"; reference input via {ref['bucket'][0]}x{ref['bucket'][1]}: top-1 {'agrees' if ref['top1_agree'] else 'differs'}, cosine {ref['cosine']:.4f}"
    print(line)
PY
