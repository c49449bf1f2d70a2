package io.tributary.api.rest;

import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.broker.RecordService.ProduceResult;
import io.tributary.broker.UnknownPartitionException;
import io.tributary.broker.UnknownTopicException;
import jakarta.json.Json;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RecordStreamProducerTest {

    /** A one-partition log: appends all or nothing, rejects partitions other than 0, counts calls. */
    private static final class Log implements BiFunction<String, List<ProduceRequest>, List<ProduceResult>> {
        final List<Integer> callSizes = new ArrayList<>();
        RuntimeException failure;
        long next;

        @Override
        public List<ProduceResult> apply(String topic, List<ProduceRequest> requests) {
            callSizes.add(requests.size());
            if (failure != null) {
                throw failure;
            }
            for (ProduceRequest r : requests) {
                if (r.partition() > 0) {
                    throw new UnknownPartitionException(topic, r.partition(), 1);
                }
            }
            List<ProduceResult> out = new ArrayList<>();
            for (ProduceRequest r : requests) {
                out.add(new ProduceResult(0, next++, 1000));
            }
            return out;
        }
    }

    private static List<JsonObject> run(Log log, InputStream body) throws IOException {
        // The resource maps failures with ErrorMapper, which needs a JAX-RS runtime; these codes match it.
        RecordStreamProducer producer = new RecordStreamProducer("c", "t", log, e -> new ErrorResponse(
                e instanceof RestException r ? r.status() : e instanceof UnknownTopicOrPartitionException ? 404 : 500,
                e.getMessage()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        producer.run(Optional.empty(), new JsonObjectStream(body), out);
        List<JsonObject> lines = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            lines.add(Json.createReader(new StringReader(line)).readObject());
        }
        return lines;
    }

    private static InputStream body(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String records(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("{\"value\": {\"type\": \"STRING\", \"data\": \"v").append(i).append("\"}}\n");
        }
        return b.toString();
    }

    @Test
    void recordsReceivedTogetherAreStoredInOneCall() throws IOException {
        Log log = new Log();
        List<JsonObject> answers = run(log, body(records(5)));
        assertEquals(List.of(5), log.callSizes);
        for (int i = 0; i < 5; i++) {
            assertEquals(200, answers.get(i).getInt("error_code"));
            assertEquals(i, answers.get(i).getJsonNumber("offset").longValue());
            assertEquals("1970-01-01T00:00:01Z", answers.get(i).getString("timestamp"));
            assertEquals(2, answers.get(i).getJsonObject("value").getInt("size"));
        }
    }

    @Test
    void groupsAreBounded() throws IOException {
        Log log = new Log();
        assertEquals(RecordStreamProducer.MAX_GROUP_RECORDS + 1,
                run(log, body(records(RecordStreamProducer.MAX_GROUP_RECORDS + 1))).size());
        assertEquals(List.of(RecordStreamProducer.MAX_GROUP_RECORDS, 1), log.callSizes);
    }

    @Test
    void aBadRecordIsAnsweredInPlaceAndTheOthersAreStored() throws IOException {
        Log log = new Log();
        List<JsonObject> answers = run(log, body("{\"value\": {\"data\": 1}}"
                + "{\"partition_id\": 3, \"value\": {\"data\": 2}}"
                + "{\"value\": {\"type\": \"NOPE\", \"data\": 3}}"
                + "{\"value\": {\"data\": 4}}"));
        assertEquals(4, answers.size());
        assertEquals(0, answers.get(0).getJsonNumber("offset").longValue());
        assertEquals(404, answers.get(1).getInt("error_code"), "unknown partition");
        assertEquals(422, answers.get(2).getInt("error_code"), "unparseable record");
        assertEquals(1, answers.get(3).getJsonNumber("offset").longValue());
        assertEquals(List.of(3, 1, 1, 1), log.callSizes, "the group failed as a whole, then each record alone");
    }

    @Test
    void aFailureOfTheTopicIsAnsweredToEveryRecordWithoutRetry() throws IOException {
        Log log = new Log();
        log.failure = new UnknownTopicException("t", ".");
        List<JsonObject> answers = run(log, body(records(3)));
        assertEquals(3, answers.size());
        answers.forEach(a -> assertEquals(404, a.getInt("error_code")));
        assertEquals(List.of(3), log.callSizes);
    }

    @Test
    void malformedJsonEndsTheStreamAfterTheRecordsBeforeIt() throws IOException {
        Log log = new Log();
        List<JsonObject> answers = run(log, body(records(2) + "{\"value\": tru}" + records(2)));
        assertEquals(3, answers.size());
        assertEquals(1, answers.get(1).getJsonNumber("offset").longValue());
        assertEquals(400, answers.get(2).getInt("error_code"));
        assertEquals(List.of(2), log.callSizes);
    }
}
