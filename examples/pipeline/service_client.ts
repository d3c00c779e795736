/**
 * Example service client: asks the `plan` service through the broker of
 * `services.yaml`, with a timeout and retries.
 *
 * @example
 * ```sh
 * deno run -A examples/pipeline/service_client.ts
 * ```
 * @module
 */
import { ServiceClient, ServiceError } from "../../mod.ts";

if (import.meta.main) {
  const client = new ServiceClient({
    broker: "tcp://127.0.0.1:5580",
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
