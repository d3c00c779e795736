/**
 * `zedge ztl-aliases DIR`: makes ZTL 0.2.3's command names in DIR, so a
 * robot's launch files and scripts that call `ztl_task_server`,
 * `ztl_task_client`, `ztl_remote_task` or `ztl_run_script` run zedge
 * unchanged. A compiled zedge gets symbolic links to its binary; a checkout
 * run with `deno run` gets small scripts that start it under that name
 * (a link to `deno` itself would start plain deno).
 *
 * ```sh
 * zedge ztl-aliases /usr/local/bin
 * ztl_task_client -r robot -p 7779 -s /test test:echo:hi
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { CliError } from "./errors.ts";
import { ZTL_COMMANDS } from "./ztl_names.ts";

/** Where a compiled binary keeps its embedded modules (see robot/build.ts). */
const COMPILED = "/deno-compile-";

/**
 * The text of the script that runs this checkout's zedge as `name`.
 *
 * @example
 * ```ts
 * import { aliasScript } from "./ztl_aliases.ts";
 * console.log(aliasScript("ztl_task_client", "/usr/bin/deno", "/opt/zedge/cli/main.ts"));
 * ```
 */
export function aliasScript(name: string, deno: string, main: string): string {
  return [
    "#!/bin/bash",
    `# ${name}: ZTL's command, run by zedge (made by 'zedge ztl-aliases').`,
    `exec -a ${name} ${quote(deno)} run -A --unstable-worker-options ${quote(main)} "$@"`,
    "",
  ].join("\n");
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Registers `zedge ztl-aliases`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./ztl_aliases.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  program
    .command("ztl-aliases")
    .showHelpAfterError(false)
    .description(
      "make ZTL's command names (ztl_task_server, ztl_task_client, ztl_remote_task, " +
        "ztl_run_script) in DIR, each running the matching zedge command",
    )
    .argument("<dir>", "where to put them (a directory on PATH, such as /usr/local/bin)")
    .option("-f, --force", "replace files of those names that are there already")
    .action(async (dir: string, flags: { force?: boolean }) => {
      const compiled = Deno.mainModule.includes(COMPILED);
      const main = new URL("./main.ts", import.meta.url).pathname;
      for (const name of Object.keys(ZTL_COMMANDS)) {
        const path = `${dir.replace(/\/+$/, "")}/${name}`;
        try {
          if (flags.force) await Deno.remove(path).catch(() => {});
          if (compiled) {
            await Deno.symlink(Deno.execPath(), path);
          } else {
            await Deno.writeTextFile(path, aliasScript(name, Deno.execPath(), main), {
              createNew: true,
              mode: 0o755,
            });
          }
        } catch (error) {
          const reason = error instanceof Deno.errors.AlreadyExists
            ? "exists already (--force replaces it)"
            : error instanceof Error
            ? error.message
            : String(error);
          throw new CliError(`${path}: ${reason}`);
        }
        console.log(`${path} -> zedge ${ZTL_COMMANDS[name]}`);
      }
    });
}
