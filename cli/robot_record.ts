/**
 * `zedge robot record` and `zedge robot play`: a running robot's data to
 * an MCAP file and back.
 *
 * ```sh
 * zedge robot record [robot.yaml] -o run.mcap [--topics a,b] [--duration S] [--force]
 * zedge robot play run.mcap [robot.yaml] [--rate R] [--loop] [--topics a,b] [--remap OLD=NEW]
 * ```
 *
 * record streams the robot's topics (all, or `--topics`), its log records
 * and its components' states from the supervisor over the control endpoint
 * into a recording (see robot/record/mcap_writer.ts), with a progress line,
 * until Ctrl-C or `--duration`; either way the file is finished — chunks,
 * index, footer — and opens in Foxglove. play publishes a recording's json
 * topics into the robot with their recorded timing, onto topics the
 * robot's `operator.publishes` names; a topic a component of the robot
 * also publishes is refused unless `--remap` plays it under another name.
 *
 * @module
 */
import type { Command } from "commander";
import { escapeUntrusted } from "../core/logs/escape.ts";
import { CliError } from "./errors.ts";
import type { TopicInfo } from "../robot/live/control_wire.ts";
import { formatBytes, listFlag, liveClient, requireTopic, robotTopics } from "./live_common.ts";
import type { RobotSource } from "./robot_common.ts";
import { type RobotTargetFlags, withRobotTarget } from "./robot_target.ts";
import { shutdownSignal } from "./shutdown.ts";

interface RecordFlags extends RobotTargetFlags {
  output: string;
  topics?: string;
  duration?: string;
  force?: boolean;
}

interface PlayFlags extends RobotTargetFlags {
  rate: string;
  loop?: boolean;
  topics?: string;
  remap: string[];
}

/** How often the progress line is redrawn on a terminal, and written elsewhere. */
const PROGRESS_TTY_MS = 1000;
const PROGRESS_LOG_MS = 10_000;

/**
 * Adds `record` and `play` to the `zedge robot` command.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { registerRecord } from "./robot_record.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * registerRecord(new Command("robot"), fileRobotSource);
 * ```
 */
export function registerRecord(robot: Command, source: RobotSource): void {
  withRobotTarget<RecordFlags>(
    robot.command("record")
      .description(
        "record the running robot's topics, log records and component states to an MCAP file " +
          "(zstd chunks, indexed: Foxglove opens it) until Ctrl-C or --duration",
      )
      .requiredOption("-o, --output <file>", "the recording to write (run.mcap)")
      .option("--topics <a,b>", "only these topics (default: every topic)")
      .option("--duration <seconds>", "stop after this long")
      .option("--force", "overwrite the output file if it exists"),
    source,
    async (target, _args, flags) => {
      const duration = flags.duration === undefined ? Infinity : Number(flags.duration);
      if (!(duration > 0)) throw new CliError("--duration must be a positive number of seconds", 2);
      // lstat: a link counts as there even when it points nowhere (it is replaced, not followed).
      if (lstatOrNull(flags.output) !== null && !flags.force) {
        throw new CliError(
          `${flags.output} exists: give another -o, or --force to overwrite it`,
          2,
        );
      }
      const all = await robotTopics(target);
      const wanted = listFlag(flags.topics);
      for (const topic of wanted ?? []) requireTopic(all, topic);
      const schemas = Object.fromEntries(
        all.filter((t) => t.schema !== undefined).map((t) => [t.topic, t.schema!]),
      );
      const { RecordingWriter } = await import("../robot/record/mcap_writer.ts");
      const writer = await RecordingWriter.create(flags.output, { schemas }).catch((error) => {
        throw new CliError(`cannot write ${flags.output}: ${(error as Error).message}`);
      });
      const client = liveClient(target);
      const stop = shutdownSignal();
      const started = performance.now();
      const progress = new Progress();
      let failure: unknown = null;
      let wake = () => {};
      const failed = new Promise<void>((resolve) => wake = resolve);
      try {
        client.onNote((note) => progress.note(escapeUntrusted(note)));
        let receiving = false;
        await client.subscribe({ topics: wanted ?? "*", logs: true, states: true }, (event) => {
          if (!receiving) {
            receiving = true;
            progress.show(
              `recording ${flags.output}: receiving (Ctrl-C stops and finishes the file)`,
            );
          }
          try {
            if (event.kind === "message") writer.addTopicMessage(event.frames, event.time);
            else if (event.kind === "log") writer.addLog(event.line);
            else writer.addStates(event.components, event.time);
          } catch (error) {
            failure ??= error; // the disk failed: stop, keeping what was written
            stop.cancel();
            wake();
          }
        });
        const timer = setInterval(
          () => progress.show(recordingLine(flags.output, writer, client.missed, started)),
          progress.interval,
        );
        await Promise.race([
          stop.promise,
          failed,
          ...(duration === Infinity ? [] : [new Promise((r) => setTimeout(r, duration * 1000))]),
        ]).finally(() => clearInterval(timer));
      } finally {
        stop.cancel();
        await client.close();
        await writer.close().catch((error) => failure ??= error);
        progress.done();
      }
      if (failure !== null) {
        throw new CliError(`writing ${flags.output} failed: ${(failure as Error).message}`);
      }
      console.log(recordingSummary(flags.output, writer, client.missed, started));
      const unrecorded = await unrecordedEstimate(target, all, wanted, writer.byTopic);
      if (unrecorded !== null) console.error(`zedge: ${unrecorded}`);
    },
  );

  withRobotTarget<PlayFlags>(
    robot.command("play")
      .description(
        "publish a recording's json topics into the running robot with their recorded timing " +
          "(onto topics its operator.publishes names)",
      )
      .argument("<file>", "the recording (MCAP)")
      .option("-r, --rate <factor>", "play this many times as fast", "1")
      .option("-l, --loop", "start over at the end, until Ctrl-C")
      .option("--topics <a,b>", "only these recorded topics (default: every json topic)")
      .option(
        "--remap <old=new>",
        "play recorded topic OLD onto NEW (repeatable)",
        (value: string, all: string[]) => [...all, value],
        [] as string[],
      ),
    source,
    (target, [file], flags) => play(target, file, flags),
  );
}

/** Where progress goes: one line redrawn on a terminal, a line now and then elsewhere. */
class Progress {
  readonly #tty = Deno.stderr.isTerminal();
  readonly interval = this.#tty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS;
  #shown = false;

  show(line: string): void {
    if (this.#tty) {
      Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K${line}`));
      this.#shown = true;
    } else console.error(line);
  }

  note(text: string): void {
    this.done();
    console.error(`zedge: ${text}`);
  }

  done(): void {
    if (this.#shown) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
    this.#shown = false;
  }
}

interface WriterFigures {
  readonly messages: number;
  readonly bytes: number;
  readonly dropped: number;
  readonly byTopic: ReadonlyMap<string, number>;
}

function recordingLine(
  file: string,
  writer: WriterFigures,
  missed: number,
  started: number,
): string {
  const seconds = (performance.now() - started) / 1000;
  const lost = writer.dropped + missed;
  return `recording ${file}: ${writer.messages.toLocaleString("en")} messages, ${
    formatBytes(writer.bytes)
  }, ${(writer.messages / Math.max(seconds, 0.001)).toFixed(1)} msg/s, ${seconds.toFixed(0)} s` +
    (lost > 0 ? ` (${lost} lost: the robot or the disk too slow)` : "");
}

function recordingSummary(
  file: string,
  writer: WriterFigures,
  missed: number,
  started: number,
): string {
  const seconds = (performance.now() - started) / 1000;
  const topics = [...writer.byTopic].sort(([a], [b]) => a.localeCompare(b))
    .map(([topic, count]) => `${escapeUntrusted(topic)} ${count}`).join(", ");
  const lost = writer.dropped + missed;
  return `wrote ${file}: ${writer.messages} messages in ${seconds.toFixed(1)} s, ${
    formatBytes(writer.bytes)
  }${topics === "" ? "" : ` (${topics})`}` +
    (lost > 0 ? `; ${lost} messages lost (the robot or the disk was too slow)` : "");
}

/**
 * What the robot published during the recording and the recording does not
 * have: its publishers' counters (reported once a second, so ± a second's
 * worth) against what was written, per topic — messages a recorder that
 * could not keep up was never sent (the publishers dropped them for it).
 * Null when nothing beyond that margin is missing, or the robot cannot say.
 */
async function unrecordedEstimate(
  target: Parameters<typeof robotTopics>[0],
  before: readonly TopicInfo[],
  wanted: readonly string[] | undefined,
  recorded: ReadonlyMap<string, number>,
): Promise<string | null> {
  let after: TopicInfo[];
  try {
    after = await robotTopics(target);
  } catch {
    return null;
  }
  const missing: string[] = [];
  for (const topic of after) {
    if (wanted !== undefined && !wanted.includes(topic.topic)) continue;
    const start = before.find((t) => t.topic === topic.topic)?.published ?? 0;
    const published = topic.published - start;
    const lost = published - (recorded.get(topic.topic) ?? 0);
    // Counters a restart reset, or within the counters' own second: no verdict.
    if (published < 0 || lost <= Math.max(2 * topic.rate, 10)) continue;
    missing.push(`${escapeUntrusted(topic.topic)} about ${lost} of ${published}`);
  }
  return missing.length === 0
    ? null
    : `the recording misses messages the robot published (${missing.join(", ")}): the ` +
      "recorder could not keep up, and the publishers dropped them for it";
}

/** `--remap OLD=NEW` flags as a map; a {@link CliError} (exit 2) for a malformed one. */
function remapOf(flags: readonly string[]): Record<string, string> {
  const remap: Record<string, string> = {};
  for (const flag of flags) {
    const [from, to, ...rest] = flag.split("=");
    if (!from || !to || rest.length > 0) {
      throw new CliError(
        `--remap '${flag}': give OLD=NEW (a recorded topic, then its new name)`,
        2,
      );
    }
    remap[from] = to;
  }
  return remap;
}

async function play(
  target: Parameters<typeof liveClient>[0],
  file: string,
  flags: PlayFlags,
): Promise<void> {
  const rate = Number(flags.rate);
  if (!(rate > 0) || !Number.isFinite(rate)) throw new CliError("--rate must be above 0", 2);
  const remap = remapOf(flags.remap);
  const [{ RecordingReader, RecordingFormatError }, { playableChannels, playRecording }] =
    await Promise.all([
      import("../robot/record/mcap_reader.ts"),
      import("../robot/record/player.ts"),
    ]);
  let reader;
  try {
    reader = await RecordingReader.open(file);
  } catch (error) {
    if (error instanceof RecordingFormatError || error instanceof Deno.errors.NotFound) {
      throw new CliError(
        error instanceof RecordingFormatError ? error.message : `${file}: no such file`,
        2,
      );
    }
    throw error;
  }
  const client = liveClient(target);
  const stop = shutdownSignal();
  const progress = new Progress();
  try {
    const asked = listFlag(flags.topics);
    const recorded = reader.channels.map((c) => c.topic);
    const absent = (asked ?? []).filter((t) => !recorded.includes(t));
    if (absent.length > 0) {
      throw new CliError(
        `${file} has no topic ${absent.join(", ")} (it has: ${recorded.join(", ") || "none"})`,
        2,
      );
    }
    const unknownRemaps = Object.keys(remap).filter((t) => !recorded.includes(t));
    if (unknownRemaps.length > 0) {
      throw new CliError(`--remap: ${file} has no topic ${unknownRemaps.join(", ")}`, 2);
    }
    const { play: channels, skipped } = playableChannels(reader.channels, asked);
    for (const { topic, why } of skipped) progress.note(`not playing '${topic}': ${why}`);
    if (channels.length === 0) throw new CliError(`${file}: nothing to play`);
    if (!reader.indexed) {
      progress.note(`${file} has no index (was it cut short?): playing it front to back`);
    }
    const session = await client.play(channels.map((c) => remap[c.topic] ?? c.topic));
    if (session.refused.length > 0) {
      throw new CliError(
        session.refused.map(({ topic, why }) => `refused '${topic}': ${escapeUntrusted(why)}`)
          .join("\n"),
      );
    }
    const told = new Set<string>();
    const controller = new AbortController();
    let lost: string | null = null;
    client.onUnsolicited((reply) => {
      const topic = String(reply.topic ?? "");
      if (reply.ok) return;
      if (/no play session/.test(reply.error ?? "")) {
        lost ??= reply.error!;
        controller.abort();
        return;
      }
      if (told.has(topic)) return;
      told.add(topic);
      progress.note(escapeUntrusted(reply.error ?? "a message was refused"));
    });
    client.onNote((note) => progress.note(escapeUntrusted(note)));
    stop.promise.then(() => controller.abort());
    const total = channels.reduce((n, c) => n + (c.messages ?? 0), 0);
    const started = performance.now();
    let played = 0;
    const timer = setInterval(() => {
      const seconds = (performance.now() - started) / 1000;
      progress.show(
        `playing ${file}: ${played}${total > 0 ? ` of ${total}` : ""} messages, ${
          seconds.toFixed(0)
        } s (rate ${rate}${flags.loop ? ", looping" : ""})`,
      );
    }, progress.interval);
    let outcome;
    try {
      outcome = await playRecording(reader, {
        rate,
        loop: flags.loop,
        topics: channels.map((c) => c.topic),
        remap,
        signal: controller.signal,
        publish: async (topic, _value, message) => {
          await client.post({ op: "publish", stream: session.stream, topic, quiet: true }, [
            message.data,
          ]);
          played++;
        },
      });
    } finally {
      clearInterval(timer);
      progress.done();
    }
    if (lost !== null) throw new CliError(escapeUntrusted(lost));
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `played ${outcome.played} messages in ${seconds.toFixed(1)} s` +
        (outcome.loops > 1 ? ` (${outcome.loops} loops)` : "") +
        (outcome.unreadable > 0 ? `; ${outcome.unreadable} were not JSON and were skipped` : ""),
    );
  } finally {
    stop.cancel();
    reader.close();
    await client.close();
  }
}

/** What is at `path` itself (a symbolic link, not its target), or null when nothing is. */
function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
