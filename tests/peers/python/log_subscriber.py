"""Reads the log records a zedge PUB log sink publishes, as the README shows.

    python3 log_subscriber.py ENDPOINT PREFIX COUNT

Subscribes to topics starting with PREFIX (e.g. "kitchen-bot."), then prints
COUNT records, each as one JSON line with its topic added.
"""
import json
import sys

import zmq

endpoint, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.RCVTIMEO, 10000)  # a test's deadline: fail rather than hang
sub.connect(endpoint)
sub.setsockopt_string(zmq.SUBSCRIBE, prefix)
for _ in range(count):
    topic, body = sub.recv_multipart()
    record = json.loads(body)  # time, level, category, message, properties, robot, component
    print(json.dumps({"topic": topic.decode(), **record}), flush=True)
