package io.tributary.api.rest;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProduceResultWriterTest {

    @Test
    void linesAreWhatTheJsonbCodecWrites() throws IOException {
        // The expected lines are JsonCodec's output for the same results (JSON-B, snake_case, nulls kept).
        ProduceResultWriter w = new ProduceResultWriter();
        assertTrue(w.isEmpty());
        w.add(new V3Dtos.ProduceResult(200, null, "c\"1", "t", 1, 5L, "2024-01-01T00:00:00Z",
                new V3Dtos.Size("BINARY", 100), null));
        w.add(new V3Dtos.ProduceResult(422, "bad \u00e9\n", "c", "t", null, null, null, null, null));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        w.flushTo(out);
        assertEquals("{\"cluster_id\":\"c\\\"1\",\"error_code\":200,\"key\":{\"size\":100,\"type\":\"BINARY\"},"
                + "\"message\":null,\"offset\":5,\"partition_id\":1,\"timestamp\":\"2024-01-01T00:00:00Z\","
                + "\"topic_name\":\"t\",\"value\":null}\n"
                + "{\"cluster_id\":\"c\",\"error_code\":422,\"key\":null,\"message\":\"bad \u00e9\\n\",\"offset\":null,"
                + "\"partition_id\":null,\"timestamp\":null,\"topic_name\":\"t\",\"value\":null}\n",
                out.toString(StandardCharsets.UTF_8));
        assertTrue(w.isEmpty(), "flushing empties the writer");
    }

    @Test
    void plainLinesAreWhatTheGeneratorWrites() throws IOException {
        // Lines written straight as bytes against the same lines through JSON-P (non-plain strings force it).
        V3Dtos.ProduceResult[] results = {
            new V3Dtos.ProduceResult(200, null, "cluster-1", "topic.a_b", 0, 0L, "2024-01-01T00:00:00.123Z",
                    new V3Dtos.Size("BINARY", 0), new V3Dtos.Size("JSON", 123456)),
            new V3Dtos.ProduceResult(200, null, "c", "t", 2147483647, Long.MAX_VALUE, "1970-01-01T00:00:00Z", null,
                    new V3Dtos.Size("STRING", 2147483647)),
            new V3Dtos.ProduceResult(40402, "Partition 9 does not exist.", "c", "t", null, null, null, null, null),
            new V3Dtos.ProduceResult(-1, "", "", "", -5, -7L, "", new V3Dtos.Size("", -1), null),
        };
        for (V3Dtos.ProduceResult r : results) {
            ProduceResultWriter w = new ProduceResultWriter();
            w.add(r);
            ByteArrayOutputStream direct = new ByteArrayOutputStream();
            w.flushTo(direct);
            // The same line with one character the direct path does not take, then that character removed.
            ProduceResultWriter g = new ProduceResultWriter();
            g.add(new V3Dtos.ProduceResult(r.errorCode(), r.message(), r.clusterId() + "\u00e9", r.topicName(),
                    r.partitionId(), r.offset(), r.timestamp(), r.key(), r.value()));
            ByteArrayOutputStream generated = new ByteArrayOutputStream();
            g.flushTo(generated);
            assertEquals(generated.toString(StandardCharsets.UTF_8).replace("\u00e9", ""), direct.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void manyLinesGrowTheBuffer() throws IOException {
        ProduceResultWriter w = new ProduceResultWriter();
        for (int i = 0; i < 2000; i++) {
            w.add(new V3Dtos.ProduceResult(200, null, "c", "t", 0, (long) i, "2024-01-01T00:00:00Z", null, null));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        w.flushTo(out);
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2000, lines.length);
        assertTrue(lines[1999].contains("\"offset\":1999,"), lines[1999]);
    }
}
