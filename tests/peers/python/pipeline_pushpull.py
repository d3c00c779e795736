"""Bare pyzmq PUSH/PULL loop: the libzmq baseline for the pipeline benchmark.

Usage: python3 pipeline_pushpull.py [COUNT] [SIZE]
Prints one JSON line: {"messages": COUNT, "seconds": S, "rate": messages per second}.
PUSH runs in a thread, PULL in the main thread, over loopback TCP.
"""
import json
import sys
import threading
import time

import zmq


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    payload = b"x" * size

    def push_all() -> None:
        push = ctx.socket(zmq.PUSH)
        push.connect(f"tcp://127.0.0.1:{port}")
        for _ in range(count):
            push.send(payload)
        push.close(linger=-1)

    pusher = threading.Thread(target=push_all)
    pusher.start()
    pull.recv()  # the first message starts the clock (connection set up)
    started = time.perf_counter()
    for _ in range(count - 1):
        pull.recv()
    seconds = time.perf_counter() - started
    pusher.join()
    pull.close()
    ctx.term()
    print(json.dumps({"messages": count, "seconds": seconds, "rate": (count - 1) / seconds}))


if __name__ == "__main__":
    main()
