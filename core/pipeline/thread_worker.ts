/**
 * The script every pipeline Web-Worker thread runs (reached through a static
 * `new URL("./thread_worker.ts", import.meta.url)`, so `deno compile --include`
 * embeds it). It loads the handler module named in its `init` message, runs
 * the module's `init` hook (its result is every item's `ctx.state` in this
 * thread), then runs one item per `run` message and answers with `ok` or
 * `err`.
 *
 * `run` messages come on their own port (handed over with `init`): when an
 * item ends, the thread takes the next one waiting there at once, without
 * a turn of its event loop (a blocking handler keeps the loop from turning
 * while it runs, so the item sent ahead would otherwise wait for that turn).
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
import { receiveMessageOnPort } from "node:worker_threads";
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
  /** `jobs`: the port `run` messages come on (transferred with it). */
  | { op: "init"; module: string; index: number; worker: string; jobs: MessagePort }
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

interface ThreadScope {
  postMessage(message: FromThread): void;
  close(): void;
  onmessage: ((event: MessageEvent<ToThread>) => void) | null;
}

/** The next message already waiting on `port`, taken without an event-loop turn. */
function waitingOn(port: MessagePort | null): RunMessage | undefined {
  if (port === null) return undefined;
  // node:worker_threads types its own MessagePort; Deno's web one is the same object here.
  return receiveMessageOnPort(port as never)?.message as RunMessage | undefined;
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
  const waiting: RunMessage[] = [];
  let jobs: MessagePort | null = null;
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
      jobs.onmessage = (event: MessageEvent<RunMessage>) => {
        // The pool may send the next item ahead while one runs: a thread
        // still runs one at a time, so an async handler's item waits here.
        if (running) waiting.push(event.data);
        else run(event.data);
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
    }
  };

  async function run(first: RunMessage): Promise<void> {
    running = true;
    for (
      let m: RunMessage | undefined = first;
      m !== undefined;
      m = waiting.shift() ?? waitingOn(jobs)
    ) {
      const handler = handlers.get(m.type);
      if (handler === undefined) {
        post({ op: "err", seq: m.seq, message: `no handler for task type '${m.type}'` });
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
        post({ op: "ok", seq: m.seq, value: value ?? null });
      } catch (error) {
        post({ op: "err", seq: m.seq, message: describe(error) });
      }
    }
    running = false;
  }
}

// Only start when loaded as a worker (a window-less global with postMessage).
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  startThread(globalThis as unknown as ThreadScope);
}
