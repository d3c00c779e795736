// A hostile component posts `null` on every inproc link it is handed, the supervisor's own
// included: the supervisor's topic tap dials each publisher it watches over inproc, and the
// supervisor's isolate holds its end. What a component posts there may cost that link only:
// the supervisor (this test's isolate) lives on and streams an honest component's topic.
import assert from "node:assert/strict";
import { join } from "node:path";
import { LiveClient } from "../../robot/live/control_client.ts";
import { robotDir, startRobot, waitFor } from "./helpers.ts";

/** Publishes `topic` every 10 ms; `hostile` also posts null on each link the supervisor hands it. */
function talker(topic: string, hostile: boolean): string {
  return `export default async function main(ctx) {
  ${
    hostile
      ? `self.addEventListener("message", (event) => {
    if (event.data?.op === "inproc-accept") event.data.port.postMessage(null);
  });`
      : ""
  }
  let n = 0;
  const timer = setInterval(() => ctx.publish("${topic}", { n: ++n }).catch(() => {}), 10);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  clearInterval(timer);
}
`;
}

Deno.test("a component posting null on its inproc links costs those links, not the supervisor", async () => {
  const dir = await robotDir({
    "hostile.js": talker("chatter", true),
    "honest.js": talker("news", false),
  });
  const control = `ipc://${join(dir, "control.sock")}`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: test-bot
control: ${control}
components:
  hostile: { kind: node, module: ./hostile.js, publishes: { chatter: json } }
  honest: { kind: node, module: ./honest.js, publishes: { news: json } }
`,
  );
  const supervisor = await startRobot(dir, { control: true });
  const client = new LiveClient(control);
  try {
    const heard: string[] = [];
    await client.subscribe({ topics: ["chatter", "news"] }, (event) => {
      if (event.kind === "message") heard.push(event.topic);
    });
    // The tap's link to the hostile publisher is cut each time it is dialled; the other carries.
    await waitFor(() => heard.filter((topic) => topic === "news").length >= 10, "ten news");
    assert.ok(supervisor.status().components.every((c) => c.state === "running"));
  } finally {
    await client.close();
    await supervisor.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
