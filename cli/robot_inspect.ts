/**
 * `zedge robot check`, `zedge robot permissions` and `zedge robot schema`:
 * what a robot YAML says, before anything runs.
 *
 * ```sh
 * zedge robot check robot.yaml              # every problem at once, file:line
 * zedge robot permissions robot.yaml        # per component, and the deno run flags
 * zedge robot permissions robot.yaml --json
 * zedge robot schema > robot.schema.json    # JSON Schema for editors
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { RobotConfig } from "../robot/config.ts";
import { type ComponentPermissions, permissionFlags } from "../robot/permissions.ts";
import { robotProcessFlags, robotProcessPermissions } from "../robot/process_permissions.ts";
import { robotJsonSchema } from "../robot/schema.ts";
import {
  codeOrFail,
  modulesOrFail,
  type RobotFileFlags,
  type RobotSource,
  withRobotFile,
} from "./robot_common.ts";

interface PermissionsFlags extends RobotFileFlags {
  json?: boolean;
}

/**
 * Adds `check`, `permissions` and `schema` to the `zedge robot` command.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { registerInspect } from "./robot_inspect.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * registerInspect(new Command("robot"), fileRobotSource);
 * ```
 */
export function registerInspect(robot: Command, source: RobotSource): void {
  withRobotFile<RobotFileFlags>(
    robot.command("check").description(
      "validate the robot YAML, its pipeline files and its modules (each loaded with its " +
        "component's permissions); every problem is reported at once as file:line",
    ),
    source,
    async (file, flags) => {
      const config = await source.load(file, flags);
      await modulesOrFail(config);
      const kinds = config.components.map((c) => `${c.name} (${c.kind})`).join(", ");
      console.log(
        `${config.file}: ok: robot ${config.robot}, ${config.components.length} components: ${kinds}`,
      );
    },
  );

  withRobotFile<PermissionsFlags>(
    robot.command("permissions")
      .description(
        "what each component may touch (derived from its endpoints, modules and declared " +
          "paths), as a table and as the equivalent deno run flags; last, the robot process itself",
      )
      .option("--json", "print JSON"),
    source,
    async (file, flags) => {
      const config = await source.load(file, flags);
      const code = source.embedded ? [] : await codeOrFail(config);
      console.log(
        flags.json
          ? JSON.stringify(permissionsReport(config, code), null, 2)
          : formatPermissions(config, code),
      );
    },
  );

  if (source.embedded) return;
  robot.command("schema")
    .description("print the robot YAML's JSON Schema (for editors: yaml-language-server)")
    .action(() => {
      console.log(JSON.stringify(robotJsonSchema(), null, 2));
    });
}

/**
 * The `--json` form of `zedge robot permissions`.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "../robot/config.ts";
 * import { permissionsReport } from "./robot_inspect.ts";
 * const report = permissionsReport(await loadRobotConfig("examples/robot/robot.yaml"));
 * console.log(report.components[0].flags);
 * ```
 */
export function permissionsReport(config: RobotConfig, code: readonly string[] = []): {
  robot: string;
  components: { name: string; kind: string; permissions: ComponentPermissions; flags: string[] }[];
  process: { permissions: ComponentPermissions; flags: string[] };
} {
  return {
    robot: config.robot,
    components: config.components.map((c) => ({
      name: c.name,
      kind: c.kind,
      permissions: c.permissions,
      flags: permissionFlags(c.permissions),
    })),
    process: {
      permissions: robotProcessPermissions(config, { mode: "source" }, [], code),
      flags: robotProcessFlags(config, { mode: "source" }, [], code),
    },
  };
}

function shown(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") || rel === "" ? path : rel;
}

function formatPermissions(config: RobotConfig, code: readonly string[]): string {
  const lines = [
    `robot ${config.robot}: what each component may touch (run, ffi, sys and remote imports: never)`,
  ];
  const list = (items: string[], map = (s: string) => s) =>
    items.length === 0 ? "-" : items.map(map).join(", ");
  for (const c of config.components) {
    const p = c.permissions;
    lines.push(
      "",
      `${c.name} (${c.kind})`,
      `  net    ${list(p.net)}`,
      `  read   ${list(p.read, shown)}`,
      `  write  ${list(p.write, shown)}`,
      `  env    ${list(p.env)}`,
      `  as flags: deno run ${permissionFlags(p).join(" ") || "(no permission flags)"}`,
    );
  }
  lines.push(
    "",
    "the robot process (the union, its control endpoint, its config files and zedge's code):",
    `  deno run ${robotProcessFlags(config, { mode: "source" }, [], code).join(" ")} ${
      shown(fromFileUrl(new URL("../cli/main.ts", import.meta.url)))
    } robot run ${shown(config.file)}`,
  );
  return lines.join("\n");
}
