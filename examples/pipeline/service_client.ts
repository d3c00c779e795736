/**
 * Example service client: asks the `plan` service through the broker named
 * in `services.yaml` (its `broker.frontend`, so the ports are the file's,
 * environment overrides included), with a timeout and retries.
 *
 * @example
 * ```sh
 * deno run -A examples/pipeline/service_client.ts                 # services.yaml beside it
 * deno run -A examples/pipeline/service_client.ts other.yaml      # another pipeline file
 * ```
 * @module
 */
import { loadPipelineConfig, ServiceClient, ServiceError } from "../../mod.ts";

if (import.meta.main) {
  const file = Deno.args[0] ?? new URL("./services.yaml", import.meta.url).pathname;
  const config = await loadPipelineConfig(file, { checkModuleFiles: false });
  if (config.broker === undefined) throw new Error(`${file} has no broker section`);
  const client = new ServiceClient({
    broker: config.broker.frontend.connect,
    timeoutMs: 2000,
    retries: 2,
  });
  try {
    console.log(await client.request("plan", { from: [0, 0], to: [4, 2] }));
    await client.request("no-such-service", {});
  } catch (error) {
    if (error instanceof ServiceError) console.log(`${error.code}: ${error.message}`);
    else throw error;
  } finally {
    client.close();
  }
}
