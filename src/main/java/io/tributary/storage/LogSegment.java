package io.tributary.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;

/**
 * One segment of a partition log: a records file ({@code NNNNNNNNNNNNNNNNNNNN.log}, the base offset
 * zero-padded to 20 digits) joined with its {@link OffsetIndex} and {@link TimeIndex}.
 *
 * <p><b>Layout:</b> the {@code .log} file is a plain concatenation of Kafka v2 record batches (written and
 * parsed only through kafka-clients' record classes), with no header and no preallocation.
 *
 * <p><b>Invariants:</b> offsets are dense: the first batch starts at {@code baseOffset} and every batch
 * starts right after the previous one's last offset; every offset is below the next segment's base offset
 * and fits the indexes' 32-bit relative offsets.
 *
 * <p><b>Crash behaviour:</b> appends reach the page cache before returning, fsync happens on
 * {@link #flush()}. {@link #recover()} re-validates every batch (magic, size, CRC32C, offset contiguity,
 * record count), rebuilds both indexes and truncates the file at the first bad batch; a torn write, a
 * zero-filled tail or garbage is therefore cut back to the last whole valid batch.
 *
 * <p><b>Thread-safety:</b> {@link #append}, {@link #truncateTo}, {@link #recover} and the lifecycle methods
 * are called under the owning {@link PartitionLog}'s append lock; {@link #read}, {@link #translateOffset}
 * and {@link #findOffsetByTimestamp} are lock-free and only see bytes below the bound their caller passes
 * or below the file size published by kafka-clients after each write.
 */
final class LogSegment implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LogSegment.class.getName());

    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";

    private final Path dir;
    private final long baseOffset;
    private final FileRecords log;
    private final OffsetIndex offsetIndex;
    private final TimeIndex timeIndex;
    private final FileIo fileIo;
    private final int indexIntervalBytes;
    private final long createdMs;
    /** Guarded by the owning log's append lock. */
    private int bytesSinceLastIndexEntry;
    /** The largest timestamp in the segment and the (batch last) offset carrying it. */
    private volatile TimeIndex.TimestampOffset maxTimestampAndOffset;
    private volatile long nextOffset;
    /**
     * The batches appended last, oldest first, a contiguous run ending at the segment's last batch
     * (empty after load, recovery or truncation). A consumer or follower that is caught up reads at
     * the tail: with these its read needs neither the index nor the batch headers in the file, each
     * of which costs a read system call and a buffer (up to one index interval of them per read).
     * Replaced, never changed, under the append lock; read without a lock.
     */
    private volatile RecentBatch[] recentBatches = NO_RECENT_BATCHES;

    /** Where a batch is in the file. */
    private record RecentBatch(long baseOffset, long lastOffset, int position, int size) {
    }

    private static final RecentBatch[] NO_RECENT_BATCHES = new RecentBatch[0];
    /** Covers the batches a caught-up reader is behind by, in all but bursts of tiny batches. */
    static final int RECENT_BATCHES = 16;

    private LogSegment(Path dir, long baseOffset, FileRecords log, OffsetIndex offsetIndex, TimeIndex timeIndex,
            FileIo fileIo, int indexIntervalBytes, long createdMs) {
        this.dir = dir;
        this.baseOffset = baseOffset;
        this.log = log;
        this.offsetIndex = offsetIndex;
        this.timeIndex = timeIndex;
        this.fileIo = fileIo;
        this.indexIntervalBytes = indexIntervalBytes;
        this.createdMs = createdMs;
        this.maxTimestampAndOffset = new TimeIndex.TimestampOffset(RecordBatch.NO_TIMESTAMP, baseOffset);
        this.nextOffset = baseOffset;
    }

    static String fileName(long offset, String suffix) {
        return String.format("%020d%s", offset, suffix);
    }

    static Path logFile(Path dir, long offset) {
        return dir.resolve(fileName(offset, LOG_SUFFIX));
    }

    /** True when both index files exist; a segment without them must be recovered. */
    static boolean indexesExist(Path dir, long baseOffset) {
        return Files.exists(dir.resolve(fileName(baseOffset, INDEX_SUFFIX)))
                && Files.exists(dir.resolve(fileName(baseOffset, TIME_INDEX_SUFFIX)));
    }

    /**
     * Opens (or creates) the segment at {@code baseOffset}. The indexes are opened as they are; callers
     * either {@link #recover()} or {@link #sanityCheck} and then {@link #loadTailState()}.
     */
    static LogSegment open(Path dir, long baseOffset, LogConfig config, FileIo fileIo, long nowMs) throws IOException {
        Path logPath = logFile(dir, baseOffset);
        boolean exists = Files.exists(logPath);
        FileRecords records = FileRecords.open(logPath.toFile(), true, exists, 0, false);
        OffsetIndex offsetIndex = null;
        try {
            offsetIndex = new OffsetIndex(dir.resolve(fileName(baseOffset, INDEX_SUFFIX)), baseOffset,
                    config.segmentIndexBytes(), fileIo);
            TimeIndex timeIndex = new TimeIndex(dir.resolve(fileName(baseOffset, TIME_INDEX_SUFFIX)), baseOffset,
                    config.segmentIndexBytes(), fileIo);
            return new LogSegment(dir, baseOffset, records, offsetIndex, timeIndex, fileIo,
                    config.indexIntervalBytes(), nowMs);
        } catch (IOException | RuntimeException e) {
            if (offsetIndex != null) {
                offsetIndex.abandon();
            }
            records.channel().close();
            throw e;
        }
    }

    long baseOffset() {
        return baseOffset;
    }

    /** The offset after the last batch in this segment. */
    long nextOffset() {
        return nextOffset;
    }

    int size() {
        return log.sizeInBytes();
    }

    long createdMs() {
        return createdMs;
    }

    long maxTimestamp() {
        return maxTimestampAndOffset.timestamp();
    }

    TimeIndex.TimestampOffset maxTimestampAndOffset() {
        return maxTimestampAndOffset;
    }

    Path logPath() {
        return logFile(dir, baseOffset);
    }

    FileRecords records() {
        return log;
    }

    OffsetIndex offsetIndex() {
        return offsetIndex;
    }

    TimeIndex timeIndex() {
        return timeIndex;
    }

    /** Whether an index has no room for the next entry (the time index keeps one slot for the roll entry). */
    boolean indexesFull() {
        return offsetIndex.isFull() || timeIndex.entries() >= timeIndex.maxEntries() - 1;
    }

    /**
     * Appends batches whose offsets were already assigned, starting at {@link #nextOffset()}.
     * Index entries point at batch starts, one per index interval.
     */
    void append(MemoryRecords records) throws IOException {
        List<MutableRecordBatch> batches = new ArrayList<>();
        for (MutableRecordBatch batch : records.batches()) {
            batches.add(batch);
        }
        append(records, batches);
    }

    /** {@link #append(MemoryRecords)} with the records' batches already listed, in order. */
    void append(MemoryRecords records, List<MutableRecordBatch> batches) throws IOException {
        int position = log.sizeInBytes();
        log.append(records);
        long next = nextOffset;
        TimeIndex.TimestampOffset max = maxTimestampAndOffset;
        RecentBatch[] before = recentBatches;
        List<RecentBatch> appended = new ArrayList<>(2);
        for (MutableRecordBatch batch : batches) {
            long lastOffset = batch.lastOffset();
            appended.add(new RecentBatch(batch.baseOffset(), lastOffset, position, batch.sizeInBytes()));
            if (batch.maxTimestamp() > max.timestamp()) {
                max = new TimeIndex.TimestampOffset(batch.maxTimestamp(), lastOffset);
            }
            if (bytesSinceLastIndexEntry > indexIntervalBytes) {
                offsetIndex.append(lastOffset, position);
                timeIndex.maybeAppend(max.timestamp(), max.offset());
                bytesSinceLastIndexEntry = 0;
            }
            int size = batch.sizeInBytes();
            position += size;
            bytesSinceLastIndexEntry += size;
            next = lastOffset + 1;
        }
        maxTimestampAndOffset = max;
        nextOffset = next;
        recentBatches = lastBatches(before, appended);
    }

    private static RecentBatch[] lastBatches(RecentBatch[] before, List<RecentBatch> appended) {
        int keepBefore = Math.max(0, Math.min(before.length, RECENT_BATCHES - appended.size()));
        int fromAppended = Math.max(0, appended.size() - RECENT_BATCHES);
        RecentBatch[] out = new RecentBatch[keepBefore + appended.size() - fromAppended];
        System.arraycopy(before, before.length - keepBefore, out, 0, keepBefore);
        for (int i = fromAppended; i < appended.size(); i++) {
            out[keepBefore + i - fromAppended] = appended.get(i);
        }
        return out;
    }

    /** The slot of the first recent batch whose last offset is {@code >= offset}, or -1 if they do not cover it. */
    private static int recentSlot(RecentBatch[] recent, long offset) {
        if (recent.length == 0 || offset < recent[0].baseOffset() || offset > recent[recent.length - 1].lastOffset()) {
            return -1;
        }
        for (int i = 0; i < recent.length; i++) {
            if (offset <= recent[i].lastOffset()) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The first batch whose last offset is {@code >= offset}, searching from the index entry at or before
     * it (so at most one index interval is scanned), or null if the segment has no such batch.
     */
    FileRecords.LogOffsetPosition translateOffset(long offset) {
        RecentBatch[] recent = recentBatches;
        int slot = recentSlot(recent, offset);
        if (slot >= 0) {
            RecentBatch b = recent[slot];
            return new FileRecords.LogOffsetPosition(b.baseOffset(), b.position(), b.size());
        }
        OffsetIndex.OffsetPosition start = offsetIndex.lookup(offset);
        try {
            return log.searchForOffsetFromPosition(offset, start.position());
        } catch (KafkaException e) {
            throw unwrapIo(e);
        }
    }

    /**
     * Whole batches starting at the batch holding {@code startOffset}, at most {@code maxSize} bytes (or
     * the first batch alone when {@code minOneMessage} and it is larger), ending at or before
     * {@code maxPosition}. Null if {@code startOffset} is past this segment's last batch.
     */
    Records read(long startOffset, int maxSize, int maxPosition, boolean minOneMessage) {
        RecentBatch[] recent = recentBatches;
        int slot = recentSlot(recent, startOffset);
        int startPosition;
        if (slot >= 0) {
            startPosition = recent[slot].position();
        } else {
            FileRecords.LogOffsetPosition start = translateOffset(startOffset);
            if (start == null) {
                return null;
            }
            startPosition = start.position;
        }
        if (startPosition >= maxPosition) {
            return MemoryRecords.EMPTY;
        }
        Extent extent = new Extent(maxSize, maxPosition, minOneMessage);
        boolean more = true;
        int scanFrom = startPosition;
        if (slot >= 0) {
            for (int i = slot; i < recent.length && more; i++) {
                more = extent.add(recent[i].position(), recent[i].size());
            }
            scanFrom = startPosition + extent.total;
        }
        if (more) {
            try {
                for (FileChannelRecordBatch batch : log.batchesFrom(scanFrom)) {
                    if (!extent.add(batch.position(), batch.sizeInBytes())) {
                        break;
                    }
                }
            } catch (KafkaException e) {
                throw unwrapIo(e);
            }
        }
        return extent.total == 0 ? MemoryRecords.EMPTY : log.slice(startPosition, extent.total);
    }

    /** Whole batches from a start position, within a read's limits. */
    private static final class Extent {
        private final int maxSize;
        private final int maxPosition;
        private final boolean minOneMessage;
        int total;

        Extent(int maxSize, int maxPosition, boolean minOneMessage) {
            this.maxSize = maxSize;
            this.maxPosition = maxPosition;
            this.minOneMessage = minOneMessage;
        }

        /** Takes the next batch if it fits; false once the read is complete. */
        boolean add(int position, int size) {
            if (position + size > maxPosition) {
                return false;
            }
            if ((long) total + size > maxSize) {
                if (total == 0 && minOneMessage) {
                    total = size;
                }
                return false;
            }
            total += size;
            return true;
        }
    }

    /**
     * The first record at or after {@code startingOffset} with a timestamp {@code >= timestamp}, or null.
     * The time index tells which prefix of the segment is older than {@code timestamp}; the offset index
     * turns that into a file position; only the records after it are scanned.
     */
    OffsetAndTimestamp findOffsetByTimestamp(long timestamp, long startingOffset) {
        if (maxTimestampAndOffset.timestamp() < timestamp) {
            return null;
        }
        TimeIndex.TimestampOffset older = timeIndex.lastEntryBefore(timestamp);
        long from = Math.max(older == null ? baseOffset : older.offset() + 1, startingOffset);
        int position = offsetIndex.lookup(from).position();
        try {
            for (FileChannelRecordBatch batch : log.batchesFrom(position)) {
                if (batch.lastOffset() < from || batch.maxTimestamp() < timestamp) {
                    continue;
                }
                for (Record record : batch) {
                    if (record.offset() >= from && record.timestamp() >= timestamp) {
                        return new OffsetAndTimestamp(record.offset(), record.timestamp());
                    }
                }
            }
        } catch (KafkaException e) {
            throw unwrapIo(e);
        }
        return null;
    }

    /**
     * Re-validates every batch, rebuilds both indexes and truncates the file after the last valid batch.
     *
     * @return bytes truncated (0 if the whole file was valid)
     */
    int recover(int maxIndexSize) throws IOException {
        return recover(maxIndexSize, false);
    }

    /**
     * As {@link #recover(int)}; {@code compacted} accepts the offset gaps compaction leaves.
     */
    int recover(int maxIndexSize, boolean compacted) throws IOException {
        recentBatches = NO_RECENT_BATCHES;
        offsetIndex.reset();
        timeIndex.reset();
        offsetIndex.resize(maxIndexSize);
        timeIndex.resize(maxIndexSize);
        bytesSinceLastIndexEntry = 0;
        int validBytes = 0;
        long expected = baseOffset;
        TimeIndex.TimestampOffset max = new TimeIndex.TimestampOffset(RecordBatch.NO_TIMESTAMP, baseOffset);
        String problem = null;
        try {
            for (FileChannelRecordBatch batch : log.batchesFrom(0)) {
                if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                    problem = "unsupported magic " + batch.magic();
                    break;
                }
                batch.ensureValid();
                long first = batch.baseOffset();
                long last = batch.lastOffset();
                Integer count = batch.countOrNull();
                // Offsets are dense, except in a compacted segment: compaction leaves gaps between and
                // inside batches (a cleaned batch keeps its first and last offsets), so there a batch
                // may hold fewer records than its offset span, but never more.
                boolean offsetsOk = compacted
                        ? first >= expected && count != null && count >= 1 && count <= last - first + 1
                        : first == expected && count != null && count == last - first + 1;
                if (!offsetsOk || last < first || last - baseOffset > Integer.MAX_VALUE) {
                    problem = "batch offsets [" + first + ", " + last + "] count " + count + " where offset "
                            + expected + " was expected";
                    break;
                }
                if (batch.maxTimestamp() > max.timestamp()) {
                    max = new TimeIndex.TimestampOffset(batch.maxTimestamp(), last);
                }
                if (bytesSinceLastIndexEntry > indexIntervalBytes && !indexesFull()) {
                    offsetIndex.append(last, validBytes);
                    timeIndex.maybeAppend(max.timestamp(), max.offset());
                    bytesSinceLastIndexEntry = 0;
                }
                validBytes += batch.sizeInBytes();
                bytesSinceLastIndexEntry += batch.sizeInBytes();
                expected = last + 1;
            }
        } catch (CorruptRecordException | InvalidRecordException e) {
            problem = e.getMessage();
        } catch (KafkaException e) {
            throw unwrapIo(e);
        }
        int truncated = log.sizeInBytes() - validBytes;
        if (truncated > 0) {
            LOG.log(System.Logger.Level.WARNING, "Truncating " + logPath() + " at offset " + expected + " (byte "
                    + validBytes + "): dropping " + truncated + " bytes after the last valid batch ("
                    + (problem == null ? "incomplete batch" : problem) + ")");
            log.truncateTo(validBytes);
        }
        maxTimestampAndOffset = max;
        nextOffset = expected;
        return truncated;
    }

    /** Checks both indexes against this segment's bounds. */
    void sanityCheck(long nextSegmentBaseOffset) throws AbstractIndex.CorruptIndexException {
        offsetIndex.sanityCheck(nextSegmentBaseOffset, log.sizeInBytes());
        timeIndex.sanityCheck(nextSegmentBaseOffset, log.sizeInBytes());
    }

    /**
     * Restores the next offset and maximum timestamp of a segment whose indexes are trusted, reading only
     * the batches after the last offset-index entry (the time index was brought up to date whenever an
     * offset-index entry was written, and on roll and close).
     */
    void loadTailState() throws IOException {
        recentBatches = NO_RECENT_BATCHES;
        OffsetIndex.OffsetPosition last = offsetIndex.lastEntry();
        TimeIndex.TimestampOffset lastTime = timeIndex.lastEntry();
        TimeIndex.TimestampOffset max = lastTime == null
                ? new TimeIndex.TimestampOffset(RecordBatch.NO_TIMESTAMP, baseOffset) : lastTime;
        long next = baseOffset;
        int bytesAfterEntry = 0;
        try {
            for (FileChannelRecordBatch batch : log.batchesFrom(last.position())) {
                next = batch.lastOffset() + 1;
                if (batch.maxTimestamp() > max.timestamp()) {
                    max = new TimeIndex.TimestampOffset(batch.maxTimestamp(), batch.lastOffset());
                }
                bytesAfterEntry += batch.sizeInBytes();
            }
        } catch (KafkaException e) {
            throw unwrapIo(e);
        }
        maxTimestampAndOffset = max;
        nextOffset = next;
        bytesSinceLastIndexEntry = bytesAfterEntry;
    }

    /**
     * Drops every batch whose last offset is {@code >= offset}.
     *
     * @return bytes dropped
     */
    int truncateTo(long offset) throws IOException {
        FileRecords.LogOffsetPosition at = translateOffset(offset);
        if (at == null) {
            return 0;
        }
        recentBatches = NO_RECENT_BATCHES;
        offsetIndex.truncateTo(offset);
        timeIndex.truncateTo(offset);
        int dropped = log.truncateTo(at.position);
        loadTailState();
        return dropped;
    }

    /** Makes the segment ready for appends again (after load or truncation): full-size indexes. */
    void makeActive(int maxIndexSize) throws IOException {
        offsetIndex.resize(maxIndexSize);
        timeIndex.resize(maxIndexSize);
    }

    /**
     * Called when a newer segment takes over appends: records the final maximum timestamp in the time
     * index and trims both indexes to their entries.
     */
    void onBecomeInactive() throws IOException {
        TimeIndex.TimestampOffset max = maxTimestampAndOffset;
        if (size() > 0 && timeIndex.entries() < timeIndex.maxEntries()) {
            timeIndex.maybeAppend(max.timestamp(), max.offset());
        }
        offsetIndex.trimToValidSize();
        timeIndex.trimToValidSize();
    }

    /** Forces the records and both indexes to the device. */
    void flush() throws IOException {
        fileIo.fsync(log.channel(), logPath(), false);
        offsetIndex.flush();
        timeIndex.flush();
    }

    /** Flushes, writes the final time-index entry, trims the indexes and closes the file; idempotent. */
    @Override
    public void close() throws IOException {
        if (!log.channel().isOpen()) {
            return;
        }
        try {
            onBecomeInactive();
            flush();
            offsetIndex.close();
            timeIndex.close();
        } finally {
            log.channel().close();
        }
    }

    /** Releases the file handles without writing anything, as a process crash would. */
    void abandon() {
        offsetIndex.abandon();
        timeIndex.abandon();
        try {
            log.channel().close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing abandoned segment " + logPath(), e);
        }
    }

    /** Suffix of the files of a segment taken out of its log and waiting for deletion. */
    static final String DELETED_SUFFIX = ".deleted";

    /**
     * Renames the segment's files to {@code <name>.deleted} and returns their new paths. Open channels
     * and memory maps stay valid, so a reader still sending from this segment finishes; a crash before
     * the files are deleted leaves only {@code .deleted} files, which loading removes.
     */
    List<Path> renameForDeletion() throws IOException {
        List<Path> renamed = new ArrayList<>(3);
        for (Path p : List.of(logPath(), offsetIndex.file(), timeIndex.file())) {
            if (Files.exists(p)) {
                Path target = p.resolveSibling(p.getFileName() + DELETED_SUFFIX);
                Files.move(p, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                renamed.add(target);
            }
        }
        return renamed;
    }

    /** Closes without flushing and deletes the three files. */
    void deleteFiles() throws IOException {
        abandon();
        Files.deleteIfExists(logPath());
        Files.deleteIfExists(offsetIndex.file());
        Files.deleteIfExists(timeIndex.file());
    }

    /** kafka-clients wraps channel errors in KafkaException; surface them as I/O failures again. */
    static RuntimeException unwrapIo(KafkaException e) {
        Throwable c = e;
        while (c != null) {
            if (c instanceof IOException io) {
                return new UncheckedIOException(io);
            }
            c = c.getCause();
        }
        return e;
    }

    @Override
    public String toString() {
        return "LogSegment(" + logPath() + ", next=" + nextOffset + ", size=" + size() + ")";
    }
}
