#!/usr/bin/env bash
# How long `coldbench merge` takes for a fleet's shard histories, against the
# floor for the same copy: the sqlite3 shell attaching each shard and copying
# its rows with one INSERT ... SELECT per table (no study check, no uids, no
# idempotence). Also prints the history size per run and the time of a
# second, idempotent merge of the same shards (it adds nothing).
#
#   bench/merge.sh [BUILD_DIR] [SHARDS] [RUNS_PER_SHARD]   (defaults: build, 100, 1000)
#
# The shards are copies of one real shard history (a sweep of the fixture
# with 5 phases and 50 latency values per run, the size of an infer run's
# record), each with its own session uid and host label.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shards=${2:-100}
runs=${3:-1000}
coldbench=$build/coldbench
fixture=$build/tests/cb_fixture
for tool in "$coldbench" "$fixture"; do
  [[ -x $tool ]] || { echo "merge.sh: $tool not built; run 'make' first" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "merge.sh: needs the sqlite3 shell for the floor (apt-get install sqlite3)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cb-merge-bench-XXXXXX")
trap '[[ -n "${KEEP:-}" ]] && echo "kept $tmp" >&2 || rm -rf "$tmp"' EXIT

values=$(python3 -c 'print(",".join(f"{5 + i * 0.01:.2f}" for i in range(50)))')
cat >"$tmp/study.toml" <<TOML
[experiment]
name = "merge-bench"
runs = 5
[defaults]
command = "$fixture phase:runtime_ready phase:model_loaded phase:first_inference phase:warmup_done metric:latency=$values phase:inference_done"
TOML
"$coldbench" sweep "$tmp/study.toml" --shard 0/1 --no-progress --db "$tmp/template.sqlite" >/dev/null

# Shard 0 with RUNS runs copied from the template's records, then a copy per shard with its own uid and host.
python3 - "$tmp" "$shards" "$runs" <<'PY'
import json, shutil, sqlite3, sys, uuid
tmp, shards, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = f"{tmp}/base.sqlite"
shutil.copy(f"{tmp}/template.sqlite", base)
con = sqlite3.connect(base)
con.execute("PRAGMA journal_mode=DELETE")
records = [row for row in con.execute("SELECT command, run_index, warmup, succeeded, wall_ms, record FROM runs")]
con.execute("DELETE FROM runs")
rows = []
for seq in range(runs):
    command, _, warmup, ok, wall, record = records[seq % len(records)]
    rec = json.loads(record)
    rec["sequence"], rec["index"] = seq, seq
    rows.append((1, seq, command, seq, 0, ok, wall, json.dumps(rec, separators=(",", ":"))))
con.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
con.execute("UPDATE sessions SET planned_runs = ?", (runs,))
con.commit()
con.execute("VACUUM")
con.close()
for i in range(shards):
    path = f"{tmp}/shard-{i}.sqlite"
    shutil.copy(base, path)
    con = sqlite3.connect(path)
    (header,) = con.execute("SELECT header FROM sessions").fetchone()
    h = json.loads(header)
    h["options"]["shard"].update(index=i, count=shards, host=f"node-{i:04d}")
    con.execute("UPDATE sessions SET header = ?, host = ?", (json.dumps(h), f"node-{i:04d}"))
    con.execute("UPDATE session_uids SET uid = ?", (uuid.uuid4().hex,))
    con.commit()
    con.close()
PY

seconds() { python3 -c 'import sys,time; t=time.monotonic(); import subprocess; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(f"{time.monotonic()-t:.3f}")' "$@"; }

shard_bytes=$(stat -c %s "$tmp/shard-0.sqlite")
# The floor: one sqlite3 process, one transaction per shard, rows copied as they are.
floor_sql="$tmp/floor.sql"
{
  echo ".bail on"
  echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
  sqlite3 "$tmp/shard-0.sqlite" .schema | grep -v '^CREATE TABLE sqlite_sequence'
  for ((i = 0; i < shards; i++)); do
    echo "ATTACH '$tmp/shard-$i.sqlite' AS s; BEGIN;"
    echo "INSERT INTO sessions (experiment, experiment_file, experiment_hash, started_at, finished_at, host, git_commit, status, planned_runs, header) SELECT experiment, experiment_file, experiment_hash, started_at, finished_at, host, git_commit, status, planned_runs, header FROM s.sessions;"
    echo "INSERT INTO runs SELECT (SELECT MAX(id) FROM sessions), sequence, command, run_index, warmup, succeeded, wall_ms, record FROM s.runs;"
    echo "COMMIT; DETACH s;"
  done
} >"$floor_sql"

merge_s=() floor_s=() again_s=()
for round in 1 2 3; do
  rm -f "$tmp"/all.sqlite* "$tmp"/floor.sqlite*
  floor_s+=("$(seconds sqlite3 "$tmp/floor.sqlite" ".read $floor_sql")")
  merge_s+=("$(seconds "$coldbench" merge "$tmp"/shard-*.sqlite -o "$tmp/all.sqlite")")
  again_s+=("$(seconds "$coldbench" merge "$tmp"/shard-*.sqlite -o "$tmp/all.sqlite")")
done
merged_runs=$(sqlite3 "$tmp/all.sqlite" "SELECT COUNT(*) FROM runs")
merged_bytes=$(stat -c %s "$tmp/all.sqlite")
report_s=$(seconds "$coldbench" report study --db "$tmp/all.sqlite" -q)

python3 - "$shards" "$runs" "$shard_bytes" "$merged_runs" "$merged_bytes" "${merge_s[*]}" "${floor_s[*]}" "${again_s[*]}" "$report_s" <<'PY'
import statistics, sys
shards, runs, shard_bytes, merged_runs, merged_bytes = map(int, sys.argv[1:6])
merge, floor, again = ([float(x) for x in a.split()] for a in sys.argv[6:9])
report = float(sys.argv[9])
m, f, a = statistics.median(merge), statistics.median(floor), statistics.median(again)
print(f"shards {shards} x {runs} runs: history {shard_bytes / runs:.0f} bytes per run "
      f"({shard_bytes / 1e6:.1f} MB per shard); merged {merged_runs} runs, {merged_bytes / 1e6:.0f} MB")
print(f"coldbench merge   median {m:7.2f} s  ({merged_runs / m:,.0f} runs/s)   runs {' '.join(f'{x:.2f}' for x in merge)}")
print(f"sqlite3 floor     median {f:7.2f} s  ({merged_runs / f:,.0f} runs/s)   ratio merge/floor {m / f:5.2f}")
print(f"merge again       median {a:7.2f} s  (idempotent: adds nothing)   ratio again/first {a / m:5.2f}")
print(f"report study      {report:7.2f} s  (every run loaded, {shards} hosts x configs)")
PY
