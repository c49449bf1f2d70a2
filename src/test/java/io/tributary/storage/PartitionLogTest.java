package io.tributary.storage;

import static io.tributary.storage.StorageTestSupport.TP;
import static io.tributary.storage.StorageTestSupport.batch;
import static io.tributary.storage.StorageTestSupport.config;
import static io.tributary.storage.StorageTestSupport.offsets;
import static io.tributary.storage.StorageTestSupport.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.Test;

class PartitionLogTest extends LogManagerTestBase {

    private PartitionLog log(Map<String, String> overrides) {
        return manager.getOrCreateLog(TP, config(overrides));
    }

    private static List<String> expected(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add("v" + i);
        }
        return out;
    }

    /** Reads everything from {@code from} to the end, batch by batch. */
    private static List<String> readAll(PartitionLog log, long from) {
        List<String> out = new ArrayList<>();
        long next = from;
        while (next < log.logEndOffset()) {
            Records r = log.read(next, 4096, Long.MAX_VALUE, true).records();
            List<Long> offs = offsets(r);
            assertFalse(offs.isEmpty(), "read at " + next + " returned nothing");
            for (int i = 0; i < offs.size(); i++) {
                if (offs.get(i) >= next) {
                    out.add(values(r).get(i));
                }
            }
            next = offs.get(offs.size() - 1) + 1;
        }
        return out;
    }

    @Test
    void appendsAndReadsBackAcrossManySegmentRolls() {
        PartitionLog log = log(Map.of("segment.bytes", "2000"));
        int next = 0;
        for (int i = 0; i < 200; i++) {
            PartitionLog.LogAppendInfo info = log.appendAsLeader(batch(next, 5, 1000 + next), 3);
            assertEquals(next, info.firstOffset());
            assertEquals(next + 4, info.lastOffset());
            assertEquals(5, info.recordCount());
            next += 5;
        }
        assertEquals(1000, log.logEndOffset());
        assertTrue(log.numberOfSegments() > 10, "segments: " + log.numberOfSegments());
        assertEquals(expected(0, 1000), readAll(log, 0));
        assertEquals(expected(503, 1000), readAll(log, 503));
        for (long base : log.segmentBaseOffsets()) {
            assertTrue(log.segmentAt(base).size() <= 2000);
        }
    }

    @Test
    void offsetIndexLookupLandsWithinOneIndexInterval() {
        PartitionLog log = log(Map.of("index.interval.bytes", "512"));
        int batchSize = 0;
        for (int i = 0; i < 500; i++) {
            MemoryRecords b = batch(i * 3, 3, 0);
            batchSize = Math.max(batchSize, b.sizeInBytes());
            log.appendAsLeader(b, 0);
        }
        LogSegment segment = log.segmentAt(0);
        assertTrue(segment.offsetIndex().entries() > 50);
        for (long offset = 0; offset < 1500; offset += 7) {
            int indexed = segment.offsetIndex().lookup(offset).position();
            FileRecords.LogOffsetPosition actual = segment.translateOffset(offset);
            assertTrue(indexed <= actual.position, "index points past the batch for " + offset);
            assertTrue(actual.position - indexed <= 512 + batchSize,
                    "scan of " + (actual.position - indexed) + " bytes for offset " + offset);
        }
    }

    @Test
    void readHonoursMaxBytesWithWholeBatchesAndMinOneMessage() {
        PartitionLog log = log(Map.of());
        for (int i = 0; i < 10; i++) {
            log.appendAsLeader(batch(i * 10, 10, 0), 0);
        }
        int oneBatch = batch(0, 10, 0).sizeInBytes();
        int twoBatches = oneBatch + batch(10, 10, 0).sizeInBytes();
        Records two = log.read(0, twoBatches + 5, Long.MAX_VALUE, false).records();
        assertEquals(twoBatches, two.sizeInBytes());
        assertEquals(expected(0, 20), values(two));
        Records none = log.read(0, oneBatch - 1, Long.MAX_VALUE, false).records();
        assertEquals(0, none.sizeInBytes());
        Records forced = log.read(15, 1, Long.MAX_VALUE, true).records();
        assertEquals(twoBatches - oneBatch, forced.sizeInBytes());
        assertEquals(expected(10, 20), values(forced));
        Records capped = log.read(0, Integer.MAX_VALUE, 35, true).records();
        assertEquals(expected(0, 30), values(capped));
        assertTrue(log.read(100, 1000, Long.MAX_VALUE, true).records().sizeInBytes() == 0);
        assertTrue(log.read(0, 1000, Long.MAX_VALUE, true).records() instanceof FileRecords);
    }

    @Test
    void readOutsideTheLogIsOffsetOutOfRange() {
        PartitionLog log = log(Map.of());
        log.appendAsLeader(batch(0, 5, 0), 0);
        OffsetOutOfRangeException past = assertThrows(OffsetOutOfRangeException.class,
                () -> log.read(6, 100, Long.MAX_VALUE, true));
        assertTrue(past.getMessage().contains("[0, 5]"), past.getMessage());
        assertThrows(OffsetOutOfRangeException.class, () -> log.read(-1, 100, Long.MAX_VALUE, true));
        log.truncateTo(0);
        log.appendAsLeader(batch(0, 5, 0), 0);
        assertEquals(0, log.read(5, 100, Long.MAX_VALUE, true).records().sizeInBytes());
    }

    @Test
    void timestampLookupFindsTheFirstRecordAtOrAfterTheTimestamp() {
        PartitionLog log = log(Map.of("index.interval.bytes", "100", "segment.bytes", "3000"));
        // Batch i holds offsets 10i..10i+9 with timestamps 1000+100i .. 1000+100i+9.
        for (int i = 0; i < 50; i++) {
            log.appendAsLeader(batch(i * 10, 10, 1000 + 100L * i), 0);
        }
        assertTrue(log.numberOfSegments() > 2);
        assertEquals(Optional.of(new OffsetAndTimestamp(0, 1000)), log.offsetForTimestamp(0));
        assertEquals(Optional.of(new OffsetAndTimestamp(0, 1000)), log.offsetForTimestamp(1000));
        assertEquals(Optional.of(new OffsetAndTimestamp(234, 3304)), log.offsetForTimestamp(3304));
        // Between batches: the next batch's first record.
        assertEquals(Optional.of(new OffsetAndTimestamp(240, 3400)), log.offsetForTimestamp(3350));
        assertEquals(Optional.of(new OffsetAndTimestamp(499, 5909)), log.offsetForTimestamp(5909));
        assertEquals(Optional.empty(), log.offsetForTimestamp(5910));
        assertEquals(Optional.of(new OffsetAndTimestamp(499, 5909)), log.lastOffsetAndMaxTimestamp());
    }

    @Test
    void rollsSegmentAfterSegmentMsOnTheInjectedClock() {
        PartitionLog log = log(Map.of("segment.ms", "1000"));
        log.appendAsLeader(batch(0, 1, 0), 0);
        h.clock.advance(999);
        log.appendAsLeader(batch(1, 1, 0), 0);
        assertEquals(1, log.numberOfSegments());
        h.clock.advance(1);
        log.appendAsLeader(batch(2, 1, 0), 0);
        assertEquals(List.of(0L, 2L), log.segmentBaseOffsets());
        assertTrue(log.recoveryPoint() >= 2, "rolled segment is flushed");
    }

    @Test
    void compressedBatchesOfEveryCodecRoundTrip() {
        PartitionLog log = log(Map.of());
        List<Compression> codecs = List.of(Compression.gzip().build(), Compression.snappy().build(),
                Compression.lz4().build(), Compression.zstd().build());
        int next = 0;
        for (Compression c : codecs) {
            PartitionLog.LogAppendInfo info = log.appendAsLeader(batch(c, next, 50, 5000, 20), 1);
            assertEquals(next, info.firstOffset());
            assertEquals(50, info.recordCount());
            next += 50;
        }
        Records all = log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE, true).records();
        assertEquals(expected(0, 200), values(all));
        List<String> codecNames = new ArrayList<>();
        for (RecordBatch b : all.batches()) {
            codecNames.add(b.compressionType().name);
            assertEquals(1, b.partitionLeaderEpoch());
            b.ensureValid();
        }
        assertEquals(List.of("gzip", "snappy", "lz4", "zstd"), codecNames);
        assertEquals(Optional.of(new OffsetAndTimestamp(20, 5020)), log.offsetForTimestamp(5020));
    }

    @Test
    void logAppendTimeTopicStampsTheBrokerClock() {
        PartitionLog log = log(Map.of("message.timestamp.type", "LogAppendTime"));
        PartitionLog.LogAppendInfo info = log.appendAsLeader(batch(0, 3, 42), 0);
        long now = h.clock.millis();
        assertEquals(now, info.logAppendTimeMs());
        assertEquals(now, info.maxTimestamp());
        for (RecordBatch b : log.read(0, 10_000, Long.MAX_VALUE, true).records().batches()) {
            assertEquals(TimestampType.LOG_APPEND_TIME, b.timestampType());
            assertEquals(now, b.maxTimestamp());
            b.ensureValid();
            b.forEach(r -> assertEquals(now, r.timestamp()));
        }
        assertEquals(Optional.of(new OffsetAndTimestamp(0, now)), log.offsetForTimestamp(now));
    }

    @Test
    void corruptBatchIsRejectedAndNothingOfTheRequestIsAppended() {
        PartitionLog log = log(Map.of());
        log.appendAsLeader(batch(0, 2, 0), 0);
        MemoryRecords good = batch(0, 3, 0);
        MemoryRecords bad = batch(0, 3, 0);
        bad.buffer().put(bad.sizeInBytes() - 1, (byte) (bad.buffer().get(bad.sizeInBytes() - 1) ^ 0x55));
        ByteBuffer both = ByteBuffer.allocate(good.sizeInBytes() + bad.sizeInBytes());
        both.put(good.buffer().duplicate()).put(bad.buffer().duplicate()).flip();
        assertThrows(CorruptRecordException.class, () -> log.appendAsLeader(MemoryRecords.readableRecords(both), 0));
        assertEquals(2, log.logEndOffset());

        ByteBuffer partial = ByteBuffer.allocate(good.sizeInBytes() + 10);
        partial.put(good.buffer().duplicate()).put(new byte[10]).flip();
        assertThrows(CorruptRecordException.class,
                () -> log.appendAsLeader(MemoryRecords.readableRecords(partial), 0));
        assertEquals(2, log.logEndOffset());
        assertEquals(expected(0, 2), values(log.read(0, 10_000, Long.MAX_VALUE, true).records()));
    }

    @Test
    void oversizedBatchIsRejected() {
        PartitionLog log = log(Map.of("max.message.bytes", "200"));
        assertThrows(RecordTooLargeException.class, () -> log.appendAsLeader(batch(0, 20, 0), 0));
        assertEquals(0, log.logEndOffset());
    }

    @Test
    void batchWhoseRecordCountDisagreesWithItsOffsetsIsRejected() {
        PartitionLog log = log(Map.of());
        MemoryRecords b = batch(0, 3, 0);
        // lastOffsetDelta is outside the CRC, so a bad value is only caught by the count check.
        b.buffer().putInt(23, 7);
        // Re-stamping the max timestamp recomputes the CRC, so only the count check can catch it.
        MutableRecordBatch only = b.batches().iterator().next();
        only.setMaxTimestamp(TimestampType.CREATE_TIME, only.maxTimestamp() + 1);
        only.ensureValid();
        assertThrows(InvalidRecordException.class, () -> log.appendAsLeader(b, 0));
        assertEquals(0, log.logEndOffset());
    }

    @Test
    void flushMessagesOneFsyncsBeforeEveryAppendReturns() {
        PartitionLog log = log(Map.of("flush.messages", "1"));
        int before = h.fileIo.logFsyncs.get();
        for (int i = 0; i < 5; i++) {
            log.appendAsLeader(batch(i, 1, 0), 0);
            assertEquals(before + i + 1, h.fileIo.logFsyncs.get());
            assertEquals(i + 1, log.recoveryPoint());
        }
        PartitionLog lazy = manager.getOrCreateLog(new org.apache.kafka.common.TopicPartition("lazy", 0),
                config(Map.of()));
        int mid = h.fileIo.logFsyncs.get();
        lazy.appendAsLeader(batch(0, 1, 0), 0);
        assertEquals(mid, h.fileIo.logFsyncs.get(), "default flush.messages never fsyncs on append");
    }

    @Test
    void scheduledFlushHonoursFlushMs() {
        PartitionLog log = log(Map.of("flush.ms", "1000"));
        log.appendAsLeader(batch(0, 1, 0), 0);
        log.maybeFlushOnSchedule(h.clock.millis());
        assertEquals(0, log.recoveryPoint());
        h.clock.advance(1000);
        log.maybeFlushOnSchedule(h.clock.millis());
        assertEquals(1, log.recoveryPoint());
    }

    @Test
    void highWatermarkIsClampedAndListenersHearOfAdvancesAndAppends() {
        PartitionLog log = log(Map.of());
        List<Long> hws = new CopyOnWriteArrayList<>();
        List<Long> appends = new CopyOnWriteArrayList<>();
        log.addListener(new PartitionLog.Listener() {
            @Override
            public void onAppend(PartitionLog l, PartitionLog.LogAppendInfo info) {
                appends.add(info.lastOffset());
            }

            @Override
            public void onHighWatermark(ReadableLog l, long hw) {
                hws.add(hw);
            }
        });
        log.appendAsLeader(batch(0, 4, 0), 0);
        log.updateHighWatermark(100);
        assertEquals(4, log.highWatermark());
        log.updateHighWatermark(4);
        assertEquals(List.of(4L), hws);
        assertEquals(List.of(3L), appends);
        assertEquals(0, log.read(4, 100, log.highWatermark(), true).records().sizeInBytes());
    }

    @Test
    void truncateToDropsEverythingFromTheOffsetAndAppendsContinueThere() {
        PartitionLog log = log(Map.of("segment.bytes", "1000"));
        for (int i = 0; i < 40; i++) {
            log.appendAsLeader(batch(i * 5, 5, 0), 0);
        }
        int segmentsBefore = log.numberOfSegments();
        log.truncateTo(50);
        assertEquals(50, log.logEndOffset());
        assertTrue(log.numberOfSegments() < segmentsBefore);
        assertEquals(50, log.appendAsLeader(batch(50, 5, 0), 0).firstOffset());
        assertEquals(expected(0, 55), readAll(log, 0));
    }

    @Test
    void readsAtTheTailAndFurtherBackReturnTheSameWholeBatchesAsAScanOfTheFile() {
        PartitionLog log = log(Map.of("index.interval.bytes", "256"));
        int batches = 3 * LogSegment.RECENT_BATCHES;
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            MemoryRecords b = batch(i, 1, 0);
            sizes.add(b.sizeInBytes());
            log.appendAsLeader(b, 0);
        }
        for (int maxBatches : new int[] {1, 3, batches}) {
            for (int from = 0; from < batches; from++) {
                int maxBytes = 0;
                for (int i = from; i < Math.min(batches, from + maxBatches); i++) {
                    maxBytes += sizes.get(i);
                }
                int to = Math.min(batches, from + maxBatches);
                assertEquals(expected(from, to), values(log.read(from, maxBytes, Long.MAX_VALUE, false).records()),
                        "read at " + from + " of " + maxBytes + " bytes");
                assertEquals(expected(from, from + 1), values(log.read(from, 1, Long.MAX_VALUE, true).records()),
                        "one batch at " + from);
                int capped = Math.min(to, from + 2);
                assertEquals(expected(from, capped), values(log.read(from, maxBytes, capped, false).records()),
                        "read at " + from + " below offset " + capped);
            }
        }
    }

    @Test
    void aReadAtTheTailAfterTruncationSeesTheNewBatchesNotTheTruncatedOnes() {
        PartitionLog log = log(Map.of());
        for (int i = 0; i < 10; i++) {
            log.appendAsLeader(batch(i, 1, 0), 0);
        }
        assertEquals(expected(8, 10), values(log.read(8, 4096, Long.MAX_VALUE, true).records()));
        log.truncateTo(8);
        assertEquals(0, log.read(8, 4096, Long.MAX_VALUE, true).records().sizeInBytes());
        log.appendAsLeader(batch(Compression.NONE, 108, 1, 0, 40), 0);
        log.appendAsLeader(batch(Compression.NONE, 109, 1, 0, 40), 0);
        assertEquals(List.of("v108", "v109"), values(log.read(8, 4096, Long.MAX_VALUE, true).records()));
        assertEquals(List.of("v7", "v108", "v109"), values(log.read(7, 4096, Long.MAX_VALUE, true).records()));
    }

    @Test
    void concurrentAppendersAndReadersSeeADenseConsistentLog() throws Exception {
        PartitionLog log = log(Map.of("segment.bytes", "20000", "index.interval.bytes", "256"));
        int writers = 4;
        int perWriter = 300;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
        try {
            CountDownLatch go = new CountDownLatch(1);
            AtomicBoolean done = new AtomicBoolean();
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perWriter; i++) {
                        log.appendAsLeader(batch(0, 3, 0), 0);
                    }
                    return null;
                }));
            }
            List<Future<Long>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(pool.submit(() -> {
                    go.await();
                    long next = 0;
                    while (!done.get() || next < log.logEndOffset()) {
                        Records recs = log.read(next, 2000, Long.MAX_VALUE, true).records();
                        for (RecordBatch b : recs.batches()) {
                            b.ensureValid();
                            if (b.lastOffset() >= next) {
                                assertTrue(b.baseOffset() <= next, "gap before " + b.baseOffset());
                                next = b.lastOffset() + 1;
                            }
                        }
                    }
                    return next;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
            done.set(true);
            for (Future<Long> r : readers) {
                assertEquals((long) writers * perWriter * 3, r.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(writers * perWriter * 3, log.logEndOffset());
    }
}
