// Coalesced frames (raft-batch, crdt-batch) carry many messages to one peer; one over the frame
// limit is split in halves until every part fits.

/**
 * Sends `items` through `send` (false: the frame would be too large), splitting a refused list in
 * halves, recursively; an item too large alone goes to `tooLarge` and is dropped.
 */
export function sendInHalves<T>(
  items: readonly T[],
  send: (part: readonly T[]) => boolean,
  tooLarge: (item: T) => void,
): void {
  if (send(items)) return;
  if (items.length < 2) {
    if (items[0] !== undefined) tooLarge(items[0]);
    return;
  }
  const half = Math.ceil(items.length / 2);
  sendInHalves(items.slice(0, half), send, tooLarge);
  sendInHalves(items.slice(half), send, tooLarge);
}
