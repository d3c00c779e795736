/**
 * Values as Python prints them. ZTL builds a task's goal with `str(goal)`
 * on what PyYAML loaded, so a scene script's `yes` reaches the server as
 * `True`, `~` as `None` and a mapping as `{'a': 1}`. zedge renders goals the
 * same way so a server sees the same text from either.
 *
 * JavaScript has one number type, so the two Python types that matter here
 * are kept apart: integers are `number` (or `bigint` beyond 2^53) and floats
 * are {@link PythonFloat}. Timestamps are {@link PythonTimestamp}.
 *
 * @example
 * ```ts
 * import { PythonFloat, pythonStr } from "./python_str.ts";
 * pythonStr(true); // "True"
 * pythonStr(new PythonFloat(1)); // "1.0"
 * pythonStr(new Map<unknown, unknown>([["a", [1, null]]])); // "{'a': [1, None]}"
 * ```
 * @module
 */

/**
 * A Python float: a number that prints as `1.0`, not `1`.
 *
 * @example
 * ```ts
 * import { PythonFloat, pythonStr } from "./python_str.ts";
 * pythonStr(new PythonFloat(1e16)); // "1e+16"
 * ```
 */
export class PythonFloat {
  /** The float's value. */
  readonly value: number;
  /** Wraps `value`. */
  constructor(value: number) {
    this.value = value;
  }
}

/**
 * A date or date-time as PyYAML constructs it, with the texts Python's
 * `str()` and `repr()` give for it.
 *
 * @example
 * ```ts
 * import { PythonTimestamp, pythonStr } from "./python_str.ts";
 * pythonStr(new PythonTimestamp("2001-12-14", "datetime.date(2001, 12, 14)")); // "2001-12-14"
 * ```
 */
export class PythonTimestamp {
  /** What `str()` gives: `2001-12-14` or `2001-12-14 21:59:43.100000-05:00`. */
  readonly str: string;
  /** What `repr()` gives: `datetime.date(2001, 12, 14)`. */
  readonly repr: string;
  /** Creates the timestamp from its two texts. */
  constructor(str: string, repr: string) {
    this.str = str;
    this.repr = repr;
  }
}

/**
 * What Python's `str()` gives for a value loaded from YAML: strings as they
 * are, everything else as {@link pythonRepr}.
 *
 * @example
 * ```ts
 * import { pythonStr } from "./python_str.ts";
 * pythonStr("hi"); // "hi"
 * pythonStr(["hi"]); // "['hi']"
 * ```
 */
export function pythonStr(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof PythonTimestamp) return value.str;
  return pythonRepr(value);
}

/**
 * What Python's `repr()` gives for a value loaded from YAML (as inside a
 * list or a dict): strings quoted, `True`/`False`/`None`, lists and dicts
 * with their items' reprs.
 *
 * @example
 * ```ts
 * import { pythonRepr } from "./python_str.ts";
 * pythonRepr({ name: "it's", n: [1, true] }); // `{'name': "it's", 'n': [1, True]}`
 * ```
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "string") return stringRepr(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : floatRepr(value);
  }
  if (value instanceof PythonFloat) return floatRepr(value.value);
  if (value instanceof PythonTimestamp) return value.repr;
  if (value instanceof Uint8Array) return bytesRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (value instanceof Set) {
    return value.size === 0 ? "set()" : `{${[...value].map(pythonRepr).join(", ")}}`;
  }
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return `{${entries.map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(", ")}}`;
}

/**
 * Python's `repr(float)`: the shortest text that reads back as the same
 * float, in fixed notation from 1e-4 up to 1e16 and in exponent notation
 * beyond (`1e-05`, `1e+16`).
 */
function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // toExponential() without a precision gives the shortest round-trip digits, as Python does.
  const [mantissa, exponentText] = x.toExponential().split("e");
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith("-") ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  if (exponent < -4 || exponent >= 16) {
    const shown = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const magnitude = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${shown}e${exponent < 0 ? "-" : "+"}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  return `${sign}${whole}.${digits.slice(exponent + 1) || "0"}`;
}

/** Characters Python's `repr()` escapes: controls, separators and unassigned code points. */
const NOT_PRINTABLE = /[\p{C}\p{Z}]/u;

function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === "\\") out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (char !== " " && NOT_PRINTABLE.test(char)) out += codeEscape(code);
    else out += char;
  }
  return out + quote;
}

function codeEscape(code: number): string {
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, "0")}`;
  return `\\U${code.toString(16).padStart(8, "0")}`;
}

function bytesRepr(bytes: Uint8Array): string {
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = `b${quote}`;
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (char === quote || char === "\\") out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (byte < 0x20 || byte >= 0x7f) out += codeEscape(byte);
    else out += char;
  }
  return out + quote;
}
