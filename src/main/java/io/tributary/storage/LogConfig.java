package io.tributary.storage;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.record.TimestampType;

/**
 * Per-topic storage configuration, using Kafka's topic-level config names and defaults.
 *
 * <p>Immutable. {@link #overrides()} holds the topic-level values as they were set (including the
 * accepted-but-ignored Kafka configs such as {@code min.insync.replicas}), so that DescribeConfigs
 * can tell overrides from defaults and the other subsystems can read the ignored ones.
 *
 * <p>Not enforced by the engine yet: {@code compression.type} other than {@code producer} (batches are
 * stored as the producer sent them), {@code cleanup.policy=compact}, and retention.
 */
public record LogConfig(int segmentBytes, long segmentMs, int maxMessageBytes, long flushIntervalMessages,
        long flushIntervalMs, int indexIntervalBytes, int segmentIndexBytes, TimestampType messageTimestampType,
        String compressionType, long retentionMs, long retentionBytes, String cleanupPolicy,
        Map<String, String> overrides) {

    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String FLUSH_MESSAGES = "flush.messages";
    public static final String FLUSH_MS = "flush.ms";
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
    public static final String SEGMENT_INDEX_BYTES = "segment.index.bytes";
    public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
    public static final String COMPRESSION_TYPE = "compression.type";
    public static final String RETENTION_MS = "retention.ms";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String CLEANUP_POLICY = "cleanup.policy";

    private static final Set<String> COMPRESSION_TYPES = Set.of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer");
    private static final Set<String> CLEANUP_POLICIES = Set.of("delete", "compact");

    /** The kind of value an accepted-but-ignored config must have, so bad values still fail early. */
    private enum Kind { LONG, INT, BOOLEAN, DOUBLE, TEXT }

    private record Ignored(Kind kind, String defaultValue) {}

    /** Kafka topic configs we accept and report but do not act on in the storage engine. */
    private static final Map<String, Ignored> IGNORED = ignoredConfigs();

    private static Map<String, Ignored> ignoredConfigs() {
        Map<String, Ignored> m = new LinkedHashMap<>();
        m.put("min.insync.replicas", new Ignored(Kind.INT, "1"));
        m.put("unclean.leader.election.enable", new Ignored(Kind.BOOLEAN, "false"));
        m.put("delete.retention.ms", new Ignored(Kind.LONG, "86400000"));
        m.put("min.compaction.lag.ms", new Ignored(Kind.LONG, "0"));
        m.put("max.compaction.lag.ms", new Ignored(Kind.LONG, String.valueOf(Long.MAX_VALUE)));
        m.put("min.cleanable.dirty.ratio", new Ignored(Kind.DOUBLE, "0.5"));
        m.put("file.delete.delay.ms", new Ignored(Kind.LONG, "60000"));
        m.put("segment.jitter.ms", new Ignored(Kind.LONG, "0"));
        m.put("preallocate", new Ignored(Kind.BOOLEAN, "false"));
        m.put("message.timestamp.before.max.ms", new Ignored(Kind.LONG, String.valueOf(Long.MAX_VALUE)));
        m.put("message.timestamp.after.max.ms", new Ignored(Kind.LONG, "3600000"));
        m.put("compression.gzip.level", new Ignored(Kind.INT, "-1"));
        m.put("compression.lz4.level", new Ignored(Kind.INT, "9"));
        m.put("compression.zstd.level", new Ignored(Kind.INT, "3"));
        m.put("local.retention.ms", new Ignored(Kind.LONG, "-2"));
        m.put("local.retention.bytes", new Ignored(Kind.LONG, "-2"));
        m.put("remote.storage.enable", new Ignored(Kind.BOOLEAN, "false"));
        m.put("leader.replication.throttled.replicas", new Ignored(Kind.TEXT, ""));
        m.put("follower.replication.throttled.replicas", new Ignored(Kind.TEXT, ""));
        return Collections.unmodifiableMap(m);
    }

    private static final Set<String> NAMES = names();

    private static Set<String> names() {
        Set<String> s = new LinkedHashSet<>(java.util.List.of(SEGMENT_BYTES, SEGMENT_MS, MAX_MESSAGE_BYTES, FLUSH_MESSAGES,
                FLUSH_MS, INDEX_INTERVAL_BYTES, SEGMENT_INDEX_BYTES, MESSAGE_TIMESTAMP_TYPE, COMPRESSION_TYPE,
                RETENTION_MS, RETENTION_BYTES, CLEANUP_POLICY));
        s.addAll(IGNORED.keySet());
        return Collections.unmodifiableSet(s);
    }

    public LogConfig {
        overrides = Map.copyOf(overrides);
        if (messageTimestampType != TimestampType.CREATE_TIME && messageTimestampType != TimestampType.LOG_APPEND_TIME) {
            throw new InvalidConfigurationException("Invalid value " + messageTimestampType + " for configuration "
                    + MESSAGE_TIMESTAMP_TYPE);
        }
    }

    /** Kafka's broker defaults. */
    public static LogConfig defaults() {
        return new LogConfig(1024 * 1024 * 1024, 7L * 24 * 60 * 60 * 1000, 1048588, Long.MAX_VALUE, Long.MAX_VALUE,
                4096, 10 * 1024 * 1024, TimestampType.CREATE_TIME, "producer", 7L * 24 * 60 * 60 * 1000, -1L, "delete",
                Map.of());
    }

    /**
     * Returns this config with the given topic-level configs applied on top.
     *
     * @throws InvalidConfigurationException for an unknown name or a bad value; the message names both
     */
    public LogConfig withOverrides(Map<String, String> topicConfigs) {
        int segmentBytes = this.segmentBytes;
        long segmentMs = this.segmentMs;
        int maxMessageBytes = this.maxMessageBytes;
        long flushMessages = this.flushIntervalMessages;
        long flushMs = this.flushIntervalMs;
        int indexInterval = this.indexIntervalBytes;
        int indexBytes = this.segmentIndexBytes;
        TimestampType tsType = this.messageTimestampType;
        String compression = this.compressionType;
        long retentionMs = this.retentionMs;
        long retentionBytes = this.retentionBytes;
        String cleanup = this.cleanupPolicy;
        Map<String, String> merged = new LinkedHashMap<>(this.overrides);
        for (Map.Entry<String, String> e : topicConfigs.entrySet()) {
            String name = e.getKey();
            if (e.getValue() == null) {
                throw invalid(name, null, "value must not be null");
            }
            String v = e.getValue().trim();
            switch (name) {
                case SEGMENT_BYTES -> segmentBytes = parseInt(name, v, 14);
                case SEGMENT_MS -> segmentMs = parseLong(name, v, 1);
                case MAX_MESSAGE_BYTES -> maxMessageBytes = parseInt(name, v, 0);
                case FLUSH_MESSAGES -> flushMessages = parseLong(name, v, 1);
                case FLUSH_MS -> flushMs = parseLong(name, v, 0);
                case INDEX_INTERVAL_BYTES -> indexInterval = parseInt(name, v, 0);
                case SEGMENT_INDEX_BYTES -> indexBytes = parseInt(name, v, 12);
                case MESSAGE_TIMESTAMP_TYPE -> tsType = parseTimestampType(v);
                case COMPRESSION_TYPE -> {
                    String c = v.toLowerCase(Locale.ROOT);
                    if (!COMPRESSION_TYPES.contains(c)) {
                        throw invalid(name, v, "must be one of " + COMPRESSION_TYPES);
                    }
                    compression = c;
                }
                case RETENTION_MS -> retentionMs = parseLong(name, v, -1);
                case RETENTION_BYTES -> retentionBytes = parseLong(name, v, Long.MIN_VALUE);
                case CLEANUP_POLICY -> cleanup = parseCleanupPolicy(v);
                default -> {
                    Ignored ignored = IGNORED.get(name);
                    if (ignored == null) {
                        throw new InvalidConfigurationException("Unknown topic config name: " + name + " (value " + v + ")");
                    }
                    checkKind(name, v, ignored.kind());
                }
            }
            merged.put(name, v);
        }
        return new LogConfig(segmentBytes, segmentMs, maxMessageBytes, flushMessages, flushMs, indexInterval, indexBytes,
                tsType, compression, retentionMs, retentionBytes, cleanup, merged);
    }

    /** Every topic config name with its effective value. */
    public Map<String, String> toTopicConfigs() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(SEGMENT_BYTES, Integer.toString(segmentBytes));
        m.put(SEGMENT_MS, Long.toString(segmentMs));
        m.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes));
        m.put(FLUSH_MESSAGES, Long.toString(flushIntervalMessages));
        m.put(FLUSH_MS, Long.toString(flushIntervalMs));
        m.put(INDEX_INTERVAL_BYTES, Integer.toString(indexIntervalBytes));
        m.put(SEGMENT_INDEX_BYTES, Integer.toString(segmentIndexBytes));
        m.put(MESSAGE_TIMESTAMP_TYPE, messageTimestampType.name);
        m.put(COMPRESSION_TYPE, compressionType);
        m.put(RETENTION_MS, Long.toString(retentionMs));
        m.put(RETENTION_BYTES, Long.toString(retentionBytes));
        m.put(CLEANUP_POLICY, cleanupPolicy);
        for (Map.Entry<String, Ignored> e : IGNORED.entrySet()) {
            m.put(e.getKey(), overrides.getOrDefault(e.getKey(), e.getValue().defaultValue()));
        }
        return Collections.unmodifiableMap(m);
    }

    /** {@code delete.retention.ms}: how long the cleaner keeps tombstones after a first pass marks them. */
    public long deleteRetentionMs() {
        return Long.parseLong(overrides.getOrDefault("delete.retention.ms", IGNORED.get("delete.retention.ms").defaultValue()));
    }

    /** {@code min.cleanable.dirty.ratio}: share of uncleaned bytes that makes a log worth compacting. */
    public double minCleanableDirtyRatio() {
        return Double.parseDouble(overrides.getOrDefault("min.cleanable.dirty.ratio",
                IGNORED.get("min.cleanable.dirty.ratio").defaultValue()));
    }

    /** {@code min.compaction.lag.ms}: records younger than this are not compacted. */
    public long minCompactionLagMs() {
        return Long.parseLong(overrides.getOrDefault("min.compaction.lag.ms", IGNORED.get("min.compaction.lag.ms").defaultValue()));
    }

    public boolean compact() {
        return cleanupPolicy.contains("compact");
    }

    /** All topic config names this broker accepts. */
    public static Set<String> topicConfigNames() {
        return NAMES;
    }

    private static InvalidConfigurationException invalid(String name, String value, String why) {
        return new InvalidConfigurationException("Invalid value " + value + " for configuration " + name + ": " + why);
    }

    private static int parseInt(String name, String v, int min) {
        long l = parseLong(name, v, min);
        if (l > Integer.MAX_VALUE) {
            throw invalid(name, v, "must be at most " + Integer.MAX_VALUE);
        }
        return (int) l;
    }

    private static long parseLong(String name, String v, long min) {
        long l;
        try {
            l = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw invalid(name, v, "not a number");
        }
        if (l < min) {
            throw invalid(name, v, "must be at least " + min);
        }
        return l;
    }

    private static TimestampType parseTimestampType(String v) {
        if (v.equals(TimestampType.CREATE_TIME.name)) {
            return TimestampType.CREATE_TIME;
        }
        if (v.equals(TimestampType.LOG_APPEND_TIME.name)) {
            return TimestampType.LOG_APPEND_TIME;
        }
        throw invalid(MESSAGE_TIMESTAMP_TYPE, v, "must be CreateTime or LogAppendTime");
    }

    private static String parseCleanupPolicy(String v) {
        String[] parts = v.split(",");
        StringBuilder out = new StringBuilder();
        for (String p : parts) {
            String s = p.trim().toLowerCase(Locale.ROOT);
            if (!CLEANUP_POLICIES.contains(s)) {
                throw invalid(CLEANUP_POLICY, v, "must be a list of delete, compact");
            }
            if (out.length() > 0) {
                out.append(',');
            }
            out.append(s);
        }
        return out.toString();
    }

    private static void checkKind(String name, String v, Kind kind) {
        switch (kind) {
            case LONG -> parseLong(name, v, Long.MIN_VALUE);
            case INT -> {
                try {
                    Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    throw invalid(name, v, "not an int");
                }
            }
            case BOOLEAN -> {
                if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
                    throw invalid(name, v, "must be true or false");
                }
            }
            case DOUBLE -> {
                try {
                    Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw invalid(name, v, "not a number");
                }
            }
            case TEXT -> { }
        }
    }
}
