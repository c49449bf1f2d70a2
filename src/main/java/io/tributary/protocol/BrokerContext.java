package io.tributary.protocol;

import io.tributary.broker.ReplicaManager;
import io.tributary.broker.TopicService;
import io.tributary.broker.UnknownTopicException;
import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.group.GroupCoordinator;
import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.PartitionState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The parts of a running broker the request handlers use, plus a few look-ups they share.
 *
 * <p>Immutable and thread-safe (the components are).
 *
 * @param self           this broker's registration (listed even before ZooKeeper's cache shows it)
 * @param clusterId      the cluster id clients see in Metadata and DescribeCluster
 * @param listenerName   the listener whose endpoints Metadata advertises (PLAINTEXT)
 * @param metadata       topic and broker metadata from ZooKeeper
 * @param replicas       local partitions
 * @param topics         topic administration
 * @param autoCreate     {@code auto.create.topics.enable}
 * @param executor       where delayed work (a Fetch woken by an append) runs
 * @param scheduler      timeouts of delayed work
 * @param clock          time
 * @param brokerConfigs  the broker's settings as DescribeConfigs shows them
 * @param groups         the group coordinator (this broker coordinates every group)
 * @param topicIds       topic names by id, shared by the handlers of this listener
 */
public record BrokerContext(BrokerInfo self, String clusterId, String listenerName, ClusterMetadataStore metadata,
                            ReplicaManager replicas, TopicService topics, boolean autoCreate, Executor executor,
                            ScheduledExecutorService scheduler, Clock clock,
                            List<TopicService.ConfigEntry> brokerConfigs, GroupCoordinator groups, TopicIds topicIds) {

    public BrokerContext {
        brokerConfigs = List.copyOf(brokerConfigs);
    }

    public BrokerContext(BrokerInfo self, String clusterId, String listenerName, ClusterMetadataStore metadata,
                         ReplicaManager replicas, TopicService topics, boolean autoCreate, Executor executor,
                         ScheduledExecutorService scheduler, Clock clock,
                         List<TopicService.ConfigEntry> brokerConfigs, GroupCoordinator groups) {
        this(self, clusterId, listenerName, metadata, replicas, topics, autoCreate, executor, scheduler, clock,
                brokerConfigs, groups, new TopicIds());
    }

    /** The topic's name for an id, if such a topic exists. */
    Optional<String> topicName(Uuid topicId) {
        if (topicId == null || Uuid.ZERO_UUID.equals(topicId)) {
            return Optional.empty();
        }
        return topicIds.name(metadata, topicId);
    }

    /** Requests since KIP-516 name a topic by id, older ones by name; either way, the name. */
    String resolveTopic(String name, Uuid topicId) {
        if (topicId != null && !Uuid.ZERO_UUID.equals(topicId)) {
            return topicName(topicId).orElseThrow(() -> new org.apache.kafka.common.errors.UnknownTopicIdException(
                    "No topic with id " + topicId));
        }
        if (name == null || name.isEmpty()) {
            throw new UnknownTopicException(String.valueOf(name));
        }
        return name;
    }

    /** Leader and in-sync replicas as published in ZooKeeper, or the preferred replica while unpublished. */
    PartitionState partitionState(TopicPartition tp, List<Integer> replicas) {
        return metadata.partitionState(tp).orElseGet(() ->
                new PartitionState(replicas.isEmpty() ? PartitionState.NO_LEADER : replicas.get(0), 0, replicas, 0, -1));
    }

    int brokerId() {
        return self.id();
    }

    /** Live brokers that have an endpoint on this listener, this one always among them. */
    List<BrokerInfo> liveBrokers() {
        List<BrokerInfo> live = new java.util.ArrayList<>(metadata.liveBrokers());
        if (live.stream().noneMatch(b -> b.id() == self.id())) {
            live.add(self);
        }
        live.sort(java.util.Comparator.comparingInt(BrokerInfo::id));
        return live.stream().filter(b -> b.endpoint(listenerName).isPresent()).toList();
    }

    /**
     * The elected controller, as {@code /controller} names it; -1 while there is none (Kafka's
     * answer then too: clients wait for the next Metadata).
     */
    int controllerId() {
        return metadata.controllerId();
    }
}
