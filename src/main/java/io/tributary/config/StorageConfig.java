package io.tributary.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where and how partition logs are kept.
 *
 * @param logDirs                  {@code log.dirs} (or {@code log.dir}): one or more directories
 * @param topicDefaults            broker-level log settings translated to their topic-level names
 *                                 ({@code log.segment.bytes} becomes {@code segment.bytes}, ...), the
 *                                 defaults every topic's overrides apply on top of
 * @param flushCheckIntervalMs     {@code log.flush.scheduler.interval.ms}: how often {@code flush.ms} is checked
 * @param checkpointIntervalMs     {@code log.flush.offset.checkpoint.interval.ms}: recovery-point checkpoints
 * @param recoveryThreadsPerDir    {@code num.recovery.threads.per.data.dir}
 * @param minFreeBytes             {@code log.dir.min.free.bytes}: readiness turns DOWN below this
 * @param retentionCheckIntervalMs {@code log.retention.check.interval.ms}: how often retention runs
 * @param fileDeleteDelayMs        {@code file.delete.delay.ms}: how long deleted segments stay for readers
 * @param cleanerBackoffMs         {@code log.cleaner.backoff.ms}: how often compaction runs (0 when
 *                                 {@code log.cleaner.enable} is false)
 * @param cleanerIoMaxBytesPerSecond {@code log.cleaner.io.max.bytes.per.second}: compaction's I/O budget
 */
public record StorageConfig(List<Path> logDirs, Map<String, String> topicDefaults, long flushCheckIntervalMs,
                            long checkpointIntervalMs, int recoveryThreadsPerDir, long minFreeBytes,
                            long retentionCheckIntervalMs, long fileDeleteDelayMs, long cleanerBackoffMs,
                            double cleanerIoMaxBytesPerSecond) {

    public StorageConfig {
        logDirs = List.copyOf(logDirs);
        topicDefaults = Map.copyOf(topicDefaults);
    }
}
