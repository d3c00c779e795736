// Components are kept apart by the robot's inproc directory, outside their isolates (issue 17,
// item 4). A hostile component controls everything in its own Worker, so the spy below goes
// around its own bridge: it installs one that posts raw bridge messages to the supervisor. It
// tries to listen to a topic it never declared, to take the name of a publisher that is
// restarting, and to publish under another component's name; each attempt must fail.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Pull } from "../../mod.ts";
import { decodeTopicMessage } from "../../robot/dataflow/codec.ts";
import {
  InprocDirectory,
  type InprocFromComponent,
  isInprocMessage,
} from "../../robot/inproc_bridge.ts";
import {
  freeTcpPort,
  robotDir,
  robotYaml,
  startRobot,
  waitFor,
  waitForState,
  ZEDGE,
} from "./helpers.ts";

const INPROC = new URL("../../core/transport/inproc.ts", import.meta.url).href;
const PORT_STREAM = new URL("../../core/transport/port_stream.ts", import.meta.url).href;
const CODEC = new URL("../../robot/dataflow/codec.ts", import.meta.url).href;
const TARGET = "zedge/test-bot/odometry/topics";

const ODOMETRY = `export default async function main(ctx) {
  let x = 0;
  while (!ctx.signal.aborted) {
    await ctx.publish("odom", { x: x++ });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}\n`;

const LISTENER = `import { Push } from "${ZEDGE}";
export default async function main(ctx) {
  const report = new Push();
  await report.bind(ctx.endpoints.report);
  for await (const { topic, value, source } of ctx.subscribe("odom*")) {
    await report.send(JSON.stringify({ topic, value, source }));
  }
  await report.close();
}\n`;

/** The spy: `mode` says which attack it makes (listen, forge or squat). */
function spyModule(mode: "listen" | "forge" | "squat"): string {
  return `import { Publisher, Push, Subscriber } from "${ZEDGE}";
import { installInprocBridge } from "${INPROC}";
import { PortStream } from "${PORT_STREAM}";
import { encodeTopicMessage } from "${CODEC}";
const TARGET = "${TARGET}";
const MODE = "${mode}";
export default async function main(ctx) {
  const report = new Push();
  await report.bind(ctx.endpoints.report);
  const say = (o) => report.send(JSON.stringify(o));
  const forged = () => encodeTopicMessage("odom", { x: 999, forged: true }, "odometry", "msgpack");
  const idle = () => new Promise((resolve) => setTimeout(resolve, 10));

  if (MODE === "forge") {
    // Every message this isolate publishes claims to come from odometry.
    const send = Publisher.prototype.send;
    // And every other one is on a topic nobody declared.
    let n = 0;
    const undeclared = () => encodeTopicMessage("odom.fake", { x: 999, forged: true }, "odometry", "msgpack");
    Publisher.prototype.send = function () {
      return send.call(this, n++ % 2 === 0 ? forged() : undeclared());
    };
    while (!ctx.signal.aborted) {
      await ctx.publish("odom", { x: 999, forged: true });
      await idle();
    }
    return;
  }

  if (MODE === "listen") {
    // An honest mistake first: the component's own bridge names what to declare.
    const declared = new Subscriber({ linger: 0 });
    declared.subscribe("");
    const outcome = new Promise((resolve) => {
      declared.events.on("connect:retry", (e) => resolve({ step: "connect", error: e.reason }));
      declared.events.on("connect", () => resolve({ step: "connected" }));
    });
    declared.connect("inproc://" + TARGET);
    await say(await outcome);
    await declared.close();
  } else {
    const squat = new Publisher({ linger: 0 });
    try {
      await squat.bind("inproc://" + TARGET);
      await say({ step: "bind", ok: true });
    } catch (error) {
      await say({ step: "bind", ok: false, error: error.message });
    }
    await squat.close();
  }

  // Now hostile: raw messages to the supervisor, no checks on this side.
  self.addEventListener("message", (event) => {
    if (event.data?.op === "inproc-refused" && event.data.reason) {
      say({ step: "refused", reason: event.data.reason });
    }
  });
  installInprocBridge({
    announce: (name, bound) =>
      self.postMessage({ op: bound ? "inproc-bind" : "inproc-unbind", name }),
    isBound: () => false,
    dial: (name) => {
      const { port1, port2 } = new MessageChannel();
      self.postMessage({ op: "inproc-dial", id: crypto.randomUUID(), name, port: port2 }, [port2]);
      return Promise.resolve(new PortStream(port1));
    },
  });

  if (MODE === "listen") {
    const raw = new Subscriber({ linger: 0 });
    raw.subscribe("");
    raw.events.on("handshake", () => say({ step: "raw-connected" }));
    raw.connect("inproc://" + TARGET);
    for await (const _ of raw) await say({ step: "raw-received" });
    return;
  }

  // Keep claiming odometry's name (a restart frees it for a moment) and publishing there.
  let squat = null;
  for (let tick = 0; !ctx.signal.aborted; tick++) {
    if (tick % 5 === 0) {
      await squat?.close();
      squat = new Publisher({ linger: 0 });
      try {
        await squat.bind("inproc://" + TARGET);
        await say({ step: "claimed" });
      } catch (error) {
        await say({ step: "claim-failed", error: error.message });
      }
    }
    await squat.send(forged()).catch(() => {});
    await idle();
  }
  await squat?.close();
}\n`;
}

interface Heard {
  topic: string;
  value: { x: number; forged?: boolean };
  source: string;
}

interface SpyReport {
  step: string;
  ok?: boolean;
  error?: string;
  reason?: string;
}

/** A robot of odometry, a listener of odom and a spy; what the listener and the spy report. */
async function spyRobot(mode: "listen" | "forge" | "squat") {
  const listenerPort = freeTcpPort();
  const spyPort = freeTcpPort();
  const dir = await robotDir({
    "odometry.ts": ODOMETRY,
    "listener.ts": LISTENER,
    "spy.ts": spyModule(mode),
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  odometry: { kind: node, module: ./odometry.ts, publishes: [odom] }
  listener:
    kind: node
    module: ./listener.ts
    subscribes: ["odom*"]
    bind: { report: "tcp://127.0.0.1:${listenerPort}" }
  spy:
    kind: node
    module: ./spy.ts
${
      mode === "forge"
        ? "    publishes: [odom]\n"
        : ""
    }    bind: { report: "tcp://127.0.0.1:${spyPort}" }
`),
  );
  const supervisor = await startRobot(dir);
  const heard: Heard[] = [];
  const spy: SpyReport[] = [];
  const pulls = [new Pull({ linger: 0 }), new Pull({ linger: 0 })];
  pulls[0].connect(`tcp://127.0.0.1:${listenerPort}`);
  pulls[1].connect(`tcp://127.0.0.1:${spyPort}`);
  const collect = async <T>(pull: Pull, into: T[]) => {
    try {
      for await (const [body] of pull) into.push(JSON.parse(new TextDecoder().decode(body)));
    } catch {
      // Closed.
    }
  };
  const collecting = [collect(pulls[0], heard), collect(pulls[1], spy)];
  return {
    supervisor,
    heard,
    spy,
    /** Messages odometry really published that reached the listener. */
    real: () => heard.filter((m) => m.source === "odometry" && !m.value.forged).length,
    /** Forged messages the listener took for someone else's than the spy's: the attack worked. */
    impersonated: () => heard.filter((m) => m.value.forged && m.source !== "spy"),
    steps: (step: string) => spy.filter((s) => s.step === step),
    async [Symbol.asyncDispose]() {
      await supervisor.shutdown();
      await Promise.all(pulls.map((p) => p.close()));
      await Promise.all(collecting);
    },
  };
}

Deno.test("a SUB on a topic its component never declared gets nothing and an error", async () => {
  await using robot = await spyRobot("listen");
  await waitFor(
    () => robot.real() >= 20 && robot.spy.length >= 2,
    "odometry's messages at the listener and the spy's two connects",
  );
  // Through its own bridge: refused at once, naming the declarations to add.
  assert.deepEqual(robot.steps("connected"), []);
  assert.match(robot.steps("connect")[0].error!, /add the topic to its `subscribes`/);
  // Around it, with raw bridge messages: the directory refuses, and no byte of odom arrives.
  assert.match(robot.steps("refused")[0].reason!, /inproc:\/\/zedge\/test-bot\/odometry\/topics/);
  const realBefore = robot.real();
  await waitFor(() => robot.real() >= realBefore + 20, "20 more messages at the listener");
  assert.deepEqual(robot.steps("raw-connected"), []);
  assert.deepEqual(robot.steps("raw-received"), []);
});

Deno.test("the source of a topic message is the runtime's word, not the sender's", async () => {
  await using robot = await spyRobot("forge");
  const forgedAsSpy = () => robot.heard.filter((m) => m.value.forged && m.source === "spy").length;
  await waitFor(
    () => (robot.real() >= 20 && forgedAsSpy() >= 20) || robot.impersonated().length > 0,
    "odometry's and the spy's messages at the listener",
  );
  assert.deepEqual(robot.impersonated(), []);
  assert.deepEqual(robot.heard.filter((m) => m.topic !== "odom"), [], "a topic nobody declared");
  // The supervisor's tap (topic echo, recordings, the status page) says the same.
  const seen: { source: string; forged: boolean }[] = [];
  const topics = new Set<string>();
  // Every topic: what a recording of the whole robot hears.
  const stop = robot.supervisor.live.tap.listen(null, ({ frames }) => {
    const { topic, source, value } = decodeTopicMessage(frames);
    topics.add(topic);
    seen.push({ source, forged: (value as { forged?: boolean }).forged === true });
  });
  try {
    await waitFor(
      () => seen.filter((m) => m.forged).length >= 10 && seen.some((m) => !m.forged),
      "the spy's and odometry's messages at the supervisor's tap",
    );
  } finally {
    stop();
  }
  assert.deepEqual(seen.filter((m) => m.forged && m.source !== "spy"), []);
  assert.ok(seen.filter((m) => !m.forged).every((m) => m.source === "odometry"));
  assert.deepEqual([...topics], ["odom"], "a topic nobody declared, at the tap");
});

Deno.test("no component can take another's inproc name, even while that one restarts", async () => {
  await using robot = await spyRobot("squat");
  await waitFor(() => robot.real() >= 20 && robot.spy.length >= 2, "odometry and the spy up");
  // odometry restarts: its name is free for a while, and the spy keeps claiming it.
  await robot.supervisor.stopComponent("odometry");
  const claims = robot.steps("claimed").length;
  // Ten claims (half a second) leave the listener time to reconnect to a squatter, if any.
  await waitFor(
    () => robot.steps("claimed").length >= claims + 10 || robot.impersonated().length > 0,
    "the spy's claims while odometry is down",
  );
  assert.deepEqual(robot.impersonated(), [], "the spy took odometry's name while it was down");
  await robot.supervisor.startComponent("odometry");
  await waitForState(robot.supervisor, "odometry", "running");
  const realBefore = robot.real();
  await waitFor(() => robot.real() >= realBefore + 20, "odometry's messages after its restart");
  assert.deepEqual(robot.impersonated(), []);
  // Its own bridge had said so at once, naming the declaration to add.
  const bind = robot.steps("bind")[0];
  assert.equal(bind.ok, false);
  assert.match(bind.error!, /inproc:\/\/zedge\/test-bot\/odometry\/topics is not this component's/);
  assert.match(bind.error!, /declare the endpoint under its `bind`/);
});

Deno.test("the inproc directory refuses forged, malformed and unknown senders' messages", () => {
  const sent: string[] = [];
  const refused: string[] = [];
  const directory = new InprocDirectory(
    (to, message) => sent.push(`${to}:${message.op}`),
    (component, reason) => refused.push(`${component}: ${reason}`),
  );
  directory.started("a", { bind: ["zedge/r/a/topics"], connect: ["zedge/r/b/topics"] });
  directory.started("b", { bind: ["zedge/r/b/topics"], connect: [] });
  directory.handle("a", { op: "inproc-bind", name: "zedge/r/b/topics" });
  directory.handle("ghost", { op: "inproc-bind", name: "zedge/r/a/topics" });
  // Not what the type says: a hostile isolate posts whatever it likes.
  directory.handle(
    "a",
    { op: "inproc-dial", id: 7, name: ["x"] } as unknown as InprocFromComponent,
  );
  directory.handle("a", { op: "inproc-bind" } as unknown as InprocFromComponent);
  assert.deepEqual(directory.names(), []);
  assert.equal(refused.length, 4);
  assert.equal(isInprocMessage(null as unknown as { op: string }), false);
  assert.equal(isInprocMessage({ op: 7 } as unknown as { op: string }), false);
  assert.match(refused[0], /^a: inproc:\/\/zedge\/r\/b\/topics is not this component's to bind/);
  directory.handle("b", { op: "inproc-bind", name: "zedge/r/b/topics" });
  directory.handle("a", { op: "inproc-bind", name: "zedge/r/a/topics" });
  assert.deepEqual(directory.names(), ["zedge/r/a/topics", "zedge/r/b/topics"]);
  // b ends (a restart): its name is free, and still not a's.
  directory.ended("b");
  directory.handle("a", { op: "inproc-bind", name: "zedge/r/b/topics" });
  assert.deepEqual(directory.names(), ["zedge/r/a/topics"]);
  // A dial a never declared: refused, its port closed.
  const { port1, port2 } = new MessageChannel();
  directory.handle("b", { op: "inproc-dial", id: "d1", name: "zedge/r/a/topics", port: port2 });
  assert.equal(sent.at(-1), "b:inproc-refused");
  port1.close();
  // A declared dial goes through; the binder learns its id, and may not reuse it.
  directory.started("b", { bind: ["zedge/r/b/topics"], connect: [] });
  directory.handle("b", { op: "inproc-bind", name: "zedge/r/b/topics" });
  const first = new MessageChannel();
  directory.handle("a", {
    op: "inproc-dial",
    id: "d2",
    name: "zedge/r/b/topics",
    port: first.port2,
  });
  assert.deepEqual(sent.slice(-2), ["b:inproc-accept", "a:inproc-connected"]);
  directory.started("c", { bind: [], connect: ["zedge/r/a/topics"] });
  const again = new MessageChannel();
  directory.handle("c", {
    op: "inproc-dial",
    id: "d2",
    name: "zedge/r/a/topics",
    port: again.port2,
  });
  assert.equal(sent.at(-1), "c:inproc-refused");
  // b's end still hears that a is gone.
  const mark = sent.length;
  directory.ended("a");
  assert.ok(sent.slice(mark).includes("b:inproc-closed"));
  first.port1.close();
  again.port1.close();
});
