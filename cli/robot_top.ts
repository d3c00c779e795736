/**
 * `zedge robot top [-c robot.yaml | --control EP]`: the robot's live view
 * in a terminal, for SSH sessions — what the status page shows, refreshed
 * every second over the control endpoint (its `view` request), fitted to
 * the terminal. q or Ctrl-C quits and gives the terminal back as it was.
 * A supervisor that stops answering leaves the last screen up with the
 * reason on top, until it answers again.
 *
 * ```sh
 * zedge robot top -c examples/robot/robot.yaml
 * zedge robot top --control tcp://10.0.0.12:7700 --once --width 120
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { controlRequest, ControlUnreachableError } from "../robot/control.ts";
import type { LogLine, RobotView } from "../robot/observe/view.ts";
import { CliError } from "./errors.ts";
import type { RobotSource } from "./robot_common.ts";
import {
  askRobot,
  type RobotTarget,
  type RobotTargetFlags,
  withRobotTarget,
} from "./robot_target.ts";
import { formatTop } from "./robot_top_format.ts";
import { shutdownSignal } from "./shutdown.ts";

interface TopFlags extends RobotTargetFlags {
  interval: string;
  once?: boolean;
  width?: string;
}

/** Log lines kept between refreshes (more than any screen shows). */
const KEPT_LOG_LINES = 200;
const encoder = new TextEncoder();

/**
 * Fills in `zedge robot top` (the command made by the caller): the robot
 * is named as in every command that asks one (see `robot_target.ts`).
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { registerTop } from "./robot_top.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * registerTop(new Command("top"), fileRobotSource);
 * ```
 */
export function registerTop(command: Command, source: RobotSource): void {
  withRobotTarget<TopFlags>(
    command
      .description(
        "a refreshing terminal view of the running robot: components, tasks, pipelines, " +
          "topics, sockets and log (q or Ctrl-C quits)",
      )
      .option("--interval <ms>", "refresh every this many ms", "1000")
      .option("--once", "print one screen and exit")
      .option(
        "--width <columns>",
        "lay out for this many columns (default: the terminal's, or 80)",
      ),
    source,
    (target, _args, flags) => runTop(target, flags),
  );
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive integer`, 2);
  return n;
}

/** The terminal's size, when stdout is one. */
function terminalSize(): { columns: number; rows: number } | null {
  if (!Deno.stdout.isTerminal()) return null;
  try {
    return Deno.consoleSize();
  } catch {
    return null;
  }
}

async function runTop(target: RobotTarget, flags: TopFlags): Promise<void> {
  const intervalMs = positive(flags.interval, "--interval");
  const width = flags.width === undefined ? undefined : positive(flags.width, "--width");
  const layout = () => {
    const size = terminalSize();
    return { width: width ?? size?.columns ?? 80, height: size?.rows };
  };
  if (flags.once) {
    const endpoint = target.endpoint;
    const reply = await askRobot(target, { op: "view" });
    if (!("view" in reply)) throw new CliError("the supervisor sent no view (is it older?)");
    console.log(formatTop(reply.view, reply.logs, { ...layout(), endpoint }).join("\n"));
    return;
  }
  const { endpoint, timeoutMs, curve } = target;
  const screen = new Screen();
  const quit = quitRequested();
  try {
    screen.open();
    let view: RobotView | null = null;
    let logs: LogLine[] = [];
    let stop = false;
    quit.promise.then(() => stop = true);
    while (!stop) {
      let problem: string | undefined;
      try {
        const reply = await controlRequest(endpoint, {
          op: "view",
          logsAfter: logs.at(-1)?.seq ?? 0,
        }, { timeoutMs, curve });
        if (!reply.ok) problem = reply.error;
        else if (!("view" in reply)) problem = "the supervisor sent no view (is it older?)";
        else {
          view = reply.view;
          logs = [...logs, ...reply.logs].slice(-KEPT_LOG_LINES);
        }
      } catch (error) {
        if (!(error instanceof ControlUnreachableError)) throw error;
        problem = `${error.message}; trying again`;
      }
      if (stop) break;
      if (view === null) screen.draw([problem ?? "waiting for the supervisor…"]);
      else {screen.draw(
          formatTop(view, logs, { ...layout(), endpoint, problem, interactive: true }),
        );}
      await Promise.race([quit.promise, new Promise((resolve) => setTimeout(resolve, intervalMs))]);
    }
  } finally {
    quit.cancel();
    screen.close();
  }
}

/**
 * The terminal while top runs: the alternate screen with the cursor
 * hidden, each frame drawn over the last; a pipe gets each frame as plain
 * lines, a blank line after it.
 */
class Screen {
  readonly #terminal = Deno.stdout.isTerminal();
  #open = false;

  open(): void {
    this.#open = true;
    if (this.#terminal) this.#write("\x1b[?1049h\x1b[?25l");
  }

  draw(lines: string[]): void {
    if (this.#terminal) this.#write(`\x1b[H${lines.join("\x1b[K\n")}\x1b[K\x1b[J`);
    else this.#write(`${lines.join("\n")}\n\n`);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    if (this.#terminal) this.#write("\x1b[?25h\x1b[?1049l");
  }

  #write(text: string): void {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

/**
 * Resolves when the user asks to quit: q (or Ctrl-C, which a raw
 * terminal delivers as a byte) on the keyboard, a line with q on a piped
 * stdin, or SIGINT / SIGTERM. `cancel` gives the terminal its line mode
 * back and removes the signal handlers.
 */
function quitRequested(): { promise: Promise<void>; cancel: () => void } {
  const signal = shutdownSignal();
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  signal.promise.then(() => resolve());
  const raw = Deno.stdin.isTerminal();
  if (raw) Deno.stdin.setRaw(true, { cbreak: true });
  let reading = true;
  (async () => {
    const buffer = new Uint8Array(64);
    while (reading) {
      let n: number | null;
      try {
        n = await Deno.stdin.read(buffer);
      } catch {
        return;
      }
      if (n === null) return; // stdin closed: only a signal quits now
      for (const byte of buffer.subarray(0, n)) {
        // q, Q, Ctrl-C (0x03, raw mode), Ctrl-D (0x04)
        if (byte === 0x71 || byte === 0x51 || byte === 0x03 || byte === 0x04) {
          resolve();
          return;
        }
      }
    }
  })();
  return {
    promise,
    cancel: () => {
      reading = false;
      signal.cancel();
      if (raw) {
        try {
          Deno.stdin.setRaw(false);
        } catch { /* the terminal went away */ }
      }
    },
  };
}
