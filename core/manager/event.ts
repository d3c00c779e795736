/**
 * What a {@link SocketManager}'s `subscribe` yields: a published event.
 *
 * @module
 */

/**
 * One published event: its topic (the first frame, as text) and its data
 * (the last frame, decoded by the manager's serializer). AgentZero's `Event`.
 *
 * @example
 * ```ts
 * import { Event } from "./event.ts";
 * const event = new Event("odom", { x: 1.5 });
 * console.log(event.topic, event.data);
 * ```
 */
export class Event<T = unknown> {
  /** The topic it was published on. */
  readonly topic: string;
  /** The decoded data. */
  readonly data: T;
  /** Creates an event. */
  constructor(topic: string, data: T) {
    this.topic = topic;
    this.data = data;
  }
}
