/**
 * The host link's framing (robot/supervision/frame_link.ts): frames cut at
 * any byte boundary or packed many to a chunk arrive whole and in order; a
 * message that cannot cross arrives as `unsendable`; a handler that throws
 * costs that message, not the link.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FrameLink } from "../../robot/supervision/frame_link.ts";
import { concat } from "../core/helpers.ts";

/** The bytes a link writes for `messages` (sent as from component "c"). */
async function framesOf(messages: unknown[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let closed!: () => void;
  const allWritten = new Promise<void>((resolve) => closed = resolve);
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => void parts.push(chunk),
    close: () => closed(),
  });
  const link = new FrameLink(
    { readable: new ReadableStream({ start: () => {} }), writable },
    () => {},
    () => {},
    "w",
  );
  for (const message of messages) link.send("c", message);
  // The stream closes once every write before the close is done.
  link.close();
  await allWritten;
  return concat(...parts);
}

/** What a link reading `bytes` in chunks of `size` hands on, once the stream ends. */
function readIn(
  bytes: Uint8Array,
  size: number,
  onEach?: (m: unknown) => void,
): Promise<unknown[]> {
  const got: unknown[] = [];
  return new Promise((resolve) => {
    let at = 0;
    const readable = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at + size));
        at += size;
      },
    });
    new FrameLink(
      { readable, writable: new WritableStream() },
      (message) => {
        got.push(message);
        onEach?.(message);
      },
      () => resolve(got),
      "r",
    );
  });
}

Deno.test("frames cut anywhere or packed together arrive whole and in order", async () => {
  const messages = [
    { op: "ready" },
    { op: "log", text: "x".repeat(70_000) },
    { op: "heartbeat", heapBytes: 1 },
    { op: "figures", list: Array.from({ length: 1000 }, (_, i) => i) },
  ];
  const bytes = await framesOf(messages);
  for (const size of [1, 3, 7, 4096, 65_536, bytes.length]) {
    assert.deepEqual(await readIn(bytes, size), messages, `chunks of ${size} bytes`);
  }
});

Deno.test("64 MiB of relayed inproc data arrives whole over a unix socket; a 64 MiB message is not sent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zedge-frame-link-" });
  const path = join(dir, "link.sock");
  const listener = Deno.listen({ transport: "unix", path });
  try {
    const dialled = Deno.connect({ transport: "unix", path });
    const server = await listener.accept();
    const client = await dialled;
    const arrived: unknown[] = [];
    let ported!: (port: MessagePort) => void;
    const portArrived = new Promise<MessagePort>((resolve) => ported = resolve);
    const far = new FrameLink(
      server,
      (message) => {
        arrived.push(message);
        const port = (message as { port?: unknown }).port;
        if (port instanceof MessagePort) ported(port);
      },
      () => {},
      "s",
    );
    const near = new FrameLink(client, () => {}, () => {}, "h");
    // A message past the link's bound for messages: its host sends why instead.
    near.send("c", { op: "log", text: "y".repeat(64 << 20) });
    // Inproc data may be as big as a socket's messages: relayed whole.
    const { port1, port2 } = new MessageChannel();
    near.send("c", { op: "inproc-accept", port: port2 });
    const port = await portArrived;
    const data = new Promise<string>((resolve) => port.onmessage = (e) => resolve(e.data));
    port1.postMessage("z".repeat(64 << 20));
    assert.equal((await data).length, 64 << 20);
    assert.equal((arrived[0] as { op: string }).op, "unsendable");
    assert.match(
      (arrived[0] as { reason: string }).reason,
      /over the link's 16777216 for a message/,
    );
    port.close();
    port1.close();
    near.close();
    far.close();
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a message that cannot cross arrives as unsendable, and the link goes on", async () => {
  const got = await readIn(
    await framesOf([{ op: "log", record: new SharedArrayBuffer(8) }, { op: "ready" }]),
    4096,
  );
  assert.equal((got[0] as { op: string }).op, "unsendable");
  assert.match((got[0] as { reason: string }).reason, /could not be cloned/);
  assert.deepEqual(got[1], { op: "ready" });
});

Deno.test("a handler's throw costs its message, not the link", async () => {
  const got = await readIn(
    await framesOf([{ op: "first" }, { op: "second" }]),
    4096,
    (message) => {
      if ((message as { op: string }).op === "first") throw new TypeError("a bug in a handler");
    },
  );
  assert.deepEqual(got, [{ op: "first" }, { op: "second" }]);
});
