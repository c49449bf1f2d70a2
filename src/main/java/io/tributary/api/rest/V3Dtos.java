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

    public record ConsumerGroup(String kind, ResourceMetadata metadata, String clusterId, String consumerGroupId,
                                boolean isSimple, String partitionAssignor, String state, String type,
                                boolean isMixedConsumerGroup, Related coordinator, Related consumers,
                                Related lagSummary) {
    }

    public record Consumer(String kind, ResourceMetadata metadata, String clusterId, String consumerGroupId,
                           String consumerId, String instanceId, String clientId, Related assignments) {
    }

    public record ConsumerAssignment(String kind, ResourceMetadata metadata, String clusterId, String consumerGroupId,
                                     String consumerId, String topicName, int partitionId, Related partition,
                                     Related lag) {
    }

    /** {@code current_offset} and {@code lag} are null for an assigned partition without a commit. */
    public record ConsumerLag(String kind, ResourceMetadata metadata, String clusterId, String consumerGroupId,
                              String topicName, int partitionId, Long currentOffset, Long logEndOffset, Long lag,
                              String consumerId, String instanceId, String clientId) {
    }

    /** The {@code max_lag_*} fields are null when no partition's lag is known. */
    public record ConsumerGroupLagSummary(String kind, ResourceMetadata metadata, String clusterId,
                                          String consumerGroupId, long maxLag, long totalLag, String maxLagConsumerId,
                                          Related maxLagConsumer, String maxLagClientId, String maxLagInstanceId,
                                          String maxLagTopicName, Integer maxLagPartitionId,
                                          Related maxLagPartition) {
    }

    /** One partition of an offset reset: its new committed offset and the previous one (null if none). */
    public record ConsumerGroupOffset(String kind, String clusterId, String consumerGroupId, String topicName,
                                      int partitionId, Long previousOffset, long offset, Related lag) {
    }
}
