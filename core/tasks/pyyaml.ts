/**
 * YAML read as PyYAML's `safe_load` reads it, as ZTL reads remotes and
 * scene scripts: YAML 1.1, with PyYAML's own rules for which plain scalars
 * are booleans, integers, floats and timestamps. They differ from the
 * `yaml` package's 1.1 schema in the corners a script can hit: `y` and `n`
 * stay strings, `08` is a string (not a valid octal), `1e3` is a string
 * (PyYAML's floats need a dot), `010` is 8 and `1:30` is 90.
 *
 * Integers come out as `number` (`bigint` past 2^53), floats as
 * {@link PythonFloat} so they print as Python prints them (`1.0`), and
 * timestamps as {@link PythonTimestamp}.
 *
 * @example
 * ```ts
 * import { parseDocument } from "yaml";
 * import { PYYAML_OPTIONS } from "./pyyaml.ts";
 * const doc = parseDocument("a: yes\nb: 010\nc: y\n", PYYAML_OPTIONS);
 * console.log(doc.toJS()); // { a: true, b: 8, c: "y" }
 * ```
 * @module
 */
import type { ScalarTag, Tags } from "yaml";
import { PythonFloat, PythonTimestamp } from "./python_str.ts";

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const INT = new RegExp(
  "^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+" +
    "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
);
const FLOAT = new RegExp(
  "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?" +
    "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$",
);
const TIMESTAMP = new RegExp(
  "^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \\t]+)" +
    "[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$",
);
const TIMESTAMP_PARTS =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d*))?(?:[ \t]*(Z|([-+])(\d{1,2})(?::(\d{2}))?))?)?$/;

/** Splits a sign off PyYAML-style: `-` negates, `+` is dropped. */
function signed(text: string): { negative: boolean; digits: string } {
  const negative = text.startsWith("-");
  return { negative, digits: /^[-+]/.test(text) ? text.slice(1) : text };
}

/** `1:30:00` read as base 60, as PyYAML reads sexagesimal numbers. */
function sexagesimal(parts: string[], read: (part: string) => number): number {
  return parts.reduce((total, part) => total * 60 + read(part), 0);
}

function resolveInt(source: string): number | bigint {
  const { negative, digits } = signed(source.replaceAll("_", ""));
  let value: bigint;
  if (digits === "0") value = 0n;
  else if (digits.startsWith("0b")) value = BigInt(digits);
  else if (digits.startsWith("0x")) value = BigInt(digits);
  else if (digits.startsWith("0")) value = BigInt(`0o${digits.slice(1)}`);
  else if (digits.includes(":")) value = BigInt(sexagesimal(digits.split(":"), Number));
  else value = BigInt(digits);
  if (negative) value = -value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function resolveFloat(source: string): PythonFloat {
  const { negative, digits } = signed(source.replaceAll("_", "").toLowerCase());
  let value: number;
  if (digits === ".inf") value = Infinity;
  else if (digits === ".nan") value = NaN;
  else if (digits.includes(":")) value = sexagesimal(digits.split(":"), Number);
  else value = Number(digits);
  return new PythonFloat(negative && !Number.isNaN(value) ? -value : value);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A timestamp as PyYAML constructs it: a `date`, or a `datetime` with its fraction and offset. */
function resolveTimestamp(source: string): PythonTimestamp {
  const match = TIMESTAMP_PARTS.exec(source)!;
  const [year, month, day] = [1, 2, 3].map((i) => Number(match[i]));
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new Error(`'${source}' is not a valid date`);
  }
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (match[4] === undefined) {
    return new PythonTimestamp(date, `datetime.date(${year}, ${month}, ${day})`);
  }
  const [hour, minute, second] = [4, 5, 6].map((i) => Number(match[i]));
  if (hour > 23 || minute > 59 || second > 59) throw new Error(`'${source}' is not a valid time`);
  const micro = match[7] ? Number(match[7].slice(0, 6).padEnd(6, "0")) : 0;
  let offsetMinutes: number | undefined;
  if (match[9] !== undefined) {
    offsetMinutes = (Number(match[10]) * 60 + Number(match[11] ?? 0)) * (match[9] === "-" ? -1 : 1);
  } else if (match[8] === "Z") {
    offsetMinutes = 0;
  }
  let str = `${date} ${pad(hour)}:${pad(minute)}:${pad(second)}`;
  if (micro !== 0) str += `.${pad(micro, 6)}`;
  const fields = [year, month, day, hour, minute, second, micro];
  // repr() drops a zero microsecond, then a zero second.
  if (fields.at(-1) === 0) fields.pop();
  if (fields.at(-1) === 0) fields.pop();
  let repr = `datetime.datetime(${fields.join(", ")}`;
  if (offsetMinutes !== undefined) {
    const abs = Math.abs(offsetMinutes);
    str += `${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    repr += `, tzinfo=${timezoneRepr(offsetMinutes)}`;
  }
  return new PythonTimestamp(str, `${repr})`);
}

/** `datetime.timezone.utc`, or `datetime.timezone(datetime.timedelta(days=-1, seconds=68400))`. */
function timezoneRepr(offsetMinutes: number): string {
  if (offsetMinutes === 0) return "datetime.timezone.utc";
  const seconds = offsetMinutes * 60;
  const days = Math.floor(seconds / 86_400);
  const rest = seconds - days * 86_400;
  const parts = [days !== 0 ? `days=${days}` : "", rest !== 0 ? `seconds=${rest}` : ""];
  return `datetime.timezone(datetime.timedelta(${parts.filter(Boolean).join(", ")}))`;
}

/** A scalar tag that only reads (zedge never writes these files). */
function readTag(
  tag: string,
  test: RegExp,
  resolve: (source: string) => unknown,
  identify: (value: unknown) => boolean,
): ScalarTag {
  return { tag: `tag:yaml.org,2002:${tag}`, default: true, test, resolve, identify };
}

/** PyYAML's implicit scalar types, in the order PyYAML tries them. */
const PYYAML_SCALARS: ScalarTag[] = [
  readTag("bool", BOOL, (s) => TRUE.test(s), (v) => typeof v === "boolean"),
  readTag("float", FLOAT, resolveFloat, (v) => v instanceof PythonFloat),
  readTag(
    "int",
    INT,
    resolveInt,
    (v) => typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v)),
  ),
  readTag("timestamp", TIMESTAMP, resolveTimestamp, (v) => v instanceof PythonTimestamp),
];

const REPLACED = new Set(PYYAML_SCALARS.map((t) => t.tag));

/**
 * The `yaml` package's YAML 1.1 tags with the bool, int, float and
 * timestamp resolution replaced by PyYAML's (null, strings, collections,
 * `!!binary`, `!!set`, `!!omap` and merge keys stay the package's).
 *
 * @example
 * ```ts
 * import { parseDocument } from "yaml";
 * import { pyyamlTags } from "./pyyaml.ts";
 * parseDocument("n: y", { version: "1.1", customTags: pyyamlTags }).toJS(); // { n: "y" }
 * ```
 */
export function pyyamlTags(tags: Tags): Tags {
  const kept = tags.filter((t) => typeof t === "string" || !REPLACED.has(t.tag));
  const at = kept.findIndex((t) => typeof t !== "string" && t.tag === "tag:yaml.org,2002:null");
  return [...kept.slice(0, at + 1), ...PYYAML_SCALARS, ...kept.slice(at + 1)];
}

/**
 * Parse options that read YAML as PyYAML's `safe_load` does.
 *
 * @example
 * ```ts
 * import { parseDocument } from "yaml";
 * import { PYYAML_OPTIONS } from "./pyyaml.ts";
 * parseDocument("t: 12:30", PYYAML_OPTIONS).toJS(); // { t: 750 }
 * ```
 */
export const PYYAML_OPTIONS: { version: "1.1"; customTags: (tags: Tags) => Tags } = {
  version: "1.1",
  customTags: pyyamlTags,
};
