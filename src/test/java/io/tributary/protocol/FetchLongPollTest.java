package io.tributary.protocol;

import io.tributary.metadata.TopicMetadata;
import io.tributary.testing.SingleBrokerStack;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fetch long polls on a real broker stack (embedded ZooKeeper, logs): woken by an append, or answered at max.wait. */
class FetchLongPollTest {

    @TempDir
    static Path tmp;
    static SingleBrokerStack stack;
    static KafkaApis apis;
    static Uuid topicId;

    @BeforeAll
    static void start() throws Exception {
        stack = SingleBrokerStack.start(tmp, "localhost", SingleBrokerStack.TopicCreation.EXPLICIT_ONLY,
                SingleBrokerStack.ReplicaUpdates.FOLLOW_METADATA);
        BrokerContext context = new BrokerContext(stack.self(), stack.metadata().clusterId(), "PLAINTEXT",
                stack.metadata(), stack.replicas(), stack.topics(), false, stack.executor(), stack.scheduler(),
                Clock.systemUTC(), List.of(), null);
        apis = KafkaProtocol.apis(context);
        stack.topics().create("polled", Optional.of(1), Optional.empty(), Map.of());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (stack.metadata().topic("polled").isEmpty() || stack.replicas().partition(new TopicPartition("polled", 0)).isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "the topic did not appear");
            Thread.sleep(20);
        }
        topicId = stack.metadata().topic("polled").map(TopicMetadata::topicId).orElseThrow();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static CompletableFuture<RequestHandler.Response> send(ApiKeys api, short version, ApiMessage data)
            throws Exception {
        ByteBuffer frame = Sends.serialize(SendBuilder.buildRequestSend(new RequestHeader(api, version, "test", 7), data));
        return apis.handle(new RequestHandler.Request("c", InetAddress.getLoopbackAddress(), frame)).toCompletableFuture();
    }

    private static void produce(String value) throws Exception {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(256), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, 0L);
        b.append(System.currentTimeMillis(), null, value.getBytes(StandardCharsets.UTF_8));
        ProduceRequestData.TopicProduceData t = new ProduceRequestData.TopicProduceData().setTopicId(topicId)
                .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(b.build())));
        send(ApiKeys.PRODUCE, (short) 13, new ProduceRequestData().setAcks((short) 1).setTimeoutMs(5_000)
                .setTopicData(new ProduceRequestData.TopicProduceDataCollection(List.of(t).iterator()))).get(10, TimeUnit.SECONDS);
    }

    private static CompletableFuture<RequestHandler.Response> fetch(long offset, int maxWaitMs) throws Exception {
        FetchRequestData.FetchTopic t = new FetchRequestData.FetchTopic().setTopicId(topicId).setPartitions(List.of(
                new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(offset).setPartitionMaxBytes(1 << 20)));
        return send(ApiKeys.FETCH, (short) 17, new FetchRequestData().setReplicaId(-1).setMaxWaitMs(maxWaitMs)
                .setMinBytes(1).setMaxBytes(1 << 20).setTopics(List.of(t)));
    }

    private static List<String> values(RequestHandler.Response response) throws Exception {
        FetchResponse r = (FetchResponse) AbstractResponse.parseResponse(Sends.serialize(response.send()),
                new RequestHeader(ApiKeys.FETCH, (short) 17, "test", 7));
        List<String> values = new ArrayList<>();
        for (var topic : r.data().responses()) {
            for (var p : topic.partitions()) {
                assertEquals(0, p.errorCode());
                ((MemoryRecords) p.records()).records().forEach(rec -> values.add(StandardCharsets.UTF_8.decode(rec.value()).toString()));
            }
        }
        return values;
    }

    private static long logEnd() {
        return stack.replicas().partitionOrThrow(new TopicPartition("polled", 0)).log().logEndOffset();
    }

    @Test
    void aFetchWaitingAtTheLogEndIsAnsweredByTheNextAppend() throws Exception {
        CompletableFuture<RequestHandler.Response> waiting = fetch(logEnd(), 30_000);
        Thread.sleep(200);
        assertFalse(waiting.isDone(), "answered before anything was appended");
        long start = System.nanoTime();
        produce("woken");
        List<String> got = values(waiting.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("woken"), got);
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "the append did not wake the fetch");
    }

    @Test
    void aFetchWithNothingToReadIsAnsweredEmptyAtMaxWait() throws Exception {
        long start = System.nanoTime();
        CompletableFuture<RequestHandler.Response> waiting = fetch(logEnd(), 300);
        List<String> got = values(waiting.get(10, TimeUnit.SECONDS));
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(List.of(), got);
        assertTrue(waitedMs >= 250, "answered after " + waitedMs + " ms, before max.wait.ms");
    }

    @Test
    void aFetchBehindTheLogEndIsAnsweredAtOnceWithTheRecords() throws Exception {
        long from = logEnd();
        produce("ready");
        List<String> got = values(fetch(from, 30_000).get(5, TimeUnit.SECONDS));
        assertEquals(List.of("ready"), got);
    }
}
