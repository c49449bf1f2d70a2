package io.tributary.api.rest;

import io.tributary.broker.RecordService.ProduceResult;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class V2ProduceAnswerTest {

    @Test
    void answerIsWhatTheJsonbCodecWrites() {
        // JsonCodec's output for the same V2Dtos.ProduceResponse (JSON-B, snake_case, lexicographic, nulls kept).
        assertEquals("{\"key_schema_id\":null,\"offsets\":[{\"error\":null,\"error_code\":null,\"offset\":0,\"partition\":2},"
                        + "{\"error\":null,\"error_code\":null,\"offset\":9223372036854775807,\"partition\":0}],"
                        + "\"value_schema_id\":null}",
                text(List.of(new ProduceResult(2, 0, -1), new ProduceResult(0, Long.MAX_VALUE, 5))));
    }

    @Test
    void noOffsets() {
        assertEquals("{\"key_schema_id\":null,\"offsets\":[],\"value_schema_id\":null}", text(List.of()));
    }

    @Test
    void numbersOfEveryWidthAndSign() {
        long[] values = {0, 9, 10, 99, 100, 123456789, 1_000_000_000_000L, -1, -10, -987654321, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long v : values) {
            assertEquals("{\"key_schema_id\":null,\"offsets\":[{\"error\":null,\"error_code\":null,\"offset\":" + v
                            + ",\"partition\":" + (int) v + "}],\"value_schema_id\":null}",
                    text(List.of(new ProduceResult((int) v, v, 0))), Long.toString(v));
        }
    }

    private static String text(List<ProduceResult> results) {
        return new String(V2ProduceAnswer.write(results), StandardCharsets.UTF_8);
    }
}
