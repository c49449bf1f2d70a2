package io.tributary.protocol;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the Produce path needs to know about, and do to, a request's record batches, kept in one
 * class because kafka-clients' record classes live in an internal package that moves between
 * releases.
 *
 * <p>Stateless and thread-safe.
 */
final class ProducedBatches {

    private ProducedBatches() {
    }

    /** Whether any batch claims to be part of a transaction (not supported yet). */
    static boolean anyTransactional(MemoryRecords records) {
        for (MutableRecordBatch batch : records.batches()) {
            if (batch.isTransactional() || batch.isControlBatch()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The records as the topic's {@code compression.type} wants them stored: unchanged for
     * {@code producer} or when every batch already uses the topic's codec (the common case, so
     * the bytes the producer sent are the bytes in the log), otherwise each batch rebuilt with
     * the topic's codec, keeping its producer id, epoch, sequence, timestamps and headers.
     */
    static MemoryRecords withTopicCompression(MemoryRecords records, String topicCompressionType) {
        String wanted = topicCompressionType == null ? "producer" : topicCompressionType.toLowerCase(Locale.ROOT);
        if (wanted.equals("producer")) {
            return records;
        }
        CompressionType target = wanted.equals("uncompressed") ? CompressionType.NONE : CompressionType.forName(wanted);
        boolean allMatch = true;
        int estimate = 0;
        for (MutableRecordBatch batch : records.batches()) {
            allMatch &= batch.compressionType() == target;
            estimate += batch.sizeInBytes();
        }
        if (allMatch) {
            return records;
        }
        Compression compression = Compression.of(target).build();
        List<ByteBuffer> rebuilt = new ArrayList<>();
        int total = 0;
        for (MutableRecordBatch batch : records.batches()) {
            batch.ensureValid();
            if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                throw new InvalidRecordException("Record batch magic " + batch.magic() + " is not supported");
            }
            MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(Math.max(256, batch.sizeInBytes())),
                    RecordBatch.MAGIC_VALUE_V2, compression, batch.timestampType(), batch.baseOffset(),
                    RecordBatch.NO_TIMESTAMP, batch.producerId(), batch.producerEpoch(), batch.baseSequence(), false,
                    RecordBatch.NO_PARTITION_LEADER_EPOCH);
            for (Record r : batch) {
                builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), r.headers());
            }
            ByteBuffer built = builder.build().buffer();
            rebuilt.add(built);
            total += built.remaining();
        }
        ByteBuffer out = ByteBuffer.allocate(total);
        rebuilt.forEach(out::put);
        return MemoryRecords.readableRecords(out.flip());
    }
}
