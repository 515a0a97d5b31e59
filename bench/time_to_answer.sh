#!/usr/bin/env bash
# Time to an answer: how many runs, and how much wall time, it takes to know
# MobileNetV2's cold start (a fresh `coldbench-torch infer` process: load
# LibTorch and the model, optimize, first inference) to a given precision,
# three ways:
#   coldbench run --runs auto --target-ci PCT   stops when the median's 95% interval is within +-PCT
#   a fixed 30-run protocol                     coldbench run -r 30
#   hyperfine's default of 10 runs              the first 10 runs of the 30 (hyperfine runs at
#                                               least 10 and at least 3 s; these runs take longer)
# For each it prints the runs, the wall time the session took, the median and
# the half-width of its distribution-free interval with that interval's actual
# coverage, and the ratios against the auto session measured in the same run.
#
# Usage: bench/time_to_answer.sh [TARGET]      (default 2%)
# Environment: COLDBENCH, COLDBENCH_TORCH (default build/...), MODEL (default mobilenet_v2),
# CACHE (the page cache before each run: warm, the default, or cold: evicted, which adds the
# disk's own variation), KEEP=1 keeps the results files.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-2%}"
coldbench="${COLDBENCH:-$root/build/coldbench}"
torch="${COLDBENCH_TORCH:-$root/build/coldbench-torch}"
model="${MODEL:-mobilenet_v2}"
cache="${CACHE:-warm}"

die() { echo "time_to_answer: $*" >&2; exit 2; }
[[ -x "$coldbench" ]] || die "no coldbench at $coldbench (make build, or set COLDBENCH)"
[[ -x "$torch" ]] || die "no coldbench-torch at $torch (make build, or set COLDBENCH_TORCH)"
[[ "$target" =~ ^[0-9]+(\.[0-9]+)?%$ ]] || die "TARGET must be a percentage such as 2%, got '$target'"
[[ "$cache" == warm || "$cache" == cold ]] || die "CACHE must be warm or cold, got '$cache'"

out="$(mktemp -d /var/tmp/time-to-answer.XXXXXX)"
trap '[[ -n "${KEEP:-}" ]] && echo "kept $out" >&2 || rm -rf "$out"' EXIT
workload=("$torch" infer --model "$model" --mode optimized --iters 1 --warmup 0)

session() {  # NAME ARGS...: one coldbench session; its wall time goes to NAME.seconds
  local name=$1
  shift
  local start end
  start=$(date +%s.%N)
  "$coldbench" run --cache "$cache" --no-progress --json "$out/$name.json" "$@" -- "${workload[@]}" > "$out/$name.txt"
  end=$(date +%s.%N)
  echo "$start $end" | awk '{ printf "%.3f\n", $2 - $1 }' > "$out/$name.seconds"
}

echo "time_to_answer: $model cold start (--cache $cache), target +-$target" >&2
# One unmeasured session first: the discovery of the files to warm or evict
# (one traced run) is cached, so neither protocol below pays for it.
"$coldbench" run --cache "$cache" --no-progress -r 1 -- "${workload[@]}" > /dev/null
session auto --runs auto --target-ci "$target"
session fixed -r 30

python3 - "$out" "$target" "$cache" <<'PY'
import json
import math
import sys

out, target, cache = sys.argv[1], sys.argv[2], sys.argv[3]


def coverage(n, l, u):
    """P(l <= B <= u - 1), B ~ Binomial(n, 1/2): the coverage of [x_(l), x_(u)] for the median."""
    return sum(math.comb(n, k) for k in range(l, u)) / 2 ** n


def median_ci(values, level=0.95):
    """stats::quantile_ci_sorted for the median: the pair with the smallest coverage >= level,
    ties broken towards the most balanced tails; (low, high, coverage) or None."""
    xs = sorted(values)
    n = len(xs)
    best = None
    for l in range(1, n):
        for u in range(l + 1, n + 1):
            c = coverage(n, l, u)
            if c < level - 1e-12:
                continue
            key = (round(c, 12), abs((l - 1) - (n - u)))
            if best is None or key < best[0]:
                best = (key, l, u, c)
    if best is None:
        return None
    _, l, u, c = best
    return xs[l - 1], xs[u - 1], c


def median(values):
    xs = sorted(values)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def walls(document):
    return [r["wall_ms"] for r in document["runs"] if not r["warmup"] and not r.get("error")]


rows = []
docs = {}
for name in ("auto", "fixed"):
    with open(f"{out}/{name}.json") as f:
        docs[name] = json.load(f)
    with open(f"{out}/{name}.seconds") as f:
        seconds = float(f.read())
    rows.append((name, walls(docs[name]), seconds))

# The same rule as coldbench: check it on the 30 runs before trusting it on 10.
fixed_values = rows[1][1]
summary = docs["fixed"]["summary"]["commands"][0]["wall"]["stats"]
ours = median_ci(fixed_values)
assert ours and abs(ours[0] - summary["median_ci"]["low"]) < 1e-6 and abs(ours[1] - summary["median_ci"]["high"]) < 1e-6, \
    (ours, summary["median_ci"])

first10 = fixed_values[:10]
per_run = rows[1][2] / max(len(fixed_values), 1)
rows.append(("hyperfine default (first 10 of the 30)", first10, per_run * len(first10)))

adaptive = docs["auto"]["adaptive"]["commands"][0]
print(f"cold start: wall of one fresh coldbench-torch infer process (--cache {cache}), target +-{target}")
print(f"auto stopped: {adaptive['stopped']} after {adaptive['runs']} runs\n")
print(f"{'protocol':<40} {'runs':>5} {'session':>9} {'median':>10} {'CI half-width (coverage)':>26}")
auto_seconds, auto_half = rows[0][2], None
for name, values, seconds in rows:
    m = median(values)
    ci = median_ci(values)
    if ci:
        half = max(m - ci[0], ci[1] - m) / m
        ci_text = f"+-{half * 100:.2f}% ({ci[2] * 100:.1f}%)"
    else:
        half, ci_text = None, "none (n too small)"
    if auto_half is None:
        auto_half = half
    session = f"{seconds:.1f} s"
    if name == rows[2][0]:
        session = f"~{seconds:.1f} s"
    print(f"{name:<40} {len(values):>5} {session:>9} {m:>8.1f} ms {ci_text:>26}")
print()
print(f"auto used {rows[0][2] / rows[1][2]:.2f}x the wall time of the fixed 30-run protocol "
      f"and {len(rows[0][1]) / 30:.2f}x its runs;")
h10 = rows[2]
ci10 = median_ci(h10[1])
half10 = max(median(h10[1]) - ci10[0], ci10[1] - median(h10[1])) / median(h10[1])
print(f"10 runs gave +-{half10 * 100:.2f}% ({ci10[2] * 100:.1f}% coverage) in ~{h10[2]:.1f} s; "
      f"auto reached +-{(auto_half or float('nan')) * 100:.2f}% in {rows[0][2]:.1f} s.")
PY
