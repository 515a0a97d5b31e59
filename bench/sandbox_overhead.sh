#!/usr/bin/env bash
# The cost of --isolate sandbox over a plain host run, measured by coldbench
# itself: /bin/true (pure spawn + namespace set-up and teardown) and a 20 ms
# sleeping fixture, host and sandbox sessions alternating in the same rounds
# (host first in odd rounds, sandbox first in even ones) so drift and order
# hit both alike. Prints the median wall time of each, their difference and
# ratio, with a 95% bootstrap CI of the difference.
#
#   bench/sandbox_overhead.sh [BUILD_DIR] [RUNS_PER_SESSION] [ROUNDS]   (defaults: build, 20, 10)
#
# Run it as root and as an unprivileged user (which adds a user namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-20}
rounds=${3:-10}
coldbench=$build/coldbench
fixture=$build/tests/cb_fixture
for tool in "$coldbench" "$fixture"; do
  [[ -x $tool ]] || { echo "sandbox_overhead.sh: $tool not built; run 'make' first" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "sandbox_overhead.sh: needs python3 to read the JSON results" >&2; exit 2; }

# Not under /tmp: the sandbox replaces /tmp, and the fixture must stay visible.
tmp=$(mktemp -d /var/tmp/cb-sandbox-overhead-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Fails early, with coldbench's own explanation, where namespaces are refused.
"$coldbench" run -r 1 --no-progress --isolate sandbox -- /bin/true >/dev/null

session() {  # mode label round, then the command words
  local mode=$1 label=$2 round=$3; shift 3
  "$coldbench" run -r "$runs" -w 2 --no-progress --isolate "$mode" --json "$tmp/$label-$mode-$round.json" \
    -- "$@" >/dev/null 2>"$tmp/stderr" || { cat "$tmp/stderr" >&2; exit 2; }
}

measure() {  # label, then the command words
  local label=$1; shift
  for round in $(seq 1 "$rounds"); do
    if (( round % 2 )); then
      session host "$label" "$round" "$@"; session sandbox "$label" "$round" "$@"
    else
      session sandbox "$label" "$round" "$@"; session host "$label" "$round" "$@"
    fi
  done
}

echo "sandbox vs host: $rounds rounds x $runs runs each, alternating ($(nproc) CPUs, $(uname -r), uid $(id -u))"
measure true /bin/true
measure fixture20 "$fixture" sleep:20

python3 - "$tmp" <<'PY'
import glob, json, os, random, statistics, sys

tmp = sys.argv[1]

def walls(label, mode):
    values = []
    for path in sorted(glob.glob(os.path.join(tmp, f"{label}-{mode}-*.json"))):
        with open(path) as f:
            values += [r["wall_ms"] for r in json.load(f)["runs"] if not r["warmup"]]
    return values

def diff_ci(host, sandbox, resamples=2000):
    rng = random.Random(1)
    diffs = sorted(statistics.median(rng.choices(sandbox, k=len(sandbox))) -
                   statistics.median(rng.choices(host, k=len(host))) for _ in range(resamples))
    return diffs[int(0.025 * resamples)], diffs[int(0.975 * resamples) - 1]

print(f"{'workload':<16}{'n':>5}{'host median':>14}{'sandbox median':>17}{'difference [95% CI]':>32}{'ratio':>8}")
for label, title in (("true", "/bin/true"), ("fixture20", "20 ms fixture")):
    host, sandbox = walls(label, "host"), walls(label, "sandbox")
    h, s = statistics.median(host), statistics.median(sandbox)
    low, high = diff_ci(host, sandbox)
    print(f"{title:<16}{len(host):>5}{h:>11.3f} ms{s:>14.3f} ms{s - h:>+12.3f} ms [{low:+.3f}, {high:+.3f}]"
          f"{s / h:>8.3f}")
PY
