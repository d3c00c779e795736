/**
 * `zedge logs tail`: print the log records a robot (or any program with a
 * PUB log sink) publishes, live.
 *
 * ```sh
 * zedge logs tail tcp://robot:7790                          # everything
 * zedge logs tail tcp://robot:7790 --level warning --component planner
 * zedge logs tail tcp://robot:7790 --json | jq .message
 * ```
 *
 * @module
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  decodeLogMessage,
  isAtLeast,
  isLogLevel,
  LOG_LEVELS,
  type LogLevelName,
  type PublishedLogRecord,
} from "../core/logs/mod.ts";
import { Subscriber } from "../core/sockets/mod.ts";
import { EndpointError, parseEndpoint } from "../core/transport/mod.ts";
import { CliError } from "./errors.ts";
import { setupLogging } from "./logging.ts";
import { formatLogLine, type LineStyle, wantsColor } from "./logs_format.ts";
import { shutdownSignal } from "./shutdown.ts";

/** A log record is small; anything this big is not one, and is not buffered. */
const MAX_LOG_MESSAGE_SIZE = 1024 * 1024;
/** Malformed messages reported one by one; past this only their count, at the end. */
const MALFORMED_REPORTED = 3;

interface TailFlags {
  level: LogLevelName;
  component?: string[];
  robot?: string;
  json?: boolean;
  bind?: boolean;
  color: "auto" | "always" | "never";
}

/**
 * Registers `zedge logs tail`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./logs.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  const logs = program
    .command("logs")
    .description("read the log records robots publish over PUB (the robot YAML's logs: key)");
  logs
    .command("tail")
    // Bad flags get one line, not the whole help.
    .showHelpAfterError(false)
    .description("print log records live as they are published, one line each")
    .argument("<endpoint>", "where the records are published, e.g. tcp://robot:7790")
    .option(
      "-l, --level <level>",
      `lowest level to print: ${LOG_LEVELS.join(", ")}`,
      parseLevelFlag,
      "trace",
    )
    .option(
      "-c, --component <name>",
      "print only this component's records (repeat for several)",
      (value: string, previous: string[] | undefined) => [...previous ?? [], value],
    )
    .option("-r, --robot <name>", "print only this robot's records (filtered by the publisher)")
    .option("--json", "print each record as one line of JSON, as published")
    .option("--bind", "bind the endpoint and let publishers connect, instead of connecting")
    .addOption(
      new Option("--color <when>", "colour the output").choices(["auto", "always", "never"])
        .default("auto"),
    )
    .addHelpText(
      "after",
      "\nColour: on a terminal unless NO_COLOR is set (--color overrides). Ctrl-C stops.\n" +
        "\nExamples:\n  zedge logs tail tcp://kitchen-bot:7790\n" +
        "  zedge logs tail tcp://kitchen-bot:7790 --level warning --component planner\n" +
        "  zedge logs tail tcp://kitchen-bot:7790 --json",
    )
    .action(async (endpoint: string, flags: TailFlags) => {
      await setupLogging("warning");
      await tail(endpoint, flags);
    });
}

function parseLevelFlag(value: string): LogLevelName {
  const level = value.toLowerCase() === "warn" ? "warning" : value.toLowerCase();
  if (!isLogLevel(level)) {
    throw new InvalidArgumentError(`must be one of ${LOG_LEVELS.join(", ")}.`);
  }
  return level;
}

async function tail(endpoint: string, flags: TailFlags): Promise<void> {
  try {
    const parsed = parseEndpoint(endpoint);
    if (!flags.bind && parsed.transport === "tcp" && parsed.wildcardHost) {
      throw new EndpointError(endpoint, "'*' can be bound (--bind), not connected to");
    }
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
  const sub = new Subscriber({ maxMessageSize: MAX_LOG_MESSAGE_SIZE });
  if (flags.bind) {
    try {
      await sub.bind(endpoint);
    } catch (error) {
      await sub.close();
      throw new CliError(`cannot bind ${endpoint}: ${(error as Error).message}`);
    }
  } else {
    sub.connect(endpoint);
  }
  sub.subscribe(...subscriptionPrefixes(flags));

  const stop = shutdownSignal();
  void stop.promise.then(() => sub.close());
  const terminal = Deno.stdout.isTerminal();
  const style: LineStyle = { terminal, color: wantsColor(flags.color, terminal, noColorEnv()) };
  if (Deno.stderr.isTerminal()) {
    console.error(`tailing logs from ${endpoint} (Ctrl-C to stop)`);
  }
  const out = new LineWriter();
  let malformed = 0;
  try {
    for await (const frames of sub) {
      let record: PublishedLogRecord;
      try {
        record = decodeLogMessage(frames);
      } catch (error) {
        if (++malformed <= MALFORMED_REPORTED) {
          console.error(
            `zedge: skipped a message that is not a log record: ${(error as Error).message}`,
          );
        }
        continue;
      }
      if (!wanted(record, flags)) continue;
      const line = flags.json ? JSON.stringify(record) : formatLogLine(record, style);
      if (!(await out.writeLine(line))) break; // stdout closed (`| head`): done
    }
  } finally {
    stop.cancel();
    await sub.close();
  }
  if (malformed > MALFORMED_REPORTED) {
    console.error(`zedge: skipped ${malformed} messages that were not log records`);
  }
}

/**
 * What to subscribe to: with --robot the publisher filters for us (by
 * component too when asked); without it the robot's name, the topic's first
 * segment, is unknown, so everything comes and is filtered here.
 */
function subscriptionPrefixes(flags: TailFlags): string[] {
  if (flags.robot === undefined) return [""];
  if (flags.component === undefined) return [`${flags.robot}.`];
  return flags.component.map((component) => `${flags.robot}.${component}.`);
}

function wanted(record: PublishedLogRecord, flags: TailFlags): boolean {
  if (!isAtLeast(record.level, flags.level)) return false;
  if (flags.robot !== undefined && record.robot !== flags.robot) return false;
  return flags.component === undefined || flags.component.includes(record.component);
}

function noColorEnv(): string | undefined {
  try {
    return Deno.env.get("NO_COLOR");
  } catch {
    // Not permitted to read it: as if unset.
    return undefined;
  }
}

/** Writes lines to stdout, waiting while it is slow; reports when it was closed. */
class LineWriter {
  readonly #encoder = new TextEncoder();

  /** Writes `line` and a line break; resolves false when stdout is closed. */
  async writeLine(line: string): Promise<boolean> {
    let bytes = this.#encoder.encode(`${line}\n`);
    try {
      while (bytes.length > 0) bytes = bytes.subarray(await Deno.stdout.write(bytes));
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.BrokenPipe) return false;
      throw error;
    }
  }
}
