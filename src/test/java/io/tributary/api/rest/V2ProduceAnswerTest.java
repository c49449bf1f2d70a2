package io.tributary.api.rest;

import io.tributary.broker.RecordService.ProduceResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class V2ProduceAnswerTest {

    @Test
    void answerIsWhatTheJsonbCodecWrites() {
        // JsonCodec's output for the same V2Dtos.ProduceResponse (JSON-B, snake_case, lexicographic, nulls kept).
        assertEquals("{\"key_schema_id\":null,\"offsets\":[{\"error\":null,\"error_code\":null,\"offset\":0,\"partition\":2},"
                        + "{\"error\":null,\"error_code\":null,\"offset\":9223372036854775807,\"partition\":0}],"
                        + "\"value_schema_id\":null}",
                V2ProduceAnswer.write(List.of(new ProduceResult(2, 0, -1), new ProduceResult(0, Long.MAX_VALUE, 5))));
    }

    @Test
    void noOffsets() {
        assertEquals("{\"key_schema_id\":null,\"offsets\":[],\"value_schema_id\":null}", V2ProduceAnswer.write(List.of()));
    }
}
