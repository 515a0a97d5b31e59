#!/usr/bin/env bash
# coldbench-torch (LibTorch, C++) vs the Python example workload (Debian torch)
# on MobileNetV2, batch 1, 2 threads: latency per mode, cold start, compute
# floor, and three ratios against their targets (printed with each ratio).
#
#   bench/torch_vs_python.sh                 # uses build/
#   BUILD=build-torch bench/torch_vs_python.sh --rounds 5 --json /tmp/tvp.json
#
# Both sides load the same TorchScript file (build/models/mobilenet_v2.pt);
# Python eager builds torchvision's definition. Extra arguments go to
# bench/torch_vs_python.py (--iters, --warmup, --rounds, --cold-runs, --json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
native="$build/coldbench-torch"
model="$build/models/mobilenet_v2.pt"
workload="$root/examples/python/mobilenet_v2_benchmark.py"
threads="${THREADS:-2}"

for need in "$native" "$model"; do
  if [[ ! -e "$need" ]]; then
    echo "torch_vs_python: $need is missing. fix: build first (make, or cmake --build $build)" >&2
    exit 2
  fi
done
if [[ ! -f "$workload" ]]; then
  echo "torch_vs_python: the Python workload $workload is missing" >&2
  exit 2
fi
python="$("$root/scripts/find-torch-python")" || exit 2

# The driver needs only the standard library; any python3 runs it.
driver_python="$(command -v python3 || echo "$python")"
exec "$driver_python" "$root/bench/torch_vs_python.py" \
  --native "$native" --python "$python" --python-workload "$workload" \
  --model-file "$model" --threads "$threads" --batch 1 "$@"
