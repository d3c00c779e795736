// The live figures' parts, without a running robot: rates, the task board,
// the socket watch, the Prometheus text (read back by prometheus_client's
// parser), the `status` key of the robot YAML and its permission, and the
// screen `zedge robot top` draws.
import assert from "node:assert/strict";
import { ConfigFileError } from "../../core/config/yaml_schema.ts";
import { Pull, Push } from "../../core/sockets/mod.ts";
import type { StateReply, TaskController } from "../../core/tasks/controller.ts";
import { encodeTask, TaskState } from "../../core/tasks/protocol.ts";
import { TestController } from "../../core/tasks/test_controller.ts";
import { parseRobotConfig } from "../../robot/config.ts";
import type { ComponentStatus } from "../../robot/control.ts";
import { RobotObservatory } from "../../robot/observe/observatory.ts";
import { escapeLabelValue, formatPrometheusText } from "../../robot/observe/prometheus_text.ts";
import { RateSeries } from "../../robot/observe/rate_series.ts";
import { robotMetricsText } from "../../robot/observe/robot_metrics.ts";
import { SocketWatch } from "../../robot/observe/socket_watch.ts";
import { TaskBoard } from "../../robot/observe/task_board.ts";
import type { RobotView } from "../../robot/observe/view.ts";
import { robotProcessPermissions } from "../../robot/process_permissions.ts";
import { fitWidth, formatTop, sparkline } from "../../cli/robot_top_format.ts";
import { waitFor } from "./helpers.ts";
import { parsePrometheusText, sampleValue } from "./prometheus_parser.ts";

Deno.test("RateSeries: per second between samples, a restart counts from zero, a minute kept", () => {
  const series = new RateSeries();
  series.update(0, 0);
  assert.equal(series.rate, 0);
  series.update(100, 1000);
  series.update(250, 2000);
  assert.equal(series.rate, 150);
  series.update(30, 2500); // the component restarted: 30 since
  assert.equal(series.rate, 60);
  assert.deepEqual(series.history, [100, 150, 60]);
  for (let i = 0; i < 100; i++) series.update(30 + i, 3000 + i * 1000);
  assert.equal(series.history.length, 60);
});

Deno.test("TaskBoard: sees every task of every scope, with progress while running and counts by final state", async () => {
  const board = new TaskBoard();
  const test = board.watch("/test", new TestController());
  const other = board.watch("/other", new TestController());
  try {
    const echo = await test.init(encodeTask("test", "echo", "hello"));
    const sleep = await other.init(encodeTask("test", "sleep", "30"));
    assert.ok(echo.id > 0 && sleep.id > 0);
    await assert.rejects(Promise.resolve(test.init(encodeTask("nope", "x", ""))));
    await waitFor(() => {
      const state = (test.status(echo.id, "") as StateReply).state;
      return state === TaskState.COMPLETED;
    }, "echo to complete");
    const figures = await board.figures();
    assert.equal(figures.started, 2);
    assert.equal(figures.running, 1);
    assert.deepEqual(figures.finished, { COMPLETED: 1 });
    const [running, done] = figures.tasks;
    assert.deepEqual(
      [running.scope, running.handler, running.component, running.goal, running.state],
      ["/other", "test", "sleep", "30", "ACCEPTED"],
    );
    assert.equal(running.payload, "sleeping for 30 s");
    assert.equal(running.finishedAt, null);
    assert.deepEqual([done.scope, done.state, done.payload], ["/test", "COMPLETED", "hello"]);
    assert.ok(done.finishedAt !== null);
    await other.abort(sleep.id, "");
    assert.deepEqual((await board.figures()).finished, { COMPLETED: 1, ABORTED: 1 });
  } finally {
    await test.close?.();
    await other.close?.();
  }
});

Deno.test("TaskBoard: a controller without a change feed is asked for its tasks' states", async () => {
  const states = new Map<number, StateReply>();
  let next = 1;
  const plain: TaskController = {
    init: () => {
      const id = next++;
      states.set(id, { state: TaskState.ACCEPTED, payload: `step 1 of task ${id}` });
      return { id, payload: "ok" };
    },
    status: (id) => states.get(id) ?? { state: TaskState.REJECTED, payload: "unknown" },
    abort: (id) => states.get(id)!,
  };
  const board = new TaskBoard();
  const watched = board.watch("/plain", plain);
  assert.equal(watched.onStateChange, undefined, "the wrapper adds no feed the controller lacks");
  const { id } = await watched.init(encodeTask("arm", "home", ""));
  assert.equal((await board.figures()).tasks[0].payload, `step 1 of task ${id}`);
  states.set(id, { state: TaskState.FAILED, payload: "arm stuck" });
  const figures = await board.figures();
  assert.deepEqual([figures.tasks[0].state, figures.tasks[0].payload], ["FAILED", "arm stuck"]);
  assert.deepEqual([figures.running, figures.finished], [0, { FAILED: 1 }]);
  const refused = await new TaskBoard().watch("/x", {
    ...plain,
    init: () => ({ id: -1, payload: "no" }),
  }).init(encodeTask("a", "b", ""));
  assert.equal(refused.id, -1);
});

Deno.test("SocketWatch: groups a component's sockets by type and endpoint, closed ones keep counting", async () => {
  const watch = new SocketWatch();
  const pull = new Pull({ linger: 0 });
  const pushes = [new Push({ linger: 0 }), new Push({ linger: 0 })];
  try {
    await pull.bind("inproc://socket-watch-test");
    for (const push of pushes) {
      push.connect("inproc://socket-watch-test");
      await push.send("one");
      await push.send("two");
    }
    for (let i = 0; i < 4; i++) await pull.receive();
    await pushes[0].close();
    await waitFor(
      () => watch.sample().find((s) => s.type === "PULL")?.connections === 1,
      "the closed PUSH to be gone",
    );
    const sample = watch.sample();
    const pushGroup = sample.filter((s) => s.type === "PUSH");
    assert.equal(pushGroup.length, 1, JSON.stringify(sample));
    assert.equal(pushGroup[0].endpoint, "inproc://socket-watch-test");
    assert.equal(pushGroup[0].messagesSent, 4, "the closed socket's two still count");
    assert.equal(pushGroup[0].connections, 1);
    const pullGroup = sample.find((s) => s.type === "PULL")!;
    assert.deepEqual([pullGroup.messagesReceived, pullGroup.endpoint], [
      4,
      "inproc://socket-watch-test",
    ]);
    assert.ok(pullGroup.bytesReceived >= 4 * 3, String(pullGroup.bytesReceived));
  } finally {
    watch.close();
    for (const push of pushes) await push.close();
    await pull.close();
  }
});

Deno.test("Prometheus text: escaping and values as the format spells them, read back by prometheus_client", async () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const text = formatPrometheusText([
    {
      name: "zedge_test_total",
      help: "A help with a \\ and\na newline.",
      type: "counter",
      samples: [
        { labels: { component: 'say "hi"\n', path: "C:\\robot" }, value: 3 },
        { labels: {}, value: 1.5e21 },
      ],
    },
    {
      name: "zedge_test_level",
      help: "Levels.",
      type: "gauge",
      samples: [
        { labels: { v: "nan" }, value: NaN },
        { labels: { v: "inf" }, value: Infinity },
        { labels: { v: "-inf" }, value: -Infinity },
      ],
    },
  ]);
  const families = await parsePrometheusText(text);
  assert.deepEqual(families.map((f) => [f.name, f.type]), [
    ["zedge_test", "counter"],
    ["zedge_test_level", "gauge"],
  ]);
  assert.equal(families[0].help, "A help with a \\ and\na newline.");
  assert.deepEqual(families[0].samples[0].labels, { component: 'say "hi"\n', path: "C:\\robot" });
  assert.equal(families[0].samples[1].value, 1.5e21);
  assert.ok(Number.isNaN(sampleValue(families, "zedge_test_level", { v: "nan" })));
  assert.equal(sampleValue(families, "zedge_test_level", { v: "inf" }), Infinity);
  assert.equal(sampleValue(families, "zedge_test_level", { v: "-inf" }), -Infinity);
  assert.throws(() =>
    formatPrometheusText([{ name: "bad-name", help: "", type: "gauge", samples: [] }])
  );
  await assert.rejects(parsePrometheusText('zedge_x{a="unterminated} 1\n'), /refused/);
});

function component(name: string, kind: string, state: ComponentStatus["state"]): ComponentStatus {
  return {
    name,
    kind,
    state,
    restarts: state === "running" ? 0 : 3,
    uptimeMs: state === "running" ? 5000 : 0,
    lastError: state === "running" ? null : "Error: boom\n    at main (odometry.ts:3:9)",
    permissions: { net: [], read: [], write: [], env: [] },
  };
}

/** An observatory fed two samples of a small robot, a second apart. */
function sampleObservatory(): RobotObservatory {
  const status = {
    robot: "test-bot",
    pid: 42,
    uptimeMs: 61_000,
    components: [
      component("odometry", "node", "running"),
      component("filter", "node", "running"),
      component("tasks", "task-server", "running"),
      component("feeder", "pipeline-distributor", "running"),
      component("broken", "node", "failed"),
    ],
  };
  const observatory = new RobotObservatory(() => status);
  const socket = (messagesSent: number) => ({
    type: "PUB",
    endpoint: "inproc://zedge/test-bot/odometry/topics",
    messagesSent,
    messagesReceived: 0,
    bytesSent: messagesSent * 40,
    bytesReceived: 12,
    connections: 1,
    handshakeFailures: 0,
    dropped: 2,
  });
  for (const [at, n] of [[1_000, 0], [2_000, 50]]) {
    observatory.figures("odometry", {
      at,
      sockets: [socket(n)],
      topics: { published: { odom: n }, received: {}, subscriptions: [] },
    });
    observatory.figures("filter", {
      at,
      sockets: [],
      topics: { published: {}, received: { odom: n }, subscriptions: ["odom*"] },
    });
    observatory.figures("tasks", {
      at,
      sockets: [],
      tasks: {
        started: 3,
        running: 1,
        finished: { COMPLETED: 1, FAILED: 1 },
        tasks: [{
          scope: "/robot",
          id: 3,
          handler: "drive",
          component: "forward",
          goal: "2",
          state: "ACCEPTED",
          payload: "driving forward: 0.4 of 2 m, a very long progress text that goes on",
          createdAt: at - 500,
          finishedAt: null,
        }],
      },
    });
    observatory.figures("feeder", {
      at,
      sockets: [],
      pipeline: {
        role: "pipeline-distributor",
        done: n,
        failed: 1,
        retried: 4,
        total: 200,
        inFlight: 8,
        rate: 50,
        etaMs: 3000,
        workers: 2,
      },
    });
  }
  observatory.log("broken", { time: 5_000, level: "error", message: "Error: boom\nat …" });
  return observatory;
}

Deno.test("RobotObservatory: rates from successive samples, topics with their publishers and subscribers", () => {
  const observatory = sampleObservatory();
  const view = observatory.view();
  assert.deepEqual(view.topics.map((t) => [t.topic, t.publishers, t.subscribers, t.rate]), [
    ["odom", ["odometry"], ["filter"], 50],
  ]);
  assert.equal(view.topics[0].receivedRate, 50);
  assert.deepEqual(view.sockets.map((s) => [s.component, s.sentRate, s.history]), [
    ["odometry", 50, [50]],
  ]);
  assert.deepEqual(view.pipelines.map((p) => [p.component, p.done, p.rate]), [["feeder", 50, 50]]);
  assert.deepEqual(view.taskCounts, [{
    server: "tasks",
    started: 3,
    running: 1,
    finished: { COMPLETED: 1, FAILED: 1 },
  }]);
  // A component that stops has no live figures.
  observatory.stateChanged("odometry", "backoff");
  assert.deepEqual(observatory.view().sockets, []);
  assert.deepEqual(observatory.view().topics.map((t) => t.publishers), [[]]);
  assert.deepEqual(observatory.logs().map((l) => [l.seq, l.component, l.level]), [
    [1, "broken", "error"],
  ]);
  assert.deepEqual(observatory.logs(1), []);
});

Deno.test("robot metrics: zedge_ names as Prometheus has them, parsed by prometheus_client", async () => {
  const view = sampleObservatory().view();
  const families = await parsePrometheusText(robotMetricsText(view));
  const names = families.flatMap((f) => f.samples.map((s) => s.name));
  assert.ok(names.every((n) => n.startsWith("zedge_")), names.join(" "));
  for (const family of families) {
    const counter = family.type === "counter";
    for (const sample of family.samples) {
      assert.equal(sample.name.endsWith("_total"), counter, sample.name);
      assert.equal(sample.labels.robot, "test-bot");
    }
  }
  const v = (name: string, labels: Record<string, string> = {}) =>
    sampleValue(families, name, labels);
  assert.equal(v("zedge_component_up", { component: "odometry", kind: "node" }), 1);
  assert.equal(v("zedge_component_up", { component: "broken" }), 0);
  assert.equal(v("zedge_component_state", { component: "broken", state: "failed" }), 1);
  assert.equal(v("zedge_component_state", { component: "broken", state: "running" }), 0);
  assert.equal(v("zedge_component_restarts_total", { component: "broken" }), 3);
  assert.equal(v("zedge_robot_uptime_seconds"), 61);
  const pub = {
    component: "odometry",
    type: "PUB",
    endpoint: "inproc://zedge/test-bot/odometry/topics",
  };
  assert.equal(v("zedge_socket_messages_sent_total", pub), 50);
  assert.equal(v("zedge_socket_sent_bytes_total", pub), 2000);
  assert.equal(v("zedge_socket_received_bytes_total", pub), 12);
  assert.equal(v("zedge_socket_connections", pub), 1);
  assert.equal(v("zedge_socket_dropped_messages_total", pub), 2);
  assert.equal(v("zedge_socket_handshake_failures_total", pub), 0);
  assert.equal(v("zedge_tasks", { component: "tasks", state: "running" }), 1);
  assert.equal(v("zedge_tasks_started_total", { component: "tasks" }), 3);
  assert.equal(v("zedge_tasks_finished_total", { component: "tasks", state: "FAILED" }), 1);
  const feeder = { component: "feeder", role: "pipeline-distributor" };
  assert.equal(v("zedge_pipeline_items_done_total", feeder), 50);
  assert.equal(v("zedge_pipeline_items_failed_total", feeder), 1);
  assert.equal(v("zedge_pipeline_items_retried_total", feeder), 4);
  assert.equal(v("zedge_pipeline_items", feeder), 200);
  assert.equal(v("zedge_pipeline_items_in_flight", feeder), 8);
  assert.equal(v("zedge_pipeline_workers", feeder), 2);
  assert.equal(v("zedge_pipeline_eta_seconds", feeder), 3);
  assert.equal(v("zedge_topic_messages_published_total", { topic: "odom" }), 50);
  assert.equal(v("zedge_topic_messages_received_total", { topic: "odom" }), 50);
  assert.equal(v("zedge_topic_subscribers", { topic: "odom" }), 1);
});

Deno.test("robot top's screen: every line fits the width, the screen the height, the log gives way first", () => {
  const view: RobotView = sampleObservatory().view();
  const logs = Array.from({ length: 30 }, (_, i) => ({
    seq: i + 1,
    time: 0,
    component: "odometry",
    level: "info" as const,
    message: `line ${i + 1}`,
  }));
  for (const width of [40, 80, 132]) {
    const lines = formatTop(view, logs, { width, endpoint: "ipc:///tmp/zedge-test-bot.sock" });
    assert.ok(lines.every((l) => [...l].length <= width), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("test-bot · pid 42")));
    assert.ok(lines.some((l) => l.startsWith("broken")));
    assert.ok(lines.some((l) => l.startsWith("ACCEPTED")));
  }
  const all = formatTop(view, logs, { width: 200, endpoint: "e" });
  assert.ok(all.some((l) => l.includes("line 30")) && !all.some((l) => l.endsWith("line 1")));
  assert.ok(all.some((l) => /^odom\s+50\s/.test(l)), all.join("\n"));
  assert.ok(all.some((l) => /^feeder\s+pipeline-distributor\s+50\/200\s+1\s+4\s+50\/s/.test(l)));
  const short = formatTop(view, logs, { width: 200, height: 24, endpoint: "e" });
  assert.equal(short.length, 24);
  assert.ok(short.some((l) => l.startsWith("COMPONENT")));
  assert.ok(!short.some((l) => l.includes("line 1")), "the log gave way");
  assert.equal(fitWidth("abcdef", 4), "abc…");
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), "▁▂▃▄▅▆▇█");
  assert.equal(sparkline([0, 0]), "▁▁");
});

const NODE_YAML = (extra: string) =>
  `robot: r\n${extra}components:\n  a: { kind: node, module: ./a.ts, bind: { x: "tcp://127.0.0.1:7891" } }\n`;

Deno.test("robot YAML status: HOST:PORT, off by default, its own net permission, clashes refused", () => {
  const parse = (yaml: string) =>
    parseRobotConfig(yaml, "/opt/r/robot.yaml", { checkFiles: false });
  const off = parse(NODE_YAML(""));
  assert.equal(off.status, null);
  const on = parse(NODE_YAML("status: 127.0.0.1:7800\n"));
  assert.equal(on.status, "127.0.0.1:7800");
  const net = (yaml: string) => robotProcessPermissions(parse(yaml), { mode: "source" }).net;
  assert.ok(net(NODE_YAML("status: 127.0.0.1:7800\n")).includes("127.0.0.1:7800"));
  assert.ok(!net(NODE_YAML("")).some((p) => p.endsWith(":7800")));
  assert.ok(net(NODE_YAML("status: 127.0.0.1:0\n")).includes("127.0.0.1"), "port 0: the host");
  assert.ok(net(NODE_YAML("status: '[::1]:7800'\n")).includes("[::1]:7800"));
  const problems = (yaml: string) => {
    try {
      parse(yaml);
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigFileError, String(error));
      return error.problems;
    }
  };
  for (const bad of ["http://127.0.0.1:7800", "*:7800", "127.0.0.1", "localhost:99999"]) {
    const found = problems(NODE_YAML(`status: "${bad}"\n`));
    assert.ok(found.some((p) => p.includes("robot.yaml:2: status:")), `${bad}: ${found}`);
  }
  const clash = problems(NODE_YAML("status: 127.0.0.1:7891\n"));
  assert.ok(clash.some((p) => p.includes("is also bound by the status page")), clash.join("\n"));
});
