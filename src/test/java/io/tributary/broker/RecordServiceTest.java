package io.tributary.broker;

import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.broker.RecordService.ProduceResult;
import io.tributary.records.ConsumedRecord;
import io.tributary.records.ProducedRecord;
import io.tributary.testing.SingleBrokerStack;
import io.tributary.testing.SingleBrokerStack.ReplicaUpdates;
import io.tributary.testing.SingleBrokerStack.TopicCreation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Where a call's records land: their partitions, offsets and order, against a real log on temp files. */
class RecordServiceTest {

    @TempDir
    static Path tmp;

    private static SingleBrokerStack stack;
    private static RecordService records;

    @BeforeAll
    static void start() throws Exception {
        stack = SingleBrokerStack.start(tmp, "localhost", TopicCreation.EXPLICIT_ONLY, ReplicaUpdates.LOAD_ONCE);
        records = new RecordService(stack.topics(), stack.replicas(), new Partitioner(), Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static ProduceRequest request(String key, String value, int partition) {
        return new ProduceRequest(new ProducedRecord(key == null ? null : bytes(key), bytes(value), -1, null), partition);
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void interleavedPartitionsGetConsecutiveOffsetsEachAndResultsInRequestOrder() {
        stack.topics().create("mixed", Optional.of(3), Optional.empty(), Map.of());
        // More than a few records per partition, keyed and named, interleaved, so groups other than the first grow.
        List<ProduceRequest> requests = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            requests.add(i % 3 == 0 ? request("key-" + i, "v" + i, -1) : request(null, "v" + i, i % 3));
        }
        List<ProduceResult> results = records.produce("mixed", requests);

        assertEquals(requests.size(), results.size());
        Map<Integer, Long> nextOffset = new HashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            ProduceResult r = results.get(i);
            int expected = requests.get(i).partition() >= 0 ? requests.get(i).partition()
                    : Partitioner.forKey(requests.get(i).record().key(), 3);
            assertEquals(expected, r.partition(), "record " + i);
            assertEquals(nextOffset.getOrDefault(r.partition(), 0L), r.offset(), "record " + i + " follows the last in its partition");
            nextOffset.put(r.partition(), r.offset() + 1);
        }
        for (int p = 0; p < 3; p++) {
            List<String> values = new ArrayList<>();
            for (ConsumedRecord c : records.read("mixed", p, 0, 1 << 20, 1000).records()) {
                values.add(StandardCharsets.UTF_8.decode(c.value()).toString());
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                if (results.get(i).partition() == p) {
                    expected.add("v" + i);
                }
            }
            assertEquals(expected, values, "partition " + p + " holds its records in request order");
        }
    }

    @Test
    void unkeyedRecordsOfOneCallShareOnePartition() {
        stack.topics().create("unkeyed", Optional.of(4), Optional.empty(), Map.of());
        List<ProduceRequest> requests = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            requests.add(request(null, "v" + i, -1));
        }
        List<ProduceResult> results = records.produce("unkeyed", requests);
        for (int i = 0; i < results.size(); i++) {
            assertEquals(results.get(0).partition(), results.get(i).partition());
            assertEquals(i, results.get(i).offset());
        }
        assertThrows(UnsupportedOperationException.class, () -> results.set(0, null), "the answer cannot be changed");
    }

    @Test
    void aRecordForAPartitionThatDoesNotExistRejectsTheCallAndAppendsNothing() {
        stack.topics().create("two", Optional.of(2), Optional.empty(), Map.of());
        List<ProduceRequest> requests = List.of(request(null, "a", 0), request(null, "b", 2));
        assertThrows(UnknownPartitionException.class, () -> records.produce("two", requests));
        assertEquals(0, records.offsets("two", 0).logEndOffset());
    }
}
