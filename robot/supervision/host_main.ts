/**
 * A component's host process: started by the supervisor (see
 * host_process.ts) with the component's permissions, it dials the
 * supervisor's socket (its first argument), starts the component's Worker
 * on the first `start`, and relays every message both ways. It runs
 * nothing else, so the supervisor can always take a component back by
 * killing its host: a busy loop's core, a leak's memory, its ports.
 * Its `--v8-flags=--max-old-space-size=N` bounds the component's heap.
 *
 * @example
 * ```sh
 * deno run --unstable-worker-options --allow-read=… robot/supervision/host_main.ts /run/zedge/r/host-planner.sock
 * ```
 * @module
 */
import { componentWorkerUrl } from "../component_entry.ts";
import { workerPermissions } from "../permissions.ts";
import type { ToComponent } from "../protocol.ts";
import { FrameLink } from "./frame_link.ts";
import type { HostEvent } from "./host_process.ts";

/**
 * Runs the host: dials `socket` and serves one component (see the module documentation).
 *
 * @example
 * ```ts
 * import { runComponentHost } from "./host_main.ts";
 * await runComponentHost("/run/zedge/r/host-planner.sock");
 * ```
 */
export async function runComponentHost(socket: string): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  let worker: Worker | null = null;
  let heard = false;
  const serve = (data: unknown) => {
    const message = data as ToComponent;
    if (worker === null && message.op === "start") {
      worker = new Worker(componentWorkerUrl(message.spec), {
        type: "module",
        name: `${message.spec.robot}/${message.spec.name}`,
        deno: { permissions: workerPermissions(message.spec.permissions) },
      });
      worker.onmessage = (event) => {
        heard = true;
        link.send(event.data);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        link.send({ op: "host-error", message: event.message ?? "", heard } satisfies HostEvent);
      };
      worker.onmessageerror = () => {
        link.send({ op: "host-error", message: "sent a message that cannot be read", heard });
      };
    }
    // An inproc accept carries one end of a channel (relayed by the link): it moves, not copies.
    const port = (message as { port?: unknown }).port;
    worker?.postMessage(message, port instanceof MessagePort ? [port] : []);
  };
  // The supervisor gone (its socket closed): nothing of the component may outlive it.
  const link = new FrameLink(conn, serve, () => Deno.exit(0), "h");
}

if (import.meta.main) await runComponentHost(Deno.args[0]);
