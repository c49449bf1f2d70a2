package io.tributary.storage;

import org.apache.kafka.common.TopicPartition;

import java.util.Optional;

/**
 * What a reader of committed records needs of a partition: its offsets, its records, and word when
 * its high watermark advances. A {@link PartitionLog} on this broker is one; a partition with no
 * replica here is followed through its leader (see {@code io.tributary.broker.RemotePartitionLog}).
 *
 * <p>Implementations are thread-safe; listeners are called on whatever thread learns of the advance
 * and must be cheap and never block.
 */
public interface ReadableLog {

    /** Hears high-watermark advances. */
    interface Listener {
        void onHighWatermark(ReadableLog log, long highWatermark);
    }

    TopicPartition topicPartition();

    /** The first offset readers can read. */
    long logStartOffset();

    /** The offset after the last committed record: readers see only records below it. */
    long highWatermark();

    /**
     * Reads whole batches starting with the one holding {@code startOffset}, about {@code maxBytes}
     * (at least one batch when {@code minOneMessage}).
     *
     * @param maxOffsetExclusive batches holding this offset or later are not returned
     * @throws org.apache.kafka.common.errors.OffsetOutOfRangeException if {@code startOffset} is outside the log
     */
    PartitionLog.LogReadInfo read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneMessage);

    /** The first record with a timestamp {@code >= timestampMs} (not a special ListOffsets value), if any. */
    Optional<OffsetAndTimestamp> offsetForTimestamp(long timestampMs);

    void addListener(Listener l);

    void removeListener(Listener l);
}
