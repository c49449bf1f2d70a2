package io.tributary.api.rest;

import java.util.List;

/** The v3 API's JSON shapes, as in Confluent's REST Proxy (snake_case on the wire). */
public final class V3Dtos {

    private V3Dtos() {
    }

    public record Related(String related) {
    }

    public record ResourceMetadata(String self, String resourceName) {
    }

    public record ListMetadata(String self, String next) {
    }

    public record ListOf<T>(String kind, ListMetadata metadata, List<T> data) {
    }

    public record Cluster(String kind, ResourceMetadata metadata, String clusterId, Related controller, Related acls,
                          Related brokers, Related brokerConfigs, Related consumerGroups, Related topics,
                          Related partitionReassignments) {
    }

    public record Broker(String kind, ResourceMetadata metadata, String clusterId, int brokerId, String host,
                         Integer port, String rack, Related configs, Related partitionReplicas) {
    }

    public record Topic(String kind, ResourceMetadata metadata, String clusterId, String topicName, boolean isInternal,
                        int replicationFactor, int partitionsCount, Related partitions, Related configs,
                        Related partitionReassignments, List<String> authorizedOperations) {
    }

    public record Partition(String kind, ResourceMetadata metadata, String clusterId, String topicName, int partitionId,
                            Related leader, Related replicas, Related reassignment) {
    }

    public record Replica(String kind, ResourceMetadata metadata, String clusterId, String topicName, int partitionId,
                          int brokerId, boolean isLeader, boolean isInSync, Related broker) {
    }

    public record TopicConfig(String kind, ResourceMetadata metadata, String clusterId, String topicName, String name,
                              String value, boolean isDefault, boolean isReadOnly, boolean isSensitive, String source,
                              List<Object> synonyms) {
    }

    public record Size(String type, int size) {
    }

    public record ProduceResult(int errorCode, String message, String clusterId, String topicName, Integer partitionId,
                                Long offset, String timestamp, Size key, Size value) {
    }
}
