package io.tributary.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;

/**
 * The log of one partition: a directory {@code <topic>-<partition>} of {@link LogSegment}s keyed by base
 * offset, of which the last is the active one receiving appends.
 *
 * <p><b>Offsets:</b> dense. {@code logStartOffset <= highWatermark <= logEndOffset}; the recovery point is
 * the offset below which everything has been fsynced.
 *
 * <p><b>Crash behaviour:</b> an append is written to the page cache before it returns, so a process crash
 * loses nothing acknowledged. On load without a clean shutdown, every segment that may hold offsets at or
 * after the recovery point is re-validated and its indexes rebuilt; the first corrupt batch ends the log
 * (see {@link LogSegment#recover}) and later segments are deleted. After a clean shutdown nothing is
 * re-scanned; indexes are only sanity-checked (and rebuilt if they fail).
 *
 * <p><b>Thread-safety:</b> thread-safe. Appends, rolls, flushes, truncation and close are serialised by
 * {@code appendLock}; reads are lock-free on the concurrent segment map and the volatile
 * {@link LogEnd}, and never look past the log end published after the bytes were written. Listeners are
 * called on the appending thread after the lock is released.
 */
public final class PartitionLog implements ReadableLog, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PartitionLog.class.getName());

    /** What an append did. {@code logAppendTimeMs} is -1 for CreateTime topics. */
    public record LogAppendInfo(long firstOffset, long lastOffset, long logAppendTimeMs, long maxTimestamp,
            long logStartOffset, int recordCount, int validBytes) {}

    /** What a read returned: a zero-copy slice of a segment file, or {@code MemoryRecords.EMPTY}. */
    public record LogReadInfo(Records records, long highWatermark, long logStartOffset, long logEndOffset) {}

    /**
     * Also hears appends (before they are committed: followers read up to the log end). Called on the
     * appending thread; implementations must be cheap and must not block.
     */
    public interface Listener extends ReadableLog.Listener {
        default void onAppend(PartitionLog log, LogAppendInfo info) {
        }

        @Override
        default void onHighWatermark(ReadableLog log, long highWatermark) {
        }
    }

    /** The log end offset together with where it is, published atomically after each append. */
    private record LogEnd(long offset, LogSegment segment, int position) {}

    private final TopicPartition topicPartition;
    private final Path dir;
    private final Path logDir;
    private final Clock clock;
    private final FileIo fileIo;
    private final LogDirFailureChannel failures;
    /** Guards appends, rolls, flushes, truncation, segment deletion and close. */
    private final ReentrantLock appendLock = new ReentrantLock();
    /** Guards the read-compare-write of the high watermark. */
    private final Object highWatermarkLock = new Object();
    private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    private final CopyOnWriteArrayList<ReadableLog.Listener> listeners = new CopyOnWriteArrayList<>();
    /** The listeners that also hear appends (a subset of {@link #listeners}). */
    private final CopyOnWriteArrayList<Listener> appendListeners = new CopyOnWriteArrayList<>();

    private volatile LogConfig config;
    private volatile LogEnd end;
    private volatile long logStartOffset;
    private volatile long highWatermark;
    private volatile long recoveryPoint;
    private volatile long lastFlushMs;
    private volatile boolean closed;
    /** Guarded by appendLock. */
    private long unflushedMessages;
    /**
     * Offsets below this may have been compacted, so their segments may have offset gaps; kept in
     * {@value #CLEANED_FILE} in the partition directory, raised before a cleaned segment is swapped in.
     */
    private volatile long cleanedUpTo;

    static final String CLEANED_FILE = "cleaned-up-to";
    /** Idempotent producers' sequence state; guarded by appendLock. */
    private final ProducerStateManager producerState = new ProducerStateManager();
    /** Where each leader epoch starts; set once at load, before the log is shared. */
    private LeaderEpochCache leaderEpochs;

    private PartitionLog(TopicPartition tp, Path dir, LogConfig config, Clock clock, FileIo fileIo,
            LogDirFailureChannel failures) {
        this.topicPartition = tp;
        this.dir = dir;
        this.logDir = dir.getParent();
        this.config = config;
        this.clock = clock;
        this.fileIo = fileIo;
        this.failures = failures;
        this.lastFlushMs = clock.millis();
    }

    /** The directory name Kafka uses for a partition. */
    static String dirName(TopicPartition tp) {
        return tp.topic() + "-" + tp.partition();
    }

    /**
     * Opens the partition directory (creating it if needed), recovering what the crash rules require.
     *
     * @param recoveryPoint  checkpointed offset below which everything was fsynced (0 if unknown)
     * @param logStartOffset checkpointed log start offset (0 if unknown)
     * @param cleanShutdown  whether the log dir carried the clean-shutdown marker
     */
    static PartitionLog load(TopicPartition tp, Path dir, LogConfig config, long recoveryPoint, long logStartOffset,
            boolean cleanShutdown, Clock clock, FileIo fileIo, LogDirFailureChannel failures, RecoveryStats stats)
            throws IOException {
        Files.createDirectories(dir);
        PartitionLog log = new PartitionLog(tp, dir, config, clock, fileIo, failures);
        try {
            log.loadSegments(recoveryPoint, logStartOffset, cleanShutdown, stats);
        } catch (IOException | RuntimeException e) {
            log.segments.values().forEach(LogSegment::abandon);
            throw e instanceof UncheckedIOException u ? u.getCause() : e instanceof IOException io ? io
                    : new IOException("failed to load " + dir, e);
        }
        return log;
    }

    private void loadSegments(long checkpointRecoveryPoint, long checkpointStart, boolean cleanShutdown,
            RecoveryStats stats) throws IOException {
        LogConfig cfg = config;
        long now = clock.millis();
        cleanedUpTo = readCleanedUpTo();
        completeInterruptedCleaning();
        leaderEpochs = LeaderEpochCache.load(dir, fileIo);
        TreeSet<Long> bases = new TreeSet<>();
        List<Path> indexFiles = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.endsWith(LogSegment.LOG_SUFFIX)) {
                    bases.add(parseBase(f, name, LogSegment.LOG_SUFFIX));
                } else if (name.endsWith(LogSegment.INDEX_SUFFIX) || name.endsWith(LogSegment.TIME_INDEX_SUFFIX)) {
                    indexFiles.add(f);
                } else if (name.endsWith(".tmp") || name.endsWith(LogSegment.DELETED_SUFFIX)) {
                    // Half-written files and segments retired before a crash.
                    Files.deleteIfExists(f);
                }
            }
        }
        for (Path f : indexFiles) {
            String name = f.getFileName().toString();
            String base = name.substring(0, name.indexOf('.'));
            if (!Files.exists(dir.resolve(base + LogSegment.LOG_SUFFIX))) {
                LOG.log(System.Logger.Level.INFO, "Deleting index without a log file: " + f);
                Files.deleteIfExists(f);
            }
        }

        boolean truncatedBefore = false;
        long bytesTruncated = 0;
        List<LogSegment> recovered = new ArrayList<>();
        List<Long> ordered = new ArrayList<>(bases);
        for (int i = 0; i < ordered.size(); i++) {
            long base = ordered.get(i);
            if (truncatedBefore) {
                LOG.log(System.Logger.Level.WARNING, "Deleting segment " + LogSegment.logFile(dir, base)
                        + " which lies after a corrupt point of " + dir);
                bytesTruncated += Files.size(LogSegment.logFile(dir, base));
                LogSegment.open(dir, base, cfg, fileIo, now).deleteFiles();
                continue;
            }
            long nextBase = i + 1 < ordered.size() ? ordered.get(i + 1) : Long.MAX_VALUE;
            boolean indexesExisted = LogSegment.indexesExist(dir, base);
            LogSegment segment = LogSegment.open(dir, base, cfg, fileIo, now);
            segments.put(base, segment);
            stats.segmentsLoaded.incrementAndGet();
            boolean mayHoldUnflushed = nextBase > checkpointRecoveryPoint;
            boolean recover = !cleanShutdown && mayHoldUnflushed;
            if (!recover && !indexesExisted) {
                LOG.log(System.Logger.Level.WARNING, "Index files of " + segment + " are missing; rebuilding");
                recover = true;
            }
            if (!recover) {
                try {
                    segment.sanityCheck(nextBase);
                    segment.loadTailState();
                    if (nextBase != Long.MAX_VALUE && !endsWhereNextBegins(segment, nextBase)) {
                        throw new AbstractIndex.CorruptIndexException("segment ends at " + segment.nextOffset()
                                + " but the next one starts at " + nextBase);
                    }
                } catch (AbstractIndex.CorruptIndexException e) {
                    LOG.log(System.Logger.Level.WARNING, "Rebuilding " + segment + ": " + e.getMessage());
                    recover = true;
                }
            }
            if (recover) {
                int dropped = segment.recover(cfg.segmentIndexBytes(), base < cleanedUpTo);
                stats.segmentsRecovered.incrementAndGet();
                recovered.add(segment);
                bytesTruncated += dropped;
                if (dropped > 0 || (nextBase != Long.MAX_VALUE && !endsWhereNextBegins(segment, nextBase))) {
                    truncatedBefore = true;
                }
            }
        }
        stats.bytesTruncated.addAndGet(bytesTruncated);
        if (bytesTruncated > 0) {
            LOG.log(System.Logger.Level.WARNING, "Recovered " + dir + ": " + bytesTruncated
                    + " bytes truncated, log now ends at offset " + (segments.isEmpty() ? "-" :
                    segments.lastEntry().getValue().nextOffset()));
        }

        if (segments.isEmpty()) {
            long base = Math.max(0, checkpointStart);
            segments.put(base, LogSegment.open(dir, base, cfg, fileIo, now));
        }
        for (LogSegment s : segments.values()) {
            if (s != segments.lastEntry().getValue() && recovered.contains(s)) {
                s.onBecomeInactive();
            }
        }
        LogSegment active = segments.lastEntry().getValue();
        active.makeActive(cfg.segmentIndexBytes());
        end = new LogEnd(active.nextOffset(), active, active.size());
        long firstBase = segments.firstKey();
        logStartOffset = Math.min(Math.max(checkpointStart, firstBase), end.offset());
        highWatermark = logStartOffset;
        for (LogSegment s : recovered) {
            // Recovered bytes may only have been in the page cache; make them durable before trusting them.
            s.flush();
        }
        if (!recovered.isEmpty()) {
            fileIo.fsyncDirectory(dir);
        }
        recoveryPoint = end.offset();
        // Recovery may have cut batches the checkpoint still counts; the scan below adds epochs the
        // checkpoint missed (a crash between an epoch's first append and the checkpoint write).
        leaderEpochs.truncateFromEnd(end.offset());
        rebuildProducerState();
    }

    /**
     * Replays the producer ids, epochs and sequences of every batch in the log (headers only) so a
     * retry after a restart or truncation is still recognised as a duplicate.
     */
    private void rebuildProducerState() {
        producerState.clear();
        long now = clock.millis();
        for (LogSegment segment : segments.values()) {
            // The append time is not in the log; the segment file's last write is no earlier than it.
            long writtenBy = lastModifiedMs(LogSegment.logFile(dir, segment.baseOffset()));
            if (writtenBy + ProducerStateManager.EXPIRATION_MS < now && segment != end.segment()) {
                // Every producer last seen here has expired; skipping keeps start-up from reading
                // the headers of the whole log.
                continue;
            }
            for (RecordBatch batch : segment.records().batches()) {
                leaderEpochs.assign(batch.partitionLeaderEpoch(), batch.baseOffset());
                if (batch.hasProducerId()) {
                    producerState.update(batch, Math.max(batch.maxTimestamp(), writtenBy));
                }
            }
        }
        producerState.removeExpired(clock.millis());
    }

    private static long lastModifiedMs(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * A {@code .cleaned} file is a cleaning that did not finish: dropped. A {@code .swap} file is a
     * finished cleaning whose swap was interrupted: it replaces the segment's log file, and the
     * indexes are rebuilt from it.
     */
    private void completeInterruptedCleaning() throws IOException {
        List<Path> swaps = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.endsWith(CLEANED_SUFFIX)) {
                    Files.deleteIfExists(f);
                } else if (name.endsWith(LogSegment.LOG_SUFFIX + SWAP_SUFFIX)) {
                    swaps.add(f);
                }
            }
        }
        for (Path swap : swaps) {
            String logName = swap.getFileName().toString();
            logName = logName.substring(0, logName.length() - SWAP_SUFFIX.length());
            String base = logName.substring(0, logName.length() - LogSegment.LOG_SUFFIX.length());
            LOG.log(System.Logger.Level.INFO, "Completing an interrupted compaction swap of " + dir.resolve(logName));
            Files.move(swap, dir.resolve(logName), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(dir.resolve(base + LogSegment.INDEX_SUFFIX));
            Files.deleteIfExists(dir.resolve(base + LogSegment.TIME_INDEX_SUFFIX));
        }
        if (!swaps.isEmpty()) {
            fileIo.fsyncDirectory(dir);
        }
    }

    private long readCleanedUpTo() throws IOException {
        Path f = dir.resolve(CLEANED_FILE);
        if (!Files.exists(f)) {
            return 0;
        }
        try {
            return Long.parseLong(Files.readString(f).trim());
        } catch (NumberFormatException e) {
            // Unreadable: assume every segment may be compacted, the lenient choice that loses nothing.
            LOG.log(System.Logger.Level.WARNING, "Unreadable " + f + "; treating the whole log as compacted");
            return Long.MAX_VALUE;
        }
    }

    /** Durably raises the compacted bound before segments with gaps below it exist. */
    void markCleanedUpTo(long offset) throws IOException {
        if (offset <= cleanedUpTo) {
            return;
        }
        Path tmp = dir.resolve(CLEANED_FILE + ".tmp");
        Files.writeString(tmp, Long.toString(offset));
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                java.nio.file.StandardOpenOption.WRITE)) {
            fileIo.fsync(ch, tmp, true);
        }
        Files.move(tmp, dir.resolve(CLEANED_FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        fileIo.fsyncDirectory(dir);
        cleanedUpTo = offset;
    }

    long cleanedUpTo() {
        return cleanedUpTo;
    }

    /** A segment ends where the next begins, or before it if compaction removed its last records. */
    private boolean endsWhereNextBegins(LogSegment segment, long nextBase) {
        return segment.baseOffset() < cleanedUpTo ? segment.nextOffset() <= nextBase : segment.nextOffset() == nextBase;
    }

    private static long parseBase(Path f, String name, String suffix) throws IOException {
        try {
            return Long.parseLong(name.substring(0, name.length() - suffix.length()));
        } catch (NumberFormatException e) {
            throw new IOException("unexpected file in log directory: " + f);
        }
    }

    @Override
    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Path dir() {
        return dir;
    }

    /** The log directory this partition lives in. */
    public Path logDir() {
        return logDir;
    }

    public LogConfig config() {
        return config;
    }

    /** New settings apply to the next append; index sizes only to segments created afterwards. */
    public void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
    }

    @Override
    public long logStartOffset() {
        return logStartOffset;
    }

    public long logEndOffset() {
        return end.offset();
    }

    @Override
    public long highWatermark() {
        return highWatermark;
    }

    public long recoveryPoint() {
        return recoveryPoint;
    }

    public long sizeInBytes() {
        long total = 0;
        for (LogSegment s : segments.values()) {
            total += s.size();
        }
        return total;
    }

    public int numberOfSegments() {
        return segments.size();
    }

    /** Base offsets of the segments, oldest first. */
    public List<Long> segmentBaseOffsets() {
        return List.copyOf(segments.keySet());
    }

    /** Forgets idle idempotent producers; called with the scheduled flush check. */
    void expireProducers(long nowMs) {
        if (closed || !appendLock.tryLock()) {
            return;
        }
        try {
            producerState.removeExpired(nowMs);
        } finally {
            appendLock.unlock();
        }
    }

    /** Producers with idempotence state in this log (for tests and monitoring). */
    public int producerCount() {
        appendLock.lock();
        try {
            return producerState.producerCount();
        } finally {
            appendLock.unlock();
        }
    }

    @Override
    public void addListener(ReadableLog.Listener l) {
        listeners.add(l);
        if (l instanceof Listener appends) {
            appendListeners.add(appends);
        }
    }

    @Override
    public void removeListener(ReadableLog.Listener l) {
        listeners.remove(l);
        if (l instanceof Listener appends) {
            appendListeners.remove(appends);
        }
    }

    /**
     * Sets the high watermark, clamped to {@code [logStartOffset, logEndOffset]}, and tells listeners if it
     * advanced.
     */
    public void updateHighWatermark(long hw) {
        long clamped = Math.max(logStartOffset, Math.min(hw, end.offset()));
        boolean advanced;
        synchronized (highWatermarkLock) {
            advanced = clamped > highWatermark;
            highWatermark = clamped;
        }
        if (advanced) {
            for (ReadableLog.Listener l : listeners) {
                l.onHighWatermark(this, clamped);
            }
        }
    }

    /**
     * Validates every batch, then assigns offsets, stamps the leader epoch (and the append time for
     * LogAppendTime topics) into the caller's buffer in place, and appends. Nothing of an invalid request
     * is appended.
     *
     * @throws CorruptRecordException     bad CRC, bad size or trailing partial batch
     * @throws InvalidRecordException     not magic v2, or record count and offsets disagree
     * @throws RecordTooLargeException    a batch larger than max.message.bytes
     * @throws InvalidTimestampException  a negative timestamp other than -1 in a batch header
     * @throws org.apache.kafka.common.errors.OutOfOrderSequenceException   an idempotent producer's sequence gap
     * @throws org.apache.kafka.common.errors.InvalidProducerEpochException an idempotent producer's stale epoch
     * A retried batch of an idempotent producer already in the log is not appended again: the answer
     * carries its original offsets and a record count of 0.
     * @throws KafkaStorageException      an I/O failure (the log dir is then offline)
     */
    public LogAppendInfo appendAsLeader(MemoryRecords records, int leaderEpoch) {
        failures.ensureOnline(logDir);
        LogConfig cfg = config;
        // Each pass over records.batches() makes a buffer view, an iterator and a batch view per batch:
        // one pass here serves every step of the append.
        List<MutableRecordBatch> batches = new ArrayList<>(1);
        for (MutableRecordBatch batch : records.batches()) {
            batches.add(batch);
        }
        int recordCount = validate(records, batches, cfg);
        LogAppendInfo info;
        appendLock.lock();
        try {
            ensureOpen();
            long now = clock.millis();
            boolean logAppendTime = cfg.messageTimestampType() == TimestampType.LOG_APPEND_TIME;
            long first = end.offset();
            Optional<ProducerStateManager.BatchMetadata> duplicate = producerState.checkAll(batches);
            if (duplicate.isPresent()) {
                // A retry of a batch already in the log: answer with where it went, append nothing.
                ProducerStateManager.BatchMetadata d = duplicate.get();
                return new LogAppendInfo(d.firstOffset(), d.lastOffset(), RecordBatch.NO_TIMESTAMP,
                        RecordBatch.NO_TIMESTAMP, logStartOffset, 0, 0);
            }
            if (recordCount == 0) {
                return new LogAppendInfo(first, first - 1, logAppendTime ? now : RecordBatch.NO_TIMESTAMP,
                        RecordBatch.NO_TIMESTAMP, logStartOffset, 0, 0);
            }
            long next = first;
            long maxTimestamp = RecordBatch.NO_TIMESTAMP;
            for (MutableRecordBatch batch : batches) {
                long delta = batch.lastOffset() - batch.baseOffset();
                batch.setLastOffset(next + delta);
                batch.setPartitionLeaderEpoch(leaderEpoch);
                if (logAppendTime) {
                    // Rewrites the attributes and recomputes the CRC, which covers them.
                    batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, now);
                }
                maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
                next += delta + 1;
            }
            LogSegment segment = maybeRoll(records.sizeInBytes(), next - 1, now, cfg);
            leaderEpochs.assign(leaderEpoch, first);
            segment.append(records, batches);
            end = new LogEnd(segment.nextOffset(), segment, segment.size());
            for (MutableRecordBatch batch : batches) {
                producerState.update(batch, now);
            }
            unflushedMessages += recordCount;
            if (unflushedMessages >= cfg.flushIntervalMessages()) {
                flushLocked();
            }
            info = new LogAppendInfo(first, next - 1, logAppendTime ? now : RecordBatch.NO_TIMESTAMP, maxTimestamp,
                    logStartOffset, recordCount, records.sizeInBytes());
        } catch (IOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error appending to " + topicPartition, e);
        } catch (UncheckedIOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error appending to " + topicPartition, e.getCause());
        } finally {
            appendLock.unlock();
        }
        for (Listener l : appendListeners) {
            l.onAppend(this, info);
        }
        return info;
    }

    /**
     * Appends batches fetched from the partition's leader exactly as the leader stored them: same
     * offsets, same leader epochs, same timestamps. Only whole batches are appended (a fetch may end
     * in a partial one); the first must start at this log's end offset.
     *
     * @return what was appended, or an empty info if {@code records} held no whole batch
     * @throws CorruptRecordException  a bad CRC
     * @throws InvalidRecordException  a gap or overlap with the log end, or offsets going backwards
     * @throws KafkaStorageException   an I/O failure (the log dir is then offline)
     */
    public LogAppendInfo appendAsFollower(MemoryRecords records) {
        failures.ensureOnline(logDir);
        int wholeBytes = 0;
        int recordCount = 0;
        long expected = -1;
        for (MutableRecordBatch batch : records.batches()) {
            batch.ensureValid();
            if (expected >= 0 && batch.baseOffset() != expected) {
                throw new InvalidRecordException("Fetched batches of " + topicPartition + " are not contiguous: "
                        + batch.baseOffset() + " after " + (expected - 1));
            }
            expected = batch.lastOffset() + 1;
            Integer n = batch.countOrNull();
            recordCount += n == null ? 0 : n;
            wholeBytes += batch.sizeInBytes();
        }
        if (wholeBytes == 0) {
            long e = end.offset();
            return new LogAppendInfo(e, e - 1, RecordBatch.NO_TIMESTAMP, RecordBatch.NO_TIMESTAMP, logStartOffset, 0, 0);
        }
        MemoryRecords whole = wholeBytes == records.sizeInBytes() ? records
                : MemoryRecords.readableRecords(sliceOf(records, wholeBytes));
        LogAppendInfo info;
        appendLock.lock();
        try {
            ensureOpen();
            long now = clock.millis();
            long first = whole.batches().iterator().next().baseOffset();
            if (first != end.offset()) {
                throw new InvalidRecordException("Fetched batch of " + topicPartition + " starts at offset " + first
                        + " but the log ends at " + end.offset());
            }
            long maxTimestamp = RecordBatch.NO_TIMESTAMP;
            for (MutableRecordBatch batch : whole.batches()) {
                maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
            }
            LogSegment segment = maybeRoll(wholeBytes, expected - 1, now, config);
            for (MutableRecordBatch batch : whole.batches()) {
                leaderEpochs.assign(batch.partitionLeaderEpoch(), batch.baseOffset());
            }
            segment.append(whole);
            end = new LogEnd(segment.nextOffset(), segment, segment.size());
            for (MutableRecordBatch batch : whole.batches()) {
                if (batch.hasProducerId()) {
                    producerState.update(batch, now);
                }
            }
            unflushedMessages += recordCount;
            if (unflushedMessages >= config.flushIntervalMessages()) {
                flushLocked();
            }
            info = new LogAppendInfo(first, expected - 1, RecordBatch.NO_TIMESTAMP, maxTimestamp, logStartOffset,
                    recordCount, wholeBytes);
        } catch (IOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error appending to " + topicPartition, e);
        } catch (UncheckedIOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error appending to " + topicPartition, e.getCause());
        } finally {
            appendLock.unlock();
        }
        for (Listener l : appendListeners) {
            l.onAppend(this, info);
        }
        return info;
    }

    private static java.nio.ByteBuffer sliceOf(MemoryRecords records, int bytes) {
        java.nio.ByteBuffer buf = records.buffer().duplicate();
        buf.limit(buf.position() + bytes);
        return buf.slice();
    }

    /**
     * Records that a new leader epoch starts at the log end offset, as a replica does when it becomes
     * the partition's leader, so followers asking where the previous epoch ended get this offset.
     */
    public void assignEpochStartOffset(int leaderEpoch) {
        appendLock.lock();
        try {
            ensureOpen();
            leaderEpochs.assign(leaderEpoch, end.offset());
        } catch (UncheckedIOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error writing the leader epochs of " + topicPartition, e.getCause());
        } finally {
            appendLock.unlock();
        }
    }

    /** The latest leader epoch that wrote (or will write) to this log, or -1. */
    public int latestEpoch() {
        return leaderEpochs.latestEpoch();
    }

    /** Where the given leader epoch ends in this log (Kafka's OffsetsForLeaderEpoch answer). */
    public LeaderEpochCache.EpochEndOffset endOffsetForEpoch(int leaderEpoch) {
        return leaderEpochs.endOffsetFor(leaderEpoch, end.offset());
    }

    /** Leader epochs and their start offsets, for tests and tools. */
    public Map<Integer, Long> leaderEpochs() {
        return leaderEpochs.entries();
    }

    /**
     * Empties the log and restarts it at {@code offset}, as a follower does when its leader no
     * longer holds anything it has (the leader's log start moved past this log's end).
     */
    public void truncateFullyAndStartAt(long offset) {
        appendLock.lock();
        try {
            ensureOpen();
            truncateFullyAndStartAt(offset, clock.millis(), config);
        } catch (IOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error truncating " + topicPartition, e);
        } catch (UncheckedIOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error truncating " + topicPartition, e.getCause());
        } finally {
            appendLock.unlock();
        }
    }

    /** Checks every batch before anything is written; returns the number of records. */
    private int validate(MemoryRecords records, List<MutableRecordBatch> batches, LogConfig cfg) {
        if (records.sizeInBytes() > cfg.segmentBytes()) {
            throw new RecordBatchTooLargeException("Request of " + records.sizeInBytes()
                    + " bytes exceeds segment.bytes " + cfg.segmentBytes() + " of " + topicPartition);
        }
        int bytes = 0;
        int count = 0;
        for (MutableRecordBatch batch : batches) {
            if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                throw new InvalidRecordException("Record batch magic " + batch.magic()
                        + " is not supported; only v2 is accepted");
            }
            if (batch.sizeInBytes() > cfg.maxMessageBytes()) {
                throw new RecordTooLargeException("Record batch of " + batch.sizeInBytes()
                        + " bytes exceeds max.message.bytes " + cfg.maxMessageBytes() + " of " + topicPartition);
            }
            batch.ensureValid();
            Integer n = batch.countOrNull();
            long span = batch.lastOffset() - batch.baseOffset() + 1;
            if (n == null || n <= 0 || span != n) {
                throw new InvalidRecordException("Record batch holds " + n + " records but spans " + span
                        + " offsets");
            }
            long maxTs = batch.maxTimestamp();
            long baseTs = batch instanceof DefaultRecordBatch d ? d.baseTimestamp() : maxTs;
            if (cfg.messageTimestampType() == TimestampType.CREATE_TIME
                    && ((maxTs < 0 && maxTs != RecordBatch.NO_TIMESTAMP)
                    || (baseTs < 0 && baseTs != RecordBatch.NO_TIMESTAMP))) {
                throw new InvalidTimestampException("Invalid timestamp " + Math.min(maxTs, baseTs)
                        + " in record batch for " + topicPartition);
            }
            if (cfg.compact()) {
                // Compaction keeps the latest record per key; a record without one could never be
                // compacted, so (as in Kafka) a compacted topic refuses it.
                for (org.apache.kafka.common.record.internal.Record r : batch) {
                    if (!r.hasKey()) {
                        throw new InvalidRecordException("Compacted topic " + topicPartition.topic()
                                + " cannot accept a record without a key (offset delta " + (r.offset() - batch.baseOffset()) + ")");
                    }
                }
            }
            bytes += batch.sizeInBytes();
            count += n;
        }
        if (bytes != records.sizeInBytes()) {
            throw new CorruptRecordException("Request for " + topicPartition + " has "
                    + (records.sizeInBytes() - bytes) + " bytes after its last complete batch");
        }
        return count;
    }

    /** Rolls to a new segment when the active one would outgrow its limits; called under appendLock. */
    private LogSegment maybeRoll(int incomingBytes, long lastOffset, long now, LogConfig cfg) throws IOException {
        LogEnd e = end;
        LogSegment active = e.segment();
        boolean roll = active.size() > 0 && ((long) active.size() + incomingBytes > cfg.segmentBytes()
                || now - active.createdMs() >= cfg.segmentMs()
                || active.indexesFull()
                || lastOffset - active.baseOffset() > Integer.MAX_VALUE);
        if (!roll) {
            return active;
        }
        return rollLocked(now, cfg);
    }

    /** Makes a new, empty active segment at the log end offset; called under appendLock. */
    private LogSegment rollLocked(long now, LogConfig cfg) throws IOException {
        LogEnd e = end;
        LogSegment active = e.segment();
        long newBase = e.offset();
        active.onBecomeInactive();
        // A rolled segment is never written again; making it durable now keeps the recovery point at the roll.
        active.flush();
        Path stale = LogSegment.logFile(dir, newBase);
        if (Files.exists(stale)) {
            LogSegment.open(dir, newBase, cfg, fileIo, now).deleteFiles();
        }
        LogSegment segment = LogSegment.open(dir, newBase, cfg, fileIo, now);
        segments.put(newBase, segment);
        fileIo.fsyncDirectory(dir);
        end = new LogEnd(newBase, segment, 0);
        recoveryPoint = Math.max(recoveryPoint, newBase);
        unflushedMessages = 0;
        lastFlushMs = now;
        LOG.log(System.Logger.Level.DEBUG, "Rolled " + dir + " to a new segment at offset " + newBase);
        return segment;
    }

    /**
     * Reads whole batches starting with the one holding {@code startOffset}, from one segment.
     *
     * @param maxOffsetExclusive batches holding this offset or later are not returned (pass the high
     *                           watermark for consumers, {@code Long.MAX_VALUE} for followers)
     * @throws OffsetOutOfRangeException if {@code startOffset} is outside {@code [logStartOffset, logEndOffset]}
     */
    @Override
    public LogReadInfo read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneMessage) {
        for (int attempt = 0; ; attempt++) {
            failures.ensureOnline(logDir);
            ensureOpen();
            LogEnd e = end;
            long start = logStartOffset;
            long hw = highWatermark;
            if (startOffset < start || startOffset > e.offset()) {
                throw new OffsetOutOfRangeException("Offset " + startOffset + " is out of range for " + topicPartition
                        + ": the log holds [" + start + ", " + e.offset() + "]");
            }
            try {
                Records records = readFrom(startOffset, maxBytes, maxOffsetExclusive, minOneMessage, e);
                return new LogReadInfo(records, hw, start, e.offset());
            } catch (UncheckedIOException ex) {
                // A truncation or close may have closed the segment under us; only a live log is a disk problem.
                if (closed) {
                    throw new KafkaStorageException("Log " + topicPartition + " was closed during a read", ex);
                }
                if (attempt < 2 && !segments.containsValue(e.segment()) || attempt == 0 && end != e) {
                    continue;
                }
                throw failures.maybeAddOfflineLogDir(logDir, "Error reading " + topicPartition, ex.getCause());
            }
        }
    }

    private Records readFrom(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneMessage,
            LogEnd e) {
        if (startOffset == e.offset() || startOffset >= maxOffsetExclusive) {
            return MemoryRecords.EMPTY;
        }
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(startOffset);
        while (entry != null) {
            LogSegment segment = entry.getValue();
            if (segment.baseOffset() >= e.offset()) {
                return MemoryRecords.EMPTY;
            }
            int maxPosition = segment == e.segment() ? e.position() : segment.size();
            if (maxOffsetExclusive < e.offset() && maxOffsetExclusive < segment.nextOffset()) {
                FileRecords.LogOffsetPosition limit = maxOffsetExclusive <= segment.baseOffset() ? null
                        : segment.translateOffset(maxOffsetExclusive);
                maxPosition = limit == null ? 0 : Math.min(maxPosition, limit.position);
            }
            Records records = segment.read(startOffset, maxBytes, maxPosition, minOneMessage);
            if (records != null) {
                return records;
            }
            entry = segments.higherEntry(entry.getKey());
        }
        return MemoryRecords.EMPTY;
    }

    /**
     * The first record (not batch) with a timestamp {@code >= timestampMs}, or empty if there is none.
     * The special ListOffsets values (-1 latest, -2 earliest) are for the caller to resolve.
     */
    @Override
    public Optional<OffsetAndTimestamp> offsetForTimestamp(long timestampMs) {
        failures.ensureOnline(logDir);
        LogEnd e = end;
        long start = logStartOffset;
        try {
            for (LogSegment segment : segments.values()) {
                if (segment.maxTimestamp() < timestampMs) {
                    continue;
                }
                OffsetAndTimestamp found = segment.findOffsetByTimestamp(timestampMs, start);
                if (found != null) {
                    return found.offset() < e.offset() ? Optional.of(found) : Optional.empty();
                }
            }
        } catch (UncheckedIOException ex) {
            if (closed) {
                throw new KafkaStorageException("Log " + topicPartition + " was closed during a lookup", ex);
            }
            throw failures.maybeAddOfflineLogDir(logDir, "Error searching " + topicPartition, ex.getCause());
        }
        return Optional.empty();
    }

    /** The first record carrying the largest timestamp in the log, or empty if the log is empty. */
    public Optional<OffsetAndTimestamp> lastOffsetAndMaxTimestamp() {
        long max = RecordBatch.NO_TIMESTAMP;
        boolean any = false;
        for (LogSegment segment : segments.values()) {
            if (segment.size() > 0) {
                any = true;
                max = Math.max(max, segment.maxTimestamp());
            }
        }
        if (!any) {
            return Optional.empty();
        }
        return offsetForTimestamp(max);
    }

    /** Fsyncs everything up to the log end offset and advances the recovery point. */
    public void flush() {
        appendLock.lock();
        try {
            ensureOpen();
            flushLocked();
        } catch (IOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error flushing " + topicPartition, e);
        } finally {
            appendLock.unlock();
        }
    }

    /** Flushes if flush.ms has passed since the last flush and something is unflushed. */
    void maybeFlushOnSchedule(long nowMs) {
        expireProducers(nowMs);
        LogConfig cfg = config;
        if (closed || recoveryPoint >= end.offset() || cfg.flushIntervalMs() == Long.MAX_VALUE
                || nowMs - lastFlushMs < cfg.flushIntervalMs()) {
            return;
        }
        flush();
    }

    private void flushLocked() throws IOException {
        long target = end.offset();
        if (target > recoveryPoint) {
            Long from = segments.floorKey(recoveryPoint);
            for (LogSegment s : (from == null ? segments : segments.tailMap(from)).values()) {
                s.flush();
            }
            recoveryPoint = target;
        }
        unflushedMessages = 0;
        lastFlushMs = clock.millis();
    }

    /** A segment taken out of the log; its (renamed) files are deleted once readers are done with them. */
    record RetiredSegment(LogSegment segment, List<Path> files) {
        void delete() throws IOException {
            segment.abandon();
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
    }

    /** Receives retired segments; the log manager deletes them after {@code file.delete.delay.ms}. */
    private volatile java.util.function.Consumer<List<RetiredSegment>> retiredSegments = retired -> {
        for (RetiredSegment r : retired) {
            try {
                r.delete();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Could not delete retired segment files " + r.files(), e);
            }
        }
    };

    void onRetiredSegments(java.util.function.Consumer<List<RetiredSegment>> sink) {
        this.retiredSegments = sink;
    }

    /**
     * Deletes the oldest segments that the topic's retention no longer keeps, if {@code cleanup.policy}
     * includes {@code delete}: by time, a segment whose newest record is older than {@code retention.ms};
     * by size, the oldest segments while the log is larger than {@code retention.bytes} without them.
     * Only committed data (below the high watermark) is deleted. An expired active segment is rolled
     * first, so a quiet topic empties too. The log start offset moves to the first remaining offset.
     *
     * @return how many segments were deleted
     */
    public int applyRetention(long nowMs) {
        LogConfig cfg = config;
        if (closed || !cfg.cleanupPolicy().contains("delete") || (cfg.retentionMs() < 0 && cfg.retentionBytes() < 0)) {
            return 0;
        }
        appendLock.lock();
        try {
            ensureOpen();
            long hw = highWatermark;
            List<LogSegment> doomed = new ArrayList<>();
            long remaining = sizeInBytes();
            for (LogSegment s : segments.values()) {
                if ((s == end.segment() && s.size() == 0) || s.nextOffset() > hw) {
                    break;
                }
                // An inactive segment compaction emptied holds nothing to keep.
                boolean expired = cfg.retentionMs() >= 0 && (s.size() == 0 || nowMs - newestTimestamp(s) > cfg.retentionMs());
                boolean oversize = cfg.retentionBytes() >= 0 && s != end.segment()
                        && remaining - s.size() >= cfg.retentionBytes();
                if (!expired && !oversize) {
                    break;
                }
                doomed.add(s);
                remaining -= s.size();
            }
            if (doomed.isEmpty()) {
                return 0;
            }
            long newStart = doomed.get(doomed.size() - 1).nextOffset();
            String why = "retention (retention.ms=" + cfg.retentionMs() + ", retention.bytes=" + cfg.retentionBytes() + ")";
            retireLocked(doomed, newStart, nowMs, cfg, why);
            return doomed.size();
        } catch (IOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error applying retention to " + topicPartition, e);
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * Moves the log start offset forward to {@code offset} (Kafka's DeleteRecords): records before it
     * can no longer be read, and segments wholly before it are deleted.
     *
     * @return the log start offset afterwards
     * @throws OffsetOutOfRangeException if {@code offset} is above the high watermark
     */
    public long deleteRecordsBefore(long offset) {
        appendLock.lock();
        try {
            ensureOpen();
            long hw = highWatermark;
            if (offset > hw || offset < 0) {
                throw new OffsetOutOfRangeException("Cannot delete records before offset " + offset + " of "
                        + topicPartition + ": it must be within [0, " + hw + "] (the high watermark)");
            }
            if (offset <= logStartOffset) {
                return logStartOffset;
            }
            List<LogSegment> doomed = new ArrayList<>();
            for (LogSegment s : segments.values()) {
                if ((s == end.segment() && s.size() == 0) || s.nextOffset() > offset) {
                    break;
                }
                doomed.add(s);
            }
            retireLocked(doomed, offset, clock.millis(), config, "a request to delete records before " + offset);
            return logStartOffset;
        } catch (IOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error deleting records of " + topicPartition, e);
        } finally {
            appendLock.unlock();
        }
    }

    /** Takes segments out of the log and moves the start offset; called under appendLock. */
    private void retireLocked(List<LogSegment> doomed, long newStart, long nowMs, LogConfig cfg, String why)
            throws IOException {
        if (doomed.contains(end.segment())) {
            rollLocked(nowMs, cfg);
        }
        // Readers check the start offset before they look for a segment, so move it first.
        logStartOffset = Math.max(logStartOffset, newStart);
        List<RetiredSegment> retired = new ArrayList<>(doomed.size());
        for (LogSegment s : doomed) {
            segments.remove(s.baseOffset());
            retired.add(new RetiredSegment(s, s.renameForDeletion()));
        }
        if (!retired.isEmpty()) {
            fileIo.fsyncDirectory(dir);
            LOG.log(System.Logger.Level.INFO, "Deleted " + retired.size() + " segment(s) of " + topicPartition
                    + " by " + why + "; the log now starts at offset " + logStartOffset);
            retiredSegments.accept(retired);
        } else {
            LOG.log(System.Logger.Level.INFO, "The log start offset of " + topicPartition + " moved to "
                    + logStartOffset + " by " + why);
        }
    }

    /** The newest record time of a segment; a segment without timestamps counts from its file's mtime. */
    private static long newestTimestamp(LogSegment s) throws IOException {
        long max = s.maxTimestamp();
        return max >= 0 ? max : Files.getLastModifiedTime(s.logPath()).toMillis();
    }

    /**
     * The segments the cleaner may compact now: every inactive segment wholly below the high
     * watermark whose records are all older than {@code min.compaction.lag.ms}, oldest first. Segments
     * are immutable once inactive, so the cleaner reads them without a lock.
     */
    List<LogSegment> cleanableSegments(long nowMs) {
        LogConfig cfg = config;
        List<LogSegment> out = new ArrayList<>();
        LogSegment active = end.segment();
        long hw = highWatermark;
        for (LogSegment s : segments.values()) {
            if (s == active || s.nextOffset() > hw || nowMs - s.maxTimestamp() < cfg.minCompactionLagMs()) {
                break;
            }
            out.add(s);
        }
        return out;
    }

    /**
     * Swaps a cleaned copy in for a segment, if the segment is still part of the log (retention or
     * truncation may have removed it meanwhile). The cleaned file becomes {@code .swap}, the old files
     * are retired, and the {@code .swap} becomes the segment's {@code .log}; a crash at any point
     * leaves the old or the new segment, and loading completes a pending swap.
     *
     * @return whether the swap happened
     */
    boolean swapCleaned(LogSegment old, Path cleanedFile) throws IOException {
        appendLock.lock();
        try {
            if (closed || segments.get(old.baseOffset()) != old) {
                Files.deleteIfExists(cleanedFile);
                return false;
            }
            LogConfig cfg = config;
            Path swap = LogSegment.logFile(dir, old.baseOffset()).resolveSibling(
                    LogSegment.fileName(old.baseOffset(), LogSegment.LOG_SUFFIX) + SWAP_SUFFIX);
            Files.move(cleanedFile, swap, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            fileIo.fsyncDirectory(dir);
            List<Path> retiredFiles = old.renameForDeletion();
            Files.move(swap, LogSegment.logFile(dir, old.baseOffset()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            LogSegment cleaned = LogSegment.open(dir, old.baseOffset(), cfg, fileIo, clock.millis());
            cleaned.recover(cfg.segmentIndexBytes(), true);
            cleaned.onBecomeInactive();
            cleaned.flush();
            fileIo.fsyncDirectory(dir);
            segments.put(old.baseOffset(), cleaned);
            retiredSegments.accept(List.of(new RetiredSegment(old, retiredFiles)));
            return true;
        } finally {
            appendLock.unlock();
        }
    }

    static final String SWAP_SUFFIX = ".swap";
    static final String CLEANED_SUFFIX = ".cleaned";

    /** Drops every batch holding an offset {@code >= offset}. */
    public void truncateTo(long offset) {
        appendLock.lock();
        try {
            ensureOpen();
            LogEnd e = end;
            if (offset >= e.offset()) {
                return;
            }
            long now = clock.millis();
            LogConfig cfg = config;
            if (offset <= logStartOffset) {
                truncateFullyAndStartAt(offset, now, cfg);
                return;
            }
            long dropped = 0;
            for (LogSegment s : new ArrayList<>(segments.tailMap(offset, true).values())) {
                if (s.baseOffset() == segments.firstKey()) {
                    break;
                }
                segments.remove(s.baseOffset());
                dropped += s.size();
                s.deleteFiles();
            }
            LogSegment last = segments.lastEntry().getValue();
            dropped += last.truncateTo(offset);
            last.makeActive(cfg.segmentIndexBytes());
            end = new LogEnd(last.nextOffset(), last, last.size());
            leaderEpochs.truncateFromEnd(end.offset());
            recoveryPoint = Math.min(recoveryPoint, end.offset());
            synchronized (highWatermarkLock) {
                highWatermark = Math.min(highWatermark, end.offset());
            }
            LOG.log(System.Logger.Level.INFO, "Truncated " + dir + " to offset " + end.offset() + " (" + dropped
                    + " bytes dropped)");
            rebuildProducerState();
        } catch (IOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error truncating " + topicPartition, e);
        } catch (UncheckedIOException e) {
            throw failures.maybeAddOfflineLogDir(logDir, "Error truncating " + topicPartition, e.getCause());
        } finally {
            appendLock.unlock();
        }
    }

    private void truncateFullyAndStartAt(long offset, long now, LogConfig cfg) throws IOException {
        for (LogSegment s : new ArrayList<>(segments.values())) {
            segments.remove(s.baseOffset());
            s.deleteFiles();
        }
        LogSegment segment = LogSegment.open(dir, offset, cfg, fileIo, now);
        segments.put(offset, segment);
        fileIo.fsyncDirectory(dir);
        end = new LogEnd(offset, segment, 0);
        logStartOffset = offset;
        recoveryPoint = offset;
        synchronized (highWatermarkLock) {
            highWatermark = offset;
        }
        LOG.log(System.Logger.Level.INFO, "Truncated " + dir + " fully; it now starts at offset " + offset);
        leaderEpochs.clear();
        producerState.clear();
    }

    private void ensureOpen() {
        if (closed) {
            throw new KafkaStorageException("Log " + topicPartition + " is closed");
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** The active segment's records file; tests use it to break the disk underneath. */
    FileRecords activeSegmentRecords() {
        return end.segment().records();
    }

    LogSegment segmentAt(long baseOffset) {
        return segments.get(baseOffset);
    }

    /** Flushes, writes each segment's final time-index entry, trims indexes and closes files; idempotent. */
    @Override
    public void close() {
        appendLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (failures.isOffline(logDir)) {
                segments.values().forEach(LogSegment::abandon);
                return;
            }
            for (LogSegment s : segments.values()) {
                s.close();
            }
            recoveryPoint = end.offset();
        } catch (IOException e) {
            segments.values().forEach(LogSegment::abandon);
            throw failures.maybeAddOfflineLogDir(logDir, "Error closing " + topicPartition, e);
        } finally {
            appendLock.unlock();
        }
    }

    /** Releases file handles without flushing, trimming or checkpointing, as a process crash would. */
    void abandon() {
        appendLock.lock();
        try {
            closed = true;
            segments.values().forEach(LogSegment::abandon);
        } finally {
            appendLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "PartitionLog(" + topicPartition + ", [" + logStartOffset + ", " + end.offset() + "), " + dir + ")";
    }
}
