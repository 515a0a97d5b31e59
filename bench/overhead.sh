#!/usr/bin/env bash
# coldbench's own measurement overhead against hyperfine's, in the same run:
# both time /bin/true (pure spawn + reap cost) and a 20 ms sleeping fixture,
# interleaved rounds so drift hits both alike; prints the reported medians and
# their ratios. Target: coldbench's reported median <= hyperfine's (ratio <= 1).
#
#   bench/overhead.sh [BUILD_DIR] [RUNS]      (defaults: build, 200)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-200}
coldbench=$build/coldbench
fixture=$build/tests/cb_fixture
for tool in "$coldbench" "$fixture"; do
  [[ -x $tool ]] || { echo "overhead.sh: $tool not built; run 'make' first" >&2; exit 2; }
done
command -v hyperfine >/dev/null || { echo "overhead.sh: hyperfine not installed (scripts/bootstrap installs it)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "overhead.sh: needs python3 to read the JSON results" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median_coldbench() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["commands"][0]["wall"]["stats"]["median"])' "$1"; }
median_hyperfine() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"]*1000)' "$1"; }

measure() {  # label, then the command words
  local label=$1; shift
  local cb_all=() hf_all=()
  for round in 1 2 3; do
    "$coldbench" run -r "$runs" -w 10 --no-progress --json "$tmp/cb.json" -- "$@" >/dev/null 2>"$tmp/cb.err" ||
      { cat "$tmp/cb.err" >&2; exit 1; }
    hyperfine -N --runs "$runs" --warmup 10 --style none --export-json "$tmp/hf.json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
    cb_all+=("$(median_coldbench "$tmp/cb.json")")
    hf_all+=("$(median_hyperfine "$tmp/hf.json")")
  done
  python3 - "$label" "${cb_all[*]}" "${hf_all[*]}" <<'PY'
import statistics, sys
label, cb, hf = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
c, h = statistics.median(cb), statistics.median(hf)
print(f"{label:<22} coldbench median {c:8.3f} ms   hyperfine median {h:8.3f} ms   ratio {c / h:5.3f}  "
      f"({'PASS' if c <= h * 1.0 else 'MISS'}: target <= 1.0)")
print(f"{'':<22} rounds: coldbench {', '.join(f'{x:.3f}' for x in cb)}; hyperfine {', '.join(f'{x:.3f}' for x in hf)}")
PY
}

echo "coldbench vs hyperfine -N, $runs runs x 3 interleaved rounds each ($(nproc) CPUs, $(uname -r))"
measure "/bin/true" /bin/true
measure "20 ms fixture" "$fixture" sleep:20
