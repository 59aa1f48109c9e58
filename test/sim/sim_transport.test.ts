// Goal: SimTransport keeps the env Transport contract over the simulated network: frames arrive
// whole and unaltered (copied at send and at delivery, so duplicates never alias), a closed
// transport neither sends nor receives, and a paused one holds frames in a bounded queue and hands
// them over in arrival order on resume. Method: two transports on one network, driven in virtual
// time with every fault off except the one under test.

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { address } from "../../src/types.js";
import { linkFaultsNone, SimNetwork } from "../../src/sim/network.js";
import { SimScheduler } from "../../src/sim/scheduler.js";
import { SimTransport, simTransportPausedFramesMax } from "../../src/sim/sim_transport.js";
import { Trace } from "../../src/sim/trace.js";

function setup(duplicateProbability = 0) {
  const scheduler = new SimScheduler();
  const network = new SimNetwork<Uint8Array>(scheduler, Prng.fromSeed(1), new Trace(), {
    faults: { ...linkFaultsNone(), duplicateProbability },
    describe: (frame) => `${frame.byteLength}B`,
  });
  const a = new SimTransport(network, scheduler, "a");
  const b = new SimTransport(network, scheduler, "b");
  const received: { from: string; frame: Uint8Array }[] = [];
  b.onFrame((from, frame) => received.push({ from, frame }));
  return { scheduler, network, a, b, received };
}

describe("SimTransport", () => {
  it("delivers copies: the sender's buffer and each duplicate are independent", () => {
    const { scheduler, a, received } = setup(1);
    const frame = Uint8Array.of(1, 2, 3);
    expect(a.send(address("b"), frame)).toBe("queued");
    frame[0] = 9;
    scheduler.runFor(100);
    expect(received.length).toBe(2); // Duplicated by the network.
    expect(received[0]!.from).toBe("a");
    received[0]!.frame[1] = 7;
    expect([...received[1]!.frame]).toEqual([1, 2, 3]);
  });

  it("neither sends nor receives once closed, and detaches from the network", () => {
    const { scheduler, network, a, b, received } = setup();
    a.send(address("b"), Uint8Array.of(1));
    b.close();
    expect(network.isAttached("b")).toBe(false);
    expect(b.send(address("a"), Uint8Array.of(2))).toBe("closed");
    scheduler.runFor(100);
    expect(received).toEqual([]);
    expect(b.isClosed).toBe(true);
  });

  it("holds frames while paused and delivers them in order on resume", () => {
    const { scheduler, a, b, received } = setup();
    b.pause();
    for (let i = 0; i < 5; i++) {
      a.send(address("b"), Uint8Array.of(i));
      scheduler.runFor(10); // One at a time, so arrival order is send order.
    }
    expect(received).toEqual([]);
    b.resume();
    expect(received).toEqual([]); // Delivered in a scheduler event, not inside resume().
    scheduler.runFor(0);
    expect(received.map(({ frame }) => frame[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it("drops frames beyond the pause queue's bound and counts them", () => {
    const { scheduler, a, b, received } = setup();
    b.pause();
    for (let i = 0; i < simTransportPausedFramesMax + 25; i++) a.send(address("b"), Uint8Array.of(i & 0xff));
    scheduler.runFor(100);
    b.resume();
    scheduler.runFor(1);
    expect(received.length).toBe(simTransportPausedFramesMax);
    expect(b.stats.framesDropped).toBe(25);
  });

  it("drops frames that arrive before a handler is installed, and allows one transport per node", () => {
    const scheduler = new SimScheduler();
    const network = new SimNetwork<Uint8Array>(scheduler, Prng.fromSeed(2), new Trace(), {
      faults: linkFaultsNone(),
      describe: (frame) => `${frame.byteLength}B`,
    });
    const a = new SimTransport(network, scheduler, "a");
    const b = new SimTransport(network, scheduler, "b");
    a.send(address("b"), Uint8Array.of(1));
    scheduler.runFor(10);
    expect(b.stats.framesDropped).toBe(1);
    const received: number[] = [];
    b.onFrame((_from, frame) => received.push(frame[0]!));
    a.send(address("b"), Uint8Array.of(2));
    scheduler.runFor(10);
    expect(received).toEqual([2]);
    expect(() => new SimTransport(network, scheduler, "a")).toThrow(/already has a transport/);
  });
});
