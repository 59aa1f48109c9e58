// Goal: pin the wire format, so that any change to it is a visible diff in review. Method: one
// message of each kind is encoded and compared, as hex, with test/wire/testdata/golden_bodies.txt;
// the stored bytes must also decode back to the message (old frames stay readable). The test
// fails if a kind has no golden line. Regenerate after a deliberate format change with
// `SHOAL_GOLDEN_REWRITE=1 npx vitest run test/wire/golden.test.ts`, then review the diff: a
// changed line means peers of the old format can no longer talk to this one (bump wireVersion).

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/lib/bytes.js";
import { goldenRead, goldenWrite } from "../support/golden_file.js";
import {
  type MessageKind,
  messageKinds,
  WireCodec,
  type WireMessage,
  wireVersion,
} from "../../src/protocol/wire/index.js";
import type { Message } from "../../src/protocol/raft/index.js";
import { RaftBatchEncoder } from "../../src/runtime/raft_batch_codec.js";
import { groupId, type LogIndex, nodeId, type Term } from "../../src/types.js";

function heartbeat(term: number, commit: number): Message {
  const envelope = { from: nodeId("n1"), to: nodeId("n2"), term: term as Term };
  return { ...envelope, type: "heartbeat", commit: commit as LogIndex, context: 0 };
}

const goldenPath = join(import.meta.dirname, "testdata", "golden_bodies.txt");
const codec = new WireCodec({ frameBytesMax: 1 << 20 });
const bytes = (...values: number[]) => Uint8Array.from(values);

/** One representative message per kind. Payload shapes are illustrative; the codec does not read them. */
const samples: { readonly [K in MessageKind]: WireMessage } = {
  raft: {
    version: wireVersion,
    kind: "raft",
    group: groupId(12),
    payload: {
      type: "append-entries",
      term: 7,
      from: "n1",
      to: "n2",
      prevLogIndex: 41,
      prevLogTerm: 6,
      commitIndex: 40,
      entries: [{ term: 7, index: 42, data: bytes(1, 2, 3) }],
    },
  },
  // Binary payload (runtime/raft_batch_codec.ts, which pins its own layout): two heartbeats.
  "raft-batch": {
    version: wireVersion,
    kind: "raft-batch",
    payload: new RaftBatchEncoder()
      .encode({
        from: nodeId("n1"),
        replica: "n1@1",
        hello: null,
        messages: [
          [groupId(1), heartbeat(3, 9)],
          [groupId(2), heartbeat(5, 17)],
        ],
      })
      .slice(),
  },
  swim: {
    version: wireVersion,
    kind: "swim",
    payload: {
      type: "ping",
      from: "n1",
      probeSeq: 77,
      updates: [{ member: "n3", incarnation: 2, state: "suspect" }],
    },
  },
  "crdt-delta": {
    version: wireVersion,
    kind: "crdt-delta",
    group: groupId(5),
    payload: { structure: "visits", delta: { replica: "r1", counter: 3 } },
  },
  "crdt-digest": {
    version: wireVersion,
    kind: "crdt-digest",
    group: groupId(5),
    payload: { digests: [[0, 1234567890]], fromReplica: "r2" },
  },
  "client-request": {
    version: wireVersion,
    kind: "client-request",
    group: groupId(33),
    payload: { clientId: "c1", sequence: 4, operation: "put", key: "k", value: bytes(0xff) },
  },
  "client-response": {
    version: wireVersion,
    kind: "client-response",
    payload: { sequence: 4, outcome: "not-leader", leaderHint: null, retry: true, latencyMs: 0.25 },
  },
  "crdt-batch": {
    version: wireVersion,
    kind: "crdt-batch",
    payload: [
      [3, { type: "ack", from: "n2@a", to: "n1@b", seq: 9 }],
      [5, { type: "delta", from: "n2@a", to: "n1@b", fromSeq: 4, toSeq: 6, isFull: false, entries: [] }],
    ],
  },
};

function readGolden(): Map<string, string> {
  return goldenRead(goldenPath);
}

function writeGolden(): void {
  const header = [
    "# Golden frame bodies: one message of each kind (test/wire/golden.test.ts builds them), as hex.",
    "# A changed line is a wire-format change: review it, and bump wireVersion if peers would disagree.",
    "# Regenerate: SHOAL_GOLDEN_REWRITE=1 npx vitest run test/wire/golden.test.ts",
  ];
  const bodies = messageKinds.map((kind): [string, string] => {
    const encoded = codec.encode(samples[kind]);
    if (encoded.kind !== "ok") throw new Error(`${kind} does not encode`);
    return [kind, toHex(encoded.body)];
  });
  goldenWrite(goldenPath, header, bodies);
}

describe("wire golden bytes", () => {
  if (process.env["SHOAL_GOLDEN_REWRITE"] === "1") writeGolden();
  const golden = readGolden();

  it("has one golden body per message kind, and no other", () => {
    expect([...golden.keys()]).toEqual([...messageKinds]);
  });

  for (const kind of messageKinds) {
    it(`encodes ${kind} to its golden bytes and decodes them back`, () => {
      const encoded = codec.encode(samples[kind]);
      expect(encoded.kind).toBe("ok");
      if (encoded.kind !== "ok") return;
      expect(toHex(encoded.body)).toBe(golden.get(kind));
      const stored = Uint8Array.from(Buffer.from(golden.get(kind) ?? "", "hex"));
      expect(codec.decode(stored)).toStrictEqual({ kind: "ok", message: samples[kind] });
    });
  }
});
