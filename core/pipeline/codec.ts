/**
 * The pipeline's wire format: every message is one ZeroMQ frame. The
 * per-item messages (work, credit, results, ack) are fixed binary layouts
 * whose first byte is a tag below 0x80; every other message is a msgpack
 * array `[kind, ...fields]` (its first byte is 0x9x or 0xdc/0xdd, so the two
 * never collide). This is the only module that knows the layouts; roles speak
 * in the typed {@link PipelineMessage} union and log and drop anything
 * {@link decodeMessage} refuses.
 *
 * Items are named on the wire by their task type and their index in that
 * type's source (the default id is `type:index`); only ids a source makes
 * itself (`idOf`) travel as strings. Credit and ACKs carry index ranges, so
 * a batch of consecutive items costs one pair of numbers. Payloads and
 * results are msgpack blobs, left out when `null`.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage } from "./codec.ts";
 * const bytes = encodeMessage({ kind: "ack", done: [{ type: "tiles", ranges: [0, 3] }], ids: [] });
 * console.log(decodeMessage(bytes)); // tiles 0, 1 and 2 are ACKed
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";
import { Decoder, Encoder } from "@msgpack/msgpack";
import { ByteReader, ByteWriter } from "./frame_bytes.ts";

/**
 * One unit of work as it travels from the distributor to a worker.
 *
 * @example
 * ```ts
 * import type { WorkItem } from "./codec.ts";
 * const item: WorkItem = { id: "tiles:7", type: "tiles", index: 7, payload: { x: 7 }, attempt: 1, timeoutMs: 0 };
 * ```
 */
export interface WorkItem {
  /** Stable id; the collector de-duplicates and the journal records by it. */
  id: string;
  /** Task type; selects the handler function on the worker. */
  type: string;
  /**
   * Position in its type's source: the item's number on the wire (set by
   * the distributor; absent for work that never crosses it, e.g. a service
   * request).
   */
  index?: number;
  /** True when `id` came from the source's `idOf` (it then travels as a string). */
  ownId?: boolean;
  /** Whatever the task source yielded (msgpack-encodable). */
  payload: unknown;
  /** 1 for the first delivery, incremented on every redelivery. */
  attempt: number;
  /** Per-item time limit in ms the worker enforces; 0 = none. */
  timeoutMs: number;
}

/**
 * One entry of a work frame as it came off the wire: a single item, or a
 * run of `count` empty items (no payload, default ids) of consecutive
 * indexes from `index`. A worker runs items straight from its entries, with
 * no {@link WorkItem} object (nor id string) per item.
 *
 * @example
 * ```ts
 * import type { WorkEntry } from "./codec.ts";
 * const run: WorkEntry = {
 *   type: "tiles", index: 100, count: 500, attempt: 1, timeoutMs: 0, ownId: undefined, payload: null,
 * };
 * ```
 */
export interface WorkEntry {
  /** Task type. */
  readonly type: string;
  /** Index of its first item in the type's source. */
  readonly index: number;
  /** Items it stands for (1 unless it is a run). */
  readonly count: number;
  /** Delivery attempt of every item in it. */
  readonly attempt: number;
  /** Per-item time limit in ms; 0 = none. */
  readonly timeoutMs: number;
  /** The item's own id (`idOf`; a single item only), else `undefined`. */
  readonly ownId: string | undefined;
  /** The item's payload (`null` for a run). */
  readonly payload: unknown;
}

/**
 * A worker's output for one item, sent to the collector.
 *
 * @example
 * ```ts
 * import type { ItemResult } from "./codec.ts";
 * const r: ItemResult = { id: "tiles:7", type: "tiles", index: 7, value: { bytes: 512 } };
 * ```
 */
export interface ItemResult {
  /** Item id. */
  id: string;
  /** Task type. */
  type: string;
  /** Position in its type's source (see {@link WorkItem}). */
  index: number;
  /** True when `id` came from the source's `idOf`. */
  ownId?: boolean;
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
 * const f: ItemFailure = { type: "tiles", index: 7, reason: "Error: disk full" };
 * ```
 */
export interface ItemFailure {
  /** Task type. */
  type: string;
  /** Position in its type's source. */
  index: number;
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
 * Item indexes of one task type as ranges: `ranges` holds flat
 * `[start, count, start, count, …]` pairs.
 *
 * @example
 * ```ts
 * import type { IndexRanges } from "./codec.ts";
 * const done: IndexRanges = { type: "tiles", ranges: [0, 100, 250, 2] }; // 0–99, 250, 251
 * ```
 */
export interface IndexRanges {
  /** Task type. */
  type: string;
  /** `[start, count]` pairs. */
  ranges: number[];
}

/**
 * Adds `index` of `type` to `list`, growing the last range when it follows
 * it (items finished in order make one range) and starting a new one
 * otherwise.
 *
 * @example
 * ```ts
 * import { addIndex, type IndexRanges } from "./codec.ts";
 * const done: IndexRanges[] = [];
 * for (const i of [0, 1, 2, 7]) addIndex(done, "a", i);
 * console.log(done); // [{ type: "a", ranges: [0, 3, 7, 1] }]
 * ```
 */
export function addIndex(list: IndexRanges[], type: string, index: number): void {
  let group = list.length > 0 ? list[list.length - 1] : undefined;
  if (group === undefined || group.type !== type) {
    group = { type, ranges: [] };
    list.push(group);
  }
  extendRanges(group.ranges, index);
}

/**
 * Adds `index` to `[start, count]` pairs: the last pair grows when `index`
 * follows it, else a new pair starts.
 *
 * @example
 * ```ts
 * import { extendRanges } from "./codec.ts";
 * const ranges: number[] = [];
 * for (const i of [4, 5, 9]) extendRanges(ranges, i);
 * console.log(ranges); // [4, 2, 9, 1]
 * ```
 */
export function extendRanges(ranges: number[], index: number): void {
  const n = ranges.length;
  if (n > 0 && ranges[n - 2] + ranges[n - 1] === index) ranges[n - 1]++;
  else ranges.push(index, 1);
}

/**
 * Counts the indexes in `list`.
 *
 * @example
 * ```ts
 * import { countIndexes } from "./codec.ts";
 * console.log(countIndexes([{ type: "a", ranges: [0, 3, 7, 1] }])); // 4
 * ```
 */
export function countIndexes(list: readonly IndexRanges[]): number {
  let n = 0;
  for (const { ranges } of list) for (let i = 1; i < ranges.length; i += 2) n += ranges[i];
  return n;
}

/**
 * The default id of item `index` of `type` (what a source without `idOf` gets).
 *
 * @example
 * ```ts
 * import { defaultItemId } from "./codec.ts";
 * console.log(defaultItemId("tiles", 3)); // "tiles:3"
 * ```
 */
export function defaultItemId(type: string, index: number): string {
  return `${type}:${index}`;
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
  | {
    kind: "ready";
    name: string;
    types: string[];
    credit: number;
    /**
     * The pipeline wire version the worker speaks (decoded; 1 when absent,
     * as from a zedge before the binary frames). Encoding always sends
     * {@link PIPELINE_WIRE}.
     */
    wire?: number;
  }
  /** worker → distributor: returns credit and reports finished/failed items. */
  | { kind: "credit"; credit: number; done: IndexRanges[]; failed: ItemFailure[] }
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
   * collector → distributor: these items are safely collected — by index
   * (`done`) and, for ids a source made itself, by id (`ids`); `data` is
   * what `onResult` returned for the last of them that returned something.
   */
  | { kind: "ack"; done: IndexRanges[]; ids: string[]; data?: AckData }
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

// Wire tags of the msgpack messages: one short string per kind (msgpack fixstr, one or two bytes).
const TAGS = {
  ready: "R",
  heartbeat: "H",
  bye: "B",
  metadata: "M",
  reset: "X",
  end: "E",
  hello: "L",
  finished: "F",
  "finished-ack": "FA",
  "meta-request": "MQ",
  "meta-reply": "MR",
  "svc-ready": "SR",
  "svc-request": "SQ",
  "svc-reply": "SP",
} as const satisfies Record<MsgpackKind, string>;

/** The kinds sent as msgpack arrays (the per-item ones are binary). */
type MsgpackKind = Exclude<PipelineMessage["kind"], (typeof BINARY_KINDS)[number]>;

const KINDS: Record<string, MsgpackKind> = Object.fromEntries(
  Object.entries(TAGS).map(([kind, tag]) => [tag, kind as MsgpackKind]),
);

/** The msgpack tags wire 1 used for the messages that are binary now. */
const WIRE_1_TAGS: Record<string, string> = { W: "work", C: "credit", S: "results", A: "ack" };

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
  switch (message.kind) {
    case "work":
      return encodeWork(message.items);
    case "credit":
      return encodeCredit(message.credit, message.done, message.failed);
    case "results":
      return encodeResults(message.worker, message.results, message.metadata);
    case "ack":
      return encodeAck(message.done, message.ids, message.data);
    default:
      return encoder.encode(toTuple(message));
  }
}

/**
 * The pipeline wire version: 2 since work, credit, results and ACKs are
 * binary frames, 3 since work and results entries may be runs of items.
 * Workers announce theirs in READY; a distributor refuses (with END and one
 * clear log line) a worker that speaks another.
 *
 * @example
 * ```ts
 * import { PIPELINE_WIRE } from "./codec.ts";
 * console.log(PIPELINE_WIRE); // 3
 * ```
 */
export const PIPELINE_WIRE = 3;

// Binary frame tags (first byte; msgpack arrays start at 0x90 and above).
const WORK = 0x01;
const CREDIT = 0x02;
const RESULTS = 0x03;
const ACK = 0x04;
const BINARY_KINDS = ["work", "credit", "results", "ack"] as const;

// Per-item flags.
const OWN_ID = 1;
const HAS_VALUE = 2;
/** The entry stands for a run of items: a u32 count follows, of consecutive indexes. */
const RUN = 4;

/**
 * Most items one frame may name (runs make a few bytes name many: bounded).
 * Ten times what a worker may hold at once (MAX_CREDIT in
 * distributor_workers.ts), so no honest frame comes near it, and small
 * enough that what a receiver makes per item named (the collector's result
 * objects for `onResult`, about 150 bytes each) stays a bounded cost.
 */
const MAX_FRAME_ITEMS = 1 << 20;

/** msgpack of `value` for a blob (a view into the shared encoder: copy before the next encode). */
function packed(value: unknown): Uint8Array {
  return encoder.encodeSharedRef(value);
}

/** Type names once per frame; items refer to them by position. */
class TypeTable {
  readonly names: string[] = [];
  readonly #refs = new Map<string, number>();
  ref(type: string): number {
    let ref = this.#refs.get(type);
    if (ref === undefined) {
      ref = this.names.length;
      this.names.push(type);
      this.#refs.set(type, ref);
    }
    return ref;
  }
  write(w: ByteWriter): void {
    w.u32(this.names.length);
    for (const name of this.names) w.str(name);
  }
}

function itemIndex(item: { id: string; index?: number }): number {
  const index = item.index;
  if (index === undefined || !Number.isSafeInteger(index) || index < 0) {
    throw new CodecError(`item ${item.id} has no index`);
  }
  return index;
}

function encodeWork(items: readonly WorkItem[]): Uint8Array {
  const frame = new WorkFrameWriter();
  for (const item of items) {
    frame.add(
      item.type,
      itemIndex(item),
      item.attempt,
      item.timeoutMs,
      item.ownId ? item.id : undefined,
      item.payload,
    );
  }
  return frame.finish();
}

/**
 * Builds a work frame item by item, with no {@link WorkItem} object per
 * item: the distributor writes what it hands out straight from its tables.
 *
 * @example
 * ```ts
 * import { decodeMessage, WorkFrameWriter } from "./codec.ts";
 * const frame = new WorkFrameWriter();
 * frame.add("tiles", 0, 1, 0, undefined, { x: 0 });
 * console.log(decodeMessage(frame.finish())); // { kind: "work", items: [ tiles:0 ] }
 * ```
 */
export class WorkFrameWriter {
  readonly #table = new TypeTable();
  readonly #expected: number;
  /**
   * Taken at the first item (a dispatch often finds nothing to hand out):
   * the shared scratch writer when free, so a frame costs one allocation,
   * its own bytes.
   */
  #body: ByteWriter | null = null;
  #count = 0;
  #entries = 0;
  #lastType = "";
  #lastRef = -1;
  /** The run the last entry is (items alike but for their consecutive indexes), if it is one. */
  #runAt = -1;
  #runRef = -1;
  #runNext = 0;
  #runAttempt = 0;
  #runTimeout = 0;
  #runCount = 0;

  /** Starts an empty frame sized for about `expected` items (it grows as needed). */
  constructor(expected = 16) {
    this.#expected = Math.min(expected, 1024);
  }

  /** Items added so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds one item (`ownId` only for ids a source made itself). Throws, with
   * nothing added, when msgpack cannot encode `payload`.
   */
  add(
    type: string,
    index: number,
    attempt: number,
    timeoutMs: number,
    ownId: string | undefined,
    payload: unknown,
  ): void {
    const blob = payload === null || payload === undefined ? null : packed(payload);
    if (type !== this.#lastType || this.#lastRef < 0) {
      this.#lastRef = this.#table.ref(type);
      this.#lastType = type;
    }
    const w = this.#body ??= takeScratch(this.#expected);
    this.#count++;
    const plain = ownId === undefined && blob === null;
    if (
      plain && this.#runAt >= 0 && index === this.#runNext && this.#lastRef === this.#runRef &&
      attempt === this.#runAttempt && timeoutMs === this.#runTimeout
    ) {
      // The next of a run of empty items: one count grows, nothing is added.
      w.setU32(this.#runAt, ++this.#runCount);
      this.#runNext++;
      return;
    }
    this.#entries++;
    w.u32(this.#lastRef);
    w.f64(index);
    w.u32(attempt);
    w.u32(timeoutMs);
    if (plain) {
      w.u8(RUN);
      this.#runAt = w.length;
      w.u32(1);
      this.#runRef = this.#lastRef;
      this.#runNext = index + 1;
      this.#runAttempt = attempt;
      this.#runTimeout = timeoutMs;
      this.#runCount = 1;
      return;
    }
    this.#runAt = -1;
    w.u8((ownId !== undefined ? OWN_ID : 0) | (blob !== null ? HAS_VALUE : 0));
    if (ownId !== undefined) w.str(ownId);
    if (blob !== null) w.blob(blob);
  }

  /** The frame (the writer must not be used afterwards). */
  finish(): Uint8Array {
    const body = this.#body?.finish() ?? new Uint8Array(0);
    let header = 9;
    for (const name of this.#table.names) header += 4 + name.length * 3;
    const w = new ByteWriter(header + body.length);
    w.u8(WORK);
    this.#table.write(w);
    w.u32(this.#entries);
    w.raw(body);
    if (this.#body === scratch) scratchTaken = false;
    this.#body = null;
    return w.finish();
  }
}

/** The body writer work frames share (frames are built one at a time, start to finish). */
const scratch = new ByteWriter(64 * 1024);
let scratchTaken = false;

function takeScratch(expected: number): ByteWriter {
  if (scratchTaken) return new ByteWriter(64 + expected * 21);
  scratchTaken = true;
  scratch.reset();
  return scratch;
}

function writeRanges(w: ByteWriter, list: readonly IndexRanges[]): void {
  w.u32(list.length);
  for (const { type, ranges } of list) {
    w.str(type);
    w.u32(ranges.length / 2);
    for (let i = 0; i < ranges.length; i += 2) {
      w.f64(ranges[i]);
      w.f64(ranges[i + 1]);
    }
  }
}

function encodeCredit(
  credit: number,
  done: readonly IndexRanges[],
  failed: readonly ItemFailure[],
): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(CREDIT);
  w.u32(credit);
  writeRanges(w, done);
  w.u32(failed.length);
  for (const f of failed) {
    w.str(f.type);
    w.f64(f.index);
    w.str(f.reason);
  }
  return w.finish();
}

function encodeResults(
  worker: string,
  results: readonly ItemResult[],
  metadata: Record<string, unknown> | undefined,
): Uint8Array {
  const frame = new ResultsFrameWriter();
  for (const r of results) frame.add(r.type, r.index, r.ownId ? r.id : undefined, r.value);
  return frame.finish(worker, metadata);
}

/** A results frame writer's body buffer to start with. */
const RESULTS_BODY_BYTES = 1024;
/** Above this size, a results frame writer's body buffer is let go after the frame. */
const MAX_KEPT_BODY_BYTES = 1 << 20;

/**
 * Builds a results frame item by item, with no {@link ItemResult} object
 * per item: consecutive empty results (no value, default ids) of one type
 * become one run entry as they are added. Reusable: {@link finish} hands the
 * frame out and starts the next one empty.
 *
 * @example
 * ```ts
 * import { decodeMessage, ResultsFrameWriter } from "./codec.ts";
 * const frame = new ResultsFrameWriter();
 * for (let i = 0; i < 3; i++) frame.add("tiles", i, undefined, null); // one run entry
 * frame.add("tiles", 3, undefined, { bytes: 512 });
 * console.log(decodeMessage(frame.finish("worker-1", undefined))); // 4 results
 * ```
 */
export class ResultsFrameWriter {
  #table = new TypeTable();
  #body = new ByteWriter(RESULTS_BODY_BYTES);
  #count = 0;
  #entries = 0;
  #lastType = "";
  #lastRef = -1;
  /** Where the count of the run the last entry is sits in the body (-1: not a run). */
  #runAt = -1;
  #runRef = -1;
  #runNext = 0;
  #runCount = 0;

  /** Results added since the last {@link finish}. */
  get count(): number {
    return this.#count;
  }

  /** The task types of the results added since the last {@link finish}, in order of appearance. */
  get types(): readonly string[] {
    return this.#table.names;
  }

  /**
   * Adds the result of item `index` of `type` (`ownId` only for ids a source
   * made itself). Throws, with nothing added, when msgpack cannot encode
   * `value`.
   */
  add(type: string, index: number, ownId: string | undefined, value: unknown): void {
    const blob = value === null || value === undefined ? null : packed(value);
    if (type !== this.#lastType || this.#lastRef < 0) {
      this.#lastRef = this.#table.ref(type);
      this.#lastType = type;
    }
    const w = this.#body;
    this.#count++;
    const plain = ownId === undefined && blob === null;
    if (plain && this.#runAt >= 0 && index === this.#runNext && this.#lastRef === this.#runRef) {
      // The next of a run of empty results: one count grows, nothing is added.
      w.setU32(this.#runAt, ++this.#runCount);
      this.#runNext++;
      return;
    }
    this.#entries++;
    w.u32(this.#lastRef);
    w.f64(index);
    if (plain) {
      w.u8(RUN);
      this.#runAt = w.length;
      w.u32(1);
      this.#runRef = this.#lastRef;
      this.#runNext = index + 1;
      this.#runCount = 1;
      return;
    }
    this.#runAt = -1;
    w.u8((ownId !== undefined ? OWN_ID : 0) | (blob !== null ? HAS_VALUE : 0));
    if (ownId !== undefined) w.str(ownId);
    if (blob !== null) w.blob(blob);
  }

  /**
   * The frame of the results added so far, from `worker`, with the
   * metadata of the types among them that forward it; the writer starts
   * over empty.
   */
  finish(worker: string, metadata: Record<string, unknown> | undefined): Uint8Array {
    const body = this.#body.finish();
    const meta = metadata === undefined ? null : packed(Object.entries(metadata));
    let size = 1 + 4 + worker.length * 3 + 4 + 4 + body.length + 1 + 4 + (meta?.length ?? 0);
    for (const name of this.#table.names) size += 4 + name.length * 3;
    const w = new ByteWriter(size);
    w.u8(RESULTS);
    w.str(worker);
    this.#table.write(w);
    w.u32(this.#entries);
    w.raw(body);
    w.u8(meta === null ? 0 : 1);
    if (meta !== null) w.blob(meta);
    this.#table = new TypeTable();
    // Kept for the next frame, unless big results grew it: a worker keeps no such buffer.
    if (body.length > MAX_KEPT_BODY_BYTES) this.#body = new ByteWriter(RESULTS_BODY_BYTES);
    else this.#body.reset();
    this.#count = 0;
    this.#entries = 0;
    this.#lastType = "";
    this.#lastRef = -1;
    this.#runAt = -1;
    return w.finish();
  }
}

/** The count of a run entry: at least 1, its indexes safe, the frame's total bounded. */
function runCount(r: ByteReader, index: number, flags: number, total: number, at: string): number {
  if ((flags & (OWN_ID | HAS_VALUE)) !== 0) {
    throw new CodecError(`${at}: a run of items has no own id and no value`);
  }
  const count = r.u32();
  if (count < 1) throw new CodecError(`${at}: a run of no items`);
  if (total + count > MAX_FRAME_ITEMS) {
    throw new CodecError(`${at}: more than ${MAX_FRAME_ITEMS} items in one frame`);
  }
  if (!Number.isSafeInteger(index + count)) throw new CodecError(`${at}: run past 2^53`);
  return count;
}

function encodeAck(
  done: readonly IndexRanges[],
  ids: readonly string[],
  data: AckData | undefined,
): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(ACK);
  writeRanges(w, done);
  w.u32(ids.length);
  for (const id of ids) w.str(id);
  w.u8(data === undefined ? 0 : 1);
  if (data !== undefined) w.blob(packed([data.id, data.type, data.data ?? null]));
  return w.finish();
}

function reader(frame: Uint8Array, kind: string): ByteReader {
  const r = new ByteReader(frame, kind, (m) => new CodecError(m));
  r.u8();
  return r;
}

function unpack(bytes: Uint8Array, at: string): unknown {
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new CodecError(`${at}: not msgpack: ${error instanceof Error ? error.message : error}`);
  }
}

function readTypes(r: ByteReader, at: string): string[] {
  const n = r.u32();
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(r.str());
  if (names.some((t) => t.length === 0)) throw new CodecError(`${at}: empty task type`);
  return names;
}

function typeAt(names: readonly string[], ref: number, at: string): string {
  const type = names[ref];
  if (type === undefined) throw new CodecError(`${at}: unknown type reference ${ref}`);
  return type;
}

/**
 * Ranges of a credit or an ACK, held to what a frame may name as runs are:
 * {@link MAX_FRAME_ITEMS} items in all, none past 2^53. Their reader visits
 * each item named, so a range of a few bytes naming 2^53 items had it loop
 * for good (and remember an early ACK per item until its memory ran out).
 */
function readRanges(r: ByteReader, at: string): IndexRanges[] {
  const groups = r.u32();
  const list: IndexRanges[] = [];
  let total = 0;
  for (let g = 0; g < groups; g++) {
    const type = r.str();
    const pairs = r.u32();
    const ranges: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const start = r.index();
      const count = r.index();
      total += count;
      if (total > MAX_FRAME_ITEMS) {
        throw new CodecError(`${at}: more than ${MAX_FRAME_ITEMS} items in one frame`);
      }
      if (!Number.isSafeInteger(start + count)) throw new CodecError(`${at}: range past 2^53`);
      ranges.push(start, count);
    }
    list.push({ type, ranges });
  }
  if (list.some((g) => g.type.length === 0)) throw new CodecError(`${at}: empty task type`);
  return list;
}

/**
 * The items of a results message as columns, as they came off the wire:
 * what the collector reads per item when nothing needs a result object
 * (no `onResult`, no journal), where one object and one id string per item
 * was most of its CPU.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, resultColumnsOf } from "./codec.ts";
 * const frame = encodeMessage({
 *   kind: "results",
 *   worker: "w",
 *   results: [{ id: "a:4", type: "a", index: 4, value: null }],
 * });
 * const columns = resultColumnsOf(decodeMessage(frame))!;
 * console.log(columns.types[columns.typeRefs[0]], columns.indexes[0]); // a 4
 * ```
 */
export interface ResultColumns {
  /** Items in the message. */
  readonly count: number;
  /** The message's task types; items refer to them by position. */
  readonly types: readonly string[];
  /** Each item's task type, as a position in `types`. */
  readonly typeRefs: Uint32Array;
  /** Each item's index in its type's source. */
  readonly indexes: Float64Array;
  /** Each item's own id (`idOf`; `undefined` where it has the default), or `null` when none has one. */
  readonly ownIds: readonly (string | undefined)[] | null;
  /** Each item's value (`null` where none), or `null` when no item has one. */
  readonly values: readonly unknown[] | null;
}

const COLUMNS = Symbol("result columns");

/**
 * The columns of a results message {@link decodeMessage} made (`undefined`
 * for any other message, or one built in code).
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, resultColumnsOf } from "./codec.ts";
 * console.log(resultColumnsOf(decodeMessage(encodeMessage({ kind: "heartbeat" })))); // undefined
 * ```
 */
export function resultColumnsOf(message: PipelineMessage): ResultColumns | undefined {
  return message.kind === "results"
    ? (message as { [COLUMNS]?: ResultColumns })[COLUMNS]
    : undefined;
}

function resultsMessage(r: ByteReader): PipelineMessage {
  const kind = "results";
  const worker = r.str();
  const types = readTypes(r, kind);
  // Entries first (a run names many items in one), then the items as columns.
  const entries = r.u32();
  const refs: number[] = [];
  const starts: number[] = [];
  const counts: number[] = [];
  const entryIds: (string | undefined)[] = [];
  const entryValues: unknown[] = [];
  let n = 0;
  let anyId = false;
  let anyValue = false;
  for (let e = 0; e < entries; e++) {
    const ref = r.u32();
    if (ref >= types.length) throw new CodecError(`${kind}: unknown type reference ${ref}`);
    const index = r.index();
    const flags = r.u8();
    const count = (flags & RUN) !== 0 ? runCount(r, index, flags, n, `results[${e}]`) : 1;
    let own: string | undefined;
    let value: unknown = null;
    if ((flags & RUN) === 0) {
      if (n + 1 > MAX_FRAME_ITEMS) throw new CodecError(`${kind}: too many items`);
      if ((flags & OWN_ID) !== 0) own = id(r.str(), `results[${e}]`);
      if ((flags & HAS_VALUE) !== 0) value = unpack(r.blob(), `results[${e}]`);
    }
    anyId ||= own !== undefined;
    anyValue ||= value !== null;
    refs.push(ref);
    starts.push(index);
    counts.push(count);
    entryIds.push(own);
    entryValues.push(value);
    n += count;
  }
  const typeRefs = new Uint32Array(n);
  const indexes = new Float64Array(n);
  const ownIds = anyId ? new Array<string | undefined>(n).fill(undefined) : null;
  const values = anyValue ? new Array<unknown>(n).fill(null) : null;
  for (let e = 0, i = 0; e < refs.length; e++) {
    const ref = refs[e];
    const start = starts[e];
    if (ownIds !== null) ownIds[i] = entryIds[e];
    if (values !== null) values[i] = entryValues[e];
    for (let k = 0, count = counts[e]; k < count; k++, i++) {
      typeRefs[i] = ref;
      indexes[i] = start + k;
    }
  }
  let metadata: Record<string, unknown> | undefined;
  if (r.u8() !== 0) {
    const pairs = unpack(r.blob(), "results metadata");
    if (!Array.isArray(pairs)) throw new CodecError("results metadata: expected an array");
    metadata = Object.create(null) as Record<string, unknown>;
    for (const [i, pair] of pairs.entries()) {
      const t = tuple(pair, 2, `results metadata[${i}]`);
      metadata[str(t[0], `results metadata[${i}]`)] = t[1];
    }
  }
  r.end();
  const columns: ResultColumns = { count: n, types, typeRefs, indexes, ownIds, values };
  // The result objects are made only when read: a collector without onResult never does.
  let results: ItemResult[] | undefined;
  const message = {
    kind,
    worker,
    get results(): ItemResult[] {
      return results ??= resultObjects(columns);
    },
    ...(metadata === undefined ? {} : { metadata }),
  } as PipelineMessage;
  Object.defineProperty(message, COLUMNS, { value: columns });
  return message;
}

function resultObjects(c: ResultColumns): ItemResult[] {
  const results: ItemResult[] = new Array(c.count);
  for (let i = 0; i < c.count; i++) {
    const type = c.types[c.typeRefs[i]];
    const index = c.indexes[i];
    const own = c.ownIds?.[i];
    results[i] = {
      id: own ?? defaultItemId(type, index),
      type,
      index,
      ownId: own !== undefined,
      value: c.values?.[i] ?? null,
    };
  }
  return results;
}

const ENTRIES = Symbol("work entries");

/**
 * The entries of a work message {@link decodeMessage} made, as they came off
 * the wire (`undefined` for any other message, or one built in code).
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, workEntriesOf } from "./codec.ts";
 * const items = [0, 1, 2].map((index) => ({
 *   id: `a:${index}`, type: "a", index, payload: null, attempt: 1, timeoutMs: 0,
 * }));
 * const entries = workEntriesOf(decodeMessage(encodeMessage({ kind: "work", items })))!;
 * console.log(entries.length, entries[0].count); // 1 3 (one run of three)
 * ```
 */
export function workEntriesOf(message: PipelineMessage): readonly WorkEntry[] | undefined {
  return message.kind === "work"
    ? (message as { [ENTRIES]?: readonly WorkEntry[] })[ENTRIES]
    : undefined;
}

function workMessage(r: ByteReader): PipelineMessage {
  const kind = "work";
  const types = readTypes(r, kind);
  const n = r.u32();
  const entries: WorkEntry[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const type = typeAt(types, r.u32(), kind);
    const index = r.index();
    const attempt = r.u32();
    const timeoutMs = r.u32();
    const flags = r.u8();
    if ((flags & RUN) !== 0) {
      const count = runCount(r, index, flags, total, `work[${i}]`);
      total += count;
      entries.push({ type, index, count, attempt, timeoutMs, ownId: undefined, payload: null });
      continue;
    }
    if (++total > MAX_FRAME_ITEMS) throw new CodecError(`${kind}: too many items`);
    const ownId = (flags & OWN_ID) !== 0 ? id(r.str(), `work[${i}]`) : undefined;
    const payload = (flags & HAS_VALUE) !== 0 ? unpack(r.blob(), `work[${i}]`) : null;
    entries.push({ type, index, count: 1, attempt, timeoutMs, ownId, payload });
  }
  r.end();
  // The item objects are made only when read: a worker runs items from the entries.
  let items: WorkItem[] | undefined;
  const message = {
    kind,
    get items(): WorkItem[] {
      return items ??= workItems(entries);
    },
  } as PipelineMessage;
  Object.defineProperty(message, ENTRIES, { value: entries });
  return message;
}

/**
 * Item `index` of `entry` (one of the indexes it stands for) as a
 * {@link WorkItem}, for code that wants the object.
 *
 * @example
 * ```ts
 * import { workItemOf } from "./codec.ts";
 * const entry = { type: "a", index: 4, count: 2, attempt: 1, timeoutMs: 0, ownId: undefined, payload: null };
 * console.log(workItemOf(entry, 5).id); // "a:5"
 * ```
 */
export function workItemOf(entry: WorkEntry, index: number): WorkItem {
  const { type, ownId } = entry;
  return {
    id: ownId ?? defaultItemId(type, index),
    type,
    index,
    ownId: ownId !== undefined,
    payload: entry.payload,
    attempt: entry.attempt,
    timeoutMs: entry.timeoutMs,
  };
}

function workItems(entries: readonly WorkEntry[]): WorkItem[] {
  const items: WorkItem[] = [];
  for (const entry of entries) {
    for (let k = 0; k < entry.count; k++) items.push(workItemOf(entry, entry.index + k));
  }
  return items;
}

function decodeBinary(frame: Uint8Array): PipelineMessage {
  const tag = frame[0];
  const kind = BINARY_KINDS[tag - 1];
  if (kind === undefined) throw new CodecError(`unknown binary message tag ${tag}`);
  const r = reader(frame, kind);
  switch (kind) {
    case "work":
      return workMessage(r);
    case "credit": {
      const credit = r.u32();
      const done = readRanges(r, kind);
      const nFailed = r.u32();
      const failed: ItemFailure[] = [];
      for (let i = 0; i < nFailed; i++) {
        failed.push({ type: r.str(), index: r.index(), reason: r.str() });
      }
      r.end();
      return { kind, credit, done, failed };
    }
    case "results":
      return resultsMessage(r);
    case "ack": {
      const done = readRanges(r, kind);
      const nIds = r.u32();
      const ids: string[] = [];
      for (let i = 0; i < nIds; i++) ids.push(id(r.str(), `ack ids[${i}]`));
      const hasData = r.u8() !== 0;
      if (!hasData) {
        r.end();
        return { kind, done, ids };
      }
      const t = tuple(unpack(r.blob(), "ack data"), 3, "ack data");
      r.end();
      return {
        kind,
        done,
        ids,
        data: { id: id(t[0], "ack data"), type: str(t[1], "ack data"), data: t[2] },
      };
    }
  }
}

function toTuple(
  m: Exclude<PipelineMessage, { kind: (typeof BINARY_KINDS)[number] }>,
): unknown[] {
  const tag = TAGS[m.kind];
  switch (m.kind) {
    case "ready":
      return [tag, m.name, m.types, m.credit, PIPELINE_WIRE];
    case "heartbeat":
    case "bye":
    case "reset":
    case "end":
    case "finished-ack":
    case "meta-request":
      return [tag];
    case "metadata":
      return [tag, m.data ?? null, m.types];
    case "hello":
      return [tag, m.name];
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
  if (frame.length > 0 && frame[0] < 0x80) return decodeBinary(frame);
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
  if (kind === undefined && raw[0] in WIRE_1_TAGS) {
    throw new CodecError(
      `a pipeline wire 1 ${WIRE_1_TAGS[raw[0]]} message, from a zedge before version ` +
        `${PIPELINE_WIRE}: every role of a pipeline must run the same zedge release`,
    );
  }
  if (kind === undefined) throw new CodecError(`unknown message kind ${JSON.stringify(raw[0])}`);
  const f = new Fields(kind, raw);
  switch (kind) {
    case "ready": {
      const ready = { kind, name: f.str(1), types: f.strList(2), credit: f.count(3) };
      return f.done(raw.length > 4 ? { ...ready, wire: f.count(4) } : ready);
    }
    case "heartbeat":
    case "bye":
    case "reset":
    case "end":
    case "finished-ack":
    case "meta-request":
      return f.done({ kind });
    case "metadata":
      return f.done({ kind, data: f.any(1), types: f.strList(2) });
    case "hello":
      return f.done({ kind, name: f.str(1) });
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
