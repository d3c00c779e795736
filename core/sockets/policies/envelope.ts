/**
 * The REQ/REP envelope (RFC 28): a request travels as routing frames (added
 * by ROUTERs on the way), an empty delimiter frame, then the body. REP keeps
 * the routing frames to address its reply; REQ adds and strips the
 * delimiter, and with `correlate` a request id before it.
 *
 * @module
 */
import type { FrameData } from "../../zmtp/mod.ts";

/**
 * A request split into the envelope to send back and the body to deliver.
 *
 * @example
 * ```ts
 * import type { SplitRequest } from "./envelope.ts";
 * const split: SplitRequest = { envelope: [new Uint8Array(0)], body: [new Uint8Array([1])] };
 * ```
 */
export interface SplitRequest {
  /** The routing frames and the delimiter, in order. */
  envelope: Uint8Array[];
  /** What follows the delimiter. */
  body: Uint8Array[];
}

/**
 * Splits a request at its delimiter: the first empty frame that has more
 * frames after it (the MORE flag). Null when there is none (malformed: a REP
 * drops it, as libzmq does) — a lone or final empty frame is a body, not a
 * delimiter.
 *
 * @example
 * ```ts
 * import { splitRequest } from "./envelope.ts";
 * const empty = new Uint8Array(0), body = new Uint8Array([104, 105]);
 * splitRequest([empty, body])?.body; // [body]
 * splitRequest([body]); // null
 * splitRequest([empty]); // null: a DEALER's send("") carries no request
 * ```
 */
export function splitRequest(frames: Uint8Array[]): SplitRequest | null {
  const delimiter = delimiterIndex(frames);
  if (delimiter < 0) return null;
  return { envelope: frames.slice(0, delimiter + 1), body: frames.slice(delimiter + 1) };
}

/**
 * Where a request's delimiter is (see {@link splitRequest}), or -1 when it
 * has none: 0 for a request straight from a REQ, more behind ROUTERs. A REP
 * checks each request with it and splits only the one it takes, with no
 * arrays or object made per request to find out.
 *
 * @example
 * ```ts
 * import { delimiterIndex } from "./envelope.ts";
 * const empty = new Uint8Array(0), body = new Uint8Array([104, 105]);
 * delimiterIndex([empty, body]); // 0
 * delimiterIndex([body]); // -1
 * ```
 */
export function delimiterIndex(frames: readonly Uint8Array[]): number {
  const last = frames.length - 1;
  for (let i = 0; i < last; i++) if (frames[i].length === 0) return i;
  return -1;
}

/**
 * The envelope a REQ puts before a request: the delimiter, after a 4-byte
 * request id when correlating.
 *
 * @example
 * ```ts
 * import { requestEnvelope } from "./envelope.ts";
 * requestEnvelope(null); // [""]
 * requestEnvelope(7)[0]; // Uint8Array [0, 0, 0, 7]
 * ```
 */
export function requestEnvelope(requestId: number | null): FrameData[] {
  if (requestId === null) return [""];
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, requestId);
  return [id, ""];
}

/**
 * A request as it goes out: the envelope of {@link requestEnvelope}, then
 * `body`, in one array made at its final size (pushing onto the envelope grew
 * it per request).
 *
 * @example
 * ```ts
 * import { withRequestEnvelope } from "./envelope.ts";
 * withRequestEnvelope(null, ["ping"]); // ["", "ping"]
 * ```
 */
export function withRequestEnvelope(
  requestId: number | null,
  body: readonly FrameData[],
): FrameData[] {
  if (requestId === null) return body.length === 1 ? ["", body[0]] : ["", ...body];
  return [...requestEnvelope(requestId), ...body];
}

/**
 * Checks a reply's envelope against the outstanding request and strips it in
 * place; false when the reply is not for that request.
 *
 * @example
 * ```ts
 * import { stripReplyEnvelope } from "./envelope.ts";
 * const reply = [new Uint8Array(0), new Uint8Array([1])];
 * stripReplyEnvelope(reply, null); // true; reply is now [[1]]
 * ```
 */
export function stripReplyEnvelope(frames: Uint8Array[], requestId: number | null): boolean {
  if (requestId === null) {
    if (frames.length < 1 || frames[0].length !== 0) return false;
    frames.shift();
    return true;
  }
  if (frames.length < 2 || frames[0].length !== 4 || frames[1].length !== 0) return false;
  if (new DataView(frames[0].buffer, frames[0].byteOffset).getUint32(0) !== requestId) {
    return false;
  }
  frames.splice(0, 2);
  return true;
}
