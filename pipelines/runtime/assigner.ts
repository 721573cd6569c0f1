// The consumer group's partition assignment for processors: partition p of every input topic goes to the same
// member (the topics are co-partitioned, and the partition's task, store and transactional id are one), spread
// evenly, and sticky: a member keeps what it already works on up to its fair share, so that adding or removing an
// instance moves as few partitions (state restores) as it can. Each member tells what it owns in its metadata.
import { AssignerProtocol, type PartitionAssigner } from "../../ground/kafka.ts";

export const ASSIGNER_NAME = "WattlineCoPartitioned";
const VERSION = 1;

export interface Member {
  id: string;
  /** Partitions it works on now. */
  owned: readonly number[];
}

/** Partition numbers per member id: balanced (sizes differ by one at most) and sticky. */
export function planAssignment(partitions: number, members: readonly Member[]): Map<string, number[]> {
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const plan = new Map(sorted.map((m) => [m.id, [] as number[]]));
  if (sorted.length === 0) return plan;
  const fair = Math.floor(partitions / sorted.length);
  let extra = partitions % sorted.length;
  const taken = new Set<number>();
  const claim = (m: Member, limit: number) => {
    const mine = plan.get(m.id) ?? [];
    for (const p of [...m.owned].sort((a, b) => a - b)) {
      if (mine.length >= limit) return;
      if (p < 0 || p >= partitions || taken.has(p)) continue;
      taken.add(p);
      mine.push(p);
    }
  };
  // Everyone keeps its fair share of what it owns; then, while some members may have one more, one more.
  for (const m of sorted) claim(m, fair);
  for (const m of sorted) {
    if (extra === 0) break;
    const before = plan.get(m.id)?.length ?? 0;
    claim(m, fair + 1);
    if ((plan.get(m.id)?.length ?? 0) > before) extra--;
  }
  // The rest, in partition order, each to the member with the fewest (the first such in id order).
  for (let p = 0; p < partitions; p++) {
    if (taken.has(p)) continue;
    let best: number[] | undefined;
    for (const m of sorted) {
      const mine = plan.get(m.id) ?? [];
      if (best === undefined || mine.length < best.length) best = mine;
    }
    best?.push(p);
    taken.add(p);
  }
  for (const mine of plan.values()) mine.sort((a, b) => a - b);
  return plan;
}

function ownedOf(metadata: Buffer): number[] {
  try {
    const decoded = AssignerProtocol.MemberMetadata.decode(metadata);
    const owned: unknown = JSON.parse(decoded?.userData.toString() || "[]");
    return Array.isArray(owned) ? owned.filter((p): p is number => Number.isInteger(p)) : [];
  } catch {
    return [];
  }
}

/** `owned` is asked at every join: the partitions this instance works on at that moment. */
export function coPartitionedAssigner(owned: () => readonly number[]): PartitionAssigner {
  return ({ cluster }) => ({
    name: ASSIGNER_NAME,
    version: VERSION,
    async assign({ members, topics }) {
      const counts = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).length]));
      const plan = planAssignment(
        Math.max(0, ...counts.values()),
        members.map((m) => ({ id: m.memberId, owned: ownedOf(m.memberMetadata) })),
      );
      return members.map(({ memberId }) => {
        const mine = plan.get(memberId) ?? [];
        const assignment = Object.fromEntries(
          topics.map((t) => [t, mine.filter((p) => p < (counts.get(t) ?? 0))]),
        );
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: VERSION,
            assignment,
            userData: Buffer.alloc(0),
          }),
        };
      });
    },
    protocol({ topics }) {
      return {
        name: ASSIGNER_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: VERSION,
          topics,
          userData: Buffer.from(JSON.stringify(owned())),
        }),
      };
    },
  });
}
