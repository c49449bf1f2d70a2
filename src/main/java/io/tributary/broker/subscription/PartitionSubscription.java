package io.tributary.broker.subscription;

import io.tributary.storage.ReadableLog;

/** One partition a session asks to follow: its log, where to start, and how to encode and frame its records. */
public record PartitionSubscription(ReadableLog log, StartPosition from, RecordEncoder encoder, Framing framing) {
}
