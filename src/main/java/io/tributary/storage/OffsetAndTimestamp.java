package io.tributary.storage;

/** A record's offset and its timestamp, as returned by timestamp lookups. */
public record OffsetAndTimestamp(long offset, long timestamp) {
}
