/**
 * The script every pipeline Web-Worker thread runs (reached through a static
 * `new URL("./thread_worker.ts", import.meta.url)`, so `deno compile --include`
 * embeds it). It loads the handler module named in its `init` message, runs
 * the module's `init` hook (its result is every item's `ctx.state` in this
 * thread), then runs the items the pool writes to its ring and answers each
 * with its outcome (`ok` or `err`).
 *
 * Items come through shared memory (the `channel` handed over with `init`,
 * see thread_ring.ts): when an item ends, the thread writes its outcome
 * there, rings the pool's doorbell and takes the item sent ahead at once
 * (unless the pool took it back for a thread that went idle meanwhile),
 * without a message or a turn of its event loop (a blocking handler keeps
 * the loop from turning while it runs; and on a thread that has just slept,
 * a `postMessage` and a `receiveMessageOnPort` cost 120 µs together). With
 * nothing left to run it says it is idle and waits in its event loop on its
 * idle cell (`Atomics.waitAsync`), which the pool's next item clears and
 * notifies; items and outcomes too big for the rings travel as messages on
 * its `jobs` port, marked in the rings (such a message wakes it too).
 *
 * A thread that ends itself (`self.close()`, `Deno.exit()`) says so first,
 * because the parent gets no event for that; uncaught errors reach the
 * parent as an `error` event. Either way the pool replaces the thread.
 *
 * @example
 * ```ts
 * const thread = new Worker(new URL("./thread_worker.ts", import.meta.url), { type: "module" });
 * thread.postMessage({ op: "init", module: "file:///app/handlers.ts", index: 0, worker: "w" });
 * ```
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { Doorbell, RECORD, ThreadChannel } from "./thread_ring.ts";
import { type Handler, handlersFromModule, hooksFromModule, runInit } from "./handlers.ts";
import { importModule, moduleLoadReason } from "../module_import.ts";

/**
 * Messages from the pool to a thread.
 *
 * @example
 * ```ts
 * import type { ToThread } from "./thread_worker.ts";
 * const m: ToThread = { op: "init", module: "file:///h.ts", index: 0, worker: "w" };
 * ```
 */
export type ToThread =
  /**
   * `jobs`: the port items sent by message come on (transferred with it);
   * `channel`: the thread's rings ({@link ThreadChannel}); `doorbell`: the pool's
   * ({@link Doorbell}).
   */
  | {
    op: "init";
    module: string;
    index: number;
    worker: string;
    jobs: MessagePort;
    channel: SharedArrayBuffer;
    doorbell: SharedArrayBuffer;
  }
  /** Answered with `pong` once the thread's event loop is free (see the pool's stuck probe). */
  | { op: "ping" }
  | {
    op: "run";
    seq: number;
    id: string;
    type: string;
    attempt: number;
    payload: unknown;
    metadata: unknown;
  };

/**
 * Messages from a thread to the pool.
 *
 * @example
 * ```ts
 * import type { FromThread } from "./thread_worker.ts";
 * const m: FromThread = { op: "ok", seq: 1, value: 42 };
 * ```
 */
export type FromThread =
  /** Loaded and initialised; `prepare` says whether the module exports that hook. */
  | { op: "ready"; types: string[]; prepare: boolean }
  | { op: "init-error"; message: string }
  | { op: "ok"; seq: number; value: unknown }
  | { op: "err"; seq: number; message: string }
  | { op: "exit"; reason: string }
  | { op: "pong" };

type RunMessage = Extract<ToThread, { op: "run" }>;

/**
 * What comes on a thread's jobs port: an item (its marker is in the ring before it), or a skip
 * (the item the marker stands for could not be sent: the pool failed it).
 */
type ByMessage = RunMessage | { op: "skip"; seq: number };

/** What an item record in the ring holds (the rest of {@link RunMessage}). */
type RingItem = Omit<RunMessage, "op" | "seq">;

interface ThreadScope {
  postMessage(message: FromThread): void;
  close(): void;
  onmessage: ((event: MessageEvent<ToThread>) => void) | null;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function startThread(scope: ThreadScope): void {
  let handlers = new Map<string, Handler>();
  let index = 0;
  let state: unknown = undefined;
  let running = false;
  /** Items that came by message (too big for the ring), in the order of their markers. */
  const byMessage: ByMessage[] = [];
  let jobs: MessagePort | null = null;
  let channel: ThreadChannel | null = null;
  let doorbell: Doorbell | null = null;
  /** The pending wait for the pool's wake-up, held (V8 holds it only weakly) until it ends. */
  let woken: Promise<unknown> | null = null;
  const post = (message: FromThread) => scope.postMessage(message);

  const close = scope.close.bind(scope);
  scope.close = () => {
    post({ op: "exit", reason: "thread called self.close()" });
    close();
  };
  const exit = Deno.exit;
  try {
    (Deno as { exit: (code?: number) => never }).exit = (code?: number): never => {
      post({ op: "exit", reason: `thread called Deno.exit(${code ?? 0})` });
      return exit(code);
    };
  } catch {
    // A frozen Deno namespace only costs us the early notice; timeouts still apply.
  }

  scope.onmessage = async (event) => {
    const m = event.data;
    if (m.op === "ping") {
      post({ op: "pong" });
      return;
    }
    if (m.op === "init") {
      index = m.index;
      jobs = m.jobs;
      channel = new ThreadChannel(m.channel);
      doorbell = new Doorbell(m.doorbell);
      jobs.onmessage = (event: MessageEvent<ByMessage | { op: "wake" }>) => {
        // An item too big for the ring, a skip, or the pool's watch waking a thread that missed
        // its wake-up (idle threads are otherwise woken on their idle cell, not by message).
        if (event.data.op !== "wake") byMessage.push(event.data);
        if (!running) runWaiting();
      };
      let namespace: Record<string, unknown>;
      try {
        namespace = await importModule(m.module);
        handlers = handlersFromModule(namespace);
        if (handlers.size === 0) throw new Error(`handler module ${m.module} exports no function`);
      } catch (error) {
        post({ op: "init-error", message: moduleLoadReason(error) });
        return;
      }
      const hooks = hooksFromModule(namespace);
      try {
        state = await runInit(hooks, { worker: m.worker, thread: index });
      } catch (error) {
        post({ op: "init-error", message: (error as Error).message });
        return;
      }
      post({ op: "ready", types: [...handlers.keys()], prepare: hooks.prepare !== undefined });
      runWaiting();
    }
  };

  /**
   * The next item from the ring (or, where its marker says so, from the
   * messages), taken without an event-loop turn; `undefined` when there is
   * none yet.
   */
  function nextItem(): RunMessage | undefined {
    const ring = channel!.items;
    for (let record = ring.peek(); record !== null; record = ring.peek()) {
      // Sent ahead and taken back since, for a thread that went idle: it runs there.
      if (
        record.kind === RECORD.takenBack ||
        (record.kind === RECORD.ahead && !ring.swapKind(record.at, RECORD.ahead, RECORD.value))
      ) {
        ring.advance();
        continue;
      }
      if (record.kind !== RECORD.byMessage) {
        const m: RunMessage = {
          op: "run",
          seq: record.seq,
          ...(deserialize(record.body) as RingItem),
        };
        ring.advance();
        return m;
      }
      const m = byMessage.shift();
      // Its message has not been dispatched to this thread yet: when it is, it runs us again.
      if (m === undefined) return undefined;
      ring.advance();
      if (m.op === "run") return m;
      // "skip": the pool could not send the item it marked (it failed it there).
    }
    return undefined;
  }

  /** Sends an outcome: through the ring, or by message (with its marker) when too big. */
  function report(seq: number, outcome: FromThread & { op: "ok" | "err" }): void {
    const ring = channel!.outcomes;
    let written: boolean;
    if (outcome.op === "ok" && outcome.value === null) written = ring.write(RECORD.nothing, seq);
    else {
      let body: Uint8Array;
      try {
        body = serialize(outcome.op === "ok" ? outcome.value : outcome.message);
      } catch (error) {
        // As postMessage would have: a value that cannot be cloned fails its item.
        report(seq, { op: "err", seq, message: describe(error) });
        return;
      }
      written = ring.write(outcome.op === "ok" ? RECORD.value : RECORD.failure, seq, body);
    }
    if (!written) {
      post(outcome);
      if (!ring.write(RECORD.byMessage, seq)) throw new Error("pool thread: outcome ring full");
    }
    doorbell!.ring();
  }

  /** Runs every item waiting, one at a time, until none is left; then waits in the event loop. */
  async function runWaiting(): Promise<void> {
    if (running || channel === null || handlers.size === 0) return;
    running = true;
    channel.busy();
    for (;;) {
      let m = nextItem();
      if (m === undefined) {
        // Say so first, then look again: an item written meanwhile is seen here or wakes us.
        channel.goingIdle();
        m = nextItem();
        if (m === undefined) break;
        channel.busy();
      }
      const handler = handlers.get(m.type);
      if (handler === undefined) {
        report(m.seq, { op: "err", seq: m.seq, message: `no handler for task type '${m.type}'` });
        continue;
      }
      try {
        const ctx = {
          id: m.id,
          type: m.type,
          attempt: m.attempt,
          metadata: m.metadata,
          thread: index,
          state,
        };
        let value = handler(m.payload, ctx);
        if (value instanceof Promise) value = await value;
        report(m.seq, { op: "ok", seq: m.seq, value: value ?? null });
      } catch (error) {
        report(m.seq, { op: "err", seq: m.seq, message: describe(error) });
      }
    }
    running = false;
    awaitWakeUp();
  }

  /**
   * Idle: waits in the event loop for the pool's wake-up. One wait at a
   * time: a wait still pending from an earlier idle spell (a message woke
   * the thread then) serves this one too, since the pool notifies whatever
   * wait is there.
   */
  function awaitWakeUp(): void {
    if (woken !== null) return;
    const waiting = channel!.untilWoken();
    // The pool cleared the cell since this thread set it: an item is there.
    if (waiting === null) {
      runWaiting();
      return;
    }
    woken = waiting;
    waiting.then(() => {
      woken = null;
      runWaiting();
    });
  }
}

// Only start when loaded as a worker (a window-less global with postMessage).
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  startThread(globalThis as unknown as ThreadScope);
}
