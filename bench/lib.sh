# Shared prologue of the load benchmarks (bench/load_peak.sh, bench/load_vs_wrk.sh):
# sourced, not run. After `bench_load_prologue NAME`: $root, $build (BUILD from
# the environment, relative to the repository root), $tmp (removed on exit),
# and $server_pid, a server that the exit trap stops when set.
bench_load_prologue() {
  local name=$1 need
  root="$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)"
  build="${BUILD:-$root/build}"
  [[ "$build" = /* ]] || build="$root/$build"
  for need in "$build/coldbench" "$build/coldbench-torch"; do
    [[ -x "$need" ]] || { echo "$name: $need is missing. fix: build with -DCOLDBENCH_WITH_TORCH=ON (make)" >&2; exit 2; }
  done
  command -v wrk >/dev/null || { echo "$name: wrk is not installed. fix: scripts/bootstrap (apt-get install wrk)" >&2; exit 2; }
  tmp="$(mktemp -d)"
  server_pid=""
  trap bench_load_cleanup EXIT
}

bench_load_cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
