// `zedge topic` and `zedge service` as a user runs them, each its own process,
// against the example robot run by `zedge robot run`: list with publishers,
// subscribers and rates, echo (YAML, --once, --json), hz in ros2's format, bw,
// pub onto the operator's topic (and refused elsewhere), service list and call
// (a reply, and a handler's failure); the robot named by its YAML, by -c and
// by --control, the same way every time.
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawn, zedge } from "../tasks/processes.ts";
import { exampleRobot } from "./example_robot.ts";
import { spawnRobot } from "./helpers.ts";
import { tempDir } from "../core/helpers.ts";

Deno.test("topic and service commands against the example robot", async (t) => {
  const dir = await tempDir("zedge-topic-");
  const control = `ipc://${join(dir, "kitchen-bot.sock")}`;
  const robot = await exampleRobot(`control: ${control}\n`);
  const running = await spawnRobot(robot.file);
  try {
    await t.step("topic list: every topic, its publishers, subscribers and rate", async () => {
      const list = await zedge(["topic", "list", robot.file]);
      assert.equal(list.code, 0, list.stderr);
      const rows = list.stdout.trim().split("\n").map((l) => l.split(/\s+/));
      assert.deepEqual(rows[0], ["TOPIC", "RATE", "PUBLISHERS", "SUBSCRIBERS", "ENCODING"]);
      const byTopic = Object.fromEntries(rows.slice(1).map((r) => [r[0], r]));
      assert.deepEqual(Object.keys(byTopic).sort(), ["goal", "odom", "odom.filtered"]);
      assert.deepEqual(byTopic.odom.slice(2), ["odometry", "filter", "msgpack"]);
      assert.deepEqual(byTopic.goal.slice(2), ["(operator)", "navigator", "json"]);
      const json = await zedge(["topic", "list", "--control", control, "--json"]);
      const topics = JSON.parse(json.stdout) as { topic: string; rate: number }[];
      assert.ok(topics.find((t) => t.topic === "odom")!.rate >= 0);
    });

    await t.step("topic echo: YAML with --- between messages; --once; --json lines", async () => {
      const once = await zedge(["topic", "echo", "odom", "-c", robot.file, "--once"]);
      assert.equal(once.code, 0, once.stderr);
      assert.match(once.stdout, /^x: -?\d[\d.e-]*\ny: -?\d[\d.e-]*\ntheta: -?\d[\d.e-]*\n---\n$/);
      const json = await zedge(["topic", "echo", "odom.filtered", robot.file, "--once", "--json"]);
      const line = JSON.parse(json.stdout);
      assert.equal(line.topic, "odom.filtered");
      assert.equal(line.source, "filter");
      assert.deepEqual(Object.keys(line.value).sort(), ["theta", "x", "y"]);
      const unknown = await zedge(["topic", "echo", "odm", robot.file, "--once"]);
      assert.equal(unknown.code, 1);
      assert.match(
        unknown.stderr,
        /^zedge: no topic 'odm' on this robot \(topics: goal, odom, odom\.filtered\)\n$/,
      );
    });

    await t.step("topic hz: ros2's format, once a second, about 100 Hz", async () => {
      const hz = spawn(Deno.execPath(), [
        "run",
        "-A",
        "cli/main.ts",
        "topic",
        "hz",
        "odom",
        robot.file,
      ]);
      const [report] = await hz.waitFor(
        /average rate: (\d+\.\d{3})\n\tmin: \d+\.\d{3}s max: \d+\.\d{3}s std dev: \d+\.\d{5}s window: \d+\n/,
      );
      const rate = Number(/average rate: ([\d.]+)/.exec(report)![1]);
      // The odometry publishes at 100 Hz; a loaded machine's timers run late, never early.
      assert.ok(rate > 20 && rate < 130, report);
      const exit = await hz.stop();
      assert.equal(exit.code, 0, hz.stderr());
    });

    await t.step("topic bw: ros2's format", async () => {
      const bw = spawn(Deno.execPath(), [
        "run",
        "-A",
        "cli/main.ts",
        "topic",
        "bw",
        "odom",
        robot.file,
      ]);
      await bw.waitFor(
        /\d+\.\d\d KB\/s from \d+ messages\n\tMessage size mean: [\d.]+ KB min: [\d.]+ KB max: [\d.]+ KB\n/,
      );
      assert.match(bw.stdout(), /^Subscribed to \[odom\]\n/);
      assert.equal((await bw.stop()).code, 0);
    });

    await t.step(
      "topic pub: onto the operator's topic, which the navigator plans; refused elsewhere",
      async () => {
        const pub = await zedge(["topic", "pub", "goal", "{to: [5, 2]}", robot.file, "--once"]);
        assert.equal(pub.code, 0, pub.stderr);
        assert.equal(pub.stdout, 'publisher: beginning loop\npublishing #1: {"to":[5,2]}\n\n');
        await running.waitFor(/navigator: path to goal \[5, 2\] from the operator: 6 steps/);
        const refused = await zedge(["topic", "pub", "odom", '{"x": 0}', robot.file, "--once"]);
        assert.equal(refused.code, 1);
        assert.match(
          refused.stderr,
          /'odom' is not among the topics an operator may publish: add it to the robot YAML's operator\.publishes/,
        );
        const bad = await zedge(["topic", "pub", "goal", "{to: [", robot.file, "--once"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /^zedge: VALUE: not JSON \(or YAML\)/);
      },
    );

    await t.step("service list and call: a reply, a handler's failure", async () => {
      const list = await zedge(["service", "list", robot.file]);
      assert.equal(list.stdout, "SERVICE  PROVIDERS\nplan     planner\n");
      const call = await zedge([
        "service",
        "call",
        "plan",
        '{"from": [0, 0], "to": [1, 1]}',
        robot.file,
      ]);
      assert.equal(call.code, 0, call.stderr);
      assert.equal(
        call.stdout,
        'requester: making request: {"from":[0,0],"to":[1,1]}\n\nresponse:\npath:\n  - - 0\n    - 0\n  - - 1\n    - 1\n\n',
      );
      const json = await zedge([
        "service",
        "call",
        "plan",
        "{to: [2, 0]}",
        "--control",
        control,
        "--json",
      ]);
      assert.deepEqual(JSON.parse(json.stdout), { path: [[0, 0], [1, 0], [2, 0]] });
      const failed = await zedge(["service", "call", "plan", "{}", robot.file]);
      assert.equal(failed.code, 1);
      assert.match(
        failed.stderr,
        /^zedge: service call failed: handler-error: TypeError: a plan request needs 'to'\n$/,
      );
      const unknown = await zedge(["service", "call", "route", "{}", robot.file]);
      assert.match(
        unknown.stderr,
        /unknown-service: no component provides 'route' \(services: plan\)/,
      );
    });
  } finally {
    const exit = await running.stop();
    assert.equal(exit.code, 0, running.stderr());
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(robot.dir, { recursive: true });
  }
});

Deno.test("topic and service commands: a robot that is not running is one clear line", async () => {
  const dir = await tempDir("zedge-topic-");
  for (const args of [["topic", "list"], ["topic", "echo", "odom"], ["service", "list"]]) {
    const result = await zedge([...args, "--control", `ipc://${dir}/none.sock`]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^zedge: no robot supervisor answers at ipc:\/\/.*none\.sock: .* does not exist \(is the robot running\?\)\n$/,
    );
  }
  const none = await zedge(["topic", "list"], "", {});
  assert.equal(none.code, 2);
  assert.match(none.stderr, /which robot\?/);
  await Deno.remove(dir, { recursive: true });
});
