// Goal: when the connection to the member working on a request drops (the member was killed), the
// client retries on another member at once instead of waiting out its attempt timeout, repeating the
// same (clientId, sequence) so the write is applied once; a member that stays connected but silent
// still gets the full attempt timeout. Method: two fake members on 127.0.0.1 (real TcpTransports with
// the cluster handshake); m1 leads, takes the operation and then closes its transport (socket and
// listener, as kill -9 would); m2 answers. The time from the operation's start to m2 seeing the
// retry is bounded well under the attempt timeout.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientTuning, connect, type Shoal } from "../../src/client/index.js";
import type { TcpTransport } from "../../src/platform/node/index.js";
import type { ClientResponse, RoutingTable } from "../../src/protocol/client/messages.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import type { Address } from "../../src/types.js";
import { fakeMemberTransport, requestPayloadOf } from "./fake_transport.js";

const secret = "client-failover-secret";
/** A retry after a dropped connection must come this much sooner than the attempt timeout. */
const failoverMsMax = 400;

interface Seen {
  readonly member: string;
  readonly clientId: string;
  readonly sequence: number;
  readonly atMs: number;
}

/** What a fake member does with an operation: answer it, stay silent, or die holding it. */
type Behaviour = "answer" | "silent" | "die";

class FakeMember {
  private readonly codec = new WireCodec({ frameBytesMax: 1024 * 1024 });
  behaviour: Behaviour = "answer";

  private constructor(
    readonly name: string,
    readonly transport: TcpTransport,
    private readonly cluster: FakeCluster,
  ) {
    transport.onFrame((from, frame) => this.received(from, frame));
  }

  static async start(name: string, cluster: FakeCluster): Promise<FakeMember> {
    const transport = await fakeMemberTransport(secret, 7);
    return new FakeMember(name, transport, cluster);
  }

  private received(from: Address, frame: Uint8Array): void {
    const decoded = this.codec.decode(frame);
    if (decoded.kind !== "ok" || decoded.message.kind !== "client-request") return;
    const request = requestPayloadOf(decoded.message.payload) as unknown as Record<string, unknown>;
    const requestId = request.requestId as number;
    let response: ClientResponse;
    if (request.type === "routing") response = { type: "routing", requestId, table: this.cluster.table() };
    else {
      this.cluster.seen.push({
        member: this.name,
        clientId: request.clientId as string,
        sequence: request.sequence as number,
        atMs: Date.now(),
      });
      if (this.behaviour === "silent") return;
      if (this.behaviour === "die") {
        // Dies holding the request: the socket closes and nothing listens any more.
        this.transport.close();
        return;
      }
      response = { type: "result", requestId, result: 7 };
    }
    const encoded = this.codec.encode({ version: 1, kind: "client-response", payload: response });
    if (encoded.kind === "ok") this.transport.send(from, encoded.body);
  }
}

class FakeCluster {
  readonly members: FakeMember[] = [];
  readonly seen: Seen[] = [];

  table(): RoutingTable {
    return {
      partitionCount: 1,
      members: this.members.map((m) => ({ nodeId: m.name, clientAddress: m.transport.localAddress })),
      leaders: ["m1"],
      replicas: [["m1", "m2"]],
      version: 1,
    };
  }

  member(name: string): FakeMember {
    return this.members.find((m) => m.name === name)!;
  }
}

let cluster: FakeCluster;
let shoal: Shoal;

beforeEach(async () => {
  cluster = new FakeCluster();
  cluster.members.push(await FakeMember.start("m1", cluster), await FakeMember.start("m2", cluster));
  // Both members are given, so the routing table is still reachable after m1 dies.
  const endpoints = cluster.members.map((m) => m.transport.localAddress);
  shoal = await connect({ endpoints, secret, timeoutMs: 5_000 });
});

afterEach(async () => {
  await shoal.close();
  for (const member of cluster.members) await member.transport.closeAndWait();
});

describe("client failover on a dropped connection", () => {
  it("retries on the next member as soon as the leader's connection closes, with the same session", async () => {
    const attemptMs = clientTuning.attemptTimeoutMsMax + clientTuning.attemptSlackMs;
    expect(failoverMsMax).toBeLessThan(attemptMs / 2);
    cluster.member("m1").behaviour = "die";
    const startMs = Date.now();
    expect(await shoal.atomicLong("n").incrementAndGet()).toBe(7);
    const elapsedMs = Date.now() - startMs;
    expect(cluster.seen.map((s) => s.member)).toEqual(["m1", "m2"]);
    const [first, retry] = cluster.seen;
    expect(retry!.clientId).toBe(first!.clientId);
    expect(retry!.sequence).toBe(first!.sequence);
    expect(retry!.atMs - first!.atMs).toBeLessThan(failoverMsMax);
    expect(elapsedMs).toBeLessThan(failoverMsMax);
  });

  it("fails over at once to a member whose connection cannot be opened, and later operations avoid it", async () => {
    await cluster.member("m1").transport.closeAndWait();
    const startMs = Date.now();
    expect(await shoal.atomicLong("n").incrementAndGet()).toBe(7);
    expect(await shoal.atomicLong("n").incrementAndGet()).toBe(7);
    expect(Date.now() - startMs).toBeLessThan(failoverMsMax);
    expect(cluster.seen.map((s) => s.member)).toEqual(["m2", "m2"]);
    expect(cluster.seen[1]!.sequence).toBeGreaterThan(cluster.seen[0]!.sequence);
  });

  it("still waits the attempt timeout for a member that is connected but silent", async () => {
    cluster.member("m1").behaviour = "silent";
    const startMs = Date.now();
    expect(await shoal.atomicLong("n").incrementAndGet()).toBe(7);
    const [first, retry] = cluster.seen;
    expect(cluster.seen.map((s) => s.member)).toEqual(["m1", "m2"]);
    expect(retry!.sequence).toBe(first!.sequence);
    expect(retry!.atMs - first!.atMs).toBeGreaterThanOrEqual(clientTuning.attemptTimeoutMsMax);
    expect(Date.now() - startMs).toBeGreaterThanOrEqual(clientTuning.attemptTimeoutMsMax);
  });
});
