package io.tributary.broker.consumer;

import io.tributary.storage.ReadableLog;
import io.tributary.broker.RecordService;
import org.apache.kafka.common.TopicPartition;

import java.util.Set;

/**
 * What consumer instances read from: the broker's partitions. In the broker this is
 * {@link io.tributary.broker.ReplicaManager} and {@link RecordService}; tests use plain logs.
 *
 * <p>Implementations are thread-safe.
 */
public interface PartitionSource {

    /**
     * The partition's log, for its offsets and to hear its high watermark advance.
     *
     * @throws org.apache.kafka.common.errors.UnknownTopicOrPartitionException if there is no such partition
     */
    ReadableLog log(TopicPartition tp);

    /**
     * Committed records (below the high watermark) from {@code offset}, whole batches up to about
     * {@code maxBytes}, at least one record when there is one.
     *
     * @throws org.apache.kafka.common.errors.OffsetOutOfRangeException if the offset is outside the log
     * @throws org.apache.kafka.common.errors.UnknownTopicOrPartitionException if there is no such partition
     */
    RecordService.ReadResult read(TopicPartition tp, long offset, int maxBytes);

    /** The names of the topics that exist now. */
    Set<String> topics();
}
