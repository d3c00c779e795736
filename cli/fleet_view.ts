/**
 * `zedge fleet serve`: the fleet in one browser tab and one scrape — `/`
 * a page with every robot's status line, `/status.json` what `zedge fleet
 * status --json` prints, and `/metrics` every robot's metrics (those of its
 * own `/metrics`) with a `robot` label, as a Prometheus federation endpoint
 * would give them, plus `zedge_fleet_robot_up`. Every request asks all the
 * robots at once, each within the timeout.
 *
 * As a robot's status page in protected mode: without a login it listens on
 * loopback only (reach it from elsewhere over `ssh -L`) and answers only
 * requests whose Host is an IP address (DNS rebinding); with a login
 * (`users`: `name=password` lines, or `tokenFile`) it may listen anywhere.
 *
 * @module
 */
import { isLoopbackHost, parseEndpoint } from "../core/transport/endpoint.ts";
import type { RobotView } from "../robot/observe/view.ts";
import type { MetricFamily } from "../robot/observe/prometheus_text.ts";
import type { StatusLogin } from "../robot/spec.ts";
import { CliError } from "./errors.ts";
import type { Fleet } from "./fleet_file.ts";
import { fleetStatus, formatFleetStatus } from "./fleet_status.ts";
import { askRobot } from "./robot_target.ts";

/**
 * Every robot's metric families merged into one set, each sample labelled
 * with its `robot`, and `zedge_fleet_robot_up` (1 when it answered).
 *
 * @example
 * ```ts
 * import { fleetMetricFamilies } from "./fleet_view.ts";
 * const families = fleetMetricFamilies([{ robot: "arm-bot", view: null }]);
 * console.log(families[0].name); // zedge_fleet_robot_up
 * ```
 */
export async function fleetMetricFamilies(
  views: readonly { robot: string; view: RobotView | null }[],
): Promise<MetricFamily[]> {
  const { robotMetricFamilies } = await import("../robot/observe/robot_metrics.ts");
  const up: MetricFamily = {
    name: "zedge_fleet_robot_up",
    help: "1 when the robot's supervisor answered the fleet view, else 0",
    type: "gauge",
    samples: views.map(({ robot, view }) => ({ labels: { robot }, value: view === null ? 0 : 1 })),
  };
  const merged = new Map<string, MetricFamily>();
  for (const { robot, view } of views) {
    if (view === null) continue;
    for (const family of robotMetricFamilies(view)) {
      const into = merged.get(family.name) ?? { ...family, samples: [] };
      merged.set(family.name, into);
      for (const sample of family.samples) {
        // A robot labels its own samples with its YAML's name; the fleet file's name is the one
        // zedge_fleet_robot_up and the status table use, so it wins.
        into.samples.push({ labels: { ...sample.labels, robot }, value: sample.value });
      }
    }
  }
  return [up, ...merged.values()];
}

async function robotViews(fleet: Fleet) {
  return await Promise.all(fleet.robots.map(async (robot) => {
    try {
      const reply = await askRobot(robot.target, { op: "view" });
      return { robot: robot.name, view: "view" in reply ? reply.view : null };
    } catch {
      return { robot: robot.name, view: null };
    }
  }));
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function pageOf(fleet: Fleet, table: string): string {
  const text = table.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">` +
    `<title>fleet ${text.split("\n")[0]}</title></head><body><pre>${text}</pre>` +
    `<p><a href="/metrics">/metrics</a> · <a href="/status.json">/status.json</a> · ` +
    `${fleet.robots.length} robots</p></body></html>\n`;
}

/**
 * Serves the fleet view on `listen` (HOST:PORT: loopback unless `login`
 * names users or a token file) until `signal` aborts; resolves the address
 * it listens on once it does.
 *
 * @example
 * ```ts
 * import { serveFleetView } from "./fleet_view.ts";
 * declare const fleet: import("./fleet_file.ts").Fleet;
 * const stop = new AbortController();
 * const { hostname, port, finished } = await serveFleetView(fleet, "127.0.0.1:0", null, stop.signal);
 * ```
 */
export async function serveFleetView(
  fleet: Fleet,
  listen: string,
  login: StatusLogin | null,
  signal: AbortSignal,
): Promise<{ hostname: string; port: number; finished: Promise<void> }> {
  let host: string;
  let port: number;
  try {
    const parsed = parseEndpoint(`tcp://${listen}`);
    if (parsed.transport !== "tcp") throw new Error("not HOST:PORT");
    host = parsed.host;
    port = parsed.port;
  } catch {
    throw new CliError(`--listen must be HOST:PORT (e.g. 127.0.0.1:7900), got '${listen}'`, 2);
  }
  if (!isLoopbackHost(host) && login === null) {
    throw new CliError(
      `--listen ${listen}: without a login the fleet view serves on loopback only ` +
        "(127.0.0.1:PORT; reach it over ssh -L PORT:127.0.0.1:PORT), or give --users FILE " +
        "(name=password lines) or --token-file FILE",
      2,
    );
  }
  const { secretFileProblem } = await import("../robot/secret_files.ts");
  for (const file of [login?.users, login?.tokenFile]) {
    if (file === undefined) continue;
    try {
      await Deno.readTextFile(file);
    } catch (error) {
      throw new CliError(`cannot read the login file ${file}: ${(error as Error).message}`, 2);
    }
    // As the robot's own status page: a login others can read is no login.
    const problem = secretFileProblem(file);
    if (problem !== null) throw new CliError(problem, 2);
  }
  const { httpRefusal } = await import("../robot/observe/http_access.ts");
  const { getLogger } = await import("@logtape/logtape");
  const page = {
    page: "fleet view",
    realm: `zedge fleet ${fleet.name}`,
    log: getLogger(["zedge"]),
  };
  const { METRICS_CONTENT_TYPE } = await import("../robot/observe/robot_metrics.ts");
  const { formatPrometheusText } = await import("../robot/observe/prometheus_text.ts");
  const { HttpGuard } = await import("../robot/http_guard.ts");
  // Behind the robots' guard: a deadline for request heads and a cap on connections, so a
  // slow or flooding client cannot hold the view's descriptors (see robot/http_guard.ts).
  const guard = new HttpGuard(host, port, page);
  const serve = (path: string) =>
    Deno.serve({ transport: "unix", path, signal, onListen: () => {} }, async (request) => {
      const refused = await httpRefusal(request, login, page);
      if (refused !== null) return refused;
      const path = new URL(request.url).pathname;
      if (request.method !== "GET") return new Response("GET only\n", { status: 405 });
      if (path === "/metrics") {
        const text = formatPrometheusText(await fleetMetricFamilies(await robotViews(fleet)));
        return new Response(text, { headers: { "content-type": METRICS_CONTENT_TYPE } });
      }
      if (path === "/status.json") {
        const robots = (await fleetStatus(fleet)).map(({ status: _, ...line }) => line);
        return Response.json({ fleet: fleet.name, robots });
      }
      if (path === "/") {
        const table = formatFleetStatus(fleet.name, await fleetStatus(fleet));
        return new Response(pageOf(fleet, table), {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      }
      return new Response("not found\n", { status: 404 });
    });
  let address: Deno.NetAddr;
  try {
    address = await guard.start(serve);
  } catch (error) {
    throw new CliError(`--listen ${listen}: ${(error as Error).message}`, 1);
  }
  const finished = new Promise<void>((resolve) => {
    const stop = () => guard.close().then(resolve, resolve);
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
  return { hostname: address.hostname, port: address.port, finished };
}
