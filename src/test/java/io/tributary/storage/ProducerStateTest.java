package io.tributary.storage;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static io.tributary.storage.StorageTestSupport.TP;
import static io.tributary.storage.StorageTestSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Idempotent producers through the partition log: duplicates, gaps, epochs, and state after a restart. */
class ProducerStateTest extends LogManagerTestBase {

    /** A batch of {@code count} records from producer {@code pid} at {@code epoch} starting at {@code seq}. */
    static MemoryRecords producerBatch(long pid, short epoch, int seq, int count) {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, 0L, 1_000L, pid, epoch, seq);
        for (int i = 0; i < count; i++) {
            b.append(1_000L + i, null, ("s" + (seq + i)).getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    private PartitionLog log() {
        return manager.getOrCreateLog(TP, config(Map.of()));
    }

    @Test
    void aRetriedBatchIsNotAppendedAgainAndGetsItsOriginalOffsets() {
        PartitionLog log = log();
        log.appendAsLeader(StorageTestSupport.batch(0, 3, 0), 0);
        assertEquals(3, log.appendAsLeader(producerBatch(7, (short) 0, 0, 2), 0).firstOffset());
        assertEquals(5, log.appendAsLeader(producerBatch(7, (short) 0, 2, 2), 0).firstOffset());

        PartitionLog.LogAppendInfo retry = log.appendAsLeader(producerBatch(7, (short) 0, 0, 2), 0);
        assertEquals(3, retry.firstOffset());
        assertEquals(4, retry.lastOffset());
        assertEquals(0, retry.recordCount());
        assertEquals(7, log.logEndOffset(), "nothing appended for the duplicate");
    }

    @Test
    void aSequenceGapIsRejectedAndNothingIsAppended() {
        PartitionLog log = log();
        log.appendAsLeader(producerBatch(7, (short) 0, 0, 2), 0);
        assertThrows(OutOfOrderSequenceException.class, () -> log.appendAsLeader(producerBatch(7, (short) 0, 5, 1), 0));
        assertThrows(OutOfOrderSequenceException.class, () -> log.appendAsLeader(producerBatch(7, (short) 0, 1, 2), 0));
        assertEquals(2, log.logEndOffset());
        assertEquals(2, log.appendAsLeader(producerBatch(7, (short) 0, 2, 1), 0).firstOffset());
    }

    @Test
    void epochsMoveForwardOnlyAndANewEpochStartsAtZero() {
        PartitionLog log = log();
        log.appendAsLeader(producerBatch(7, (short) 1, 0, 2), 0);
        assertThrows(InvalidProducerEpochException.class, () -> log.appendAsLeader(producerBatch(7, (short) 0, 2, 1), 0));
        assertThrows(OutOfOrderSequenceException.class, () -> log.appendAsLeader(producerBatch(7, (short) 2, 3, 1), 0));
        assertEquals(2, log.appendAsLeader(producerBatch(7, (short) 2, 0, 1), 0).firstOffset());
    }

    @Test
    void producersAreIndependentAndAnUnknownProducerMayStartAnywhere() {
        PartitionLog log = log();
        log.appendAsLeader(producerBatch(1, (short) 0, 0, 1), 0);
        log.appendAsLeader(producerBatch(2, (short) 0, 40, 1), 0);
        log.appendAsLeader(producerBatch(1, (short) 0, 1, 1), 0);
        assertEquals(2, log.producerCount());
        assertEquals(1, log.appendAsLeader(producerBatch(2, (short) 0, 40, 1), 0).firstOffset());
    }

    @Test
    void onlyTheLastFiveBatchesAreRemembered() {
        PartitionLog log = log();
        for (int seq = 0; seq < 7; seq++) {
            log.appendAsLeader(producerBatch(7, (short) 0, seq, 1), 0);
        }
        assertEquals(2, log.appendAsLeader(producerBatch(7, (short) 0, 2, 1), 0).firstOffset(), "fifth newest");
        assertThrows(OutOfOrderSequenceException.class, () -> log.appendAsLeader(producerBatch(7, (short) 0, 1, 1), 0));
    }

    @Test
    void theStateIsRebuiltFromTheLogAfterARestart() throws Exception {
        PartitionLog log = log();
        log.appendAsLeader(producerBatch(7, (short) 0, 0, 2), 0);
        log.appendAsLeader(producerBatch(7, (short) 0, 2, 2), 0);
        manager.close();
        manager = h.start();
        PartitionLog reopened = manager.log(TP).orElseThrow();
        assertEquals(1, reopened.producerCount());
        assertEquals(2, reopened.appendAsLeader(producerBatch(7, (short) 0, 2, 2), 0).firstOffset(), "duplicate after restart");
        assertThrows(OutOfOrderSequenceException.class, () -> reopened.appendAsLeader(producerBatch(7, (short) 0, 9, 1), 0));
        assertEquals(4, reopened.appendAsLeader(producerBatch(7, (short) 0, 4, 1), 0).firstOffset());
    }

    @Test
    void aRequestOfSeveralBatchesIsCheckedInOrder() {
        PartitionLog log = log();
        MemoryRecords first = producerBatch(7, (short) 0, 0, 2);
        MemoryRecords second = producerBatch(7, (short) 0, 2, 2);
        ByteBuffer both = ByteBuffer.allocate(first.sizeInBytes() + second.sizeInBytes());
        both.put(first.buffer().duplicate()).put(second.buffer().duplicate()).flip();
        assertEquals(0, log.appendAsLeader(MemoryRecords.readableRecords(both), 0).firstOffset());
        assertEquals(4, log.appendAsLeader(producerBatch(7, (short) 0, 4, 1), 0).firstOffset());
    }

    @Test
    void aProducerIdleForADayIsForgotten() {
        PartitionLog log = log();
        log.appendAsLeader(producerBatch(7, (short) 0, 0, 2), 0);
        h.clock.advance(ProducerStateManager.EXPIRATION_MS - 1);
        log.appendAsLeader(producerBatch(8, (short) 0, 0, 1), 0);
        log.expireProducers(h.clock.millis());
        assertEquals(2, log.producerCount(), "not idle for a day yet");
        h.clock.advance(1);
        log.expireProducers(h.clock.millis());
        assertEquals(1, log.producerCount(), "producer 7 is forgotten, 8 is kept");
        assertEquals(3, log.appendAsLeader(producerBatch(7, (short) 0, 40, 1), 0).firstOffset(),
                "a forgotten producer is accepted at any sequence");
    }
}
