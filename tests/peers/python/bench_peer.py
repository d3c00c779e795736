#!/usr/bin/python3
"""One side of a zedge socket benchmark, played by pyzmq (libzmq 4.3.4).

bench/zmq.ts starts one process per socket and speaks to it over stdio:

    /usr/bin/python3 bench_peer.py '<json config>'

The config is a JSON object:
    role      "rep" | "req" | "push" | "pull" | "pub" | "sub"
    endpoint  where to connect (req, push, sub); binding roles bind a random
              loopback port and print it instead
    size      payload bytes of each message (all roles; receivers check the
              first message they get against it)
    warmup    seconds to run before measuring (req, pull, sub)
    duration  seconds to measure (req, pull, sub)
    curve     optional {"publicKey", "secretKey"}: the server's Z85 key pair;
              binding roles are CURVE servers with it, connecting roles its
              clients (with a key pair of their own)

Every line this peer prints on stdout is one JSON object:
    {"endpoint": "tcp://127.0.0.1:P"}   after a bind
    {"ready": true}                     sub: connected and subscribed
    {"rate": r, "count": n, "seconds": s}  measuring roles, then they exit
A publisher waits for a line "go" on stdin before it publishes, so every
subscriber is connected first. Every role exits when stdin reaches EOF, so a
crashed or impatient runner never leaves a peer behind.
"""

import json
import os
import sys
import threading
import time

import zmq

ROLES = ("rep", "req", "push", "pull", "pub", "sub")
# Receivers read this many messages between clock reads: a clock read per
# message would cost pyzmq several percent at ~750k msg/s.
BATCH = 256


def fail(message):
    print(f"bench_peer.py: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def emit(obj):
    print(json.dumps(obj), flush=True)


def parse_config(argv):
    if len(argv) != 2:
        fail("usage: bench_peer.py '<json config>'")
    try:
        config = json.loads(argv[1])
    except json.JSONDecodeError as error:
        fail(f"config: not valid JSON ({error})")
    if not isinstance(config, dict):
        fail("config: must be a JSON object")
    role = config.get("role")
    if role not in ROLES:
        fail(f"config.role: expected one of {', '.join(ROLES)}, got {role!r}")
    if role in ("req", "push", "sub"):
        endpoint = config.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint.startswith("tcp://"):
            fail(f"config.endpoint: expected a tcp:// endpoint, got {endpoint!r}")
    size = config.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= 1 << 24:
        fail(f"config.size: expected an integer 0..16777216, got {size!r}")
    if role in ("req", "pull", "sub"):
        for field in ("warmup", "duration"):
            value = config.get(field)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 600:
                fail(f"config.{field}: expected seconds 0..600, got {value!r}")
        if config["duration"] <= 0:
            fail("config.duration: must be greater than 0")
    curve = config.get("curve")
    if curve is not None:
        keys = (curve.get("publicKey"), curve.get("secretKey")) if isinstance(curve, dict) else ()
        if len(keys) != 2 or not all(isinstance(k, str) and len(k) == 40 for k in keys):
            fail("config.curve: expected {publicKey, secretKey} as 40-character Z85 keys")
    return config


def secure(sock, curve, binds):
    """CURVE: a binding socket serves with the server's secret key, a connecting one verifies it."""
    if curve is None:
        return
    if binds:
        sock.curve_server = True
        sock.curve_secretkey = curve["secretKey"].encode()
    else:
        public, secret = zmq.curve_keypair()
        sock.curve_serverkey = curve["publicKey"].encode()
        sock.curve_publickey = public
        sock.curve_secretkey = secret


def watch_stdin(go):
    """Sets `go` on a line "go"; ends the process at EOF."""
    for line in sys.stdin.buffer:
        if line.strip() == b"go":
            go.set()
    os._exit(0)


def bind_random(sock):
    sock.bind("tcp://127.0.0.1:*")
    emit({"endpoint": sock.getsockopt(zmq.LAST_ENDPOINT).decode()})


def check_message(frames, size):
    if len(frames) != 1 or len(frames[0]) != size:
        lengths = [len(frame) for frame in frames]
        fail(f"expected one frame of {size} bytes, received frames of {lengths} bytes")


def measure_receiver(sock, size, warmup, duration):
    """Receive rate after `warmup` seconds, over at least `duration` seconds."""
    check_message(sock.recv_multipart(), size)
    started = time.perf_counter()
    while time.perf_counter() - started < warmup:
        for _ in range(BATCH):
            sock.recv()
    t0 = time.perf_counter()
    count = 0
    while True:
        for _ in range(BATCH):
            sock.recv()
        count += BATCH
        elapsed = time.perf_counter() - t0
        if elapsed >= duration:
            return {"rate": count / elapsed, "count": count, "seconds": elapsed}


def measure_round_trips(sock, payload, warmup, duration):
    sock.send(payload)
    check_message(sock.recv_multipart(), len(payload))
    started = time.perf_counter()
    while time.perf_counter() - started < warmup:
        sock.send(payload)
        sock.recv()
    t0 = time.perf_counter()
    count = 0
    while True:
        sock.send(payload)
        sock.recv()
        count += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= duration:
            return {"rate": count / elapsed, "count": count, "seconds": elapsed}


def main():
    config = parse_config(sys.argv)
    role = config["role"]
    go = threading.Event()
    threading.Thread(target=watch_stdin, args=(go,), daemon=True).start()

    context = zmq.Context()
    sock = context.socket(getattr(zmq, role.upper()))
    sock.setsockopt(zmq.LINGER, 0)
    secure(sock, config.get("curve"), role in ("rep", "pull", "pub"))
    payload = b"x" * config["size"]

    if role == "rep":
        bind_random(sock)
        while True:
            sock.recv()
            sock.send(payload)
    elif role == "pull":
        bind_random(sock)
        emit(measure_receiver(sock, config["size"], config["warmup"], config["duration"]))
    elif role == "pub":
        bind_random(sock)
        go.wait()
        while True:
            sock.send(payload)
    elif role == "push":
        sock.connect(config["endpoint"])
        while True:
            sock.send(payload)
    elif role == "req":
        sock.connect(config["endpoint"])
        emit(measure_round_trips(sock, payload, config["warmup"], config["duration"]))
    elif role == "sub":
        sock.setsockopt(zmq.SUBSCRIBE, b"")
        sock.connect(config["endpoint"])
        emit({"ready": True})
        emit(measure_receiver(sock, config["size"], config["warmup"], config["duration"]))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
