/**
 * A job runner built on the SocketManager, AgentZero style: every socket has
 * a name, one `poll` serves all the inbound ones, values travel as msgpack.
 *
 * The runner takes jobs on a PULL socket, answers "how many done?" on a REP
 * socket and announces each finished job on a PUB socket. The clients — a
 * PUSH that submits, a REQ that asks, a SUB that watches — live in the same
 * program here so it runs on its own; in real life they are other programs
 * (in any language: the frames are plain msgpack).
 *
 * ```sh
 * deno run -A examples/sockets/job_runner.ts
 * ```
 *
 * @module
 */
import { SocketManager } from "../../mod.ts";

interface Job {
  id: number;
  tile: [number, number];
}

const JOBS = 5;
const runner = new SocketManager({ serializer: "msgpack" });
const clients = new SocketManager({ serializer: "msgpack" });

// The runner's sockets, each on a free loopback port. The events socket is an
// XPUB: a PUB that also hands its owner the subscriptions it receives.
runner.create("jobs", "pull");
runner.create("status", "rep");
runner.create("events", "xpub");
const jobsAt = await runner.bindToRandomPort("jobs", "tcp://127.0.0.1");
const statusAt = await runner.bindToRandomPort("status", "tcp://127.0.0.1");
const eventsAt = await runner.bindToRandomPort("events", "tcp://127.0.0.1");
console.log(`runner: jobs on ${jobsAt}, status on ${statusAt}, events on ${eventsAt}`);

// The runner's loop: one poll over its three sockets, serving whichever is ready.
const running = (async () => {
  let done = 0;
  let watchers = 0;
  let readyAsked = false; // a "ready?" waits for its answer until a watcher subscribed
  for (let stopped = false; !stopped;) {
    const { readable } = await runner.poll({ direction: "in" });
    for (const name of readable) {
      if (name === "events") {
        // A subscription is 1 + topic; its cancellation 0 + topic.
        const [subscription] = await runner.get("events").receive();
        watchers += subscription[0] === 1 ? 1 : -1;
        if (subscription[0] === 1) console.log("runner: a watcher subscribed");
      } else if (name === "status") {
        const question = await runner.receiveSafe<string>("status");
        stopped = question === "stop";
        if (question === "ready?" && watchers === 0) readyAsked = true;
        else await runner.sendSafe("status", stopped ? { done } : { done, watchers });
      } else {
        const job = (await runner.receiveSafe<Job>("jobs"))!;
        done++;
        await runner.publishSafe("events", "job.done", { ...job, by: "runner-1" });
      }
    }
    if (readyAsked && watchers > 0) {
      readyAsked = false;
      await runner.sendSafe("status", { done, watchers });
    }
  }
})();

// The clients connect by endpoint (ensureAndConnect again would change nothing).
clients.ensureAndConnect("submit", "push", jobsAt);
clients.ensureAndConnect("ask", "req", statusAt);
clients.ensureAndConnect("watch", "sub", eventsAt);

// The watcher: every job.* event, until all jobs were seen.
const watched = (async () => {
  let seen = 0;
  for await (const { topic, data } of clients.subscribe<Job>("watch", "job.")) {
    console.log(`watcher: ${topic} ${JSON.stringify(data)}`);
    if (++seen === JOBS) break;
  }
})();

// "ready?" is answered once the watcher's subscription reached the runner, so
// no event is published before anyone listens (ZeroMQ's "slow joiner").
await clients.sendSafe("ask", "ready?");
console.log(`client: runner says ${JSON.stringify(await clients.receiveSafe("ask"))}`);
for (let id = 1; id <= JOBS; id++) {
  await clients.sendSafe("submit", { id, tile: [id, id * 2] } satisfies Job);
}
await watched;
await clients.sendSafe("ask", "stop");
console.log(`client: runner says ${JSON.stringify(await clients.receiveSafe("ask"))}`);
await running;

await clients.closeAll();
await runner.closeAll();
