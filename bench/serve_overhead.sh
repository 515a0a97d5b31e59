#!/usr/bin/env bash
# What `coldbench-torch serve` adds to a model's latency, and what a /metrics
# scrape costs, measured side by side in one run:
#   1. infer's in-process p50 (forward only) on the model, same threads;
#   2. serve's p50 round trip at low rate (sequential requests on one
#      keep-alive connection, raw float32; build/serve-bench-client);
#      added ms = (2) - (1), target under 0.3 ms; and the serving path
#      alone, round trip minus the server's forward time of the same request
#      (immune to the model's own run-to-run variation), beside its floor:
#      the same request and answer bytes exchanged over loopback TCP with a
#      trivial in-process peer (what any server pays to move a 600 KB image);
#   3. /metrics: ms per scrape (back to back), and (2) again with a 10 Hz
#      scraper running beside it;
#   4. structured logs: (2) against a second server that logs every request
#      (--log FILE --log-sample 1); the first one runs with --log off; and
#      the log's cost on the request thread alone (build/serve-log-cost).
#
# Each round runs infer, then serve without and with the scraper; medians
# over ROUNDS interleaved rounds are printed.
#
#   bench/serve_overhead.sh                       # mobilenet_v2 optimized, 1 thread, 3 rounds of 100
#   MODEL=tiny_cnn MODE=script THREADS=2 REQUESTS=500 ROUNDS=5 bench/serve_overhead.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
model="${MODEL:-mobilenet_v2}"
mode="${MODE:-optimized}"
threads="${THREADS:-1}"
requests="${REQUESTS:-100}"
rounds="${ROUNDS:-3}"
torch_bin="$build/coldbench-torch"
client="$build/serve-bench-client"
for need in "$torch_bin" "$client"; do
  if [[ ! -x "$need" ]]; then
    echo "serve_overhead: $need is missing. fix: build with -DCOLDBENCH_WITH_TORCH=ON (cmake --build $build)" >&2
    exit 2
  fi
done
export OMP_NUM_THREADS="$threads"
tmp="$(mktemp -d)"
server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server NAME ARGS...: starts a server, waits for ready, sets $port.
start_server() {
  local name="$1" pid
  shift
  "$torch_bin" serve --model "$model" --mode "$mode" --threads "$threads" --port 0 --warmup 20 "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  server_pids+=("$pid")
  for _ in $(seq 1 600); do
    grep -q '^ready ' "$tmp/$name.out" && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/$name.err" >&2; exit 1; }
    sleep 0.1
  done
  port="$(sed -n 's/^ready http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/$name.out")"
  [[ -n "$port" ]] || { echo "serve_overhead: the $name server did not become ready in 60 s" >&2; exit 1; }
}

echo "serve_overhead: model $model ($mode), $threads thread(s), $rounds rounds of $requests requests per measurement"
start_server logged --log "$tmp/serve.log" --log-sample 1
logged_port="$port"
start_server serve --log off
shape="$(python3 -c 'import json,sys,urllib.request
m=json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v1/models"))["models"][0]
print(",".join(map(str,m["input_shape"])))' "$port")"
client_args=(--port "$port" --model "$model" --shape "$shape")
logged_args=(--port "$logged_port" --model "$model" --shape "$shape")

# Interleaved rounds, so a neighbour's load hits both sides alike; the idle
# server costs infer nothing.
for round in $(seq 1 "$rounds"); do
  "$torch_bin" infer --model "$model" --mode "$mode" --threads "$threads" --warmup 10 --iters "$requests" \
    --json "$tmp/infer.$round.json" --quiet
  "$client" "${client_args[@]}" --requests "$requests" >"$tmp/plain.$round.json"
  "$client" "${client_args[@]}" --requests "$requests" --scrape-hz 10 --min-seconds 5 >"$tmp/scraped.$round.json"
  "$client" "${logged_args[@]}" --requests "$requests" >"$tmp/logged.$round.json"
done
sleep 0.5  # the log writer is asynchronous
log_lines="$(grep -c '"event":"inference"' "$tmp/serve.log" || true)"
"$client" "${client_args[@]}" --requests 0 --warmup 0 --scrapes 200 >"$tmp/scrape.json"

python3 - "$tmp" "$rounds" "$log_lines" <<'PY'
import json, os, statistics, sys
tmp, rounds, log_lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
load = lambda name: json.load(open(os.path.join(tmp, name)))
per_round = []
for r in range(1, rounds + 1):
    plain, scraped = load(f"plain.{r}.json"), load(f"scraped.{r}.json")
    per_round.append({
        "infer": load(f"infer.{r}.json")["results"][0]["latency_ms"]["p50"],
        "rtt": plain["rtt_ms"]["p50"], "forward": plain["server_ms"]["p50"],
        "handoff": plain["queue_ms"]["p50"], "healthz": plain["healthz_ms"]["p50"],
        "path": plain["path_ms"]["p50"], "floor": plain["floor_ms"]["p50"],
        "scraped": scraped["rtt_ms"]["p50"], "scrapes": scraped["concurrent_scrapes"],
        "logged": load(f"logged.{r}.json")["rtt_ms"]["p50"],
        "logged_path": load(f"logged.{r}.json")["path_ms"]["p50"]})
med = lambda key: statistics.median(r[key] for r in per_round)
added = statistics.median(r["rtt"] - r["infer"] for r in per_round)
scraped_ratio = statistics.median(r["scraped"] / r["rtt"] for r in per_round)
scrape = load("scrape.json")["scrape_ms"]
print(f"  medians over {rounds} interleaved rounds:")
print(f"  infer in-process p50          {med('infer'):9.3f} ms")
print(f"  serve forward p50 (server)    {med('forward'):9.3f} ms")
print(f"  serve hand-off p50 (server)   {med('handoff'):9.3f} ms   (HTTP thread -> inference worker)")
print(f"  GET /healthz round trip p50   {med('healthz'):9.3f} ms   (HTTP floor: client, loopback, httplib)")
print(f"  serve round trip p50          {med('rtt'):9.3f} ms   ratio {med('rtt') / med('infer'):.3f}x infer, "
      f"added {added:+.3f} ms (target < 0.3 ms: {'met' if added < 0.3 else 'NOT met'})")
print(f"  serving path p50              {med('path'):9.3f} ms   (round trip - forward, paired per request: "
      f"target < 0.3 ms: {'met' if med('path') < 0.3 else 'NOT met'})")
above = statistics.median(r["path"] - r["floor"] for r in per_round)
print(f"  loopback floor p50            {med('floor'):9.3f} ms   (the same request and answer bytes, "
      f"trivial peer); serving path above it {above:+.3f} ms")
print(f"  /metrics scrape p50           {scrape['p50']:9.3f} ms per scrape ({scrape['n']} back to back)")
print(f"  round trip p50, 10 Hz scraper {med('scraped'):9.3f} ms   ratio {scraped_ratio:.3f}x without "
      f"(~{int(med('scrapes'))} scrapes per run)")
logged_added = statistics.median(r["logged"] - r["rtt"] for r in per_round)
path_added = statistics.median(r["logged_path"] - r["path"] for r in per_round)
print(f"  round trip p50, every request logged {med('logged'):9.3f} ms   ratio {med('logged') / med('rtt'):.3f}x "
      f"--log off, added {logged_added:+.3f} ms; serving path {path_added:+.3f} ms ({log_lines} inference lines written)")
PY
[[ -x "$build/serve-log-cost" ]] && "$build/serve-log-cost" 3
