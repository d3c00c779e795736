/**
 * A directory private to the robot's user, for its ipc sockets (the
 * dataflow's, the control endpoint's): created with mode 0700 by one
 * `mkdir` (which fails if anything is there already, so nothing can be
 * slipped in between a check and the creation), or, when it exists, used
 * only if it is a real directory (not a symbolic link) owned by this user
 * and writable by no one else — otherwise another user could move or
 * replace the sockets in it. In a sticky directory such as /tmp nobody else
 * can then rename or remove it.
 *
 * @example
 * ```ts
 * import { ensurePrivateDir } from "./private_dir.ts";
 * await ensurePrivateDir("/tmp/zedge-kitchen-bot");
 * ```
 * @module
 */
import { ZedgeError } from "../core/errors.ts";
import { dirname } from "node:path";

/**
 * A directory that cannot be used safely.
 *
 * @example
 * ```ts
 * import { UnsafeDirError } from "./private_dir.ts";
 * throw new UnsafeDirError("/tmp/zedge-kitchen-bot is owned by user 65534 (mode 0777): …");
 * ```
 */
export class UnsafeDirError extends ZedgeError {
  /** Always `"unsafe-dir"`. */
  readonly code: string = "unsafe-dir";
  /** Creates the error; the message is one line naming the directory, owner and mode. */
  constructor(message: string) {
    super(message);
    this.name = "UnsafeDirError";
  }
}

/**
 * Makes `path` the robot's private directory (see the module
 * documentation); throws {@link UnsafeDirError} when it exists and is not.
 * Missing parents are created first (mode 0755, as `mkdir -p`).
 *
 * @example
 * ```ts
 * import { ensurePrivateDir } from "./private_dir.ts";
 * await ensurePrivateDir("/run/user/1000/zedge");
 * ```
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { mode: 0o700 });
    await Deno.chmod(path, 0o700); // the umask may have taken bits away, never added: exact
    return;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      await Deno.mkdir(dirname(path), { recursive: true });
      return await ensurePrivateDir(path);
    }
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const info = await Deno.lstat(path);
  const mode = (info.mode ?? 0) & 0o7777;
  const octal = octalMode(mode);
  const me = await ownUid(path);
  const why = info.isSymlink
    ? "is a symbolic link"
    : !info.isDirectory
    ? "is not a directory"
    : me === null || info.uid !== me
    ? `is owned by user ${info.uid}, not this robot's user${
      me === null ? "" : ` ${me}`
    } (mode ${octal})`
    : (mode & 0o022) !== 0
    ? `is writable by ${mode & 0o002 ? "every user" : "its group"} (mode ${octal})`
    : null;
  if (why !== null) {
    throw new UnsafeDirError(
      `${path} ${why}: another user could move or replace the robot's sockets in it; ` +
        "remove it, or name another directory",
    );
  }
}

/**
 * A file mode as `ls` and `chmod` write it in octal (`0644`).
 *
 * @example
 * ```ts
 * import { octalMode } from "./private_dir.ts";
 * octalMode(0o600); // "0600"
 * ```
 */
export function octalMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}

/**
 * This process's user id without asking for `sys` leave: the owner of a
 * file it creates in `dir` (and removes at once); null when it cannot
 * create one there (then the directory is not its own either).
 */
async function ownUid(dir: string): Promise<number | null> {
  const probe = `${dir}/.zedge-owner-${crypto.randomUUID()}`;
  try {
    const file = await Deno.open(probe, { createNew: true, write: true, mode: 0o600 });
    try {
      return (await file.stat()).uid;
    } finally {
      file.close();
      await Deno.remove(probe).catch(() => {});
    }
  } catch {
    return null;
  }
}
