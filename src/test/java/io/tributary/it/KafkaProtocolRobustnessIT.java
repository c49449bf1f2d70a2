package io.tributary.it;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input over raw sockets: garbage, oversized and truncated frames, unknown APIs and versions,
 * corrupt batches, and a fuzz run of random and mutated frames, after which every record written
 * before is checked to be intact and the broker still serves.
 */
class KafkaProtocolRobustnessIT {

    private static final int MAX_REQUEST_BYTES = 1 << 20;
    private static LibertyServer server;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("socket.request.max.bytes", Integer.toString(MAX_REQUEST_BYTES))).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            System.out.println(LibertyServer.tail(server.consoleLog(), 60));
            server.close();
        }
    }

    private static RawKafkaClient connect() throws IOException {
        return new RawKafkaClient(server.kafkaPort());
    }

    /** The broker still answers a well-formed request on a fresh connection. */
    private static void assertStillServing() throws IOException {
        try (RawKafkaClient c = connect()) {
            ApiVersionsResponse r = (ApiVersionsResponse) c.call(ApiKeys.API_VERSIONS, (short) 3,
                    new ApiVersionsRequestData().setClientSoftwareName("test").setClientSoftwareVersion("1"));
            assertEquals(Errors.NONE.code(), r.data().errorCode());
        }
    }

    static MemoryRecords batch(String prefix, int count) {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(4096), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, 0L);
        for (int i = 0; i < count; i++) {
            b.append(System.currentTimeMillis(), null, (prefix + i).getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    static ProduceRequestData produce(String topic, int partition, MemoryRecords records) {
        var t = new ProduceRequestData.TopicProduceData().setName(topic).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(records)));
        return new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000)
                .setTopicData(new ProduceRequestData.TopicProduceDataCollection(List.of(t).iterator()));
    }

    private static long endOffset(String topic) throws IOException {
        try (RawKafkaClient c = connect()) {
            var req = new ListOffsetsRequestData().setReplicaId(-1).setTopics(List.of(
                    new ListOffsetsRequestData.ListOffsetsTopic().setName(topic).setPartitions(List.of(
                            new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1)))));
            var r = (org.apache.kafka.common.requests.ListOffsetsResponse) c.call(ApiKeys.LIST_OFFSETS, (short) 7, req);
            return r.data().topics().get(0).partitions().get(0).offset();
        }
    }

    @Test
    void garbageOversizedAndTruncatedFramesCloseOnlyTheirConnection() throws Exception {
        try (RawKafkaClient bystander = connect()) {
            try (RawKafkaClient garbage = connect()) {
                byte[] junk = new byte[64];
                new Random(1).nextBytes(junk);
                junk[0] = 0x7f; // an API key no one has
                garbage.writeFully(ByteBuffer.allocate(4 + junk.length).putInt(junk.length).put(junk).flip());
                assertTrue(garbage.closedByBroker(Duration.ofSeconds(10)), "garbage closes the connection");
            }
            try (RawKafkaClient oversized = connect()) {
                oversized.writeFully(ByteBuffer.allocate(4).putInt(MAX_REQUEST_BYTES + 1).flip());
                assertTrue(oversized.closedByBroker(Duration.ofSeconds(10)), "a frame over socket.request.max.bytes");
            }
            try (RawKafkaClient truncated = connect()) {
                ByteBuffer frame = truncated.frame(ApiKeys.METADATA, (short) 12,
                        new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName("t"))));
                // Keep the size honest but cut the body short: the request cannot be parsed.
                int cut = frame.remaining() - 4 - 6;
                ByteBuffer shortened = ByteBuffer.allocate(4 + cut).putInt(cut);
                shortened.put(frame.duplicate().position(4).limit(4 + cut)).flip();
                truncated.writeFully(shortened);
                assertTrue(truncated.closedByBroker(Duration.ofSeconds(10)), "a truncated request");
            }
            ApiVersionsResponse r = (ApiVersionsResponse) bystander.call(ApiKeys.API_VERSIONS, (short) 3,
                    new ApiVersionsRequestData().setClientSoftwareName("test").setClientSoftwareVersion("1"));
            assertEquals(Errors.NONE.code(), r.data().errorCode(), "other connections are served throughout");
        }
    }

    @Test
    void unknownApisAndVersionsGetTheProtocolsAnswer() throws Exception {
        try (RawKafkaClient c = connect()) {
            // ApiVersions newer than supported: a v0 answer with UNSUPPORTED_VERSION and what is supported.
            ByteBuffer frame = c.frame(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData()
                    .setClientSoftwareName("test").setClientSoftwareVersion("1"));
            frame.putShort(6, (short) 99);
            c.writeFully(frame);
            ByteBuffer answer = c.readFrame();
            answer.getInt(); // correlation id
            ApiVersionsResponseData v0 = new ApiVersionsResponseData(
                    new org.apache.kafka.common.protocol.ByteBufferAccessor(answer), (short) 0);
            assertEquals(Errors.UNSUPPORTED_VERSION.code(), v0.errorCode());
            assertTrue(v0.apiKeys().find(ApiKeys.PRODUCE.id) != null);
            assertEquals(null, v0.apiKeys().find(ApiKeys.OFFSET_DELETE.id), "only implemented APIs are advertised");

            // The first FindCoordinator creates __consumer_offsets and, as in Kafka, may be answered
            // COORDINATOR_NOT_AVAILABLE until the group's partition has a leader: clients ask again.
            FindCoordinatorResponse coordinator;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            do {
                coordinator = (FindCoordinatorResponse) c.call(ApiKeys.FIND_COORDINATOR, (short) 3,
                        new FindCoordinatorRequestData().setKey("g").setKeyType((byte) 0));
                if (coordinator.error() != Errors.COORDINATOR_NOT_AVAILABLE) {
                    break;
                }
                Thread.sleep(100);
            } while (System.nanoTime() < deadline);
            assertEquals(Errors.NONE, coordinator.error());
            OffsetDeleteResponse offsetDelete = (OffsetDeleteResponse) c.call(ApiKeys.OFFSET_DELETE, (short) 0,
                    new OffsetDeleteRequestData().setGroupId("g"));
            assertEquals(Errors.UNSUPPORTED_VERSION.code(), offsetDelete.data().errorCode(),
                    "an API that is not advertised gets its own answer with UNSUPPORTED_VERSION");
        }
        try (RawKafkaClient c = connect()) {
            ByteBuffer frame = c.frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData());
            frame.putShort(6, (short) 99);
            c.writeFully(frame);
            assertTrue(c.closedByBroker(Duration.ofSeconds(10)), "a version that does not exist closes the connection");
        }
        try (RawKafkaClient c = connect()) {
            ByteBuffer frame = c.frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData());
            frame.putShort(4, (short) 9_999);
            c.writeFully(frame);
            assertTrue(c.closedByBroker(Duration.ofSeconds(10)), "an unknown API key closes the connection");
        }
        assertStillServing();
    }

    @Test
    void acksZeroGetsNoAnswerAndAFailureClosesTheConnection() throws Exception {
        String topic = "acks-zero";
        try (RawKafkaClient c = connect()) {
            // Metadata creates the topic; then an acks=0 produce is not answered, and the next request is.
            c.call(ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(List.of(
                    new MetadataRequestData.MetadataRequestTopic().setName(topic))).setAllowAutoTopicCreation(true));
            c.writeFully(c.frame(ApiKeys.PRODUCE, (short) 9, produce(topic, 0, batch("quiet-", 2)).setAcks((short) 0)));
            ApiVersionsResponse next = (ApiVersionsResponse) c.call(ApiKeys.API_VERSIONS, (short) 3,
                    new ApiVersionsRequestData().setClientSoftwareName("test").setClientSoftwareVersion("1"));
            assertEquals(Errors.NONE.code(), next.data().errorCode(), "the answer that arrives is the next request's");
        }
        assertEquals(2, endOffset(topic));
        try (RawKafkaClient c = connect()) {
            c.writeFully(c.frame(ApiKeys.PRODUCE, (short) 9, produce("no-such-topic", 0, batch("lost-", 1)).setAcks((short) 0)));
            assertTrue(c.closedByBroker(Duration.ofSeconds(10)), "a failed acks=0 produce closes the connection");
        }
    }

    @Test
    void aCorruptBatchIsRejectedWithCorruptMessageAndNothingIsAppended() throws Exception {
        String topic = "corrupt";
        try (RawKafkaClient c = connect()) {
            ProduceResponse ok = (ProduceResponse) c.call(ApiKeys.PRODUCE, (short) 9, produce(topic, 0, batch("good-", 3)));
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(),
                    ok.data().responses().iterator().next().partitionResponses().get(0).errorCode(),
                    "produce does not create topics");
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringSerializer.class))) {
            producer.send(new ProducerRecord<>(topic, 0, null, "first")).get(30, TimeUnit.SECONDS);
        }
        assertEquals(1, endOffset(topic));
        MemoryRecords records = batch("bad-", 5);
        ByteBuffer bytes = records.buffer();
        int last = bytes.limit() - 1;
        bytes.put(last, (byte) (bytes.get(last) ^ 0x55)); // inside the CRC-covered records
        try (RawKafkaClient c = connect()) {
            ProduceResponse r = (ProduceResponse) c.call(ApiKeys.PRODUCE, (short) 9, produce(topic, 0, records));
            assertEquals(Errors.CORRUPT_MESSAGE.code(), r.data().responses().iterator().next().partitionResponses().get(0).errorCode());
        }
        assertEquals(1, endOffset(topic), "nothing of the corrupt batch was appended");
    }

    @Test
    void randomAndMutatedFramesLeaveEveryEarlierRecordIntact() throws Exception {
        String topic = "precious";
        int count = 300;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringSerializer.class))) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, "precious-" + i));
            }
            producer.flush();
        }

        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        List<ByteBuffer> templates = new ArrayList<>();
        try (RawKafkaClient c = connect()) {
            templates.add(c.frame(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData()
                    .setClientSoftwareName("fuzz").setClientSoftwareVersion("1")));
            templates.add(c.frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(List.of(
                    new MetadataRequestData.MetadataRequestTopic().setName(topic))).setAllowAutoTopicCreation(false)));
            templates.add(c.frame(ApiKeys.PRODUCE, (short) 9, produce(topic, 0, batch("fuzz-", 4))));
            templates.add(c.frame(ApiKeys.PRODUCE, (short) 3, produce(topic, 0, batch("fuzz-old-", 2))));
            templates.add(c.frame(ApiKeys.FETCH, (short) 12, fetch(topic)));
            templates.add(c.frame(ApiKeys.LIST_OFFSETS, (short) 7, new ListOffsetsRequestData().setReplicaId(-1)
                    .setTopics(List.of(new ListOffsetsRequestData.ListOffsetsTopic().setName(topic).setPartitions(List.of(
                            new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-2)))))));
        }

        int frames = Integer.getInteger("fuzz.frames", 1_500);
        long started = System.nanoTime();
        RawKafkaClient c = connect();
        try {
            for (int i = 0; i < frames; i++) {
                ByteBuffer frame = mutate(templates.get(random.nextInt(templates.size())), random);
                try {
                    c.writeFully(frame);
                    // Give the broker a moment to answer or close; a lying size prefix leaves it waiting for bytes.
                    if (c.closedByBroker(Duration.ofMillis(30)) || random.nextInt(3) == 0) {
                        c.close();
                        c = connect();
                    }
                } catch (IOException e) {
                    // The broker closed this connection; carry on with a new one.
                    c.close();
                    c = connect();
                }
            }
        } finally {
            c.close();
        }
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertTrue(server.isAlive(), "seed " + seed + ": the server process is alive");
        assertStillServing();
        List<ConsumerRecord<String, String>> got = KafkaClientsIT.readWith(server, topic, 0, count);
        assertTrue(got.size() >= count, "seed " + seed + ": read " + got.size());
        for (int i = 0; i < count; i++) {
            assertEquals(i, got.get(i).offset(), "seed " + seed);
            assertEquals("precious-" + i, got.get(i).value(), "seed " + seed);
        }
        assertEquals(200, new Http(server).get("/health/ready").status(), "seed " + seed);
        System.out.println("Fuzzed " + frames + " frames in " + tookMs + " ms with seed " + seed);
    }

    private static FetchRequestData fetch(String topic) {
        return new FetchRequestData().setReplicaId(-1).setMaxWaitMs(50).setMinBytes(1).setMaxBytes(1 << 20)
                .setIsolationLevel((byte) 0).setSessionId(0).setSessionEpoch(-1)
                .setTopics(List.of(new FetchRequestData.FetchTopic().setTopic(topic).setPartitions(List.of(
                        new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
                                .setPartitionMaxBytes(1 << 20).setLogStartOffset(-1)))));
    }

    /** A random frame, or a template with bytes flipped, the body cut or extended, or the size prefix lying. */
    static ByteBuffer mutate(ByteBuffer template, Random random) {
        ByteBuffer t = template.duplicate();
        switch (random.nextInt(6)) {
            case 0 -> {
                byte[] junk = new byte[random.nextInt(200)];
                random.nextBytes(junk);
                return ByteBuffer.allocate(4 + junk.length).putInt(junk.length).put(junk).flip();
            }
            case 1, 2 -> {
                ByteBuffer copy = ByteBuffer.allocate(t.remaining()).put(t).flip();
                int flips = 1 + random.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    int at = 4 + random.nextInt(copy.limit() - 4);
                    copy.put(at, (byte) random.nextInt(256));
                }
                return copy;
            }
            case 3 -> {
                int body = t.remaining() - 4;
                int cut = random.nextInt(body);
                ByteBuffer out = ByteBuffer.allocate(4 + cut).putInt(cut);
                out.put(t.duplicate().position(4).limit(4 + cut));
                return out.flip();
            }
            case 4 -> {
                byte[] extra = new byte[1 + random.nextInt(32)];
                random.nextBytes(extra);
                int body = t.remaining() - 4 + extra.length;
                ByteBuffer out = ByteBuffer.allocate(4 + body).putInt(body);
                out.put(t.duplicate().position(4)).put(extra);
                return out.flip();
            }
            default -> {
                // Claims a size other than what follows; the stream is then out of step.
                ByteBuffer copy = ByteBuffer.allocate(t.remaining()).put(t).flip();
                copy.putInt(0, random.nextBoolean() ? random.nextInt() : copy.getInt(0) + random.nextInt(16) - 8);
                return copy;
            }
        }
    }
}
