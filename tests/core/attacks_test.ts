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
import { Pull, Push } from "../../mod.ts";
import { closeAll, EventLog, portOf, texts, within } from "./helpers.ts";

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
