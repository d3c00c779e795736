/**
 * Readiness across several sockets: wait until any of them can receive or
 * send, on the sockets' own readiness signals (`readable()` /
 * `writable()`), never by polling in a loop.
 *
 * @module
 */
import type { Socket } from "../sockets/mod.ts";
import type { Direction } from "./socket_types.ts";

/**
 * One socket to poll, under its name, in the directions asked.
 *
 * @example
 * ```ts
 * import { Pull } from "../sockets/mod.ts";
 * import type { PollTarget } from "./poll.ts";
 * const target: PollTarget = { name: "jobs", socket: new Pull(), directions: ["in"] };
 * target.socket.close();
 * ```
 */
export interface PollTarget {
  /** The name reported when it is ready. */
  name: string;
  /** The socket. */
  socket: Socket;
  /** What readiness counts: a message to receive, room to send, or both. */
  directions: readonly Direction[];
}

/**
 * Which sockets are ready, by name: `readable` ones have a message to
 * receive at once, `writable` ones would take a send at once.
 *
 * @example
 * ```ts
 * import type { PollResult } from "./poll.ts";
 * const result: PollResult = { readable: ["jobs"], writable: [] };
 * ```
 */
export interface PollResult {
  /** Names of the sockets with a message to receive. */
  readable: string[];
  /** Names of the sockets that would take a send at once. */
  writable: string[];
}

/**
 * What is ready right now among `targets` (closed sockets never are).
 *
 * @example
 * ```ts
 * import { readyNow } from "./poll.ts";
 * readyNow([]); // { readable: [], writable: [] }
 * ```
 */
export function readyNow(targets: readonly PollTarget[]): PollResult {
  const result: PollResult = { readable: [], writable: [] };
  for (const { name, socket, directions } of targets) {
    if (socket.closed) continue;
    if (directions.includes("in") && socket.readableNow) result.readable.push(name);
    if (directions.includes("out") && socket.writableNow) result.writable.push(name);
  }
  return result;
}

/**
 * Resolves what is ready once any target is ready in a direction asked —
 * at once when one already is — or, with nothing ready, when `timeoutMs`
 * passes (-1 = no limit) or `signal` aborts. A target's socket closing
 * wakes the wait; closed sockets are left out.
 *
 * @example
 * ```ts
 * import { Pull } from "../sockets/mod.ts";
 * import { pollSockets } from "./poll.ts";
 * const jobs = new Pull();
 * const ready = await pollSockets([{ name: "jobs", socket: jobs, directions: ["in"] }], 10);
 * ready.readable; // []: nothing arrived within 10 ms
 * jobs.close();
 * ```
 */
export async function pollSockets(
  targets: readonly PollTarget[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<PollResult> {
  const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
  for (;;) {
    const ready = readyNow(targets);
    if (ready.readable.length > 0 || ready.writable.length > 0) return ready;
    if (signal?.aborted || Date.now() >= deadline) return ready;
    // A socket that closed is news to the poller: report (it is left out from now on).
    if (await anyReadinessChange(targets, deadline, signal) === "closed") return readyNow(targets);
  }
}

/**
 * Waits on every open target's readiness signal at once and returns when
 * the first fires ("ready"), its socket closes ("closed"), at `deadline` or
 * when `signal` aborts ("ended"); the other waits are then cancelled, so
 * nothing is left pending.
 */
async function anyReadinessChange(
  targets: readonly PollTarget[],
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<"ready" | "closed" | "ended"> {
  const done = new AbortController();
  const finish = () => done.abort();
  signal?.addEventListener("abort", finish, { once: true });
  const timer = deadline === Infinity
    ? undefined
    : setTimeout(finish, Math.max(0, deadline - Date.now()));
  try {
    const waits: Promise<"ready" | "closed" | "ended">[] = [
      new Promise((resolve) =>
        done.signal.addEventListener("abort", () => resolve("ended"), { once: true })
      ),
    ];
    const options = { signal: done.signal };
    // readable() and writable() resolve false only when `done` aborts, and reject only with ETERM.
    const outcome = (ready: Promise<boolean>) =>
      ready.then((yes) => yes ? "ready" as const : "ended" as const, () => "closed" as const);
    for (const { socket, directions } of targets) {
      if (socket.closed) continue;
      if (directions.includes("in")) waits.push(outcome(socket.readable(options)));
      if (directions.includes("out")) waits.push(outcome(socket.writable(options)));
    }
    return await Promise.race(waits);
  } finally {
    done.abort();
    clearTimeout(timer);
    signal?.removeEventListener("abort", finish);
  }
}
