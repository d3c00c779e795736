/**
 * `zedge pipeline call SERVICE JSON [-c FILE]`: one request to a service
 * through the broker, from the shell. Prints the reply as JSON and exits 0,
 * or prints the error with its code (`unknown-service`, `handler-error`,
 * `timeout`, `unavailable`, `busy`) and exits 1.
 *
 * ```sh
 * zedge pipeline call plan '{"from": [0, 0], "to": [4, 2]}' -c examples/pipeline/services.yaml
 * echo '{"goal": "dock"}' | zedge pipeline call plan - --broker tcp://robot:5580
 * ```
 *
 * @module
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { loadPipelineConfig, PipelineConfigError } from "../core/pipeline/config.ts";
import { connectSecurity } from "../core/pipeline/endpoint_security.ts";
import { ServiceClient, ServiceError } from "../core/pipeline/service_client.ts";
import type { SecurityOptions } from "../core/sockets/mod.ts";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import { CliError } from "./errors.ts";
import { setupLogging } from "./logging.ts";
import { shutdownSignal } from "./shutdown.ts";
import { parseMillisFlag } from "./tasks_common.ts";

interface CallFlags {
  config?: string;
  broker?: string;
  timeout: number;
  retries: number;
  compact?: boolean;
}

function retriesFlag(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("must be 0 or more.");
  return Number(value);
}

/**
 * Registers `zedge pipeline call` under `pipeline`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { registerCall } from "./pipeline_call.ts";
 * registerCall(new Command("pipeline"));
 * ```
 */
export function registerCall(pipeline: Command): void {
  pipeline.command("call")
    .showHelpAfterError(false)
    .description(
      "call a service through the broker and print its reply as JSON, or the error and its code",
    )
    .argument("<service>", "the service's name")
    .argument("<json>", "the request, as JSON ('-' reads it from standard input)")
    .addOption(
      new Option("-c, --config <file>", "pipeline YAML naming the broker (its broker.frontend)")
        .conflicts("broker"),
    )
    .option("--broker <endpoint>", "the broker's frontend endpoint, instead of -c")
    .option("--timeout <ms>", "how long to wait for each attempt", parseMillisFlag, 5000)
    .option("--retries <n>", "attempts after the first one times out", retriesFlag, 2)
    .option("--compact", "print the reply on one line")
    .addHelpText(
      "after",
      "\nExit status: 0 with the reply on stdout; 1 when the call failed (the error and its code\n" +
        "on stderr: unknown-service, handler-error, timeout, unavailable, busy); 2 for bad input.\n" +
        "\nExamples:\n" +
        '  zedge pipeline call plan \'{"from": [0, 0], "to": [4, 2]}\' -c examples/pipeline/services.yaml\n' +
        "  echo '\"ping\"' | zedge pipeline call echo - --broker tcp://127.0.0.1:5580",
    )
    .action(async (service: string, json: string, flags: CallFlags) => {
      await setupLogging("warning");
      const request = parseRequest(json === "-" ? await readStdin() : json);
      const { broker, security } = await brokerOf(flags);
      const client = new ServiceClient({
        broker,
        timeoutMs: flags.timeout,
        retries: flags.retries,
        security: { broker: security },
      });
      const stop = shutdownSignal();
      try {
        const reply = await Promise.race([
          client.request(service, request),
          stop.promise.then(() => {
            throw new CliError("interrupted", 130);
          }),
        ]);
        console.log(JSON.stringify(reply, jsonReplacer, flags.compact ? undefined : 2));
      } catch (error) {
        if (error instanceof ServiceError) {
          throw new CliError(`service '${service}' failed: ${error.code}: ${error.message}`);
        }
        throw error;
      } finally {
        stop.cancel();
        client.close();
      }
    });
}

function parseRequest(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `JSON: ${(error as Error).message} (a string needs its quotes: '"text"')`,
      2,
    );
  }
}

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

async function brokerOf(flags: CallFlags): Promise<{ broker: string; security: SecurityOptions }> {
  if (flags.broker !== undefined) {
    try {
      parseEndpoint(flags.broker);
    } catch (error) {
      throw new CliError(`--broker: ${(error as Error).message}`, 2);
    }
    return { broker: flags.broker, security: {} };
  }
  if (flags.config === undefined) {
    throw new CliError(
      "name the broker: -c FILE (the pipeline YAML with its broker section) or --broker ENDPOINT",
      2,
    );
  }
  let config;
  try {
    config = await loadPipelineConfig(flags.config, { checkModuleFiles: false });
  } catch (error) {
    if (error instanceof PipelineConfigError) throw new CliError(error.message, 2);
    throw error;
  }
  if (config.broker === undefined) {
    throw new CliError(`${config.file}: no 'broker' section to call services through`, 2);
  }
  return {
    broker: config.broker.frontend.connect,
    security: connectSecurity("frontend", config.broker.frontend.curve),
  };
}

/** What msgpack may hand back that JSON cannot show as is. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (value instanceof Map) return Object.fromEntries(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}
