/**
 * CURVE key files in czmq's certificate format (zcert: ZPL text with a
 * `curve` section), which czmq, pyzmq's `zmq.auth` and zedge all read: a
 * public certificate (`NAME.pub`, to hand out) holds the public key, a
 * secret one (`NAME.key`, mode 0600, never shared) both keys.
 *
 * ```
 * #   ****  Generated on 2026-12-01 20:00:00 by zedge  ****
 * #   ZeroMQ CURVE Public Certificate
 * ...
 * metadata
 * curve
 *     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 * ```
 *
 * @module
 */
import { ZedgeError } from "../errors.ts";
import { dirname, join, resolve } from "node:path";
import { loadCurveCrypto, z85Decode, z85Encode } from "../zmtp/mod.ts";
import { createPrivateFile } from "./private_file.ts";

/**
 * A certificate's keys (Z85) and metadata.
 *
 * @example
 * ```ts
 * import type { Certificate } from "./certificates.ts";
 * const cert: Certificate = {
 *   publicKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
 *   secretKey: null,
 *   metadata: {},
 * };
 * ```
 */
export interface Certificate {
  /** The public key (Z85). */
  publicKey: string;
  /** Null in a public certificate. */
  secretKey: string | null;
  /** The `metadata` section's name = value pairs. */
  metadata: Record<string, string>;
}

/**
 * A key file that cannot be used, with the file (and line) in the message.
 *
 * @example
 * ```ts
 * import { CertificateError } from "./certificates.ts";
 * new CertificateError("keys/robot.pub:7: public-key is not 40 Z85 characters").message;
 * ```
 */
export class CertificateError extends ZedgeError {
  /** Always `"certificate"`. */
  readonly code: string = "certificate";
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CertificateError";
  }
}

const HEADERS = {
  public: [
    "   ZeroMQ CURVE Public Certificate",
    "   Exchange securely, or use a secure mechanism to verify the contents",
    "   of this file after exchange. Store public certificates in your home",
    "   directory, in the .curve subdirectory.",
  ],
  secret: [
    "   ZeroMQ CURVE **Secret** Certificate",
    "   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
  ],
};

/**
 * A fresh key pair (Z85).
 *
 * @example
 * ```ts
 * import { generateKeyPair } from "./certificates.ts";
 * const { publicKey, secretKey } = await generateKeyPair();
 * ```
 */
export async function generateKeyPair(): Promise<{ publicKey: string; secretKey: string }> {
  const pair = (await loadCurveCrypto()).keyPair();
  return { publicKey: z85Encode(pair.publicKey), secretKey: z85Encode(pair.secretKey) };
}

/**
 * The text of a certificate file: the public one, or the secret one (both
 * keys) when `cert.secretKey` is set and `kind` is "secret".
 *
 * @example
 * ```ts
 * import { formatCertificate } from "./certificates.ts";
 * formatCertificate({ publicKey: "0".repeat(40), secretKey: null, metadata: {} }, "public");
 * ```
 */
export function formatCertificate(
  cert: Certificate,
  kind: "public" | "secret",
  now: Date = new Date(),
): string {
  if (kind === "secret" && cert.secretKey === null) {
    throw new CertificateError("a secret certificate needs the secret key");
  }
  const stamp = now.toISOString().replace("T", " ").slice(0, 19);
  const lines = [
    `#   ****  Generated on ${stamp} by zedge  ****`,
    ...HEADERS[kind].map((h) => `#${h}`),
  ];
  lines.push("", "metadata");
  for (const [name, value] of Object.entries(cert.metadata)) {
    lines.push(`    ${name} = ${quote(value)}`);
  }
  lines.push("curve", `    public-key = ${quote(cert.publicKey)}`);
  if (kind === "secret") lines.push(`    secret-key = ${quote(cert.secretKey!)}`);
  return lines.join("\n") + "\n";
}

function quote(value: string): string {
  // ZPL values are quoted so that a '#' in a Z85 key is not a comment; Z85
  // never contains the double quote.
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

/**
 * Parses a certificate (ZPL): the `curve` section's public-key (and
 * secret-key), the `metadata` section. Errors name `source` and the line.
 *
 * @example
 * ```ts
 * import { formatCertificate, parseCertificate } from "./certificates.ts";
 * const text = formatCertificate({ publicKey: "0".repeat(40), secretKey: null, metadata: {} }, "public");
 * parseCertificate(text, "robot.pub").publicKey; // "0000…"
 * ```
 */
export function parseCertificate(text: string, source: string): Certificate {
  const values = new Map<string, { value: string; line: number }>();
  const path: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trimStart();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const indent = raw.length - trimmed.length;
    if (indent % 4 !== 0) {
      throw new CertificateError(`${source}:${line}: indent by multiples of 4 spaces`);
    }
    const depth = indent / 4;
    if (depth > path.length) throw new CertificateError(`${source}:${line}: indented too far`);
    const match = /^([A-Za-z0-9$\-_@.&+/]+)\s*(?:=\s*(.*))?$/.exec(trimmed);
    if (match === null) {
      throw new CertificateError(`${source}:${line}: not a ZPL 'name = value' line`);
    }
    path.length = depth;
    path.push(match[1]);
    if (match[2] !== undefined) values.set(path.join("/"), { value: unquote(match[2]), line });
  });
  const key = (name: string) => {
    const entry = values.get(`curve/${name}`);
    if (entry === undefined) return null;
    let bytes: Uint8Array;
    try {
      bytes = z85Decode(entry.value);
    } catch (error) {
      throw new CertificateError(`${source}:${entry.line}: ${name}: ${(error as Error).message}`);
    }
    if (bytes.length !== 32) {
      throw new CertificateError(
        `${source}:${entry.line}: ${name} is ${entry.value.length} characters; a key is 40`,
      );
    }
    return entry.value;
  };
  const publicKey = key("public-key");
  if (publicKey === null) throw new CertificateError(`${source}: no curve/public-key`);
  const metadata: Record<string, string> = {};
  for (const [name, { value }] of values) {
    if (name.startsWith("metadata/")) metadata[name.slice("metadata/".length)] = value;
  }
  return { publicKey, secretKey: key("secret-key"), metadata };
}

function unquote(value: string): string {
  const text = value.trim();
  const quoted = /^"([^"]*)"|^'([^']*)'/.exec(text);
  if (quoted !== null) return quoted[1] ?? quoted[2];
  const comment = text.indexOf("#");
  return (comment < 0 ? text : text.slice(0, comment)).trim();
}

/**
 * Reads a certificate file. A secret certificate's public key must belong
 * to its secret key.
 *
 * @example
 * ```ts
 * import { readCertificate } from "./certificates.ts";
 * const cert = await readCertificate("keys/robot.key");
 * cert.secretKey !== null; // a secret certificate
 * ```
 */
export async function readCertificate(path: string): Promise<Certificate> {
  const cert = readCertificateSync(path);
  if (cert.secretKey !== null) {
    const crypto = await loadCurveCrypto();
    const derived = z85Encode(crypto.publicKeyOf(z85Decode(cert.secretKey)));
    if (derived !== cert.publicKey) {
      throw new CertificateError(`${path}: public-key is not the public key of its secret-key`);
    }
  }
  return cert;
}

/**
 * Reads and parses a certificate file at once, without {@link
 * readCertificate}'s check that a secret certificate's keys belong together
 * (that needs libsodium, which loads asynchronously; a socket given a
 * mismatched pair refuses it when it binds or connects).
 *
 * @example
 * ```ts
 * import { readCertificateSync } from "./certificates.ts";
 * readCertificateSync("keys/robot.pub").publicKey;
 * ```
 */
export function readCertificateSync(path: string): Certificate {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new CertificateError(`cannot read the key file ${path}: ${(error as Error).message}`);
  }
  return parseCertificate(text, path);
}

/** The keys of a secret certificate; a public one is refused with what to give instead. */
function secretKeysOf(cert: Certificate, path: string): { publicKey: string; secretKey: string } {
  if (cert.secretKey === null) {
    throw new CertificateError(
      `${path} is a public certificate (no secret-key): give the secret one (NAME.key)`,
    );
  }
  return { publicKey: cert.publicKey, secretKey: cert.secretKey };
}

/**
 * {@link readSecretCertificate} at once, without the key pair check (see
 * {@link readCertificateSync}).
 *
 * @example
 * ```ts
 * import { readSecretCertificateSync } from "./certificates.ts";
 * const { secretKey } = readSecretCertificateSync("keys/robot.key");
 * ```
 */
export function readSecretCertificateSync(path: string): { publicKey: string; secretKey: string } {
  return secretKeysOf(readCertificateSync(path), path);
}

/**
 * Reads a secret certificate (as `--curve-secret FILE` and `secretKey:`
 * name it); a public one is refused with what to give instead.
 *
 * @example
 * ```ts
 * import { readSecretCertificate } from "./certificates.ts";
 * const { publicKey, secretKey } = await readSecretCertificate("keys/robot.key");
 * ```
 */
export async function readSecretCertificate(
  path: string,
): Promise<{ publicKey: string; secretKey: string }> {
  return secretKeysOf(await readCertificate(path), path);
}

/**
 * Writes a new key pair as `BASE.key` (secret, mode 0600) and `BASE.pub`;
 * refuses to overwrite either unless `force`.
 *
 * @example
 * ```ts
 * import { writeCertificatePair } from "./certificates.ts";
 * const { secretFile, publicFile, publicKey } = await writeCertificatePair("keys/robot");
 * ```
 */
export async function writeCertificatePair(
  base: string,
  options: { force?: boolean; metadata?: Record<string, string> } = {},
): Promise<{ secretFile: string; publicFile: string; publicKey: string }> {
  const secretFile = `${base}.key`, publicFile = `${base}.pub`;
  if (!options.force) {
    for (const file of [secretFile, publicFile]) {
      if (await exists(file)) {
        throw new CertificateError(`${file} exists; remove it or pass --force to replace the pair`);
      }
    }
  }
  await Deno.mkdir(dirname(resolve(base)), { recursive: true });
  const { publicKey, secretKey } = await generateKeyPair();
  const cert = { publicKey, secretKey, metadata: options.metadata ?? {} };
  // Both files are new (a --force replaces what was there, never writing through a link another
  // user left): the secret one 0600 before a single key byte is in it.
  const write = async (path: string, text: string, mode: number) => {
    const file = await createPrivateFile(path, { replace: options.force, mode });
    try {
      const bytes = new TextEncoder().encode(text);
      for (let n = 0; n < bytes.length;) n += await file.write(bytes.subarray(n));
    } finally {
      file.close();
    }
  };
  await write(secretFile, formatCertificate(cert, "secret"), 0o600);
  await write(publicFile, formatCertificate(cert, "public"), 0o644);
  return { secretFile, publicFile, publicKey };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * A public key given as Z85 text or as the path of a certificate file
 * (public or secret; relative paths from `baseDir`): as remotes.yaml's
 * `serverKey`, `--curve-server-key` and the YAML files' keys take it.
 *
 * @example
 * ```ts
 * import { resolvePublicKey } from "./certificates.ts";
 * await resolvePublicKey("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"); // the key itself
 * await resolvePublicKey("keys/server.pub"); // the key in the file
 * ```
 */
export function resolvePublicKey(value: string, baseDir = "."): Promise<string> {
  try {
    return Promise.resolve(resolvePublicKeySync(value, baseDir));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * {@link resolvePublicKey} at once (a public key needs no check).
 *
 * @example
 * ```ts
 * import { resolvePublicKeySync } from "./certificates.ts";
 * resolvePublicKeySync("keys/server.pub");
 * ```
 */
export function resolvePublicKeySync(value: string, baseDir = "."): string {
  const path = resolve(baseDir, value);
  if (namesKey(value, path)) return value;
  let found = true;
  try {
    Deno.lstatSync(path);
  } catch {
    found = false;
  }
  if (!found && value.length === 40) {
    throw new CertificateError(`'${value}' is neither a Z85 key nor a certificate file`);
  }
  return readCertificateSync(path).publicKey;
}

/**
 * Whether a value written where a key or a key file may go (an allow list
 * entry, `serverKey`) is the key itself: 40 characters of Z85 that name no
 * file or directory at `path` (where the value would be as a path). An
 * existing path wins: `/tmp/zedge-test-0123456789abcdef/clients` is 40
 * characters of Z85 as well.
 *
 * @example
 * ```ts
 * import { namesKey } from "./certificates.ts";
 * namesKey("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"); // true (no such file)
 * namesKey("keys/server.pub"); // false
 * ```
 */
export function namesKey(value: string, path: string = value): boolean {
  if (!isZ85Key(value)) return false;
  try {
    Deno.lstatSync(path);
    return false;
  } catch {
    return true;
  }
}

/**
 * True for 40 characters of Z85 (a 32-byte key).
 *
 * @example
 * ```ts
 * import { isZ85Key } from "./certificates.ts";
 * isZ85Key("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"); // true
 * isZ85Key("keys/server.pub"); // false
 * ```
 */
export function isZ85Key(value: string): boolean {
  if (value.length !== 40) return false;
  try {
    z85Decode(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a file in an allow directory is not even read: czmq's secret
 * certificates (`NAME_secret`, pyzmq's `NAME.key_secret`) and hidden files.
 * Other secret certificates (zedge's `NAME.key`) are read and skipped for
 * what they hold — pyzmq names its *public* certificates `NAME.key`.
 *
 * @example
 * ```ts
 * import { isSkippedCertificateName } from "./certificates.ts";
 * isSkippedCertificateName("server.key_secret"); // true
 * isSkippedCertificateName("robot.pub"); // false
 * ```
 */
export function isSkippedCertificateName(name: string): boolean {
  return name.endsWith("_secret") || name.startsWith(".");
}

/**
 * The public keys of an allow list entry: a Z85 key, a certificate file,
 * or a directory of certificate files (every public certificate in it, as
 * czmq's zcertstore; secret ones are left out). Maps each key to the file
 * it came from.
 *
 * @example
 * ```ts
 * import { readPublicKeys } from "./certificates.ts";
 * const keys = await readPublicKeys(["keys/clients/", "keys/operator.pub"]);
 * keys.size; // how many clients are allowed
 * ```
 */
export async function readPublicKeys(
  entries: readonly string[],
  baseDir = ".",
): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const entry of entries) {
    const path = resolve(baseDir, entry);
    if (namesKey(entry, path)) {
      keys.set(entry, "(given as a key)");
      continue;
    }
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      throw new CertificateError(
        `cannot read the allow list entry ${path}: ${(error as Error).message}`,
      );
    }
    if (!info.isDirectory) {
      keys.set((await readCertificate(path)).publicKey, path);
      continue;
    }
    const names: string[] = [];
    for await (const item of Deno.readDir(path)) {
      if (item.isFile && !isSkippedCertificateName(item.name)) names.push(item.name);
    }
    for (const name of names.sort()) {
      const file = join(path, name);
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch (error) {
        throw new CertificateError(`cannot read the key file ${file}: ${(error as Error).message}`);
      }
      const cert = parseCertificate(text, file);
      if (cert.secretKey === null) keys.set(cert.publicKey, file);
    }
  }
  return keys;
}
