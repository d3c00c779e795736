/**
 * The README stays a user's guide whose commands work: its test command is
 * the one CI runs, every `deno task NAME` it shows is a task of deno.json
 * (each with a description), every `zedge …` command it shows exists (its
 * `--help` answers), its links and the docs' links lead to files and
 * headings that exist, and the guide after the first screen stays short.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;
const README = await Deno.readTextFile(join(ROOT, "README.md"));

/** The shell lines of the README's ```sh blocks, comments and continuations joined. */
function shellLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1].replace(/\\\n\s*/g, " ");
    for (const line of joined.split("\n")) {
      const code = line.replace(/\s+#.*$/, "").trim();
      if (code !== "" && !code.startsWith("#")) lines.push(code);
    }
  }
  return lines;
}

Deno.test("README: the test command is the one CI runs, and the first screen shows it", async () => {
  const ci = await Deno.readTextFile(join(ROOT, ".ci/run"));
  const firstScreen = README.split("\n").slice(0, 8).join("\n");
  assert.match(firstScreen, /^npx -y deno@2\.9\.6 task demo /m);
  assert.match(firstScreen, /^npx -y deno@2\.9\.6 task test /m);
  assert.match(ci, /^npx -y deno@2\.9\.6 task test 2>&1/m, "CI runs exactly the README's command");
});

Deno.test("README: every deno task it shows exists and says what it does", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).tasks as Record<
    string,
    { description?: string; command?: string }
  >;
  for (const [name, task] of Object.entries(tasks)) {
    assert.ok(typeof task === "object" && task.description && task.command, `task ${name}`);
  }
  const shown = new Set(
    [...README.matchAll(/deno(?:@2\.9\.6)? task ([a-z][\w-]*)/g)].map((m) => m[1]),
  );
  assert.ok(shown.size > 0);
  for (const name of shown) assert.ok(name in tasks, `deno task ${name} is not in deno.json`);
});

Deno.test("README: every zedge command it shows exists", async () => {
  const commands = new Set<string>();
  for (const line of shellLines(README)) {
    const match = /(?:^|deno task )zedge ([a-z][\w-]*)(?: ([a-z][\w-]*))?/.exec(line);
    if (match === null) continue;
    commands.add(match[2] === undefined ? match[1] : `${match[1]} ${match[2]}`);
  }
  assert.ok(commands.size >= 10, [...commands].join(", "));
  const main = join(ROOT, "cli/main.ts");
  for (const command of commands) {
    let args = command.split(" ");
    let out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, ...args, "--help"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    // `zedge robot check FILE`: the second word is an argument, not a subcommand.
    if (out.code !== 0 && args.length === 2) {
      args = args.slice(0, 1);
      out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", main, ...args, "--help"],
        stdout: "piped",
        stderr: "piped",
      }).output();
    }
    const help = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, `zedge ${command} --help: ${new TextDecoder().decode(out.stderr)}`);
    assert.match(help, new RegExp(`^Usage: zedge ${args.join(" ")}`, "m"), `zedge ${command}`);
  }
});

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading.replace(/`/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").trim().toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, "").replace(/ /g, "-");
}

async function anchorsOf(path: string): Promise<Set<string>> {
  const text = (await Deno.readTextFile(path)).replace(/```[\s\S]*?```/g, "");
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of text.matchAll(/^#+\s+(.*)$/gm)) {
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

Deno.test("README and docs: every relative link leads to a file and heading that exist", async () => {
  const files = ["README.md"];
  for await (const entry of Deno.readDir(join(ROOT, "docs"))) {
    if (entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  const broken: string[] = [];
  for (const file of files) {
    const text = (await Deno.readTextFile(join(ROOT, file))).replace(/```[\s\S]*?```/g, "");
    for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(link)) continue;
      const [path, anchor] = link.split("#");
      const target = path === "" ? join(ROOT, file) : normalize(join(ROOT, dirname(file), path));
      try {
        await Deno.stat(target);
      } catch {
        broken.push(`${file}: ${link} (no such file)`);
        continue;
      }
      if (
        anchor !== undefined && target.endsWith(".md") && !(await anchorsOf(target)).has(anchor)
      ) {
        broken.push(`${file}: ${link} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("README: after its first screen, a guide of about 250 lines", () => {
  const lines = README.split("\n");
  const firstScreenEnd = lines.findIndex((l) => l.startsWith("## "));
  assert.ok(
    firstScreenEnd > 0 && firstScreenEnd < 40,
    "the first screen ends at the first section",
  );
  assert.ok(lines.length - firstScreenEnd <= 270, `${lines.length - firstScreenEnd} lines`);
});
