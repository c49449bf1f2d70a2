package io.tributary.broker.subscription;

import io.tributary.storage.PartitionLog;

/** One partition a session asks to follow: its log, where to start, and how to encode and frame its records. */
public record PartitionSubscription(PartitionLog log, StartPosition from, RecordEncoder encoder, Framing framing) {
}
