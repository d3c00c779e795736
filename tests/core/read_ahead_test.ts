/**
 * The socket-wide read-ahead budget (core/sockets/read_ahead.ts): many
 * peers into one PULL hold about one receive high-water mark of received
 * messages together, not one each; nothing is lost, each peer's order
 * holds, and every peer is served while the budget is spent.
 */
import assert from "node:assert/strict";
import { Pull, Push } from "../../mod.ts";
import { closeAll, EventLog, settled, text, within } from "./helpers.ts";

const PEERS = 10;
const PER_PEER = 300;
const HWM = 100;
/** 200-byte messages: a 2 KiB read holds about ten of them. */
const PAD = "x".repeat(190);

Deno.test("read-ahead: 10 peers into one PULL hold about one high-water mark together, lose nothing, keep order", async () => {
  const pull = new Pull({ receiveHighWaterMark: HWM });
  const pushes = Array.from({ length: PEERS }, () => new Push({ sendHighWaterMark: PER_PEER }));
  try {
    await pull.bind("tcp://127.0.0.1:0");
    const log = new EventLog(pull);
    for (const push of pushes) push.connect(pull.lastEndpoint!);
    await log.wait("handshake", PEERS); // all of them share the budget from the first message
    await Promise.all(pushes.map(async (push, peer) => {
      for (let i = 0; i < PER_PEER; i++) await push.send(`${peer}:${i}:${PAD}`);
    }));
    // Nothing taken yet: what the PULL read ahead is all it received.
    const held = await settled(() => pull.traffic.messagesReceived, 300);
    // Per-peer marks alone would let each peer fill its own: PEERS × HWM.
    // Reads posted before the budget filled may overshoot it by one small
    // read each.
    assert.ok(held <= 3 * HWM, `${held} messages read ahead by one PULL`);
    assert.ok(held >= HWM, `${held}: the budget is one high-water mark, not less`);

    const next = new Array<number>(PEERS).fill(0);
    const firstRound = new Set<number>();
    for (let n = 0; n < PEERS * PER_PEER; n++) {
      const [frame] = await within(pull.receive(), `message ${n}`);
      const [peer, index] = text(frame).split(":").map(Number);
      assert.equal(index, next[peer], `peer ${peer}'s messages in order`);
      next[peer]++;
      if (n < HWM * 2) firstRound.add(peer);
    }
    assert.deepEqual(next, new Array(PEERS).fill(PER_PEER), "every message of every peer");
    assert.equal(firstRound.size, PEERS, "every peer served within the first two marks' worth");
  } finally {
    await closeAll(pull, ...pushes);
  }
});

Deno.test("read-ahead: a lone peer still reads up to its own high-water mark", async () => {
  const pull = new Pull({ receiveHighWaterMark: HWM });
  const push = new Push({ sendHighWaterMark: PER_PEER });
  try {
    await pull.bind("tcp://127.0.0.1:0");
    push.connect(pull.lastEndpoint!);
    for (let i = 0; i < PER_PEER; i++) await push.send(`0:${i}:${PAD}`);
    const held = await settled(() => pull.traffic.messagesReceived, 300);
    assert.ok(held >= HWM, `${held} read ahead from the one peer`);
    for (let i = 0; i < PER_PEER; i++) {
      assert.equal(
        text((await within(pull.receive(), `message ${i}`))[0]).split(":")[1],
        String(i),
      );
    }
  } finally {
    await closeAll(pull, push);
  }
});
