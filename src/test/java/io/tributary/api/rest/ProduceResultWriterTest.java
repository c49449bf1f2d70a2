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
}
