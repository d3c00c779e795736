// Worker used by permissions_test.ts: binds each endpoint it is sent with a
// zedge socket and reports "ok" or the error code, from inside its sandbox.
import { Pull } from "../../mod.ts";

self.onmessage = async (event: MessageEvent<string>) => {
  const pull = new Pull();
  try {
    await pull.bind(event.data);
    self.postMessage({ endpoint: event.data, result: "ok" });
  } catch (error) {
    self.postMessage({
      endpoint: event.data,
      result: (error as { code?: string }).code ?? String(error),
    });
  } finally {
    await pull.close();
  }
};
