// The status page in a real browser: Debian's Chromium, headless, driven by
// puppeteer-core (no browser download: executablePath), against the example
// robot run by `zedge robot run` on free ports, with one more node that
// crashes when told to over a real socket. tests/peers/install.ts installs
// Chromium where it is missing.
import assert from "node:assert/strict";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { Push } from "../../core/sockets/mod.ts";
import { TaskClient } from "../../core/tasks/client.ts";
import { exampleRobot } from "./example_robot.ts";
import { freeTcpPort, spawnRobot, ZEDGE } from "./helpers.ts";
import { tempDir } from "../core/helpers.ts";

const CHROMIUM = "/usr/bin/chromium";

/** The page's document, as the functions run inside the browser use it (Deno has no DOM types). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
};

/** A node that crashes on the first message to its `crash` endpoint. */
const CRASHER = `import { Pull } from "${ZEDGE}";
export default async function main(ctx) {
  const pull = new Pull({ linger: 0 });
  await pull.bind(ctx.endpoints.crash);
  ctx.signal.addEventListener("abort", () => pull.close());
  for await (const [why] of pull) {
    throw new Error("crash requested: " + new TextDecoder().decode(why));
  }
}
`;

const EXAMPLE_COMPONENTS = [
  ["tasks", "task-server"],
  ["odometry", "node"],
  ["filter", "node"],
  ["odometer", "node"],
  ["planner", "node"],
  ["navigator", "node"],
  ["perception", "pipeline-worker"],
  ["mapper", "service-worker"],
];

async function launchChromium(profile: string): Promise<Browser> {
  return await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** The text of every component row, by name, with its state. */
function componentRows(page: Page): Promise<Record<string, { state: string; text: string }>> {
  return page.$$eval("[data-component]", (rows) =>
    Object.fromEntries(rows.map((row) => [
      row.getAttribute("data-component"),
      { state: row.getAttribute("data-state") ?? "", text: row.textContent ?? "" },
    ])));
}

Deno.test("status page in Chromium: components, a client's task, a crash without a reload, the log filter, a screenshot", async (t) => {
  const statusPort = freeTcpPort();
  const crashPort = freeTcpPort();
  const work = await tempDir("zedge-browser-");
  await Deno.writeTextFile(join(work, "crasher.ts"), CRASHER);
  const robot = await exampleRobot(
    `status: 127.0.0.1:${statusPort}\ncontrol: ipc://${work}/kitchen-bot.sock\n`,
    `  crasher:\n    kind: node\n    module: ${join(work, "crasher.ts")}\n` +
      `    bind: { crash: "tcp://127.0.0.1:${crashPort}" }\n    restart: never\n`,
  );
  const running = await spawnRobot(robot.file);
  const base = `http://127.0.0.1:${statusPort}`;
  const browser = await launchChromium(join(work, "profile"));
  const requested: string[] = [];
  try {
    const page = await browser.newPage();
    page.on("request", (request) => requested.push(request.url()));
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${base}/`, { waitUntil: "load" });

    await t.step("the page shows the example robot's components", async () => {
      await page.waitForFunction(
        (count) =>
          document.querySelectorAll('[data-component][data-state="running"]').length === count,
        { timeout: 20_000 },
        EXAMPLE_COMPONENTS.length + 1,
      );
      const rows = await componentRows(page);
      for (const [name, kind] of EXAMPLE_COMPONENTS) {
        assert.equal(rows[name]?.state, "running", name);
        assert.ok(rows[name].text.includes(kind), `${name}: ${rows[name].text}`);
      }
      assert.equal(await page.title(), "kitchen-bot · zedge");
      assert.equal(await page.$eval("#live", (e) => e.textContent), "live");
      // The topics' rates arrive with the components' figures.
      await page.waitForFunction(
        () => {
          const rate = document.querySelector('[data-topic="odom"] td.num')?.textContent ?? "0";
          return Number(rate) > 10;
        },
        { timeout: 20_000 },
      );
    });

    await t.step(
      "a task started by a client appears with its progress, then its result",
      async () => {
        const client = new TaskClient({ endpoint: robot.tasks, scope: "/robot" });
        try {
          const { id } = await client.trigger({
            handler: "drive",
            component: "forward",
            goal: "2",
          });
          const row = `[data-task="tasks/robot#${id}"]`;
          await page.waitForFunction(
            (selector) =>
              /^driving forward: \d\.\d of 2 m$/.test(
                document.querySelector(`${selector} .progress`)?.textContent ?? "",
              ),
            { timeout: 20_000 },
            row,
          );
          assert.equal(await page.$eval(row, (e) => e.getAttribute("data-state")), "ACCEPTED");
          await page.waitForSelector(`${row}[data-state="COMPLETED"]`, { timeout: 30_000 });
          assert.equal(
            await page.$eval(`${row} .progress`, (e) => e.textContent),
            "drove forward 2 m",
          );
        } finally {
          await client.close();
        }
      },
    );

    await t.step(
      "a component that crashes changes state on the page without a reload",
      async () => {
        await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce = true);
        const push = new Push({ linger: 1000 });
        try {
          push.connect(`tcp://127.0.0.1:${crashPort}`);
          await push.send("from the browser test");
          const sent = performance.now();
          await page.waitForSelector('[data-component="crasher"][data-state="failed"]', {
            timeout: 20_000,
          });
          console.log(`crash → page: ${Math.round(performance.now() - sent)} ms`);
        } finally {
          await push.close();
        }
        assert.equal(
          await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce),
          true,
          "the same document: no reload",
        );
        const rows = await componentRows(page);
        assert.match(rows.crasher.text, /Error: crash requested: from the browser test/);
        assert.equal(rows.odometry.state, "running", "the others carry on");
      },
    );

    await t.step("the log tail filters by level", async () => {
      await page.waitForFunction(
        () => document.querySelectorAll('#log [data-level="error"]').length > 0,
        { timeout: 10_000 },
      );
      await page.select("#log-level", "error");
      const levels = await page.$$eval(
        "#log [data-level]",
        (lines) => lines.map((l) => [l.getAttribute("data-level"), l.textContent]),
      );
      assert.ok(levels.length > 0);
      assert.ok(levels.every(([level]) => level === "error" || level === "fatal"), String(levels));
      assert.ok(levels.some(([, text]) => /supervisor: crasher is failed/.test(text ?? "")));
      await page.select("#log-level", "info");
      const all = await page.$$eval("#log [data-level]", (lines) => lines.length);
      assert.ok(all > levels.length, `${all} lines at info, ${levels.length} at error`);
    });

    await t.step("a click on a topic's row shows its latest value; another hides it", async () => {
      await page.click('[data-topic="odom"]');
      const value = await page.waitForFunction(
        () => {
          const text = document.querySelector('[data-latest="odom"] pre')?.textContent;
          return text ? text : false;
        },
        { timeout: 10_000 },
      );
      const pose = JSON.parse(await value.jsonValue() as string);
      assert.deepEqual(Object.keys(pose).sort(), ["theta", "x", "y"]);
      assert.match(
        await page.$eval('[data-latest="odom"]', (e) => e.textContent ?? ""),
        /latest from odometry at/,
      );
      // It is fetched again with each view: the pose moves on while the row stays open.
      await page.waitForFunction(
        (first) => document.querySelector('[data-latest="odom"] pre')?.textContent !== first,
        { timeout: 10_000 },
        await value.jsonValue(),
      );
      await page.click('[data-topic="odom"]');
      await page.waitForFunction(() => document.querySelector('[data-latest="odom"]') === null);
    });

    await t.step("a screenshot is written", async () => {
      const file = join(work, "status-page.png");
      await page.screenshot({ path: file, fullPage: true });
      const png = await Deno.readFile(file);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.ok(png.length > 20_000, `${png.length} bytes`);
      console.log(`screenshot: ${file} (${png.length} bytes)`);
    });

    await t.step("nothing came from anywhere but the robot, and the page threw nothing", () => {
      assert.ok(requested.length > 0);
      assert.deepEqual(requested.filter((url) => !url.startsWith(`${base}/`)), []);
      assert.deepEqual(pageErrors, []);
    });
  } finally {
    await browser.close();
    const exit = await running.stop();
    assert.equal(exit.code, 0, running.stderr());
  }
});
