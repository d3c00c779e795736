// Worker used by port_stream_attacks_test.ts: a hostile component's isolate. It is handed one end
// of an inproc link (a MessagePort), speaks zedge over it honestly first (a PUSH that sends
// "honest", or a PULL that reads one message), then, holding the port itself, posts what the
// test names: anything a component controlling its own isolate can post. It answers "posted".
import { Pull, Push } from "../../mod.ts";
import { installInprocBridge } from "../../core/transport/inproc.ts";
import { PortStream } from "../../core/transport/port_stream.ts";
import { BatchWriter } from "../../core/sockets/message_batch.ts";

/** What the test asks for: the attack, and the role the honest start plays. */
interface HostileOrder {
  port: MessagePort;
  role: "push" | "pull";
  attack: string;
}

/** This Worker's global scope. */
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<HostileOrder>) => void) | null;
  postMessage(message: unknown): void;
};

/** A batch of `count` messages of `size` bytes, as an honest writer builds it. */
function batchOf(count: number, size: number) {
  const writer = new BatchWriter();
  const body = new Uint8Array(size).fill(7);
  for (let i = 0; i < count; i++) writer.message([body]);
  return writer.take();
}

/** Posts the attack on `port` (which the honest socket's stream also uses). */
function attack(port: MessagePort, name: string): void {
  switch (name) {
    case "null":
      return port.postMessage(null);
    case "number":
      return port.postMessage(42);
    case "string":
      return port.postMessage("ack");
    case "credit-nan":
      return port.postMessage({ ack: NaN });
    case "credit-negative":
      return port.postMessage({ ack: -(2 ** 40) });
    case "credit-too-much":
      return port.postMessage({ ack: 2 ** 32 - 1 });
    case "shared-batch": {
      // A batch over shared memory: checked on arrival, then rewritten by its sender.
      const data = new Uint8Array(new SharedArrayBuffer(5)).fill(65);
      const sizes = new Uint32Array(new SharedArrayBuffer(8));
      sizes.set([1, 5]);
      port.postMessage({ data, sizes });
      let flip = 0;
      const rewrite = setInterval(() => {
        sizes[1] = flip++ % 2 === 0 ? 2 ** 31 : 5;
        data.fill(flip);
      }, 1);
      setTimeout(() => clearInterval(rewrite), 2000);
      return;
    }
    case "flood": {
      // Batches past the window, as if credit had come: 64 MiB while the reader reads nothing.
      for (let i = 0; i < 64; i++) {
        const batch = batchOf(1, 1 << 20);
        port.postMessage(batch, [batch.data.buffer, batch.sizes.buffer]);
      }
      return;
    }
    case "many-messages": {
      // One batch of 4 Mi messages of one empty frame each: 32 MiB of sizes, no data.
      const sizes = new Uint32Array(2 * 4 * 1024 * 1024);
      for (let i = 0; i < sizes.length; i += 2) sizes[i] = 1;
      const batch = { data: new Uint8Array(0), sizes };
      port.postMessage(batch, [batch.sizes.buffer]);
      return;
    }
    default:
      throw new Error(`no attack ${name}`);
  }
}

scope.onmessage = async (event: MessageEvent<HostileOrder>) => {
  const { port, role, attack: name } = event.data;
  installInprocBridge({
    announce: () => {},
    isBound: () => true,
    dial: () => Promise.resolve(new PortStream(port)),
  });
  if (role === "push") {
    const push = new Push({ linger: 0 });
    const handshake = push.events.once("handshake");
    push.connect("inproc://victim");
    await handshake;
    await push.send("honest");
  } else {
    const pull = new Pull({ linger: 0, receiveHighWaterMark: 1 });
    const handshake = pull.events.once("handshake");
    pull.connect("inproc://victim");
    await handshake;
    await pull.receive();
  }
  attack(port, name);
  scope.postMessage("posted");
};
