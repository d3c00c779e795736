/**
 * `zedge service …`: a running robot's services, shaped like `ros2
 * service`:
 *
 * ```
 * zedge service list [robot.yaml] [--json]              services and their providers
 * zedge service call SERVICE REQUEST [robot.yaml] [--json] [--timeout MS]
 * ```
 *
 * The supervisor makes the call on the dataflow, as a node would; the
 * reply is printed as YAML (`--json`: the value alone, as JSON). A call
 * that fails (the provider threw, nobody answered in time) exits 1 with
 * the reason. The robot is named as in every `zedge robot` command.
 *
 * @module
 */
import type { Command } from "commander";
import { escapeUntrusted } from "../core/logs/escape.ts";
import { CliError } from "./errors.ts";
import { jsonLine, liveClient } from "./live_common.ts";
import { parseValueArgument, yamlText } from "./live_values.ts";
import { fileRobotSource, formatTable, type RobotSource } from "./robot_common.ts";
import { askRobot, type RobotTargetFlags, withRobotTarget } from "./robot_target.ts";

interface JsonFlags extends RobotTargetFlags {
  json?: boolean;
}

/**
 * Registers `zedge service` and its subcommands.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./service.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command, source: RobotSource = fileRobotSource): void {
  const service = program.command("service")
    .description("a running robot's services, as ros2 service shows them: list, call")
    .showHelpAfterError(false);

  withRobotTarget<JsonFlags>(
    service.command("list")
      .description("every service of the robot and the components that provide it")
      .option("--json", "print the services as JSON"),
    source,
    async (target, _args, flags) => {
      const reply = await askRobot(target, { op: "services" }) as {
        services?: { service: string; providers: string[] }[];
      };
      const services = reply.services ?? [];
      if (flags.json) console.log(JSON.stringify(services, null, 2));
      else if (services.length === 0) console.log("no services");
      else {
        console.log(formatTable([
          ["SERVICE", "PROVIDERS"],
          ...services.map((s) => [s.service, s.providers.join(",")].map((c) => escapeUntrusted(c))),
        ]));
      }
    },
  );

  withRobotTarget<JsonFlags>(
    service.command("call")
      .description(
        "call a service with a request (JSON, or YAML as ros2 takes it) and print its reply; " +
          "--timeout is how long the call may take",
      )
      .argument("<service>", "the service")
      .argument("[request]", `the request, e.g. '{"to": [3, 1]}' (default {})`)
      .option("--json", "print the reply's value alone, as JSON"),
    source,
    async (target, [name, text], flags) => {
      const request = text === undefined ? {} : parseValueArgument(text, "REQUEST");
      if (!flags.json) console.log(`requester: making request: ${jsonLine(request)}\n`);
      // The supervisor waits `timeoutMs` for the provider; this client a little longer for it.
      const client = liveClient({ ...target, timeoutMs: target.timeoutMs + 1000 });
      try {
        const reply = await client.ask({
          op: "call",
          service: name,
          request,
          timeoutMs: target.timeoutMs,
        });
        if (!reply.ok) {
          const code = typeof reply.code === "string" ? `${reply.code}: ` : "";
          throw new CliError(`service call failed: ${code}${escapeUntrusted(reply.error ?? "")}`);
        }
        if (flags.json) console.log(jsonLine(reply.value));
        else console.log(`response:\n${yamlText(reply.value)}`);
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(escapeUntrusted((error as Error).message));
      } finally {
        await client.close();
      }
    },
  );
}
