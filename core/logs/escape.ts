/**
 * One escaping rule for text zedge did not write: what a peer sent (a ZMTP
 * greeting's mechanism, a ZAP reason, an address), what a component logged,
 * an error message. Before such text reaches a terminal, the journal, `zedge
 * robot top`, `zedge logs tail` or the status page, every character that
 * could act instead of being shown becomes a visible escape:
 *
 * - C0 controls and DEL (`ESC` is `\x1b`; a line break `\n` unless the
 *   caller asks for another rendering, so one record stays one journal line);
 * - C1 controls (U+0080–U+009F, `\u009b` is a one-byte CSI on some terminals);
 * - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069,
 *   U+200E, U+200F, U+061C), which reorder what a reader sees;
 * - the line and paragraph separators U+2028 and U+2029, and lone surrogates.
 *
 * The result contains no character that changes how the text around it is
 * drawn, in any of those places: it needs no context. (HTML metacharacters
 * are left alone: the status page sets text, never markup.)
 *
 * @example
 * ```ts
 * import { escapeUntrusted } from "./escape.ts";
 * escapeUntrusted("\x1b]2;PWNED\x07\x1b[2J"); // "\\x1b]2;PWNED\\x07\\x1b[2J"
 * escapeUntrusted("a\nb"); // "a\\nb"
 * escapeUntrusted("a\nb", { newline: "\n  " }); // "a\n  b"
 * ```
 * @module
 */

const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * How {@link escapeUntrusted} renders a line break.
 *
 * @example
 * ```ts
 * import type { EscapeOptions } from "./escape.ts";
 * const terminal: EscapeOptions = { newline: "\n  " };
 * ```
 */
export interface EscapeOptions {
  /** What a `\n` becomes (default the two characters `\n`). */
  newline?: string;
}

/**
 * `text` with every character that could act on a terminal, a log viewer
 * or a reader's eye turned into a visible escape (see the module
 * documentation). Tabs stay. Safe on any string; idempotent on its own
 * output.
 *
 * @example
 * ```ts
 * import { escapeUntrusted } from "./escape.ts";
 * escapeUntrusted("user\u202Egnp.exe"); // "user\\u202egnp.exe"
 * escapeUntrusted("ok\tfine"); // "ok\tfine"
 * ```
 */
export function escapeUntrusted(text: string, options: EscapeOptions = {}): string {
  const value = typeof text === "string" ? text : String(text);
  return value.replace(UNSAFE, (char) => {
    if (char === "\n") return options.newline ?? "\\n";
    if (char === "\r") return "\\r";
    const code = char.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
