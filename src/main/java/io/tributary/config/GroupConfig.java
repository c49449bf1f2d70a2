package io.tributary.config;

/**
 * Settings of the group coordinator, named as in Kafka.
 *
 * @param offsetsTopicNumPartitions   {@code offsets.topic.num.partitions}: partitions of {@code __consumer_offsets}
 *                                    when it is created (fixed afterwards: a group's partition depends on it)
 * @param offsetsTopicSegmentBytes    {@code offsets.topic.segment.bytes}: small segments let compaction reclaim
 *                                    superseded commits early
 * @param minSessionTimeoutMs         {@code group.min.session.timeout.ms}
 * @param maxSessionTimeoutMs         {@code group.max.session.timeout.ms}
 * @param initialRebalanceDelayMs     {@code group.initial.rebalance.delay.ms}: how long the first rebalance of an
 *                                    empty group waits for more members, so they do not each cause one
 * @param offsetMetadataMaxBytes      {@code offset.metadata.max.bytes}
 * @param offsetsTopicReplicationFactor {@code offsets.topic.replication.factor}: replicas of {@code __consumer_offsets}
 *                                    when it is created, capped at the live brokers then
 * @param offsetsCommitTimeoutMs      {@code offsets.commit.timeout.ms}: how long a commit waits for every in-sync
 *                                    replica of its offsets partition
 */
public record GroupConfig(int offsetsTopicNumPartitions, int offsetsTopicSegmentBytes, int minSessionTimeoutMs,
                          int maxSessionTimeoutMs, int initialRebalanceDelayMs, int offsetMetadataMaxBytes,
                          short offsetsTopicReplicationFactor, int offsetsCommitTimeoutMs) {

    /** The group settings with Kafka's defaults for the offsets topic's replication factor and commit timeout. */
    public GroupConfig(int offsetsTopicNumPartitions, int offsetsTopicSegmentBytes, int minSessionTimeoutMs,
                       int maxSessionTimeoutMs, int initialRebalanceDelayMs, int offsetMetadataMaxBytes) {
        this(offsetsTopicNumPartitions, offsetsTopicSegmentBytes, minSessionTimeoutMs, maxSessionTimeoutMs,
                initialRebalanceDelayMs, offsetMetadataMaxBytes, (short) 3, 5_000);
    }

    /** Kafka's defaults. */
    public static GroupConfig defaults() {
        return new GroupConfig(50, 104_857_600, 6_000, 1_800_000, 3_000, 4_096, (short) 3, 5_000);
    }
}
