/**
 * `zedge pipeline …`: runs pipeline and service roles from a YAML file.
 *
 * ```
 * zedge pipeline check       -c FILE            validate the file, its modules and what they export
 * zedge pipeline schema                         print the file's JSON Schema, for editors
 * zedge pipeline run         -c FILE            all batch roles in one process
 * zedge pipeline distributor -c FILE            hand out items (progress bar on a TTY)
 * zedge pipeline collector   -c FILE            collect results, ACK them
 * zedge pipeline worker      -c FILE [--name N] run one `workers` entry
 * zedge pipeline metadata    -c FILE            serve metadata to the distributor
 * zedge pipeline broker      -c FILE            route service requests
 * zedge pipeline service     -c FILE [--name N] serve one `services` entry
 * zedge pipeline call SERVICE JSON [-c FILE]    call a service, print the reply
 * ```
 *
 * @example
 * ```sh
 * deno run -A cli/main.ts pipeline run -c examples/pipeline/pipeline.yaml
 * ```
 * @module
 */
import type { Command } from "commander";
import type { LogLevel } from "@logtape/logtape";
import {
  brokerFromConfig,
  collectorFromConfig,
  distributorFromConfig,
  loadPipelineConfig,
  metadataProviderFromConfig,
  onStuckThread,
  type PipelineConfig,
  PipelineConfigError,
  pipelineJsonSchema,
  type PipelineSummary,
  type Progress,
  serviceWorkerFromConfig,
  startPipelineRoles,
  workerFromConfig,
} from "../core/pipeline/mod.ts";
import { checkHandlerCoverage } from "../core/pipeline/coverage.ts";
import { displayUrl } from "../core/module_import.ts";
import { CliError } from "./errors.ts";
import { registerCall } from "./pipeline_call.ts";
import { formatSummary, progressReporter } from "./pipeline_support.ts";
import { setupPipelineLogging } from "./pipeline_logging.ts";
import { shutdownSignal } from "./shutdown.ts";
import { parseByteLimitFlag } from "./tasks_common.ts";

interface CommonFlags {
  config: string;
  logLevel?: string;
  maxMessageSize?: number;
}

const LEVELS = ["debug", "info", "warning", "error"];

async function prepare(flags: CommonFlags): Promise<PipelineConfig> {
  if (flags.logLevel !== undefined && !LEVELS.includes(flags.logLevel)) {
    throw new CliError(
      `--log-level must be one of ${LEVELS.join(", ")}, got '${flags.logLevel}'`,
      2,
    );
  }
  let config: PipelineConfig;
  try {
    config = await loadPipelineConfig(flags.config);
  } catch (error) {
    await setupPipelineLogging({ flagLevel: flags.logLevel as LogLevel | undefined });
    if (error instanceof PipelineConfigError) throw new CliError(error.message, 2);
    throw error;
  }
  // The file's logging section, the flag winning over its level.
  await setupPipelineLogging({
    flagLevel: flags.logLevel as LogLevel | undefined,
    logging: config.logging,
  });
  // The flag wins over the file's top-level maxMessageSize.
  if (flags.maxMessageSize !== undefined) config.maxMessageSize = flags.maxMessageSize;
  return config;
}

/**
 * Refuses a configuration that cannot run or finish: a task type no
 * worker's module exports, a `types` entry its module lacks, a module that
 * does not load. With `tolerateLoadErrors` (a distributor, which need not
 * have the workers' dependencies) an unloadable module is only a warning.
 */
async function requireCoverage(
  config: PipelineConfig,
  options: { tolerateLoadErrors?: boolean; services?: boolean } = {},
): Promise<Map<string, string[]>> {
  const report = await checkHandlerCoverage(config, options);
  for (const warning of report.warnings) {
    console.error(`warning: ${warning} (not checked: the workers load it where they run)`);
  }
  if (report.problems.length > 0) throw new CliError(report.problems.join("\n"), 2);
  return report.exports;
}

function needTasks(config: PipelineConfig): void {
  if (config.tasks.length === 0) {
    throw new CliError(`${config.file}: no 'tasks' configured`, 2);
  }
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new CliError(`${flag} must be a non-negative integer, got '${value}'`, 2);
  }
  return n;
}

async function resetJournal(config: PipelineConfig): Promise<void> {
  if (config.journal === undefined) return;
  for (const suffix of ["", "-wal", "-shm"]) {
    await Deno.remove(config.journal + suffix).catch(() => {});
  }
}

function progressFor(): { onProgress: (p: Progress) => void; end: () => void } {
  const reporter = progressReporter({ tty: Deno.stderr.isTerminal() });
  return { onProgress: reporter.update, end: reporter.end };
}

function finishWith(summary: PipelineSummary, config: PipelineConfig): void {
  console.log(formatSummary(summary));
  if (summary.total > 0 && summary.resumed === summary.total) {
    // A second run of the same file: say why it did nothing.
    console.log(
      `  every item was done by an earlier run (journal ${config.journal}): ` +
        "--reset-journal starts the run over",
    );
  }
  if (summary.failed.length > 0) {
    throw new CliError(`${summary.failed.length} item(s) failed`);
  }
}

/**
 * Runs a long-lived role until SIGINT/SIGTERM (or until `ended` settles);
 * `startup` is printed once the signals are handled.
 */
async function serveUntilSignal(
  ended: Promise<unknown>,
  close: () => Promise<void>,
  startup: string,
): Promise<void> {
  const stop = shutdownSignal();
  started(startup);
  try {
    await Promise.race([stop.promise, ended]);
  } finally {
    stop.cancel();
    await close();
  }
}

/**
 * Registers `zedge pipeline` and its role subcommands.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./pipeline.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  const pipeline = program
    .command("pipeline")
    .description("distribute work to workers and collect results; load-balanced services");

  const withCommon = (cmd: Command) =>
    cmd
      .requiredOption("-c, --config <file>", "pipeline YAML file")
      .option(
        "--log-level <level>",
        "debug | info | warning | error (default: the file's logging.level, else warning)",
      )
      .option(
        "--max-message-size <bytes>",
        "close a peer's connection when it sends a larger message " +
          "(default: the file's maxMessageSize, else 64 MiB; -1 = no limit)",
        parseByteLimitFlag,
      );

  withCommon(
    pipeline.command("check").description(
      "validate a pipeline file: every problem at once with file:line, then import its handler " +
        "modules and check that every task type has a worker",
    ),
  )
    .action(async (flags: CommonFlags) => {
      const config = await prepare(flags);
      const exports = await requireCoverage(config);
      console.log(
        `${config.file}: ok (${config.tasks.length} task types, ${config.workers.length} workers, ` +
          `${config.broker ? "broker" : "no broker"}, ${config.services.length} services)`,
      );
      for (const worker of config.workers) {
        const takes = worker.types ?? exports.get(worker.handlers) ?? [];
        const types = config.tasks.map((task) => task.type).filter((t) => takes.includes(t));
        console.log(
          `  worker ${worker.name}: ${types.length > 0 ? types.join(", ") : "no task type"}`,
        );
      }
    });

  pipeline.command("schema")
    .description("print the pipeline YAML's JSON Schema (for editors: yaml-language-server)")
    .action(() => console.log(JSON.stringify(pipelineJsonSchema(), null, 2)));

  withCommon(
    pipeline.command("run").description(
      "run metadata provider, distributor, collector and every worker in this process",
    ),
  )
    .option("--reset-journal", "delete the journal first (start the run over)")
    .action(async (flags: CommonFlags & { resetJournal?: boolean }) => {
      const config = await prepare(flags);
      needTasks(config);
      if (config.workers.length === 0) {
        throw new CliError(`${config.file}: no 'workers' configured`, 2);
      }
      await requireCoverage(config, { services: false });
      if (flags.resetJournal) await resetJournal(config);
      const progress = progressFor();
      // From here on Ctrl-C or SIGTERM stops the run cleanly: exit 130, no stack trace.
      const stop = shutdownSignal();
      const interrupted = stop.promise.then(() => "signal" as const);
      let roles: Awaited<ReturnType<typeof startPipelineRoles>> | undefined;
      let summary: PipelineSummary | "signal";
      try {
        const starting = startPipelineRoles(config, {
          roles: ["metadata", "distributor", "collector", "workers"],
          onProgress: progress.onProgress,
        });
        const started = await Promise.race([starting, interrupted]);
        if (started === "signal") {
          // Whatever had started is closed once starting settles.
          starting.then((r) => r.close(), () => {});
          summary = "signal";
        } else {
          roles = started;
          summary = await Promise.race([roles.distributor!.run(), interrupted]);
          if (summary !== "signal") await roles.collector!.run();
        }
      } catch (error) {
        throw error instanceof CliError ? error : new CliError(oneLine(error));
      } finally {
        stop.cancel();
        progress.end();
        await roles?.close();
      }
      if (summary === "signal") throw new CliError("interrupted", 130);
      finishWith(summary, config);
    });

  withCommon(pipeline.command("distributor").description("hand out the configured tasks"))
    .option("--reset-journal", "delete the journal first (start the run over)")
    .action(async (flags: CommonFlags & { resetJournal?: boolean }) => {
      const config = await prepare(flags);
      needTasks(config);
      // The workers may run elsewhere, with dependencies this machine lacks: a module that
      // does not load here is a warning; a task type no module exports is still refused.
      // With no 'workers' in this file they are configured elsewhere: nothing to check.
      if (config.workers.length > 0) {
        await requireCoverage(config, { tolerateLoadErrors: true, services: false });
      }
      if (flags.resetJournal) await resetJournal(config);
      const progress = progressFor();
      const distributor = await distributorFromConfig(config, { onProgress: progress.onProgress });
      const stop = shutdownSignal();
      try {
        await distributor.start();
        started(
          `distributor: workers at ${distributor.endpoints.workers}, the collector at ` +
            distributor.endpoints.acks,
        );
        const summary = await Promise.race([distributor.run(), stop.promise.then(() => null)]);
        progress.end();
        if (summary === null) throw new CliError("interrupted", 130);
        finishWith(summary, config);
      } finally {
        stop.cancel();
        await distributor.close();
      }
    });

  withCommon(pipeline.command("collector").description("collect results and ACK them"))
    .action(async (flags: CommonFlags) => {
      const config = await prepare(flags);
      needTasks(config);
      const collector = await collectorFromConfig(config);
      await collector.start();
      await serveUntilSignal(
        collector.run(),
        () => collector.close(),
        `collector: results at ${collector.endpoint}, ACKs to the distributor at ` +
          config.endpoints.acks.connect,
      );
    });

  withCommon(pipeline.command("worker").description("run one worker of the 'workers' list"))
    .option("--name <name>", "which 'workers' entry (default: the first)")
    .option("--threads <n>", "override the entry's thread count")
    .option(
      "--keep-running",
      "stay up for the next run instead of leaving when this one is over",
    )
    .action(
      async (flags: CommonFlags & { name?: string; threads?: string; keepRunning?: boolean }) => {
        const config = await prepare(flags);
        const entry = flags.name === undefined
          ? config.workers[0]
          : config.workers.find((w) => w.name === flags.name);
        if (entry === undefined) {
          throw new CliError(
            flags.name === undefined
              ? `${config.file}: no 'workers' configured`
              : `${config.file}: no worker named '${flags.name}' (have: ${
                config.workers.map((w) => w.name).join(", ")
              })`,
            2,
          );
        }
        const threads = flags.threads === undefined
          ? undefined
          : positiveInt(flags.threads, "--threads");
        // Without --keep-running the worker leaves when the run is over: on END, or once
        // the distributor of a run it took part in has gone silent for good.
        const worker = workerFromConfig(config, entry, { threads, keepRunning: flags.keepRunning });
        const stuck = stuckThread(() => worker.close());
        const stats = await (async () => {
          const stop = shutdownSignal();
          stop.promise.then(() => worker.close());
          try {
            return await worker.run();
          } finally {
            stop.cancel();
            stuck.stopListening();
          }
        })();
        console.log(`${worker.name}: ${stats.processed} processed, ${stats.failed} failed`);
        stuck.failIfStuck(worker.name);
      },
    );

  withCommon(pipeline.command("metadata").description("serve metadata.module to the distributor"))
    .action(async (flags: CommonFlags) => {
      const config = await prepare(flags);
      let provider;
      try {
        provider = await metadataProviderFromConfig(config);
      } catch (error) {
        throw new CliError((error as Error).message, 2);
      }
      await provider.start();
      await serveUntilSignal(
        new Promise(() => {}),
        () => provider.close(),
        `metadata provider: serving ${displayUrl(config.metadata!.module)} at ${provider.endpoint}`,
      );
    });

  withCommon(pipeline.command("broker").description("route service requests to service workers"))
    .action(async (flags: CommonFlags) => {
      const config = await prepare(flags);
      if (config.broker === undefined) throw new CliError(`${config.file}: no 'broker' section`, 2);
      const broker = brokerFromConfig(config);
      await broker.start();
      const { frontend, backend } = broker.endpoints;
      await serveUntilSignal(
        new Promise(() => {}),
        () => broker.close(),
        `broker: clients at ${frontend}, service workers at ${backend}`,
      );
    });

  withCommon(pipeline.command("service").description("serve one entry of the 'services' list"))
    .option("--name <name>", "which 'services' entry (default: the first)")
    .action(async (flags: CommonFlags & { name?: string }) => {
      const config = await prepare(flags);
      const entry = flags.name === undefined
        ? config.services[0]
        : config.services.find((s) => s.name === flags.name);
      if (entry === undefined) {
        throw new CliError(`${config.file}: no service worker ${flags.name ?? ""} configured`, 2);
      }
      const worker = serviceWorkerFromConfig(config, entry);
      const stuck = stuckThread(() => {});
      await worker.start();
      await serveUntilSignal(
        stuck.happened,
        () => worker.close(),
        `service worker ${worker.name}: ${worker.services.join(", ")} via the broker at ` +
          config.broker!.backend.connect,
      );
      stuck.stopListening();
      stuck.failIfStuck(`service worker ${worker.name}`);
    });

  registerCall(pipeline);
}

/**
 * Listens for a pool thread stuck in a synchronous loop (see `onStuckThread`): the role then
 * leaves (`leave`: hand its items back), since only its process's end stops the thread, and
 * exits with 3 so that whatever restarts it (systemd's `Restart=on-failure`) does.
 */
function stuckThread(leave: () => void) {
  let reason: string | null = null;
  let happened!: () => void;
  const promise = new Promise<void>((resolve) => happened = resolve);
  const stopListening = onStuckThread((why) => {
    if (reason !== null) return;
    reason = why;
    happened();
    leave();
  });
  return {
    happened: promise,
    stopListening,
    failIfStuck(who: string): void {
      if (reason === null) return;
      throw new CliError(
        `${who}: ${reason}; it left, so that the end of its process ends the thread`,
        3,
      );
    },
  };
}

/** A long-lived role's first line, on stderr (stdout is for results): where it serves. */
function started(line: string): void {
  console.error(`${line} (Ctrl-C stops)`);
}

/** An error as one line: its first line, without Deno's code excerpt. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}
