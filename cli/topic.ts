/**
 * `zedge topic …`: a running robot's topics, shaped like `ros2 topic`:
 *
 * ```
 * zedge topic list [robot.yaml] [--json]            publishers, subscribers, rates
 * zedge topic echo TOPIC [robot.yaml] [--once] [--json]
 * zedge topic hz TOPIC [robot.yaml] [--window N]     ros2 topic hz's method and format
 * zedge topic bw TOPIC [robot.yaml] [--window N]     ros2 topic bw's
 * zedge topic pub TOPIC VALUE [robot.yaml] [--rate R] [--once] [--times N]
 * ```
 *
 * The robot is named as in every `zedge robot` command (the YAML, `-c`,
 * or `--control` with the CURVE key flags). Streams come from the
 * supervisor's tap over the control endpoint; `pub` reaches only the
 * topics the robot's `operator.publishes` names.
 *
 * @module
 */
import type { Command } from "commander";
import { escapeUntrusted } from "../core/logs/escape.ts";
import type { TopicInfo } from "../robot/live/control_wire.ts";
import type { LiveClient } from "../robot/live/control_client.ts";
import {
  BwMeter,
  DEFAULT_BW_WINDOW,
  DEFAULT_HZ_WINDOW,
  formatBw,
  formatHz,
  HzMeter,
} from "../robot/live/topic_stats.ts";
import { CliError } from "./errors.ts";
import { jsonLine, liveClient, requireTopic, robotTopics } from "./live_common.ts";
import { fileRobotSource, formatTable, type RobotSource } from "./robot_common.ts";
import { type RobotTarget, type RobotTargetFlags, withRobotTarget } from "./robot_target.ts";
import { shutdownSignal } from "./shutdown.ts";

interface EchoFlags extends RobotTargetFlags {
  once?: boolean;
  json?: boolean;
}

interface WindowFlags extends RobotTargetFlags {
  window?: string;
}

interface PubFlags extends RobotTargetFlags {
  rate: string;
  once?: boolean;
  times?: string;
}

/**
 * Registers `zedge topic` and its subcommands.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./topic.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command, source: RobotSource = fileRobotSource): void {
  const topic = program.command("topic")
    .description(
      "a running robot's topics, as ros2 topic shows them: list, echo, hz, bw, pub",
    )
    .showHelpAfterError(false);

  withRobotTarget<RobotTargetFlags & { json?: boolean }>(
    topic.command("list")
      .description("every topic of the robot with its publishers, subscribers and rate")
      .option("--json", "print the topics as JSON"),
    source,
    async (target, _args, flags) => {
      const topics = await robotTopics(target);
      console.log(flags.json ? JSON.stringify(topics, null, 2) : formatTopicList(topics));
    },
  );

  withRobotTarget<EchoFlags>(
    topic.command("echo")
      .description("print the messages of a topic as they come (YAML, --- between them)")
      .argument("<topic>", "the topic")
      .option("--once", "print one message and exit")
      .option("--json", "one JSON line per message: topic, time, source, value"),
    source,
    (target, [name], flags) => echo(target, name, flags),
  );

  withRobotTarget<WindowFlags>(
    topic.command("hz")
      .description(
        "print a topic's rate once a second, as ros2 topic hz: average rate, then the min, " +
          "max and std dev of the intervals over a window of messages",
      )
      .argument("<topic>", "the topic")
      .option("-w, --window <messages>", "messages in the window", String(DEFAULT_HZ_WINDOW)),
    source,
    (target, [name], flags) => measure(target, name, "hz", windowOf(flags, DEFAULT_HZ_WINDOW)),
  );

  withRobotTarget<WindowFlags>(
    topic.command("bw")
      .description("print a topic's bandwidth once a second, as ros2 topic bw")
      .argument("<topic>", "the topic")
      .option("-w, --window <messages>", "messages in the window", String(DEFAULT_BW_WINDOW)),
    source,
    (target, [name], flags) => measure(target, name, "bw", windowOf(flags, DEFAULT_BW_WINDOW)),
  );

  withRobotTarget<PubFlags>(
    topic.command("pub")
      .description(
        "publish a value (JSON, or YAML as ros2 takes it) on one of the topics the robot's " +
          "operator.publishes names, at --rate until Ctrl-C",
      )
      .argument("<topic>", "the topic")
      .argument("<value>", `the value, e.g. '{"to": [3, 1]}'`)
      .option("-r, --rate <hz>", "publishes per second", "1")
      .option("-1, --once", "publish once and exit")
      .option("-t, --times <n>", "publish this many times and exit"),
    source,
    (target, [name, value], flags) => publish(target, name, value, flags),
  );
}

/**
 * The human form of `zedge topic list`.
 *
 * @example
 * ```ts
 * import { formatTopicList } from "./topic.ts";
 * formatTopicList([{ topic: "odom", encoding: "msgpack", publishers: ["odometry"], subscribers: [],
 *   operator: false, rate: 100, published: 1000 }]);
 * ```
 */
export function formatTopicList(topics: readonly TopicInfo[]): string {
  const rows = [["TOPIC", "RATE", "PUBLISHERS", "SUBSCRIBERS", "ENCODING"]];
  for (const t of topics) {
    rows.push([
      t.topic,
      `${t.rate.toFixed(1)}/s`,
      t.publishers.join(",") || "-",
      t.subscribers.join(",") || "-",
      t.encoding,
    ].map((cell) => escapeUntrusted(cell)));
  }
  return topics.length === 0 ? "no topics" : formatTable(rows);
}

function windowOf(flags: WindowFlags, fallback: number): number {
  const window = Number(flags.window ?? fallback);
  if (!Number.isInteger(window) || window <= 0) {
    throw new CliError("--window must be a positive number of messages", 2);
  }
  return window;
}

/**
 * Runs `body` until Ctrl-C (or until it calls `done`), then runs the
 * cleanup it returned and closes the client.
 */
async function untilStopped(
  target: RobotTarget,
  body: (
    client: LiveClient,
    done: (error?: Error) => void,
  ) => Promise<(() => void) | void>,
): Promise<void> {
  const client = liveClient(target);
  const stop = shutdownSignal();
  let finish: (error?: Error) => void = () => {};
  const finished = new Promise<void>((resolve, reject) =>
    finish = (error) => error === undefined ? resolve() : reject(error)
  );
  client.onNote((note) => console.error(`zedge: ${escapeUntrusted(note)}`));
  let cleanup: (() => void) | void = undefined;
  try {
    cleanup = await body(client, finish);
    await Promise.race([finished, stop.promise]);
  } finally {
    stop.cancel();
    cleanup?.();
    await client.close();
  }
}

async function echo(target: RobotTarget, topic: string, flags: EchoFlags): Promise<void> {
  requireTopic(await robotTopics(target), topic);
  // What only echo needs (msgpack, YAML), loaded here: `topic list` starts without them.
  const [{ decodeTopicMessage, topicEncodingOf }, { toJsonValue }, { yamlText }] = await Promise
    .all([
      import("../robot/dataflow/codec.ts"),
      import("../robot/live/json_value.ts"),
      import("./live_values.ts"),
    ]);
  await untilStopped(target, async (client, done) => {
    let printed = false;
    await client.subscribe({ topics: [topic] }, (event) => {
      if (event.kind !== "message" || (flags.once && printed)) return;
      let message;
      try {
        message = decodeTopicMessage(event.frames);
      } catch {
        return;
      }
      const value = toJsonValue(message.value, topicEncodingOf(event.frames[1]));
      printed = true;
      if (flags.json) {
        console.log(jsonLine({ topic, time: message.time, source: message.source, value }));
      } else console.log(`${yamlText(value)}---`);
      if (flags.once) done();
    });
  });
}

async function measure(
  target: RobotTarget,
  topic: string,
  what: "hz" | "bw",
  window: number,
): Promise<void> {
  requireTopic(await robotTopics(target), topic);
  const hz = new HzMeter(window);
  const bw = new BwMeter(window);
  let missed = 0;
  await untilStopped(target, async (client) => {
    await client.subscribe({ topics: [topic] }, (event) => {
      if (event.kind !== "message") return;
      // hz times the intervals as the supervisor received the messages; bw, as ros2, at arrival.
      if (what === "hz") hz.add(event.time);
      else bw.add(performance.now(), event.frames[2].length);
    });
    if (what === "bw") console.log(`Subscribed to [${topic}]`);
    const timer = setInterval(() => {
      if (what === "hz") {
        const report = hz.take();
        if (report !== null) console.log(formatHz(report));
      } else {
        const report = bw.take(performance.now());
        if (report !== null) console.log(formatBw(report));
      }
      if (client.missed > missed) {
        console.error(
          `zedge: the robot dropped ${client.missed - missed} messages for this client`,
        );
        missed = client.missed;
      }
    }, 1000);
    return () => clearInterval(timer);
  });
}

async function publish(
  target: RobotTarget,
  topic: string,
  text: string,
  flags: PubFlags,
): Promise<void> {
  const { parseValueArgument } = await import("./live_values.ts");
  const value = parseValueArgument(text, "VALUE");
  const rate = Number(flags.rate);
  if (!(rate > 0) || !Number.isFinite(rate)) throw new CliError("--rate must be above 0", 2);
  const times = flags.once ? 1 : flags.times === undefined ? Infinity : Number(flags.times);
  if (!(times >= 1) || (times !== Infinity && !Number.isInteger(times))) {
    throw new CliError("--times must be a positive integer", 2);
  }
  const info = requireTopic(await robotTopics(target), topic);
  if (!info.operator) {
    throw new CliError(
      `'${topic}' is not among the topics an operator may publish: add it to the robot YAML's ` +
        "operator.publishes",
    );
  }
  console.log("publisher: beginning loop");
  await untilStopped(target, async (client, done) => {
    let count = 0;
    const send = async () => {
      count++;
      const reply = await client.ask({ op: "publish", topic, value });
      if (!reply.ok) throw new CliError(escapeUntrusted(reply.error ?? "refused"));
      console.log(`publishing #${count}: ${jsonLine(value)}\n`);
      if (count >= times) done();
    };
    await send();
    if (count >= times) return;
    const timer = setInterval(() => send().catch(done), 1000 / rate);
    return () => clearInterval(timer);
  });
}
