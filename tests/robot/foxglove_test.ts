// The Foxglove live view, seen by the real client (npm @foxglove/ws-protocol's
// FoxgloveClient over Deno's WebSocket): the example robot run by `zedge robot
// run` with exactly the permissions its systemd unit grants, every topic and
// log record live, its service called, a goal published by the client and
// planned by the robot; and, in process, what the server refuses and frees.
import assert from "node:assert/strict";
import protocol from "@foxglove/ws-protocol";
import { loadRobotConfig } from "../../robot/config.ts";
import { robotCodeFiles, robotProcessFlags } from "../../robot/process_permissions.ts";
import { exampleRobot } from "./example_robot.ts";
import { repoPath, robotDir, robotYaml, startRobot, waitFor } from "./helpers.ts";
import { spawn } from "../tasks/processes.ts";

const { FoxgloveClient } = protocol;
type Client = InstanceType<typeof FoxgloveClient>;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A FoxgloveClient and what it heard, for waiting on without sleeping. */
class Watcher {
  readonly client: Client;
  readonly channels = new Map<string, { id: number; schemaName: string; schema: string }>();
  readonly services = new Map<string, number>();
  readonly messages = new Map<string, unknown[]>();
  readonly statuses: string[] = [];
  readonly responses = new Map<number, { ok: boolean; text: string }>();
  readonly #topicOf = new Map<number, string>();
  capabilities: string[] = [];
  closed = false;
  #callId = 0;

  constructor(url: string) {
    this.client = new FoxgloveClient({
      ws: new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]),
    });
    this.client.on("serverInfo", (info) => this.capabilities = info.capabilities);
    this.client.on("advertise", (channels) => {
      for (const c of channels) this.channels.set(c.topic, c);
    });
    this.client.on("advertiseServices", (services) => {
      for (const s of services) this.services.set(s.name, s.id);
    });
    this.client.on("message", ({ subscriptionId, data }) => {
      const topic = this.#topicOf.get(subscriptionId)!;
      const list = this.messages.get(topic) ?? [];
      list.push(JSON.parse(fromUtf8.decode(data)));
      this.messages.set(topic, list);
    });
    this.client.on("status", (status) => this.statuses.push(status.message));
    this.client.on("serviceCallResponse", ({ callId, data }) => {
      this.responses.set(callId, { ok: true, text: fromUtf8.decode(data) });
    });
    this.client.on("serviceCallFailure", ({ callId, message }) => {
      this.responses.set(callId, { ok: false, text: message });
    });
    this.client.on("close", () => this.closed = true);
  }

  async subscribe(topic: string): Promise<void> {
    await waitFor(() => this.channels.has(topic), `channel ${topic}`, 20_000);
    this.#topicOf.set(this.client.subscribe(this.channels.get(topic)!.id), topic);
  }

  async messagesOf(topic: string, count = 1): Promise<unknown[]> {
    await waitFor(() => (this.messages.get(topic)?.length ?? 0) >= count, `${count} on ${topic}`);
    return this.messages.get(topic)!;
  }

  async call(service: string, request: unknown): Promise<{ ok: boolean; text: string }> {
    await waitFor(() => this.services.has(service), `service ${service}`);
    const callId = ++this.#callId;
    this.client.sendServiceCallRequest({
      serviceId: this.services.get(service)!,
      callId,
      encoding: "json",
      data: new DataView(utf8.encode(JSON.stringify(request)).buffer),
    });
    await waitFor(() => this.responses.has(callId), `a reply to call ${callId}`);
    return this.responses.get(callId)!;
  }

  async close(): Promise<void> {
    this.client.close();
    await waitFor(() => this.closed, "the connection to close");
  }
}

Deno.test("Foxglove: the example robot's topics, log and states live, its service called, a goal published", async () => {
  const robot = await exampleRobot();
  const config = await loadRobotConfig(robot.file);
  const address = config.foxglove!;
  // Exactly what its systemd unit grants the robot process (no -A).
  const flags = robotProcessFlags(config, { mode: "source" }, [], await robotCodeFiles(config));
  const running = spawn(Deno.execPath(), [
    "run",
    ...flags,
    repoPath("cli/main.ts"),
    "robot",
    "run",
    robot.file,
  ]);
  let watcher: Watcher | null = null;
  try {
    await running.waitFor(/components running \(ready in \d+ ms\)/, 60_000);
    watcher = new Watcher(`ws://${address}`);
    await waitFor(() => watcher!.capabilities.length > 0, "serverInfo");
    assert.deepEqual(watcher.capabilities.sort(), ["clientPublish", "services"]);

    // Every topic appears (odom at 100 Hz, its filtered copy), with a schema from its values.
    await watcher.subscribe("odom");
    await watcher.subscribe("odom.filtered");
    await watcher.subscribe("/zedge/log");
    await watcher.subscribe("/zedge/states");
    const odom = await watcher.messagesOf("odom", 20);
    assert.deepEqual(Object.keys(odom[0] as object).sort(), ["theta", "x", "y"]);
    assert.deepEqual(
      JSON.parse(watcher.channels.get("odom")!.schema).properties.x,
      { type: "number" },
    );
    await watcher.messagesOf("odom.filtered", 5);
    const states = (await watcher.messagesOf("/zedge/states"))[0] as {
      components: { name: string; state: string }[];
    };
    assert.equal(states.components.length, 8);
    assert.ok(states.components.every((c) => c.state === "running"), JSON.stringify(states));
    assert.equal(watcher.channels.get("/zedge/log")!.schemaName, "foxglove.Log");

    // The Call Service panel's way: json in, json out; a bad request is a failure with the reason.
    const reply = await watcher.call("plan", { from: [0, 0], to: [2, 1] });
    assert.ok(reply.ok, reply.text);
    assert.deepEqual(JSON.parse(reply.text), { path: [[0, 0], [1, 1], [2, 1]] });
    const failed = await watcher.call("plan", {});
    assert.ok(!failed.ok);
    assert.match(failed.text, /handler-error: TypeError: a plan request needs 'to'/);

    // A goal published by the client reaches the navigator, which plans it and logs so.
    const goal = watcher.client.advertise({ topic: "goal", encoding: "json", schemaName: "goal" });
    const planned = () =>
      (watcher!.messages.get("/zedge/log") ?? []).some((l) =>
        /path to goal \[4, 2\] from the operator: 5 steps/.test((l as { message: string }).message)
      );
    // The navigator's subscription to the operator's PUB may still be joining: send until heard.
    await waitFor(
      () => {
        watcher!.client.sendMessage(goal, utf8.encode(JSON.stringify({ to: [4, 2] })));
        return planned();
      },
      "the navigator to plan the operator's goal",
      20_000,
    );
    const line = (watcher.messages.get("/zedge/log")! as { name: string; level: number }[])
      .find((l) => l.name === "navigator")!;
    assert.equal(line.level, 2); // INFO

    // Publishing where the YAML does not allow it is refused, and says where to allow it.
    watcher.client.advertise({ topic: "odom", encoding: "json", schemaName: "odom" });
    await waitFor(
      () => watcher!.statuses.some((s) => /cannot publish on 'odom'.*operator\.publishes/.test(s)),
      "a refusal",
    );
  } finally {
    await watcher?.close();
    const exit = await running.stop();
    assert.equal(exit.code, 0, running.stderr());
    assert.doesNotMatch(running.stderr(), /NotCapable|Requires .* access/, running.stderr());
    await Deno.remove(robot.dir, { recursive: true });
  }
});

const TALKER = `export default async function main(ctx) {
  let n = 0;
  const timer = setInterval(() => {
    n++;
    ctx.publish("chatter", { n, text: "hello" }).catch(() => {});
    ctx.publish("image", new Uint8Array([n & 255, 1, 2])).catch(() => {});
  }, 10);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  clearInterval(timer);
}
`;

Deno.test("Foxglove: raw bytes as base64, declared schemas at once, protocol errors answered, subscriptions freed", async () => {
  const dir = await robotDir({ "talker.js": TALKER });
  await Deno.writeTextFile(
    `${dir}/robot.yaml`,
    robotYaml(
      `  talker:
    kind: node
    module: ./talker.js
    publishes:
      chatter: { encoding: json, schemaName: Chatter, schema: { type: object, properties: { n: { type: integer } } } }
      image: raw
`,
      "foxglove: 127.0.0.1:0\n",
    ),
  );
  const supervisor = await startRobot(dir);
  const watcher = new Watcher(`ws://${supervisor.foxgloveAddress}`);
  try {
    // A declared schema is advertised before any message.
    await waitFor(() => watcher.channels.has("chatter"), "chatter");
    const chatter = watcher.channels.get("chatter")!;
    assert.equal(chatter.schemaName, "Chatter");
    assert.deepEqual(JSON.parse(chatter.schema).properties.n, { type: "integer" });
    await watcher.subscribe("chatter");
    await watcher.subscribe("image");
    const images = await watcher.messagesOf("image", 3) as { data: string }[];
    assert.deepEqual([...Uint8Array.fromBase64(images[0].data)].slice(1), [1, 2]);
    assert.equal(((await watcher.messagesOf("chatter"))[0] as { text: string }).text, "hello");
    assert.deepEqual(supervisor.live!.tap.subscriptions, ["chatter", "image"]);

    // What the protocol does not allow gets a status, not a dropped connection.
    const raw = new WebSocket(`ws://${supervisor.foxgloveAddress}`, ["foxglove.websocket.v1"]);
    const statuses: string[] = [];
    raw.onmessage = (e) => {
      if (typeof e.data === "string" && JSON.parse(e.data).op === "status") {
        statuses.push(JSON.parse(e.data).message);
      }
    };
    await new Promise((resolve) => raw.onopen = resolve);
    raw.send("not json");
    raw.send(JSON.stringify({ op: "subscribe", subscriptions: [{ id: -1, channelId: 1 }] }));
    raw.send(new Uint8Array([9]));
    raw.send(JSON.stringify({ op: "getParameters", parameterNames: [] }));
    await waitFor(() => statuses.length === 4, "four statuses");
    assert.match(statuses[0], /must be JSON/);
    assert.match(statuses[1], /subscription id must be an integer/);
    assert.match(statuses[2], /unknown binary opcode 9/);
    assert.match(statuses[3], /does not offer getParameters/);
    // A client sending only garbage is disconnected.
    const closed = new Promise((resolve) => raw.onclose = resolve);
    for (let i = 0; i < 120; i++) raw.send("garbage");
    await closed;

    // A web page from elsewhere may not connect (the browser names it in Origin); Foxglove's may.
    const handshake = async (origin: string) => {
      const [host, port] = supervisor.foxgloveAddress!.split(":");
      const conn = await Deno.connect({ hostname: host, port: Number(port) });
      await conn.write(new TextEncoder().encode(
        `GET / HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Protocol: foxglove.websocket.v1\r\nOrigin: ${origin}\r\n\r\n`,
      ));
      const buffer = new Uint8Array(256);
      const n = await conn.read(buffer);
      conn.close();
      return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split("\r\n")[0];
    };
    assert.equal(await handshake("https://evil.example"), "HTTP/1.1 403 Forbidden");
    assert.equal(await handshake("https://app.foxglove.dev"), "HTTP/1.1 101 Switching Protocols");

    // The last client gone, the tap subscribes to nothing: an unwatched robot costs nothing.
    await watcher.close();
    await waitFor(() => supervisor.live!.tap.subscriptions.length === 0, "the tap to unsubscribe");
  } finally {
    if (!watcher.closed) await watcher.close();
    await supervisor.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  // The port is free again.
  Deno.listen({ hostname: "127.0.0.1", port: Number(supervisor.foxgloveAddress!.split(":")[1]) })
    .close();
});

Deno.test("Foxglove: a non-loopback address needs insecure: true", async () => {
  const dir = await robotDir({ "talker.js": TALKER });
  const yaml = (extra: string) =>
    robotYaml("  talker: { kind: node, module: ./talker.js, publishes: [chatter] }\n", extra);
  await Deno.writeTextFile(`${dir}/robot.yaml`, yaml("foxglove: 0.0.0.0:8765\n"));
  await assert.rejects(
    () => loadRobotConfig(`${dir}/robot.yaml`),
    /robot\.yaml:2: foxglove: '0\.0\.0\.0:8765' is reachable beyond this machine.*SSH tunnel.*insecure: true/,
  );
  await Deno.writeTextFile(`${dir}/robot.yaml`, yaml("insecure: true\nfoxglove: 0.0.0.0:8765\n"));
  assert.equal((await loadRobotConfig(`${dir}/robot.yaml`)).foxglove, "0.0.0.0:8765");
  await Deno.remove(dir, { recursive: true });
});
