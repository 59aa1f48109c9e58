// A separate client process for the end-to-end tests: connects through the API to the endpoints in
// argv[2] (comma-separated) with the secret in argv[3], runs every CP of the public API
// and AP operation once on structures suffixed with argv[4], and prints one JSON object of results on standard
// output. Run: node --import tsx test/e2e/client_process.ts HOST:PORT,... SECRET SUFFIX

import { connect, ShoalError } from "../../src/index.js";

const [endpointList, secret, suffix] = process.argv.slice(2);
if (endpointList === undefined || secret === undefined || suffix === undefined) {
  process.stderr.write("usage: client_process.ts ENDPOINTS SECRET SUFFIX\n");
  process.exit(2);
}
const shoal = await connect({ endpoints: endpointList.split(","), secret, timeoutMs: 15_000 });
const results: Record<string, unknown> = {};
try {
  const map = shoal.map<{ balance: number }>(`accounts-${suffix}`);
  results.missing = (await map.get("nobody")) ?? "undefined";
  await map.put("alice", { balance: 10 });
  results.get = await map.get("alice");
  results.casWrong = await map.compareAndSet("alice", { balance: 11 }, { balance: 12 });
  results.casRight = await map.compareAndSet("alice", { balance: 10 }, { balance: 12 });
  results.afterCas = await map.get("alice");
  results.deleted = await map.delete("alice");
  results.deletedAgain = await map.delete("alice");
  const seq = shoal.atomicLong(`seq-${suffix}`);
  results.incr1 = await seq.incrementAndGet();
  results.incr2 = await seq.incrementAndGet();
  results.add = await seq.addAndGet(10);
  results.seqCasWrong = await seq.compareAndSet(5, 6);
  results.seqCasRight = await seq.compareAndSet(12, 20);
  results.seqGet = await seq.get();
  const lock = shoal.lock(`job-${suffix}`);
  const lease = await lock.acquire({ ttlMs: 10_000 });
  results.fence = lease.fence;
  results.tryWhileHeld = (await lock.tryAcquire({ ttlMs: 1_000 })) === null;
  results.renewed = await lease.renew(10_000);
  results.released = await lease.release();
  const second = await lock.acquire({ ttlMs: 10_000 });
  results.fence2 = second.fence;
  await second.release();
  const views = shoal.counter(`views-${suffix}`);
  results.counterAfter = await views.increment(5);
  results.counterDown = await views.decrement(2);
  results.counterValue = await views.value();
  const online = shoal.set<string>(`online-${suffix}`);
  await online.add("a");
  await online.add("b");
  await online.remove("a");
  results.setValues = await online.values();
  results.setHas = await online.has("b");
  const controller = new AbortController();
  controller.abort();
  try {
    await map.get("alice", { signal: controller.signal });
    results.aborted = "no";
  } catch (error) {
    results.aborted = error instanceof ShoalError ? error.code : String(error);
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
} finally {
  await shoal.close();
}
