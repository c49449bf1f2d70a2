package io.tributary.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * Broker-level storage settings: the log directories and how often the background flush and
 * recovery-point checkpoint tasks run.
 *
 * @param recoveryThreadsPerDataDir how many partitions of one log dir are loaded at the same time on the
 *                                  recovery executor (Kafka's {@code num.recovery.threads.per.data.dir})
 */
public record LogManagerConfig(List<Path> logDirs, long flushCheckIntervalMs, long checkpointIntervalMs,
        int recoveryThreadsPerDataDir) {

    public LogManagerConfig {
        logDirs = List.copyOf(logDirs);
        if (logDirs.isEmpty()) {
            throw new IllegalArgumentException("at least one log dir is required");
        }
        if (flushCheckIntervalMs <= 0 || checkpointIntervalMs <= 0 || recoveryThreadsPerDataDir <= 0) {
            throw new IllegalArgumentException("intervals and recovery threads must be positive");
        }
    }
}
