/**
 * `zedge fleet status|restart|run-script|serve`: the robots of a fleet file
 * (`fleet.yaml`, see `fleet_file.ts`) asked together over their control
 * endpoints, with CURVE as the operator the file names. Every command takes
 * the fleet file as an optional argument or `-c FILE` (default
 * `./fleet.yaml`).
 *
 * ```sh
 * zedge fleet status
 * zedge fleet status -c fleet.yaml --json
 * zedge fleet restart planner --all --batch 25% --max-fail 1
 * zedge fleet run-script scene.yaml --yes
 * zedge fleet serve --listen 127.0.0.1:7900
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { CliError } from "./errors.ts";
import { chooseRobots, type Fleet, fleetFileArgument, loadFleet } from "./fleet_file.ts";
import { shutdownSignal } from "./shutdown.ts";
import { parseSecondsFlag, setupTaskLogging, ZTL_EXIT_CODES_FLAG } from "./tasks_common.ts";

interface FleetFlags {
  config?: string;
  timeout: string;
}

/**
 * Adds the fleet file argument, `-c` and `--timeout` to `command`, and
 * calls `action(fleet, args, flags)` with the fleet loaded; `args` are the
 * command's own positional arguments (the fleet file comes after them).
 */
function withFleet<F extends FleetFlags>(
  command: Command,
  action: (fleet: Fleet, args: string[], flags: F) => Promise<void>,
): Command {
  return command
    .argument("[fleet.yaml]", "the fleet file (default ./fleet.yaml)")
    .option("-c, --config <file>", "the fleet file (same as the argument)")
    .option("--timeout <ms>", "how long to wait for each robot's supervisor, in ms", "3000")
    .action(async (...all: unknown[]) => {
      const flags = all.at(-2) as F;
      const args = all.slice(0, -2) as (string | undefined)[];
      const file = fleetFileArgument(args.pop(), flags);
      const timeoutMs = Number(flags.timeout);
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
        throw new CliError("--timeout must be a positive number of milliseconds", 2);
      }
      await action(await loadFleet(file, timeoutMs), args as string[], flags);
    });
}

/**
 * Registers `zedge fleet` and its subcommands.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./fleet.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  const fleet = program.command("fleet")
    .description(
      "the robots of a fleet file together: status of all, rolling restarts with a failure " +
        "budget, one page and one /metrics for the fleet",
    )
    .showHelpAfterError(false);

  withFleet<FleetFlags & { json?: boolean }>(
    fleet.command("status")
      .description(
        "one line per robot: reachable, zedge version, components running/failed, uptime, " +
          "last error; every robot asked at once (exit code 1 when one is unreachable)",
      )
      .option("--json", 'print { "robots": [ { "robot": NAME, "reachable": … } ] }'),
    async (fleet, _args, flags) => {
      const { fleetStatus, formatFleetStatus } = await import("./fleet_status.ts");
      const lines = await fleetStatus(fleet);
      console.log(
        flags.json
          ? JSON.stringify({ robots: lines.map(({ status: _, ...line }) => line) }, null, 2)
          : formatFleetStatus(fleet.name, lines),
      );
      const down = lines.filter((l) => !l.reachable).length;
      if (down > 0) throw new CliError(`${down} of ${lines.length} robots unreachable`, 1);
    },
  );

  withFleet<
    FleetFlags & {
      robots?: string;
      all?: boolean;
      batch: string;
      maxFail: string;
      readyTimeout: string;
    }
  >(
    fleet.command("restart")
      .description(
        "restart one component robot after robot, a batch at a time, each batch waited for " +
          "until it runs again; stops when more robots failed than --max-fail",
      )
      .argument("<component>", "the component's name")
      .option("--robots <names>", "the robots to restart it on (a,b)")
      .option("--all", "every robot of the fleet")
      .option("--batch <n>", "robots restarted together: N or P% of the robots", "1")
      .option("--max-fail <n>", "robots that may fail before stopping: N or P%", "0")
      .option("--ready-timeout <ms>", "how long each robot has to run it again", "30000"),
    async (fleet, [component], flags) => {
      const { formatOutcome, robotCount, rollingRestart } = await import("./fleet_restart.ts");
      const robots = chooseRobots(fleet, flags);
      const readyTimeoutMs = Number(flags.readyTimeout);
      if (!Number.isFinite(readyTimeoutMs) || readyTimeoutMs <= 0) {
        throw new CliError("--ready-timeout must be a positive number of milliseconds", 2);
      }
      const plan = {
        component,
        batch: Math.max(1, robotCount(flags.batch, robots.length, "--batch", "up")),
        maxFail: robotCount(flags.maxFail, robots.length, "--max-fail", "down"),
        readyTimeoutMs,
      };
      console.log(
        `restarting ${component} on ${robots.length} robot(s), ${plan.batch} at a time, ` +
          `stopping after more than ${plan.maxFail} failure(s)`,
      );
      const outcomes = await rollingRestart(
        robots,
        plan,
        (outcome) => console.log(formatOutcome(outcome, component)),
      );
      const count = (r: string) => outcomes.filter((o) => o.result === r).length;
      console.log(
        `${count("restarted")} restarted, ${count("failed")} failed, ${count("skipped")} skipped`,
      );
      if (count("failed") + count("skipped") > 0) {
        throw new CliError(`the restart of ${component} did not reach every robot`, 1);
      }
    },
  );

  withFleet<FleetFlags & { yes?: boolean; stepTimeout: number; ztlExitCodes?: boolean }>(
    fleet.command("run-script")
      .description(
        "run a scene script whose handlers name robots of the fleet: each robot's first task " +
          "server (asked over its control endpoint) is the remote of its name, over CURVE",
      )
      .argument("<scene.yaml>", "the scene script")
      .option("-y, --yes", "run every scene once without asking (for services and tests)")
      .option(
        "--step-timeout <seconds>",
        "abort a step's tasks if they take longer; 0 (default) waits forever",
        parseSecondsFlag,
        0,
      )
      .option(...ZTL_EXIT_CODES_FLAG),
    async (fleet, [script], flags) => {
      const { readConfigText } = await import("../core/tasks/remotes.ts");
      const { parseScript } = await import("../core/tasks/script.ts");
      const { ConfigError } = await import("../core/tasks/yaml_source.ts");
      const { fleetRemotes } = await import("./fleet_script.ts");
      const { runSceneScript } = await import("./run_script.ts");
      await setupTaskLogging("warning");
      let used: string[];
      try {
        const parsed = parseScript(await readConfigText(script), script);
        used = parsed.scenes.flatMap((scene) =>
          scene.steps.flatMap((step) => step.handlers.map((h) => h.remote))
        );
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message);
        throw error;
      }
      await runSceneScript(await fleetRemotes(fleet, [...new Set(used)]), {
        script,
        yes: flags.yes,
        stepTimeout: flags.stepTimeout,
        ztlExitCodes: flags.ztlExitCodes,
        curveSecret: fleet.operatorKey,
      });
    },
  );

  withFleet<FleetFlags & { listen: string; users?: string; tokenFile?: string }>(
    fleet.command("serve")
      .description(
        "serve the fleet view: / (every robot's status line), /status.json and /metrics " +
          "(every robot's metrics with a robot label); loopback only unless it has a login",
      )
      .option("--listen <host:port>", "where to serve (loopback unless a login)", "127.0.0.1:7900")
      .option("--users <file>", "login: HTTP basic auth against name=password lines")
      .option("--token-file <file>", "login: Authorization: Bearer TOKEN against this file"),
    async (fleet, _args, flags) => {
      const { serveFleetView } = await import("./fleet_view.ts");
      const stop = new AbortController();
      const signal = shutdownSignal();
      signal.promise.then(() => stop.abort());
      try {
        const login = flags.users === undefined && flags.tokenFile === undefined ? null : {
          ...(flags.users === undefined ? {} : { users: flags.users }),
          ...(flags.tokenFile === undefined ? {} : { tokenFile: flags.tokenFile }),
        };
        const view = await serveFleetView(fleet, flags.listen, login, stop.signal);
        console.log(
          `fleet ${fleet.name}: ${fleet.robots.length} robots at http://${view.hostname}:${view.port}/ ` +
            "(/metrics, /status.json)",
        );
        await view.finished;
      } finally {
        signal.cancel();
      }
    },
  );
}
