// The control endpoint's ops for a robot's data: over CURVE an operator
// streams and calls (zedge topic echo with --curve-secret) while a peer
// robot's key is refused by the op table; a stream lives only while its
// client renews its lease, so a client that vanishes without a word costs
// the robot nothing once the lease runs out, and one that says goodbye at once.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Dealer, Router, writeCertificatePair } from "../../mod.ts";
import { LiveClient } from "../../robot/live/control_client.ts";
import { STREAM_HEADER_BYTES, StreamKind } from "../../robot/live/control_wire.ts";
import { zedge } from "../tasks/processes.ts";
import { freeTcpPort, robotDir, spawnRobot, startRobot, waitFor } from "./helpers.ts";

const TALKER = `export default async function main(ctx) {
  let n = 0;
  const timer = setInterval(() => ctx.publish("chatter", { n: ++n }).catch(() => {}), 10);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  clearInterval(timer);
}
`;

/** A key pair as the control client takes it. */
async function pair(secretFile: string) {
  const text = await Deno.readTextFile(secretFile);
  const field = (name: string) => text.match(new RegExp(`${name} = "(.{40})"`))![1];
  return { publicKey: field("public-key"), secretKey: field("secret-key") };
}

Deno.test("robot data over CURVE: operators stream and call, a peer robot is refused", async () => {
  const dir = await robotDir({ "talker.js": TALKER });
  const keys = join(dir, "keys");
  await Deno.mkdir(join(keys, "operators"), { recursive: true });
  const robot = await writeCertificatePair(join(keys, "kitchen-bot"));
  const alice = await writeCertificatePair(join(keys, "alice"));
  await Deno.copyFile(alice.publicFile, join(keys, "operators", "alice.pub"));
  const arm = await writeCertificatePair(join(keys, "arm-bot"));
  const control = `tcp://127.0.0.1:${freeTcpPort()}`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: kitchen-bot
security:
  curve: { secretKey: keys/kitchen-bot.key, operators: [keys/operators/] }
control: ${control}
peers:
  arm-bot: { control: "tcp://127.0.0.1:${freeTcpPort()}", serverKey: keys/arm-bot.pub }
components:
  talker: { kind: node, module: ./talker.js, publishes: { chatter: json } }
`,
  );
  const running = await spawnRobot(join(dir, "robot.yaml"));
  try {
    const echo = await zedge([
      "topic",
      "echo",
      "chatter",
      join(dir, "robot.yaml"),
      "--curve-secret",
      alice.secretFile,
      "--once",
      "--json",
    ]);
    assert.equal(echo.code, 0, echo.stderr);
    assert.equal(JSON.parse(echo.stdout).source, "talker");

    const asArm = new LiveClient(control, {
      curve: { serverKey: robot.publicKey, ...(await pair(arm.secretFile)) },
    });
    try {
      for (const op of ["topics", "subscribe", "publish", "call"]) {
        const reply = await asArm.ask({ op, stream: crypto.randomUUID(), topics: ["chatter"] });
        assert.deepEqual(reply, {
          ok: false,
          error:
            `'${op}' is not allowed to peer robot arm-bot (peer robots may ask for the directory only)`,
          id: reply.id,
        });
      }
    } finally {
      await asArm.close();
    }
    const noKey = await zedge(["topic", "list", join(dir, "robot.yaml")]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /speaks CURVE: give your operator key with --curve-secret FILE/);
  } finally {
    assert.equal((await running.stop()).code, 0, running.stderr());
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robot data streams: a vanished client's stream ends with its lease, a cancelled one at once", async () => {
  const dir = await robotDir({ "talker.js": TALKER });
  const control = `ipc://${join(dir, "control.sock")}`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: test-bot
control: ${control}
components:
  talker: { kind: node, module: ./talker.js, publishes: { chatter: json } }
`,
  );
  const supervisor = await startRobot(dir, { control: true });
  const tap = supervisor.live.tap;
  try {
    // A client that says goodbye: the tap lets go of the topic at once.
    const client = new LiveClient(control);
    const heard: number[] = [];
    const reply = await client.subscribe({ topics: ["chatter"] }, (event) => {
      if (event.kind === "message") heard.push(event.frames[2].length);
    });
    assert.deepEqual(reply.topics, ["chatter"]);
    await waitFor(() => heard.length >= 10, "ten messages");
    assert.deepEqual(tap.subscriptions, ["chatter"]);
    await client.close();
    await waitFor(() => tap.subscriptions.length === 0, "the cancelled stream to end", 2000);

    // A client that vanishes without a word (its socket closed, no cancel, no renewals).
    const raw = new Dealer({ linger: 0 });
    raw.connect(control);
    await raw.send([
      new Uint8Array(0),
      JSON.stringify({ op: "subscribe", stream: crypto.randomUUID(), topics: ["chatter"] }),
    ]);
    const [, answer] = await raw.receive();
    assert.equal(JSON.parse(new TextDecoder().decode(answer)).ok, true);
    await raw.close();
    assert.deepEqual(tap.subscriptions, ["chatter"]);
    const vanished = performance.now();
    await waitFor(() => tap.subscriptions.length === 0, "the lease to run out", 10_000);
    const after = performance.now() - vanished;
    assert.ok(after >= 4000, `ended after ${Math.round(after)} ms: not before its lease`);

    // Asking for a topic the robot does not have is one clear refusal.
    const other = new LiveClient(control);
    await assert.rejects(
      other.subscribe({ topics: ["chater"] }, () => {}),
      /no topic 'chater' on test-bot \(topics: chatter\)/,
    );
    await other.close();
  } finally {
    await supervisor.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robot data streams: events sent right behind the subscribe reply reach the client", async () => {
  // A stand-in supervisor sends the reply and the states the supervisor sends at the start in the
  // same turn, so they reach the client in one read. The client delivered events only once its
  // subscribe() had resumed after the reply, and dropped what came before: a recording without
  // its first (often only) states.
  const server = new Router({ linger: 0 });
  await server.bind("tcp://127.0.0.1:0");
  const address = server.lastEndpoint!;
  const serving = (async () => {
    for await (const [peer, , request] of server) {
      const { op, id } = JSON.parse(new TextDecoder().decode(request));
      if (op !== "subscribe") continue;
      const header = new Uint8Array(STREAM_HEADER_BYTES);
      const view = new DataView(header.buffer);
      header[0] = StreamKind.states;
      view.setUint32(1, 0, true);
      view.setFloat64(5, Date.now(), true);
      const states = JSON.stringify({ components: [{ name: "talker", state: "running" }] });
      const reply = JSON.stringify({ id, ok: true, topics: [], leaseMs: 5000 });
      await server.send([peer, new Uint8Array(0), reply]);
      await server.send([peer, new Uint8Array(0), header, states]);
    }
  })();
  try {
    for (let round = 0; round < 10; round++) {
      const client = new LiveClient(address);
      const states: unknown[] = [];
      await client.subscribe({ topics: [], states: true }, (event) => {
        if (event.kind === "states") states.push(event.components);
      });
      await waitFor(
        () => states.length === 1,
        `round ${round}: the states sent behind the reply`,
        2000,
      );
      assert.deepEqual(states, [[{ name: "talker", state: "running" }]]);
      assert.equal(client.missed, 0);
      await client.close();
    }
  } finally {
    await server.close();
    await serving;
  }
});
