package io.tributary.storage;

import static io.tributary.storage.StorageTestSupport.TP;
import static io.tributary.storage.StorageTestSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.Test;

class CompactionTest extends LogManagerTestBase {

    private static final Map<String, String> COMPACT = Map.of("cleanup.policy", "compact", "segment.bytes", "1200",
            "delete.retention.ms", "60000");


    /** One batch of (key, value) records; a null value is a tombstone. */
    private MemoryRecords batch(Compression compression, String... keyValues) {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        MemoryRecordsBuilder b = MemoryRecords.builder(buf, RecordBatch.CURRENT_MAGIC_VALUE, compression,
                TimestampType.CREATE_TIME, 0L);
        for (int i = 0; i < keyValues.length; i += 2) {
            b.append(h.clock.millis(), bytes(keyValues[i]), bytes(keyValues[i + 1]));
        }
        return b.build();
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private void append(PartitionLog log, Compression compression, String... keyValues) {
        log.appendAsLeader(batch(compression, keyValues), 0);
        log.updateHighWatermark(log.logEndOffset());
    }

    /** Offset -> "key=value" of every record, in log order. */
    private static Map<Long, String> contents(PartitionLog log) {
        Map<Long, String> out = new LinkedHashMap<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            Records r = log.read(next, 1 << 20, Long.MAX_VALUE, true).records();
            long last = next - 1;
            for (Record rec : r.records()) {
                if (rec.offset() >= next) {
                    out.put(rec.offset(), str(rec.key()) + "=" + str(rec.value()));
                }
                last = rec.offset();
            }
            if (last < next) {
                // An emptied segment: continue after it.
                next = nextBatchAfter(log, next);
            } else {
                next = last + 1;
            }
        }
        return out;
    }

    private static long nextBatchAfter(PartitionLog log, long offset) {
        for (long base : log.segmentBaseOffsets()) {
            if (base > offset) {
                return base;
            }
        }
        return log.logEndOffset();
    }

    private static String str(ByteBuffer b) {
        if (b == null) {
            return "null";
        }
        return StandardCharsets.UTF_8.decode(b.duplicate()).toString();
    }

    /** Writes 10 keys x 12 rounds, round r giving key k the value "k-r", so the newest is round 11. */
    private Map<String, Long> writeRounds(PartitionLog log, Compression compression) {
        Map<String, Long> newest = new TreeMap<>();
        for (int round = 0; round < 12; round++) {
            List<String> kv = new ArrayList<>();
            for (int k = 0; k < 10; k++) {
                kv.add("key" + k);
                kv.add("key" + k + "-" + round);
            }
            long first = log.logEndOffset();
            append(log, compression, kv.toArray(new String[0]));
            for (int k = 0; k < 10; k++) {
                newest.put("key" + k, first + k);
            }
        }
        return newest;
    }

    @Test
    void compactionKeepsTheLatestRecordPerKeyAtItsOriginalOffset() throws Exception {
        for (Compression codec : List.of(Compression.NONE, Compression.zstd().build(), Compression.gzip().build())) {
            TopicPartitionCleanup.reset(manager);
            PartitionLog log = manager.getOrCreateLog(TP, config(COMPACT));
            writeRounds(log, codec);
            append(log, codec, "tail", "in-the-active-segment");
            long end = log.logEndOffset();
            Map<Long, String> before = contents(log);

            manager.compactNow(TP);

            Map<Long, String> after = contents(log);
            assertEquals(end, log.logEndOffset(), "the end offset never changes");
            assertTrue(after.size() < before.size(), codec + ": " + after.size() + " of " + before.size());
            // Every surviving record is exactly what was at that offset before, in the same order.
            for (Map.Entry<Long, String> e : after.entrySet()) {
                assertEquals(before.get(e.getKey()), e.getValue(), "offset " + e.getKey());
            }
            // For every key, the newest value survived; older ones only if they sit in the active segment.
            for (int k = 0; k < 10; k++) {
                String key = "key" + k;
                List<String> values = after.values().stream().filter(v -> v.startsWith(key + "=")).toList();
                assertTrue(values.contains(key + "=" + key + "-11"), key + " " + values);
            }
            // Below the active segment (the cleaned range) each key appears at most once.
            long activeBase = log.segmentBaseOffsets().get(log.numberOfSegments() - 1);
            Map<String, Long> perKey = new TreeMap<>();
            after.forEach((offset, kv) -> {
                if (offset < activeBase) {
                    perKey.merge(kv.substring(0, kv.indexOf('=')), 1L, Long::sum);
                }
            });
            assertTrue(perKey.values().stream().allMatch(n -> n == 1), codec + ": " + perKey + " in " + after);
            manager.deleteLog(TP);
        }
    }

    @Test
    void tombstonesAreKeptForDeleteRetentionThenDropped() throws Exception {
        PartitionLog log = manager.getOrCreateLog(TP, config(COMPACT));
        append(log, Compression.NONE, "gone", "v1", "kept", "k1");
        append(log, Compression.NONE, "gone", null);
        writeRounds(log, Compression.NONE);

        manager.compactNow(TP);
        assertTrue(contents(log).containsValue("gone=null"), "the tombstone stays for delete.retention.ms");
        assertTrue(!contents(log).containsValue("gone=v1"), "the value it deleted is gone at once");

        h.clock.advance(61_000);
        manager.compactNow(TP);
        Map<Long, String> after = contents(log);
        assertTrue(after.values().stream().noneMatch(v -> v.startsWith("gone=")), after.toString());
        assertTrue(after.containsValue("kept=k1"));
    }

    @Test
    void aCompactedLogRecoversAfterACrashWithItsGaps() throws Exception {
        PartitionLog log = manager.getOrCreateLog(TP, config(COMPACT));
        writeRounds(log, Compression.NONE);
        append(log, Compression.NONE, "tail", "t");
        manager.compactNow(TP);
        Map<Long, String> compacted = contents(log);
        long end = log.logEndOffset();

        manager.simulateCrash();
        manager = startWith(COMPACT);
        PartitionLog reopened = manager.log(TP).orElseThrow();
        reopened.updateHighWatermark(reopened.logEndOffset());
        assertEquals(end, reopened.logEndOffset());
        assertEquals(compacted, contents(reopened));
        assertEquals(0, manager.recoveryProgress().bytesTruncated(), "gaps are not mistaken for corruption");
    }

    @Test
    void aRestartInTheMiddleOfCompactionLosesNothing() throws Exception {
        PartitionLog log = manager.getOrCreateLog(TP, config(COMPACT));
        writeRounds(log, Compression.NONE);
        append(log, Compression.NONE, "tail", "t");
        Map<Long, String> original = contents(log);
        long firstBase = log.segmentBaseOffsets().get(0);
        Path dir = log.dir();
        Path firstLog = dir.resolve(LogSegment.fileName(firstBase, LogSegment.LOG_SUFFIX));
        Path saved = tmp.resolve("original.log");
        Files.copy(firstLog, saved);

        manager.compactNow(TP);
        Map<Long, String> compacted = contents(log);
        Path cleaned = tmp.resolve("cleaned.log");
        Files.copy(firstLog, cleaned);
        manager.close();

        // Crash 1: a cleaning that never finished left a .cleaned file beside the original.
        Files.copy(saved, firstLog, StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve(firstLog.getFileName() + ".cleaned"), "half written");
        manager = startWith(COMPACT);
        PartitionLog reopened = manager.log(TP).orElseThrow();
        reopened.updateHighWatermark(reopened.logEndOffset());
        Map<Long, String> expectFirst = new LinkedHashMap<>(compacted);
        assertTrue(contents(reopened).keySet().containsAll(compacted.keySet()), "nothing that should remain is lost");
        assertTrue(Files.notExists(dir.resolve(firstLog.getFileName() + ".cleaned")));
        manager.close();

        // Crash 2: the cleaned copy was moved to .swap and the original retired, but not yet swapped in.
        Files.move(firstLog, dir.resolve(firstLog.getFileName() + ".deleted"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(cleaned, dir.resolve(firstLog.getFileName() + ".swap"));
        manager = startWith(COMPACT);
        reopened = manager.log(TP).orElseThrow();
        reopened.updateHighWatermark(reopened.logEndOffset());
        Map<Long, String> now = contents(reopened);
        assertTrue(now.keySet().containsAll(expectFirst.keySet()), "the swap was completed: " + now);
        for (Map.Entry<Long, String> e : now.entrySet()) {
            assertEquals(original.get(e.getKey()), e.getValue());
        }
    }

    @Test
    void aCompactedTopicRefusesRecordsWithoutAKey() {
        PartitionLog log = manager.getOrCreateLog(TP, config(COMPACT));
        ByteBuffer buf = ByteBuffer.allocate(1024);
        MemoryRecordsBuilder b = MemoryRecords.builder(buf, RecordBatch.CURRENT_MAGIC_VALUE, Compression.NONE,
                TimestampType.CREATE_TIME, 0L);
        b.append(0L, (byte[]) null, bytes("no key"));
        assertThrows(InvalidRecordException.class, () -> log.appendAsLeader(b.build(), 0));
        assertEquals(0, log.logEndOffset());
    }

    @Test
    void compactAndDeleteTogetherApplyBoth() throws Exception {
        Map<String, String> both = new java.util.HashMap<>(COMPACT);
        both.put("cleanup.policy", "compact,delete");
        both.put("retention.ms", "3600000");
        PartitionLog log = manager.getOrCreateLog(TP, config(both));
        writeRounds(log, Compression.NONE);
        manager.compactNow(TP);
        assertTrue(contents(log).size() < 120);
        h.clock.advance(2 * 3_600_000L);
        assertTrue(log.applyRetention(h.clock.millis()) > 0);
        assertEquals(log.logEndOffset(), log.logStartOffset());
    }

    private LogManager startWith(Map<String, String> topicConfig) {
        LogManager m = new LogManager(new LogManagerConfig(h.logDirs(), 60_000, 60_000, 2), h.defaults, h.clock,
                h.scheduler, h.recovery, h.fileIo);
        m.startup(t -> config(topicConfig)).join();
        return m;
    }

    /** Makes each codec round start from an empty log. */
    private static final class TopicPartitionCleanup {
        static void reset(LogManager m) {
            if (m.log(TP).isPresent()) {
                m.deleteLog(TP);
            }
        }
    }
}
