/**
 * `zedge simple-publisher` and `zedge simple-subscriber`: ZTL's `simple_*`
 * tools on zedge's object channel (`core/tasks/objects.ts`), with JSON or
 * msgpack where ZTL pickles. The publisher sends ZTL's sample object
 * `{'one': 1, 'more': 2, 'count': N}` every second; the subscriber logs
 * what arrives, each line as ZTL's tools print it.
 *
 * ```sh
 * zedge simple-publisher -p 7790 -s /data
 * zedge simple-subscriber -r localhost -p 7790 -s /data --encoding json
 * ```
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Command, InvalidArgumentError } from "commander";
import {
  type ObjectEncoding,
  ObjectPublisher,
  ObjectSubscriber,
  parseObjectEncoding,
} from "../core/tasks/objects.ts";
import { pythonRepr } from "../core/tasks/python_str.ts";
import { ZmqError } from "../core/sockets/mod.ts";
import { CliError } from "./errors.ts";
import { shutdownSignal } from "./shutdown.ts";
import {
  parseCountFlag,
  parsePortFlag,
  parseSecondsFlag,
  setupTaskLogging,
} from "./tasks_common.ts";

function encodingFlag(value: string): ObjectEncoding {
  try {
    return parseObjectEncoding(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

interface PublisherFlags {
  port?: number;
  bind?: string;
  scope: string;
  encoding: ObjectEncoding;
  interval: number;
  count?: number;
}

interface SubscriberFlags {
  remote: string;
  port?: number;
  endpoint?: string;
  scope: string;
  encoding: ObjectEncoding;
  count?: number;
}

const ENCODING_HELP = "json or msgpack (pickle is refused: unpickling runs code)";

/**
 * Registers `zedge simple-publisher` and `zedge simple-subscriber`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./simple_objects.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  program
    .command("simple-publisher")
    .showHelpAfterError(false)
    .description("publish ZTL's sample object every second on an object channel (ZTL's tool)")
    .option(
      "-p, --port <port>",
      "port to publish on, as tcp://*:PORT",
      (v) => parsePortFlag(v, true),
    )
    .option("-b, --bind <endpoint>", "bind this endpoint instead")
    .requiredOption("-s, --scope <scope>", "the scope to publish under")
    .option("--encoding <name>", ENCODING_HELP, encodingFlag, "json")
    .option("--interval <seconds>", "time between two objects", parseSecondsFlag, 1)
    .option("--count <n>", "stop after this many objects", parseCountFlag)
    .action(publish);
  program
    .command("simple-subscriber")
    .showHelpAfterError(false)
    .description("log every object published under a scope (ZTL's tool)")
    .option("-r, --remote <host>", "the publisher's host", "localhost")
    .option("-p, --port <port>", "the publisher's port", (v) => parsePortFlag(v))
    .option("-e, --endpoint <endpoint>", "connect to this endpoint instead")
    .requiredOption("-s, --scope <scope>", "the scope to subscribe to")
    .option("--encoding <name>", ENCODING_HELP, encodingFlag, "json")
    .option("--count <n>", "stop after this many objects", parseCountFlag)
    .action(subscribe);
}

async function publish(flags: PublisherFlags): Promise<void> {
  if ((flags.port === undefined) === (flags.bind === undefined)) {
    throw new CliError("give the port (-p) or an endpoint (-b)", 2);
  }
  await setupTaskLogging("info");
  const logger = getLogger(["zedge", "simple-pub"]);
  const publisher = new ObjectPublisher({
    port: flags.port,
    endpoint: flags.bind,
    scope: flags.scope,
    encoding: flags.encoding,
  });
  const stop = shutdownSignal();
  try {
    await publisher.start();
    logger.info("Object publisher listening at '{endpoint}' ({encoding}).", {
      endpoint: publisher.endpoint,
      encoding: flags.encoding,
    });
    let stopped = false;
    stop.promise.then(() => stopped = true);
    for (let count = 0; !stopped && (flags.count === undefined || count < flags.count); count++) {
      const data = { one: 1, more: 2, count };
      logger.info("Publishing data: {data}...", { data: pythonRepr(data) });
      await publisher.publish(data);
      await Promise.race([
        new Promise((resolve) => setTimeout(resolve, flags.interval * 1000)),
        stop.promise,
      ]);
    }
  } catch (error) {
    if (error instanceof ZmqError) throw new CliError(`cannot publish: ${error.message}`);
    throw error;
  } finally {
    stop.cancel();
    publisher.close();
  }
}

async function subscribe(flags: SubscriberFlags): Promise<void> {
  if ((flags.port === undefined) === (flags.endpoint === undefined)) {
    throw new CliError("give the port (-p) or an endpoint (-e)", 2);
  }
  await setupTaskLogging("info");
  const logger = getLogger(["zedge", "simple-sub"]);
  const subscriber = new ObjectSubscriber({
    host: flags.remote,
    port: flags.port,
    endpoint: flags.endpoint,
    scope: flags.scope,
    encoding: flags.encoding,
    onInvalid: (error, scope) =>
      logger.warn("Dropped a message under '{scope}': {reason}", { scope, reason: error.message }),
  });
  const stop = shutdownSignal();
  stop.promise.then(() => subscriber.close());
  try {
    let received = 0;
    for await (const { data } of subscriber) {
      logger.info("Received data: {data}...", { data: pythonRepr(data) });
      if (flags.count !== undefined && ++received >= flags.count) break;
    }
  } finally {
    stop.cancel();
    subscriber.close();
  }
}
