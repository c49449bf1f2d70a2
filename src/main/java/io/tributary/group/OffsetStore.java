package io.tributary.group;

import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.Map;

/**
 * Where committed offsets are kept durably. The coordinator holds the current offsets in memory
 * and writes every change here before it acknowledges it, so a restarted broker can rebuild them
 * with {@link #load}.
 *
 * <p>Implementations are thread-safe. The coordinator calls {@link #append} and {@link #delete} for
 * one group at a time (under the group's lock), so a group's records are stored in the order its
 * changes were made and the last one for a key wins on load.
 */
public interface OffsetStore {

    /** Stores commits of one group; returns once they are in the log. */
    void append(String groupId, Map<TopicPartition, CommittedOffset> offsets);

    /** Forgets commits of one group (tombstones, so compaction removes them for good). */
    void delete(String groupId, Collection<TopicPartition> partitions);

    /** Replays every stored change in order: {@code offset} null means deleted. */
    void load(Visitor visitor);

    /**
     * Replays the stored changes of the groups kept in one partition of the store, in order. A store
     * that is not partitioned replays everything.
     */
    default void load(int partition, Visitor visitor) {
        load(visitor);
    }

    /** How many partitions the store has: a group's changes all go to one; 0 while the store does not exist yet. */
    default int partitionCount() {
        return 1;
    }

    /** Creates the store if it does not exist yet (a no-op for stores that always exist). */
    default void ensureCreated() {
    }

    /** Receives the stored changes on {@link #load}. */
    interface Visitor {
        void committed(String groupId, TopicPartition partition, CommittedOffset offset);
    }

    /** Keeps nothing across restarts; for tests and brokers without storage. */
    OffsetStore NONE = new OffsetStore() {
        @Override
        public void append(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
        }

        @Override
        public void delete(String groupId, Collection<TopicPartition> partitions) {
        }

        @Override
        public void load(Visitor visitor) {
        }
    };
}
