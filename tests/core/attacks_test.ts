/**
 * The engine under attack, over real loopback TCP: connections reset before
 * they are accepted, connect/close churn, a thousand peers at once, bad
 * bytes thrown into a live stream, and a consumer too slow for its
 * producer. Each attack must cost only the attacker's own connection, and
 * leave nothing behind.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FrameWriter } from "../../core/zmtp/mod.ts";
import { Pull, Push, Reply, Request } from "../../mod.ts";
import {
  closeAll,
  concat,
  EventLog,
  handshakeBytes,
  portOf,
  RawPeer,
  text,
  texts,
  waitFor,
  within,
} from "./helpers.ts";

/**
 * Connects `count` times to `port` and resets each connection at once
 * (SO_LINGER 0, so close() sends RST), from a Python child run
 * synchronously: this event loop is blocked meanwhile, so every one of them
 * is reset while still waiting in the listen queue, before any accept.
 */
function resetStorm(port: number, count: number): void {
  const script = [
    "import socket, struct, sys",
    "for _ in range(int(sys.argv[2])):",
    "    s = socket.socket()",
    "    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
    "    s.connect(('127.0.0.1', int(sys.argv[1])))",
    "    s.close()",
  ].join("\n");
  const result = new Deno.Command("python3", {
    args: ["-c", script, String(port), String(count)],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  if (!result.success) throw new Error(new TextDecoder().decode(result.stderr));
}

Deno.test("attack: a storm of connections reset before accept does not stall the listener", async () => {
  const pull = new Pull();
  const push = new Push();
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    // 300 resets: a listener that paused 100 ms after each (as for EMFILE)
    // would make the peer queued behind them wait 30 s, far past WAIT_MS.
    for (let batch = 0; batch < 3; batch++) resetStorm(portOf(pull.lastEndpoint!), 100);
    push.connect(pull.lastEndpoint!);
    await within(push.send("after the storm"), "the send of the peer queued behind the resets");
    assert.deepEqual(texts(await within(pull.receive(), "its message")), ["after the storm"]);
    // The storm really hit the accept loop, and every failed accept was reported.
    assert.ok(log.count("accept:error") >= 250, `${log.count("accept:error")} accept errors`);
    assert.match(log.of("accept:error")[0].reason ?? "", /not connected|reset/i);
    assert.equal(log.count("handshake"), 1);
  } finally {
    await closeAll(push, pull);
  }
});

/** Bytes that break a ZMTP stream in different ways, sent after valid traffic. */
const BAD_BYTES: { name: string; bytes: () => Uint8Array }[] = [
  { name: "reserved flag bits", bytes: () => new Uint8Array([0xf0, 0x13, 0x37, 0x00]) },
  { name: "a MORE command", bytes: () => new Uint8Array([0x05, 0x04, 0x04, 0x50, 0x49, 0x4e]) },
  { name: "a 2^63 frame size", bytes: () => new Uint8Array([0x02, 0x80, 0, 0, 0, 0, 0, 0, 0]) },
  { name: "a second READY", bytes: () => handshakeBytes("PUSH").subarray(64) },
  { name: "a bad command name", bytes: () => new Uint8Array([0x04, 0x02, 0x01, 0xff]) },
  {
    name: "a truncated PING",
    bytes: () => new Uint8Array([0x04, 0x05, 0x04, 0x50, 0x49, 0x4e, 0x47]),
  },
  {
    name: "random bytes",
    bytes: () => crypto.getRandomValues(new Uint8Array(64)).map((b, i) => i === 0 ? b | 0xf8 : b),
  },
];

Deno.test("attack: bad bytes in the middle of live streams cost only those streams", async () => {
  const pull = new Pull();
  const good = new Push();
  try {
    const log = new EventLog(pull);
    const goodLog = new EventLog(good);
    await pull.bind("tcp://127.0.0.1:0");
    good.connect(pull.lastEndpoint!);
    const total = 20_000;
    const pumping = (async () => {
      for (let i = 0; i < total; i++) await good.send(["good", String(i)]);
    })();
    // Meanwhile, round after round, raw peers stream valid messages and then
    // break their streams, each class of bad bytes in turn.
    const raws: RawPeer[] = [];
    const attacking = (async () => {
      for (let round = 0; round < 3; round++) {
        for (const bad of BAD_BYTES) {
          const raw = await RawPeer.connect(pull.lastEndpoint!);
          raws.push(raw);
          const writer = new FrameWriter();
          for (let i = 0; i < 50; i++) writer.writeMessage(["raw", bad.name, String(i)]);
          await raw.write(concat(handshakeBytes("PUSH"), writer.take().slice(), bad.bytes()));
        }
      }
    })();
    let goodSeen = 0;
    let rawSeen = 0;
    while (goodSeen < total) {
      const [kind, index] = texts(await within(pull.receive(), "the streams"));
      if (kind !== "good") {
        rawSeen++;
        continue;
      }
      assert.equal(index, String(goodSeen), "the good stream out of order");
      goodSeen++;
    }
    await within(pumping, "the good stream");
    await within(attacking, "the attacks");
    // Every message of the good stream, in order, none lost; every bad stream ended.
    for (const raw of raws) await raw.waitEnded();
    await waitFor(
      () => raws.every((raw) => log.count("protocol:error", raw.address) === 1),
      "one protocol error per broken stream",
    );
    assert.equal(goodLog.count("disconnect"), 0, "the good peer lost its connection");
    // What the bad streams sent before breaking was delivered too (up to now or later).
    while (pull.readableNow) {
      await pull.receive();
      rawSeen++;
    }
    assert.ok(rawSeen > 0);
    for (const raw of raws) await raw.dispose();
  } finally {
    await closeAll(good, pull);
  }
});

Deno.test("attack: a thousand peers at once all get their replies", async () => {
  const rep = new Reply();
  const peers = Array.from({ length: 1000 }, () => new Request());
  try {
    await rep.bind("tcp://127.0.0.1:0");
    const serving = (async () => {
      for await (const [body] of rep) await rep.send(["re", body]);
    })();
    for (const req of peers) req.connect(rep.lastEndpoint!);
    let replies = 0;
    await within(
      Promise.all(peers.map(async (req, p) => {
        for (let i = 0; i < 5; i++) {
          await req.send(`${p}.${i}`);
          assert.deepEqual(texts(await req.receive()), ["re", `${p}.${i}`]);
          replies++;
        }
      })),
      "5,000 replies to 1,000 peers",
      60_000,
    );
    assert.equal(replies, 5000);
    await rep.close();
    await serving;
  } finally {
    await closeAll(...peers, rep);
  }
});

/** Open descriptors of this process (Linux). */
function openDescriptors(): number {
  let count = 0;
  for (const _ of Deno.readDirSync("/proc/self/fd")) count++;
  return count;
}

for (const transport of ["tcp", "ipc"] as const) {
  Deno.test(`attack: connect/close churn [${transport}] leaves the descriptor count at its baseline`, async () => {
    const pull = new Pull();
    try {
      await pull.bind(
        transport === "tcp" ? "tcp://127.0.0.1:0" : `ipc:///tmp/zedge-churn-${Deno.pid}.sock`,
      );
      const log = new EventLog(pull);
      const baseline = openDescriptors();
      for (let i = 0; i < 300; i++) {
        const push = new Push();
        push.connect(pull.lastEndpoint!);
        await push.send(String(i));
        assert.deepEqual(texts(await within(pull.receive(), `message ${i}`)), [String(i)]);
        await push.close();
      }
      // The server side of each connection closes once it sees the peer go.
      await log.wait("disconnect", 300);
      await waitFor(
        () => openDescriptors() <= baseline,
        `the descriptor count back at ${baseline}`,
      );
    } finally {
      await pull.close();
    }
  });
}

Deno.test("attack: a consumer slower than its producer gets everything, in order, and holds the producer back", async () => {
  const pull = new Pull({ receiveHighWaterMark: 10 });
  const push = new Push({ sendHighWaterMark: 10 });
  try {
    await pull.bind("tcp://127.0.0.1:0");
    push.connect(pull.lastEndpoint!);
    const total = 2_000;
    const body = new Uint8Array(16 * 1024);
    let heldBack = 0;
    const producing = (async () => {
      for (let i = 0; i < total; i++) {
        if (!push.writableNow) heldBack++;
        await push.send([String(i), body]);
      }
    })();
    // One message per timer tick: far slower than the producer.
    for (let i = 0; i < total; i++) {
      const [index] = await within(pull.receive(), `message ${i}`);
      assert.equal(text(index), String(i));
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await within(producing, "the producer");
    assert.ok(heldBack > 0, "the producer never had to wait for room");
  } finally {
    await closeAll(push, pull);
  }
});
