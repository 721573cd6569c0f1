// The ledger's state changelog: the compacted topic the processor runtime checkpoints the devices' states to
// (pipelines/ledger/slot.ts) and restores them from. Named here for the tools that create or delete it.
import { changelogTopic } from "../../ground/topics.ts";

export const ledgerChangelog = (): string => changelogTopic("ledger");
