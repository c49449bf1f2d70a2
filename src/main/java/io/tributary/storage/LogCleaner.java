package io.tributary.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;

/**
 * Compacts logs whose {@code cleanup.policy} includes {@code compact}: keeps only the latest record of
 * each key, and drops tombstones (null values) once {@code delete.retention.ms} has passed since the
 * cleaning that first saw them. Offsets are never changed or reordered: a cleaned batch keeps its
 * records' offsets, so the log gains gaps, not new numbers.
 *
 * <p><b>How:</b> one pass builds a map from a digest of each key (MD5, as Kafka's cleaner does; 16
 * bytes a key however long the key) to the latest offset of that key over every cleanable segment
 * (inactive, committed, older than {@code min.compaction.lag.ms}). A second pass rewrites each of those
 * segments through kafka-clients' record filter into {@code <base>.log.cleaned}, which
 * {@link PartitionLog#swapCleaned} then swaps in. The active segment is never touched, so appends
 * go on while a log is cleaned.
 *
 * <p><b>Crash behaviour:</b> before the first swap the log's compacted bound is raised durably (so
 * recovery accepts the gaps); a {@code .cleaned} file left by a crash is dropped, an interrupted swap
 * is completed at load. Either the old or the cleaned segment survives, never neither.
 *
 * <p><b>I/O budget:</b> reads and writes are throttled to {@code maxBytesPerSecond} so cleaning does
 * not starve produce and fetch of disk bandwidth.
 *
 * <p><b>Thread-safety:</b> not thread-safe; one cleaner task runs at a time.
 */
final class LogCleaner {

    private static final System.Logger LOG = System.getLogger(LogCleaner.class.getName());
    /** Bytes of log read into memory at a time; a larger batch is read whole. */
    private static final int CHUNK_BYTES = 4 << 20;

    /** What one cleaning did. */
    record Result(int segments, long bytesBefore, long bytesAfter, int recordsRead, int recordsKept) {
        static final Result NOTHING = new Result(0, 0, 0, 0, 0);
    }

    private final Clock clock;
    private final double maxBytesPerSecond;
    private final BufferSupplier buffers = BufferSupplier.create();
    private long throttleWindowStartNanos = System.nanoTime();
    private long throttleWindowBytes;

    LogCleaner(Clock clock, double maxBytesPerSecond) {
        this.clock = clock;
        this.maxBytesPerSecond = maxBytesPerSecond;
    }

    /**
     * Cleans the log if it is compacted and dirty enough ({@code min.cleanable.dirty.ratio} of its
     * cleanable bytes not yet cleaned), or {@code force}.
     */
    Result clean(PartitionLog log, boolean force) throws IOException, InterruptedException {
        LogConfig cfg = log.config();
        if (!cfg.compact()) {
            return Result.NOTHING;
        }
        long now = clock.millis();
        List<LogSegment> segments = log.cleanableSegments(now);
        if (segments.isEmpty()) {
            return Result.NOTHING;
        }
        long total = 0;
        long dirty = 0;
        for (LogSegment s : segments) {
            total += s.size();
            if (s.nextOffset() > log.cleanedUpTo()) {
                dirty += s.size();
            }
        }
        if (!force && (total == 0 || (double) dirty / total < cfg.minCleanableDirtyRatio())) {
            return Result.NOTHING;
        }
        long upTo = segments.get(segments.size() - 1).nextOffset();
        Map<Digest, Long> latest = buildOffsetMap(segments);

        log.markCleanedUpTo(upTo);
        long before = 0;
        long after = 0;
        int read = 0;
        int kept = 0;
        int swapped = 0;
        for (LogSegment segment : segments) {
            Path cleaned = segment.logPath().resolveSibling(segment.logPath().getFileName() + PartitionLog.CLEANED_SUFFIX);
            int[] counts = rewrite(segment, cleaned, latest, now, cfg.deleteRetentionMs());
            long newSize = Files.size(cleaned);
            if (log.swapCleaned(segment, cleaned)) {
                swapped++;
                before += segment.size();
                after += newSize;
                read += counts[0];
                kept += counts[1];
            }
        }
        Result result = new Result(swapped, before, after, read, kept);
        LOG.log(System.Logger.Level.INFO, "Compacted " + swapped + " segment(s) of " + log.topicPartition()
                + " up to offset " + upTo + ": " + before + " -> " + after + " bytes, " + kept + " of " + read
                + " records kept");
        return result;
    }

    /** Latest offset of every key in the segments. */
    private Map<Digest, Long> buildOffsetMap(List<LogSegment> segments) throws IOException, InterruptedException {
        Map<Digest, Long> latest = new HashMap<>();
        MessageDigest md5 = md5();
        for (LogSegment segment : segments) {
            throttle(segment.size());
            try {
                for (FileChannelRecordBatch batch : segment.records().batches()) {
                    if (batch.isControlBatch()) {
                        continue;
                    }
                    for (Record r : batch) {
                        if (r.hasKey()) {
                            latest.put(Digest.of(md5, r.key()), r.offset());
                        }
                    }
                }
            } catch (KafkaException e) {
                throw ioFailure(segment, e);
            }
        }
        return latest;
    }

    /**
     * Writes the records of a segment that survive into {@code target}, in chunks of whole batches.
     *
     * @return records read and records kept
     */
    private int[] rewrite(LogSegment segment, Path target, Map<Digest, Long> latest, long now, long deleteRetentionMs)
            throws IOException, InterruptedException {
        MessageDigest md5 = md5();
        int[] counts = new int[2];
        MemoryRecords.RecordFilter filter = new MemoryRecords.RecordFilter(now, deleteRetentionMs) {
            @Override
            protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
                return new BatchRetentionResult(BatchRetention.DELETE_EMPTY, false);
            }

            @Override
            protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
                counts[0]++;
                boolean keep;
                if (!record.hasKey()) {
                    keep = true;
                } else {
                    Long newest = latest.get(Digest.of(md5, record.key()));
                    keep = newest == null || newest == record.offset();
                    if (keep && !record.hasValue()) {
                        // A tombstone stays until its delete horizon (set by the first cleaning) has passed.
                        keep = batch.deleteHorizonMs().isEmpty() || now < batch.deleteHorizonMs().getAsLong();
                    }
                }
                if (keep) {
                    counts[1]++;
                }
                return keep;
            }
        };
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            FileChannel in = segment.records().channel();
            int position = 0;
            int end = segment.size();
            List<Integer> boundaries = new ArrayList<>();
            try {
                for (FileChannelRecordBatch batch : segment.records().batches()) {
                    boundaries.add(batch.position() + batch.sizeInBytes());
                }
            } catch (KafkaException e) {
                throw ioFailure(segment, e);
            }
            int next = 0;
            while (position < end && next < boundaries.size()) {
                int chunkEnd = boundaries.get(next++);
                while (next < boundaries.size() && boundaries.get(next) - position <= CHUNK_BYTES) {
                    chunkEnd = boundaries.get(next++);
                }
                ByteBuffer chunk = ByteBuffer.allocate(chunkEnd - position);
                while (chunk.hasRemaining()) {
                    if (in.read(chunk, position + chunk.position()) < 0) {
                        throw new IOException("unexpected end of " + segment.logPath());
                    }
                }
                chunk.flip();
                throttle(chunk.remaining());
                ByteBuffer output = ByteBuffer.allocate(chunk.remaining());
                MemoryRecords.FilterResult result = MemoryRecords.readableRecords(chunk)
                        .filterTo(filter, output, buffers, Integer.MAX_VALUE);
                ByteBuffer written = result.outputBuffer();
                written.flip();
                throttle(written.remaining());
                while (written.hasRemaining()) {
                    out.write(written);
                }
                position = chunkEnd;
            }
            out.force(true);
        }
        return counts;
    }

    /** Sleeps as needed to keep I/O within the budget, measured over one-second windows. */
    private void throttle(long bytes) throws InterruptedException {
        if (maxBytesPerSecond == Double.MAX_VALUE || maxBytesPerSecond <= 0) {
            return;
        }
        throttleWindowBytes += bytes;
        long elapsedNanos = System.nanoTime() - throttleWindowStartNanos;
        long dueNanos = (long) (throttleWindowBytes / maxBytesPerSecond * 1e9);
        if (dueNanos > elapsedNanos) {
            Thread.sleep((dueNanos - elapsedNanos) / 1_000_000, (int) ((dueNanos - elapsedNanos) % 1_000_000));
        }
        if (elapsedNanos > 1_000_000_000L) {
            throttleWindowStartNanos = System.nanoTime();
            throttleWindowBytes = 0;
        }
    }

    private static IOException ioFailure(LogSegment segment, KafkaException e) {
        RuntimeException unwrapped = LogSegment.unwrapIo(e);
        return unwrapped.getCause() instanceof IOException io ? io : new IOException("cannot read " + segment.logPath(), e);
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every JVM", e);
        }
    }

    /** A 16-byte key digest. */
    private record Digest(long high, long low) {
        static Digest of(MessageDigest md5, ByteBuffer key) {
            md5.reset();
            md5.update(key.duplicate());
            ByteBuffer d = ByteBuffer.wrap(md5.digest());
            return new Digest(d.getLong(), d.getLong());
        }
    }
}
