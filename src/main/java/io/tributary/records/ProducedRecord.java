package io.tributary.records;

import org.apache.kafka.common.header.Header;

import java.nio.ByteBuffer;

/**
 * One record as a client handed it to the broker, before it is in a batch.
 *
 * @param key       the key bytes, or null
 * @param value     the value bytes, or null (a tombstone)
 * @param timestamp the producer's timestamp in epoch milliseconds, or -1 to take the broker's clock
 * @param headers   record headers, never null
 */
public record ProducedRecord(ByteBuffer key, ByteBuffer value, long timestamp, Header[] headers) {

    /** No headers: one shared array, as an empty array cannot be changed. */
    public static final Header[] NO_HEADERS = new Header[0];

    public ProducedRecord {
        if (headers == null) {
            headers = NO_HEADERS;
        }
    }

    /** Bytes this record takes inside an uncompressed batch (offset and timestamp deltas at their widest). */
    public int sizeUpperBound() {
        return RecordBatches.recordSizeUpperBound(this);
    }
}
