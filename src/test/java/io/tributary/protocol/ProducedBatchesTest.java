package io.tributary.protocol;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Topic-level compression.type applied to what producers send. */
class ProducedBatchesTest {

    private static MemoryRecords batch(Compression compression) {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(4096), RecordBatch.CURRENT_MAGIC_VALUE,
                compression, TimestampType.CREATE_TIME, 0L, 1_000L, 42L, (short) 3, 17);
        for (int i = 0; i < 10; i++) {
            b.append(1_000L + i, ("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    @Test
    void producerOrAMatchingCodecKeepsTheBytesAsSent() {
        MemoryRecords gzip = batch(Compression.gzip().build());
        assertSame(gzip, ProducedBatches.withTopicCompression(gzip, "producer"));
        assertSame(gzip, ProducedBatches.withTopicCompression(gzip, "gzip"));
        MemoryRecords none = batch(Compression.NONE);
        assertSame(none, ProducedBatches.withTopicCompression(none, "uncompressed"));
    }

    @Test
    void anotherCodecIsReencodedKeepingProducerFieldsTimestampsAndRecords() {
        for (String codec : List.of("gzip", "snappy", "lz4", "zstd", "uncompressed")) {
            MemoryRecords in = batch(codec.equals("lz4") ? Compression.zstd().build() : Compression.lz4().build());
            MemoryRecords out = ProducedBatches.withTopicCompression(in, codec);
            MutableRecordBatch batch = out.batches().iterator().next();
            batch.ensureValid();
            assertEquals(codec.equals("uncompressed") ? CompressionType.NONE : CompressionType.forName(codec),
                    batch.compressionType());
            assertEquals(42L, batch.producerId());
            assertEquals(3, batch.producerEpoch());
            assertEquals(17, batch.baseSequence());
            assertEquals(26, batch.lastSequence());
            List<String> values = new ArrayList<>();
            for (Record r : batch) {
                values.add(StandardCharsets.UTF_8.decode(r.value()).toString() + "@" + r.timestamp());
            }
            assertEquals("v0@1000", values.get(0));
            assertEquals("v9@1009", values.get(9));
        }
    }
}
