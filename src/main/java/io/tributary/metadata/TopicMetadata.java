package io.tributary.metadata;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

import org.apache.kafka.common.Uuid;

/**
 * A topic's identity, replica assignment and configuration overrides, as stored in
 * {@code /brokers/topics/<name>} and {@code /config/topics/<name>}.
 *
 * <p>Immutable and thread-safe: the collections are copied on construction. The assignment is a
 * sorted map from partition id to the replica broker ids in preference order (the first is the
 * preferred leader); partition ids are expected to be {@code 0..n-1}.
 *
 * @param name       topic name
 * @param topicId    the topic's id, stable for the topic's lifetime
 * @param assignment partition id to replica broker ids
 * @param configs    per-topic configuration overrides only (not the broker defaults)
 */
public record TopicMetadata(String name, Uuid topicId, Map<Integer, List<Integer>> assignment, Map<String, String> configs) {

    public TopicMetadata {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(topicId, "topicId");
        SortedMap<Integer, List<Integer>> sorted = new TreeMap<>();
        assignment.forEach((partition, replicas) -> sorted.put(partition, List.copyOf(replicas)));
        assignment = Collections.unmodifiableSortedMap(sorted);
        configs = Collections.unmodifiableSortedMap(new TreeMap<>(configs));
    }

    public int partitionCount() {
        return assignment.size();
    }

    /** The replicas of one partition, or an empty list if the topic has no such partition. */
    public List<Integer> replicas(int partition) {
        return assignment.getOrDefault(partition, List.of());
    }

    /** A copy with other configuration overrides. */
    public TopicMetadata withConfigs(Map<String, String> newConfigs) {
        return new TopicMetadata(name, topicId, assignment, newConfigs);
    }

    /** A copy with another assignment. */
    public TopicMetadata withAssignment(Map<Integer, List<Integer>> newAssignment) {
        return new TopicMetadata(name, topicId, newAssignment, configs);
    }
}
