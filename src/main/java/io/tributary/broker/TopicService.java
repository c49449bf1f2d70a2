package io.tributary.broker;

import io.tributary.config.TopicDefaults;
import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.ReplicaAssignment;
import io.tributary.metadata.TopicMetadata;
import io.tributary.metadata.Topics;
import io.tributary.storage.LogConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Topic administration: create, describe, delete, configure and grow topics. Metadata goes to
 * ZooKeeper first (the cluster's source of truth); the local replicas are then brought in line at
 * once so a client that created a topic can produce to it with its next request.
 *
 * <p>Thread-safe: ZooKeeper's conditional writes decide races between brokers and requests.
 */
public final class TopicService {

    /** One topic setting as a client sees it. */
    public record ConfigEntry(String name, String value, boolean isDefault, Source source, boolean readOnly,
                              boolean sensitive) {
    }

    /** Where a topic setting's value comes from, named as in Kafka's DescribeConfigs. */
    public enum Source { DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG }

    private final int brokerId;
    private final ClusterMetadataStore metadata;
    private final ReplicaManager replicas;
    private final TopicDefaults defaults;
    private final LogConfig brokerLogConfig;
    private final Set<String> brokerSetTopicConfigs;

    /**
     * @param brokerLogConfig       engine defaults with the broker's own log settings applied
     * @param brokerSetTopicConfigs topic-level names the broker configuration sets explicitly
     */
    public TopicService(int brokerId, ClusterMetadataStore metadata, ReplicaManager replicas, TopicDefaults defaults,
                        LogConfig brokerLogConfig, Set<String> brokerSetTopicConfigs) {
        this.brokerId = brokerId;
        this.metadata = metadata;
        this.replicas = replicas;
        this.defaults = defaults;
        this.brokerLogConfig = brokerLogConfig;
        this.brokerSetTopicConfigs = Set.copyOf(brokerSetTopicConfigs);
    }

    /**
     * Creates a topic.
     *
     * @throws InvalidTopicException              bad or colliding name
     * @throws TopicExistsException               the name is taken
     * @throws InvalidConfigurationException      an unknown setting or a bad value
     * @throws InvalidPartitionsException         fewer than one partition
     * @throws org.apache.kafka.common.errors.InvalidReplicationFactorException more replicas than live brokers
     */
    public TopicMetadata create(String name, Optional<Integer> partitions, Optional<Short> replicationFactor,
                                Map<String, String> configs) {
        Topics.validateName(name);
        if (metadata.topic(name).isPresent()) {
            throw new TopicExistsException("Topic '" + name + "' already exists.");
        }
        if (Topics.hasCollisionChars(name)) {
            String unified = Topics.unifyCollisionChars(name);
            for (String existing : metadata.topics().keySet()) {
                if (Topics.unifyCollisionChars(existing).equals(unified)) {
                    throw new InvalidTopicException("Topic '" + name + "' collides with existing topic '" + existing
                            + "': names differing only in '.' and '_' collide in metric names.");
                }
            }
        }
        int partitionCount = partitions.orElse(defaults.numPartitions());
        if (partitionCount < 1) {
            throw new InvalidPartitionsException("Number of partitions must be at least 1, got " + partitionCount + ".");
        }
        short rf = replicationFactor.orElse(defaults.defaultReplicationFactor());
        Map<String, String> overrides = new TreeMap<>(configs);
        brokerLogConfig.withOverrides(overrides);

        List<Integer> live = liveBrokerIds();
        Map<Integer, List<Integer>> assignment = ReplicaAssignment.assign(partitionCount, rf, live,
                ThreadLocalRandom.current().nextInt(live.size()));
        TopicMetadata topic = new TopicMetadata(name, Uuid.randomUuid(), assignment, overrides);
        metadata.createTopic(topic);
        replicas.applyTopic(topic);
        return topic;
    }

    /**
     * The topic, created with the broker's defaults when it does not exist and
     * {@code auto.create.topics.enable} is on.
     */
    public TopicMetadata getOrAutoCreate(String name) {
        Optional<TopicMetadata> existing = metadata.topic(name);
        if (existing.isPresent()) {
            return existing.get();
        }
        if (!defaults.autoCreateTopics()) {
            throw new UnknownTopicException(name, " and auto.create.topics.enable is false.");
        }
        try {
            return create(name, Optional.empty(), Optional.empty(), Map.of());
        } catch (TopicExistsException raced) {
            // Another broker or request created it first; this broker's caches may not have heard yet.
            TopicMetadata topic = metadata.topicAfterRefresh(name).orElseThrow(() -> raced);
            replicas.applyTopic(topic);
            return topic;
        }
    }

    /** The topic's effective log settings: the broker's defaults with the topic's overrides. */
    public LogConfig logConfig(TopicMetadata topic) {
        return brokerLogConfig.withOverrides(topic.configs());
    }

    public Optional<TopicMetadata> describe(String name) {
        return metadata.topic(name);
    }

    public TopicMetadata describeOrThrow(String name) {
        return metadata.topic(name).orElseThrow(() -> unknown(name));
    }

    public Collection<TopicMetadata> list() {
        return new TreeMap<>(metadata.topics()).values();
    }

    public void delete(String name) {
        metadata.deleteTopic(name);
        replicas.removeTopic(name);
    }

    /** Every setting of the topic with its effective value and where it comes from. */
    public List<ConfigEntry> configs(String name) {
        TopicMetadata topic = describeOrThrow(name);
        Map<String, String> effective = brokerLogConfig.withOverrides(topic.configs()).toTopicConfigs();
        List<ConfigEntry> out = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(effective).entrySet()) {
            Source source = topic.configs().containsKey(e.getKey()) ? Source.DYNAMIC_TOPIC_CONFIG
                    : brokerSetTopicConfigs.contains(e.getKey()) ? Source.STATIC_BROKER_CONFIG : Source.DEFAULT_CONFIG;
            out.add(new ConfigEntry(e.getKey(), e.getValue(), source == Source.DEFAULT_CONFIG, source, false, false));
        }
        return out;
    }

    /**
     * Sets (present value) or removes (empty) topic overrides, all or nothing: the result is
     * validated as a whole before anything is written.
     */
    public TopicMetadata alterConfigs(String name, Map<String, Optional<String>> changes) {
        TopicMetadata topic = describeOrThrow(name);
        Map<String, String> next = new HashMap<>(topic.configs());
        changes.forEach((key, value) -> {
            if (!LogConfig.topicConfigNames().contains(key)) {
                throw new InvalidConfigurationException("Unknown topic config name: " + key);
            }
            value.ifPresentOrElse(v -> next.put(key, v), () -> next.remove(key));
        });
        brokerLogConfig.withOverrides(next);
        metadata.alterTopicConfig(name, changes);
        TopicMetadata updated = new TopicMetadata(name, topic.topicId(), topic.assignment(), new TreeMap<>(next));
        replicas.applyTopic(updated);
        return updated;
    }

    /** Grows a topic to {@code totalPartitions}; existing keys may map to other partitions afterwards, as in Kafka. */
    public TopicMetadata createPartitions(String name, int totalPartitions) {
        TopicMetadata topic = describeOrThrow(name);
        int current = topic.partitionCount();
        if (totalPartitions <= current) {
            throw new InvalidPartitionsException("Topic '" + name + "' has " + current
                    + " partitions; the new count must be larger, got " + totalPartitions + ".");
        }
        short rf = (short) topic.assignment().get(0).size();
        List<Integer> live = liveBrokerIds();
        Map<Integer, List<Integer>> fresh = ReplicaAssignment.assign(totalPartitions - current, rf, live,
                ThreadLocalRandom.current().nextInt(live.size()));
        Map<Integer, List<Integer>> added = new LinkedHashMap<>();
        fresh.forEach((p, r) -> added.put(current + p, r));
        metadata.createPartitions(name, added);
        Map<Integer, List<Integer>> all = new TreeMap<>(topic.assignment());
        all.putAll(added);
        TopicMetadata updated = new TopicMetadata(name, topic.topicId(), all, topic.configs());
        replicas.applyTopic(updated);
        return updated;
    }

    private List<Integer> liveBrokerIds() {
        List<Integer> ids = new ArrayList<>();
        for (BrokerInfo b : metadata.liveBrokers()) {
            ids.add(b.id());
        }
        if (!ids.contains(brokerId)) {
            // This broker answers requests, so it is alive even while its registration is being renewed.
            ids.add(brokerId);
        }
        ids.sort(null);
        return ids;
    }

    private static UnknownTopicException unknown(String name) {
        return new UnknownTopicException(name);
    }
}
