/**
 * A pyzmq subscriber (libzmq 4.3) reads the PUB log sink's records: the
 * topic `<robot>.<component>.<level>` filters by prefix at the publisher,
 * and the body is plain JSON.
 *
 * @module
 */
import assert from "node:assert/strict";
import { configure, getLogger, reset } from "@logtape/logtape";
import { createPubLogSink, XPublisher } from "../../mod.ts";
import { subscriptionSeen } from "../core/helpers.ts";
import { PYTHON, pythonZmqMissing, repoPath } from "../tasks/helpers.ts";
import { spawn } from "../tasks/processes.ts";

Deno.test("logs over PUB: a pyzmq subscriber reads the records", async () => {
  const missing = await pythonZmqMissing();
  assert.equal(missing, undefined, missing);
  const xpub = new XPublisher({ linger: 0 });
  await xpub.bind("tcp://127.0.0.1:0");
  const logs = await createPubLogSink({ socket: xpub, robot: "kitchen-bot", component: "main" });
  const other = await createPubLogSink({ socket: xpub, robot: "arm-bot" });
  const python = spawn(PYTHON, [
    repoPath("tests/peers/python/log_subscriber.py"),
    xpub.lastEndpoint!,
    "kitchen-bot.",
    "3",
  ], "null");
  try {
    await subscriptionSeen(xpub, "kitchen-bot.");
    await configure({
      reset: true,
      sinks: { pub: logs.sink },
      loggers: [
        { category: ["app"], sinks: ["pub"], lowestLevel: "info" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
      ],
    });
    other.publish("gripper", {
      time: 1,
      level: "error",
      category: [],
      message: "not subscribed to",
      properties: {},
    });
    getLogger(["app"]).info("odometry at {hz} Hz", { hz: 50 });
    const time = Date.UTC(2026, 11, 1);
    logs.publish("planner", {
      time,
      level: "warning",
      category: ["kitchen-bot", "planner"],
      message: "no path to the dock — retrying",
      properties: { goal: [4, 2], ticks: 10n },
    });
    logs.publish("planner", {
      time,
      level: "fatal",
      category: [],
      message: "done",
      properties: {},
    });
    const status = await python.status;
    assert.equal(status.code, 0, python.stderr());
    const received = python.stdout().trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(received.length, 3);
    assert.equal(received[0].topic, "kitchen-bot.main.info");
    assert.equal(received[0].message, "odometry at 50 Hz");
    assert.deepEqual(received[0].properties, { hz: 50 });
    assert.deepEqual(received[1], {
      topic: "kitchen-bot.planner.warning",
      time,
      level: "warning",
      category: ["kitchen-bot", "planner"],
      message: "no path to the dock — retrying",
      properties: { goal: [4, 2], ticks: "10" },
      robot: "kitchen-bot",
      component: "planner",
    });
    assert.equal(received[2].topic, "kitchen-bot.planner.fatal");
  } finally {
    await reset();
    await python.stop();
    await other.close();
    await logs.close();
    await xpub.close();
  }
});
