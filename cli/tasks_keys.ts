/**
 * Key presses for `run-script`'s prompts. On a terminal one key is read in
 * raw mode, as ZTL does (Enter arrives as "\r"); from a pipe each line is one
 * answer — its first character, or Enter for an empty line — so the prompts
 * can be driven from a file or another program.
 *
 * @example
 * ```ts
 * import { KeyReader } from "./tasks_keys.ts";
 * const keys = new KeyReader(Deno.stdin);
 * const key = await keys.read(); // "\r", "\n", "r", ... or null at end of input
 * keys.close();
 * ```
 * @module
 */

/**
 * The parts of `Deno.stdin` the reader uses (so tests can pass their own).
 *
 * @example
 * ```ts
 * import type { KeySource } from "./tasks_keys.ts";
 * const source: KeySource = Deno.stdin;
 * ```
 */
export interface KeySource {
  readonly readable: ReadableStream<Uint8Array>;
  isTerminal(): boolean;
  setRaw?(mode: boolean, options?: { cbreak: boolean }): void;
}

/**
 * Reads keys from a terminal or lines from a pipe (see the module
 * documentation).
 *
 * @example
 * ```ts
 * import { KeyReader } from "./tasks_keys.ts";
 * const keys = new KeyReader(Deno.stdin);
 * keys.close();
 * ```
 */
export class KeyReader {
  readonly #source: KeySource;
  readonly #terminal: boolean;
  readonly #decoder = new TextDecoder();
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #buffer = "";
  #ended = false;

  constructor(source: KeySource) {
    this.#source = source;
    this.#terminal = source.isTerminal();
  }

  async #chunk(): Promise<boolean> {
    if (this.#ended) return false;
    this.#reader ??= this.#source.readable.getReader();
    const { value, done } = await this.#reader.read();
    if (done) {
      this.#ended = true;
      this.#buffer += this.#decoder.decode();
      return false;
    }
    this.#buffer += this.#decoder.decode(value, { stream: true });
    return true;
  }

  /** The next key, or null at end of input. */
  async read(): Promise<string | null> {
    if (this.#terminal) {
      // Raw only while waiting, so Ctrl-C between prompts still interrupts.
      this.#source.setRaw?.(true);
      try {
        while (this.#buffer.length === 0) if (!(await this.#chunk())) return null;
      } finally {
        this.#source.setRaw?.(false);
      }
      const key = [...this.#buffer][0];
      // A terminal sends whole escape sequences (arrows) at once: one key press.
      this.#buffer = "";
      return key;
    }
    while (!this.#buffer.includes("\n")) {
      if (!(await this.#chunk())) {
        if (this.#buffer.length === 0) return null;
        break;
      }
    }
    const newline = this.#buffer.indexOf("\n");
    const line = newline < 0 ? this.#buffer : this.#buffer.slice(0, newline);
    this.#buffer = newline < 0 ? "" : this.#buffer.slice(newline + 1);
    const answer = line.replace(/\r$/, "");
    return answer.length === 0 ? "\n" : [...answer][0];
  }

  /** Releases standard input. */
  close(): void {
    this.#reader?.releaseLock();
    this.#reader = null;
  }
}
