#!/usr/bin/python3
"""A ZTL task client on pyzmq, written from docs/ztl-wire.md (REQ socket).

RemoteTask behaves like ZTL's: REQ socket, 2000 ms send and receive timeouts,
linger 1 ms; on any ZeroMQ error it closes the socket (linger 0) and
reconnects on the next call; wait() polls STATUS every 100 ms.

Usage:
  ztl_client.py run HOST PORT SCOPE handler:component:goal [-t SECONDS] [--separator SEP]
      trigger, wait, abort on timeout (like ztl_task_client)
  ztl_client.py abort HOST PORT SCOPE handler:component:goal [--after SECONDS]
      trigger, abort after a while, then query the status
  ztl_client.py raw HOST PORT TEXT [TEXT...]
      send each TEXT as one request and print the raw replies

Every command ends with one line 'RESULT <json>' for tests to read.
"""

import argparse
import json
import sys
import time

import zmq

import ztl_protocol as p


class RemoteTask(object):
    def __init__(self, host, port, scope, timeout=2000):
        self.context = zmq.Context()
        self.address = "tcp://%s:%s" % (host, port)
        self.timeout = timeout
        self.scope = scope
        self.socket = None
        self._connect()

    def _connect(self):
        if self.socket is not None:
            self.socket.setsockopt(zmq.LINGER, 0)
            self.socket.close()
        self.socket = self.context.socket(zmq.REQ)
        self.socket.setsockopt(zmq.RCVTIMEO, self.timeout)
        self.socket.setsockopt(zmq.SNDTIMEO, self.timeout)
        self.socket.setsockopt(zmq.LINGER, 1)
        self.socket.connect(self.address)

    def _disconnect(self):
        if self.socket is not None:
            self.socket.setsockopt(zmq.LINGER, 0)
            self.socket.close()
            self.socket = None

    def _request(self, state, mid, payload):
        if self.socket is None:
            self._connect()
        self.socket.send(p.encode_message(self.scope, state, mid, payload))
        return p.decode_message(self.socket.recv())

    def trigger(self, payload):
        try:
            reply = self._request(p.INIT, -1, payload)
            return int(reply["id"]), reply["payload"]
        except zmq.error.ZMQError as e:
            self._disconnect()
            return -1, repr(e)
        except Exception as e:
            return -1, repr(e)

    def abort(self, mid, payload="abort command"):
        try:
            reply = self._request(p.ABORT, mid, payload)
            return int(reply["state"]), reply["payload"]
        except zmq.error.ZMQError as e:
            self._disconnect()
            return -1, repr(e)
        except Exception as e:
            return -1, repr(e)

    def status(self, mid, payload="status update"):
        try:
            reply = self._request(p.STATUS, mid, payload)
            return int(reply["state"]), reply["payload"]
        except zmq.error.ZMQError as e:
            self._disconnect()
            return p.FAILED, repr(e)
        except Exception as e:
            return p.FAILED, repr(e)

    def wait(self, mid, payload="waiting poll", timeout=5.0):
        start = time.time()
        state, reply = -1, None
        while timeout <= 0 or (time.time() - start) < timeout:
            state, reply = self.status(mid, payload=payload)
            if state > p.ACCEPTED:
                return state, reply
            time.sleep(0.1)
        return state, reply

    def close(self):
        self._disconnect()
        self.context.term()


def result(**fields):
    print("RESULT " + json.dumps(fields), flush=True)


def spec_of(text):
    parts = text.split(":", 2)
    if len(parts) < 3:
        sys.exit("task must be handler:component:goal")
    return parts


def command_run(args):
    task = RemoteTask(args.host, args.port, args.scope)
    handler, component, goal = spec_of(args.task)
    request = p.encode_task(handler, component, goal, args.separator)
    print("Triggering task with request '%s'..." % request, flush=True)
    mid, reply = task.trigger(request)
    if mid <= 0:
        print("Task '%d' could not be triggered: '%s'." % (mid, reply), flush=True)
        result(id=mid, state=-1, reply=reply)
        task.close()
        return 1
    print("Initialised task with ID '%d' for %ss. Reply is '%s'." % (mid, args.timeout, reply))
    state, reply = task.wait(mid, timeout=args.timeout)
    if state <= p.ACCEPTED:
        state, reply = task.abort(mid)
        print("Task with ID '%d' aborted after timeout: state '%s'." % (mid, p.state_name(state)))
    else:
        print("Task with ID '%d' finished in state '%s' while waiting. Result is '%s'."
              % (mid, p.state_name(state), reply))
    result(id=mid, state=state, reply=reply)
    task.close()
    return 0 if state == p.COMPLETED else 1


def command_abort(args):
    task = RemoteTask(args.host, args.port, args.scope)
    handler, component, goal = spec_of(args.task)
    mid, reply = task.trigger(p.encode_task(handler, component, goal))
    if mid <= 0:
        result(id=mid, state=-1, reply=reply)
        task.close()
        return 1
    time.sleep(args.after)
    running, progress = task.status(mid)
    abort_state, abort_reply = task.abort(mid)
    final_state, final_reply = task.status(mid)
    result(id=mid, running=running, progress=progress, abort_state=abort_state,
           abort_reply=abort_reply, final_state=final_state, final_reply=final_reply)
    task.close()
    return 0


def command_raw(args):
    context = zmq.Context()
    replies = []
    for text in args.texts:
        socket = context.socket(zmq.REQ)
        socket.setsockopt(zmq.RCVTIMEO, 2000)
        socket.setsockopt(zmq.SNDTIMEO, 2000)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect("tcp://%s:%s" % (args.host, args.port))
        try:
            socket.send(text.encode("utf-8", "surrogateescape"))
            replies.append(socket.recv().decode("utf-8"))
        except zmq.error.ZMQError as e:
            replies.append("ERROR " + repr(e))
        socket.close()
    context.term()
    result(replies=replies)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run")
    abort = commands.add_parser("abort")
    for sub in (run, abort):
        sub.add_argument("host")
        sub.add_argument("port", type=int)
        sub.add_argument("scope")
        sub.add_argument("task")
    run.add_argument("-t", "--timeout", type=float, default=5.0)
    run.add_argument("--separator", default=":", choices=p.SEPARATORS)
    abort.add_argument("--after", type=float, default=0.3)
    raw = commands.add_parser("raw")
    raw.add_argument("host")
    raw.add_argument("port", type=int)
    raw.add_argument("texts", nargs="+")
    args = parser.parse_args()
    handler = {"run": command_run, "abort": command_abort, "raw": command_raw}[args.command]
    sys.exit(handler(args))


if __name__ == "__main__":
    main()
