#!/usr/bin/python3
"""A scriptable libzmq peer (pyzmq) that zedge's interop tests drive.

tests/peers/node/libzmq_peer.mjs is the same program on zeromq.js: both take
the same arguments and print the same lines, so one Deno test table drives
either of them.

    /usr/bin/python3 libzmq_peer.py --type TYPE (--bind EP | --connect EP)...
        [--role script|echo|send|recv] [--count N] [--message JSON]
        [--interval MS] [--timeout MS] [--routing-id HEX] [--subscribe HEX]...
        [--xpub-verbose] [--router-mandatory] [--linger MS] [--monitor]
        [--max-lifetime MS] [--curve-server] [--curve-public-key Z85]
        [--curve-secret-key Z85] [--curve-server-key Z85] [--plain-server]
        [--plain-username U] [--plain-password P] [--zap-domain D]
        [--zap-allow-plain U=P]... [--zap-allow-curve Z85]...

TYPE is a socket type name (REQ, REP, DEALER, ROUTER, PUB, SUB, XPUB, XSUB,
PUSH, PULL, PAIR). A bind endpoint may use port 0 or * for a random port.
Every line on stdout is one JSON object with an "event" field. The first one
is {"event": "ready", "endpoints": [...]} with bound endpoints resolved.

Frames travel as JSON values. Going in, a frame is a hex string or
{"pattern": N}: N bytes where byte i is i % 251 (a 10 MiB frame costs a few
bytes of JSON). Coming out, a frame of up to 65536 bytes is a hex string and
a longer one is {"size": N, "sha256": HEX}.

Roles:
  script  read one JSON command per line on stdin and answer each with one
          line (the default):
            {"op": "send", "frames": [...], "timeout": MS, "retry": true}
                -> {"event": "sent"}; "retry" keeps retrying while a
                   ROUTER (with --router-mandatory) has no such peer yet
            {"op": "recv", "timeout": MS} -> {"event": "recv", "frames": [...]}
            {"op": "subscribe" | "unsubscribe", "prefix": HEX} -> {"event": "ok"}
                (SUB: socket option; XSUB: sends the 0x01/0x00 message)
            {"op": "bind" | "unbind" | "connect" | "disconnect", "endpoint": EP}
                -> {"event": "ok", "endpoint": resolved}
            {"op": "events", "until": TYPE, "timeout": MS}
                -> {"event": "events", "events": [{"type", "address"}...],
                    "timedOut": bool}   (needs --monitor; zeromq.js names;
                   "until": "handshake:error" also matches its sub-types)
            {"op": "exit"} -> {"event": "bye"}, then the peer exits at
                once (linger 0: the test has what it needs)
          A timeout answers {"event": "timeout"}; a failure answers
          {"event": "error", "message", "code"} and the peer carries on.
  echo    receive a message, print it, send it back unchanged (ROUTER: to
          the routing id it came from); --count N stops after N (0 = never)
  send    send --message (a JSON array of frames) --count times, --interval
          ms apart; a REQ receives and prints the reply after each send
  recv    receive and print --count messages (0 = until stdin closes)
Security: the --curve-* and --plain-* flags set the socket options of the
same names. --zap-allow-plain / --zap-allow-curve start a ZAP handler (RFC
27) in the peer's context, before the socket exists, that answers 200 only
for those users or client keys and 400 otherwise (libzmq's PLAIN server
needs one; with CURVE it checks that the client's key arrived intact).

After a role finishes the peer prints {"event": "done"} and exits 0. A peer
always exits when stdin (a pipe) reaches EOF or after --max-lifetime ms, so a crashed
test never leaves one behind. Bad arguments print {"event": "error"} and exit 2.
"""

import argparse
import hashlib
import json
import os
import stat
import sys
import time

try:
    import zmq
except ImportError:
    print(
        json.dumps(
            {
                "event": "error",
                "message": "pyzmq is not installed for /usr/bin/python3: "
                "run `apt-get install -y python3-zmq`",
            }
        ),
        flush=True,
    )
    sys.exit(2)

SOCKET_TYPES = {
    name: getattr(zmq, name)
    for name in (
        "REQ", "REP", "DEALER", "ROUTER", "PUB", "SUB", "XPUB", "XSUB", "PUSH",
        "PULL", "PAIR",
    )
}
SENDERS = {"REQ", "REP", "DEALER", "ROUTER", "PUB", "XPUB", "XSUB", "PUSH", "PAIR"}
RECEIVERS = {"REQ", "REP", "DEALER", "ROUTER", "SUB", "XPUB", "XSUB", "PULL", "PAIR"}
ECHOERS = {"REP", "DEALER", "ROUTER", "PAIR"}
# Longer frames are reported as size + SHA-256 so stdout stays small.
HEX_LIMIT = 65536
DEFAULT_TIMEOUT_MS = 10000

# The monitor event numbers, under the names zeromq.js gives them, so both
# peers report identical events.
EVENT_NAMES = {
    zmq.EVENT_CONNECTED: "connect",
    zmq.EVENT_CONNECT_DELAYED: "connect:delay",
    zmq.EVENT_CONNECT_RETRIED: "connect:retry",
    zmq.EVENT_LISTENING: "bind",
    zmq.EVENT_BIND_FAILED: "bind:error",
    zmq.EVENT_ACCEPTED: "accept",
    zmq.EVENT_ACCEPT_FAILED: "accept:error",
    zmq.EVENT_CLOSED: "close",
    zmq.EVENT_CLOSE_FAILED: "close:error",
    zmq.EVENT_DISCONNECTED: "disconnect",
    zmq.EVENT_MONITOR_STOPPED: "end",
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "handshake:error:other",
    zmq.EVENT_HANDSHAKE_SUCCEEDED: "handshake",
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "handshake:error:protocol",
    zmq.EVENT_HANDSHAKE_FAILED_AUTH: "handshake:error:auth",
}


class PeerError(Exception):
    """A bad argument or command, reported as {"event": "error"}."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class StdinClosed(Exception):
    """The test that drives this peer went away."""


def emit(record):
    sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def pattern(size):
    block = bytes(range(251))
    return (block * (size // 251 + 1))[:size]


def decode_frame(spec, where):
    if isinstance(spec, str):
        try:
            return bytes.fromhex(spec)
        except ValueError:
            raise PeerError(f"{where}: not a hex string: {spec[:40]!r}")
    if isinstance(spec, dict) and isinstance(spec.get("pattern"), int) and spec["pattern"] >= 0:
        return pattern(spec["pattern"])
    raise PeerError(f'{where}: a frame is a hex string or {{"pattern": N}}, got {spec!r}')


def decode_message(specs, where):
    if not isinstance(specs, list) or not specs:
        raise PeerError(f"{where}: a message is a non-empty JSON array of frames")
    return [decode_frame(spec, f"{where}[{i}]") for i, spec in enumerate(specs)]


def encode_frame(frame):
    if len(frame) <= HEX_LIMIT:
        return frame.hex()
    return {"size": len(frame), "sha256": hashlib.sha256(frame).hexdigest()}


def decode_hex(text, where):
    if not isinstance(text, str):
        raise PeerError(f"{where}: expected a hex string")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise PeerError(f"{where}: not a hex string: {text[:40]!r}")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="libzmq_peer.py", add_help=True)
    parser.add_argument("--type", required=True, choices=sorted(SOCKET_TYPES))
    parser.add_argument("--bind", action="append", default=[])
    parser.add_argument("--connect", action="append", default=[])
    parser.add_argument("--role", default="script", choices=["script", "echo", "send", "recv"])
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--message", default=None)
    parser.add_argument("--interval", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_MS)
    parser.add_argument("--routing-id", default=None)
    parser.add_argument("--subscribe", action="append", default=[])
    parser.add_argument("--xpub-verbose", action="store_true")
    parser.add_argument("--router-mandatory", action="store_true")
    parser.add_argument("--linger", type=int, default=1000)
    parser.add_argument("--monitor", action="store_true")
    parser.add_argument("--max-lifetime", type=int, default=120000)
    parser.add_argument("--curve-server", action="store_true")
    parser.add_argument("--curve-public-key", default=None)
    parser.add_argument("--curve-secret-key", default=None)
    parser.add_argument("--curve-server-key", default=None)
    parser.add_argument("--plain-server", action="store_true")
    parser.add_argument("--plain-username", default=None)
    parser.add_argument("--plain-password", default=None)
    parser.add_argument("--zap-domain", default=None)
    parser.add_argument("--zap-allow-plain", action="append", default=[])
    parser.add_argument("--zap-allow-curve", action="append", default=[])

    # argparse prints usage and exits 2 on its own; route that through emit().
    def error(message):
        raise PeerError(f"bad arguments: {message}")

    parser.error = error
    args = parser.parse_args(argv)
    if not args.bind and not args.connect:
        raise PeerError("bad arguments: give at least one --bind or --connect endpoint")
    if args.count < 0:
        raise PeerError("bad arguments: --count must be >= 0")
    if args.role == "send":
        if args.type not in SENDERS:
            raise PeerError(f"bad arguments: a {args.type} socket cannot send")
        if args.message is None:
            raise PeerError("bad arguments: --role send needs --message")
        try:
            args.frames = decode_message(json.loads(args.message), "--message")
        except json.JSONDecodeError as error:
            raise PeerError(f"bad arguments: --message is not JSON: {error}")
    if args.role == "recv" and args.type not in RECEIVERS:
        raise PeerError(f"bad arguments: a {args.type} socket cannot receive")
    if args.role == "echo" and args.type not in ECHOERS:
        raise PeerError(f"bad arguments: --role echo needs one of {sorted(ECHOERS)}")
    return args


def zap_handler(context, plain, curve, ready):
    """A ZAP handler (RFC 27) on a REP socket: 200 for the listed PLAIN users
    (user=password) and CURVE client keys (Z85), 400 for anyone else."""
    from zmq.utils import z85

    handler = context.socket(zmq.REP)
    handler.setsockopt(zmq.LINGER, 0)
    handler.bind("inproc://zeromq.zap.01")
    ready.set()
    try:
        while True:
            version, request_id, _domain, _address, _identity, mechanism, *credentials = (
                handler.recv_multipart()
            )
            if mechanism == b"PLAIN" and len(credentials) == 2:
                allowed = b"=".join(credentials).decode(errors="replace") in plain
            elif mechanism == b"CURVE" and len(credentials) == 1:
                allowed = z85.encode(credentials[0]).decode() in curve
            else:
                allowed = mechanism == b"NULL"
            status = b"200" if allowed else b"400"
            handler.send_multipart([version, request_id, status, b"OK" if allowed else b"No", b"", b""])
    except zmq.ContextTerminated:
        handler.close()


def secure(sock, args):
    """The security options named like libzmq's."""
    if args.zap_domain is not None:
        sock.setsockopt_string(zmq.ZAP_DOMAIN, args.zap_domain)
    if args.curve_server:
        sock.curve_server = True
    for option, value in (
        (zmq.CURVE_PUBLICKEY, args.curve_public_key),
        (zmq.CURVE_SECRETKEY, args.curve_secret_key),
        (zmq.CURVE_SERVERKEY, args.curve_server_key),
    ):
        if value is not None:
            sock.setsockopt(option, value.encode())
    if args.plain_server:
        sock.plain_server = True
    if args.plain_username is not None:
        sock.plain_username = args.plain_username.encode()
    if args.plain_password is not None:
        sock.plain_password = args.plain_password.encode()


class Peer:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.max_lifetime / 1000
        self.context = zmq.Context()
        if args.zap_allow_plain or args.zap_allow_curve:
            import threading

            ready = threading.Event()
            threading.Thread(
                target=zap_handler,
                args=(self.context, set(args.zap_allow_plain), set(args.zap_allow_curve), ready),
                daemon=True,
            ).start()
            ready.wait()
        self.socket = self.context.socket(SOCKET_TYPES[args.type])
        self.socket.setsockopt(zmq.LINGER, args.linger)
        secure(self.socket, args)
        self.events = []
        self.monitor = self.socket.get_monitor_socket() if args.monitor else None
        if args.routing_id is not None:
            self.socket.setsockopt(zmq.ROUTING_ID, decode_hex(args.routing_id, "--routing-id"))
        if args.xpub_verbose:
            self.socket.setsockopt(zmq.XPUB_VERBOSE, 1)
        if args.router_mandatory:
            self.socket.setsockopt(zmq.ROUTER_MANDATORY, 1)
        self.socket_fd = self.socket.getsockopt(zmq.FD)
        self.stdin = sys.stdin.buffer
        self.stdin_fd = self.stdin.fileno()
        self.stdin_chunks = [b""]
        # Outside the script role stdin only signals that the driving test went
        # away (EOF) when it is a pipe; a terminal or /dev/null says nothing.
        self.watch_stdin = args.role != "script" and stat.S_ISFIFO(
            os.fstat(self.stdin_fd).st_mode
        )

    def setup(self):
        endpoints = []
        for endpoint in self.args.bind:
            endpoints.append(self.bind(endpoint))
        for endpoint in self.args.connect:
            self.socket.connect(endpoint)
            endpoints.append(endpoint)
        for prefix in self.args.subscribe:
            self.subscribe(decode_hex(prefix, "--subscribe"), True)
        emit(
            {
                "event": "ready",
                "runtime": "pyzmq",
                "version": zmq.pyzmq_version(),
                "libzmq": zmq.zmq_version(),
                "type": self.args.type,
                "pid": os.getpid(),
                "endpoints": endpoints,
            }
        )

    def bind(self, endpoint):
        if endpoint.startswith("tcp://") and endpoint.endswith(":0"):
            endpoint = endpoint[:-2] + ":*"
        self.socket.bind(endpoint)
        return self.socket.getsockopt(zmq.LAST_ENDPOINT).decode()

    def subscribe(self, prefix, on):
        if self.args.type == "SUB":
            self.socket.setsockopt(zmq.SUBSCRIBE if on else zmq.UNSUBSCRIBE, prefix)
        elif self.args.type == "XSUB":
            self.socket.setsockopt(zmq.SNDTIMEO, self.args.timeout)
            self.socket.send((b"\x01" if on else b"\x00") + prefix)
        else:
            raise PeerError(f"a {self.args.type} socket cannot subscribe")

    # -- waiting ---------------------------------------------------------

    def wait_readable(self, timeout_ms):
        """Waits until the socket has a message. False on timeout; raises
        StdinClosed when the driving test goes away."""
        end = time.monotonic() + timeout_ms / 1000 if timeout_ms >= 0 else None
        poller = zmq.Poller()
        poller.register(self.socket, zmq.POLLIN)
        if self.watch_stdin:
            poller.register(self.stdin_fd, zmq.POLLIN)
        while True:
            now = time.monotonic()
            if now > self.deadline:
                raise StdinClosed()
            left = self.deadline - now if end is None else min(end, self.deadline) - now
            ready = dict(poller.poll(max(0, int(left * 1000))))
            if ready.get(self.socket):
                return True
            if ready.get(self.stdin_fd):
                # In the non-script roles stdin only matters for its EOF.
                if not os.read(self.stdin_fd, 65536):
                    raise StdinClosed()
            if end is not None and time.monotonic() >= end:
                return False

    def receive(self, timeout_ms):
        if not self.wait_readable(timeout_ms):
            return None
        return self.socket.recv_multipart()

    def send(self, frames, timeout_ms, retry=False):
        end = time.monotonic() + timeout_ms / 1000
        while True:
            self.socket.setsockopt(zmq.SNDTIMEO, max(0, int((end - time.monotonic()) * 1000)))
            try:
                self.socket.send_multipart(frames)
                return True
            except zmq.Again:
                return False
            except zmq.ZMQError as error:
                if not (retry and error.errno == zmq.EHOSTUNREACH) or time.monotonic() >= end:
                    raise
                time.sleep(0.01)

    def collect_events(self, until, timeout_ms):
        if self.monitor is None:
            raise PeerError("events need --monitor")
        from zmq.utils.monitor import recv_monitor_message

        end = time.monotonic() + timeout_ms / 1000
        while True:
            while self.monitor.poll(0):
                message = recv_monitor_message(self.monitor)
                name = EVENT_NAMES.get(message["event"], "unknown")
                address = message.get("endpoint", b"")
                if isinstance(address, bytes):
                    address = address.decode(errors="replace")
                self.events.append({"type": name, "address": address})
            if until is None or any(
                e["type"] == until or e["type"].startswith(until + ":") for e in self.events
            ):
                return False
            left = end - time.monotonic()
            if left <= 0:
                return True
            self.monitor.poll(int(left * 1000) + 1)

    # -- roles -----------------------------------------------------------

    def run(self):
        role = self.args.role
        if role == "script":
            self.run_script()
            return
        if role == "echo":
            handled = 0
            while self.args.count == 0 or handled < self.args.count:
                frames = self.receive(-1)
                emit({"event": "recv", "frames": [encode_frame(f) for f in frames]})
                self.send(frames, self.args.timeout)
                handled += 1
        elif role == "send":
            for index in range(self.args.count):
                if index and self.args.interval:
                    time.sleep(self.args.interval / 1000)
                if not self.send(self.args.frames, self.args.timeout):
                    emit({"event": "timeout", "op": "send", "index": index})
                    sys.exit(3)
                if self.args.type == "REQ":
                    self.report_one()
            emit({"event": "sent", "count": self.args.count})
        elif role == "recv":
            received = 0
            while self.args.count == 0 or received < self.args.count:
                self.report_one()
                received += 1
        emit({"event": "done"})

    def report_one(self):
        frames = self.receive(self.args.timeout)
        if frames is None:
            emit({"event": "timeout", "op": "recv"})
            sys.exit(3)
        emit({"event": "recv", "frames": [encode_frame(f) for f in frames]})

    def read_command(self):
        # Chunks are kept apart until a newline arrives, so a 20 MB command
        # line costs one join instead of a rescan per 64 KiB pipe read.
        while b"\n" not in self.stdin_chunks[-1]:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise StdinClosed()
            # The socket's own FD wakes us too: libzmq only attaches new
            # connections (and sends a SUB's subscriptions over them) when the
            # application touches the socket, as a real event loop would.
            poller = zmq.Poller()
            poller.register(self.stdin_fd, zmq.POLLIN)
            poller.register(self.socket_fd, zmq.POLLIN)
            ready = dict(poller.poll(int(left * 1000) + 1))
            if ready.get(self.socket_fd):
                self.socket.getsockopt(zmq.EVENTS)
            if not ready.get(self.stdin_fd):
                continue
            chunk = os.read(self.stdin_fd, 1 << 20)
            if not chunk:
                raise StdinClosed()
            self.stdin_chunks.append(chunk)
        line, rest = b"".join(self.stdin_chunks).split(b"\n", 1)
        self.stdin_chunks = [rest]
        return line

    def run_script(self):
        while True:
            line = self.read_command().strip()
            if not line:
                continue
            try:
                command = json.loads(line)
                if not isinstance(command, dict):
                    raise PeerError("a command is a JSON object")
                if command.get("op") == "exit":
                    # The test has asserted everything it needed; lingering on a
                    # connection to a peer it already closed only costs time.
                    self.socket.setsockopt(zmq.LINGER, 0)
                    emit({"event": "bye"})
                    return
                emit(self.execute(command))
            except json.JSONDecodeError as error:
                emit({"event": "error", "message": f"command is not JSON: {error}"})
            except PeerError as error:
                emit({"event": "error", "message": str(error), "code": error.code})
            except zmq.ZMQError as error:
                emit(
                    {
                        "event": "error",
                        "message": str(error),
                        "code": zmq_error_code(error.errno),
                    }
                )

    def execute(self, command):
        op = command.get("op")
        timeout = command.get("timeout", self.args.timeout)
        if not isinstance(timeout, int):
            raise PeerError(f"{op}: timeout must be an integer (ms)")
        if op == "send":
            frames = decode_message(command.get("frames"), "send.frames")
            if not self.send(frames, timeout, bool(command.get("retry"))):
                return {"event": "timeout", "op": "send"}
            return {"event": "sent"}
        if op == "recv":
            frames = self.receive(timeout)
            if frames is None:
                return {"event": "timeout", "op": "recv"}
            return {"event": "recv", "frames": [encode_frame(f) for f in frames]}
        if op in ("subscribe", "unsubscribe"):
            self.subscribe(decode_hex(command.get("prefix", ""), f"{op}.prefix"), op == "subscribe")
            return {"event": "ok"}
        if op in ("bind", "unbind", "connect", "disconnect"):
            endpoint = command.get("endpoint")
            if not isinstance(endpoint, str):
                raise PeerError(f"{op}: endpoint must be a string")
            if op == "bind":
                endpoint = self.bind(endpoint)
            else:
                getattr(self.socket, op)(endpoint)
            return {"event": "ok", "endpoint": endpoint}
        if op == "events":
            until = command.get("until")
            timed_out = self.collect_events(until, timeout)
            return {"event": "events", "events": list(self.events), "timedOut": timed_out}
        raise PeerError(f"unknown op {json.dumps(op)}")

    def close(self):
        if self.monitor is not None:
            self.socket.disable_monitor()
            self.monitor.close(0)
        self.socket.close()
        self.context.term()


def zmq_error_code(errno):
    for name in ("EAGAIN", "EHOSTUNREACH", "EFSM", "EINVAL", "EADDRINUSE", "ENOTSUP", "ETERM"):
        if getattr(zmq, name, None) == errno:
            return name
    return str(errno)


def main(argv):
    try:
        args = parse_args(argv)
        peer = Peer(args)
    except PeerError as error:
        emit({"event": "error", "message": str(error)})
        return 2
    try:
        peer.setup()
        peer.run()
    except StdinClosed:
        pass
    except PeerError as error:
        emit({"event": "error", "message": str(error)})
        return 2
    except zmq.ZMQError as error:
        emit({"event": "error", "message": str(error), "code": zmq_error_code(error.errno)})
        return 1
    finally:
        peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
