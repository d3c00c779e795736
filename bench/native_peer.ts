/**
 * The native libzmq benchmark peer: bench/native/zmq_peer.c, compiled here
 * with `cc -O2 … -lzmq` against libzmq3-dev (tests/peers/install.ts
 * installs it), once per source version into the temp directory, and the
 * command line that starts it for one peer config of bench/zmq.ts.
 *
 * @example
 * ```ts
 * import { buildNativePeer, nativeCommand } from "./native_peer.ts";
 * const binary = await buildNativePeer();
 * console.log(nativeCommand(binary, { role: "pull", size: 16, warmup: 0.5, duration: 2 }));
 * ```
 *
 * @module
 */

const SOURCE = new URL("./native/zmq_peer.c", import.meta.url).pathname;

/**
 * Compiles the peer if needed; resolves with the binary's path, or rejects
 * with the compiler's message (libzmq3-dev or cc missing).
 *
 * @example
 * ```ts
 * const binary = await buildNativePeer();
 * ```
 */
export async function buildNativePeer(): Promise<string> {
  const source = await Deno.readFile(SOURCE);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", source));
  const tag = [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const binary = `${Deno.env.get("TMPDIR") ?? "/tmp"}/zedge-native-peer-${tag}`;
  try {
    await Deno.stat(binary);
    return binary;
  } catch {
    // not built yet
  }
  const out = await new Deno.Command("cc", {
    args: ["-O2", "-o", `${binary}.part`, SOURCE, "-lzmq", "-lpthread"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `cc ${SOURCE} -lzmq failed (apt-get install libzmq3-dev gcc): ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
  await Deno.rename(`${binary}.part`, binary);
  return binary;
}

/**
 * The argv that starts `binary` as the peer described by a bench/zmq.ts
 * config (`role`, `size`, `endpoint`, `warmup`, `duration`, `count`).
 *
 * @example
 * ```ts
 * nativeCommand("/tmp/peer", { role: "req", endpoint: "tcp://127.0.0.1:5555", size: 16, warmup: 0.5, duration: 2 });
 * // ["/tmp/peer", "req", "16", "tcp://127.0.0.1:5555", "0.5", "2", "1"]
 * ```
 */
export function nativeCommand(binary: string, config: Record<string, unknown>): string[] {
  if (config.curve !== undefined) throw new Error("the native peer has no CURVE case");
  return [
    binary,
    String(config.role),
    String(config.size ?? 16),
    String(config.endpoint ?? "-"),
    String(config.warmup ?? 0),
    String(config.duration ?? 0),
    String(config.count ?? 1),
  ];
}
