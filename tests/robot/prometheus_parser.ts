/**
 * Parses the Prometheus text format with Prometheus's own Python client
 * (`prometheus_client.parser`, Debian's python3-prometheus-client, for
 * /usr/bin/python3 as pyzmq is), so `/metrics` is checked by a parser that
 * is not zedge's: a malformed line fails the parse.
 *
 * @module
 */

/** One sample as the parser read it. */
export interface ParsedSample {
  /** The sample's name (a counter's keeps its `_total`). */
  name: string;
  /** Its labels. */
  labels: Record<string, string>;
  /** Its value. */
  value: number;
}

/** One family as the parser read it. */
export interface ParsedFamily {
  /** The family name (the parser drops a counter's `_total`). */
  name: string;
  /** counter, gauge, … */
  type: string;
  /** The HELP text. */
  help: string;
  /** Its samples. */
  samples: ParsedSample[];
}

const PARSE = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
def value(v):
    if math.isnan(v): return "NaN"
    if math.isinf(v): return "+Inf" if v > 0 else "-Inf"
    return v
print(json.dumps([
    {"name": f.name, "type": f.type, "help": f.documentation,
     "samples": [{"name": s.name, "labels": s.labels, "value": value(s.value)} for s in f.samples]}
    for f in text_string_to_metric_families(sys.stdin.read())
]))
`;

/** Parses `text`; throws with the parser's complaint when it is not the text format. */
export async function parsePrometheusText(text: string): Promise<ParsedFamily[]> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", PARSE],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    throw new Error(`prometheus_client refused the text: ${decoder.decode(stderr).trim()}`);
  }
  const families = JSON.parse(decoder.decode(stdout)) as ParsedFamily[];
  for (const family of families) {
    for (const sample of family.samples) {
      const v = sample.value as number | string;
      sample.value = v === "NaN" ? NaN : v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : +v;
    }
  }
  return families;
}

/** The value of the sample named `name` whose labels include `labels`; undefined when none. */
export function sampleValue(
  families: readonly ParsedFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) return sample.value;
    }
  }
  return undefined;
}
