/**
 * Secret files the robot reads (its CURVE secret key, the status page's
 * users and token files) must be the robot user's own, as ssh wants a
 * private key: a file other users may read is refused, in one line naming
 * the file, its mode and the fix (`chmod 600 FILE`).
 *
 * The rule is ssh's, with one allowance: any permission for every user
 * (`o`) is refused; permissions for the group only when the file is this
 * user's own — a key owned by root and readable by the robot's group
 * (`root:zedge 0640`) is how an administrator hands a key to a service.
 *
 * @example
 * ```ts
 * import { secretFileProblem } from "./secret_files.ts";
 * const problem = secretFileProblem("/etc/zedge/keys/kitchen-bot.key");
 * if (problem !== null) console.error(problem);
 * ```
 * @module
 */
import { processUid } from "../core/security/private_file.ts";
import { octalMode } from "./private_dir.ts";

/**
 * Why `path` may not hold a secret (`… is open to other users (mode 0644):
 * chmod 600 …`), or null when it may, or when it cannot be looked at (a
 * missing file is told where it is read). `uid` is the user the robot runs
 * as (default: this process's): `zedge robot systemd --user robot`, run by
 * root, judges a `root:robot 0640` key as the robot user will, not as root.
 *
 * @example
 * ```ts
 * import { secretFileProblem } from "./secret_files.ts";
 * await Deno.writeTextFile("/tmp/zedge-example-token", "t0ken\n", { mode: 0o600 });
 * console.log(secretFileProblem("/tmp/zedge-example-token")); // null
 * ```
 */
export function secretFileProblem(path: string, uid: number | null = processUid()): string | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    return null;
  }
  if (!info.isFile || info.mode === null) return null;
  const mode = info.mode & 0o7777;
  const own = uid === null || info.uid === null || info.uid === uid;
  const open = (mode & 0o007) !== 0 || (own && (mode & 0o070) !== 0);
  if (!open) return null;
  return `${path} is open to other users (mode ${octalMode(mode)}); a secret must be readable ` +
    `by its owner only: chmod 600 ${path}`;
}
