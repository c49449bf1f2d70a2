package io.tributary.config;

/**
 * Broker-wide defaults for topics created without explicit settings.
 *
 * @param numPartitions            {@code num.partitions}
 * @param defaultReplicationFactor {@code default.replication.factor}
 * @param autoCreateTopics         {@code auto.create.topics.enable}: create a topic on its first produce
 */
public record TopicDefaults(int numPartitions, short defaultReplicationFactor, boolean autoCreateTopics) {
}
