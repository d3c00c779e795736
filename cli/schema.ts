/**
 * `zedge schema FILE-KIND`: prints the JSON Schema of one of zedge's YAML
 * files, for editors (`# yaml-language-server: $schema=…`): `robot`,
 * `pipeline`, `remotes`, `script` or `fleet`. Each comes from the zod schema that
 * validates the file, so editor and zedge agree.
 *
 * ```sh
 * zedge schema remotes > ~/.config/zmq-remotes.schema.json
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { CliError } from "./errors.ts";

/** Each kind of file and where its schema comes from, loaded only when asked for. */
const SCHEMAS: Record<string, () => Promise<Record<string, unknown>>> = {
  robot: async () => (await import("../robot/schema.ts")).robotJsonSchema(),
  pipeline: async () => (await import("../core/pipeline/schema.ts")).pipelineJsonSchema(),
  remotes: async () => (await import("../core/tasks/remotes.ts")).remotesJsonSchema(),
  script: async () => (await import("../core/tasks/script.ts")).scriptJsonSchema(),
  fleet: async () => (await import("./fleet_file.ts")).fleetJsonSchema(),
};

/**
 * Registers `zedge schema`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./schema.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  program
    .command("schema")
    .showHelpAfterError(false)
    .description("print the JSON Schema of a zedge YAML file, for editors")
    .argument("<kind>", Object.keys(SCHEMAS).join(" | "))
    .action(async (kind: string) => {
      if (!Object.hasOwn(SCHEMAS, kind)) {
        throw new CliError(
          `no schema for '${kind}' (one of: ${Object.keys(SCHEMAS).join(", ")})`,
          2,
        );
      }
      console.log(JSON.stringify(await SCHEMAS[kind](), null, 2));
    });
}
