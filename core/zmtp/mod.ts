/**
 * The ZMTP 3.1 codec: greeting, frames, commands and the incremental decoder.
 * Pure (no I/O); the engine in `core/sockets/connection.ts` drives it.
 *
 * @example
 * ```ts
 * import { Decoder, encodeGreeting, encodeMessage } from "./mod.ts";
 * const decoder = new Decoder({ greeting() {}, command() {}, message: (m) => console.log(m) });
 * decoder.feed(encodeGreeting());
 * decoder.feed(encodeMessage(["hello"]));
 * ```
 * @module
 */
export * from "./bytes.ts";
export * from "./errors.ts";
export * from "./socket_type.ts";
export * from "./greeting.ts";
export * from "./command.ts";
export * from "./frame.ts";
export * from "./decoder.ts";
export * from "./z85.ts";
export * from "./mechanisms/mod.ts";
