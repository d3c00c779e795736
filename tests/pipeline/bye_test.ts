/**
 * A worker stopped at any moment after READY says goodbye, so the
 * distributor redelivers what it handed out at once instead of after its
 * heartbeat timeout — also items still unread in the worker's socket.
 */
import assert from "node:assert/strict";
import {
  decodePipelineMessage,
  encodePipelineMessage,
  type PipelineMessage,
  PipelineWorker,
  Router,
} from "../../mod.ts";
import { within } from "../core/helpers.ts";

Deno.test("bye: a worker stopped before it read the work handed to it still says goodbye", async () => {
  const fake = new Router({ linger: 0 }); // a distributor
  await fake.bind("tcp://127.0.0.1:0");
  const sink = new Router({ linger: 0 }); // a collector that says nothing
  await sink.bind("tcp://127.0.0.1:0");
  const worker = new PipelineWorker({
    distributor: fake.lastEndpoint!,
    collector: sink.lastEndpoint!,
    handlers: { echo: (p) => p },
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 60_000,
  });
  try {
    await worker.start();
    const [peer, ready] = await within(fake.receive(), "READY", 5000);
    assert.equal(decodePipelineMessage(ready).kind, "ready");
    // The work goes out and the worker stops in the same turn: it cannot
    // have read the work (nor anything else from this distributor) yet.
    const sent = fake.send([
      peer,
      encodePipelineMessage({
        kind: "work",
        items: [{ id: "echo:0", type: "echo", index: 0, payload: 1, attempt: 1, timeoutMs: 0 }],
      }),
    ]);
    const closed = worker.close();
    await sent;
    let message: PipelineMessage;
    do message = decodePipelineMessage((await within(fake.receive(), "BYE", 5000))[1]); while (
      message.kind === "heartbeat" || message.kind === "ready"
    );
    assert.equal(message.kind, "bye");
    await within(closed, "the worker to close", 5000);
  } finally {
    await worker.close();
    fake.close();
    sink.close();
  }
});
