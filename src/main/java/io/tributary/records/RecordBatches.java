package io.tributary.records;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.DefaultRecord;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The one place outside the storage engine and the protocol layer that touches kafka-clients'
 * record classes ({@code org.apache.kafka.common.record.internal}, an internal API that moves
 * between releases): building magic v2 batches from records that arrived over REST or WebSocket,
 * and reading records back out of log data.
 *
 * <p>Stateless and thread-safe.
 */
public final class RecordBatches {

    private RecordBatches() {
    }

    /**
     * Groups records into batches of at most {@code maxBatchBytes} each, in order, so that a
     * request of many small records becomes few appends while no batch exceeds the topic's
     * {@code max.message.bytes}.
     *
     * @throws RecordTooLargeException if one record alone would not fit in a batch
     */
    public static List<MemoryRecords> build(List<ProducedRecord> records, String topicCompressionType,
                                            int maxBatchBytes, long nowMs) {
        Compression compression = compressionFor(topicCompressionType);
        List<MemoryRecords> batches = new ArrayList<>(1);
        int start = 0;
        long estimate = DefaultRecordBatch.RECORD_BATCH_OVERHEAD;
        for (int i = 0; i < records.size(); i++) {
            int size = recordSizeUpperBound(records.get(i));
            if (DefaultRecordBatch.RECORD_BATCH_OVERHEAD + (long) size > maxBatchBytes) {
                throw new RecordTooLargeException("The record at index " + i + " is " + size
                        + " bytes, more than the topic's max.message.bytes (" + maxBatchBytes
                        + ") allows in a batch with its " + DefaultRecordBatch.RECORD_BATCH_OVERHEAD + "-byte overhead");
            }
            if (estimate + size > maxBatchBytes) {
                batches.add(buildOne(records.subList(start, i), compression, (int) estimate, nowMs));
                start = i;
                estimate = DefaultRecordBatch.RECORD_BATCH_OVERHEAD;
            }
            estimate += size;
        }
        if (start < records.size()) {
            batches.add(buildOne(records.subList(start, records.size()), compression, (int) estimate, nowMs));
        }
        return batches;
    }

    private static MemoryRecords buildOne(List<ProducedRecord> records, Compression compression, int sizeEstimate, long nowMs) {
        ByteBuffer buffer = ByteBuffer.allocate(Math.max(sizeEstimate, 256));
        try (MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, RecordBatch.CURRENT_MAGIC_VALUE, compression,
                TimestampType.CREATE_TIME, 0L)) {
            for (ProducedRecord r : records) {
                builder.append(r.timestamp() < 0 ? nowMs : r.timestamp(), r.key(), r.value(), r.headers());
            }
            return builder.build();
        }
    }

    static int recordSizeUpperBound(ProducedRecord r) {
        // Widest varints for the deltas keep this an upper bound whatever the record's position.
        return DefaultRecord.sizeInBytes(Integer.MAX_VALUE, Long.MAX_VALUE, r.key(), r.value(), r.headers());
    }

    /** The codec a broker-built batch uses for a topic's {@code compression.type}. */
    static Compression compressionFor(String topicCompressionType) {
        if (topicCompressionType == null) {
            return Compression.NONE;
        }
        return switch (topicCompressionType.toLowerCase(Locale.ROOT)) {
            case "gzip" -> Compression.gzip().build();
            case "snappy" -> Compression.snappy().build();
            case "lz4" -> Compression.lz4().build();
            case "zstd" -> Compression.zstd().build();
            // "producer" keeps the producer's codec; over REST the broker is the producer and sends none.
            default -> Compression.NONE;
        };
    }

    /**
     * Visits every record at or after {@code fromOffset}, in offset order, decompressing batches
     * as needed. Stops early when the visitor has seen {@code maxRecords}.
     *
     * @return the offset after the last record visited, or {@code fromOffset} if none was
     */
    public static long forEach(Records records, long fromOffset, int maxRecords, Consumer<ConsumedRecord> visitor) {
        return forEachWhile(records, fromOffset, maxRecords, r -> {
            visitor.accept(r);
            return true;
        });
    }

    /**
     * Like {@link #forEach}, but the visitor may stop the walk by returning false: the record it
     * refused does not count as visited, and no later record or batch is decoded (a batch of a
     * file-backed read is loaded from disk only when the walk reaches it).
     *
     * @return the offset after the last record the visitor took, or {@code fromOffset} if it took none
     */
    public static long forEachWhile(Records records, long fromOffset, int maxRecords, Predicate<ConsumedRecord> visitor) {
        long next = fromOffset;
        int seen = 0;
        for (RecordBatch batch : records.batches()) {
            if (batch.lastOffset() < fromOffset || batch.isControlBatch()) {
                next = Math.max(next, batch.nextOffset());
                continue;
            }
            TimestampType type = batch.timestampType();
            int epoch = batch.partitionLeaderEpoch();
            for (Record r : batch) {
                if (r.offset() < fromOffset) {
                    continue;
                }
                if (seen == maxRecords) {
                    return next;
                }
                long timestamp = type == TimestampType.LOG_APPEND_TIME ? batch.maxTimestamp() : r.timestamp();
                if (!visitor.test(new ConsumedRecord(r.offset(), timestamp, type, epoch,
                        r.hasKey() ? r.key().asReadOnlyBuffer() : null,
                        r.hasValue() ? r.value().asReadOnlyBuffer() : null,
                        r.headers(), r.sizeInBytes()))) {
                    return next;
                }
                seen++;
                next = r.offset() + 1;
            }
        }
        return next;
    }
}
