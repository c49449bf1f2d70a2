package io.tributary.storage;

import static io.tributary.storage.StorageTestSupport.TP;
import static io.tributary.storage.StorageTestSupport.batch;
import static io.tributary.storage.StorageTestSupport.config;
import static io.tributary.storage.StorageTestSupport.offsets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.Test;

class RetentionTest extends LogManagerTestBase {

    private static final long HOUR = 3_600_000L;


    /** Appends {@code batches} batches of 5 records stamped with the clock, committing each. */
    private static void fill(PartitionLog log, StorageTestSupport.FakeClock clock, int batches) {
        for (int i = 0; i < batches; i++) {
            int first = (int) log.logEndOffset();
            log.appendAsLeader(batch(first, 5, clock.millis()), 0);
            log.updateHighWatermark(log.logEndOffset());
        }
    }

    private static long firstReadableOffset(PartitionLog log) {
        Records r = log.read(log.logStartOffset(), 1 << 20, Long.MAX_VALUE, true).records();
        List<Long> offs = offsets(r);
        return offs.isEmpty() ? -1 : offs.get(0);
    }

    private long filesWithSuffix(PartitionLog log, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(log.dir())) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).count();
        }
    }

    @Test
    void segmentsOlderThanRetentionMsAreDeletedAndTheStartOffsetMoves() {
        PartitionLog log = manager.getOrCreateLog(TP, config(Map.of("segment.bytes", "1000", "retention.ms",
                Long.toString(2 * HOUR))));
        fill(log, h.clock, 20);
        h.clock.advance(3 * HOUR);
        fill(log, h.clock, 20);
        int before = log.numberOfSegments();

        int deleted = log.applyRetention(h.clock.millis());

        assertTrue(deleted > 0 && deleted < before, deleted + " of " + before);
        assertTrue(log.logStartOffset() > 0 && log.logStartOffset() <= 100, "start " + log.logStartOffset());
        assertEquals(log.logStartOffset(), log.segmentBaseOffsets().get(0));
        assertEquals(200, log.logEndOffset(), "the end offset never moves back");
        assertThrows(OffsetOutOfRangeException.class, () -> log.read(0, 1000, Long.MAX_VALUE, true));
        assertEquals(log.logStartOffset(), firstReadableOffset(log));
    }

    @Test
    void anExpiredActiveSegmentIsRolledAndDeletedSoAQuietTopicEmpties() {
        PartitionLog log = manager.getOrCreateLog(TP, config(Map.of("retention.ms", Long.toString(HOUR))));
        fill(log, h.clock, 10);
        assertEquals(1, log.numberOfSegments());
        h.clock.advance(2 * HOUR);

        assertEquals(1, log.applyRetention(h.clock.millis()));

        assertEquals(50, log.logStartOffset());
        assertEquals(50, log.logEndOffset());
        assertEquals(1, log.numberOfSegments());
        assertEquals(50, log.appendAsLeader(batch(50, 1, h.clock.millis()), 0).firstOffset(), "offsets are never reused");
    }

    @Test
    void sizeRetentionKeepsTheNewestSegmentsWithinRetentionBytes() {
        PartitionLog log = manager.getOrCreateLog(TP, config(Map.of("segment.bytes", "1000", "retention.bytes", "3000")));
        fill(log, h.clock, 60);
        assertTrue(log.sizeInBytes() > 6000);

        log.applyRetention(h.clock.millis());

        assertTrue(log.sizeInBytes() <= 3000 + 1000, "size " + log.sizeInBytes());
        assertTrue(log.sizeInBytes() >= 3000 - 1000, "keeps about retention.bytes, size " + log.sizeInBytes());
        assertEquals(300, log.logEndOffset());
        assertEquals(log.logStartOffset(), firstReadableOffset(log));
    }

    @Test
    void timeAndSizeTogetherDeleteWhicheverComesFirst() {
        PartitionLog log = manager.getOrCreateLog(TP, config(Map.of("segment.bytes", "1000", "retention.bytes",
                "100000", "retention.ms", Long.toString(HOUR))));
        fill(log, h.clock, 30);
        h.clock.advance(2 * HOUR);
        fill(log, h.clock, 2);
        log.applyRetention(h.clock.millis());
        // Size alone (100000 bytes) would keep everything; time deletes every segment whose newest
        // record is old, up to the one that also holds the new records.
        assertTrue(log.logStartOffset() > 100 && log.logStartOffset() <= 150, "start " + log.logStartOffset());
    }

    @Test
    void uncommittedRecordsAreNeverDeleted() {
        PartitionLog log = manager.getOrCreateLog(TP, config(Map.of("segment.bytes", "1000", "retention.ms", "0")));
        for (int i = 0; i < 20; i++) {
            log.appendAsLeader(batch(i * 5, 5, h.clock.millis()), 0);
        }
        log.updateHighWatermark(30);
        h.clock.advance(HOUR);
        log.applyRetention(h.clock.millis());
        assertTrue(log.logStartOffset() <= 30, "start " + log.logStartOffset());
        assertEquals(100, log.logEndOffset());
    }

    @Test
    void compactOnlyTopicsAreNotDeletedByRetention() {
        PartitionLog log = manager.getOrCreateLog(TP, config(Map.of("retention.ms", "1", "cleanup.policy", "compact")));
        fill(log, h.clock, 3);
        h.clock.advance(HOUR);
        assertEquals(0, log.applyRetention(h.clock.millis()));
        assertEquals(0, log.logStartOffset());
    }

    @Test
    void deleteRecordsMovesTheStartOffsetInsideASegment() {
        PartitionLog log = manager.getOrCreateLog(TP, config(Map.of("segment.bytes", "1000")));
        fill(log, h.clock, 20);

        assertEquals(42, log.deleteRecordsBefore(42));
        assertEquals(42, log.deleteRecordsBefore(10), "never moves back");
        assertThrows(OffsetOutOfRangeException.class, () -> log.read(41, 1000, Long.MAX_VALUE, true));
        Records r = log.read(42, 1 << 20, Long.MAX_VALUE, true).records();
        assertTrue(offsets(r).contains(42L));
        assertThrows(OffsetOutOfRangeException.class, () -> log.deleteRecordsBefore(101));
        assertEquals(100, log.deleteRecordsBefore(100), "up to the high watermark, emptying the log");
        assertEquals(100, log.logEndOffset());
    }

    @Test
    void retiredFilesStayForReadersThenGoAndTheStartOffsetSurvivesARestart() throws Exception {
        manager.close();
        LogManager m = new LogManager(new LogManagerConfig(h.logDirs(), 60_000, 60_000, 2, 60_000, 50), h.defaults,
                h.clock, h.scheduler, h.recovery, h.fileIo);
        m.startup(t -> h.defaults).join();
        manager = m;
        PartitionLog log = m.getOrCreateLog(TP, config(Map.of("segment.bytes", "1000", "retention.ms",
                Long.toString(HOUR))));
        fill(log, h.clock, 20);
        h.clock.advance(2 * HOUR);
        fill(log, h.clock, 1);
        Records held = log.read(0, 1 << 20, Long.MAX_VALUE, true).records();

        assertTrue(log.applyRetention(h.clock.millis()) > 0);
        assertTrue(filesWithSuffix(log, ".log.deleted") > 0, "renamed, not yet deleted");
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), offsets(held).subList(0, 5), "a reader's slice still reads");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (filesWithSuffix(log, ".deleted") > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, filesWithSuffix(log, ".deleted"), "deleted after file.delete.delay.ms");

        long start = log.logStartOffset();
        m.close();
        manager = h.start();
        assertEquals(start, manager.log(TP).orElseThrow().logStartOffset());
    }

    @Test
    void retiredFilesLeftByACrashAreRemovedAtLoad() throws Exception {
        PartitionLog log = manager.getOrCreateLog(TP, config(Map.of("segment.bytes", "1000", "retention.ms",
                Long.toString(HOUR))));
        fill(log, h.clock, 20);
        h.clock.advance(2 * HOUR);
        fill(log, h.clock, 1);
        Path dir = log.dir();
        Files.writeString(dir.resolve("00000000000000000000.log.deleted"), "left behind");
        manager.close();
        manager = h.start();
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".deleted")));
        }
        assertEquals(105, manager.log(TP).orElseThrow().logEndOffset());
    }
}
