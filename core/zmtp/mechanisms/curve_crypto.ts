/**
 * The cryptography CurveZMQ needs (Curve25519 key pairs, NaCl's
 * XSalsa20-Poly1305 `crypto_box` and `crypto_secretbox`), from libsodium —
 * the library libzmq itself uses — compiled to WebAssembly
 * (npm:libsodium-wrappers). Nothing here is hand-written cryptography: every
 * operation is one libsodium call.
 *
 * libsodium is loaded on first use ({@link loadCurveCrypto}), not when zedge
 * is imported: it costs ~60 ms and ~22 MiB of RSS, which a process or robot
 * component that never speaks CURVE should not pay.
 *
 * The MESSAGE path (one box per frame, the whole cost of CURVE traffic)
 * calls libsodium's exported functions on a scratch area of its WebAssembly
 * memory instead of going through the wrappers, which allocate, copy and
 * free around every call: 2.5x the throughput for 16-byte frames. A
 * known-answer check at load time compares both paths and falls back to the
 * wrappers if a libsodium release ever changed that calling convention.
 *
 * @module
 */
import { putUint64 } from "../bytes.ts";

/**
 * A Curve25519 key pair (32 bytes each).
 *
 * @example
 * ```ts
 * import { loadCurveCrypto } from "./curve_crypto.ts";
 * const { publicKey, secretKey } = (await loadCurveCrypto()).keyPair();
 * ```
 */
export interface CurveKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/**
 * A message frame taken out of its box: the MESSAGE flags byte and the body.
 *
 * @example
 * ```ts
 * import type { OpenedFrame } from "./curve_crypto.ts";
 * const frame: OpenedFrame = { flags: 0x01, body: new Uint8Array([1, 2]) };
 * ```
 */
export interface OpenedFrame {
  flags: number;
  body: Uint8Array;
}

/**
 * The operations CurveZMQ is built from. Boxes are in libsodium's "easy"
 * layout (the 16-byte MAC, then the ciphertext), which is what CurveZMQ puts
 * on the wire; an `open…` that fails to authenticate returns null.
 *
 * @example
 * ```ts
 * import { loadCurveCrypto } from "./curve_crypto.ts";
 * const crypto = await loadCurveCrypto();
 * const alice = crypto.keyPair(), bob = crypto.keyPair();
 * const nonce = crypto.randomBytes(24);
 * const box = crypto.box(new Uint8Array([42]), nonce, bob.publicKey, alice.secretKey);
 * crypto.openBox(box, nonce, alice.publicKey, bob.secretKey); // Uint8Array [42]
 * ```
 */
export interface CurveCrypto {
  /** Bytes from libsodium's CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** A fresh key pair. */
  keyPair(): CurveKeyPair;
  /** The public key that belongs to `secretKey`. */
  publicKeyOf(secretKey: Uint8Array): Uint8Array;
  /** `crypto_box`: from the holder of `secretKey` to the holder of `publicKey`'s secret. */
  box(
    message: Uint8Array,
    nonce: Uint8Array,
    publicKey: Uint8Array,
    secretKey: Uint8Array,
  ): Uint8Array;
  /** Opens a {@link box}. */
  openBox(
    box: Uint8Array,
    nonce: Uint8Array,
    publicKey: Uint8Array,
    secretKey: Uint8Array,
  ): Uint8Array | null;
  /** `crypto_secretbox` under a 32-byte symmetric key (CurveZMQ's cookie). */
  secretBox(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** Opens a {@link secretBox}. */
  openSecretBox(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
  /** `crypto_box_beforenm`: the key both ends of a box share, computed once per connection. */
  precompute(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** A box under a {@link precompute}d key. */
  boxWith(message: Uint8Array, nonce: Uint8Array, sharedKey: Uint8Array): Uint8Array;
  /** Opens a {@link boxWith}. */
  openBoxWith(box: Uint8Array, nonce: Uint8Array, sharedKey: Uint8Array): Uint8Array | null;
  /**
   * Boxes one frame as a whole CurveZMQ MESSAGE command body — `\x07MESSAGE`,
   * the 8-byte short nonce, then Box[flags + body] under the 24-byte nonce
   * `prefix` + short nonce. The result is a view of scratch memory, valid
   * until the next call: copy it (a FrameWriter does) before sealing again.
   */
  sealMessage(
    sharedKey: Uint8Array,
    prefix: Uint8Array,
    nonce: number,
    flags: number,
    body: Uint8Array,
  ): Uint8Array;
  /**
   * Opens a MESSAGE (`\x07MESSAGE`, short nonce, box — as {@link
   * sealMessage} makes it) under `prefix` + that nonce; null when it does
   * not authenticate. The body is a fresh copy.
   */
  openMessage(sharedKey: Uint8Array, prefix: Uint8Array, frame: Uint8Array): OpenedFrame | null;
}

/** The parts of libsodium-wrappers this module calls (typed here: its .d.ts omits `libsodium`). */
interface Sodium {
  ready: Promise<void>;
  randombytes_buf(length: number): Uint8Array;
  crypto_box_keypair(): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_scalarmult_base(secretKey: Uint8Array): Uint8Array;
  crypto_box_easy(m: Uint8Array, n: Uint8Array, pk: Uint8Array, sk: Uint8Array): Uint8Array;
  crypto_box_open_easy(c: Uint8Array, n: Uint8Array, pk: Uint8Array, sk: Uint8Array): Uint8Array;
  crypto_secretbox_easy(m: Uint8Array, n: Uint8Array, k: Uint8Array): Uint8Array;
  crypto_secretbox_open_easy(c: Uint8Array, n: Uint8Array, k: Uint8Array): Uint8Array;
  crypto_box_beforenm(pk: Uint8Array, sk: Uint8Array): Uint8Array;
  crypto_box_easy_afternm(m: Uint8Array, n: Uint8Array, k: Uint8Array): Uint8Array;
  crypto_box_open_easy_afternm(c: Uint8Array, n: Uint8Array, k: Uint8Array): Uint8Array;
  libsodium?: RawSodium;
}

/** libsodium's own exports (Emscripten): C functions on pointers into its memory. */
interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  // (c, m, mlen low 32 bits, mlen high 32 bits, n, k) → 0 on success
  _crypto_box_easy_afternm(
    c: number,
    m: number,
    lo: number,
    hi: number,
    n: number,
    k: number,
  ): number;
  _crypto_box_open_easy_afternm(
    m: number,
    c: number,
    lo: number,
    hi: number,
    n: number,
    k: number,
  ): number;
}

const MAC_BYTES = 16;
/** Opened frames up to an eighth of this share one buffer (see ScratchBoxes). */
const SLAB_BYTES = 64 * 1024;
const MESSAGE_NAME = new Uint8Array([7, 0x4d, 0x45, 0x53, 0x53, 0x41, 0x47, 0x45]); // \x07MESSAGE
/** MESSAGE command body bytes before the box: the name and the short nonce. */
const MESSAGE_HEADER = MESSAGE_NAME.length + 8;

/** Sealing and opening MESSAGE boxes (see {@link CurveCrypto.sealMessage}). */
interface MessageBoxes {
  seal(
    sharedKey: Uint8Array,
    prefix: Uint8Array,
    nonce: number,
    flags: number,
    body: Uint8Array,
  ): Uint8Array;
  open(sharedKey: Uint8Array, prefix: Uint8Array, frame: Uint8Array): OpenedFrame | null;
}

/** Calls that throw on a box that does not authenticate, as null instead. */
function orNull(open: () => Uint8Array): Uint8Array | null {
  try {
    return open();
  } catch {
    return null;
  }
}

/**
 * The MESSAGE fast path on libsodium's memory. Two scratch regions, one to
 * seal and one to open, each laid out as key (32) | nonce (24) | input |
 * output and grown for large frames. What stays the same from frame to
 * frame (the connection's key, the nonce prefix, the command name) is
 * copied only when it changes; a received frame is copied in once, placed
 * so that its short nonce completes the nonce and its box is the input.
 *
 * Opened bodies are views of a shared slab rather than buffers of their
 * own: allocating an ArrayBuffer costs about 0.5 µs here, more than opening
 * a 16-byte box. A held frame keeps its slab alive, as a held plain frame
 * keeps the read it arrived in (see the decoder).
 */
class ScratchBoxes implements MessageBoxes {
  readonly #raw: RawSodium;
  #base = 0;
  #capacity = 0;
  #sealKey: Uint8Array | null = null;
  #sealPrefix: Uint8Array | null = null;
  #openKey: Uint8Array | null = null;
  #openPrefix: Uint8Array | null = null;
  #slab = new Uint8Array(0);
  #slabUsed = 0;

  constructor(raw: RawSodium) {
    this.#raw = raw;
    this.#reserve(4096);
  }

  /** Bytes one region takes for frames of up to `capacity` bytes. */
  static #region(capacity: number): number {
    return 32 + 24 + (capacity + 1) + (MESSAGE_HEADER + MAC_BYTES + capacity + 1);
  }

  /** Frees the scratch area and takes one that holds frames of `frame` bytes. */
  #reserve(frame: number): void {
    if (frame <= this.#capacity) return;
    if (this.#base !== 0) this.#raw._free(this.#base);
    // Round up so a stream of growing frames does not reallocate each time.
    let capacity = Math.max(4096, this.#capacity);
    while (capacity < frame) capacity *= 2;
    const base = this.#raw._malloc(2 * ScratchBoxes.#region(capacity));
    if (base === 0) throw new RangeError(`libsodium could not allocate ${capacity} bytes`);
    this.#base = base;
    this.#capacity = capacity;
    this.#sealKey =
      this.#sealPrefix =
      this.#openKey =
      this.#openPrefix =
        null;
    this.#raw.HEAPU8.set(MESSAGE_NAME, this.#sealOutput);
  }

  get #sealOutput(): number {
    return this.#base + 56 + this.#capacity + 1;
  }

  get #openBase(): number {
    return this.#base + ScratchBoxes.#region(this.#capacity);
  }

  seal(
    sharedKey: Uint8Array,
    prefix: Uint8Array,
    nonce: number,
    flags: number,
    body: Uint8Array,
  ): Uint8Array {
    this.#reserve(body.length + 1);
    const raw = this.#raw;
    const heap = raw.HEAPU8;
    const key = this.#base, full = key + 32, input = full + 24, output = this.#sealOutput;
    if (this.#sealKey !== sharedKey) heap.set(this.#sealKey = sharedKey, key);
    if (this.#sealPrefix !== prefix) heap.set(this.#sealPrefix = prefix, full);
    putUint64(heap, full + 16, nonce);
    putUint64(heap, output + MESSAGE_NAME.length, nonce);
    heap[input] = flags;
    if (body.length > 0) heap.set(body, input + 1);
    const length = body.length + 1;
    if (raw._crypto_box_easy_afternm(output + MESSAGE_HEADER, input, length, 0, full, key) !== 0) {
      throw new Error("libsodium crypto_box_easy_afternm failed");
    }
    return heap.subarray(output, output + MESSAGE_HEADER + MAC_BYTES + length);
  }

  open(sharedKey: Uint8Array, prefix: Uint8Array, frame: Uint8Array): OpenedFrame | null {
    const boxLength = frame.length - MESSAGE_HEADER;
    if (boxLength < MAC_BYTES + 1) return null;
    this.#reserve(boxLength);
    const raw = this.#raw;
    const heap = raw.HEAPU8;
    const key = this.#openBase, full = key + 32, input = full + 24, output = input + boxLength;
    if (this.#openKey !== sharedKey) heap.set(this.#openKey = sharedKey, key);
    if (this.#openPrefix !== prefix) heap.set((this.#openPrefix = prefix).subarray(0, 8), full);
    // The frame's name lands on the prefix's second half (restored below),
    // its short nonce ends the nonce, its box is the input.
    heap.set(frame, full + 8);
    for (let i = 8; i < 16; i++) heap[full + i] = prefix[i];
    if (raw._crypto_box_open_easy_afternm(output, input, boxLength, 0, full, key) !== 0) {
      return null;
    }
    const body = this.#take(boxLength - MAC_BYTES - 1);
    body.set(heap.subarray(output + 1, output + 1 + body.length));
    return { flags: heap[output], body };
  }

  /** A `length`-byte buffer: a view of the slab for small frames, its own for large ones. */
  #take(length: number): Uint8Array {
    if (length > SLAB_BYTES / 8) return new Uint8Array(length);
    if (this.#slabUsed + length > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const at = this.#slabUsed;
    this.#slabUsed += length;
    return this.#slab.subarray(at, at + length);
  }
}

function createCurveCrypto(sodium: Sodium): CurveCrypto {
  const boxWith = (m: Uint8Array, n: Uint8Array, k: Uint8Array) =>
    sodium.crypto_box_easy_afternm(m, n, k);
  const openBoxWith = (c: Uint8Array, n: Uint8Array, k: Uint8Array) =>
    orNull(() => sodium.crypto_box_open_easy_afternm(c, n, k));
  const fullNonce = (prefix: Uint8Array, short: Uint8Array) => {
    const nonce = new Uint8Array(24);
    nonce.set(prefix);
    nonce.set(short, 16);
    return nonce;
  };
  // The wrappers' path, used when the scratch path is unavailable or fails its check.
  const portable: MessageBoxes = {
    seal(k: Uint8Array, prefix: Uint8Array, counter: number, flags: number, body: Uint8Array) {
      const short = new Uint8Array(8);
      putUint64(short, 0, counter);
      const plain = new Uint8Array(body.length + 1);
      plain[0] = flags;
      plain.set(body, 1);
      const box = boxWith(plain, fullNonce(prefix, short), k);
      const out = new Uint8Array(MESSAGE_HEADER + box.length);
      out.set(MESSAGE_NAME);
      out.set(short, MESSAGE_NAME.length);
      out.set(box, MESSAGE_HEADER);
      return out;
    },
    open(k: Uint8Array, prefix: Uint8Array, frame: Uint8Array): OpenedFrame | null {
      if (frame.length < MESSAGE_HEADER + MAC_BYTES + 1) return null;
      const nonce = fullNonce(prefix, frame.subarray(MESSAGE_NAME.length, MESSAGE_HEADER));
      const plain = openBoxWith(frame.subarray(MESSAGE_HEADER), nonce, k);
      return plain === null ? null : { flags: plain[0], body: plain.subarray(1) };
    },
  };
  let fast: MessageBoxes = portable;
  if (sodium.libsodium?._crypto_box_easy_afternm !== undefined) {
    const scratch = new ScratchBoxes(sodium.libsodium);
    if (agrees(scratch, portable, sodium)) fast = scratch;
  }
  return {
    randomBytes: (length) => sodium.randombytes_buf(length),
    keyPair() {
      const { publicKey, privateKey } = sodium.crypto_box_keypair();
      return { publicKey, secretKey: privateKey };
    },
    publicKeyOf: (secretKey) => sodium.crypto_scalarmult_base(secretKey),
    box: (m, n, pk, sk) => sodium.crypto_box_easy(m, n, pk, sk),
    openBox: (c, n, pk, sk) => orNull(() => sodium.crypto_box_open_easy(c, n, pk, sk)),
    secretBox: (m, n, k) => sodium.crypto_secretbox_easy(m, n, k),
    openSecretBox: (c, n, k) => orNull(() => sodium.crypto_secretbox_open_easy(c, n, k)),
    precompute: (pk, sk) => sodium.crypto_box_beforenm(pk, sk),
    boxWith,
    openBoxWith,
    sealMessage: (k, prefix, nonce, flags, body) => fast.seal(k, prefix, nonce, flags, body),
    openMessage: (k, prefix, frame) => fast.open(k, prefix, frame),
  };
}

/** The known-answer check: the scratch path must box and open exactly as the wrappers do. */
function agrees(scratch: MessageBoxes, portable: MessageBoxes, sodium: Sodium): boolean {
  try {
    const key = sodium.randombytes_buf(32);
    const prefix = sodium.randombytes_buf(16);
    for (const size of [0, 1, 300, 5000]) {
      const body = sodium.randombytes_buf(size);
      const fast = scratch.seal(key, prefix, 0x123456789, 1, body).slice();
      const slow = portable.seal(key, prefix, 0x123456789, 1, body);
      if (fast.length !== slow.length || fast.some((b, i) => b !== slow[i])) return false;
      const opened = scratch.open(key, prefix, slow);
      if (opened === null || opened.flags !== 1 || opened.body.some((b, i) => b !== body[i])) {
        return false;
      }
      const tampered = slow.slice();
      tampered[tampered.length - 1] ^= 1;
      if (scratch.open(key, prefix, tampered) !== null) return false;
    }
    return true;
  } catch {
    return false;
  }
}

let loading: Promise<CurveCrypto> | null = null;
let loaded: CurveCrypto | null = null;

/**
 * Loads libsodium (once per isolate) and resolves the CurveZMQ operations.
 *
 * @example
 * ```ts
 * import { loadCurveCrypto } from "./curve_crypto.ts";
 * const crypto = await loadCurveCrypto();
 * crypto.randomBytes(16).length; // 16
 * ```
 */
export function loadCurveCrypto(): Promise<CurveCrypto> {
  loading ??= (async () => {
    const module = await import("libsodium-wrappers");
    const sodium = (module.default ?? module) as unknown as Sodium;
    await sodium.ready;
    loaded = createCurveCrypto(sodium);
    return loaded;
  })();
  return loading;
}

/**
 * The CurveZMQ operations if {@link loadCurveCrypto} has finished, else null.
 *
 * @example
 * ```ts
 * import { loadedCurveCrypto } from "./curve_crypto.ts";
 * loadedCurveCrypto(); // null until loadCurveCrypto() resolves
 * ```
 */
export function loadedCurveCrypto(): CurveCrypto | null {
  return loaded;
}
