// `zedge robot record` and `zedge robot play` end to end, each its own
// process: a robot's topics, log and states recorded until --duration, and
// until Ctrl-C (the file finished and readable by @mcap/core's own reader,
// every message in order); the recording played into another robot whose
// subscriber hears the same messages in the same order; a topic a component
// of that robot publishes refused unless remapped.
import assert from "node:assert/strict";
import { join } from "node:path";
import { McapIndexedReader, McapWriter } from "@mcap/core";
import { loadDecompressHandlers } from "@mcap/support";
import { spawn, zedge } from "../tasks/processes.ts";
import { robotDir, spawnRobot } from "./helpers.ts";

const TALKER = `export default async function main(ctx) {
  let n = 0;
  const timer = setInterval(() => {
    n++;
    ctx.publish("chatter", { n, text: "hello" }).catch(() => {});
    ctx.publish("image", new Uint8Array([n & 255, 7, 7])).catch(() => {});
    if (n % 100 === 0) ctx.log.info("sent {n}", { n });
  }, 10);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  clearInterval(timer);
}
`;

const CAMERA = `export default async function main(ctx) {
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}
`;

const LISTENER = `export default async function main(ctx) {
  const images = (async () => {
    for await (const { value } of ctx.subscribe("image.replayed")) {
      ctx.log.info("heard image {first} of {length} bytes", { first: value[0], length: value.length });
    }
  })();
  for await (const { value, source } of ctx.subscribe("chatter")) {
    ctx.log.info("heard chatter {n} from {source}", { n: value.n, source });
  }
  await images;
}
`;

const fromUtf8 = new TextDecoder();

async function readRecording(path: string) {
  const bytes = await Deno.readFile(path);
  const reader = await McapIndexedReader.Initialize({
    readable: {
      size: () => Promise.resolve(BigInt(bytes.length)),
      read: (offset, size) =>
        Promise.resolve(bytes.subarray(Number(offset), Number(offset + size))),
    },
    decompressHandlers: await loadDecompressHandlers(),
  });
  const byTopic = new Map<string, unknown[]>();
  let last = 0n;
  for await (const message of reader.readMessages()) {
    assert.ok(message.logTime >= last, "in log-time order");
    last = message.logTime;
    const topic = reader.channelsById.get(message.channelId)!.topic;
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), JSON.parse(fromUtf8.decode(message.data))]);
  }
  return byTopic;
}

Deno.test("robot record and play: recorded until --duration and Ctrl-C, played into another robot", async () => {
  const dir = await robotDir({ "talker.js": TALKER, "camera.js": CAMERA, "listener.js": LISTENER });
  await Deno.writeTextFile(
    join(dir, "a.yaml"),
    `robot: rec-a
control: ipc://${dir}/a.sock
components:
  talker: { kind: node, module: ./talker.js, publishes: { chatter: json, image: raw } }
`,
  );
  await Deno.writeTextFile(
    join(dir, "b.yaml"),
    `robot: play-b
control: ipc://${dir}/b.sock
operator: { publishes: { chatter: json, image.replayed: raw } }
components:
  camera: { kind: node, module: ./camera.js, publishes: { image: raw } }
  listener: { kind: node, module: ./listener.js, subscribes: [chatter, image.replayed] }
`,
  );
  const a = await spawnRobot(join(dir, "a.yaml"));
  const b = await spawnRobot(join(dir, "b.yaml"));
  try {
    // --duration: it stops by itself, and the file is whole.
    const short = join(dir, "short.mcap");
    const timed = await zedge([
      "robot",
      "record",
      join(dir, "a.yaml"),
      "-o",
      short,
      "--duration",
      "0.5",
    ]);
    assert.equal(timed.code, 0, timed.stderr);
    assert.match(
      timed.stdout,
      /^wrote .*short\.mcap: \d+ messages in 0\.\d s, [\d.]+ KB \(.*chatter \d+/,
    );
    assert.ok(((await readRecording(short)).get("chatter")?.length ?? 0) > 0);
    const again = await zedge([
      "robot",
      "record",
      join(dir, "a.yaml"),
      "-o",
      short,
      "--duration",
      "1",
    ]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /short\.mcap exists: give another -o, or --force to overwrite it/);

    // Ctrl-C: the file is finished as well.
    const run = join(dir, "run.mcap");
    const recorder = spawn(Deno.execPath(), [
      "run",
      "-A",
      "cli/main.ts",
      "robot",
      "record",
      "-c",
      join(dir, "a.yaml"),
      "-o",
      run,
      "--topics",
      "chatter,image",
    ]);
    await recorder.waitFor(/recording .*run\.mcap: receiving/);
    const sent = () => (a.stdout() + a.stderr()).match(/talker: sent \d+/g)?.length ?? 0;
    const before = sent();
    await a.waitFor(new RegExp(`(talker: sent \\d+[^]*){${before + 2}}`));
    recorder.child.kill("SIGINT");
    const stopped = await recorder.status;
    assert.equal(stopped.code, 0, recorder.stderr());
    assert.match(recorder.stdout(), /^wrote .*run\.mcap: \d+ messages/);

    const recorded = await readRecording(run);
    const chatter = recorded.get("chatter") as { n: number; text: string }[];
    assert.ok(chatter.length >= 100, `${chatter.length} chatter messages`);
    // Consecutive: nothing lost between the first and the last.
    chatter.forEach((m, i) => assert.equal(m.n, chatter[0].n + i));
    const images = recorded.get("image") as { data: string }[];
    assert.deepEqual([...Uint8Array.fromBase64(images[0].data)].slice(1), [7, 7]);
    assert.ok(recorded.has("/zedge/states"));
    assert.ok(
      (recorded.get("/zedge/log") as { message: string }[]).some((l) => /sent \d+/.test(l.message)),
    );

    // A topic a component of the robot publishes is refused, and the way out named.
    const refused = await zedge(["robot", "play", run, join(dir, "b.yaml")]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /refused 'image': 'image' is also published by camera: play it under another name \(--remap image=NEW\)/,
    );
    assert.doesNotMatch(b.stdout() + b.stderr(), /heard chatter/, "nothing played");

    const played = await zedge([
      "robot",
      "play",
      run,
      join(dir, "b.yaml"),
      "--remap",
      "image=image.replayed",
      "--rate",
      "4",
    ]);
    assert.equal(played.code, 0, played.stderr);
    assert.match(
      played.stdout,
      new RegExp(`^played ${chatter.length + images.length} messages in `),
    );
    const last = chatter.at(-1)!.n;
    await b.waitFor(new RegExp(`listener: heard chatter ${last} from \\(operator\\)`));
    const heard = [...(b.stdout() + b.stderr()).matchAll(/heard chatter (\d+) from/g)]
      .map((m) => Number(m[1]));
    assert.deepEqual(heard, chatter.map((m) => m.n), "the same messages, in the same order");
    await b.waitFor(/heard image \d+ of 3 bytes/);

    // A file written by another program's McapWriter with json messages plays as well.
    const foreign = join(dir, "foreign.mcap");
    const file = await Deno.open(foreign, { write: true, create: true });
    let position = 0n;
    const writer = new McapWriter({
      writable: {
        position: () => position,
        write: async (buffer) => {
          for (let at = 0; at < buffer.length;) at += await file.write(buffer.subarray(at));
          position += BigInt(buffer.length);
        },
      },
    });
    await writer.start({ profile: "", library: "another program" });
    const schemaId = await writer.registerSchema({
      name: "Chatter",
      encoding: "jsonschema",
      data: new TextEncoder().encode("{}"),
    });
    const channelId = await writer.registerChannel({
      topic: "chatter",
      messageEncoding: "json",
      schemaId,
      metadata: new Map(),
    });
    for (let n = 90_001; n <= 90_005; n++) {
      const time = BigInt(n) * 1_000_000n;
      await writer.addMessage({
        channelId,
        sequence: n,
        logTime: time,
        publishTime: time,
        data: new TextEncoder().encode(JSON.stringify({ n })),
      });
    }
    await writer.end();
    file.close();
    const foreignPlay = await zedge(["robot", "play", foreign, join(dir, "b.yaml")]);
    assert.equal(foreignPlay.code, 0, foreignPlay.stderr);
    await b.waitFor(/listener: heard chatter 90005 from \(operator\)/);
  } finally {
    for (const robot of [a, b]) {
      const exit = await robot.stop();
      assert.equal(exit.code, 0, robot.stderr());
    }
    await Deno.remove(dir, { recursive: true });
  }
});
