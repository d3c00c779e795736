// The status page's own defences: without a login it answers only a Host
// that is an IP address or localhost (a DNS-rebinding page in a browser
// names its own domain); with a login, basic auth from the users file or
// the bearer token from the token file, nothing else.
import assert from "node:assert/strict";
import { join } from "node:path";
import { RobotObservatory } from "../../robot/observe/observatory.ts";
import { StatusServer } from "../../robot/observe/status_server.ts";
import { tempDir } from "../core/helpers.ts";
import { rawGet } from "./helpers.ts";

const observatory = () =>
  new RobotObservatory(() => ({ robot: "r", pid: Deno.pid, uptimeMs: 0, components: [] }));

async function get(address: string, headers: Record<string, string> = {}) {
  // fetch sets Host from the URL: a raw request says what a rebinding page's browser would.
  return (await rawGet(address, "/status.json", headers)).status;
}

Deno.test("status page without a login: a Host that is a name (DNS rebinding) is refused", async () => {
  const server = new StatusServer("127.0.0.1:0", observatory());
  await server.start();
  try {
    const address = server.address!;
    assert.equal(await get(address), 200);
    assert.equal(await get(address, { host: `localhost:${address.split(":")[1]}` }), 200);
    assert.equal(await get(address, { host: `attacker.example:${address.split(":")[1]}` }), 403);
  } finally {
    await server.close();
  }
});

Deno.test("status page with a login: basic auth from the users file or the bearer token", async () => {
  const dir = await tempDir("zedge-status-login-");
  await Deno.writeTextFile(join(dir, "users"), "# operators\nalice=s3cret\n", { mode: 0o600 });
  await Deno.writeTextFile(join(dir, "token"), "t0ken-for-prometheus\n", { mode: 0o600 });
  const server = new StatusServer("127.0.0.1:0", observatory(), {
    login: { users: join(dir, "users"), tokenFile: join(dir, "token") },
  });
  await server.start();
  try {
    const address = server.address!;
    assert.equal(await get(address), 401);
    assert.equal(await get(address, { authorization: `Basic ${btoa("alice:s3cret")}` }), 200);
    assert.equal(await get(address, { authorization: `Basic ${btoa("alice:wrong")}` }), 401);
    assert.equal(await get(address, { authorization: `Basic ${btoa("mallory:s3cret")}` }), 401);
    assert.equal(await get(address, { authorization: "Bearer t0ken-for-prometheus" }), 200);
    assert.equal(await get(address, { authorization: "Bearer guess" }), 401);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
