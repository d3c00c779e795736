// `connectTimeout` (libzmq's ZMQ_CONNECT_TIMEOUT): a connect to a host cut off silently (its
// packets dropped: no reset, no refusal) is given up after the timeout and tried again, so the
// dial loop is free to succeed soon after the host comes back. Without it a connect waits as
// long as the OS retries its SYN (minutes, at growing intervals).
import assert from "node:assert/strict";
import { Push } from "../../mod.ts";
import { cut, heal } from "./faults.ts";
import { createNetwork, networkUnavailable } from "./netns.ts";

Deno.test({
  name: "connectTimeout gives up a connect to a silent host and connects soon after it is back",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const why = await networkUnavailable();
    if (why) throw new Error(`this test needs network namespaces: ${why}`);
    const network = await createNetwork(1);
    const [host] = network.hosts;
    const push = new Push({ connectTimeout: 300, reconnectInterval: 50, linger: 0 });
    try {
      // A listener inside the host: a TCP server with nothing to say (the handshake never
      // finishes, which is fine: only the TCP connect matters here).
      const server = network.spawn(host, [
        "python3",
        "-c",
        `import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("${host.address}", 7000)); s.listen(); print("up", flush=True)
conns=[]
while True: conns.append(s.accept())`,
      ]);
      const reader = server.stdout.getReader();
      assert.match(new TextDecoder().decode((await reader.read()).value), /up/);
      reader.releaseLock();
      await cut(network, host);
      const retries: string[] = [];
      let connectedAt = 0;
      push.events.on("connect:retry", (e) => retries.push((e as { reason: string }).reason));
      push.events.on("connect", () => connectedAt ||= Date.now());
      push.connect(`tcp://${host.address}:7000`);
      const deadline = Date.now() + 10_000;
      while (retries.length < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(retries.length >= 3, `three connects given up (got ${retries.length})`);
      assert.match(retries[0], /not done within 300 ms/);
      await heal(network, host);
      const healedAt = Date.now();
      while (!connectedAt && Date.now() < healedAt + 10_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(connectedAt > 0, "connected after the heal");
      assert.ok(
        connectedAt - healedAt < 2000,
        `connected ${connectedAt - healedAt} ms after the heal`,
      );
    } finally {
      await push.close();
      await network.remove();
    }
  },
});
