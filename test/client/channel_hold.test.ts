// Goal: the channel's optional coalescing under load (holdMs > 0) keeps every request answered and
// never delays a request to an idle member; with holdMs 0 (the default) nothing is held. A member with nothing in flight gets a request at once (even with an hour-long
// hold); a member with a request in flight gets the requests made meanwhile in ONE frame as soon as
// it answers; a member that never answers still gets them once the hold ends; a request resolved by
// its deadline stops counting as in flight; one busy member does not hold another's requests.
// Method: a real Channel against fake members on 127.0.0.1 (real TcpTransport with the cluster
// handshake) that record each frame's request ids and answer only when the test says so; every wait
// polls a condition with a deadline.

import { afterEach, describe, expect, it } from "vitest";
import { Channel } from "../../src/client/channel.js";
import { limitsDefault } from "../../src/limits.js";
import type { TcpTransport } from "../../src/platform/node/index.js";
import type { ClientRequest, ClientResponse } from "../../src/protocol/client/messages.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import type { Address } from "../../src/types.js";
import { fakeMemberTransport, requestPayloadOf } from "./fake_transport.js";

const limits = limitsDefault();
const secret = "hold-secret";
const waitMsMax = 5_000;
const holdForever = 3_600_000;

/** A member that records the request ids of each frame and answers when told. */
interface HeldMember {
  readonly transport: TcpTransport;
  readonly address: Address;
  /** Request ids of each frame received, in order. */
  readonly frames: number[][];
  /** Answers every request received and not yet answered, in one frame. */
  answerAll(): void;
}

async function heldMember(seed: number): Promise<HeldMember> {
  const transport = await fakeMemberTransport(secret, seed);
  const codec = new WireCodec({ frameBytesMax: limits.frameBytesMax });
  const frames: number[][] = [];
  const unanswered: number[] = [];
  let client: Address | null = null;
  transport.onFrame((from, frame) => {
    const decoded = codec.decode(frame);
    if (decoded.kind !== "ok") return;
    const payload = requestPayloadOf(decoded.message.payload);
    const ids = (payload.type === "batch" ? payload.requests : [payload]).map((r) => r.requestId);
    frames.push(ids);
    unanswered.push(...ids);
    client = from;
  });
  const answerAll = (): void => {
    if (client === null || unanswered.length === 0) return;
    const responses: ClientResponse[] = unanswered.map((id) => ({
      type: "result",
      requestId: id,
      result: id,
    }));
    unanswered.length = 0;
    const encoded = codec.encode({
      version: 1,
      kind: "client-response",
      payload: { type: "batch", responses },
    });
    if (encoded.kind === "ok") transport.send(client, encoded.body);
  };
  return { transport, address: transport.localAddress, frames, answerAll };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadlineMs = Date.now() + waitMsMax;
  while (!condition()) {
    if (Date.now() > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Lets the event loop turn once, so the next request is made in a later turn. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("channel coalescing", () => {
  let channel: Channel | null = null;
  const members: HeldMember[] = [];

  afterEach(async () => {
    await channel?.close();
    channel = null;
    for (const member of members.splice(0)) await member.transport.closeAndWait();
  });

  async function open(holdMs: number, count: number): Promise<HeldMember[]> {
    for (let i = 0; i < count; i++) members.push(await heldMember(100 + i));
    channel = await Channel.open({
      clusterName: "shoal",
      secret: new TextEncoder().encode(secret),
      frameBytesMax: limits.frameBytesMax,
      holdMs,
    });
    return members;
  }

  function request(to: Address, waitMs = 10_000): Promise<ClientResponse | null> {
    const id = channel!.nextRequestId();
    const routing: ClientRequest = { type: "routing", requestId: id };
    return channel!.request(to, routing, waitMs);
  }

  it("sends to an idle member at once, and what a busy member is owed in one frame when it answers", async () => {
    const [member] = await open(holdForever, 1);
    const first = request(member!.address);
    await until(() => member!.frames.length === 1, "the first request (member idle)");
    const later: Promise<ClientResponse | null>[] = [];
    for (let i = 0; i < 3; i++) {
      later.push(request(member!.address));
      await nextTurn();
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(member!.frames.length).toBe(1); // Held: the member has a request in flight.
    member!.answerAll();
    expect(await first).toMatchObject({ type: "result" });
    await until(() => member!.frames.length === 2, "the held requests after the answer");
    expect(member!.frames[1]).toHaveLength(3);
    member!.answerAll();
    const answers = await Promise.all(later);
    expect(answers.map((a) => a?.requestId)).toEqual(member!.frames[1]);
  });

  it("sends held requests when the hold ends even if the member never answers", async () => {
    const [member] = await open(20, 1);
    void request(member!.address);
    await until(() => member!.frames.length === 1, "the first request");
    void request(member!.address);
    await until(() => member!.frames.length === 2, "the held request after the hold");
    expect(member!.frames.map((f) => f.length)).toEqual([1, 1]);
  });

  it("never holds with holdMs 0 (the default): a busy member gets each turn's requests at once", async () => {
    const [member] = await open(0, 1);
    void request(member!.address);
    await until(() => member!.frames.length === 1, "the first request");
    void request(member!.address);
    await until(() => member!.frames.length === 2, "the second request, not held");
    expect(member!.frames.map((f) => f.length)).toEqual([1, 1]);
  });

  it("counts a request resolved by its deadline as no longer in flight", async () => {
    const [member] = await open(holdForever, 1);
    expect(await request(member!.address, 30)).toBeNull();
    void request(member!.address);
    await until(() => member!.frames.length === 2, "a request to the member idle again");
  });

  it("does not hold one member's requests for another member that is busy", async () => {
    const [busy, idle] = await open(holdForever, 2);
    void request(busy!.address);
    await until(() => busy!.frames.length === 1, "the busy member's first request");
    void request(busy!.address);
    const answer = request(idle!.address);
    await until(() => idle!.frames.length === 1, "the idle member's request");
    idle!.answerAll();
    expect(await answer).toMatchObject({ type: "result" });
    expect(busy!.frames.length).toBe(1);
  });
});
