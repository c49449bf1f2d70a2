package io.tributary.records;

import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordBatchesTest {

    private static ProducedRecord record(String key, String value) {
        return new ProducedRecord(key == null ? null : ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)),
                value == null ? null : ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)), 1000L,
                new Header[] {new RecordHeader("h", new byte[] {1})});
    }

    @Test
    void recordsOfOneCallBecomeOneBatchThatRoundTrips() {
        List<ProducedRecord> records = List.of(record("a", "1"), record(null, "2"), record("c", null));
        List<MemoryRecords> batches = RecordBatches.build(records, "producer", 1_048_588, 5000L);
        assertEquals(1, batches.size());
        List<ConsumedRecord> back = new ArrayList<>();
        long next = RecordBatches.forEach(batches.get(0), 0, Integer.MAX_VALUE, back::add);
        assertEquals(3, next);
        assertEquals(3, back.size());
        assertEquals("a", StandardCharsets.UTF_8.decode(back.get(0).key()).toString());
        assertNull(back.get(1).key());
        assertNull(back.get(2).value());
        assertEquals(1000L, back.get(0).timestamp());
        assertEquals("h", back.get(0).headers()[0].key());
        for (MutableRecordBatch b : batches.get(0).batches()) {
            b.ensureValid();
        }
    }

    @Test
    void batchesAreSplitToStayWithinTheLimit() {
        List<ProducedRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(record(null, "x".repeat(100)));
        }
        List<MemoryRecords> batches = RecordBatches.build(records, "producer", 2_000, 0L);
        assertTrue(batches.size() > 5);
        int total = 0;
        for (MemoryRecords b : batches) {
            assertTrue(b.sizeInBytes() <= 2_000, "batch of " + b.sizeInBytes());
            total += RecordBatches.forEach(b, 0, Integer.MAX_VALUE, r -> { });
        }
        assertEquals(100, total);
    }

    @Test
    void aRecordLargerThanTheLimitIsRejected() {
        assertThrows(RecordTooLargeException.class,
                () -> RecordBatches.build(List.of(record(null, "x".repeat(3_000))), "producer", 2_000, 0L));
    }

    @Test
    void topicCompressionIsApplied() {
        List<ProducedRecord> records = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            records.add(record("k", "same value ".repeat(20)));
        }
        for (String codec : List.of("gzip", "snappy", "lz4", "zstd")) {
            MemoryRecords batch = RecordBatches.build(records, codec, 1_048_588, 0L).get(0);
            assertEquals(codec, batch.batches().iterator().next().compressionType().name);
            List<ConsumedRecord> back = new ArrayList<>();
            RecordBatches.forEach(batch, 10, Integer.MAX_VALUE, back::add);
            assertEquals(40, back.size(), codec);
            assertEquals(10, back.get(0).offset());
        }
    }

    @Test
    void aWalkStopsAtTheRecordTheVisitorRefusesAndReturnsTheOffsetAfterTheLastItTook() {
        List<ProducedRecord> records = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            records.add(record(null, "v" + i));
        }
        MemoryRecords batch = RecordBatches.build(records, "producer", 1_048_588, 0L).get(0);
        List<Long> seen = new ArrayList<>();
        long next = RecordBatches.forEachWhile(batch, 5, Integer.MAX_VALUE, r -> {
            seen.add(r.offset());
            return r.offset() < 12;
        });
        assertEquals(12, next, "after offset 11, the last record taken");
        assertEquals(List.of(5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), seen, "nothing visited after the refused record");
    }
}
