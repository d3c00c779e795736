import type { Command } from "commander";
import { VERSION } from "../core/version.ts";

/**
 * Registers `zedge version`, which prints the zedge and Deno versions.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./version.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  program
    .command("version")
    .description("print the zedge version and the Deno runtime it runs on")
    .action(() => {
      console.log(`zedge ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})`);
    });
}
