package io.tributary.broker.subscription;

import io.tributary.records.ConsumedRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Turns records into the text frames a subscriber receives; the transport's business (the
 * WebSocket API writes JSON). One encoder per subscription, so it carries the subscriber's format.
 *
 * <p>Encoders append to a builder the caller owns rather than returning a string per record: a
 * batch frame is written once, in place, instead of being assembled from per-record strings.
 *
 * <p>Implementations must be thread-safe and must not block.
 */
public interface RecordEncoder {

    /**
     * Appends one record as one complete frame (a {@code record} frame).
     *
     * @return the UTF-8 size in bytes of what was appended (the credit a record costs)
     */
    long record(StringBuilder out, TopicPartition tp, ConsumedRecord record);

    /** Appends the start of a frame of several records (a {@code records} frame), up to its first record. */
    void batchStart(StringBuilder out, TopicPartition tp);

    /** Appends what goes between two records of a {@code records} frame. */
    void batchSeparator(StringBuilder out);

    /** Appends the end of a {@code records} frame, after its last record. */
    void batchEnd(StringBuilder out);
}
