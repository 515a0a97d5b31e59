#!/usr/bin/env bash
# coldbench load's closed-loop throughput against wrk's, on the same server in
# the same run (issue: coldbench load, accuracy at saturation). Starts
# `coldbench-torch serve --model tiny_cnn` on 127.0.0.1, then ROUNDS
# interleaved rounds of SECONDS each: wrk (-t1, CONNECTIONS connections, a
# raw float32 predict body) and `coldbench load --closed-loop` with the same
# connections and body. Prints requests/s per round, the medians and best of
# each, and their ratios. The server shares the machine's CPUs with the
# client, so on 2 CPUs the ratio moves with what else runs (measured here:
# 0.91-0.98 idle, 1.06-1.08 beside builds); e2e.test_load checks only a floor.
#
#   bench/load_vs_wrk.sh                  # 5 rounds of 3 s, 4 connections
#   ROUNDS=9 SECONDS_PER_ROUND=5 CONNECTIONS=8 bench/load_vs_wrk.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_load_prologue load_vs_wrk
rounds="${ROUNDS:-5}"
seconds="${SECONDS_PER_ROUND:-3}"
connections="${CONNECTIONS:-4}"

head -c 12288 /dev/zero >"$tmp/x.bin"  # 1x3x32x32 float32 zeros
cat >"$tmp/predict.lua" <<LUA
local f = io.open("$tmp/x.bin", "rb")
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["X-Shape"] = "1,3,32,32"
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

OMP_NUM_THREADS=1 "$build/coldbench-torch" serve --model tiny_cnn --threads 1 --port 0 --log off \
  >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
origin=""
for _ in $(seq 300); do
  origin=$(sed -n 's/^ready \(http:[^ ]*\).*/\1/p' "$tmp/serve.out" | head -1)
  [[ -n "$origin" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "load_vs_wrk: serve exited: $(tail -3 "$tmp/serve.err")" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$origin" ]] || { echo "load_vs_wrk: serve did not become ready in 30 s" >&2; exit 1; }
url="$origin/v1/models/tiny_cnn:predict"

echo "load_vs_wrk: closed loop, $connections connections, $rounds interleaved rounds of $seconds s, $url"
cb_all=() wrk_all=()
for round in $(seq "$rounds"); do
  w=$(wrk -t1 -c"$connections" -d"${seconds}s" -s "$tmp/predict.lua" "$url" | sed -n 's/^Requests\/sec:[[:space:]]*//p')
  "$build/coldbench" load --url "$url" --closed-loop --connections "$connections" --duration "${seconds}s" \
    --body-file "$tmp/x.bin" --header "X-Shape: 1,3,32,32" --header "Content-Type: application/octet-stream" \
    --json "$tmp/cb.json" >/dev/null 2>&1
  c=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["load"]["achieved_rate"], 1))' "$tmp/cb.json")
  echo "  round $round: wrk $w/s, coldbench $c/s"
  wrk_all+=("$w"); cb_all+=("$c")
done
python3 - "${cb_all[*]}" "${wrk_all[*]}" <<'PY'
import statistics, sys
cb = [float(x) for x in sys.argv[1].split()]
wrk = [float(x) for x in sys.argv[2].split()]
print(f"  median: coldbench {statistics.median(cb):.0f}/s, wrk {statistics.median(wrk):.0f}/s, "
      f"ratio {statistics.median(cb) / statistics.median(wrk):.3f}")
print(f"  best:   coldbench {max(cb):.0f}/s, wrk {max(wrk):.0f}/s, ratio {max(cb) / max(wrk):.3f}")
PY
