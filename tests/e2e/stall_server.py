#!/usr/bin/env python3
"""A stand-in for `coldbench-torch serve --workers 1 --fault stall-at:K:MS`
(standard library only): a keep-alive HTTP/1.1 server whose one worker (a
lock every request takes) holds the K-th POST for MS milliseconds, once.
Prints `ready http://127.0.0.1:PORT` like serve, so `coldbench load -- ...`
can start it. Used by test_load.py to test coordinated omission without
LibTorch, and while serve's stall fault is not merged yet."""

import argparse
import http.server
import sys
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stall-at", type=int, default=-1, help="1-based index of the POST to hold (-1: none)")
    parser.add_argument("--stall-ms", type=int, default=500)
    parser.add_argument("--service-ms", type=float, default=0,
                        help="every POST holds the worker this long (a capacity of 1000/MS per second)")
    args = parser.parse_args()
    worker = threading.Lock()
    state = {"posts": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # head and body are two writes: no 40 ms Nagle + delayed-ACK wait

        def log_message(self, *unused):
            pass

        def answer(self, body):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.answer(b'{"status":"ok"}')

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            if length:
                self.rfile.read(length)
            with worker:
                state["posts"] += 1
                if state["posts"] == args.stall_at:
                    time.sleep(args.stall_ms / 1000.0)
                if args.service_ms > 0:
                    time.sleep(args.service_ms / 1000.0)
            self.answer(b'{"outputs":[0.0]}')

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"ready http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *unused: sys.exit(0))
    sys.exit(main())
