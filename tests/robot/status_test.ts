// The status server, /metrics, /status.json and `zedge robot top` against
// real robots: in this process, as `zedge robot run`, and as the staged
// binary with exactly its baked permissions. Real sockets, real Workers,
// real HTTP; `/metrics` is read by prometheus_client's parser.
import assert from "node:assert/strict";
import { join } from "node:path";
import { TaskClient } from "../../core/tasks/client.ts";
import { TaskState } from "../../core/tasks/protocol.ts";
import type { RobotView } from "../../robot/observe/view.ts";
import { spawn, zedge, zedgeArgs } from "../tasks/processes.ts";
import { exampleRobot } from "./example_robot.ts";
import {
  freeTcpPort,
  loopbackPipelineEndpoints,
  robotDir,
  robotYaml,
  spawnRobot,
  stagedRobotCommand,
  startRobot,
  waitFor,
  waitForState,
} from "./helpers.ts";
import { parsePrometheusText, sampleValue } from "./prometheus_parser.ts";
import { tempDir } from "../core/helpers.ts";

const IDLE_NODE =
  `export default async function main(ctx) { await new Promise((r) => ctx.signal.addEventListener("abort", r)); }\n`;

/** Asks `probe` again (each time a round trip to the robot) until it gives a value. */
async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
  }
}

/** A server-sent event stream, read event by event. */
class EventReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";

  constructor(response: Response) {
    this.#reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event for which `wanted` is true (earlier ones are skipped). */
  async next(
    wanted: (event: { type: string; data: string }) => boolean,
  ): Promise<{ type: string; data: string }> {
    for (;;) {
      let end;
      while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const type = block.match(/^event: (.*)$/m)?.[1] ?? "message";
        const data = block.match(/^data: (.*)$/m)?.[1] ?? "";
        if (wanted({ type, data })) return { type, data };
      }
      const { value, done } = await this.#reader.read();
      if (done) throw new Error("the event stream ended");
      this.#buffer += value;
    }
  }

  async close(): Promise<void> {
    await this.#reader.cancel();
  }
}

Deno.test("status page: off by default; on with status, read-only, nothing from elsewhere, events on every state change", async () => {
  const dir = await robotDir({
    "a.ts": IDLE_NODE,
    "robot.yaml": robotYaml(
      `  a: { kind: node, module: ./a.ts }\n  b: { kind: node, module: ./a.ts }\n`,
    ),
  });
  const off = await startRobot(dir);
  try {
    assert.equal(off.statusAddress, null);
  } finally {
    await off.shutdown();
  }
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      `  a: { kind: node, module: ./a.ts }\n  b: { kind: node, module: ./a.ts }\n`,
      "status: 127.0.0.1:0\n",
    ),
  );
  const supervisor = await startRobot(dir);
  const base = `http://${supervisor.statusAddress}`;
  let events: EventReader | undefined;
  try {
    const page = await fetch(`${base}/`);
    const html = await page.text();
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(
      page.headers.get("content-security-policy")!,
      /default-src 'none'.*connect-src 'self'/,
    );
    assert.match(html, /^<!doctype html>/);
    assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//, "nothing is loaded from elsewhere");

    const status = await (await fetch(`${base}/status.json`)).json();
    const own = supervisor.status();
    assert.deepEqual(Object.keys(status), Object.keys(own));
    assert.deepEqual(
      status.components.map((c: { name: string; state: string }) => [c.name, c.state]),
      [["a", "running"], ["b", "running"]],
    );
    assert.deepEqual(status.components[0].permissions, own.components[0].permissions);

    const post = await fetch(`${base}/status.json`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
    const missing = await fetch(`${base}/nothing`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();

    // The first event is a view; a state change is pushed at once, not at the next tick.
    const stream = await fetch(`${base}/events`);
    assert.equal(stream.headers.get("content-type"), "text/event-stream; charset=utf-8");
    events = new EventReader(stream);
    const first = await events.next((e) => e.type === "view");
    assert.equal((JSON.parse(first.data) as RobotView).status.robot, "test-bot");
    const stopping = supervisor.stopComponent("b");
    const started = performance.now();
    const changed = await events.next((e) => {
      if (e.type !== "view") return false;
      const b = (JSON.parse(e.data) as RobotView).status.components.find((c) => c.name === "b");
      return b?.state === "stopped";
    });
    const latency = performance.now() - started;
    await stopping;
    assert.ok(changed);
    console.log(`state change → event: ${latency.toFixed(0)} ms`);
    assert.ok(latency < 900, `pushed in ${latency} ms, not at a 1 s tick`);
  } finally {
    await events?.close();
    await supervisor.shutdown();
  }
});

Deno.test("example robot: /metrics, /status.json, a client's task and zedge robot top over the control endpoint", async (t) => {
  const statusPort = freeTcpPort();
  const dir = await tempDir("zedge-control-");
  const control = `ipc://${dir}/kitchen-bot.sock`;
  const robot = await exampleRobot(`status: 127.0.0.1:${statusPort}\ncontrol: ${control}\n`);
  const running = await spawnRobot(robot.file);
  const base = `http://127.0.0.1:${statusPort}`;
  const view = async (): Promise<RobotView> =>
    (await (await fetch(`${base}/view.json`)).json()).view;
  try {
    await running.waitFor(/status page at http:\/\/127\.0\.0\.1:\d+\//);

    await t.step("/status.json is what zedge robot status --json prints", async () => {
      const cli = await zedge(["robot", "status", "--control", control, "--json"]);
      assert.equal(cli.code, 0, cli.stderr);
      const printed = JSON.parse(cli.stdout);
      const served = await (await fetch(`${base}/status.json`)).json();
      const shape = (s: typeof served) =>
        s.components.map((c: Record<string, unknown>) => ({ ...c, uptimeMs: 0 }));
      assert.deepEqual({ ...served, uptimeMs: 0, components: shape(served) }, {
        ...printed,
        uptimeMs: 0,
        components: shape(printed),
      });
      assert.equal(served.components.length, 8);
    });

    await t.step("/metrics parses and counts the robot's traffic", async () => {
      // odometry publishes at 100 Hz and reports once a second: wait for a report with 50.
      // The topic counts every publish, the PUB socket only those sent to a subscriber (the
      // ones before filter's subscription arrived are dropped): wait for both. Who subscribes
      // comes with each subscriber's own report, which may come a second after the others'.
      const pub = {
        component: "odometry",
        type: "PUB",
        endpoint: "inproc://zedge/kitchen-bot/odometry/topics",
      };
      const families = await until(async () => {
        const odom = (await view()).topics.find((t) => t.topic === "odom");
        const filtered = (await view()).topics.find((t) => t.topic === "odom.filtered");
        if (odom === undefined || odom.published < 50 || (filtered?.received ?? 0) === 0) {
          return undefined;
        }
        const parsed = await parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
        return (sampleValue(parsed, "zedge_socket_messages_sent_total", pub) ?? 0) >= 50 &&
            (sampleValue(parsed, "zedge_topic_subscribers", { topic: "odom" }) ?? 0) > 0
          ? parsed
          : undefined;
      }, "odom's figures, its PUB socket's and filter's subscription");
      const metric = (name: string, labels: Record<string, string> = {}) =>
        sampleValue(families, name, labels);
      for (const name of ["tasks", "odometry", "filter", "odometer", "planner", "navigator"]) {
        assert.equal(metric("zedge_component_up", { component: name }), 1, name);
        assert.equal(metric("zedge_component_restarts_total", { component: name }), 0, name);
      }
      assert.ok(metric("zedge_socket_messages_sent_total", pub)! >= 50);
      assert.ok(metric("zedge_socket_sent_bytes_total", pub)! > 50 * 16);
      assert.equal(metric("zedge_socket_connections", pub), 1, "filter subscribes");
      assert.equal(metric("zedge_topic_subscribers", { topic: "odom" }), 1);
      assert.ok(metric("zedge_topic_messages_received_total", { topic: "odom.filtered" })! > 0);
      assert.equal(
        metric("zedge_pipeline_items_done_total", {
          component: "perception",
          role: "pipeline-worker",
        }),
        0,
      );
    });

    await t.step("a task started by a client shows its progress, then its result", async () => {
      const client = new TaskClient({ endpoint: robot.tasks, scope: "/robot" });
      try {
        const { id } = await client.trigger({ handler: "drive", component: "forward", goal: "1" });
        assert.ok(id > 0);
        const task = await until(async () => {
          const found = (await view()).tasks.find((t) => t.id === id && t.scope === "/robot");
          return found && /^driving forward: 0\.[1-9] of 1 m$/.test(found.payload)
            ? found
            : undefined;
        }, `task ${id} with its progress in the view`);
        assert.deepEqual([task.server, task.handler, task.component, task.goal, task.state], [
          "tasks",
          "drive",
          "forward",
          "1",
          "ACCEPTED",
        ]);
        const done = await client.wait(id, { timeoutMs: 10_000 });
        assert.equal(done.state, TaskState.COMPLETED);
        const finished = await until(
          async () => (await view()).tasks.find((t) => t.id === id && t.state === "COMPLETED"),
          `task ${id} completed in the view`,
        );
        assert.equal(finished.payload, "drove forward 1 m");
        const families = await parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
        assert.equal(
          sampleValue(families, "zedge_tasks_finished_total", {
            component: "tasks",
            state: "COMPLETED",
          }),
          1,
        );
      } finally {
        await client.close();
      }
    });

    await t.step("zedge robot top --once fits the width", async () => {
      const top = await zedge(["robot", "top", "--control", control, "--once", "--width", "72"]);
      assert.equal(top.code, 0, top.stderr);
      const lines = top.stdout.trimEnd().split("\n");
      assert.ok(lines.every((l) => [...l].length <= 72), top.stdout);
      assert.match(lines[0], /^kitchen-bot · pid \d+ · up .* · 8 of 8 running/);
      for (const name of ["tasks", "odometry", "perception", "mapper"]) {
        assert.ok(lines.some((l) => l.startsWith(`${name} `)), `${name} in\n${top.stdout}`);
      }
      assert.ok(lines.some((l) => /^odom\s+\d+/.test(l)), top.stdout);
    });

    for (const how of ["q", "SIGINT"] as const) {
      await t.step(`zedge robot top refreshes until ${how}, then exits 0`, async () => {
        // Found from the YAML (-c) one time, given (--control) the other.
        const target = how === "q" ? ["-c", robot.file] : ["--control", control];
        const top = spawn(
          Deno.execPath(),
          zedgeArgs("robot", "top", ...target, "--interval", "200"),
        );
        // Two screens: it refreshes.
        await top.waitFor(/kitchen-bot · pid[^]*\n\nkitchen-bot · pid/, 20_000);
        if (how === "q") {
          const writer = top.child.stdin.getWriter();
          await writer.write(new TextEncoder().encode("q"));
          writer.releaseLock();
        } else {
          top.child.kill("SIGINT");
        }
        const exit = await top.status;
        await top.child.stdin.close().catch(() => {});
        assert.equal(exit.code, 0, top.stderr());
      });
    }

    await t.step("a status page whose port is taken is one clear line, exit 1", async () => {
      const other = await exampleRobot(`status: 127.0.0.1:${statusPort}\n`);
      const clash = await zedge([
        "robot",
        "run",
        other.file,
        "--control",
        `ipc://${other.dir}/zedge/kitchen-bot.sock`,
      ]);
      assert.equal(clash.code, 1, clash.stderr);
      assert.match(
        clash.stderr,
        new RegExp(`cannot serve the status page on 127\\.0\\.0\\.1:${statusPort}: .*in use`),
      );
    });
  } finally {
    const exit = await running.stop();
    assert.equal(exit.code, 0, running.stderr());
  }
});

Deno.test("status page in the staged robot binary: embedded, served with exactly the baked permissions", async () => {
  const statusPort = freeTcpPort();
  const dir = await robotDir({
    "a.ts": IDLE_NODE,
    "robot.yaml": robotYaml(
      `  a: { kind: node, module: ./a.ts }\n`,
      `status: 127.0.0.1:${statusPort}\n`,
    ),
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      `  a: { kind: node, module: ./a.ts }\n`,
      `status: 127.0.0.1:${statusPort}\ncontrol: ipc://${dir}/zedge/test-bot.sock\n`,
    ),
  );
  const command = await stagedRobotCommand(join(dir, "robot.yaml"));
  const flags = command.slice(2, -2);
  assert.ok(!flags.includes("-A"));
  const net = flags.find((f) => f.startsWith("--allow-net="))!;
  assert.ok(net.split(/[=,]/).includes(`127.0.0.1:${statusPort}`), net);
  const running = spawn(Deno.execPath(), command.slice(1), "piped", {});
  try {
    await running.waitFor(/1 of 1 components running.*status page at/, 60_000);
    const page = await (await fetch(`http://127.0.0.1:${statusPort}/`)).text();
    assert.match(page, /<title>robot · zedge<\/title>/);
    const families = await parsePrometheusText(
      await (await fetch(`http://127.0.0.1:${statusPort}/metrics`)).text(),
    );
    assert.equal(sampleValue(families, "zedge_component_up", { component: "a" }), 1);
  } finally {
    const exit = await running.stop();
    assert.equal(exit.code, 0, running.stderr());
    assert.doesNotMatch(running.stderr(), /NotCapable|Requires .* access/, running.stderr());
  }
});

Deno.test("pipeline progress in the view: done of total, rate, ETA, failed and retried, kept once the run ends", async () => {
  const dir = await robotDir({
    "pipeline.yaml": `${loopbackPipelineEndpoints()}retry: { backoffMs: 10, maxBackoffMs: 20 }
tasks:
  square: { count: 30, retries: 1 }
workers:
  - name: cpu
    handlers: ./work.ts
`,
    // 50 ms an item, so the run is still going when the test looks; item 7 always fails.
    "work.ts": `export async function square(n) {
  await new Promise((r) => setTimeout(r, 50));
  if (n === 7) throw new Error("seven is not square today");
  return n * n;
}
`,
    "robot.yaml": robotYaml(
      `  feeder: { kind: pipeline-distributor, pipeline: ./pipeline.yaml, restart: on-failure }
  cpu: { kind: pipeline-worker, pipeline: ./pipeline.yaml }
  sink: { kind: pipeline-collector, pipeline: ./pipeline.yaml, restart: on-failure }
`,
    ),
  });
  const supervisor = await startRobot(dir);
  const feeder = () => supervisor.view().pipelines.find((p) => p.component === "feeder");
  try {
    await waitFor(() => {
      const p = feeder();
      return p !== undefined && p.failed === 1 && p.done !== null && p.done >= 10 && p.done < 29;
    }, `the run half way with item 7 failed (${JSON.stringify(feeder())})`);
    const during = feeder()!;
    assert.equal(during.role, "pipeline-distributor");
    assert.equal(during.total, 30);
    assert.equal(during.retried, 1, "item 7 was handed out once more");
    assert.ok(during.rate! > 0 && during.etaMs! > 0, JSON.stringify(during));
    assert.equal(during.workers, 1);
    // The worker reports on its own second: its figures catch up.
    const worker = () => supervisor.view().pipelines.find((p) => p.component === "cpu");
    await waitFor(
      () => worker()?.failed === 2 && worker()!.done! >= 10,
      `the worker's counts (${JSON.stringify(worker())})`,
    );
    assert.equal(worker()!.role, "pipeline-worker");
    // The run ends; the distributor stops (restart: on-failure) and its last progress stays.
    await waitForState(supervisor, "feeder", "stopped");
    const after = feeder()!;
    assert.deepEqual([after.done, after.failed, after.total, after.rate], [29, 1, 30, 0]);
  } finally {
    await supervisor.shutdown();
  }
});
