// Goal: TcpTransport delivers whole frames between real sockets on 127.0.0.1, keeps one connection
// per peer pair, reconnects after a peer restarts, pushes back with "full" at its limits, and
// survives hostile input (random bytes, oversized frames, a wrong secret, a silent dialer) by
// closing that one connection with exactly one log line while it keeps serving a good peer.
// Method: transports in this process and one spawned child process (killed by PID in `finally`);
// raw node:net sockets play the hostile peers; every wait polls a condition under a deadline.

import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BadInputError, LimitExceededError } from "../../src/errors.js";
import { bytesEqual, concatBytes } from "../../src/lib/bytes.js";
import { Prng } from "../../src/lib/prng.js";
import { nodeHandshakeCrypto, randomNonce } from "../../src/platform/node/node_crypto.js";
import type { TcpTransport } from "../../src/platform/node/tcp_transport.js";
import { FrameDecoder, frameEncode } from "../../src/transport/framing.js";
import { Handshake, handshakeNonceBytes } from "../../src/transport/handshake.js";
import { type Address, address } from "../../src/types.js";
import { type LoggedEvent, recordingLogger, startTransport, waitFor } from "./transport_harness.js";

const open: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.closeAndWait()));
});

async function started(...args: Parameters<typeof startTransport>): Promise<TcpTransport> {
  const transport = await startTransport(...args);
  open.push(transport);
  return transport;
}

function inbox(transport: TcpTransport): Array<{ from: Address; frame: Uint8Array }> {
  const received: Array<{ from: Address; frame: Uint8Array }> = [];
  transport.onFrame((from, frame) => received.push({ from, frame }));
  return received;
}

function numbered(i: number, bytes: number): Uint8Array {
  const frame = new Uint8Array(bytes);
  new DataView(frame.buffer).setUint32(0, i);
  return frame;
}

const closedLines = (events: LoggedEvent[]) =>
  events.filter((event) => event.level === "warn" || event.level === "error");

describe("TcpTransport between transports in one process", () => {
  it("carries frames both ways, in order and intact", async () => {
    const a = await started();
    const b = await started();
    const atA = inbox(a);
    const atB = inbox(b);
    const count = 2_000;
    for (let i = 0; i < count; i++) {
      expect(a.send(b.localAddress, numbered(i, 4 + (i % 700)))).toBe("queued");
      expect(b.send(a.localAddress, numbered(i, 4 + ((i * 7) % 300)))).toBe("queued");
    }
    await waitFor(() => atA.length === count && atB.length === count, 10_000, "all frames");
    const wrongAtB = atB.filter(
      (m, i) => m.from !== a.localAddress || !bytesEqual(m.frame, numbered(i, 4 + (i % 700))),
    );
    const wrongAtA = atA.filter(
      (m, i) => m.from !== b.localAddress || !bytesEqual(m.frame, numbered(i, 4 + ((i * 7) % 300))),
    );
    expect(wrongAtB).toEqual([]);
    expect(wrongAtA).toEqual([]);
  });

  it("flush writes a connected peer's queued frames in the caller's turn; without it they leave at the turn's end", async () => {
    const a = await started();
    const b = await started();
    const atB = inbox(b);
    a.send(b.localAddress, numbered(0, 8));
    await waitFor(() => atB.length === 1, 10_000, "the connection");
    const before = a.stats().framesSent;
    a.send(b.localAddress, numbered(1, 8));
    expect(a.stats().framesSent).toBe(before);
    a.flush(b.localAddress);
    expect(a.stats().framesSent).toBe(before + 1);
    a.send(b.localAddress, numbered(2, 8));
    await Promise.resolve();
    expect(a.stats().framesSent).toBe(before + 2);
    // Nothing queued, or nobody known by that address: nothing to do, no throw.
    a.flush(b.localAddress);
    a.flush(address("127.0.0.1:1"));
    expect(a.stats().framesSent).toBe(before + 2);
    await waitFor(() => atB.length === 3, 10_000, "frames 1 and 2");
    expect(atB.map((m) => new DataView(m.frame.buffer, m.frame.byteOffset).getUint32(0))).toEqual([0, 1, 2]);
  });

  it("keeps exactly one connection per pair among three members dialling each other at once", async () => {
    const members = [await started(), await started(), await started()];
    const inboxes = members.map(inbox);
    for (let round = 0; round < 50; round++) {
      for (const source of members) {
        for (const target of members)
          if (source !== target) source.send(target.localAddress, numbered(round, 8));
      }
    }
    await waitFor(() => inboxes.every((received) => received.length === 100), 10_000, "100 frames each");
    await waitFor(
      () => members.every((member) => member.connectionCount === 2),
      5_000,
      "one connection per pair",
    );
    for (const [i, member] of members.entries()) {
      const senders = new Set(inboxes[i]!.map((message) => message.from));
      expect(senders.size).toBe(2);
      for (const other of members)
        if (other !== member) expect(member.isConnected(other.localAddress)).toBe(true);
    }
  });

  it("reconnects after the peer restarts on the same port", async () => {
    const a = await started();
    const first = await startTransport();
    const port = Number(first.localAddress.split(":")[1]);
    const atFirst = inbox(first);
    a.send(first.localAddress, Uint8Array.of(1));
    await waitFor(() => atFirst.length === 1, 5_000, "first delivery");
    await first.closeAndWait();
    const second = await started({ port });
    expect(second.localAddress).toBe(first.localAddress);
    const atSecond = inbox(second);
    // Best effort: frames sent while the peer is down may be lost, so keep sending until one lands.
    await waitFor(
      () => {
        a.send(second.localAddress, Uint8Array.of(2));
        return atSecond.length > 0;
      },
      10_000,
      "delivery after restart",
    );
    expect(atSecond[0]!.frame).toEqual(Uint8Array.of(2));
    expect(a.isConnected(second.localAddress)).toBe(true);
  });

  it("returns full at the frame and byte limits while a handshake is pending", async () => {
    const silent = await rawServer((socket) => socket.on("data", () => {}));
    try {
      const a = await started({ limits: { sendQueueFramesMax: 4, sendQueueBytesMax: 1_000 } });
      const results = [1, 2, 3, 4, 5].map(() => a.send(silent.address, new Uint8Array(10)));
      expect(results).toEqual(["queued", "queued", "queued", "queued", "full"]);
      expect(a.stats().framesRefused).toBe(1);
      const b = await started({ limits: { sendQueueFramesMax: 100, sendQueueBytesMax: 100 } });
      expect(b.send(silent.address, new Uint8Array(60))).toBe("queued");
      expect(b.send(silent.address, new Uint8Array(60))).toBe("full");
      expect(b.send(silent.address, new Uint8Array(40))).toBe("queued");
    } finally {
      await silent.close();
    }
  });

  it("refuses malformed addresses and oversized frames with typed errors, not a crash", async () => {
    const a = await started({ limits: { frameBytesMax: 2_048 } });
    for (const bad of ["no-port", "host:", "host:99999", ":80", "host:8x"]) {
      expect(() => a.send(address(bad), Uint8Array.of(1))).toThrow(BadInputError);
    }
    expect(() => a.send(address("127.0.0.1:9"), new Uint8Array(2_045))).toThrow(LimitExceededError);
    expect(a.send(address("127.0.0.1:9"), new Uint8Array(2_044))).toBe("queued");
  });

  it("bounds the peer table: a new peer is refused while all are busy and admitted once one is idle", async () => {
    const dead = await rawServer((socket) => socket.destroy());
    const deadAddress = dead.address;
    await dead.close(); // Nothing listens there any more: dials to it fail.
    const a = await started({ config: { peersMax: 1 } });
    const b = await started();
    const atB = inbox(b);
    expect(a.send(deadAddress, Uint8Array.of(1))).toBe("queued");
    expect(a.send(b.localAddress, Uint8Array.of(2))).toBe("full"); // The one slot is dialling.
    await waitFor(() => a.send(b.localAddress, Uint8Array.of(3)) === "queued", 5_000, "an idle slot");
    await waitFor(() => atB.length === 1, 5_000, "delivery to the admitted peer");
    expect(atB[0]!.frame).toEqual(Uint8Array.of(3));
  });

  it("stops at the socket's backpressure, returns full, then delivers every queued frame", async () => {
    const peer = await handshakingPeer();
    try {
      const a = await started({ limits: { sendQueueFramesMax: 64, sendQueueBytesMax: 64 * 65_536 } });
      const frame = new Uint8Array(65_536).fill(3);
      let queued = 0;
      let result: string = "queued";
      // The peer reads nothing, so the kernel buffers fill, write() returns false, and the queue fills.
      for (let attempt = 0; attempt < 2_000 && result === "queued"; attempt++) {
        result = a.send(peer.address, frame);
        if (result === "queued") queued += 1;
        if (attempt % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(result).toBe("full");
      expect(queued).toBeGreaterThan(64);
      peer.resume();
      await waitFor(() => peer.frames() === queued, 15_000, "every queued frame");
    } finally {
      await peer.close();
    }
  });
});

describe("TcpTransport between two processes", () => {
  it("echoes frames through a spawned child with a secret", async () => {
    const child = spawnEcho("shared-secret");
    try {
      const childAddress = await childListening(child);
      const a = await started({ secret: "shared-secret" });
      const received = inbox(a);
      const count = 500;
      for (let i = 0; i < count; i++) expect(a.send(childAddress, numbered(i, 64))).toBe("queued");
      await waitFor(() => received.length === count, 15_000, "echoes");
      received.forEach((message, i) => {
        expect(message.from).toBe(childAddress);
        expect(message.frame).toEqual(numbered(i, 64));
      });
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
    }
  });
});

describe("TcpTransport under hostile input", () => {
  it("closes each bad connection with one log line and keeps serving a good peer", async () => {
    const logger = recordingLogger();
    const b = await started({ secret: "right", logger, config: { handshakeTimeoutMs: 300 } });
    const good = await started({ secret: "right" });
    const atB = inbox(b);
    const atGood = inbox(good);
    const { host, port } = { host: "127.0.0.1", port: Number(b.localAddress.split(":")[1]) };
    const prng = Prng.fromSeed(42);
    const random = (count: number) => Uint8Array.from({ length: count }, () => prng.below(256));

    const oversizedLength = Uint8Array.of(0x80, ...random(200)); // Announces > 2 GiB.
    await expectOneLine(logger.events, () => rawSend(host, port, oversizedLength), /exceeds frameBytesMax/);
    const garbage = Uint8Array.of(0, 0, 0, 64, ...random(64)); // A plausible length, then noise.
    await expectOneLine(logger.events, () => rawSend(host, port, garbage), /handshake failed: bad-magic/);
    await expectOneLine(
      logger.events,
      () => authenticatedOversized(host, port, "right"),
      /exceeds frameBytesMax/,
    );
    await expectOneLine(logger.events, () => rawSend(host, port, new Uint8Array(0)), /handshake timed out/);
    const wrong = await started({ secret: "wrong" });
    await expectOneLine(
      logger.events,
      async () => void wrong.send(b.localAddress, Uint8Array.of(1)),
      /bad-proof/,
    );

    good.send(b.localAddress, Uint8Array.of(7));
    await waitFor(() => atB.length === 1, 5_000, "good peer's frame");
    b.send(good.localAddress, Uint8Array.of(8));
    await waitFor(() => atGood.length === 1, 5_000, "reply to the good peer");
    expect(atB.map((message) => message.from)).toEqual([good.localAddress]);
    expect(closedLines(logger.events)).toHaveLength(5);
  });
});

describe("TcpTransport at the end of a handshake", () => {
  it("takes a large first frame that arrives in the same chunk as the handshake's last frame", async () => {
    const logger = recordingLogger();
    const b = await started({ secret: "right", logger });
    const atB = inbox(b);
    const port = Number(b.localAddress.split(":")[1]);
    const first = numbered(1, 64 * 1024); // Far above the handshake's frame limit.
    const socket = await authenticatedRaw("127.0.0.1", port, "right", "127.0.0.1:13", first);
    try {
      await waitFor(() => atB.length === 1, 5_000, "the first frame");
      expect(bytesEqual(atB[0]!.frame, first)).toBe(true);
      expect(closedLines(logger.events)).toEqual([]);
    } finally {
      socket.destroy();
    }
  });
});

describe("TcpTransport under random garbage", () => {
  it("closes each of 40 concurrent garbage connections with exactly one line, serving a good peer meanwhile", async () => {
    const logger = recordingLogger();
    const b = await started({ secret: "right", logger, config: { handshakeTimeoutMs: 300 } });
    const good = await started({ secret: "right" });
    const atB = inbox(b);
    const port = Number(b.localAddress.split(":")[1]);
    const prng = Prng.fromSeed(7);
    const sockets: Socket[] = [];
    for (let i = 0; i < 40; i++) {
      // Random lengths and contents: some announce huge frames, some short ones that never
      // complete, some complete frames of noise. Every one must end in exactly one line.
      const blob = Uint8Array.from({ length: 1 + prng.below(300) }, () => prng.below(256));
      if (i % 3 === 0) blob.set([0, 0, 0, 8], 0);
      sockets.push(await rawSend("127.0.0.1", port, blob));
      good.send(b.localAddress, Uint8Array.of(i + 1));
    }
    await waitFor(() => closedLines(logger.events).length >= 40, 10_000, "40 closed connections");
    await waitFor(() => atB.length === 40, 5_000, "the good peer's 40 frames");
    await new Promise((resolve) => setTimeout(resolve, 400)); // Any second line would surface now.
    expect(closedLines(logger.events)).toHaveLength(40);
    expect(atB.map((message) => message.frame[0])).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(b.connectionCount).toBe(1);
    for (const socket of sockets) socket.destroy();
  });
});

describe("TcpTransport inbound memory budget", () => {
  it("closes the connection whose partial frame takes the total past inboundBytesBufferedMax", async () => {
    const logger = recordingLogger();
    const b = await started({ secret: "right", logger, config: { inboundBytesBufferedMax: 8_192 } });
    const good = await started({ secret: "right" });
    const atB = inbox(b);
    const port = Number(b.localAddress.split(":")[1]);
    // Two distinct claimed addresses, so neither connection replaces the other as a duplicate.
    const first = await authenticatedRaw("127.0.0.1", port, "right", "127.0.0.1:11");
    first.write(Uint8Array.of(0, 1, 0, 0, ...new Uint8Array(5_000))); // 64 KiB announced, 5,000 sent.
    await waitFor(() => b.stats().connectionsAccepted === 1, 5_000, "the first connection");
    await expectOneLine(
      logger.events,
      async () => {
        const second = await authenticatedRaw("127.0.0.1", port, "right", "127.0.0.1:12");
        second.write(Uint8Array.of(0, 1, 0, 0, ...new Uint8Array(5_000))); // Together above 8 KiB.
      },
      /inbound buffer budget exceeded/,
    );
    good.send(b.localAddress, Uint8Array.of(5));
    await waitFor(() => atB.length === 1, 5_000, "the good peer's frame");
  });
});

async function expectOneLine(
  events: LoggedEvent[],
  act: () => Promise<unknown>,
  reason: RegExp,
): Promise<void> {
  const before = closedLines(events).length;
  await act();
  await waitFor(() => closedLines(events).length > before, 5_000, `a log line matching ${reason}`);
  // Let any further events of the same connection surface before counting.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const lines = closedLines(events).slice(before);
  expect(lines).toHaveLength(1);
  expect(String(lines[0]!.fields["reason"])).toMatch(reason);
}

/** Connects, writes `bytes`, and leaves the socket open (the transport must be the one to close it). */
function rawSend(host: string, port: number, bytes: Uint8Array): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => {
      if (bytes.byteLength > 0) socket.write(bytes);
      resolve(socket);
    });
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

/** Completes a real handshake as a dialer with `secret`; resolves with the established socket. */
function authenticatedRaw(
  host: string,
  port: number,
  secret: string,
  claimed = "127.0.0.1:1",
  firstFrame: Uint8Array | null = null,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const handshake = new Handshake(
      {
        clusterName: "test",
        localAddress: address(claimed),
        secret: new TextEncoder().encode(secret),
        crypto: nodeHandshakeCrypto,
      },
      "dialer",
      randomNonce(handshakeNonceBytes),
    );
    const decoder = new FrameDecoder(4_096);
    const held: Uint8Array[] = [];
    const socket = connect({ host, port }, () => {
      for (const frame of handshake.start()) socket.write(frameEncode(frame));
    });
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      if (handshake.isEstablished) return;
      const result = decoder.push(new Uint8Array(chunk));
      if (result.kind === "error") return reject(new Error("bad frame from the transport"));
      for (const frame of result.frames) {
        const step = handshake.step(frame);
        if (step.kind === "failed") return reject(new Error(step.failure));
        held.push(...step.frames.map(frameEncode));
        // With a first application frame, the handshake's frames are held back and leave with it
        // in one write, so the transport reads the handshake's end and that frame in one chunk.
        if (step.kind === "established" && firstFrame !== null) held.push(frameEncode(firstFrame));
        if (held.length > 0 && (firstFrame === null || step.kind === "established")) {
          socket.write(concatBytes(held));
          held.length = 0;
        }
        if (step.kind === "established") return resolve(socket);
      }
    });
  });
}

/** Completes a real handshake with the right secret, then announces a frame above frameBytesMax. */
async function authenticatedOversized(host: string, port: number, secret: string): Promise<void> {
  const socket = await authenticatedRaw(host, port, secret);
  socket.write(Uint8Array.of(0x7f, 0xff, 0xff, 0xff)); // 2 GiB announced, never sent.
}

async function rawServer(
  onSocket: (socket: Socket) => void,
): Promise<{ address: Address; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: address(`127.0.0.1:${port}`),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A raw peer that completes the handshake (no secret), then reads nothing until resume(). */
async function handshakingPeer() {
  let frameCount = 0;
  let paused: Socket | null = null;
  const server = await rawServer((socket) => {
    const handshake = new Handshake(
      {
        clusterName: "test",
        localAddress: address("127.0.0.1:2"),
        secret: null,
        crypto: nodeHandshakeCrypto,
      },
      "acceptor",
      randomNonce(handshakeNonceBytes),
    );
    const decoder = new FrameDecoder(1 << 20);
    for (const frame of handshake.start()) socket.write(frameEncode(frame));
    socket.on("data", (chunk) => {
      const result = decoder.push(new Uint8Array(chunk));
      if (result.kind === "error") throw new Error("bad stream");
      for (const frame of result.frames) {
        if (handshake.isEstablished) frameCount += 1;
        else if (handshake.step(frame).kind === "established") {
          paused = socket;
          socket.pause();
        }
      }
    });
  });
  return {
    address: server.address,
    close: server.close,
    frames: () => frameCount,
    resume: () => paused?.resume(),
  };
}

function spawnEcho(secret: string): ChildProcess {
  const script = resolve(import.meta.dirname, "tcp_echo_child.ts");
  return spawn(process.execPath, ["--import", "tsx", script, secret], {
    stdio: ["ignore", "pipe", "inherit"],
  });
}

function childListening(child: ChildProcess): Promise<Address> {
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /listening (\S+)\n/.exec(output);
      if (match !== null) resolve(address(match[1]!));
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before listening`)));
    child.once("error", reject);
  });
}
