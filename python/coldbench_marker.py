"""coldbench marker client for Python workloads (standard library only).

Marker protocol v1 (docs/marker-protocol.md). Under `coldbench run` the
environment carries COLDBENCH_FD=<fd>; each call writes one JSON line to it:

    {"v":1,"t":<CLOCK_MONOTONIC ns>,"kind":"phase","name":"model_loaded"}

With COLDBENCH_MARKERS=stdout (containers) the lines go to stdout prefixed by
"@coldbench ". Without either, every call is a no-op, so a script behaves the
same with or without the harness.

    import coldbench_marker as cb
    cb.phase("runtime_ready")
    cb.metric("latency", latencies_ms, unit="ms")
    cb.info("torch.version", torch.__version__)
"""

import json
import math
import os
import sys
import threading
import time

__all__ = ["enabled", "phase", "metric", "info"]

_lock = threading.Lock()
_fd = None
_prefix = ""


def _setup():
    global _fd, _prefix
    fd = os.environ.get("COLDBENCH_FD", "")
    if fd:
        try:
            _fd = int(fd)
        except ValueError:
            _fd = None
    elif os.environ.get("COLDBENCH_MARKERS") == "stdout":
        _fd = 1
        _prefix = "@coldbench "


_setup()


def enabled():
    """True when a harness is listening."""
    return _fd is not None


def _now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def _finite(value):
    value = float(value)
    return value if math.isfinite(value) else None


def _emit(record):
    global _fd
    line = _prefix + json.dumps(record, separators=(",", ":")) + "\n"
    data = line.encode("utf-8")
    with _lock:
        if _fd is None:
            return
        if _prefix:
            sys.stdout.flush()  # keep order with the program's own stdout
        try:
            while data:
                written = os.write(_fd, data)
                data = data[written:]
        except OSError:
            _fd = None  # the harness is gone; stop reporting rather than fail the workload


def phase(name):
    """Marks the end of phase `name`."""
    if _fd is not None:
        _emit({"v": 1, "t": _now_ns(), "kind": "phase", "name": str(name)})


def metric(name, values, unit=""):
    """Reports one value or a sequence of values (e.g. every iteration's latency)."""
    if _fd is None:
        return
    if isinstance(values, (int, float)):
        values = [values]
    _emit({"v": 1, "t": _now_ns(), "kind": "metric", "name": str(name), "unit": str(unit),
           "values": [_finite(v) for v in values]})


def info(name, value):
    """Reports a fact about the run (a version, a thread count, a setting)."""
    if _fd is None:
        return
    if not isinstance(value, (str, int, float, bool)) and value is not None:
        value = str(value)
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    _emit({"v": 1, "t": _now_ns(), "kind": "info", "name": str(name), "value": value})
