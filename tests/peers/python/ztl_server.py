#!/usr/bin/python3
"""A ZTL task server on pyzmq, written from docs/ztl-wire.md (REP socket).

Serves the ZTL example controller on the given scopes: handler 'test' with
components 'echo' (result = goal), 'print' (prints the goal, result True) and
'sleep' (goal = seconds, abortable). Tasks run in threads; the REP loop answers
one request at a time, as ZTL's server does.

With --example it answers as ZTL 0.2.3's own example server instead: INIT
of a handler other than 'test' raises (FAILED "Controller threw exception: ...");
an unknown component is accepted, then FAILED; print gives True; sleep takes
whole seconds and cannot be aborted (ABORT answers the state and False); INIT
answers "Initiated task 'N' with request: {'handler': ...}" and a running
task's status text is None.

Usage: ztl_server.py [--bind tcp://127.0.0.1:0] [--example] SCOPE [SCOPE...]

Prints 'LISTENING <endpoint>' once bound; stops when stdin closes or on
SIGTERM / SIGINT.
"""

import argparse
import signal
import sys
import threading
import time

import zmq

import ztl_protocol as p


class TestTask(object):
    def __init__(self, mid, spec):
        self.mid = mid
        self.spec = spec
        self.state = p.INITIATED
        self.reply = "Task '%d' initiated" % mid
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def finish(self, state, reply):
        with self.lock:
            if self.state > p.ACCEPTED:
                return
            self.state = state
            self.reply = reply

    def run(self):
        with self.lock:
            if self.state != p.INITIATED:
                return
            self.state = p.ACCEPTED
            self.reply = "running"
        component, goal = self.spec["component"], self.spec["goal"]
        if component == "echo":
            self.finish(p.COMPLETED, goal)
        elif component == "print":
            print(goal, flush=True)
            self.finish(p.COMPLETED, "True")
        elif component == "sleep":
            if self.stop.wait(float(goal)):
                self.finish(p.ABORTED, "Task '%d' aborted" % self.mid)
            else:
                self.finish(p.COMPLETED, "slept %s s" % goal)


class TestController(object):
    """ZTL's TaskController interface: init / status / abort."""

    def __init__(self):
        self.current_id = 0
        self.tasks = {}

    def init(self, payload):
        spec = p.decode_task(payload)
        if spec["handler"] != "test":
            return -1, "No such handler '%s', try 'test'." % spec["handler"]
        if spec["component"] not in ("echo", "print", "sleep"):
            return -1, "No such component '%s'." % spec["component"]
        if spec["component"] == "sleep":
            try:
                float(spec["goal"])
            except ValueError:
                return -1, "Goal of 'test:sleep' must be a number of seconds."
        self.current_id += 1
        task = TestTask(self.current_id, spec)
        self.tasks[task.mid] = task
        threading.Thread(target=task.run, daemon=True).start()
        return task.mid, "Initiated task '%d' with request: %s" % (task.mid, spec)

    def status(self, mid, payload):
        task = self.tasks.get(mid)
        if task is None:
            return p.REJECTED, "Invalid ID '%d'" % mid
        with task.lock:
            return task.state, task.reply

    def abort(self, mid, payload):
        task = self.tasks.get(mid)
        if task is None:
            return p.REJECTED, "Invalid ID '%d'" % mid
        task.stop.set()
        if task.state == p.INITIATED:
            task.finish(p.ABORTED, "Task '%d' aborted" % mid)
        deadline = time.time() + 1.0
        while task.state <= p.ACCEPTED and time.time() < deadline:
            time.sleep(0.01)
        with task.lock:
            return task.state, task.reply


class ExampleTask(threading.Thread):
    """A task of ZTL's example controller: runs once, cannot be stopped."""

    def __init__(self, component, goal):
        threading.Thread.__init__(self, daemon=True)
        self.component = component
        self.goal = goal
        self.state = p.INITIATED
        self.result = None

    def execute(self):
        if self.component == "echo":
            return self.goal
        if self.component == "print":
            print(self.goal, flush=True)
            return True
        if self.component == "sleep":
            time.sleep(int(self.goal))
            return True
        raise RuntimeError("No such component '%s', try 'echo/print/sleep'." % self.component)

    def run(self):
        self.state = p.ACCEPTED
        try:
            self.result = self.execute()
            self.state = p.COMPLETED
        except Exception as e:
            self.result = e
            self.state = p.FAILED


class ExampleController(object):
    """ZTL 0.2.3's example controller as it behaves on the wire."""

    def __init__(self):
        self.current = 0
        self.tasks = {}

    def init(self, payload):
        # The id is taken before the request is checked, as ZTL does.
        self.current += 1
        request = p.decode_task(payload)
        if request["handler"] != "test":
            raise RuntimeError("No such handler '%s', try 'test'." % request["handler"])
        task = ExampleTask(request["component"], request["goal"])
        self.tasks[self.current] = task
        task.start()
        return self.current, "Initiated task '%s' with request: %s" % (self.current, request)

    def status(self, mid, payload):
        if mid not in self.tasks:
            return p.REJECTED, "Invalid ID '%s'" % mid
        task = self.tasks[mid]
        return task.state, task.result

    def abort(self, mid, payload):
        if mid not in self.tasks:
            return p.REJECTED, "Invalid ID '%s'" % mid
        return self.tasks[mid].state, False


def dispatch(controllers, frame):
    """Returns the reply frame for one request frame, as the wire doc says."""
    request = p.decode_message(frame)
    if not all(field in request for field in p.FIELDS):
        return p.encode_message("", p.REJECTED, -1, "Unknown protocol")
    scope = request["scope"]
    if scope not in controllers:
        return p.encode_message(scope, p.REJECTED, -1, "No controller for scope: " + scope)
    controller = controllers[scope]
    try:
        code = int(request["state"])
    except ValueError:
        return p.encode_message(scope, p.REJECTED, -1, "Invalid request")
    try:
        mid = int(request["id"])
    except ValueError:
        return p.encode_message(scope, p.REJECTED, -1, "Invalid ID '%s'" % request["id"])
    payload = request["payload"]
    try:
        if code == p.INIT:
            ticket, reply = controller.init(payload)
            state = p.ACCEPTED if ticket > 0 else p.REJECTED
            return p.encode_message(scope, state, ticket, reply)
        if code == p.STATUS:
            state, reply = controller.status(mid, payload)
            return p.encode_message(scope, state, mid, reply)
        if code == p.ABORT:
            state, reply = controller.abort(mid, payload)
            return p.encode_message(scope, state, mid, reply)
        return p.encode_message(scope, p.REJECTED, mid, "Invalid request")
    except Exception as e:  # a controller error is a FAILED reply, never a dead server
        return p.encode_message(scope, p.FAILED, mid, "Controller threw exception: " + str(e))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bind", default="tcp://127.0.0.1:0")
    parser.add_argument("--example", action="store_true", help="answer as ZTL's example server")
    parser.add_argument("scopes", nargs="+")
    args = parser.parse_args()

    context = zmq.Context()
    socket = context.socket(zmq.REP)
    socket.setsockopt(zmq.LINGER, 0)
    socket.bind(args.bind)
    endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
    controller = ExampleController() if args.example else TestController()
    controllers = dict((scope, controller) for scope in args.scopes)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())

    def watch_stdin():
        sys.stdin.read()
        stopping.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print("LISTENING %s" % endpoint, flush=True)

    poller = zmq.Poller()
    poller.register(socket, zmq.POLLIN)
    while not stopping.is_set():
        if not poller.poll(50):
            continue
        frame = socket.recv()
        try:
            reply = dispatch(controllers, frame)
        except Exception:
            reply = p.encode_message("", p.REJECTED, -1, "Unknown protocol")
        socket.send(reply)
    socket.close(0)
    context.term()


if __name__ == "__main__":
    main()
