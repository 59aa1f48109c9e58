// Goal: pin the binary client-request and client-response layouts (runtime/client_codec.ts), so
// that any change to them is a visible diff in review. Method: one request frame (a batch of a map
// put, a counter add of the same client, a routing request) and one response frame (a batch of an
// integer, bytes, a lock result packed as MessagePack, and an error with a leader hint) are encoded
// through the WireCodec and compared, as hex, with test/wire/testdata/client_codec_golden.txt; the
// stored bytes must also decode back to the same payloads (old frames stay readable). Regenerate
// after a deliberate format change with
// `SHOAL_GOLDEN_REWRITE=1 npx vitest run test/wire/client_codec_golden.test.ts`, then review the
// diff: a changed line means clients and members of the old layout can no longer talk to this one
// (bump clientCodecLayout).

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/lib/bytes.js";
import { goldenRead, goldenWrite } from "../support/golden_file.js";
import { limitsDefault } from "../../src/limits.js";
import type { ClientRequestPayload, ClientResponsePayload } from "../../src/protocol/client/messages.js";
import { WireCodec, wireVersion } from "../../src/protocol/wire/index.js";
import {
  ClientRequestEncoder,
  ClientResponseEncoder,
  clientPayloadDecode,
  clientResponsesDecode,
} from "../../src/runtime/client_codec.js";

const goldenPath = join(import.meta.dirname, "testdata", "client_codec_golden.txt");
const codec = new WireCodec({ frameBytesMax: 1 << 20 });

const request: ClientRequestPayload = {
  type: "batch",
  requests: [
    {
      type: "operation",
      requestId: 41,
      clientId: "c-7f3a",
      sequence: 300,
      timeoutMs: 5_000,
      operation: { structure: "map", op: "put", name: "users", key: "u1", value: Uint8Array.of(1, 2, 3) },
    },
    {
      type: "operation",
      requestId: 42,
      clientId: "c-7f3a",
      sequence: 301,
      timeoutMs: 5_000,
      operation: { structure: "counter", op: "add", name: "visits", delta: -2 },
    },
    { type: "routing", requestId: 43 },
  ],
};

const response: ClientResponsePayload = {
  type: "batch",
  responses: [
    { type: "result", requestId: 42, result: 129 },
    { type: "result", requestId: 44, result: Uint8Array.of(0xff, 0) },
    { type: "result", requestId: 45, result: { acquired: false, holderFence: 9 } },
    {
      type: "error",
      requestId: 41,
      code: "NOT_LEADER",
      message: "led by n2",
      leaderAddress: "127.0.0.1:7002",
    },
  ],
};

function bodyOf(kind: "client-request" | "client-response"): string {
  const payload =
    kind === "client-request"
      ? new ClientRequestEncoder().encode(request)
      : new ClientResponseEncoder().encode(response);
  const encoded = codec.encode({ version: wireVersion, kind, payload });
  if (encoded.kind !== "ok") throw new Error(`${kind} does not encode`);
  return toHex(encoded.body);
}

function readGolden(): Map<string, string> {
  return goldenRead(goldenPath);
}

function writeGolden(): void {
  const header = [
    "# Golden binary client frames (test/wire/client_codec_golden.test.ts builds them), as hex bodies.",
    "# A changed line is a client layout change: review it, and bump clientCodecLayout.",
    "# Regenerate: SHOAL_GOLDEN_REWRITE=1 npx vitest run test/wire/client_codec_golden.test.ts",
  ];
  const kinds = ["client-request", "client-response"] as const;
  goldenWrite(
    goldenPath,
    header,
    kinds.map((kind): [string, string] => [kind, bodyOf(kind)]),
  );
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

function payloadOf(hex: string): unknown {
  const decoded = codec.decode(fromHex(hex));
  if (decoded.kind !== "ok") throw new Error(decoded.detail);
  return decoded.message.payload;
}

describe("binary client golden bytes", () => {
  if (process.env["SHOAL_GOLDEN_REWRITE"] === "1") writeGolden();
  const golden = readGolden();

  it("encodes the request batch to its golden bytes and decodes them back", () => {
    const hex = golden.get("client-request") ?? "";
    expect(bodyOf("client-request")).toBe(hex);
    const checked = clientPayloadDecode(payloadOf(hex), limitsDefault());
    expect(checked.kind === "batch" && checked.checks.map((c) => (c.kind === "ok" ? c.request : c))).toEqual(
      request.type === "batch" && request.requests,
    );
  });

  it("encodes the response batch to its golden bytes and decodes them back", () => {
    const hex = golden.get("client-response") ?? "";
    expect(bodyOf("client-response")).toBe(hex);
    expect(clientResponsesDecode(payloadOf(hex))).toEqual(response);
  });
});
