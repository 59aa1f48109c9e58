// Reports how much data moves when a member joins: the figure the placement brief asks for. Not a
// test (the properties in placement_properties.test.ts bound the same quantities): run it with
// `npx tsx test/placement/movement_report.ts`. Method: the default shape (P = 64, R = 3); 100,000
// map entries placed with partitionOf; "key copies moved" counts, for every key, the replicas its
// partition gains (each needs a copy of the key); the ideal is the newcomer's fair share,
// K·R/(N+1) (or K·R_new - K·R_old when R grows). "Leaders moved" counts keys whose preferred
// leader changed, against the ideal K/(N+1). Shown for members named n1..nN, then as the mean
// and standard deviation over 1,000 random name sets, because 64 partitions make any one
// cluster's figure vary by several percent.

import { Prng } from "../../src/lib/prng.js";
import {
  bootstrapTable,
  partitionOf,
  placementConfigDefault,
  planPlacement,
  replicaCountFor,
} from "../../src/protocol/placement/index.js";
import { type NodeId, nodeId } from "../../src/types.js";

const keyCount = 100_000;
const config = placementConfigDefault();

interface Movement {
  readonly copiesRatio: number;
  readonly leadersRatio: number;
}

function keysPerPartition(): number[] {
  const counts = new Array<number>(config.partitionCount).fill(0);
  for (let i = 0; i < keyCount; i++) counts[partitionOf("users", `user-${i}`, config.partitionCount)]! += 1;
  return counts;
}

function movementOnJoin(members: readonly NodeId[], newcomer: NodeId, keys: readonly number[]): Movement {
  const before = bootstrapTable(members, config);
  const after = planPlacement(before, [...members, newcomer]).target;
  let copies = 0;
  let leaders = 0;
  for (const row of after.partitions) {
    const old = before.partitions[row.partition]!.replicas;
    const gained = row.replicas.filter((node) => !old.includes(node)).length;
    copies += gained * keys[row.partition]!;
    if (row.replicas[0] !== old[0]) leaders += keys[row.partition]!;
  }
  const replicasBefore = replicaCountFor(members.length, config.replicaCountMax);
  const replicasAfter = replicaCountFor(members.length + 1, config.replicaCountMax);
  const share = (keyCount * replicasAfter) / (members.length + 1);
  const copiesIdeal = replicasAfter > replicasBefore ? keyCount * (replicasAfter - replicasBefore) : share;
  return { copiesRatio: copies / copiesIdeal, leadersRatio: leaders / (keyCount / (members.length + 1)) };
}

function summary(values: readonly number[]): string {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const sd = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
  return `${mean.toFixed(3)} ± ${sd.toFixed(3)}`;
}

function main(): void {
  const keys = keysPerPartition();
  for (const size of [3, 5]) {
    const named = Array.from({ length: size }, (_, i) => nodeId(`n${i + 1}`));
    const fixed = movementOnJoin(named, nodeId(`n${size + 1}`), keys);
    const prng = Prng.fromSeed(size);
    const copies: number[] = [];
    const leaders: number[] = [];
    for (let trial = 0; trial < 1000; trial++) {
      const names = Array.from({ length: size + 1 }, () => nodeId(`m${prng.nextUint32().toString(36)}`));
      if (new Set(names).size !== names.length) continue;
      const movement = movementOnJoin(names.slice(0, size), names[size]!, keys);
      copies.push(movement.copiesRatio);
      leaders.push(movement.leadersRatio);
    }
    console.log(
      `join ${size}->${size + 1} (P=64, R=3, ${keyCount} keys): key copies moved / ideal = ` +
        `${fixed.copiesRatio.toFixed(3)} for n1..n${size + 1}, ${summary(copies)} over ${copies.length} name sets; ` +
        `leaders moved / ideal = ${fixed.leadersRatio.toFixed(3)}, ${summary(leaders)}`,
    );
  }
}

main();
