package io.tributary.app;

import io.tributary.broker.TopicService;
import io.tributary.config.BrokerConfig;
import io.tributary.config.BrokerConfigLoader;
import io.tributary.config.KafkaListenerConfig;
import io.tributary.storage.LogConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The broker's settings as Kafka's DescribeConfigs shows them: Kafka's property names, effective
 * values, and whether each was set (STATIC_BROKER_CONFIG) or is the default. All are read-only:
 * Tributary has no dynamic broker configuration.
 *
 * <p>Stateless and thread-safe.
 */
final class BrokerConfigEntries {

    private BrokerConfigEntries() {
    }

    static List<TopicService.ConfigEntry> of(BrokerConfig config, Predicate<String> isSet) {
        Map<String, String> values = new TreeMap<>();
        values.put("broker.id", Integer.toString(config.brokerId()));
        values.put("advertised.host.name", config.advertisedHost());
        values.put("log.dirs", config.storage().logDirs().stream().map(Object::toString).collect(Collectors.joining(",")));
        config.zooKeeper().connect().ifPresent(c -> values.put("zookeeper.connect", c));
        values.put("zookeeper.session.timeout.ms", Integer.toString(config.zooKeeper().sessionTimeoutMs()));
        values.put("zookeeper.connection.timeout.ms", Integer.toString(config.zooKeeper().connectionTimeoutMs()));
        values.put("num.partitions", Integer.toString(config.topics().numPartitions()));
        values.put("default.replication.factor", Integer.toString(config.topics().defaultReplicationFactor()));
        values.put("auto.create.topics.enable", Boolean.toString(config.topics().autoCreateTopics()));
        KafkaListenerConfig kafka = config.kafka();
        values.put("listeners", kafka.listeners().stream().map(Object::toString).collect(Collectors.joining(",")));
        values.put("advertised.listeners",
                kafka.advertisedListeners().stream().map(Object::toString).collect(Collectors.joining(",")));
        values.put("socket.request.max.bytes", Integer.toString(kafka.socketRequestMaxBytes()));
        values.put("num.network.threads", Integer.toString(kafka.numNetworkThreads()));
        values.put("connections.max.idle.ms", Long.toString(kafka.connectionsMaxIdleMs()));
        values.put("log.flush.scheduler.interval.ms", Long.toString(config.storage().flushCheckIntervalMs()));
        values.put("log.flush.offset.checkpoint.interval.ms", Long.toString(config.storage().checkpointIntervalMs()));
        values.put("num.recovery.threads.per.data.dir", Integer.toString(config.storage().recoveryThreadsPerDir()));
        values.put("log.dir.min.free.bytes", Long.toString(config.storage().minFreeBytes()));
        values.put("offsets.topic.num.partitions", Integer.toString(config.groups().offsetsTopicNumPartitions()));
        values.put("offsets.topic.segment.bytes", Integer.toString(config.groups().offsetsTopicSegmentBytes()));
        values.put("offsets.topic.replication.factor", Integer.toString(config.groups().offsetsTopicReplicationFactor()));
        values.put("offsets.commit.timeout.ms", Integer.toString(config.groups().offsetsCommitTimeoutMs()));
        values.put("group.min.session.timeout.ms", Integer.toString(config.groups().minSessionTimeoutMs()));
        values.put("group.max.session.timeout.ms", Integer.toString(config.groups().maxSessionTimeoutMs()));
        values.put("group.initial.rebalance.delay.ms", Integer.toString(config.groups().initialRebalanceDelayMs()));
        values.put("offset.metadata.max.bytes", Integer.toString(config.groups().offsetMetadataMaxBytes()));
        Map<String, String> topicDefaults = LogConfig.defaults().withOverrides(config.storage().topicDefaults()).toTopicConfigs();
        topicDefaults.forEach((topicName, value) -> BrokerConfigLoader.brokerPropertyFor(topicName)
                .ifPresent(property -> values.put(property, value)));

        List<TopicService.ConfigEntry> out = new ArrayList<>();
        values.forEach((name, value) -> {
            TopicService.Source source = isSet.test(name) ? TopicService.Source.STATIC_BROKER_CONFIG
                    : TopicService.Source.DEFAULT_CONFIG;
            out.add(new TopicService.ConfigEntry(name, value, source == TopicService.Source.DEFAULT_CONFIG, source,
                    true, false));
        });
        return out;
    }
}
