package io.tributary.records;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;

import java.nio.ByteBuffer;

/**
 * A record read back from a partition log. The buffers are views into the read buffer: read-only,
 * valid while the caller holds the read result.
 */
public record ConsumedRecord(long offset, long timestamp, TimestampType timestampType, int leaderEpoch,
                             ByteBuffer key, ByteBuffer value, Header[] headers, int sizeInBytes) {
}
