/**
 * Limits shared by the roles above the sockets (task server, pipeline and
 * service roles), so every role refuses the same oversize input.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_MESSAGE_SIZE } from "./limits.ts";
 * console.log(DEFAULT_MAX_MESSAGE_SIZE); // 67108864
 * ```
 * @module
 */

/**
 * The largest message a role accepts from a peer unless told otherwise:
 * 64 MiB. A larger one closes that peer's connection, so a peer announcing
 * a huge frame cannot make a role hold its memory. (A socket on its own has
 * no limit, as in libzmq.)
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_MESSAGE_SIZE } from "./limits.ts";
 * import { Router } from "./sockets/mod.ts";
 * const router = new Router({ maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE });
 * router.close();
 * ```
 */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/**
 * A role's `maxMessageSize` option checked, with the default applied: a
 * positive number of bytes, or -1 for no limit. `name` is the option's name
 * in the error.
 *
 * @example
 * ```ts
 * import { maxMessageSizeOption } from "./limits.ts";
 * maxMessageSizeOption(undefined); // 67108864
 * maxMessageSizeOption(-1); // -1: no limit
 * ```
 */
export function maxMessageSizeOption(
  value: number | undefined,
  name = "maxMessageSize",
): number {
  if (value === undefined) return DEFAULT_MAX_MESSAGE_SIZE;
  if (!Number.isSafeInteger(value) || (value < 1 && value !== -1)) {
    throw new RangeError(
      `${name} must be a positive number of bytes or -1 (no limit), got ${value}`,
    );
  }
  return value;
}

/**
 * How many accepted connections a bound role (task server, pipeline and
 * service roles, a robot's control endpoint and gateway) lets wait in their
 * handshake at once, in all and from one address; over either, the oldest
 * waiting is closed (see core/sockets/handshake_guard.ts). A host that
 * opens connections and never completes a handshake then holds at most
 * these many descriptors of the role's process, not one per connection for
 * the 30 s handshake timeout. Honest handshakes take milliseconds: a burst
 * of 32 workers from one host fits. (A socket on its own has no bound, as
 * in libzmq.)
 *
 * @example
 * ```ts
 * import { ROLE_HANDSHAKE_LIMITS } from "./limits.ts";
 * import { Router } from "./sockets/mod.ts";
 * const router = new Router({ ...ROLE_HANDSHAKE_LIMITS });
 * router.close();
 * ```
 */
export const ROLE_HANDSHAKE_LIMITS = { maxHandshakes: 128, maxHandshakesPerAddress: 32 } as const;
