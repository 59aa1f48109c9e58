// The operation mix of the `crdt` workload: one key per CRDT type, random operations on random
// elements, each recorded with its delta and, for the ORSet, the dots it observed (so the
// add-wins / set-full check can say which adds a remove was entitled to delete).

import type { Prng } from "../../../lib/prng.js";
import type { ReplicaId } from "../../../types.js";
import {
  type CausalValue,
  type Crdt,
  type CrdtMutants,
  type Dot,
  Flag,
  GCounter,
  GSet,
  LWWMap,
  LWWRegister,
  MVRegister,
  ORMap,
  ORSet,
  PNCounter,
} from "../../../protocol/crdt/index.js";
import type { Replicator } from "../../../protocol/replication/index.js";

/** One operation as the oracle and the checkers see it. */
export interface OpRecord {
  readonly index: number;
  readonly key: string;
  readonly kind: string;
  readonly replica: ReplicaId;
  readonly delta: Crdt;
  /** Whether the op's effect survives: false once its only holders lost their state. */
  included: boolean;
  /** Counter ops: the signed amount. */
  readonly amount: number;
  /** Set ops: the element. */
  readonly element: string;
  /** ORSet add: the dot minted. */
  readonly addDot: Dot | null;
  /** ORSet add or remove: the element's dots in the store when the op ran. */
  readonly observed: readonly Dot[];
}

/** The keys of the workload and their types. */
export const workloadKeys = {
  hits: "gcounter",
  balance: "pncounter",
  seen: "gset",
  cart: "orset",
  owner: "lwwregister",
  config: "mvregister",
  enabled: "flag",
  groups: "ormap",
  profile: "lwwmap",
} as const;

/** The keys whose final value does not depend on delivery order when only adds are made. */
export const orderFreeKeys = ["hits", "balance", "seen", "cart", "enabled"] as const;

const elementsCount = 8;

function dotsOfElement(set: ORSet, element: string): Dot[] {
  const store = set.dotStore;
  if (store.kind !== "map") return [];
  const dots: Dot[] = [];
  store.entries.get(element)?.forEachDot((dot) => dots.push(dot));
  return dots;
}

interface Planned {
  readonly key: keyof typeof workloadKeys;
  readonly kind: string;
  readonly amount: number;
  readonly element: string;
}

/** Draws one operation. With `orderFree`, only operations whose outcome ignores ordering. */
export function planOp(prng: Prng, orderFree: boolean): Planned {
  const element = `e${prng.below(elementsCount)}`;
  const key = orderFree
    ? prng.pick(orderFreeKeys)
    : prng.pick(Object.keys(workloadKeys) as (keyof typeof workloadKeys)[]);
  const remove = !orderFree && prng.chance(0.4);
  const amount = key === "balance" && !orderFree ? prng.intBetween(-5, 5) || 1 : prng.intBetween(1, 5);
  const kind = remove ? "remove" : "add";
  return { key, kind: key === "groups" && remove && prng.chance(0.3) ? "remove-key" : kind, amount, element };
}

/** Applies a planned op at `replicator` and returns its record (null if the key held another type). */
export function applyOp(
  index: number,
  plan: Planned,
  replicator: Replicator,
  wallMs: number,
  mutants: CrdtMutants,
): OpRecord | null {
  const self = replicator.self;
  let observed: Dot[] = [];
  let addDot: Dot | null = null;
  const make = (state: Crdt): Crdt => {
    switch (plan.key) {
      case "hits":
        return (state as GCounter).incrementDelta(self, plan.amount);
      case "balance":
        return (state as PNCounter).addDelta(self, plan.amount);
      case "seen":
        return (state as GSet).addDelta(plan.element);
      case "cart": {
        const set = state as ORSet;
        observed = dotsOfElement(set, plan.element);
        if (plan.kind === "remove") return set.removeDelta(plan.element, mutants);
        addDot = set.context.next(self);
        return set.addDelta(self, plan.element);
      }
      case "owner":
        return (state as LWWRegister).setDelta(self, `${plan.element}@${index}`, replicator.stamp(wallMs));
      case "config":
        return (state as MVRegister).writeDelta(self, `${plan.element}@${index}`, replicator.stamp(wallMs));
      case "enabled":
        return plan.kind === "remove" ? (state as Flag).disableDelta() : (state as Flag).enableDelta(self);
      case "groups":
        return groupsDelta(state as ORMap, plan, self, mutants);
      case "profile": {
        const map = state as LWWMap;
        if (plan.kind === "remove") return map.removeDelta(plan.element);
        return map.setDelta(self, plan.element, `v${index}`, replicator.stamp(wallMs));
      }
    }
  };
  const result = replicator.mutate(plan.key, () => bottomFor(plan.key), make);
  if (result.kind !== "ok") return null;
  const amount = plan.key === "balance" || plan.key === "hits" ? plan.amount : 0;
  return {
    index,
    key: plan.key,
    kind: plan.kind,
    replica: self,
    delta: result.delta.clone(),
    included: true,
    amount,
    element: plan.element,
    addDot,
    observed,
  };
}

function groupsDelta(map: ORMap, plan: Planned, self: ReplicaId, mutants: CrdtMutants): Crdt {
  const group = `g${Number(plan.element.slice(1)) % 3}`; // Three groups, so keys collide often.
  if (plan.kind === "remove-key") return map.removeDelta(group);
  return map.updateDelta(group, (view: CausalValue) => {
    const set = view as ORSet;
    return plan.kind === "remove" ? set.removeDelta(plan.element, mutants) : set.addDelta(self, plan.element);
  });
}

/** The bottom state of a workload key. */
export function bottomFor(key: keyof typeof workloadKeys): Crdt {
  switch (key) {
    case "hits":
      return new GCounter();
    case "balance":
      return new PNCounter();
    case "seen":
      return new GSet();
    case "cart":
      return new ORSet();
    case "owner":
      return new LWWRegister();
    case "config":
      return new MVRegister();
    case "enabled":
      return new Flag();
    case "groups":
      return new ORMap({ map: "set" });
    case "profile":
      return new LWWMap();
  }
}

/** The user-visible value of a state, as text (for the differential check). */
export function valueText(state: Crdt | undefined): string {
  if (state === undefined) return "⊥";
  if (state instanceof GCounter || state instanceof PNCounter) return String(state.value());
  if (state instanceof GSet || state instanceof ORSet) return state.elements().join(",");
  if (state instanceof Flag) return String(state.value());
  return state.describe();
}
