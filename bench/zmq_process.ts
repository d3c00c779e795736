/**
 * A benchmark peer running in its own process (zedge, pyzmq or zeromq.js),
 * driven over stdio: it prints one JSON object per line on stdout, reads
 * control lines ("go") on stdin, and exits when its stdin is closed.
 *
 * @module
 */

/** One JSON line a peer printed. */
export type PeerReport = Record<string, unknown>;

/**
 * A spawned peer process. Always `stop()` it: that closes its stdin (the peer
 * exits on EOF) and kills it by pid if it does not leave within the grace time.
 *
 * @example
 * ```ts
 * const peer = new PeerProcess("pyzmq pull", [
 *   "/usr/bin/python3",
 *   "tests/peers/python/bench_peer.py",
 *   JSON.stringify({ role: "pull", warmup: 0.5, duration: 2 }),
 * ]);
 * try {
 *   const { endpoint } = await peer.next(10_000);
 *   console.log(endpoint);
 * } finally {
 *   await peer.stop();
 * }
 * ```
 */
export class PeerProcess {
  /** Names the peer in errors, e.g. "pyzmq push". */
  readonly label: string;
  #child: Deno.ChildProcess;
  #lines: ReadableStreamDefaultReader<string>;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stderr: Promise<string>;
  #stopped = false;

  /**
   * Spawns `command[0]` with the remaining arguments.
   *
   * @example
   * ```ts
   * const peer = new PeerProcess("node rep", ["node", "bench_peer.mjs", '{"role":"rep","size":16}']);
   * await peer.stop();
   * ```
   */
  constructor(label: string, command: string[], cwd?: string) {
    this.label = label;
    this.#child = new Deno.Command(command[0], {
      args: command.slice(1),
      cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#lines = this.#child.stdout
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(splitLines())
      .getReader();
    // Drained all along, so a chatty peer never blocks on a full stderr pipe.
    this.#stderr = new Response(this.#child.stderr).text().catch(() => "");
  }

  /**
   * The next JSON line the peer prints, or an error naming the peer (with the
   * end of its stderr) if it exits, prints something else, or stays silent
   * for `timeoutMs`.
   *
   * @example
   * ```ts
   * const peer = new PeerProcess("pyzmq rep", ["/usr/bin/python3", "bench_peer.py", '{"role":"rep","size":16}']);
   * const { endpoint } = await peer.next(10_000);
   * await peer.stop();
   * ```
   */
  async next(timeoutMs: number): Promise<PeerReport> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const read = await Promise.race([this.#lines.read(), timeout]);
      if (read === "timeout") {
        throw await this.#failure(`printed nothing for ${timeoutMs} ms`);
      }
      if (read.done) throw await this.#failure("exited before reporting");
      let report: unknown;
      try {
        report = JSON.parse(read.value);
      } catch {
        throw await this.#failure(`printed a line that is not JSON: ${read.value.slice(0, 200)}`);
      }
      if (typeof report !== "object" || report === null || Array.isArray(report)) {
        throw await this.#failure(
          `printed JSON that is not an object: ${read.value.slice(0, 200)}`,
        );
      }
      return report as PeerReport;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The peer's process id (bench/reqrep_probe.ts reads its CPU time from /proc).
   *
   * @example
   * ```ts
   * const peer = new PeerProcess("pyzmq rep", ["/usr/bin/python3", "bench_peer.py", '{"role":"rep","size":16}']);
   * console.log(peer.pid);
   * await peer.stop();
   * ```
   */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Writes one control line (e.g. "go") to the peer's stdin.
   *
   * @example
   * ```ts
   * const publisher = new PeerProcess("pyzmq pub", ["/usr/bin/python3", "bench_peer.py", '{"role":"pub","size":16}']);
   * await publisher.send("go");
   * await publisher.stop();
   * ```
   */
  async send(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /**
   * Closes the peer's stdin, waits up to `graceMs` for it to exit, then kills
   * it (this process only, by its pid). Safe to call twice.
   *
   * @example
   * ```ts
   * const peer = new PeerProcess("pyzmq push", ["/usr/bin/python3", "bench_peer.py", "{}"]);
   * await peer.stop(500);
   * ```
   */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#stdin.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // It exited between the race and the kill.
      }
    }
    await this.#child.status;
    await this.#lines.cancel().catch(() => {});
    await this.#stderr;
  }

  async #failure(what: string): Promise<Error> {
    // Give a dying peer a moment so its last stderr words are included.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      this.#child.status,
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), 300);
      }),
    ]);
    clearTimeout(timer);
    let detail = "";
    if (status !== null) {
      detail = ` (exit code ${status.code}): ${(await this.#stderr).trim().slice(-800)}`;
    }
    return new Error(`${this.label} ${what}${detail}`);
  }
}

/** Splits a text stream into lines without their line ends. */
function splitLines(): TransformStream<string, string> {
  let buffered = "";
  return new TransformStream<string, string>({
    transform(chunk, controller) {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") controller.enqueue(line.trimEnd());
    },
    flush(controller) {
      if (buffered.trim() !== "") controller.enqueue(buffered.trimEnd());
    },
  });
}
