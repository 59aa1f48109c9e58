// Goal: the client's routing and retry logic: it follows NOT_LEADER hints, backs off on NO_LEADER,
// retries silence elsewhere, repeats the SAME (clientId, sequence) on every retry of one operation,
// gives each new operation a fresh sequence, fails with typed errors (BAD_INPUT at once, TIMEOUT at
// the deadline) and honours an AbortSignal. Method: two fake members on 127.0.0.1 (real
// TcpTransports with the cluster handshake) answer client requests from a per-test script and
// record every request they saw; the client under test is the real one from src/client/.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connect, type Shoal } from "../../src/client/index.js";
import type { TcpTransport } from "../../src/platform/node/index.js";
import type { ClientResponse, RoutingTable } from "../../src/protocol/client/messages.js";
import type { Operation } from "../../src/protocol/client/operations.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import type { Address } from "../../src/types.js";
import { fakeMemberTransport, requestPayloadOf } from "./fake_transport.js";

const secret = "client-test-secret";

interface Seen {
  readonly member: string;
  readonly clientId: string;
  readonly sequence: number;
  readonly operation: Operation;
}

/** Decides a fake member's answer to one operation request; null means stay silent. */
type Script = (member: string, request: Seen, requestId: number) => ClientResponse | null;

class FakeMember {
  private readonly codec = new WireCodec({ frameBytesMax: 1024 * 1024 });
  private constructor(
    readonly name: string,
    readonly transport: TcpTransport,
    private readonly cluster: FakeCluster,
  ) {
    transport.onFrame((from, frame) => this.received(from, frame));
  }

  static async start(name: string, cluster: FakeCluster): Promise<FakeMember> {
    const transport = await fakeMemberTransport(secret, 1);
    return new FakeMember(name, transport, cluster);
  }

  private received(from: Address, frame: Uint8Array): void {
    const decoded = this.codec.decode(frame);
    if (decoded.kind !== "ok" || decoded.message.kind !== "client-request") return;
    const payload = requestPayloadOf(decoded.message.payload) as unknown as Record<string, unknown>;
    // A batch is answered in one batch frame; a single request singly, as a member does.
    const isBatch = payload.type === "batch";
    if (isBatch) this.cluster.batchSizes.push((payload.requests as unknown[]).length);
    const requests = isBatch ? (payload.requests as Record<string, unknown>[]) : [payload];
    const responses: ClientResponse[] = [];
    for (const request of requests) {
      const response = this.answer(request);
      if (response !== null) responses.push(response);
    }
    if (responses.length === 0) return;
    const body = isBatch ? { type: "batch", responses } : responses[0];
    const encoded = this.codec.encode({ version: 1, kind: "client-response", payload: body });
    if (encoded.kind === "ok") this.transport.send(from, encoded.body);
  }

  private answer(request: Record<string, unknown>): ClientResponse | null {
    const requestId = request.requestId as number;
    if (request.type === "routing") return { type: "routing", requestId, table: this.cluster.table() };
    const seen: Seen = {
      member: this.name,
      clientId: request.clientId as string,
      sequence: request.sequence as number,
      operation: request.operation as Operation,
    };
    this.cluster.seen.push(seen);
    return this.cluster.script(this.name, seen, requestId);
  }
}

class FakeCluster {
  readonly members: FakeMember[] = [];
  readonly seen: Seen[] = [];
  /** The number of requests in each batch frame received. */
  readonly batchSizes: number[] = [];
  script: Script = (_member, _seen, requestId) => ({ type: "result", requestId, result: null });

  table(): RoutingTable {
    return {
      partitionCount: 1,
      members: this.members.map((m) => ({ nodeId: m.name, clientAddress: m.transport.localAddress })),
      leaders: ["m1"],
      replicas: [["m1", "m2"]],
      version: 1,
    };
  }

  address(name: string): string {
    return this.members.find((m) => m.name === name)!.transport.localAddress;
  }
}

let cluster: FakeCluster;
let shoal: Shoal;

beforeEach(async () => {
  cluster = new FakeCluster();
  cluster.members.push(await FakeMember.start("m1", cluster), await FakeMember.start("m2", cluster));
  shoal = await connect({ endpoints: [cluster.address("m1")], secret, timeoutMs: 3_000 });
});

afterEach(async () => {
  await shoal.close();
  for (const member of cluster.members) await member.transport.closeAndWait();
});

describe("client routing and retries", () => {
  it("follows a NOT_LEADER hint and retries with the same client id and sequence", async () => {
    cluster.script = (member, _seen, requestId) =>
      member === "m1"
        ? {
            type: "error",
            requestId,
            code: "NOT_LEADER",
            message: "moved",
            leaderAddress: cluster.address("m2"),
          }
        : { type: "result", requestId, result: 41 };
    expect(await shoal.atomicLong("n").incrementAndGet()).toBe(41);
    expect(cluster.seen.map((s) => s.member)).toEqual(["m1", "m2"]);
    const [first, retry] = cluster.seen;
    expect(retry!.clientId).toBe(first!.clientId);
    expect(retry!.sequence).toBe(first!.sequence);
    // The hint is remembered: the next operation goes straight to m2, under a new sequence.
    expect(await shoal.atomicLong("n").incrementAndGet()).toBe(41);
    const third = cluster.seen[2]!;
    expect(third.member).toBe("m2");
    expect(third.sequence).toBeGreaterThan(first!.sequence);
  });

  it("backs off on NO_LEADER and on silence, keeping the sequence, then succeeds", async () => {
    let calls = 0;
    cluster.script = (_member, _seen, requestId) => {
      calls += 1;
      if (calls === 1) return { type: "error", requestId, code: "NO_LEADER", message: "electing" };
      if (calls === 2) return null; // No answer at all: the member died mid-request.
      return { type: "result", requestId, result: true };
    };
    expect(await shoal.map<string>("m").compareAndSet("k", "a", "b")).toBe(true);
    expect(cluster.seen.length).toBe(3);
    expect(new Set(cluster.seen.map((s) => `${s.clientId}#${s.sequence}`)).size).toBe(1);
  });

  it("fails with TimeoutError at the deadline, and BadInputError at once without retrying", async () => {
    cluster.script = () => null;
    const started = Date.now();
    await expect(shoal.map("m").put("k", 1, { timeoutMs: 1_500 })).rejects.toMatchObject({ code: "TIMEOUT" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(Date.now() - started).toBeLessThan(3_000);
    const before = cluster.seen.length;
    cluster.script = (_member, _seen, requestId) => ({
      type: "error",
      requestId,
      code: "BAD_INPUT",
      message: "no",
    });
    await expect(shoal.map("m").put("k", 1)).rejects.toMatchObject({
      code: "BAD_INPUT",
      name: "BadInputError",
    });
    expect(cluster.seen.length).toBe(before + 1);
  });

  it("honours an AbortSignal while waiting, and refuses an already aborted one without sending", async () => {
    cluster.script = () => null;
    const controller = new AbortController();
    const pending = shoal.map("m").get("k", { signal: controller.signal, timeoutMs: 10_000 });
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
    expect(Date.now() - started).toBeLessThan(1_000);
    const before = cluster.seen.length;
    await expect(shoal.map("m").get("k", { signal: controller.signal })).rejects.toMatchObject({
      code: "ABORTED",
    });
    expect(cluster.seen.length).toBe(before);
  });

  it("runs concurrent operations under distinct sessions, each sequence used once per session", async () => {
    cluster.script = (_member, _seen, requestId) => ({ type: "result", requestId, result: 1 });
    await Promise.all(Array.from({ length: 8 }, () => shoal.atomicLong("c").incrementAndGet()));
    for (let i = 0; i < 8; i++) await shoal.atomicLong("c").incrementAndGet();
    const pairs = cluster.seen.map((s) => `${s.clientId}#${s.sequence}`);
    expect(new Set(pairs).size).toBe(16);
    expect(new Set(cluster.seen.slice(0, 8).map((s) => s.clientId)).size).toBe(8);
    // Per session, sequences only grow.
    const bySession = new Map<string, number>();
    for (const s of cluster.seen) {
      expect(s.sequence).toBeGreaterThan(bySession.get(s.clientId) ?? 0);
      bySession.set(s.clientId, s.sequence);
    }
  });

  it("sends every AP operation of one client to its one home replica, and clients spread over replicas", async () => {
    cluster.script = (_member, _seen, requestId) => ({ type: "result", requestId, result: 1 });
    const clients = [shoal];
    for (let i = 1; i < 16; i++) {
      clients.push(await connect({ endpoints: [cluster.address("m1")], secret, timeoutMs: 3_000 }));
    }
    try {
      const homes: string[] = [];
      for (const client of clients) {
        const from = cluster.seen.length;
        await Promise.all(Array.from({ length: 6 }, (_, i) => client.counter(`c${i}`).increment(1)));
        const members = new Set(cluster.seen.slice(from).map((s) => s.member));
        // Both members replicate the partition: the client keeps to one of them.
        expect([...members]).toHaveLength(1);
        homes.push([...members][0]!);
      }
      // Homes are drawn per client (without them every client would use replicas[0]); 16
      // clients all on one member has odds 2 in 65,536.
      expect(new Set(homes).size).toBe(2);
    } finally {
      for (const client of clients.slice(1)) await client.close();
    }
  });
});
