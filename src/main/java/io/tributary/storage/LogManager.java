package io.tributary.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;

/**
 * Owns every {@link PartitionLog} in the configured log directories: loads and recovers them at startup,
 * creates and deletes them, flushes them on {@code flush.ms} and checkpoints their recovery points and
 * log start offsets.
 *
 * <p><b>Per log dir on disk:</b> one directory {@code <topic>-<partition>} per partition;
 * {@code recovery-point-offset-checkpoint} and {@code log-start-offset-checkpoint} (see
 * {@link OffsetCheckpointFile}); {@code .kafka_cleanshutdown}, present only between a clean close and
 * the next startup; {@code .lock}, held while the manager runs so two brokers cannot share a dir.
 *
 * <p><b>Crash behaviour:</b> the clean-shutdown marker is written only after every log of the dir was
 * flushed, trimmed and checkpointed, and deleted as soon as startup has loaded the logs; its absence makes
 * the next startup re-validate everything after each partition's recovery point. A deleted partition's
 * directory is first renamed to {@code <dir>.<uuid>-delete}, so a crash mid-delete never reloads half a
 * log; leftovers are removed at startup.
 *
 * <p><b>Thread-safety:</b> thread-safe. Lifecycle transitions are guarded by {@code lifecycleLock};
 * creation by {@code logCreationLock}; lookups are lock-free. Threads come only from the injected
 * scheduler and recovery executor.
 */
public final class LogManager implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LogManager.class.getName());

    static final String CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
    static final String RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
    static final String LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";
    static final String LOCK_FILE = ".lock";
    private static final String DELETE_SUFFIX = "-delete";

    private enum State { LATENT, STARTING, STARTED, CLOSED }

    private final LogManagerConfig config;
    private final LogConfig defaults;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService recoveryExecutor;
    private final FileIo fileIo;
    private final List<Path> logDirs;
    private final LogDirFailureChannel failures = new LogDirFailureChannel();
    private final RecoveryStats stats = new RecoveryStats();
    private final ConcurrentHashMap<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
    /** Guards state, startupFuture, scheduled tasks and dir locks. */
    private final Object lifecycleLock = new Object();
    /** Serialises log creation and deletion so a partition lives in exactly one log dir. */
    private final Object logCreationLock = new Object();
    private final Map<Path, FileChannel> dirLocks = new HashMap<>();
    private final Map<Path, OffsetCheckpointFile> recoveryPointFiles = new HashMap<>();
    private final Map<Path, OffsetCheckpointFile> logStartOffsetFiles = new HashMap<>();
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    private final LogCleaner cleaner;
    private State state = State.LATENT;
    private CompletableFuture<Void> startupFuture;

    public LogManager(LogManagerConfig config, LogConfig defaults, Clock clock, ScheduledExecutorService scheduler,
            ExecutorService recoveryExecutor) {
        this(config, defaults, clock, scheduler, recoveryExecutor, FileIo.system());
    }

    /** As above, with the fsync seam replaced (tests count fsyncs or inject faults through it). */
    public LogManager(LogManagerConfig config, LogConfig defaults, Clock clock, ScheduledExecutorService scheduler,
            ExecutorService recoveryExecutor, FileIo fileIo) {
        this.config = config;
        this.defaults = defaults;
        this.clock = clock;
        this.scheduler = scheduler;
        this.cleaner = new LogCleaner(clock, config.cleanerIoMaxBytesPerSecond());
        this.recoveryExecutor = recoveryExecutor;
        this.fileIo = fileIo;
        this.logDirs = config.logDirs().stream().map(p -> p.toAbsolutePath().normalize()).toList();
        for (Path d : logDirs) {
            recoveryPointFiles.put(d, new OffsetCheckpointFile(d.resolve(RECOVERY_POINT_CHECKPOINT), fileIo));
            logStartOffsetFiles.put(d, new OffsetCheckpointFile(d.resolve(LOG_START_OFFSET_CHECKPOINT), fileIo));
        }
    }

    /**
     * Loads every partition directory of every log dir in parallel on the recovery executor (at most
     * {@code recoveryThreadsPerDataDir} at a time per dir), then removes the clean-shutdown markers,
     * writes fresh checkpoints and schedules the flush and checkpoint tasks. Idempotent: later calls return
     * the first call's future. A log dir that fails is taken offline; the others still start.
     */
    public CompletableFuture<Void> startup(Function<String, LogConfig> configForTopic) {
        synchronized (lifecycleLock) {
            if (startupFuture != null) {
                return startupFuture;
            }
            if (state == State.CLOSED) {
                return CompletableFuture.failedFuture(new IllegalStateException("log manager is closed"));
            }
            state = State.STARTING;
            long startMs = clock.millis();
            List<CompletableFuture<Void>> lanes = new ArrayList<>();
            Map<Path, Boolean> cleanDirs = new LinkedHashMap<>();
            for (Path logDir : logDirs) {
                List<Path> partitionDirs;
                boolean clean;
                Map<TopicPartition, Long> recoveryPoints;
                Map<TopicPartition, Long> startOffsets;
                try {
                    Files.createDirectories(logDir);
                    lockDir(logDir);
                    clean = Files.exists(logDir.resolve(CLEAN_SHUTDOWN_FILE));
                    recoveryPoints = recoveryPointFiles.get(logDir).read();
                    startOffsets = logStartOffsetFiles.get(logDir).read();
                    partitionDirs = partitionDirs(logDir);
                } catch (IOException | UncheckedIOException e) {
                    failures.maybeAddOfflineLogDir(logDir, "Cannot open log dir", ioCause(e));
                    continue;
                }
                cleanDirs.put(logDir, clean);
                LOG.log(System.Logger.Level.INFO, "Loading " + partitionDirs.size() + " partitions from " + logDir
                        + (clean || partitionDirs.isEmpty() ? "" : " after an unclean shutdown: re-validating unflushed data"));
                stats.partitionsTotal.addAndGet(partitionDirs.size());
                int laneCount = Math.min(config.recoveryThreadsPerDataDir(), Math.max(1, partitionDirs.size()));
                for (int lane = 0; lane < laneCount; lane++) {
                    List<Path> mine = new ArrayList<>();
                    for (int i = lane; i < partitionDirs.size(); i += laneCount) {
                        mine.add(partitionDirs.get(i));
                    }
                    lanes.add(CompletableFuture.runAsync(() -> {
                        for (Path p : mine) {
                            loadPartition(logDir, p, clean, recoveryPoints, startOffsets, configForTopic);
                        }
                    }, recoveryExecutor));
                }
            }
            startupFuture = CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new))
                    .thenRun(() -> finishStartup(cleanDirs.keySet(), startMs));
            return startupFuture;
        }
    }

    private void lockDir(Path logDir) throws IOException {
        FileChannel ch = FileChannel.open(logDir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IOException("log dir " + logDir + " is locked by another broker");
        }
        dirLocks.put(logDir, ch);
    }

    /** Partition directories to load; removes leftovers of interrupted deletes on the way. */
    private List<Path> partitionDirs(Path logDir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(logDir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                if (!Files.isDirectory(p)) {
                    continue;
                }
                String name = p.getFileName().toString();
                if (name.endsWith(DELETE_SUFFIX)) {
                    LOG.log(System.Logger.Level.INFO, "Removing partly deleted log " + p);
                    deleteRecursively(p);
                } else if (parseTopicPartition(name) != null) {
                    out.add(p);
                } else {
                    LOG.log(System.Logger.Level.WARNING, "Ignoring unexpected directory " + p);
                }
            }
        }
        out.sort(null);
        return out;
    }

    static TopicPartition parseTopicPartition(String dirName) {
        int dash = dirName.lastIndexOf('-');
        if (dash <= 0 || dash == dirName.length() - 1) {
            return null;
        }
        try {
            int partition = Integer.parseInt(dirName.substring(dash + 1));
            return partition < 0 ? null : new TopicPartition(dirName.substring(0, dash), partition);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void loadPartition(Path logDir, Path partitionDir, boolean clean, Map<TopicPartition, Long> recoveryPoints,
            Map<TopicPartition, Long> startOffsets, Function<String, LogConfig> configForTopic) {
        TopicPartition tp = parseTopicPartition(partitionDir.getFileName().toString());
        try {
            if (failures.isOffline(logDir)) {
                stats.partitionsFailed.incrementAndGet();
                return;
            }
            LogConfig cfg = configForTopic == null ? null : configForTopic.apply(tp.topic());
            PartitionLog log = PartitionLog.load(tp, partitionDir, cfg == null ? defaults : cfg,
                    recoveryPoints.getOrDefault(tp, 0L), startOffsets.getOrDefault(tp, 0L), clean, clock, fileIo,
                    failures, stats);
            log.onRetiredSegments(this::scheduleDeletion);
            PartitionLog previous = logs.putIfAbsent(tp, log);
            if (previous != null) {
                log.abandon();
                failures.maybeAddOfflineLogDir(logDir, "Partition " + tp + " exists in both " + previous.dir()
                        + " and " + partitionDir, null);
            }
        } catch (IOException | RuntimeException e) {
            stats.partitionsFailed.incrementAndGet();
            failures.maybeAddOfflineLogDir(logDir, "Cannot load " + partitionDir,
                    e instanceof IOException io ? io : new IOException(e));
        } finally {
            int loaded = stats.partitionsLoaded.incrementAndGet();
            int total = stats.partitionsTotal.get();
            if (loaded == total || loaded % Math.max(1, total / 10) == 0) {
                LOG.log(System.Logger.Level.INFO, "Recovered " + loaded + "/" + total + " partitions ("
                        + stats.segmentsRecovered.get() + " segments re-validated, " + stats.bytesTruncated.get()
                        + " bytes truncated)");
            }
        }
    }

    private void finishStartup(Collection<Path> openedDirs, long startMs) {
        for (Path logDir : openedDirs) {
            if (failures.isOffline(logDir)) {
                continue;
            }
            try {
                // From here on a crash must be detected as unclean.
                if (Files.deleteIfExists(logDir.resolve(CLEAN_SHUTDOWN_FILE))) {
                    fileIo.fsyncDirectory(logDir);
                }
            } catch (IOException e) {
                failures.maybeAddOfflineLogDir(logDir, "Cannot remove the clean-shutdown marker", e);
            }
        }
        checkpointAll();
        synchronized (lifecycleLock) {
            if (state != State.STARTING) {
                return;
            }
            tasks.add(scheduler.scheduleWithFixedDelay(this::flushDueLogs, config.flushCheckIntervalMs(),
                    config.flushCheckIntervalMs(), TimeUnit.MILLISECONDS));
            tasks.add(scheduler.scheduleWithFixedDelay(this::checkpointAll, config.checkpointIntervalMs(),
                    config.checkpointIntervalMs(), TimeUnit.MILLISECONDS));
            tasks.add(scheduler.scheduleWithFixedDelay(this::applyRetention, config.retentionCheckIntervalMs(),
                    config.retentionCheckIntervalMs(), TimeUnit.MILLISECONDS));
            if (config.cleanerBackoffMs() > 0) {
                tasks.add(scheduler.scheduleWithFixedDelay(this::cleanLogs, config.cleanerBackoffMs(),
                        config.cleanerBackoffMs(), TimeUnit.MILLISECONDS));
            }
            state = State.STARTED;
        }
        RecoveryProgress p = stats.snapshot();
        LOG.log(System.Logger.Level.INFO, "Log manager started: " + logs.size() + " partitions in "
                + (clock.millis() - startMs) + " ms, " + p.segmentsRecovered() + " segments re-validated, "
                + p.bytesTruncated() + " bytes truncated, offline dirs " + failures.offlineDirs());
    }

    public boolean isStarted() {
        synchronized (lifecycleLock) {
            return state == State.STARTED;
        }
    }

    public RecoveryProgress recoveryProgress() {
        return stats.snapshot();
    }

    public LogDirFailureChannel failureChannel() {
        return failures;
    }

    public List<Path> logDirs() {
        return logDirs;
    }

    public Optional<PartitionLog> log(TopicPartition tp) {
        return Optional.ofNullable(logs.get(tp));
    }

    public Collection<PartitionLog> logs() {
        return List.copyOf(logs.values());
    }

    /**
     * Returns the partition's log, creating its directory in the online log dir holding the fewest
     * partitions if it does not exist yet.
     *
     * @throws IllegalStateException  before startup completed or after close
     * @throws KafkaStorageException  if no log dir is online or creating the directory failed
     */
    public PartitionLog getOrCreateLog(TopicPartition tp, LogConfig logConfig) {
        PartitionLog existing = logs.get(tp);
        if (existing != null) {
            return existing;
        }
        if (!isStarted()) {
            throw new IllegalStateException("log manager is not started");
        }
        synchronized (logCreationLock) {
            existing = logs.get(tp);
            if (existing != null) {
                return existing;
            }
            Map<Path, Integer> counts = new HashMap<>();
            for (Path d : logDirs) {
                if (!failures.isOffline(d)) {
                    counts.put(d, 0);
                }
            }
            if (counts.isEmpty()) {
                throw new KafkaStorageException("No online log dir to create " + tp + " in; offline: "
                        + failures.offlineDirs());
            }
            for (PartitionLog l : logs.values()) {
                counts.computeIfPresent(l.logDir(), (k, v) -> v + 1);
            }
            Path logDir = logDirs.stream().filter(counts::containsKey)
                    .min((a, b) -> Integer.compare(counts.get(a), counts.get(b))).orElseThrow();
            try {
                PartitionLog log = PartitionLog.load(tp, logDir.resolve(PartitionLog.dirName(tp)), logConfig, 0, 0,
                        false, clock, fileIo, failures, new RecoveryStats());
                log.onRetiredSegments(this::scheduleDeletion);
                fileIo.fsyncDirectory(logDir);
                logs.put(tp, log);
                LOG.log(System.Logger.Level.INFO, "Created log " + log.dir());
                return log;
            } catch (IOException e) {
                throw failures.maybeAddOfflineLogDir(logDir, "Cannot create log for " + tp, e);
            }
        }
    }

    /**
     * Closes the partition's log and removes its directory: renamed to {@code <dir>.<uuid>-delete} first,
     * so a crash part-way never reloads a half-deleted log.
     */
    public void deleteLog(TopicPartition tp) {
        synchronized (logCreationLock) {
            PartitionLog log = logs.remove(tp);
            if (log == null) {
                return;
            }
            log.abandon();
            Path renamed = log.dir().resolveSibling(log.dir().getFileName() + "."
                    + UUID.randomUUID().toString().replace("-", "") + DELETE_SUFFIX);
            try {
                Files.move(log.dir(), renamed, StandardCopyOption.ATOMIC_MOVE);
                fileIo.fsyncDirectory(log.logDir());
                deleteRecursively(renamed);
                LOG.log(System.Logger.Level.INFO, "Deleted log " + log.dir());
            } catch (IOException e) {
                throw failures.maybeAddOfflineLogDir(log.logDir(), "Cannot delete log " + log.dir(), e);
            }
        }
    }

    /** Applies a topic's new config to all its partitions. */
    public void updateConfig(String topic, LogConfig logConfig) {
        for (PartitionLog l : logs.values()) {
            if (l.topicPartition().topic().equals(topic)) {
                l.updateConfig(logConfig);
            }
        }
    }

    private void flushDueLogs() {
        long now = clock.millis();
        for (PartitionLog l : logs.values()) {
            try {
                l.maybeFlushOnSchedule(now);
            } catch (KafkaStorageException e) {
                // Already reported through the failure channel; keep flushing the other dirs.
                LOG.log(System.Logger.Level.DEBUG, "Scheduled flush of " + l + " failed", e);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "Scheduled flush of " + l + " failed", e);
            }
        }
    }

    /**
     * Applies every log's retention (see {@link PartitionLog#applyRetention}); runs every
     * {@code log.retention.check.interval.ms}. A failing log is reported and the others go on.
     */
    void applyRetention() {
        long now = clock.millis();
        int deleted = 0;
        for (PartitionLog log : logs.values()) {
            if (failures.isOffline(log.logDir())) {
                continue;
            }
            try {
                deleted += log.applyRetention(now);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Retention of " + log.topicPartition() + " failed: " + e.getMessage(), e);
            }
        }
        if (deleted > 0) {
            // Persist the new start offsets now rather than at the next periodic checkpoint.
            checkpointAll();
        }
    }

    /**
     * Compacts every compacted log that is dirty enough; runs every {@code log.cleaner.backoff.ms}. One
     * cleaning at a time (the task never overlaps itself); a failing log is reported and skipped.
     */
    void cleanLogs() {
        for (PartitionLog log : logs.values()) {
            if (failures.isOffline(log.logDir()) || log.isClosed()) {
                continue;
            }
            try {
                cleaner.clean(log, false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Compaction of " + log.topicPartition() + " failed: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Compaction of " + log.topicPartition() + " failed: " + e.getMessage(), e);
            }
        }
    }

    /** Compacts one log now, whatever its dirty ratio (for tests and operators). */
    public void compactNow(TopicPartition tp) throws IOException, InterruptedException {
        PartitionLog log = logs.get(tp);
        if (log != null) {
            cleaner.clean(log, true);
        }
    }

    /** Writes the recovery-point and log-start-offset checkpoints of every online log dir now. */
    public void checkpoint() {
        checkpointAll();
    }

    /** Deletes retired segment files after the delay readers may still need them for. */
    private void scheduleDeletion(List<PartitionLog.RetiredSegment> retired) {
        Runnable delete = () -> {
            for (PartitionLog.RetiredSegment r : retired) {
                try {
                    r.delete();
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "Could not delete retired segment files " + r.files(), e);
                }
            }
        };
        try {
            scheduler.schedule(delete, config.fileDeleteDelayMs(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Shutting down: the renamed files are removed when the log is next loaded.
            LOG.log(System.Logger.Level.DEBUG, "Retired segment files left for the next start: " + retired);
        }
    }

    /** Writes both checkpoint files of every online log dir. */
    void checkpointAll() {
        for (Path logDir : logDirs) {
            if (failures.isOffline(logDir) || !dirLocks.containsKey(logDir)) {
                continue;
            }
            Map<TopicPartition, Long> recoveryPoints = new LinkedHashMap<>();
            Map<TopicPartition, Long> startOffsets = new LinkedHashMap<>();
            for (PartitionLog l : logs.values()) {
                if (l.logDir().equals(logDir)) {
                    recoveryPoints.put(l.topicPartition(), l.recoveryPoint());
                    startOffsets.put(l.topicPartition(), l.logStartOffset());
                }
            }
            try {
                recoveryPointFiles.get(logDir).write(recoveryPoints);
                logStartOffsetFiles.get(logDir).write(startOffsets);
            } catch (IOException e) {
                failures.maybeAddOfflineLogDir(logDir, "Cannot write checkpoints", e);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "Checkpoint of " + logDir + " failed", e);
            }
        }
    }

    /**
     * Flushes and closes every log, writes the checkpoints and, in each log dir where all of that
     * succeeded, the clean-shutdown marker; idempotent. Waits for a running startup to finish first.
     */
    @Override
    public void close() {
        CompletableFuture<Void> startup;
        synchronized (lifecycleLock) {
            if (state == State.CLOSED) {
                return;
            }
            startup = startupFuture;
        }
        awaitQuietly(startup);
        synchronized (lifecycleLock) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            tasks.forEach(t -> t.cancel(false));
            tasks.clear();
        }
        for (PartitionLog l : logs.values()) {
            try {
                l.close();
            } catch (KafkaStorageException e) {
                LOG.log(System.Logger.Level.WARNING, "Closing " + l + " failed; its log dir is offline", e);
            }
        }
        checkpointAll();
        synchronized (lifecycleLock) {
            for (Map.Entry<Path, FileChannel> e : dirLocks.entrySet()) {
                Path logDir = e.getKey();
                if (!failures.isOffline(logDir)) {
                    try {
                        Files.write(logDir.resolve(CLEAN_SHUTDOWN_FILE), new byte[0]);
                        fileIo.fsyncDirectory(logDir);
                    } catch (IOException ex) {
                        failures.maybeAddOfflineLogDir(logDir, "Cannot write the clean-shutdown marker", ex);
                    }
                }
                closeQuietly(e.getValue());
            }
            dirLocks.clear();
        }
        logs.clear();
        LOG.log(System.Logger.Level.INFO, "Log manager closed");
    }

    /**
     * Drops everything as a killed process would: no flush, no trim, no checkpoint, no marker. Only the
     * file handles and dir locks are released so a new manager in the same JVM can open the dirs.
     */
    void simulateCrash() {
        CompletableFuture<Void> startup;
        synchronized (lifecycleLock) {
            startup = startupFuture;
        }
        awaitQuietly(startup);
        synchronized (lifecycleLock) {
            state = State.CLOSED;
            tasks.forEach(t -> t.cancel(false));
            tasks.clear();
            logs.values().forEach(PartitionLog::abandon);
            logs.clear();
            dirLocks.values().forEach(LogManager::closeQuietly);
            dirLocks.clear();
        }
    }

    private static void awaitQuietly(CompletableFuture<Void> f) {
        if (f == null) {
            return;
        }
        try {
            f.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            LOG.log(System.Logger.Level.WARNING, "Startup had failed before close", e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing lock file", e);
        }
    }

    private static IOException ioCause(Exception e) {
        return e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
    }

    static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
