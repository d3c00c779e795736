/**
 * An in-process ZAP handler (RFC 27), with czmq zauth's policy: IP allow
 * and deny lists for every mechanism, passwords for PLAIN, allowed client
 * keys (or "allow any") for CURVE. It binds a ROUTER at
 * `inproc://zeromq.zap.01`, so every CURVE, PLAIN (and NULL with a
 * zapDomain) server socket of this isolate asks it about each new client;
 * a refused client gets ERROR "400" (how libzmq clients recognise an
 * authentication failure) and the refusal is logged with its reason.
 *
 * Allow lists are files or directories of certificates (czmq's layout:
 * every file but secret ones), re-read when they change, so adding or
 * removing a client's `.pub` takes effect at its next connection — key
 * rotation without a restart. The passwords file (`name=password` lines)
 * is re-read the same way.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { resolve } from "node:path";
import { Router } from "../sockets/router.ts";
import { isInprocBound } from "../transport/inproc.ts";
import { ZAP_ENDPOINT, type ZapRequest } from "../sockets/zap_client.ts";
import { z85Encode } from "../zmtp/mod.ts";
import { CertificateError, namesKey, readPublicKeys } from "./certificates.ts";

const logger = getLogger(["zedge", "auth"]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Who may connect. Address lists match the client's IP exactly (czmq's
 * rule): with an allow list only those addresses get in; otherwise a deny
 * list keeps those out. An allowed address still has to pass PLAIN's or
 * CURVE's own check.
 *
 * @example
 * ```ts
 * import type { AuthPolicy } from "./authenticator.ts";
 * const policy: AuthPolicy = {
 *   denyAddresses: ["192.168.1.66"],
 *   curve: { allow: ["/etc/zedge/clients/"] },
 *   plain: { users: { operator: "s3cret" } },
 * };
 * ```
 */
export interface AuthPolicy {
  /** Only these client IPs may connect (any mechanism). */
  allowAddresses?: readonly string[];
  /** These client IPs may not connect (ignored when allowAddresses is given). */
  denyAddresses?: readonly string[];
  /** CURVE clients: any (`allowAny`), or those whose public key is listed. */
  curve?: {
    allowAny?: boolean;
    /** Z85 keys, certificate files, or directories of them. */
    allow?: readonly string[];
  };
  /** PLAIN clients: a passwords file (`name=password` lines) and/or users given here. */
  plain?: { passwordsFile?: string; users?: Readonly<Record<string, string>> };
}

/**
 * An {@link Authenticator}'s configuration: the policy for every ZAP
 * domain, or one per domain (a socket's `zapDomain` picks it).
 *
 * @example
 * ```ts
 * import type { AuthenticatorOptions } from "./authenticator.ts";
 * const options: AuthenticatorOptions = {
 *   curve: { allowAny: true },
 *   domains: { tasks: { curve: { allow: ["keys/operators/"] } } },
 *   baseDir: "/etc/zedge",
 * };
 * ```
 */
export interface AuthenticatorOptions extends AuthPolicy {
  /** Policies for particular ZAP domains; other domains get the top-level one. */
  domains?: Readonly<Record<string, AuthPolicy>>;
  /** Relative paths in the policies are relative to this (default: the working directory). */
  baseDir?: string;
  /** Told every decision (monitoring, tests); refusals are logged whatever it does. */
  onDecision?: (decision: AuthDecision) => void;
}

/**
 * One answered request.
 *
 * @example
 * ```ts
 * import type { AuthDecision } from "./authenticator.ts";
 * const decision: AuthDecision = {
 *   allowed: false, mechanism: "CURVE", address: "10.0.0.7", domain: "",
 *   reason: "client key … is not in the allow list", userId: "",
 * };
 * ```
 */
export interface AuthDecision {
  /** Whether the client got in. */
  allowed: boolean;
  /** NULL, PLAIN or CURVE. */
  mechanism: string;
  /** The client's IP address (empty for ipc and inproc). */
  address: string;
  /** The server socket's zapDomain. */
  domain: string;
  /** Why (for a refusal, what the log says). */
  reason: string;
  /** The user (PLAIN) or client key (CURVE) of an allowed client. */
  userId: string;
}

/** Re-reads a set of files when any of them changes. */
class Reloading<T> {
  readonly #paths: readonly string[];
  readonly #load: () => Promise<T>;
  #stamp = "";
  #value: T | null = null;

  constructor(paths: readonly string[], load: () => Promise<T>) {
    this.#paths = paths;
    this.#load = load;
  }

  async get(): Promise<T> {
    const stamp = await this.#stampNow();
    if (this.#value === null || stamp !== this.#stamp) {
      this.#value = await this.#load();
      this.#stamp = stamp;
    }
    return this.#value;
  }

  async #stampNow(): Promise<string> {
    const parts: string[] = [];
    for (const path of this.#paths) {
      try {
        const info = await Deno.stat(path);
        parts.push(`${info.mtime?.getTime()}:${info.size}`);
        if (info.isDirectory) {
          for await (const entry of Deno.readDir(path)) {
            const file = await Deno.stat(resolve(path, entry.name)).catch(() => null);
            parts.push(`${entry.name}:${file?.mtime?.getTime()}:${file?.size}`);
          }
        }
      } catch {
        parts.push("missing");
      }
    }
    return parts.join("|");
  }
}

/** A policy with its files bound to loaders. */
interface LoadedPolicy {
  policy: AuthPolicy;
  keys: Reloading<Map<string, string>> | null;
  passwords: Reloading<Map<string, string>> | null;
}

/**
 * Reads a passwords file: `name=password` per line, `#` comments, blank
 * lines ignored (czmq's format).
 *
 * @example
 * ```ts
 * import { parsePasswords } from "./authenticator.ts";
 * parsePasswords("# operators\nadmin=secret\n", "passwords").get("admin"); // "secret"
 * ```
 */
export function parsePasswords(text: string, source: string): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const at = trimmed.indexOf("=");
    if (at <= 0) {
      throw new CertificateError(`${source}:${index + 1}: expected 'name=password'`);
    }
    users.set(trimmed.slice(0, at).trim(), trimmed.slice(at + 1));
  });
  return users;
}

/**
 * The ZAP handler. `start()` reads the lists (a bad file is an error naming
 * it) and binds; `close()` unbinds.
 *
 * @example
 * ```ts
 * import { Authenticator, Pull } from "../../mod.ts";
 * const auth = new Authenticator({ curve: { allow: ["keys/clients/"] } });
 * await auth.start();
 * const pull = new Pull({ curveServer: true, curveSecretKey: "…" }); // asks auth about each client
 * // …
 * await pull.close();
 * await auth.close();
 * ```
 */
export class Authenticator {
  readonly #options: AuthenticatorOptions;
  readonly #policies = new Map<string, LoadedPolicy>();
  readonly #default: LoadedPolicy;
  #router: Router | null = null;
  #serving: Promise<void> = Promise.resolve();

  /** An authenticator with these policies (nothing is read until start()). */
  constructor(options: AuthenticatorOptions = {}) {
    this.#options = options;
    this.#default = this.#bind(options);
    for (const [domain, policy] of Object.entries(options.domains ?? {})) {
      this.#policies.set(domain, this.#bind(policy));
    }
  }

  /** Reads the allow lists and passwords, then binds `inproc://zeromq.zap.01`. */
  async start(): Promise<void> {
    if (this.#router !== null) return;
    // Read everything once now, so a bad file fails start() rather than a client.
    for (const loaded of [this.#default, ...this.#policies.values()]) {
      await loaded.keys?.get();
      await loaded.passwords?.get();
    }
    this.#listen();
  }

  /**
   * Binds at once, without reading the lists first (they are read at the
   * first request; one that cannot be read refuses that client, with the
   * reason logged).
   */
  #listen(): void {
    if (this.#router !== null) return;
    const router = new Router({ linger: 0, receiveHighWaterMark: 0, sendHighWaterMark: 0 });
    // A NULL socket binds before its first await: the handler is in place
    // when this returns.
    void router.bind(ZAP_ENDPOINT).catch((error) =>
      logger.error("the ZAP handler cannot bind {endpoint}: {error}", {
        endpoint: ZAP_ENDPOINT,
        error: String(error),
      })
    );
    this.#router = router;
    this.#serving = this.#serve(router);
  }

  /**
   * Sets (or replaces) the policy of one ZAP domain; it applies from the
   * next request on. Its files are read then, and whenever they change.
   *
   * @example
   * ```ts
   * import { Authenticator } from "./authenticator.ts";
   * const auth = new Authenticator({ curve: { allowAny: true } });
   * await auth.start();
   * auth.setPolicy("pipeline.workers", { curve: { allow: ["keys/workers/"] } });
   * await auth.close();
   * ```
   */
  setPolicy(domain: string, policy: AuthPolicy): void {
    this.#policies.set(domain, this.#bind(policy));
  }

  /** The shared instance of this isolate, created (and listening) on first use. */
  static #shared: Authenticator | null = null;

  /**
   * The authenticator zedge's own layers use (pipeline endpoints and robot
   * components with allow lists add their domains to it): created and bound
   * on first call, letting in any CURVE client and NULL peer in domains it
   * has no policy for. A program with a ZAP handler of its own must not
   * use allow lists in those layers.
   *
   * @example
   * ```ts
   * import { Authenticator } from "./authenticator.ts";
   * Authenticator.shared().setPolicy("robot.tasks", { curve: { allow: ["/etc/zedge/operators/"] } });
   * ```
   */
  static shared(): Authenticator {
    if (Authenticator.#shared === null || Authenticator.#shared.#router === null) {
      const shared = new Authenticator({ curve: { allowAny: true } });
      if (isInprocBound(ZAP_ENDPOINT.slice("inproc://".length))) {
        throw new Error(
          `another ZAP handler is bound to ${ZAP_ENDPOINT} in this isolate: allow lists in ` +
            "zedge's configuration need zedge's own",
        );
      }
      shared.#listen();
      Authenticator.#shared = shared;
    }
    return Authenticator.#shared;
  }

  /** Stops answering (servers then behave as with no handler). */
  async close(): Promise<void> {
    const router = this.#router;
    if (router === null) return;
    this.#router = null;
    await router.close();
    await this.#serving;
  }

  #bind(policy: AuthPolicy): LoadedPolicy {
    const base = this.#options.baseDir ?? ".";
    const allow = policy.curve?.allow ?? [];
    const files = allow.map((entry) => resolve(base, entry)).filter((path, i) =>
      !namesKey(allow[i], path)
    );
    const passwordsFile = policy.plain?.passwordsFile;
    return {
      policy,
      keys: allow.length === 0 ? null : new Reloading(files, () => readPublicKeys(allow, base)),
      passwords: passwordsFile === undefined ? null : new Reloading(
        [resolve(base, passwordsFile)],
        async () => {
          const path = resolve(base, passwordsFile);
          let text: string;
          try {
            text = await Deno.readTextFile(path);
          } catch (error) {
            throw new CertificateError(
              `cannot read the passwords file ${path}: ${(error as Error).message}`,
            );
          }
          return parsePasswords(text, path);
        },
      ),
    };
  }

  async #serve(router: Router): Promise<void> {
    for await (const message of router) {
      // Each request is answered on its own: one waiting on a file read
      // does not hold up the others.
      this.#answer(router, message).catch((error) =>
        logger.error("ZAP handler failed on a request: {error}", { error: String(error) })
      );
    }
  }

  async #answer(router: Router, message: Uint8Array[]): Promise<void> {
    // The envelope (routing ids up to the empty delimiter) goes back as it came.
    const delimiter = message.findIndex((frame) => frame.length === 0);
    if (delimiter < 0 || message.length < delimiter + 7) return;
    const envelope = message.slice(0, delimiter + 1);
    const [version, id, domain, address, identity, mechanism, ...credentials] = message.slice(
      delimiter + 1,
    );
    const reply = (status: string, text: string, userId: string) =>
      router.send([
        ...envelope,
        encoder.encode("1.0"),
        id,
        ...[status, text, userId].map((s) => encoder.encode(s)),
        new Uint8Array(0),
      ]);
    if (decoder.decode(version) !== "1.0") {
      await reply("500", "unsupported ZAP version", "");
      return;
    }
    const request: ZapRequest = {
      domain: decoder.decode(domain),
      address: decoder.decode(address),
      identity,
      mechanism: decoder.decode(mechanism),
      credentials,
    };
    let decision: AuthDecision;
    try {
      decision = await this.authenticate(request);
    } catch (error) {
      decision = {
        allowed: false,
        mechanism: request.mechanism,
        address: request.address,
        domain: request.domain,
        reason: `cannot check: ${(error as Error).message}`,
        userId: "",
      };
      await reply("500", decision.reason.slice(0, 255), "");
      this.#report(decision);
      return;
    }
    this.#report(decision);
    await reply(
      decision.allowed ? "200" : "400",
      decision.allowed ? "OK" : decision.reason.slice(0, 255),
      decision.userId,
    );
  }

  #report(decision: AuthDecision): void {
    if (decision.allowed) {
      logger.debug("allowed {mechanism} client {address}: {reason}", { ...decision });
    } else {
      logger.warn("refused {mechanism} client {address} (ZAP domain '{domain}'): {reason}", {
        ...decision,
      });
    }
    this.#options.onDecision?.(decision);
  }

  /**
   * Decides one request (what the handler answers; usable without binding,
   * say from a handler of your own that adds rules).
   *
   * @example
   * ```ts
   * import { Authenticator } from "./authenticator.ts";
   * const auth = new Authenticator({ denyAddresses: ["10.0.0.66"] });
   * await auth.start();
   * const decision = await auth.authenticate({
   *   domain: "", address: "10.0.0.66", identity: new Uint8Array(0), mechanism: "NULL", credentials: [],
   * });
   * decision.allowed; // false
   * await auth.close();
   * ```
   */
  async authenticate(request: ZapRequest): Promise<AuthDecision> {
    const loaded = this.#policies.get(request.domain) ?? this.#default;
    const { policy } = loaded;
    const base = { mechanism: request.mechanism, address: request.address, domain: request.domain };
    const refuse = (reason: string): AuthDecision => ({
      ...base,
      allowed: false,
      reason,
      userId: "",
    });
    const allow = (reason: string, userId = ""): AuthDecision => ({
      ...base,
      allowed: true,
      reason,
      userId,
    });
    let addressAllowed = false;
    if ((policy.allowAddresses?.length ?? 0) > 0) {
      if (!policy.allowAddresses!.includes(request.address)) {
        return refuse(`address ${request.address || "(none)"} is not in the allowed addresses`);
      }
      addressAllowed = true;
    } else if (policy.denyAddresses?.includes(request.address)) {
      return refuse(`address ${request.address} is in the denied addresses`);
    }
    switch (request.mechanism) {
      case "NULL":
        return allow(addressAllowed ? "address allowed" : "address not denied");
      case "PLAIN": {
        if (request.credentials.length !== 2) {
          return refuse("PLAIN request without user and password");
        }
        const user = decoder.decode(request.credentials[0]);
        const password = decoder.decode(request.credentials[1]);
        if (policy.plain === undefined) {
          return refuse(`PLAIN user '${user}': no passwords are configured`);
        }
        const fromFile = await loaded.passwords?.get();
        const expected = policy.plain.users?.[user] ?? fromFile?.get(user);
        if (expected === undefined) return refuse(`PLAIN user '${user}' is unknown`);
        if (expected !== password) return refuse(`PLAIN user '${user}' gave a wrong password`);
        return allow(`PLAIN user '${user}'`, user);
      }
      case "CURVE": {
        if (request.credentials.length !== 1 || request.credentials[0].length !== 32) {
          return refuse("CURVE request without a 32-byte client key");
        }
        const key = z85Encode(request.credentials[0]);
        if (policy.curve?.allowAny) {
          return allow(`CURVE client key ${key} (any client allowed)`, key);
        }
        const keys = await loaded.keys?.get();
        const source = keys?.get(key);
        if (source !== undefined) return allow(`CURVE client key ${key} from ${source}`, key);
        return refuse(
          keys === undefined
            ? `CURVE client key ${key}: no client keys are allowed (give curve.allow or allowAny)`
            : `CURVE client key ${key} is not in the allow list`,
        );
      }
      default:
        return refuse(`mechanism ${request.mechanism} is not supported`);
    }
  }
}
