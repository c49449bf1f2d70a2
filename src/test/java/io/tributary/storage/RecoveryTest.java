package io.tributary.storage;

import static io.tributary.storage.StorageTestSupport.TP;
import static io.tributary.storage.StorageTestSupport.batch;
import static io.tributary.storage.StorageTestSupport.config;
import static io.tributary.storage.StorageTestSupport.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryTest {

    private static final Map<String, String> SMALL = Map.of("segment.bytes", "4000", "index.interval.bytes", "300");

    @TempDir
    Path tmp;
    StorageTestSupport.Harness h;

    @BeforeEach
    void setUp() {
        h = new StorageTestSupport.Harness(tmp);
        h.defaults = config(SMALL);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        h.close();
    }

    private static List<String> readAll(PartitionLog log) {
        List<String> out = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            Records r = log.read(next, 1 << 20, Long.MAX_VALUE, true).records();
            List<String> vs = values(r);
            assertFalse(vs.isEmpty());
            out.addAll(vs);
            next += vs.size();
        }
        return out;
    }

    /** 100 batches of 4 records, "v0" to "v399", across several small segments. */
    private static void appendFourHundredRecords(PartitionLog log) {
        for (int i = 0; i < 100; i++) {
            log.appendAsLeader(batch(i * 4, 4, 0), 0);
        }
    }

    private static List<String> expected(long to) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < to; i++) {
            out.add("v" + i);
        }
        return out;
    }

    /** Batch boundaries as (file, endPosition, nextOffset) so a tear position maps to what must survive. */
    private record Written(long base, int end, long nextOffset) {}

    enum Damage { TRUNCATE, GARBLE_TO_END, ZERO_FILL, FLIP_ONE_BYTE }

    @Test
    void recoversFromRandomlyTornTailsAndKeepsEveryBatchBeforeTheTear() throws Exception {
        for (int seed = Integer.getInteger("tornSeed", 0); seed < Integer.getInteger("tornSeedEnd", 60); seed++) {
            Random rnd = new Random(seed);
            Path root = tmp.resolve("seed" + seed);
            StorageTestSupport.Harness run = new StorageTestSupport.Harness(root);
            run.defaults = config(SMALL);
            try {
                LogManager m = run.start();
                PartitionLog log = m.getOrCreateLog(TP, run.defaults);
                List<Written> written = new ArrayList<>();
                int next = 0;
                int batches = 20 + rnd.nextInt(60);
                for (int i = 0; i < batches; i++) {
                    int n = 1 + rnd.nextInt(6);
                    log.appendAsLeader(batch(next, n, 1000 + next), 0);
                    next += n;
                    long activeBase = log.segmentBaseOffsets().get(log.numberOfSegments() - 1);
                    written.add(new Written(activeBase, log.segmentAt(activeBase).size(), next));
                }
                boolean dropCheckpoint = rnd.nextBoolean();
                List<Long> bases = log.segmentBaseOffsets();
                // Without a checkpoint every segment is suspect, so the tear may hit any of them.
                long victimBase = dropCheckpoint ? bases.get(rnd.nextInt(bases.size())) : bases.get(bases.size() - 1);
                Path dir = log.dir();
                m.simulateCrash();
                if (dropCheckpoint) {
                    Files.deleteIfExists(run.logDirs().get(0).resolve(LogManager.RECOVERY_POINT_CHECKPOINT));
                }
                Path file = LogSegment.logFile(dir, victimBase);
                long size = Files.size(file);
                if (size == 0) {
                    m = run.start();
                    assertEquals(next, m.log(TP).orElseThrow().logEndOffset());
                    m.close();
                    continue;
                }
                int tear = rnd.nextInt((int) size);
                if (Boolean.getBoolean("tornDebug")) {
                    System.out.println("written=" + written + " size=" + size + " drop=" + dropCheckpoint + " bases=" + bases);
                }
                Damage damage = Damage.values()[rnd.nextInt(Damage.values().length)];
                damage(file, tear, damage, rnd);

                long survivorEnd = victimBase;
                long tornBatchEnd = Long.MAX_VALUE;
                for (Written w : written) {
                    if (w.base() < victimBase || (w.base() == victimBase && w.end() <= tear)) {
                        survivorEnd = Math.max(survivorEnd, w.nextOffset());
                    } else if (w.base() == victimBase) {
                        tornBatchEnd = Math.min(tornBatchEnd, w.nextOffset());
                    }
                }
                m = run.start();
                PartitionLog reopened = m.log(TP).orElseThrow();
                String what = "seed " + seed + " " + damage + " at byte " + tear + " of segment " + victimBase;
                if (damage == Damage.FLIP_ONE_BYTE || damage == Damage.ZERO_FILL) {
                    // A flip in the CRC-free leader-epoch field, or zeros over bytes that were already zero, leave
                    // the torn batch valid; it may survive, nothing after it may.
                    assertTrue(reopened.logEndOffset() >= survivorEnd, what);
                    if (damage == Damage.ZERO_FILL) {
                        assertTrue(reopened.logEndOffset() <= tornBatchEnd, what);
                    }
                } else {
                    assertEquals(survivorEnd, reopened.logEndOffset(), what);
                }
                assertEquals(expected(reopened.logEndOffset()), readAll(reopened), what);
                assertTrue(m.recoveryProgress().segmentsRecovered() > 0, what);
                long end = reopened.logEndOffset();
                assertEquals(end, reopened.appendAsLeader(batch((int) end, 3, 0), 0).firstOffset(), what);
                assertEquals(expected(end + 3), readAll(reopened), what);
                m.close();

                LogManager clean = run.start();
                assertEquals(0, clean.recoveryProgress().segmentsRecovered(), what);
                assertEquals(expected(end + 3), readAll(clean.log(TP).orElseThrow()), what);
                clean.close();
            } finally {
                run.close();
            }
        }
    }

    private static void damage(Path file, int at, Damage damage, Random rnd) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            int size = (int) ch.size();
            switch (damage) {
                case TRUNCATE -> ch.truncate(at);
                case GARBLE_TO_END -> {
                    ByteBuffer buf = ByteBuffer.allocate(size - at);
                    ch.read(buf, at);
                    for (int i = 0; i < buf.capacity(); i++) {
                        buf.put(i, (byte) (buf.get(i) ^ (1 + rnd.nextInt(255))));
                    }
                    buf.rewind();
                    ch.write(buf, at);
                }
                case ZERO_FILL -> {
                    ch.truncate(at);
                    ch.write(ByteBuffer.allocate(1 + rnd.nextInt(4096)), at);
                }
                case FLIP_ONE_BYTE -> {
                    ByteBuffer one = ByteBuffer.allocate(1);
                    ch.read(one, at);
                    one.put(0, (byte) (one.get(0) ^ (1 + rnd.nextInt(255))));
                    one.rewind();
                    ch.write(one, at);
                }
            }
        }
    }

    @Test
    void restartAfterCleanShutdownDoesNotRescanAndKeepsOffsets() {
        LogManager m = h.start();
        PartitionLog log = m.getOrCreateLog(TP, h.defaults);
        for (int i = 0; i < 100; i++) {
            log.appendAsLeader(batch(i * 4, 4, 10_000 + i * 4), 0);
        }
        int segments = log.numberOfSegments();
        m.close();
        assertTrue(Files.exists(h.logDirs().get(0).resolve(LogManager.CLEAN_SHUTDOWN_FILE)));

        LogManager again = h.start();
        RecoveryProgress p = again.recoveryProgress();
        assertEquals(0, p.segmentsRecovered());
        assertEquals(segments, p.segmentsLoaded());
        assertEquals(1, p.partitionsLoaded());
        assertFalse(Files.exists(h.logDirs().get(0).resolve(LogManager.CLEAN_SHUTDOWN_FILE)),
                "marker is removed at startup so a later crash is detected");
        PartitionLog reopened = again.log(TP).orElseThrow();
        assertEquals(400, reopened.logEndOffset());
        assertEquals(400, reopened.recoveryPoint());
        assertEquals(expected(400), readAll(reopened));
        assertEquals(java.util.Optional.of(new OffsetAndTimestamp(222, 10_222)), reopened.offsetForTimestamp(10_222));
        assertEquals(400, reopened.appendAsLeader(batch(400, 1, 0), 0).firstOffset());
        again.close();
    }

    @Test
    void crashWithoutCheckpointRecoversOnlyFromTheRecoveryPoint() {
        LogManager m = h.start();
        PartitionLog log = m.getOrCreateLog(TP, h.defaults);
        appendFourHundredRecords(log);
        int segments = log.numberOfSegments();
        m.checkpointAll();
        m.simulateCrash();
        LogManager again = h.start();
        // Rolled segments were fsynced and checkpointed; only the active one is re-validated.
        assertEquals(1, again.recoveryProgress().segmentsRecovered());
        assertEquals(segments, again.log(TP).orElseThrow().numberOfSegments());
        assertEquals(expected(400), readAll(again.log(TP).orElseThrow()));
        again.close();
    }

    @Test
    void corruptOrMissingIndexFilesAreRebuiltAfterCleanShutdown() throws IOException {
        LogManager m = h.start();
        PartitionLog log = m.getOrCreateLog(TP, h.defaults);
        appendFourHundredRecords(log);
        Path dir = log.dir();
        List<Long> bases = log.segmentBaseOffsets();
        m.close();
        Path index = dir.resolve(LogSegment.fileName(bases.get(1), LogSegment.INDEX_SUFFIX));
        byte[] garbage = new byte[(int) Files.size(index)];
        java.util.Arrays.fill(garbage, (byte) 0x7f);
        Files.write(index, garbage);
        Files.delete(dir.resolve(LogSegment.fileName(bases.get(2), LogSegment.TIME_INDEX_SUFFIX)));

        LogManager again = h.start();
        assertEquals(2, again.recoveryProgress().segmentsRecovered());
        PartitionLog reopened = again.log(TP).orElseThrow();
        assertEquals(expected(400), readAll(reopened));
        long mid = bases.get(1) + 2;
        var found = reopened.read(mid, 100, Long.MAX_VALUE, true).records().batches().iterator().next();
        assertTrue(found.baseOffset() <= mid && mid <= found.lastOffset(),
                "the rebuilt index finds the batch holding offset " + mid + ", got " + found.baseOffset() + ".." + found.lastOffset());
        again.close();
    }

    @Test
    void segmentsAfterACorruptPointAreDeleted() throws IOException {
        LogManager m = h.start();
        PartitionLog log = m.getOrCreateLog(TP, h.defaults);
        appendFourHundredRecords(log);
        Path dir = log.dir();
        List<Long> bases = log.segmentBaseOffsets();
        m.simulateCrash();
        Files.delete(h.logDirs().get(0).resolve(LogManager.RECOVERY_POINT_CHECKPOINT));
        Path second = LogSegment.logFile(dir, bases.get(1));
        try (FileChannel ch = FileChannel.open(second, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        LogManager again = h.start();
        PartitionLog reopened = again.log(TP).orElseThrow();
        assertEquals(2, reopened.numberOfSegments());
        assertTrue(reopened.logEndOffset() < bases.get(2));
        assertTrue(again.recoveryProgress().bytesTruncated() > 0);
        for (int i = 2; i < bases.size(); i++) {
            assertFalse(Files.exists(LogSegment.logFile(dir, bases.get(i))));
        }
        assertEquals(expected(reopened.logEndOffset()), readAll(reopened));
        again.close();
    }

    @Test
    void checkpointFilesUseKafkasTextFormat() throws IOException {
        LogManager m = h.start();
        PartitionLog log = m.getOrCreateLog(TP, h.defaults);
        log.appendAsLeader(batch(0, 7, 0), 0);
        m.close();
        List<String> lines = Files.readAllLines(h.logDirs().get(0).resolve(LogManager.RECOVERY_POINT_CHECKPOINT));
        assertEquals(List.of("0", "1", "orders 0 7"), lines);
        List<String> start = Files.readAllLines(h.logDirs().get(0).resolve(LogManager.LOG_START_OFFSET_CHECKPOINT));
        assertEquals(List.of("0", "1", "orders 0 0"), start);
    }

    @Test
    void appendedDataSurvivesAProcessCrashWithoutAnyFsync() {
        LogManager m = h.start();
        PartitionLog log = m.getOrCreateLog(TP, config(Map.of()));
        for (int i = 0; i < 10; i++) {
            log.appendAsLeader(batch(i, 1, 0), 0);
        }
        assertEquals(0, log.recoveryPoint());
        m.simulateCrash();
        LogManager again = h.start();
        assertEquals(expected(10), readAll(again.log(TP).orElseThrow()));
        again.close();
    }
}
