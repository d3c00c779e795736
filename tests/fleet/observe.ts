/**
 * Watching a simulated fleet from the root namespace: the `neighbour` nodes' reports, the
 * collector's file of collected items, processes' exits.
 *
 * @example
 * ```ts
 * import { lines } from "./observe.ts";
 * console.log(await lines("/nonexistent"));
 * ```
 * @module
 */
import type { Pull } from "../../mod.ts";

/** What a robot's `neighbour` node pushes: what it saw of its neighbour robot. */
export interface Report {
  poses: number;
  lastPoseAt: number;
  calls: number;
  lastCallAt: number;
  errors: number;
  lastError: string;
}

/**
 * Receives a robot's reports until one satisfies `ok`; throws naming `what` and the last one.
 *
 * @example
 * ```ts
 * import { Pull } from "../../mod.ts";
 * import { untilReport } from "./observe.ts";
 * const pull = new Pull({ receiveTimeout: 5000 });
 * // pull.connect("tcp://10.213.20.11:7790"); await untilReport(pull, (r) => r.calls > 0, 30_000, "calls");
 * ```
 */
export async function untilReport(
  pull: Pull,
  ok: (r: Report) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Report> {
  const deadline = Date.now() + timeoutMs;
  let last: Report | undefined;
  while (Date.now() < deadline) {
    try {
      const [body] = await pull.receive();
      last = JSON.parse(new TextDecoder().decode(body));
      if (ok(last!)) return last!;
    } catch { /* no report within the receive timeout: try again until the deadline */ }
  }
  throw new Error(`timed out waiting for ${what}; last report ${JSON.stringify(last)}`);
}

/**
 * Polls `check` every 100 ms until it is true; throws naming `what` after `timeoutMs`.
 *
 * @example
 * ```ts
 * import { until } from "./observe.ts";
 * await until(() => Promise.resolve(true), 1000, "nothing");
 * ```
 */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The JSON lines of a file written so far (none when it does not exist yet).
 *
 * @example
 * ```ts
 * import { lines } from "./observe.ts";
 * console.log((await lines("/tmp/collected.jsonl")).length);
 * ```
 */
export async function lines(file: string): Promise<Record<string, unknown>[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(file);
  } catch { /* nothing collected yet */ }
  return text.split("\n").filter((l) => l.endsWith("}")).map((l) => JSON.parse(l));
}

/**
 * Waits for a process, reading its output; resolves its exit code and the tail of its output.
 *
 * @example
 * ```ts
 * import { drain } from "./observe.ts";
 * const child = new Deno.Command("true", { stdout: "piped", stderr: "piped" }).spawn();
 * console.log((await drain(child)).code);
 * ```
 */
export async function drain(child: Deno.ChildProcess): Promise<{ code: number; output: string }> {
  const [status, out, err] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code: status.code, output: `${out}\n${err}`.slice(-3000) };
}
