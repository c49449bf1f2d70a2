package io.tributary.broker.subscription;

import io.tributary.records.ConsumedRecord;
import org.apache.kafka.common.TopicPartition;

import java.util.List;

/**
 * Turns records into the text frames a subscriber receives; the transport's business (the
 * WebSocket API writes JSON). One encoder per subscription, so it carries the subscriber's format.
 *
 * <p>Implementations must be thread-safe and must not block.
 */
public interface RecordEncoder {

    /** One record as one complete frame (a {@code record} frame). */
    String record(TopicPartition tp, ConsumedRecord record);

    /** Several frames made by {@link #record} as one frame (a {@code records} frame). */
    String batch(TopicPartition tp, List<String> records);
}
