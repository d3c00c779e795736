/**
 * Publishes this program's log records on a PUB socket, the way a robot
 * with `logs: ENDPOINT` in its YAML publishes every component's. Read them
 * with `zedge logs tail`, or from Python (see README.md here).
 *
 * ```sh
 * deno run -A examples/sockets/robot_logs.ts                       # tcp://127.0.0.1:7790
 * deno task zedge logs tail tcp://127.0.0.1:7790 --level info      # in another terminal
 * ```
 *
 * @module
 */
import { configure, getLogger } from "@logtape/logtape";
import { createPubLogSink } from "../../mod.ts";

const endpoint = Deno.args[0] ?? "tcp://127.0.0.1:7790";
const logs = await createPubLogSink({ endpoint, robot: "demo-bot", component: "lidar" });
await configure({
  sinks: { pub: logs.sink },
  loggers: [
    { category: ["demo-bot"], sinks: ["pub"], lowestLevel: "debug" },
    { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
  ],
});
console.log(`publishing log records on ${logs.endpoint} (Ctrl-C to stop)`);

const log = getLogger(["demo-bot", "lidar"]);
let scan = 0;
const timer = setInterval(() => {
  scan++;
  const points = 3600 - (scan % 7) * 40;
  log.debug("scan {scan} read", { scan });
  if (scan % 5 === 0) log.warn("scan {scan}: {points} points, a sector is dark", { scan, points });
  else log.info("scan {scan}: {points} points", { scan, points });
  // A record formed elsewhere (the supervisor does this for every component).
  if (scan % 10 === 0) {
    logs.publish("planner", {
      time: Date.now(),
      level: "error",
      category: ["demo-bot", "planner"],
      message: `no path after scan ${scan}`,
      properties: { scan },
    });
  }
}, 500);

const stop = () => {
  Deno.removeSignalListener("SIGINT", stop);
  clearInterval(timer);
  console.log(`published ${logs.published} records, ${logs.dropped} dropped`);
  logs.close();
};
Deno.addSignalListener("SIGINT", stop);
