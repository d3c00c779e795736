/**
 * The CURVE security mechanism (RFC 25) running the CurveZMQ handshake (RFC
 * 26), byte-compatible with libzmq:
 *
 * ```
 * C: HELLO    C' + Box[64 zeros](C'→S)                 (200 bytes)
 * S: WELCOME  Box[S' + cookie](S→C')                   (168 bytes)
 * C: INITIATE cookie + Box[C + vouch + metadata](C'→S') (257+ bytes)
 * S: READY    Box[metadata](S'→C')                     (30+ bytes)
 *    MESSAGE  Box[flags + frame](C'→S' or S'→C'), one per frame, commands too
 * ```
 *
 * As libzmq does, a MESSAGE travels as a ZMTP message frame (flags 0, the
 * body starting `\x07MESSAGE`), not as a command frame: the MORE flag and
 * the command flag are inside the box.
 *
 * C and S are the long-term keys (the client's, the server's), C' and S'
 * the short-term keys of this connection (forward secrecy); the cookie is
 * the server's short-term secret under a key it forgets once INITIATE
 * arrives, and the vouch — Box[C' + S](C→S') — proves the client holds C's
 * secret. Short nonces count up from 1 in each direction and must strictly
 * increase: a replayed, reordered or altered box closes the connection,
 * without an ERROR (RFC 26: "A server SHALL NOT send an ERROR command in
 * response to an invalid MESSAGE command").
 *
 * Pure like the rest of the codec: the cryptography comes in as a
 * {@link CurveCrypto} (libsodium), the ZAP check goes out as a handshake
 * step.
 *
 * @module
 */
import {
  type Command,
  decodeErrorReason,
  decodeMetadata,
  encodeCommand,
  encodeMetadata,
  type Metadata,
} from "../command.ts";
import { concatBytes, getUint64, putUint64 } from "../bytes.ts";
import { ZmtpError } from "../errors.ts";
import type { FrameData, FrameWriter } from "../frame.ts";
import type { Greeting } from "../greeting.ts";
import type { CurveCrypto } from "./curve_crypto.ts";
import type {
  FrameCodec,
  HandshakeRole,
  HandshakeStep,
  Mechanism,
  MechanismSession,
  ZapVerdict,
} from "./mechanism.ts";
import { bothRoles, checkPeerRole } from "./roles.ts";
import { refuseUnlessAllowed } from "./zap_verdict.ts";

const ascii = (text: string) => new TextEncoder().encode(text);
const HELLO_PREFIX = ascii("CurveZMQHELLO---");
const INITIATE_PREFIX = ascii("CurveZMQINITIATE");
const READY_PREFIX = ascii("CurveZMQREADY---");
const CLIENT_MESSAGE_PREFIX = ascii("CurveZMQMESSAGEC");
const SERVER_MESSAGE_PREFIX = ascii("CurveZMQMESSAGES");
const WELCOME_PREFIX = ascii("WELCOME-");
const COOKIE_PREFIX = ascii("COOKIE--");
const VOUCH_PREFIX = ascii("VOUCH---");
const KEY_BYTES = 32;
const MAC_BYTES = 16;
/** Command data sizes after the name (RFC 26 counts the whole command: 200, 168, 257, 30). */
const HELLO_DATA = 194;
const WELCOME_DATA = 160;
const INITIATE_DATA_MIN = 248;
const READY_DATA_MIN = 24;
/** What a boxed frame's MESSAGE adds: name (8), short nonce (8), MAC (16), flags (1). */
const MESSAGE_OVERHEAD = 8 + 8 + MAC_BYTES + 1;
/** MESSAGE flags: bit 0 MORE; bit 1 marks a command (libzmq boxes PING, SUBSCRIBE, ... so). */
const MESSAGE_MORE = 0x01;
const MESSAGE_COMMAND = 0x02;
const MESSAGE_NAME = encodeCommand("MESSAGE", new Uint8Array(0));

function isMessage(frame: Uint8Array): boolean {
  if (frame.length < MESSAGE_NAME.length) return false;
  for (let i = 0; i < MESSAGE_NAME.length; i++) if (frame[i] !== MESSAGE_NAME[i]) return false;
  return true;
}

const encoder = new TextEncoder();

/**
 * A CURVE client's keys: its long-term pair and the server's public key.
 *
 * @example
 * ```ts
 * import type { CurveClientKeys } from "./curve.ts";
 * const keys: CurveClientKeys = {
 *   publicKey: new Uint8Array(32),
 *   secretKey: new Uint8Array(32),
 *   serverKey: new Uint8Array(32),
 * };
 * ```
 */
export interface CurveClientKeys {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  serverKey: Uint8Array;
}

/** The 24-byte nonce: a 16- or 8-byte prefix, then the rest. */
function nonceOf(prefix: Uint8Array, rest: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(24);
  nonce.set(prefix);
  nonce.set(rest, prefix.length);
  return nonce;
}

/** An 8-byte big-endian short nonce. */
function shortNonce(value: number): Uint8Array {
  const out = new Uint8Array(8);
  putUint64(out, 0, value);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** A box that did not open: close without telling the peer anything (RFC 26). */
function unauthentic(what: string): ZmtpError {
  return new ZmtpError("crypto", what, { peerReason: null });
}

/** A CURVE command whose size is not what RFC 26 says (libzmq closes without ERROR too). */
function malformed(what: string): ZmtpError {
  return new ZmtpError("bad-command", what, { peerReason: null });
}

/** Tracks one direction's short nonces: ours count up, the peer's must strictly increase. */
class Nonces {
  #sent = 0;
  #received = 0;

  next(): number {
    return ++this.#sent;
  }

  /** Throws unless `nonce` is above every nonce accepted so far; does not record it. */
  check(nonce: number, command: string): void {
    if (nonce <= this.#received) {
      throw unauthentic(
        `${command} nonce ${nonce} is not above the last one (${this.#received}): ` +
          "a replayed or reordered box",
      );
    }
  }

  /** Records a nonce once its box opened, so a forged nonce cannot move the counter. */
  accept(nonce: number): void {
    this.#received = nonce;
  }
}

/**
 * Boxes every frame after the handshake into a MESSAGE command, and opens
 * the peer's.
 */
class CurveFraming implements FrameCodec {
  readonly frameOverhead = MESSAGE_OVERHEAD;
  readonly clearCommands = false;
  readonly #crypto: CurveCrypto;
  readonly #key: Uint8Array;
  readonly #outPrefix: Uint8Array;
  readonly #inPrefix: Uint8Array;
  readonly #nonces: Nonces;

  constructor(
    crypto: CurveCrypto,
    key: Uint8Array,
    nonces: Nonces,
    outPrefix: Uint8Array,
    inPrefix: Uint8Array,
  ) {
    this.#crypto = crypto;
    this.#key = key;
    this.#nonces = nonces;
    this.#outPrefix = outPrefix;
    this.#inPrefix = inPrefix;
  }

  writeMessage(writer: FrameWriter, frames: readonly FrameData[]): void {
    const last = frames.length - 1;
    for (let i = 0; i <= last; i++) {
      const frame = frames[i];
      const body = typeof frame === "string" ? encoder.encode(frame) : frame;
      this.#write(writer, i < last ? MESSAGE_MORE : 0, body);
    }
  }

  writeCommand(writer: FrameWriter, name: string, data: Uint8Array): void {
    this.#write(writer, MESSAGE_COMMAND, encodeCommand(name, data));
  }

  #write(writer: FrameWriter, flags: number, body: Uint8Array): void {
    const nonce = this.#nonces.next();
    writer.writeFrame(this.#crypto.sealMessage(this.#key, this.#outPrefix, nonce, flags, body), 0);
  }

  openFrame(frame: Uint8Array): { body: Uint8Array; more: boolean; command: boolean } {
    if (!isMessage(frame)) {
      throw new ZmtpError(
        "protocol",
        "a frame that is not a MESSAGE after the CURVE handshake: every frame must come boxed",
        { peerReason: null },
      );
    }
    if (frame.length < MESSAGE_OVERHEAD) {
      throw malformed(`MESSAGE of ${frame.length} bytes is shorter than the 33 a box needs`);
    }
    const nonce = getUint64(frame, MESSAGE_NAME.length);
    this.#nonces.check(nonce, "MESSAGE");
    const opened = this.#crypto.openMessage(this.#key, this.#inPrefix, frame);
    if (opened === null) {
      throw unauthentic("a MESSAGE box did not open: it was altered in transit or forged");
    }
    this.#nonces.accept(nonce);
    return {
      body: opened.body,
      more: (opened.flags & MESSAGE_MORE) !== 0,
      command: (opened.flags & MESSAGE_COMMAND) !== 0,
    };
  }
}

/** What a client refuses with: never an ERROR back (RFC 26: "A client peer SHALL NOT send ERROR"). */
function peerError(command: Command, expected: string): never {
  if (command.name === "HELLO") {
    throw new ZmtpError("protocol", bothRoles("CURVE", "client"), { peerReason: null });
  }
  if (command.name === "ERROR") {
    const reason = decodeErrorReason(command.data);
    const auth = /^[345]00$/.test(reason) ? " (the server's ZAP handler refused our key)" : "";
    throw new ZmtpError("refused", `CURVE server refused: ${reason}${auth}`);
  }
  throw new ZmtpError("protocol", `expected ${expected}, got ${command.name}`, {
    peerReason: null,
  });
}

class CurveClient implements MechanismSession {
  readonly asServer = false;
  framing: FrameCodec | null = null;
  readonly #crypto: CurveCrypto;
  readonly #keys: CurveClientKeys;
  readonly #metadata: Record<string, string | Uint8Array>;
  readonly #short: { publicKey: Uint8Array; secretKey: Uint8Array };
  readonly #nonces = new Nonces();
  #state: "welcome" | "ready" | "done" = "welcome";
  #shared: Uint8Array | null = null;

  constructor(crypto: CurveCrypto, keys: CurveClientKeys, role: HandshakeRole) {
    this.#crypto = crypto;
    this.#keys = keys;
    this.#metadata = role.metadata;
    this.#short = crypto.keyPair();
  }

  checkGreeting(greeting: Greeting): void {
    checkPeerRole(greeting, "CURVE", false);
  }

  begin(): HandshakeStep {
    const nonce = shortNonce(this.#nonces.next());
    const signature = this.#crypto.box(
      new Uint8Array(64),
      nonceOf(HELLO_PREFIX, nonce),
      this.#keys.serverKey,
      this.#short.secretKey,
    );
    // Version 1.0, then 72 zero bytes of anti-amplification padding (HELLO > WELCOME).
    const data = concatBytes([
      new Uint8Array([1, 0]),
      new Uint8Array(72),
      this.#short.publicKey,
      nonce,
      signature,
    ]);
    return { send: [{ name: "HELLO", data }], done: false };
  }

  receive(command: Command): HandshakeStep {
    if (this.#state === "welcome") {
      if (command.name !== "WELCOME") peerError(command, "WELCOME");
      return this.#welcome(command.data);
    }
    if (command.name !== "READY") peerError(command, "READY");
    return this.#ready(command.data);
  }

  #welcome(data: Uint8Array): HandshakeStep {
    if (data.length !== WELCOME_DATA) {
      throw malformed(`WELCOME of ${data.length + 8} bytes; CurveZMQ's is 168`);
    }
    const crypto = this.#crypto;
    const plain = crypto.openBox(
      data.subarray(16),
      nonceOf(WELCOME_PREFIX, data.subarray(0, 16)),
      this.#keys.serverKey,
      this.#short.secretKey,
    );
    if (plain === null) {
      throw unauthentic(
        "the server's WELCOME box did not open: it does not hold the secret key of " +
          "curveServerKey (a wrong server key, or someone in the middle)",
      );
    }
    const serverShort = plain.subarray(0, KEY_BYTES);
    const cookie = plain.subarray(KEY_BYTES, KEY_BYTES + 96);
    this.#shared = crypto.precompute(serverShort, this.#short.secretKey);
    const vouchNonce = crypto.randomBytes(16);
    const vouch = crypto.box(
      concatBytes([this.#short.publicKey, this.#keys.serverKey]),
      nonceOf(VOUCH_PREFIX, vouchNonce),
      serverShort,
      this.#keys.secretKey,
    );
    const nonce = shortNonce(this.#nonces.next());
    const box = crypto.boxWith(
      concatBytes([this.#keys.publicKey, vouchNonce, vouch, encodeMetadata(this.#metadata)]),
      nonceOf(INITIATE_PREFIX, nonce),
      this.#shared,
    );
    this.#state = "ready";
    return { send: [{ name: "INITIATE", data: concatBytes([cookie, nonce, box]) }], done: false };
  }

  #ready(data: Uint8Array): HandshakeStep {
    if (data.length < READY_DATA_MIN) {
      throw malformed(`READY of ${data.length + 6} bytes; CurveZMQ's is at least 30`);
    }
    const nonce = getUint64(data, 0);
    this.#nonces.check(nonce, "READY");
    const plain = this.#crypto.openBoxWith(
      data.subarray(8),
      nonceOf(READY_PREFIX, data.subarray(0, 8)),
      this.#shared!,
    );
    if (plain === null) throw unauthentic("the server's READY box did not open");
    this.#nonces.accept(nonce);
    const peerMetadata = decodeMetadata(plain);
    this.#state = "done";
    this.framing = new CurveFraming(
      this.#crypto,
      this.#shared!,
      this.#nonces,
      CLIENT_MESSAGE_PREFIX,
      SERVER_MESSAGE_PREFIX,
    );
    return { send: [], done: true, peerMetadata };
  }
}

class CurveServer implements MechanismSession {
  readonly asServer = true;
  framing: FrameCodec | null = null;
  readonly #crypto: CurveCrypto;
  readonly #secretKey: Uint8Array;
  readonly #publicKey: Uint8Array;
  readonly #metadata: Record<string, string | Uint8Array>;
  readonly #nonces = new Nonces();
  #state: "hello" | "initiate" | "authenticating" | "done" = "hello";
  /** The client's short-term key C', from HELLO. */
  #clientShort: Uint8Array | null = null;
  /** Our short-term pair for this connection (S', s'). */
  #short: { publicKey: Uint8Array; secretKey: Uint8Array } | null = null;
  /** The key of the cookie in our WELCOME; forgotten once INITIATE opens it. */
  #cookieKey: Uint8Array | null = null;
  #shared: Uint8Array | null = null;
  #peerMetadata: Metadata | null = null;

  constructor(
    crypto: CurveCrypto,
    secretKey: Uint8Array,
    publicKey: Uint8Array,
    role: HandshakeRole,
  ) {
    this.#crypto = crypto;
    this.#secretKey = secretKey;
    this.#publicKey = publicKey;
    this.#metadata = role.metadata;
  }

  checkGreeting(greeting: Greeting): void {
    checkPeerRole(greeting, "CURVE", true);
  }

  begin(): HandshakeStep {
    return { send: [], done: false };
  }

  receive(command: Command): HandshakeStep {
    if (command.name === "ERROR") {
      throw new ZmtpError("refused", `CURVE client sent ERROR: ${decodeErrorReason(command.data)}`);
    }
    switch (this.#state) {
      case "hello":
        if (command.name !== "HELLO") throw this.#unexpected(command, "HELLO");
        return this.#hello(command.data);
      case "initiate":
        if (command.name !== "INITIATE") throw this.#unexpected(command, "INITIATE");
        return this.#initiate(command.data);
      default:
        throw this.#unexpected(command, "nothing while the client's key is being checked");
    }
  }

  #unexpected(command: Command, expected: string): ZmtpError {
    return new ZmtpError("protocol", `expected ${expected}, got ${command.name}`, {
      peerReason: null,
    });
  }

  #hello(data: Uint8Array): HandshakeStep {
    if (data.length !== HELLO_DATA) {
      throw malformed(`HELLO of ${data.length + 6} bytes; CurveZMQ's is 200`);
    }
    if (data[0] !== 1 || data[1] !== 0) {
      throw malformed(`HELLO for CurveZMQ version ${data[0]}.${data[1]}; only 1.0 exists`);
    }
    const crypto = this.#crypto;
    const clientShort = data.slice(74, 106);
    const nonce = getUint64(data, 106);
    const signature = crypto.openBox(
      data.subarray(114),
      nonceOf(HELLO_PREFIX, data.subarray(106, 114)),
      clientShort,
      this.#secretKey,
    );
    if (signature === null) {
      throw unauthentic(
        "the client's HELLO box did not open: the client's curveServerKey is not this " +
          "server's public key",
      );
    }
    this.#nonces.accept(nonce);
    this.#clientShort = clientShort;
    const short = this.#short = crypto.keyPair();
    this.#cookieKey = crypto.randomBytes(KEY_BYTES);
    const cookieNonce = crypto.randomBytes(16);
    const cookieBox = crypto.secretBox(
      concatBytes([clientShort, short.secretKey]),
      nonceOf(COOKIE_PREFIX, cookieNonce),
      this.#cookieKey,
    );
    const welcomeNonce = crypto.randomBytes(16);
    const welcomeBox = crypto.box(
      concatBytes([short.publicKey, cookieNonce, cookieBox]),
      nonceOf(WELCOME_PREFIX, welcomeNonce),
      clientShort,
      this.#secretKey,
    );
    this.#state = "initiate";
    return {
      send: [{ name: "WELCOME", data: concatBytes([welcomeNonce, welcomeBox]) }],
      done: false,
    };
  }

  #initiate(data: Uint8Array): HandshakeStep {
    if (data.length < INITIATE_DATA_MIN) {
      throw malformed(`INITIATE of ${data.length + 9} bytes; CurveZMQ's is at least 257`);
    }
    const crypto = this.#crypto;
    const cookie = crypto.openSecretBox(
      data.subarray(16, 96),
      nonceOf(COOKIE_PREFIX, data.subarray(0, 16)),
      this.#cookieKey!,
    );
    this.#cookieKey = null;
    const short = this.#short!, clientShort = this.#clientShort!;
    if (
      cookie === null || !equal(cookie.subarray(0, KEY_BYTES), clientShort) ||
      !equal(cookie.subarray(KEY_BYTES), short.secretKey)
    ) {
      throw unauthentic("the client's INITIATE does not carry the cookie of our WELCOME");
    }
    const nonce = getUint64(data, 96);
    this.#nonces.check(nonce, "INITIATE");
    this.#shared = crypto.precompute(clientShort, short.secretKey);
    const plain = crypto.openBoxWith(
      data.subarray(104),
      nonceOf(INITIATE_PREFIX, data.subarray(96, 104)),
      this.#shared,
    );
    if (plain === null) throw unauthentic("the client's INITIATE box did not open");
    this.#nonces.accept(nonce);
    const clientKey = plain.slice(0, KEY_BYTES);
    const vouch = crypto.openBox(
      plain.subarray(48, 128),
      nonceOf(VOUCH_PREFIX, plain.subarray(32, 48)),
      clientKey,
      short.secretKey,
    );
    if (
      vouch === null || !equal(vouch.subarray(0, KEY_BYTES), clientShort) ||
      !equal(vouch.subarray(KEY_BYTES), this.#publicKey)
    ) {
      throw unauthentic(
        "the client's vouch does not open with the key it names: it does not hold that " +
          "key's secret",
      );
    }
    this.#peerMetadata = decodeMetadata(plain.subarray(128));
    this.#state = "authenticating";
    return {
      send: [],
      done: false,
      authenticate: { mechanism: "CURVE", credentials: [clientKey] },
    };
  }

  authenticated(verdict: ZapVerdict): HandshakeStep {
    refuseUnlessAllowed(verdict, "CURVE");
    const nonce = shortNonce(this.#nonces.next());
    const box = this.#crypto.boxWith(
      encodeMetadata(this.#metadata),
      nonceOf(READY_PREFIX, nonce),
      this.#shared!,
    );
    this.#state = "done";
    this.framing = new CurveFraming(
      this.#crypto,
      this.#shared!,
      this.#nonces,
      SERVER_MESSAGE_PREFIX,
      CLIENT_MESSAGE_PREFIX,
    );
    return {
      send: [{ name: "READY", data: concatBytes([nonce, box]) }],
      done: true,
      peerMetadata: this.#peerMetadata!,
    };
  }
}

function checkKey(name: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new RangeError(`CURVE ${name} must be ${KEY_BYTES} bytes`);
  }
}

/**
 * The CURVE mechanism for a client: its key pair and the server's public key.
 *
 * @example
 * ```ts
 * import { curveClient } from "./curve.ts";
 * import { loadCurveCrypto } from "./curve_crypto.ts";
 * const crypto = await loadCurveCrypto();
 * const me = crypto.keyPair(), server = crypto.keyPair();
 * const mechanism = curveClient(crypto, { ...me, serverKey: server.publicKey });
 * mechanism.start({ server: false, metadata: { "Socket-Type": "PUSH" } }).begin().send[0].name; // "HELLO"
 * ```
 */
export function curveClient(crypto: CurveCrypto, keys: CurveClientKeys): Mechanism {
  checkKey("public key", keys.publicKey);
  checkKey("secret key", keys.secretKey);
  checkKey("server key", keys.serverKey);
  return { name: "CURVE", start: (role) => new CurveClient(crypto, keys, role) };
}

/**
 * The CURVE mechanism for a server with this long-term secret key.
 *
 * @example
 * ```ts
 * import { curveServer } from "./curve.ts";
 * import { loadCurveCrypto } from "./curve_crypto.ts";
 * const crypto = await loadCurveCrypto();
 * const mechanism = curveServer(crypto, crypto.keyPair().secretKey);
 * mechanism.start({ server: true, metadata: { "Socket-Type": "PULL" } }).asServer; // true
 * ```
 */
export function curveServer(crypto: CurveCrypto, secretKey: Uint8Array): Mechanism {
  checkKey("secret key", secretKey);
  const publicKey = crypto.publicKeyOf(secretKey);
  return {
    name: "CURVE",
    start: (role) => new CurveServer(crypto, secretKey, publicKey, role),
  };
}
