/**
 * The pipeline's wire format: every message is one ZeroMQ frame holding a
 * msgpack array `[kind, ...fields]`. This is the only module that knows the
 * layout; roles speak in the typed {@link PipelineMessage} union and log and
 * drop anything {@link decodeMessage} refuses.
 *
 * Arrays instead of maps keep frames small and decoding fast, which matters
 * at tens of thousands of items per second.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage } from "./codec.ts";
 * const bytes = encodeMessage({ kind: "ack", ids: ["tiles:0"] });
 * console.log(decodeMessage(bytes)); // { kind: "ack", ids: ["tiles:0"] }
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";
import { Decoder, Encoder } from "@msgpack/msgpack";

/**
 * One unit of work as it travels from the distributor to a worker.
 *
 * @example
 * ```ts
 * import type { WorkItem } from "./codec.ts";
 * const item: WorkItem = { id: "tiles:7", type: "tiles", payload: { x: 7 }, attempt: 1, timeoutMs: 0 };
 * ```
 */
export interface WorkItem {
  /** Stable id; the collector de-duplicates and the journal records by it. */
  id: string;
  /** Task type; selects the handler function on the worker. */
  type: string;
  /** Whatever the task source yielded (msgpack-encodable). */
  payload: unknown;
  /** 1 for the first delivery, incremented on every redelivery. */
  attempt: number;
  /** Per-item time limit in ms the worker enforces; 0 = none. */
  timeoutMs: number;
}

/**
 * A worker's output for one item, sent to the collector.
 *
 * @example
 * ```ts
 * import type { ItemResult } from "./codec.ts";
 * const r: ItemResult = { id: "tiles:7", type: "tiles", value: { bytes: 512 } };
 * ```
 */
export interface ItemResult {
  /** Item id. */
  id: string;
  /** Task type. */
  type: string;
  /** What the handler returned (`null` when it returned nothing). */
  value: unknown;
}

/**
 * A worker's report that an item's handler failed (threw, crashed its thread
 * or exceeded its time limit). The distributor decides whether to retry.
 *
 * @example
 * ```ts
 * import type { ItemFailure } from "./codec.ts";
 * const f: ItemFailure = { id: "tiles:7", reason: "Error: disk full" };
 * ```
 */
export interface ItemFailure {
  /** Item id. */
  id: string;
  /** Human-readable reason, shown in the final report. */
  reason: string;
}

/**
 * An item that could not be completed after all retries.
 *
 * @example
 * ```ts
 * import type { FailedItem } from "./codec.ts";
 * const f: FailedItem = { id: "a:1", type: "a", reason: "timeout after 50 ms", attempts: 4 };
 * ```
 */
export interface FailedItem {
  /** Item id. */
  id: string;
  /** Task type. */
  type: string;
  /** Reason of the last failure. */
  reason: string;
  /** How many deliveries were tried. */
  attempts: number;
}

/**
 * The distributor's final report, also handed to the collector's `onFinished`.
 *
 * @example
 * ```ts
 * import type { PipelineSummary } from "./codec.ts";
 * const s: PipelineSummary = {
 *   total: 10, done: 10, failed: [], skipped: [], retries: 0, resumed: 0, elapsedMs: 120,
 * };
 * ```
 */
export interface PipelineSummary {
  /** Items known to the distributor (including ones resumed as done from the journal). */
  total: number;
  /** Items whose result the collector ACKed (including resumed ones). */
  done: number;
  /** Items given up on, with the reason. */
  failed: FailedItem[];
  /** Task types that never ran because a parent had failed items. */
  skipped: { type: string; reason: string }[];
  /** Redeliveries (retries after failure, timeout or a dead worker). */
  retries: number;
  /** Items found already done in the journal at start. */
  resumed: number;
  /** Wall time of the run in ms. */
  elapsedMs: number;
}

/**
 * ACK data: what the collector's `onResult` returned for one result, with
 * the item it came from. The distributor hands the latest to the task
 * sources' `isAvailableForHandling`.
 *
 * @example
 * ```ts
 * import type { AckData } from "./codec.ts";
 * const last: AckData = { id: "steps:3", type: "steps", data: { pose: [1, 2] } };
 * ```
 */
export interface AckData {
  /** Id of the item whose result returned it. */
  id: string;
  /** That item's task type. */
  type: string;
  /** What `onResult` returned (never `undefined`: that means no ACK data). */
  data: unknown;
}

/**
 * Every message the pipeline roles exchange. `kind` names the message; the
 * comment says who sends it to whom.
 *
 * @example
 * ```ts
 * import type { PipelineMessage } from "./codec.ts";
 * const m: PipelineMessage = { kind: "heartbeat" };
 * ```
 */
export type PipelineMessage =
  /** worker → distributor: registration with the types it handles and its initial credit. */
  | { kind: "ready"; name: string; types: string[]; credit: number }
  /** worker → distributor: returns credit and reports finished/failed item ids. */
  | { kind: "credit"; credit: number; done: string[]; failed: ItemFailure[] }
  /** any role → its peer: liveness while idle. */
  | { kind: "heartbeat" }
  /** worker → distributor / service worker → broker: leaving on purpose. */
  | { kind: "bye" }
  /** distributor → worker: a batch of items (never more than the worker's credit). */
  | { kind: "work"; items: WorkItem[] }
  /** distributor → worker: metadata forwarded to the listed task types. */
  | { kind: "metadata"; data: unknown; types: string[] }
  /** distributor/broker → worker: "I do not know you", register again. */
  | { kind: "reset" }
  /** distributor → worker: the run is over. */
  | { kind: "end" }
  /**
   * worker → collector: results of one or more items, with the metadata of
   * the types among them that forward it (by type; absent when none do).
   */
  | {
    kind: "results";
    worker: string;
    results: ItemResult[];
    metadata?: Record<string, unknown>;
  }
  /** collector → distributor: registration. */
  | { kind: "hello"; name: string }
  /**
   * collector → distributor: these ids are safely collected; `data` is what
   * `onResult` returned for the last of them that returned something.
   */
  | { kind: "ack"; ids: string[]; data?: AckData }
  /** distributor → collector: every item is settled. */
  | { kind: "finished"; summary: PipelineSummary }
  /** collector → distributor: `onFinished` ran. */
  | { kind: "finished-ack" }
  /** distributor → metadata provider. */
  | { kind: "meta-request" }
  /** metadata provider → distributor. */
  | { kind: "meta-reply"; data: unknown }
  /**
   * service worker → broker: registration and the services offered; `running`
   * names the request it is still executing when it registers again (the
   * broker must not hand it that request a second time).
   */
  | { kind: "svc-ready"; name: string; services: string[]; running?: string }
  /** client → broker and broker → service worker. */
  | { kind: "svc-request"; rid: string; service: string; body: unknown }
  /** service worker → broker and broker → client. */
  | { kind: "svc-reply"; rid: string; ok: boolean; body: unknown; error: string };

/**
 * Raised by {@link decodeMessage} for bytes that are not a valid pipeline
 * message; the message names what was wrong.
 *
 * @example
 * ```ts
 * import { CodecError, decodeMessage } from "./codec.ts";
 * try { decodeMessage(new Uint8Array([0xc1])); } catch (e) { console.log(e instanceof CodecError); }
 * ```
 */
export class CodecError extends ZedgeError {
  /** Always `"pipeline-codec"`. */
  readonly code: string = "pipeline-codec";
  /** Creates the error; `message` names what was wrong. */
  constructor(message: string) {
    super(message);
    this.name = "CodecError";
  }
}

// Wire tags: one short string per kind (msgpack fixstr, one or two bytes).
const TAGS = {
  ready: "R",
  credit: "C",
  heartbeat: "H",
  bye: "B",
  work: "W",
  metadata: "M",
  reset: "X",
  end: "E",
  results: "S",
  hello: "L",
  ack: "A",
  finished: "F",
  "finished-ack": "FA",
  "meta-request": "MQ",
  "meta-reply": "MR",
  "svc-ready": "SR",
  "svc-request": "SQ",
  "svc-reply": "SP",
} as const satisfies Record<PipelineMessage["kind"], string>;

const KINDS: Record<string, PipelineMessage["kind"]> = Object.fromEntries(
  Object.entries(TAGS).map(([kind, tag]) => [tag, kind as PipelineMessage["kind"]]),
);

/** Items larger than this are refused by the decoder (defensive bound). */
const MAX_ID_LENGTH = 1024;

const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

/**
 * Encodes one message into a single frame.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./codec.ts";
 * const frame = encodeMessage({ kind: "heartbeat" });
 * ```
 */
export function encodeMessage(message: PipelineMessage): Uint8Array {
  return encoder.encode(toTuple(message));
}

function toTuple(m: PipelineMessage): unknown[] {
  const tag = TAGS[m.kind];
  switch (m.kind) {
    case "ready":
      return [tag, m.name, m.types, m.credit];
    case "credit":
      return [tag, m.credit, m.done, m.failed.map((f) => [f.id, f.reason])];
    case "heartbeat":
    case "bye":
    case "reset":
    case "end":
    case "finished-ack":
    case "meta-request":
      return [tag];
    case "work":
      return [
        tag,
        m.items.map((i) => [i.id, i.type, i.payload ?? null, i.attempt, i.timeoutMs]),
      ];
    case "metadata":
      return [tag, m.data ?? null, m.types];
    case "results": {
      const results = m.results.map((r) => [r.id, r.type, r.value ?? null]);
      // Without metadata the three-field form stays (what older collectors decode).
      if (m.metadata === undefined) return [tag, m.worker, results];
      return [tag, m.worker, results, Object.entries(m.metadata)];
    }
    case "hello":
      return [tag, m.name];
    case "ack":
      if (m.data === undefined) return [tag, m.ids];
      return [tag, m.ids, [m.data.id, m.data.type, m.data.data ?? null]];
    case "finished":
      return [tag, m.summary];
    case "meta-reply":
      return [tag, m.data ?? null];
    case "svc-ready":
      // Idle registrations keep the three-field form older brokers decode.
      return m.running === undefined
        ? [tag, m.name, m.services]
        : [tag, m.name, m.services, m.running];
    case "svc-request":
      return [tag, m.rid, m.service, m.body ?? null];
    case "svc-reply":
      return [tag, m.rid, m.ok, m.body ?? null, m.error];
  }
}

/**
 * Decodes and validates one frame. Throws {@link CodecError} naming the
 * problem for anything malformed, unknown or of the wrong shape.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage } from "./codec.ts";
 * const m = decodeMessage(encodeMessage({ kind: "end" }));
 * if (m.kind === "end") console.log("done");
 * ```
 */
export function decodeMessage(frame: Uint8Array): PipelineMessage {
  let raw: unknown;
  try {
    raw = decoder.decode(frame);
  } catch (error) {
    throw new CodecError(`not msgpack: ${error instanceof Error ? error.message : error}`);
  }
  if (!Array.isArray(raw) || raw.length === 0 || typeof raw[0] !== "string") {
    throw new CodecError("message must be a msgpack array starting with a kind tag");
  }
  const kind = KINDS[raw[0]];
  if (kind === undefined) throw new CodecError(`unknown message kind ${JSON.stringify(raw[0])}`);
  const f = new Fields(kind, raw);
  switch (kind) {
    case "ready":
      return f.done({ kind, name: f.str(1), types: f.strList(2), credit: f.count(3) });
    case "credit":
      return f.done({
        kind,
        credit: f.count(1),
        done: f.idList(2),
        failed: f.list(3, (v, at) => {
          const pair = tuple(v, 2, at);
          return { id: id(pair[0], at), reason: str(pair[1], at) };
        }),
      });
    case "heartbeat":
    case "bye":
    case "reset":
    case "end":
    case "finished-ack":
    case "meta-request":
      return f.done({ kind });
    case "work":
      return f.done({
        kind,
        items: f.list(1, (v, at) => {
          const t = tuple(v, 5, at);
          return {
            id: id(t[0], at),
            type: str(t[1], at),
            payload: t[2],
            attempt: count(t[3], at),
            timeoutMs: count(t[4], at),
          };
        }),
      });
    case "metadata":
      return f.done({ kind, data: f.any(1), types: f.strList(2) });
    case "results": {
      const results = {
        kind,
        worker: f.str(1),
        results: f.list(2, (v, at) => {
          const t = tuple(v, 3, at);
          return { id: id(t[0], at), type: str(t[1], at), value: t[2] };
        }),
      };
      if (raw.length <= 3) return f.done(results);
      const pairs = f.list(3, (v, at) => {
        const pair = tuple(v, 2, at);
        return [str(pair[0], at), pair[1]] as const;
      });
      const metadata: Record<string, unknown> = Object.create(null);
      for (const [type, data] of pairs) metadata[type] = data;
      return f.done({ ...results, metadata });
    }
    case "hello":
      return f.done({ kind, name: f.str(1) });
    case "ack": {
      const ids = f.idList(1);
      if (raw.length <= 2) return f.done({ kind, ids });
      const t = tuple(f.any(2), 3, "ack[2]");
      return f.done({
        kind,
        ids,
        data: { id: id(t[0], "ack[2]"), type: str(t[1], "ack[2]"), data: t[2] },
      });
    }
    case "finished":
      return f.done({ kind, summary: summary(f.any(1)) });
    case "meta-reply":
      return f.done({ kind, data: f.any(1) });
    case "svc-ready": {
      const ready = { kind, name: f.str(1), services: f.strList(2) };
      return f.done(raw.length > 3 ? { ...ready, running: f.id(3) } : ready);
    }
    case "svc-request":
      return f.done({ kind, rid: f.id(1), service: f.str(2), body: f.any(3) });
    case "svc-reply":
      return f.done({ kind, rid: f.id(1), ok: f.bool(2), body: f.any(3), error: f.str(4) });
  }
}

/** Field access with errors that name the message kind and field position. */
class Fields {
  #max = 0;
  constructor(readonly kind: string, readonly raw: unknown[]) {}
  #at(i: number): string {
    return `${this.kind}[${i}]`;
  }
  #get(i: number): unknown {
    this.#max = Math.max(this.#max, i);
    if (i >= this.raw.length) throw new CodecError(`${this.kind}: missing field ${i}`);
    return this.raw[i];
  }
  any(i: number): unknown {
    return this.#get(i);
  }
  str(i: number): string {
    return str(this.#get(i), this.#at(i));
  }
  id(i: number): string {
    return id(this.#get(i), this.#at(i));
  }
  bool(i: number): boolean {
    const v = this.#get(i);
    if (typeof v !== "boolean") throw new CodecError(`${this.#at(i)}: expected a boolean`);
    return v;
  }
  count(i: number): number {
    return count(this.#get(i), this.#at(i));
  }
  strList(i: number): string[] {
    return this.list(i, str);
  }
  idList(i: number): string[] {
    return this.list(i, id);
  }
  list<T>(i: number, each: (v: unknown, at: string) => T): T[] {
    const v = this.#get(i);
    if (!Array.isArray(v)) throw new CodecError(`${this.#at(i)}: expected an array`);
    return v.map((e, n) => each(e, `${this.#at(i)}[${n}]`));
  }
  done<T>(value: T): T {
    if (this.raw.length !== this.#max + 1) {
      throw new CodecError(
        `${this.kind}: expected ${this.#max + 1} fields, got ${this.raw.length}`,
      );
    }
    return value;
  }
}

function str(v: unknown, at: string): string {
  if (typeof v !== "string") throw new CodecError(`${at}: expected a string`);
  return v;
}

function id(v: unknown, at: string): string {
  const s = str(v, at);
  if (s.length === 0 || s.length > MAX_ID_LENGTH) {
    throw new CodecError(`${at}: id must be 1..${MAX_ID_LENGTH} characters`);
  }
  return s;
}

function count(v: unknown, at: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new CodecError(`${at}: expected a non-negative integer`);
  }
  return v;
}

function tuple(v: unknown, length: number, at: string): unknown[] {
  if (!Array.isArray(v) || v.length !== length) {
    throw new CodecError(`${at}: expected an array of ${length} elements`);
  }
  return v;
}

function summary(v: unknown): PipelineSummary {
  const at = "finished[1]";
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new CodecError(`${at}: expected a summary map`);
  }
  const s = v as Record<string, unknown>;
  const failed = s.failed;
  const skipped = s.skipped;
  if (!Array.isArray(failed) || !Array.isArray(skipped)) {
    throw new CodecError(`${at}: failed and skipped must be arrays`);
  }
  return {
    total: count(s.total, `${at}.total`),
    done: count(s.done, `${at}.done`),
    failed: failed.map((e, n) => {
      const o = (e ?? {}) as Record<string, unknown>;
      const here = `${at}.failed[${n}]`;
      return {
        id: id(o.id, here),
        type: str(o.type, here),
        reason: str(o.reason, here),
        attempts: count(o.attempts, here),
      };
    }),
    skipped: skipped.map((e, n) => {
      const o = (e ?? {}) as Record<string, unknown>;
      const here = `${at}.skipped[${n}]`;
      return { type: str(o.type, here), reason: str(o.reason, here) };
    }),
    retries: count(s.retries, `${at}.retries`),
    resumed: count(s.resumed, `${at}.resumed`),
    elapsedMs: count(s.elapsedMs, `${at}.elapsedMs`),
  };
}
