// Goal: TcpTransport.onPeerDown tells its handler, once and with the right address, when the
// established connection to a peer closes or a dial to a peer fails, never while the connection is
// up nor after the transport itself closed, and the transport still reconnects afterwards. Method:
// transports on 127.0.0.1 in this process; a peer is "killed" by closing its transport; an address
// with nothing listening is made by closing a transport and reusing its port; waits poll a
// condition under a deadline.

import { afterEach, describe, expect, it } from "vitest";
import type { TcpTransport } from "../../src/platform/node/tcp_transport.js";
import type { Address } from "../../src/types.js";
import { startTransport, waitFor } from "./transport_harness.js";

const open: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.closeAndWait()));
});

async function started(port?: number): Promise<TcpTransport> {
  const transport = await startTransport(port === undefined ? {} : { port });
  open.push(transport);
  return transport;
}

function downs(transport: TcpTransport): Address[] {
  const seen: Address[] = [];
  transport.onPeerDown((peer) => seen.push(peer));
  return seen;
}

describe("TcpTransport.onPeerDown", () => {
  it("reports a peer whose established connection closes, once, and reconnects after it returns", async () => {
    const a = await started();
    const b = await started();
    const down = downs(a);
    const atB: Uint8Array[] = [];
    b.onFrame((_from, frame) => atB.push(frame));
    expect(a.send(b.localAddress, Uint8Array.of(1))).toBe("queued");
    await waitFor(() => atB.length === 1, 5_000, "first delivery");
    expect(down).toEqual([]);
    const port = Number(b.localAddress.split(":")[1]);
    await b.closeAndWait();
    await waitFor(() => down.length > 0, 5_000, "peer down");
    expect(down[0]).toBe(b.localAddress);
    const back = await started(port);
    const atBack: Uint8Array[] = [];
    back.onFrame((_from, frame) => atBack.push(frame));
    await waitFor(
      () => {
        a.send(back.localAddress, Uint8Array.of(2));
        return atBack.length > 0;
      },
      10_000,
      "delivery after restart",
    );
    expect(a.isConnected(back.localAddress)).toBe(true);
    expect(down.every((peer) => peer === b.localAddress)).toBe(true);
  });

  it("reports a peer that cannot be dialled, without waiting for any timeout", async () => {
    const a = await started();
    const gone = await startTransport();
    const address = gone.localAddress;
    await gone.closeAndWait();
    const down = downs(a);
    const startMs = Date.now();
    expect(a.send(address, Uint8Array.of(1))).toBe("queued");
    await waitFor(() => down.length > 0, 5_000, "dial failure");
    expect(down[0]).toBe(address);
    expect(Date.now() - startMs).toBeLessThan(1_000);
  });

  it("stays quiet when the transport itself closes", async () => {
    const a = await startTransport();
    const b = await started();
    const down = downs(a);
    const atB: Uint8Array[] = [];
    b.onFrame((_from, frame) => atB.push(frame));
    a.send(b.localAddress, Uint8Array.of(1));
    await waitFor(() => atB.length === 1, 5_000, "delivery");
    await a.closeAndWait();
    expect(down).toEqual([]);
  });
});
