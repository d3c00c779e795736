/**
 * Fair queuing (RFC 28-31, "fair-queued" receiving): each peer's received
 * messages wait in that peer's own queue, and receive() takes from the peers
 * in turn, so one chatty peer cannot starve the others. A peer that closes
 * stays until its queue is drained: what it sent before leaving is still
 * delivered.
 *
 * @module
 */
import type { Connection } from "../connection.ts";
import type { MessageRun, PackedMessage } from "../inbox.ts";
import { Deque } from "../deque.ts";
import type { PeerPolicy } from "./policy.ts";

/**
 * The receiving side of every socket type that receives.
 *
 * @example
 * ```ts
 * import { FairQueue } from "./fair_queue.ts";
 * const queue = new FairQueue();
 * queue.readable; // false: nothing queued
 * queue.take(); // undefined
 * ```
 */
export class FairQueue implements PeerPolicy {
  readonly #sources: Connection[] = [];
  /**
   * The peers with something queued, in turn (libzmq's active pipes): a
   * take costs the same with 100 peers as with one, where walking every
   * peer to find the next with a message cost a scan per message.
   */
  readonly #turns = new Deque<Connection>();
  #queued = 0;
  /** The peer the last message returned by {@link take} came from. */
  lastSource: Connection | null = null;
  /** The address of that peer (kept when the peer is dropped after its last message). */
  lastAddress: string | null = null;

  /** Messages queued across all peers. */
  get queued(): number {
    return this.#queued;
  }

  /** True when {@link take} would return a message. */
  get readable(): boolean {
    return this.#queued > 0;
  }

  /** A peer finished its handshake. */
  add(conn: Connection): void {
    this.#sources.push(conn);
  }

  /** A peer closed: it is dropped once its queue is empty. */
  remove(conn: Connection): void {
    if (conn.inbox.length === 0) this.#drop(conn);
  }

  /** Queues a message that arrived from `conn`. */
  push(conn: Connection, frames: Uint8Array[]): void {
    const inbox = conn.inbox;
    inbox.push(frames);
    this.#queued++;
    if (inbox.length === 1) this.#join(conn);
  }

  /** Queues consecutive messages of a batch that arrived from `conn`, as they lie (see inbox.ts). */
  pushRun(conn: Connection, run: MessageRun): void {
    const inbox = conn.inbox;
    const before = inbox.length;
    inbox.pushRun(run);
    this.#queued += inbox.length - before;
    if (before === 0 && inbox.length > 0) this.#join(conn);
  }

  /**
   * Every peer with something queued is in #turns: one that was empty joins. Whether it is there
   * is a mark on the peer (`inTurn`), not a Set: one that gains and loses its one member per
   * request had V8 rebuild its table every few messages.
   */
  #join(conn: Connection): void {
    if (conn.inTurn) return;
    conn.inTurn = true;
    this.#turns.push(conn);
  }

  /** The next message from the peers in turn, or undefined when none is queued. */
  take(): Uint8Array[] | undefined {
    const conn = this.#turn();
    if (conn === undefined) return undefined;
    const frames = conn.take();
    this.#took(conn);
    return frames;
  }

  /**
   * Reads the next message from the peers in turn into `message`, in place
   * (no views made for a message of a batch, see inbox.ts); false when none
   * is queued.
   */
  takeInto(message: PackedMessage): boolean {
    const conn = this.#turn();
    if (conn === undefined) return false;
    conn.takeInto(message);
    this.#took(conn);
    return true;
  }

  /** The peer whose turn it is, with a message queued (it leaves #turns). */
  #turn(): Connection | undefined {
    while (this.#queued > 0) {
      const conn = this.#turns.shift();
      if (conn === undefined) return undefined;
      if (conn.inbox.length > 0) return conn;
      conn.inTurn = false;
    }
    return undefined;
  }

  /** A message was taken from `conn`, whose turn it was. */
  #took(conn: Connection): void {
    this.#queued--;
    // Its next turn comes after every other peer's.
    if (conn.inbox.length > 0) this.#turns.push(conn);
    else conn.inTurn = false;
    this.lastSource = conn;
    this.lastAddress = conn.address;
    if (conn.closed && conn.inbox.length === 0) this.#drop(conn);
  }

  /** The next message from `conn` only, or undefined. */
  takeFrom(conn: Connection): Uint8Array[] | undefined {
    const frames = conn.take();
    if (frames === undefined) return undefined;
    this.#queued--;
    this.lastSource = conn;
    this.lastAddress = conn.address;
    if (conn.closed && conn.inbox.length === 0) this.#drop(conn);
    return frames;
  }

  /** True when `conn` has a message queued. */
  hasFrom(conn: Connection): boolean {
    return conn.inbox.length > 0;
  }

  /** Drops every queued message (a REQ's new request makes older replies stale). */
  clear(): void {
    // Nothing queued (a REQ's every request after a reply taken): no peer to visit.
    if (this.#queued === 0) return;
    // Backwards: #drop takes a closed peer out of #sources as we go.
    for (let i = this.#sources.length - 1; i >= 0; i--) {
      const conn = this.#sources[i];
      this.#queued -= conn.discardInbox();
      if (conn.closed) this.#drop(conn);
    }
  }

  #drop(conn: Connection): void {
    const index = this.#sources.indexOf(conn);
    if (index < 0) return;
    this.#sources.splice(index, 1);
    if (this.lastSource === conn) this.lastSource = null;
  }
}
