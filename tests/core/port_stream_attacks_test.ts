/**
 * A hostile component's Worker on the other end of an inproc link (a
 * `PortStream`): it controls its isolate, so after an honest handshake it
 * posts on the port whatever it likes. Each attack must cost that link
 * only: the victim's isolate keeps running, the link closes with a reason,
 * nothing the attacker posted outside the protocol reaches the application,
 * and the victim's socket still serves an honest peer.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pull, Push } from "../../mod.ts";
import { deliverInproc } from "../../core/transport/inproc.ts";
import { PortStream } from "../../core/transport/port_stream.ts";
import { closeAll, settled, text, waitFor, within } from "./helpers.ts";

let unique = 0;

/** What hostile_port_worker.ts is sent: its end of the link, how it starts, what it posts. */
interface HostileOrder {
  port: MessagePort;
  role: "push" | "pull";
  attack: string;
}

/**
 * Binds a victim socket, hands one end of a fresh link to a hostile Worker
 * (which starts as `role`, then posts `attack`), and resolves once the
 * victim has dropped the link, with the reason it gave. `receiveHighWaterMark`
 * is the victim PULL's.
 */
async function underAttack(
  role: "push" | "pull",
  attack: string,
  receiveHighWaterMark = 1000,
): Promise<string> {
  const name = `port-attack-${Deno.pid}-${++unique}`;
  const victim = role === "push"
    ? new Pull({ receiveHighWaterMark, receiveTimeout: 10_000 })
    : new Push({ sendTimeout: 10_000 });
  const worker = new Worker(new URL("./hostile_port_worker.ts", import.meta.url), {
    type: "module",
  });
  const honest = role === "push" ? new Push({ linger: 0 }) : new Pull({ receiveTimeout: 10_000 });
  try {
    await victim.bind(`inproc://${name}`);
    const dropped = victim.events.once("disconnect");
    const posted = new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(`hostile worker failed: ${event.message}`));
      };
    });
    const { port1, port2 } = new MessageChannel();
    assert.ok(deliverInproc(name, new PortStream(port2)));
    const order: HostileOrder = { port: port1, role, attack };
    worker.postMessage(order, [port1]);
    if (victim instanceof Push) await victim.send("first");
    await within(posted, "the hostile worker to post its attack");
    if (victim instanceof Pull) {
      // Its first message came honestly; nothing the attack posted may follow it.
      assert.deepEqual((await victim.receive()).map(text), ["honest"]);
    }
    const { reason } = await within(dropped, `the victim to drop the link after ${attack}`);
    // The socket itself carries on with an honest peer.
    honest.connect(`inproc://${name}`);
    if (victim instanceof Pull) {
      await (honest as Push).send("after");
      assert.deepEqual((await victim.receive()).map(text), ["after"]);
    } else {
      await victim.send("after");
      assert.deepEqual((await (honest as Pull).receive()).map(text), ["after"]);
    }
    return reason ?? "";
  } finally {
    worker.terminate();
    await closeAll(honest, victim);
  }
}

for (const attack of ["null", "number", "string"]) {
  Deno.test(`port attack: a ${attack} posted on an inproc link closes that link, not the isolate`, async () => {
    const reason = await underAttack("push", attack);
    assert.match(reason, /inproc peer broke the stream protocol: it posted/);
  });
}

for (const attack of ["credit-nan", "credit-negative", "credit-too-much"]) {
  Deno.test(`port attack: credit that lies (${attack}) closes the link, so the writer's window holds`, async () => {
    const reason = await underAttack("pull", attack);
    assert.match(reason, /inproc peer broke the stream protocol: credit/);
  });
}

Deno.test("port attack: a batch over shared memory, rewritten after it is checked, is refused unread", async () => {
  const reason = await underAttack("push", "shared-batch");
  assert.match(reason, /inproc peer broke the stream protocol: .*shared memory/);
});

Deno.test("port attack: batches past the window the reader gave close the link, not the reader's memory", async () => {
  // The victim reads nothing past its one message: what the attacker posts stays with the link.
  const reason = await underAttack("push", "flood", 1);
  assert.match(reason, /inproc peer broke the stream protocol: .*window/);
});

Deno.test("port attack: one batch of 4 Mi messages is read as far as the high-water mark, not at once", async () => {
  const name = `port-attack-${Deno.pid}-${++unique}`;
  const victim = new Pull({ receiveHighWaterMark: 1000, receiveTimeout: 10_000 });
  const worker = new Worker(new URL("./hostile_port_worker.ts", import.meta.url), {
    type: "module",
  });
  try {
    await victim.bind(`inproc://${name}`);
    const posted = new Promise<void>((resolve) => worker.onmessage = () => resolve());
    const { port1, port2 } = new MessageChannel();
    assert.ok(deliverInproc(name, new PortStream(port2)));
    const order: HostileOrder = { port: port1, role: "push", attack: "many-messages" };
    worker.postMessage(order, [port1]);
    await within(posted, "the hostile worker to post its batch");
    assert.deepEqual((await victim.receive()).map(text), ["honest"]);
    // Its messages are valid: they come, but only as the application makes room (each one
    // read ahead is an array and a view; all 4 Mi at once were 750 MB of them).
    await waitFor(() => victim.traffic.messagesReceived > 1, "the batch's messages to come");
    const readAhead = await settled(() => victim.traffic.messagesReceived, 200);
    assert.ok(readAhead <= 1002, `${readAhead} messages read ahead of a mark of 1000`);
    for (let m = 0; m < 5000; m++) assert.deepEqual(await victim.receive(), [new Uint8Array(0)]);
  } finally {
    worker.terminate();
    await closeAll(victim);
  }
});
