// Another local Unix user, for tests of what a robot's files let them do: a
// system account made for the test (useradd, needs root) and removed after
// it, whatever happened; commands run as it with setpriv (its uid and gid
// only, no supplementary groups).
import { run } from "../tasks/processes.ts";

/** The user a test plays: its ids, and a command run as it. */
export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
  /** Runs `program args` as this user; resolves with its exit code and output. */
  run(
    program: string,
    ...args: string[]
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Runs `body` with a fresh unprivileged user, removed afterwards (also on failure). */
export async function withLocalUser<T>(body: (user: LocalUser) => Promise<T>): Promise<T> {
  const name = `zedge-other-${crypto.randomUUID().slice(0, 8)}`;
  const made = await run("useradd", [
    "--system",
    "--no-create-home",
    "--user-group",
    "--shell",
    "/usr/sbin/nologin",
    name,
  ]);
  if (made.code !== 0) throw new Error(`useradd ${name}: ${made.stderr}`);
  try {
    const uid = Number((await run("id", ["-u", name])).stdout.trim());
    const gid = Number((await run("id", ["-g", name])).stdout.trim());
    return await body({
      name,
      uid,
      gid,
      run: (program, ...args) =>
        run("setpriv", [
          `--reuid=${uid}`,
          `--regid=${gid}`,
          "--clear-groups",
          "--",
          program,
          ...args,
        ]),
    });
  } finally {
    await run("userdel", [name]);
  }
}

/**
 * A directory that every user may write in and only its owners may rename or remove from
 * (sticky, mode 1777), as /tmp, inside `parent` (made traversable): where another user can name
 * a path before the robot's user does.
 */
export async function stickyDir(parent: string, name = "shared"): Promise<string> {
  await Deno.chmod(parent, 0o755);
  const dir = `${parent}/${name}`;
  await Deno.mkdir(dir);
  await Deno.chmod(dir, 0o1777);
  return dir;
}
