// Goal: the minimal UDP Transport keeps the env Transport contract on loopback: a frame arrives
// whole and unaliased with the sender's address, oversize frames and bad addresses are refused as
// "full", and a closed transport answers "closed". Method: two sockets on 127.0.0.1, polled with a
// deadline; both closed in `finally`.

import { describe, expect, it } from "vitest";
import { UdpTransport, udpAddressParse, udpDatagramBytesMax } from "../../src/platform/node/udp_transport.js";
import { type Address, address } from "../../src/types.js";

async function waitFor(condition: () => boolean, deadlineMs: number): Promise<boolean> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > deadlineMs) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  }
  return true;
}

describe("UdpTransport on 127.0.0.1", () => {
  it("delivers frames whole, refuses what it cannot send, and reports closed", async () => {
    const options = { host: "127.0.0.1", port: 0, sendsInFlightMax: 16 };
    const a = await UdpTransport.bind(options);
    const b = await UdpTransport.bind(options);
    try {
      const received: { from: Address; frame: Uint8Array }[] = [];
      b.onFrame((from, frame) => received.push({ from, frame }));
      const frame = new Uint8Array([1, 2, 3, 250]);
      expect(a.send(b.localAddress, frame)).toBe("queued");
      frame[0] = 99; // The transport copied the frame when send returned.
      expect(await waitFor(() => received.length === 1, 5_000)).toBe(true);
      expect(received[0]!.from).toBe(a.localAddress);
      expect([...received[0]!.frame]).toEqual([1, 2, 3, 250]);
      expect(a.send(b.localAddress, new Uint8Array(udpDatagramBytesMax + 1))).toBe("full");
      expect(a.send(address("no-port"), frame)).toBe("full");
      expect(a.stats.sendsRefused).toBe(2);
      a.close();
      expect(a.send(b.localAddress, frame)).toBe("closed");
    } finally {
      a.close();
      b.close();
    }
  });

  it("parses host:port addresses and rejects malformed ones", () => {
    expect(udpAddressParse(address("127.0.0.1:7946"))).toEqual({ host: "127.0.0.1", port: 7946 });
    expect(udpAddressParse(address("127.0.0.1:0"))).toBeNull();
    expect(udpAddressParse(address("127.0.0.1:70000"))).toBeNull();
    expect(udpAddressParse(address(":80"))).toBeNull();
    expect(udpAddressParse(address("host"))).toBeNull();
  });
});
