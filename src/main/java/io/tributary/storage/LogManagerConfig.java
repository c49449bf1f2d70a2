package io.tributary.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * Broker-level storage settings: the log directories and how often the background flush and
 * recovery-point checkpoint tasks run.
 *
 * @param recoveryThreadsPerDataDir how many partitions of one log dir are loaded at the same time on the
 *                                  recovery executor (Kafka's {@code num.recovery.threads.per.data.dir})
 * @param retentionCheckIntervalMs  how often retention is applied ({@code log.retention.check.interval.ms})
 * @param fileDeleteDelayMs         how long a retired segment's files stay for readers still sending from
 *                                  them ({@code file.delete.delay.ms})
 * @param cleanerBackoffMs          how often compacted logs are checked for cleaning
 *                                  ({@code log.cleaner.backoff.ms}); 0 turns the cleaner off
 * @param cleanerIoMaxBytesPerSecond the cleaner's I/O budget ({@code log.cleaner.io.max.bytes.per.second})
 */
public record LogManagerConfig(List<Path> logDirs, long flushCheckIntervalMs, long checkpointIntervalMs,
        int recoveryThreadsPerDataDir, long retentionCheckIntervalMs, long fileDeleteDelayMs,
        long cleanerBackoffMs, double cleanerIoMaxBytesPerSecond) {

    /** With Kafka's cleaner defaults (every 15 s, no I/O limit). */
    public LogManagerConfig(List<Path> logDirs, long flushCheckIntervalMs, long checkpointIntervalMs,
            int recoveryThreadsPerDataDir, long retentionCheckIntervalMs, long fileDeleteDelayMs) {
        this(logDirs, flushCheckIntervalMs, checkpointIntervalMs, recoveryThreadsPerDataDir, retentionCheckIntervalMs,
                fileDeleteDelayMs, 15_000L, Double.MAX_VALUE);
    }

    /** With Kafka's defaults for retention checks (5 minutes) and file deletion delay (1 minute). */
    public LogManagerConfig(List<Path> logDirs, long flushCheckIntervalMs, long checkpointIntervalMs,
            int recoveryThreadsPerDataDir) {
        this(logDirs, flushCheckIntervalMs, checkpointIntervalMs, recoveryThreadsPerDataDir, 300_000L, 60_000L);
    }

    public LogManagerConfig {
        logDirs = List.copyOf(logDirs);
        if (logDirs.isEmpty()) {
            throw new IllegalArgumentException("at least one log dir is required");
        }
        if (flushCheckIntervalMs <= 0 || checkpointIntervalMs <= 0 || recoveryThreadsPerDataDir <= 0
                || retentionCheckIntervalMs <= 0 || fileDeleteDelayMs < 0 || cleanerBackoffMs < 0
                || !(cleanerIoMaxBytesPerSecond > 0)) {
            throw new IllegalArgumentException("intervals and recovery threads must be positive");
        }
    }
}
