// Goal: the handshake admits peers of the same cluster with the same secret and refuses every other
// case: wrong cluster, wrong secret, one side without a secret, a replayed or reflected proof,
// garbage. Method: drive two Handshake machines against each other in memory (no sockets), with
// node:crypto's HMAC, and tamper with the frames between them.

import { describe, expect, it } from "vitest";
import { nodeHandshakeCrypto, randomNonce } from "../../src/platform/node/node_crypto.js";
import { Handshake, type HandshakeStep, handshakeNonceBytes } from "../../src/transport/handshake.js";
import { type Address, address } from "../../src/types.js";

const encoder = new TextEncoder();

function machine(role: "dialer" | "acceptor", local: string, cluster: string, secret: string | null) {
  return new Handshake(
    {
      clusterName: cluster,
      localAddress: address(local),
      secret: secret === null ? null : encoder.encode(secret),
      crypto: nodeHandshakeCrypto,
    },
    role,
    randomNonce(handshakeNonceBytes),
  );
}

/** Runs both machines to completion, delivering frames in order; returns each side's last step. */
function run(dialer: Handshake, acceptor: Handshake): { dialer: HandshakeStep; acceptor: HandshakeStep } {
  const toAcceptor = dialer.start();
  const toDialer = acceptor.start();
  let dialerLast: HandshakeStep = { kind: "continue", frames: [] };
  let acceptorLast: HandshakeStep = { kind: "continue", frames: [] };
  for (let round = 0; round < 4; round++) {
    while (toAcceptor.length > 0 && acceptorLast.kind === "continue") {
      acceptorLast = acceptor.step(toAcceptor.shift()!);
      if (acceptorLast.kind !== "failed") toDialer.push(...acceptorLast.frames);
    }
    while (toDialer.length > 0 && dialerLast.kind === "continue") {
      dialerLast = dialer.step(toDialer.shift()!);
      if (dialerLast.kind !== "failed") toAcceptor.push(...dialerLast.frames);
    }
  }
  return { dialer: dialerLast, acceptor: acceptorLast };
}

describe("Handshake", () => {
  it("establishes both ends with a shared secret and names each peer", () => {
    const result = run(machine("dialer", "a:1", "c", "s3cret"), machine("acceptor", "b:2", "c", "s3cret"));
    expect(result.dialer).toMatchObject({ kind: "established", peerAddress: "b:2" as Address });
    expect(result.acceptor).toMatchObject({ kind: "established", peerAddress: "a:1" as Address });
  });

  it("establishes without a secret when neither side has one", () => {
    const result = run(machine("dialer", "a:1", "c", null), machine("acceptor", "b:2", "c", null));
    expect(result.dialer.kind).toBe("established");
    expect(result.acceptor.kind).toBe("established");
  });

  it("refuses a wrong secret on both ends", () => {
    const result = run(machine("dialer", "a:1", "c", "right"), machine("acceptor", "b:2", "c", "wrong"));
    expect(result.acceptor).toEqual({ kind: "failed", failure: "bad-proof" });
    expect(result.dialer).toEqual({ kind: "failed", failure: "bad-proof" });
  });

  it("refuses another cluster and a missing secret", () => {
    const clusters = run(machine("dialer", "a:1", "one", null), machine("acceptor", "b:2", "two", null));
    expect(clusters.acceptor).toEqual({ kind: "failed", failure: "wrong-cluster" });
    const secrets = run(machine("dialer", "a:1", "c", null), machine("acceptor", "b:2", "c", "s"));
    expect(secrets.acceptor).toEqual({ kind: "failed", failure: "secret-mismatch" });
  });

  it("never puts the secret on the wire", () => {
    const secret = "a-very-recognisable-secret";
    const dialer = machine("dialer", "a:1", "c", secret);
    const acceptor = machine("acceptor", "b:2", "c", secret);
    const wire: Uint8Array[] = [...dialer.start(), ...acceptor.start()];
    const step = acceptor.step(wire[0]!);
    if (step.kind !== "failed") wire.push(...step.frames);
    const text = wire.map((frame) => Buffer.from(frame).toString("latin1")).join("");
    expect(text.includes(secret)).toBe(false);
  });

  it("refuses a reflected proof (the dialer's own proof echoed back)", () => {
    const dialer = machine("dialer", "a:1", "c", "s");
    const acceptor = machine("acceptor", "b:2", "c", "s");
    const dialerHello = dialer.start()[0]!;
    const acceptorHello = acceptor.start()[0]!;
    const dialerStep = dialer.step(acceptorHello);
    expect(dialerStep.kind).toBe("continue");
    const dialerProof = dialerStep.kind === "continue" ? dialerStep.frames[0]! : new Uint8Array();
    expect(acceptor.step(dialerHello).kind).toBe("continue");
    // An attacker in the acceptor's place sends the dialer its own proof back.
    expect(dialer.step(dialerProof)).toEqual({ kind: "failed", failure: "bad-proof" });
  });

  it("refuses a proof replayed from an earlier connection", () => {
    const first = machine("dialer", "a:1", "c", "s");
    const firstAcceptor = machine("acceptor", "b:2", "c", "s");
    const recordedHello = firstAcceptor.start()[0]!;
    const firstAcceptorStep = firstAcceptor.step(first.start()[0]!);
    expect(firstAcceptorStep.kind).toBe("continue");
    const recordedProof =
      firstAcceptorStep.kind === "continue" ? firstAcceptorStep.frames[0]! : new Uint8Array();
    // A second connection: an eavesdropper replays the recorded hello and proof to a new dialer,
    // whose fresh nonce the recorded proof does not cover.
    const second = machine("dialer", "a:1", "c", "s");
    second.start();
    expect(second.step(recordedHello).kind).toBe("continue");
    expect(second.step(recordedProof)).toEqual({ kind: "failed", failure: "bad-proof" });
  });

  it("refuses garbage, unknown versions and out-of-order messages", () => {
    const acceptor = () => {
      const handshake = machine("acceptor", "b:2", "c", "s");
      handshake.start();
      return handshake;
    };
    expect(acceptor().step(Uint8Array.of(1, 2, 3))).toEqual({ kind: "failed", failure: "malformed" });
    expect(acceptor().step(Uint8Array.of(1, 2, 3, 4, 5, 6, 7))).toEqual({
      kind: "failed",
      failure: "bad-magic",
    });
    const hello = machine("dialer", "a:1", "c", "s").start()[0]!;
    const future = hello.slice();
    future[4] = 99;
    expect(acceptor().step(future)).toEqual({ kind: "failed", failure: "bad-version" });
    const proofFirst = hello.slice();
    proofFirst[5] = 2;
    expect(acceptor().step(proofFirst)).toEqual({ kind: "failed", failure: "unexpected-message" });
    expect(acceptor().step(hello.subarray(0, hello.byteLength - 1))).toEqual({
      kind: "failed",
      failure: "malformed",
    });
  });
});
