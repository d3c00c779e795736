/**
 * Files zedge writes that hold what other local users must not read (secret
 * keys, recordings of a robot's data, log files), opened so that another
 * user cannot redirect the write or read what is written: never through a
 * symbolic link, never into a file someone else made, and created with the
 * owner alone able to read them. In a shared directory such as /tmp another
 * user may name the path first — a link to a file of the writer's (which a
 * plain `open` with `create` and `truncate` would follow and overwrite), or
 * a file of their own (which the writer would fill for them to read).
 *
 * @example
 * ```ts
 * import { createPrivateFile } from "./private_file.ts";
 * const file = await createPrivateFile("/tmp/zedge-example.mcap", { replace: true });
 * file.close();
 * ```
 * @module
 */

/**
 * Creates a new file at `path`, mode `mode` (default 0600), by one
 * exclusive create (`O_CREAT|O_EXCL`: it fails on anything at the path, a
 * dangling link included, so nothing is followed). With `replace`, what is
 * at `path` first goes (a symbolic link itself, not what it points to; a
 * directory stays, and the create then fails); in a sticky directory
 * another user's file cannot be removed, and the error says so.
 *
 * @example
 * ```ts
 * import { createPrivateFile } from "./private_file.ts";
 * const file = await createPrivateFile("/tmp/zedge-example.key", { replace: true });
 * file.close();
 * ```
 */
export async function createPrivateFile(
  path: string,
  options: { replace?: boolean; mode?: number } = {},
): Promise<Deno.FsFile> {
  if (options.replace) {
    const info = await Deno.lstat(path).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    });
    if (info !== null && !info.isDirectory) {
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
  }
  return await Deno.open(path, { write: true, createNew: true, mode: options.mode ?? 0o600 });
}

/**
 * Opens `path` to append to (a log file): created as by
 * {@link createPrivateFile} when missing; when it exists, only a regular
 * file of this process's user, reached without a symbolic link (the file
 * opened is checked to be the one looked at, so a link slipped in between
 * is caught). Anything else throws `Deno.errors.PermissionDenied` naming
 * what is wrong.
 *
 * @example
 * ```ts
 * import { appendPrivateFile } from "./private_file.ts";
 * const file = await appendPrivateFile("/tmp/zedge-example.log");
 * file.close();
 * ```
 */
export async function appendPrivateFile(path: string): Promise<Deno.FsFile> {
  for (let attempt = 0;; attempt++) {
    let seen: Deno.FileInfo;
    try {
      seen = await Deno.lstat(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      try {
        const file = await createPrivateFile(path);
        file.close();
        // Reopened to append: the checks below then hold for the new file too.
        continue;
      } catch (created) {
        // Made by someone else in between: checked as an existing one, once.
        if (created instanceof Deno.errors.AlreadyExists && attempt === 0) continue;
        throw created;
      }
    }
    const why = notOwnFile(seen);
    if (why !== null) throw new Deno.errors.PermissionDenied(`${path} ${why}: not written`);
    const file = await Deno.open(path, { append: true });
    const opened = await file.stat();
    if (opened.dev === seen.dev && opened.ino === seen.ino) return file;
    file.close();
    if (attempt > 0) {
      throw new Deno.errors.PermissionDenied(`${path} changed while it was opened: not written`);
    }
  }
}

/** Why a file seen (by lstat) is not one to write: a link, not a regular file, another's; else null. */
function notOwnFile(seen: Deno.FileInfo): string | null {
  const me = processUid();
  return seen.isSymlink
    ? "is a symbolic link"
    : !seen.isFile
    ? "is not a regular file"
    : me !== null && seen.uid !== me
    ? `is owned by user ${seen.uid}, not this process's user ${me}`
    : null;
}

/**
 * Makes `path` ready for a library that opens it by name itself (SQLite):
 * created empty, mode 0600, by an exclusive create when missing; when it
 * exists, and for each of `companions` that exists (SQLite's `-wal` and
 * `-shm`, which it creates with the database's mode), only a regular file
 * of this process's user, not a symbolic link. Anything else throws
 * `Deno.errors.PermissionDenied` naming the path and what is wrong. (The
 * library's own open comes after this check; in a sticky directory the
 * kernel's protected_symlinks keeps a link slipped in between from being
 * followed.)
 *
 * @example
 * ```ts
 * import { preparePrivateFileSync } from "./private_file.ts";
 * const dir = Deno.makeTempDirSync();
 * preparePrivateFileSync(`${dir}/run.db`, [`${dir}/run.db-wal`]);
 * ```
 */
export function preparePrivateFileSync(path: string, companions: readonly string[] = []): void {
  for (const candidate of [path, ...companions]) {
    let seen: Deno.FileInfo;
    try {
      seen = Deno.lstatSync(candidate);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      if (candidate !== path) continue;
      try {
        Deno.openSync(path, { write: true, createNew: true, mode: 0o600 }).close();
        continue;
      } catch (created) {
        // Made by someone else in between: checked as an existing one.
        if (!(created instanceof Deno.errors.AlreadyExists)) throw created;
        seen = Deno.lstatSync(path);
      }
    }
    const why = notOwnFile(seen);
    if (why !== null) throw new Deno.errors.PermissionDenied(`${candidate} ${why}: not opened`);
  }
}

/**
 * This process's user id: `Deno.uid()` where `sys` leave is given, else
 * the owner of `/proc/self` (a robot's baked flags read /proc, not `sys`);
 * null when neither may be asked.
 *
 * @example
 * ```ts
 * import { processUid } from "./private_file.ts";
 * console.log(processUid()); // 0 as root
 * ```
 */
export function processUid(): number | null {
  try {
    const uid = Deno.uid();
    if (uid !== null) return uid;
  } catch {
    // No `sys` leave: /proc tells too.
  }
  try {
    return Deno.statSync("/proc/self").uid;
  } catch {
    return null;
  }
}
