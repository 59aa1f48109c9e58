// The registry of simulation workloads, by name. Each workload lives with the code it exercises
// (sim/workloads/*.ts) and adds one line here.

import type { Workload } from "./workload.js";
import { crdtWorkload } from "./workloads/crdt.js";
import { naiveRegisterWorkload } from "./workloads/naive_register.js";
import { raftKvWorkload } from "./workloads/raft_kv.js";
import { swimWorkload } from "./workloads/swim.js";

/** Every workload `shoal sim --workload NAME` can run. */
export const workloads: ReadonlyMap<string, Workload> = new Map<string, Workload>([
  [naiveRegisterWorkload.name, naiveRegisterWorkload],
  [swimWorkload.name, swimWorkload],
  [crdtWorkload.name, crdtWorkload],
  [raftKvWorkload.name, raftKvWorkload],
]);
