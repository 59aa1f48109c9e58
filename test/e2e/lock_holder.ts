// A lock-holding client process for the end-to-end lock test. Acquires the lock argv[4] with TTL
// argv[5] ms (waiting for it), prints `fence N`, writes once to the fence-checking resource at
// argv[6] and prints `write STATUS`, then for every `write` line on standard input writes again and
// tries to renew, printing `write STATUS` and `renew BOOL`. It never renews on its own: a holder
// that stops (SIGSTOP) simply lets its lease run out. Exits on end of input.
// Run: node --import tsx test/e2e/lock_holder.ts ENDPOINTS SECRET LOCK TTL_MS URL

import { createInterface } from "node:readline";
import { connect } from "../../src/index.js";

const [endpoints, secret, name, ttlText, url] = process.argv.slice(2);
if (
  endpoints === undefined ||
  secret === undefined ||
  name === undefined ||
  ttlText === undefined ||
  url === undefined
) {
  process.stderr.write("usage: lock_holder.ts ENDPOINTS SECRET LOCK TTL_MS URL\n");
  process.exit(2);
}
const shoal = await connect({ endpoints: endpoints.split(","), secret, timeoutMs: 30_000 });
const lease = await shoal.lock(name).acquire({ ttlMs: Number(ttlText) });
process.stdout.write(`fence ${lease.fence}\n`);
const write = async (): Promise<void> => {
  const response = await fetch(`${url}?fence=${lease.fence}`, { method: "POST" });
  process.stdout.write(`write ${response.status}\n`);
};
await write();
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "write") continue;
  await write();
  process.stdout.write(`renew ${await lease.renew(Number(ttlText))}\n`);
}
await shoal.close();
