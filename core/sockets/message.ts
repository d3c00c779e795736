/**
 * What sockets send and receive: one frame or an array of frames out,
 * arrays of byte frames in.
 *
 * @module
 */
import type { FrameData } from "../zmtp/mod.ts";
import { ZmqError } from "./errors.ts";

/**
 * What `send()` accepts: one frame (string or bytes) or an array of frames.
 *
 * @example
 * ```ts
 * import type { MessageLike } from "./message.ts";
 * const m: MessageLike = ["topic", new Uint8Array([1, 2]), ""];
 * ```
 */
export type MessageLike = FrameData | readonly FrameData[];

/**
 * What `receive()` returns: the frames of one message.
 *
 * @example
 * ```ts
 * import type { Message } from "./message.ts";
 * const text = (m: Message) => new TextDecoder().decode(m[0]);
 * ```
 */
export type Message = Uint8Array[];

/**
 * Normalises a {@link MessageLike} into a frame array (no copies).
 *
 * @example
 * ```ts
 * import { toFrames } from "./message.ts";
 * toFrames("hi"); // ["hi"]
 * ```
 */
export function toFrames(message: MessageLike): FrameData[] {
  if (typeof message === "string" || message instanceof Uint8Array) return [message];
  if (!Array.isArray(message) || message.length === 0) {
    throw new ZmqError(
      "EINVAL",
      "a message is a string, a Uint8Array or a non-empty array of them",
    );
  }
  for (const frame of message) {
    if (typeof frame !== "string" && !(frame instanceof Uint8Array)) {
      throw new ZmqError("EINVAL", "every frame must be a string or a Uint8Array");
    }
  }
  return message as FrameData[];
}
