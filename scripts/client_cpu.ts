// Client CPU per operation, without a cluster: three fake members in one child process answer every
// request they hold at once every `answer-interval-ms` (each on its own phase, as group commits of
// different leaders land at different times), and one client in this process drives map puts or
// counter increments at a fixed concurrency. Only this process's CPU is counted, so the figure is
// the client's alone (request encode, frames, answer decode, promises, timers), and it does not
// swing with the members' own work. Frames per operation in both directions are printed too.
// Run: npx tsx scripts/client_cpu.ts [put|incr] [concurrency] [duration-ms] [answer-interval-ms]

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { connect } from "../src/index.js";
import { limitsDefault } from "../src/limits.js";
import type { TcpTransport } from "../src/platform/node/index.js";
import type { ClientResponse, ClientResponsePayload, RoutingTable } from "../src/protocol/client/messages.js";
import { WireCodec } from "../src/protocol/wire/index.js";
import type { Address } from "../src/types.js";
import { ClientResponseEncoder } from "../src/runtime/client_codec.js";
import { fakeMemberTransport, requestPayloadOf } from "../test/client/fake_transport.js";

const secret = "client-cpu";
const limits = {
  warmupMs: 1_000,
  durationMsMax: 60_000,
  concurrencyMax: 1_024,
  keys: 1_000,
  partitions: 16,
} as const;

/** The child: three fake members; prints their addresses, answers until stdin closes. */
async function members(intervalMs: number): Promise<void> {
  const transports: TcpTransport[] = [];
  for (let i = 0; i < 3; i++) transports.push(await fakeMemberTransport(secret, i + 1));
  const ids = transports.map((_, i) => `n${i + 1}`);
  const table: RoutingTable = {
    partitionCount: limits.partitions,
    members: transports.map((t, i) => ({ nodeId: ids[i]!, clientAddress: t.localAddress })),
    leaders: Array.from({ length: limits.partitions }, (_, p) => ids[p % 3]!),
    replicas: Array.from({ length: limits.partitions }, () => ids),
    version: 1,
  };
  const timers: ReturnType<typeof setInterval>[] = [];
  for (const [i, transport] of transports.entries()) {
    const codec = new WireCodec({ frameBytesMax: limitsDefault().frameBytesMax });
    const held = new Map<Address, ClientResponse[]>();
    // Answers in the form each client asked in, as a member does (runtime/client_codec.ts).
    const binaryClients = new Set<Address>();
    const responseEncoder = new ClientResponseEncoder();
    const send = (to: Address, responses: ClientResponse[]): void => {
      const answer: ClientResponsePayload =
        responses.length === 1 ? responses[0]! : { type: "batch", responses };
      const payload = binaryClients.has(to) ? responseEncoder.encode(answer) : answer;
      const encoded = codec.encode({ version: 1, kind: "client-response", payload });
      if (encoded.kind === "ok") transport.send(to, encoded.body);
    };
    transport.onFrame((from, frame) => {
      const decoded = codec.decode(frame);
      if (decoded.kind !== "ok") return;
      if (decoded.message.payload instanceof Uint8Array) binaryClients.add(from);
      const payload = requestPayloadOf(decoded.message.payload);
      for (const request of payload.type === "batch" ? payload.requests : [payload]) {
        if (request.type === "routing")
          send(from, [{ type: "routing", requestId: request.requestId, table }]);
        else {
          const queue = held.get(from) ?? [];
          const result = request.operation.structure === "map" ? null : 1;
          queue.push({ type: "result", requestId: request.requestId, result });
          held.set(from, queue);
        }
      }
    });
    setTimeout(
      () => {
        timers.push(
          setInterval(() => {
            for (const [to, responses] of held) send(to, responses);
            held.clear();
          }, intervalMs),
        );
      },
      (i * intervalMs) / 3,
    );
  }
  console.log(transports.map((t) => t.localAddress).join(","));
  process.stdin.resume();
  process.stdin.on("end", () => {
    for (const timer of timers) clearInterval(timer);
    for (const transport of transports) void transport.closeAndWait();
    process.exit(0);
  });
}

async function client(
  kind: string,
  concurrency: number,
  durationMs: number,
  intervalMs: number,
): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "members", String(intervalMs)],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", () => reject(new Error("fake members exited")));
    });
    const shoal = await connect({ endpoints: line.split(","), secret, timeoutMs: 10_000 });
    const map = shoal.map<string>("client-cpu");
    const value = "x".repeat(100);
    const run = async (forMs: number): Promise<number> => {
      let done = 0;
      const endMs = performance.now() + forMs;
      const worker = async (index: number): Promise<void> => {
        for (let i = index; performance.now() < endMs; i += concurrency) {
          if (kind === "put") await map.put(`k${i % limits.keys}`, value);
          else await shoal.counter(`c-k${i % limits.keys}`).increment(1);
          done += 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
      return done;
    };
    await run(limits.warmupMs);
    const channel = (
      shoal as unknown as { core: { channel: { framesSent: number; framesReceived?: number } } }
    ).core.channel;
    const sentBefore = channel.framesSent;
    const receivedBefore = channel.framesReceived ?? 0;
    const cpuBefore = process.cpuUsage();
    const startMs = performance.now();
    const operations = await run(durationMs);
    const cpu = process.cpuUsage(cpuBefore);
    const seconds = (performance.now() - startMs) / 1_000;
    const per = (n: number): string => (n / operations).toFixed(3);
    console.log(
      `${kind} c=${concurrency} answers every ${intervalMs} ms: ${Math.round(operations / seconds)} ops/s; ` +
        `client CPU ${((cpu.user + cpu.system) / operations).toFixed(1)} µs per operation; frames per operation ` +
        `sent ${per(channel.framesSent - sentBefore)}, received ${per((channel.framesReceived ?? 0) - receivedBefore)}`,
    );
    await shoal.close();
  } finally {
    child.stdin!.end();
  }
}

if (process.argv[2] === "members") await members(Number(process.argv[3] ?? 2));
else {
  const kind = process.argv[2] ?? "put";
  const concurrency = Number(process.argv[3] ?? 64);
  const durationMs = Number(process.argv[4] ?? 5_000);
  const intervalMs = Number(process.argv[5] ?? 2);
  if (kind !== "put" && kind !== "incr") throw new Error("kind must be put or incr");
  if (!(concurrency >= 1 && concurrency <= limits.concurrencyMax)) throw new Error("bad concurrency");
  if (!(durationMs >= 100 && durationMs <= limits.durationMsMax)) throw new Error("bad duration");
  if (!(intervalMs >= 1 && intervalMs <= 1_000)) throw new Error("bad answer interval");
  await client(kind, concurrency, durationMs, intervalMs);
}
