/**
 * A component's crash as an engineer reads it: the error, where in the
 * component's own code it happened (`file:line:column`), then the stack of
 * its own code only — zedge's frames (its runtime, its npm packages, Deno's
 * internals, the generated entry) are trimmed, so the first line says what
 * to open and the rest says how it got there.
 *
 * ```text
 * TypeError: Cannot read properties of null (reading 'port') (at /opt/bot/boom.ts:3:17)
 *     at connect (/opt/bot/boom.ts:3:17)
 *     at main (/opt/bot/boom.ts:7:3)
 * ```
 *
 * The first line is what `robot status` and the status page show; the log
 * and `robot status --json` carry all of it.
 *
 * @example
 * ```ts
 * import { crashReport } from "./crash_report.ts";
 * console.log(crashReport(new TypeError("bad pose")));
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";

/** zedge's own code: frames there are the runtime's, not the component's. */
const ZEDGE_CODE = ["robot/", "core/", "cli/", "mod.ts"].map((p) =>
  new URL(`../${p}`, import.meta.url).href
);

/** One stack frame's location: `file:///x.ts:3:17`. */
const FRAME_LOCATION = /\(?((?:file|ext|node|data|npm|https?):[^\s()]*?):(\d+):(\d+)\)?$/;

/**
 * Whether a stack frame's URL is the component's own code.
 *
 * @example
 * ```ts
 * import { isOwnFrame } from "./crash_report.ts";
 * isOwnFrame("file:///opt/bot/boom.ts"); // true
 * isOwnFrame("ext:core/01_core.js"); // false
 * ```
 */
export function isOwnFrame(url: string): boolean {
  if (!url.startsWith("file://")) return false;
  if (ZEDGE_CODE.some((z) => url === z || url.startsWith(z))) return false;
  // Packages from Deno's npm cache or a node_modules directory: zedge's dependencies.
  return !/\/(npm\/registry\.npmjs\.org|node_modules)\//.test(url);
}

/** A location as a path where it is a file (`/opt/bot/boom.ts:3:17`). */
function shown(url: string, line: string, column: string): string {
  let path = url;
  try {
    path = fileURLToPath(url);
  } catch {
    // Not a file URL: shown as it is.
  }
  return `${path}:${line}:${column}`;
}

/**
 * The crash report of `error` (see the module documentation). `where` is
 * the location an `error` event names, used when the error carries no stack
 * (a thrown string).
 *
 * @example
 * ```ts
 * import { crashReport } from "./crash_report.ts";
 * crashReport("oops", { url: "file:///opt/bot/n.ts", line: 2, column: 5 });
 * // "oops (at /opt/bot/n.ts:2:5)"
 * ```
 */
export function crashReport(
  error: unknown,
  where?: { url: string; line: number; column: number },
): string {
  if (!(error instanceof Error)) {
    const text = String(error);
    return where === undefined || !isOwnFrame(where.url)
      ? text
      : `${text} (at ${shown(where.url, String(where.line), String(where.column))})`;
  }
  const head = `${error.name}: ${error.message}`;
  const own: string[] = [];
  for (const line of (error.stack ?? "").split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.startsWith("at ")) continue;
    const found = trimmed.match(FRAME_LOCATION);
    if (found === null || !isOwnFrame(found[1])) continue;
    const location = shown(found[1], found[2], found[3]);
    const fn = trimmed.slice(3, trimmed.length - found[0].length).trim();
    own.push(fn === "" ? `    at ${location}` : `    at ${fn} (${location})`);
  }
  const first = own[0]?.match(/([^\s(]+:\d+:\d+)\)?$/)?.[1] ??
    (where !== undefined && isOwnFrame(where.url)
      ? shown(where.url, String(where.line), String(where.column))
      : undefined);
  return [first === undefined ? head : `${head} (at ${first})`, ...own].join("\n");
}

/**
 * A crash report split for a line-per-record log: its first line (the
 * error and where), and its stack frames, one line each.
 *
 * @example
 * ```ts
 * import { crashLines } from "./crash_report.ts";
 * crashLines("TypeError: x (at /a.ts:1:2)\n    at f (/a.ts:1:2)");
 * // { headline: "TypeError: x (at /a.ts:1:2)", frames: ["at f (/a.ts:1:2)"] }
 * ```
 */
export function crashLines(report: string | null): { headline: string | null; frames: string[] } {
  if (report === null) return { headline: null, frames: [] };
  const [headline, ...rest] = report.split("\n");
  const frames = rest.map((l) => l.trim()).filter((l) => l.startsWith("at "));
  return frames.length === rest.length ? { headline, frames } : { headline: report, frames: [] };
}
