#!/usr/bin/python3
"""ZTL's object channel on pyzmq, for zedge's interop tests.

ZTL's ObjectPublisher binds a PUB socket and sends [scope, object]; its
ObjectSubscriber connects and subscribes to the scope. This peer keeps that
layout with the object as JSON or msgpack, or as a pickle (what ZTL sends)
to check that zedge refuses it.

Usage:
  ztl_objects.py publish SCOPE ENCODING
      binds tcp://127.0.0.1:0, prints 'LISTENING <endpoint>', then publishes
      ZTL's simple publisher's {'one': 1, 'more': 2, 'count': N} every 50 ms
      until stdin closes
  ztl_objects.py subscribe ENDPOINT SCOPE ENCODING COUNT
      receives COUNT objects and prints 'RESULT <json list of them>'
"""

import json
import pickle
import sys
import threading
import time

import msgpack
import zmq

ENCODERS = {
    "json": lambda obj: json.dumps(obj).encode("utf-8"),
    "msgpack": msgpack.packb,
    "pickle": pickle.dumps,
}
DECODERS = {
    "json": lambda data: json.loads(data.decode("utf-8")),
    "msgpack": msgpack.unpackb,
}


def publish(scope, encoding):
    context = zmq.Context()
    socket = context.socket(zmq.PUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.bind("tcp://127.0.0.1:0")
    print("LISTENING %s" % socket.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    stopping = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stopping.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    count = 0
    while not stopping.is_set():
        data = {"one": 1, "more": 2, "count": count}
        socket.send_multipart([scope.encode("utf-8"), ENCODERS[encoding](data)])
        count += 1
        time.sleep(0.05)
    socket.close(0)
    context.term()


def subscribe(endpoint, scope, encoding, count):
    context = zmq.Context()
    socket = context.socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.RCVTIMEO, 20000)
    socket.connect(endpoint)
    socket.setsockopt(zmq.SUBSCRIBE, scope.encode("utf-8"))
    received = []
    while len(received) < count:
        topic, data = socket.recv_multipart()
        received.append({"scope": topic.decode("utf-8"), "data": DECODERS[encoding](data)})
    print("RESULT " + json.dumps(received), flush=True)
    socket.close(0)
    context.term()


def main():
    command = sys.argv[1]
    if command == "publish":
        publish(sys.argv[2], sys.argv[3])
    elif command == "subscribe":
        subscribe(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
