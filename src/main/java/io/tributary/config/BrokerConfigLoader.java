package io.tributary.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Maps broker properties, named as in Kafka, to a {@link BrokerConfig}. Every value is checked
 * here, once, so that a bad setting stops start-up with a message naming the property instead of
 * failing later somewhere deep in the broker.
 *
 * <p>The source is a plain lookup function so the mapping is testable without a container; in
 * the broker it reads MicroProfile Config (server.xml variables, bootstrap.properties, the
 * environment, {@code META-INF/microprofile-config.properties}).
 *
 * <p>Stateless and thread-safe.
 */
public final class BrokerConfigLoader {

    /** Broker-level log settings and the topic-level names they provide the defaults for. */
    private static final Map<String, String> LOG_PROPERTY_TO_TOPIC_CONFIG = Map.ofEntries(
            Map.entry("log.segment.bytes", "segment.bytes"),
            Map.entry("log.roll.ms", "segment.ms"),
            Map.entry("message.max.bytes", "max.message.bytes"),
            Map.entry("log.flush.interval.messages", "flush.messages"),
            Map.entry("log.flush.interval.ms", "flush.ms"),
            Map.entry("log.index.interval.bytes", "index.interval.bytes"),
            Map.entry("log.index.size.max.bytes", "segment.index.bytes"),
            Map.entry("log.message.timestamp.type", "message.timestamp.type"),
            Map.entry("compression.type", "compression.type"),
            Map.entry("log.retention.ms", "retention.ms"),
            Map.entry("log.retention.bytes", "retention.bytes"),
            Map.entry("log.cleanup.policy", "cleanup.policy"),
            Map.entry("log.cleaner.delete.retention.ms", "delete.retention.ms"),
            Map.entry("min.insync.replicas", "min.insync.replicas"),
            Map.entry("unclean.leader.election.enable", "unclean.leader.election.enable"));

    private static final Set<String> COMPRESSION_TYPES = Set.of("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd");
    private static final Set<String> TIMESTAMP_TYPES = Set.of("CreateTime", "LogAppendTime");

    private final Function<String, Optional<String>> source;

    public BrokerConfigLoader(Function<String, Optional<String>> source) {
        this.source = source;
    }

    public BrokerConfig load() {
        int brokerId = intValue("broker.id", 0, 0, Integer.MAX_VALUE);
        String advertisedHost = string("advertised.host.name").orElse("localhost");
        int httpPort = intValue("http.port", 9080, 1, 65_535);

        List<Path> logDirs = logDirs();
        ZooKeeperConfig zooKeeper = new ZooKeeperConfig(
                string("zookeeper.connect"),
                intValue("zookeeper.session.timeout.ms", 18_000, 1_000, Integer.MAX_VALUE),
                intValue("zookeeper.connection.timeout.ms", 18_000, 100, Integer.MAX_VALUE),
                intValue("zookeeper.embedded.port", 0, 0, 65_535),
                string("zookeeper.embedded.data.dir").map(BrokerConfigLoader::path)
                        .orElse(logDirs.get(0).resolve("__embedded_zookeeper")));

        StorageConfig storage = new StorageConfig(
                logDirs,
                topicDefaults(),
                longValue("log.flush.scheduler.interval.ms", 1_000, 1, Long.MAX_VALUE),
                longValue("log.flush.offset.checkpoint.interval.ms", 60_000, 1, Integer.MAX_VALUE),
                intValue("num.recovery.threads.per.data.dir", 1, 1, 1024),
                longValue("log.dir.min.free.bytes", 64L << 20, 0, Long.MAX_VALUE),
                longValue("log.retention.check.interval.ms", 300_000, 1, Long.MAX_VALUE),
                longValue("file.delete.delay.ms", 60_000, 0, Long.MAX_VALUE),
                bool("log.cleaner.enable", true) ? longValue("log.cleaner.backoff.ms", 15_000, 1, Long.MAX_VALUE) : 0,
                doubleValue("log.cleaner.io.max.bytes.per.second", Double.MAX_VALUE));

        TopicDefaults topics = new TopicDefaults(
                intValue("num.partitions", 1, 1, 100_000),
                (short) intValue("default.replication.factor", 1, 1, Short.MAX_VALUE),
                bool("auto.create.topics.enable", true));

        int minSession = intValue("group.min.session.timeout.ms", 6_000, 1, Integer.MAX_VALUE);
        int maxSession = intValue("group.max.session.timeout.ms", 1_800_000, 1, Integer.MAX_VALUE);
        if (maxSession < minSession) {
            throw new InvalidBrokerConfigException("group.max.session.timeout.ms", Integer.toString(maxSession),
                    "must be at least group.min.session.timeout.ms (" + minSession + ")");
        }
        GroupConfig groups = new GroupConfig(
                intValue("offsets.topic.num.partitions", 50, 1, 10_000),
                intValue("offsets.topic.segment.bytes", 104_857_600, 1_024, Integer.MAX_VALUE),
                minSession, maxSession,
                intValue("group.initial.rebalance.delay.ms", 3_000, 0, Integer.MAX_VALUE),
                intValue("offset.metadata.max.bytes", 4_096, 0, Integer.MAX_VALUE),
                (short) intValue("offsets.topic.replication.factor", 3, 1, Short.MAX_VALUE),
                intValue("offsets.commit.timeout.ms", 5_000, 1, Integer.MAX_VALUE));

        int socketTimeout = intValue("replica.socket.timeout.ms", 30_000, 1, Integer.MAX_VALUE);
        int fetchWait = intValue("replica.fetch.wait.max.ms", 500, 0, Integer.MAX_VALUE);
        if (socketTimeout < fetchWait) {
            throw new InvalidBrokerConfigException("replica.socket.timeout.ms", Integer.toString(socketTimeout),
                    "must be at least replica.fetch.wait.max.ms (" + fetchWait + ")");
        }
        ReplicationConfig replication = new ReplicationConfig(
                intValue("replica.lag.time.max.ms", 30_000, 1, Integer.MAX_VALUE),
                fetchWait,
                intValue("replica.fetch.min.bytes", 1, 1, Integer.MAX_VALUE),
                intValue("replica.fetch.max.bytes", 1_048_576, 0, Integer.MAX_VALUE),
                intValue("replica.fetch.response.max.bytes", 10_485_760, 0, Integer.MAX_VALUE),
                intValue("replica.fetch.backoff.ms", 1_000, 0, Integer.MAX_VALUE),
                socketTimeout,
                bool("unclean.leader.election.enable", false),
                bool("controlled.shutdown.enable", true),
                intValue("controlled.shutdown.max.retries", 3, 1, 1_000),
                intValue("controlled.shutdown.retry.backoff.ms", 5_000, 1, Integer.MAX_VALUE),
                bool("auto.leader.rebalance.enable", true),
                intValue("leader.imbalance.check.interval.seconds", 300, 1, Integer.MAX_VALUE),
                intValue("leader.imbalance.per.broker.percentage", 10, 0, 100));

        return new BrokerConfig(brokerId, advertisedHost, httpPort, zooKeeper, storage, topics,
                kafkaListener(advertisedHost), groups, replication);
    }

    private KafkaListenerConfig kafkaListener(String advertisedHost) {
        List<KafkaListenerConfig.Listener> listeners = listenerList("listeners",
                source.apply("listeners").map(String::trim).orElse("PLAINTEXT://:9092"));
        List<KafkaListenerConfig.Listener> advertised = string("advertised.listeners")
                .map(v -> listenerList("advertised.listeners", v))
                .orElseGet(() -> listeners.stream()
                        .map(l -> l.host().isEmpty() || l.host().equals("0.0.0.0") || l.host().equals("::")
                                ? new KafkaListenerConfig.Listener(l.name(), advertisedHost, l.port()) : l)
                        .toList());
        for (KafkaListenerConfig.Listener a : advertised) {
            if (a.host().isEmpty() || a.host().equals("0.0.0.0") || a.host().equals("::")) {
                throw new InvalidBrokerConfigException("advertised.listeners", a.toString(),
                        "a client cannot connect to a wildcard address; give a host name");
            }
            if (listeners.stream().noneMatch(l -> l.name().equals(a.name()))) {
                throw new InvalidBrokerConfigException("advertised.listeners", a.toString(),
                        "no listener named " + a.name() + " in listeners");
            }
        }
        return new KafkaListenerConfig(listeners, advertised,
                intValue("socket.request.max.bytes", 104_857_600, 1_024, Integer.MAX_VALUE),
                intValue("num.network.threads", 3, 1, 256),
                longValue("connections.max.idle.ms", 600_000, 1_000, Long.MAX_VALUE));
    }

    /** Parses Kafka's {@code NAME://host:port,...}; only PLAINTEXT is spoken. */
    private static List<KafkaListenerConfig.Listener> listenerList(String property, String raw) {
        List<KafkaListenerConfig.Listener> out = new ArrayList<>();
        for (String part : raw.split(",")) {
            String entry = part.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int sep = entry.indexOf("://");
            int colon = entry.lastIndexOf(':');
            if (sep <= 0 || colon <= sep + 2) {
                throw new InvalidBrokerConfigException(property, raw, "expected NAME://host:port, e.g. PLAINTEXT://:9092");
            }
            String name = entry.substring(0, sep).toUpperCase(Locale.ROOT);
            String host = entry.substring(sep + 3, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(entry.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new InvalidBrokerConfigException(property, raw, "bad port in " + entry);
            }
            if (port < 1 || port > 65_535) {
                throw new InvalidBrokerConfigException(property, raw, "port must be from 1 to 65535 in " + entry);
            }
            if (!name.equals("PLAINTEXT")) {
                throw new InvalidBrokerConfigException(property, raw,
                        "only the PLAINTEXT listener is supported, got " + name);
            }
            if (out.stream().anyMatch(l -> l.name().equals(name))) {
                throw new InvalidBrokerConfigException(property, raw, "listener " + name + " is listed twice");
            }
            out.add(new KafkaListenerConfig.Listener(name, host, port));
        }
        return out;
    }

    private List<Path> logDirs() {
        String raw = string("log.dirs").or(() -> string("log.dir")).orElse("/tmp/tributary-logs");
        List<Path> dirs = new ArrayList<>();
        for (String part : raw.split(",")) {
            String trimmed = part.trim();
            if (!trimmed.isEmpty()) {
                dirs.add(path(trimmed));
            }
        }
        if (dirs.isEmpty()) {
            throw new InvalidBrokerConfigException("log.dirs", raw, "give at least one directory");
        }
        if (dirs.stream().distinct().count() != dirs.size()) {
            throw new InvalidBrokerConfigException("log.dirs", raw, "each directory may be listed only once");
        }
        return dirs;
    }

    /** Broker log settings under their topic-level names; only what was set, the rest is the engine's default. */
    private Map<String, String> topicDefaults() {
        Map<String, String> out = new LinkedHashMap<>();
        putLong(out, "log.segment.bytes", 14, Integer.MAX_VALUE);
        putLong(out, "message.max.bytes", 0, Integer.MAX_VALUE);
        putLong(out, "log.flush.interval.messages", 1, Long.MAX_VALUE);
        putLong(out, "log.flush.interval.ms", 0, Long.MAX_VALUE);
        putLong(out, "log.index.interval.bytes", 0, Integer.MAX_VALUE);
        putLong(out, "log.index.size.max.bytes", 4, Integer.MAX_VALUE);
        putLong(out, "log.retention.bytes", -1, Long.MAX_VALUE);
        putLong(out, "log.cleaner.delete.retention.ms", 0, Long.MAX_VALUE);
        putLong(out, "min.insync.replicas", 1, Integer.MAX_VALUE);

        // Kafka's precedence: .ms wins over .minutes wins over .hours.
        Optional<Long> rollMs = optionalLong("log.roll.ms", 1, Long.MAX_VALUE)
                .or(() -> optionalLong("log.roll.hours", 1, Long.MAX_VALUE / 3_600_000L).map(h -> h * 3_600_000L));
        rollMs.ifPresent(v -> out.put("segment.ms", Long.toString(v)));
        Optional<Long> retentionMs = optionalLong("log.retention.ms", -1, Long.MAX_VALUE)
                .or(() -> optionalLong("log.retention.minutes", -1, Long.MAX_VALUE / 60_000L).map(m -> m < 0 ? -1 : m * 60_000L))
                .or(() -> optionalLong("log.retention.hours", -1, Long.MAX_VALUE / 3_600_000L).map(h -> h < 0 ? -1 : h * 3_600_000L));
        retentionMs.ifPresent(v -> out.put("retention.ms", Long.toString(v)));

        string("log.message.timestamp.type").ifPresent(v -> {
            if (!TIMESTAMP_TYPES.contains(v)) {
                throw new InvalidBrokerConfigException("log.message.timestamp.type", v, "one of " + TIMESTAMP_TYPES);
            }
            out.put("message.timestamp.type", v);
        });
        string("compression.type").ifPresent(v -> {
            if (!COMPRESSION_TYPES.contains(v)) {
                throw new InvalidBrokerConfigException("compression.type", v, "one of " + COMPRESSION_TYPES);
            }
            out.put("compression.type", v);
        });
        string("log.cleanup.policy").ifPresent(v -> {
            for (String policy : v.split(",")) {
                if (!Set.of("delete", "compact").contains(policy.trim())) {
                    throw new InvalidBrokerConfigException("log.cleanup.policy", v, "delete, compact or both");
                }
            }
            out.put("cleanup.policy", v.replace(" ", ""));
        });
        string("unclean.leader.election.enable").ifPresent(v -> out.put("unclean.leader.election.enable",
                Boolean.toString(bool("unclean.leader.election.enable", false))));
        return out;
    }

    /** The topic-level name a broker property provides the default for, if any. */
    public static Optional<String> topicConfigFor(String brokerProperty) {
        return Optional.ofNullable(LOG_PROPERTY_TO_TOPIC_CONFIG.get(brokerProperty));
    }

    /** The broker property that sets a topic-level default, if any. */
    public static Optional<String> brokerPropertyFor(String topicConfig) {
        return LOG_PROPERTY_TO_TOPIC_CONFIG.entrySet().stream()
                .filter(e -> e.getValue().equals(topicConfig)).map(Map.Entry::getKey).findFirst();
    }

    private void putLong(Map<String, String> out, String property, long min, long max) {
        optionalLong(property, min, max).ifPresent(v -> out.put(LOG_PROPERTY_TO_TOPIC_CONFIG.get(property), Long.toString(v)));
    }

    private Optional<String> string(String property) {
        return source.apply(property).map(String::trim).filter(s -> !s.isEmpty());
    }

    private int intValue(String property, int defaultValue, int min, int max) {
        return optionalLong(property, min, max).map(Long::intValue).orElse(defaultValue);
    }

    private long longValue(String property, long defaultValue, long min, long max) {
        return optionalLong(property, min, max).orElse(defaultValue);
    }

    private Optional<Long> optionalLong(String property, long min, long max) {
        return string(property).map(raw -> parseLong(property, raw, min, max));
    }

    /** A whole number from {@code min} to {@code max}, or an error naming the property. */
    static long parseLong(String property, String raw, long min, long max) {
        long value;
        try {
            value = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new InvalidBrokerConfigException(property, raw, "expected a whole number");
        }
        if (value < min || value > max) {
            throw new InvalidBrokerConfigException(property, raw, "expected a number from " + min + " to " + max);
        }
        return value;
    }

    private double doubleValue(String property, double defaultValue) {
        return string(property).map(raw -> {
            try {
                double v = Double.parseDouble(raw);
                if (!(v > 0)) {
                    throw new InvalidBrokerConfigException(property, raw, "expected a positive number");
                }
                return v;
            } catch (NumberFormatException e) {
                throw new InvalidBrokerConfigException(property, raw, "expected a number");
            }
        }).orElse(defaultValue);
    }

    private boolean bool(String property, boolean defaultValue) {
        return string(property).map(raw -> switch (raw.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidBrokerConfigException(property, raw, "expected true or false");
        }).orElse(defaultValue);
    }

    private static Path path(String raw) {
        return Path.of(raw).toAbsolutePath().normalize();
    }
}
