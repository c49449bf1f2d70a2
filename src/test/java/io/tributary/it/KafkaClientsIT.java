package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java Kafka client (producer, consumer with assign) against a real Liberty over the Kafka protocol. */
class KafkaClientsIT {

    private static LibertyServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("num.partitions", "1")).start();
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static KafkaProducer<String, String> producer(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.putAll(extra);
        return new KafkaProducer<>(props);
    }

    static KafkaConsumer<String, String> consumer(Map<String, Object> extra) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.putAll(extra);
        return new KafkaConsumer<>(props);
    }

    static List<ConsumerRecord<String, String>> consume(KafkaConsumer<String, String> consumer, int count) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (out.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(500)).forEach(out::add);
        }
        return out;
    }

    static List<ConsumerRecord<String, String>> readAll(String topic, int partition, int count) {
        return readWith(server, topic, partition, count);
    }

    /** Reads at least {@code count} records (or what arrives within 30 s) of a partition from its start. */
    static List<ConsumerRecord<String, String>> readWith(LibertyServer target, String topic, int partition, int count) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, target.kafkaBootstrap());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            TopicPartition tp = new TopicPartition(topic, partition);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            return consume(consumer, count);
        }
    }

    @ParameterizedTest(name = "acks={0}")
    @ValueSource(strings = {"0", "1", "all"})
    void producedRecordsAreConsumedInOrderWithEachAcksSetting(String acks) throws Exception {
        String topic = "acks-" + (acks.equals("all") ? "all" : acks);
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.ACKS_CONFIG, acks))) {
            List<RecordMetadata> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                ProducerRecord<String, String> r = new ProducerRecord<>(topic, 0, "k" + i, "v" + i);
                r.headers().add(new RecordHeader("h", ("x" + i).getBytes(StandardCharsets.UTF_8)));
                sent.add(producer.send(r).get(30, TimeUnit.SECONDS));
            }
            if (!acks.equals("0")) {
                for (int i = 0; i < 50; i++) {
                    assertEquals(i, sent.get(i).offset(), "offset of record " + i);
                }
            }
        }
        List<ConsumerRecord<String, String>> got = readAll(topic, 0, 50);
        assertEquals(50, got.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(i, got.get(i).offset());
            assertEquals("k" + i, got.get(i).key());
            assertEquals("v" + i, got.get(i).value());
            assertArrayEquals(("x" + i).getBytes(StandardCharsets.UTF_8), got.get(i).headers().lastHeader("h").value());
        }
    }

    @ParameterizedTest(name = "compression.type={0}")
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void everyCompressionCodecIsAccepted(String codec) throws Exception {
        String topic = "codec-" + codec;
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
                ProducerConfig.LINGER_MS_CONFIG, 50))) {
            List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, "value-" + i + "-" + "x".repeat(100)),
                        (md, e) -> {
                            if (e != null) {
                                f.completeExceptionally(e);
                            } else {
                                f.complete(md);
                            }
                        });
                futures.add(f);
            }
            producer.flush();
            for (CompletableFuture<RecordMetadata> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        List<ConsumerRecord<String, String>> got = readAll(topic, 0, 200);
        assertEquals(200, got.size());
        for (int i = 0; i < 200; i++) {
            assertEquals(i, got.get(i).offset());
            assertEquals("value-" + i + "-" + "x".repeat(100), got.get(i).value());
        }
    }

    @Test
    void topicCompressionTypeIsAppliedToWhatProducersSend() throws Exception {
        String topic = "topic-gzip";
        String cluster = http.clusterId();
        http.post("/v3/clusters/" + cluster + "/topics", Json.createObjectBuilder().add("topic_name", topic)
                .add("partitions_count", 1)
                .add("configs", Json.createArrayBuilder().add(Json.createObjectBuilder()
                        .add("name", "compression.type").add("value", "gzip"))).build());
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"))) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k", "v" + i)).get(30, TimeUnit.SECONDS);
            }
        }
        List<ConsumerRecord<String, String>> got = readAll(topic, 0, 10);
        assertEquals(10, got.size());
        assertEquals("v9", got.get(9).value());
    }

    @Test
    void consumerPositionsFromEarliestLatestOffsetAndTimestamp() throws Exception {
        String topic = "positions";
        long base = System.currentTimeMillis() - 100_000;
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, base + i * 1_000L, "k", "v" + i)).get(30, TimeUnit.SECONDS);
            }
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = consumer(Map.of())) {
            consumer.assign(List.of(tp));
            assertEquals(0L, consumer.beginningOffsets(List.of(tp)).get(tp));
            assertEquals(10L, consumer.endOffsets(List.of(tp)).get(tp));

            Map<TopicPartition, OffsetAndTimestamp> byTime = consumer.offsetsForTimes(Map.of(tp, base + 4_500L));
            assertEquals(5L, byTime.get(tp).offset());
            assertEquals(base + 5_000L, byTime.get(tp).timestamp());
            assertEquals(null, consumer.offsetsForTimes(Map.of(tp, base + 1_000_000L)).get(tp));

            consumer.seek(tp, byTime.get(tp).offset());
            List<ConsumerRecord<String, String>> fromTime = consume(consumer, 5);
            assertEquals(List.of("v5", "v6", "v7", "v8", "v9"), fromTime.stream().map(ConsumerRecord::value).toList());

            consumer.seek(tp, 7);
            assertEquals("v7", consume(consumer, 1).get(0).value());

            consumer.seekToEnd(List.of(tp));
            assertEquals(10L, consumer.position(tp));
        }
        try (KafkaConsumer<String, String> latest = consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"))) {
            latest.assign(List.of(tp));
            assertEquals(10L, latest.position(tp));
        }
    }

    @Test
    void longPollIsWokenByAnAppendNotByItsTimeout() throws Exception {
        String topic = "long-poll";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<String, String> producer = producer(Map.of());
             KafkaConsumer<String, String> consumer = consumer(Map.of(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20_000))) {
            producer.send(new ProducerRecord<>(topic, 0, "k", "first")).get(30, TimeUnit.SECONDS);
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            assertEquals(1L, consumer.position(tp));
            // The consumer's fetch now waits at the broker for up to 20 s; an append must end it early.
            consumer.poll(Duration.ofMillis(1_500));
            long sentAt = System.nanoTime();
            producer.send(new ProducerRecord<>(topic, 0, "k", "second")).get(30, TimeUnit.SECONDS);
            List<ConsumerRecord<String, String>> got = consume(consumer, 1);
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt);
            assertEquals("second", got.get(0).value());
            assertTrue(waitedMs < 5_000, "the append should wake the waiting fetch, took " + waitedMs + " ms");
        }
    }

    @Test
    void anOffsetOutOfRangeIsReported() throws Exception {
        String topic = "out-of-range";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, "k", "v")).get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<String, String> consumer = consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 1_000);
            assertThrows(OffsetOutOfRangeException.class, () -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(500));
                }
            });
        }
    }

    @Test
    void recordsProducedOverKafkaAreReadOverRestAndTheOtherWayRound() throws Exception {
        String topic = "bridge";
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, "from-kafka", "{\"n\":1}")).get(30, TimeUnit.SECONDS);
        }
        Http.Answer posted = http.post("/topics/" + topic + "/partitions/0", "application/vnd.kafka.json.v2+json",
                "{\"records\": [{\"key\": \"from-rest\", \"value\": {\"n\": 2}}]}");
        assertEquals(200, posted.status(), posted.toString());

        JsonArray overRest = http.get("/topics/" + topic + "/partitions/0/records?offset=0").array();
        assertEquals(2, overRest.size(), overRest.toString());
        JsonObject first = overRest.getJsonObject(0);
        assertEquals("from-kafka", first.getString("key"));
        assertEquals(1, first.getJsonObject("value").getInt("n"));

        List<ConsumerRecord<String, String>> overKafka = readAll(topic, 0, 2);
        assertEquals(2, overKafka.size());
        assertEquals("\"from-rest\"", overKafka.get(1).key(), "a JSON key is stored as its JSON text");
        assertEquals("{\"n\":2}", overKafka.get(1).value());
    }

    @Test
    void keyedRecordsLandWhereTheClientsPartitionerPutsThemAndRestAgrees() throws Exception {
        String cluster = http.clusterId();
        assertEquals(201, http.post("/v3/clusters/" + cluster + "/topics", Json.createObjectBuilder()
                .add("topic_name", "keyed-kafka").add("partitions_count", 5).build()).status());
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 30; i++) {
                String key = "account-" + i;
                RecordMetadata md = producer.send(new ProducerRecord<>("keyed-kafka", key, "v" + i)).get(30, TimeUnit.SECONDS);
                JsonObject viaRest = http.post("/v3/clusters/" + cluster + "/topics/keyed-kafka/records",
                        Json.createObjectBuilder().add("key", Json.createObjectBuilder().add("type", "STRING").add("data", key))
                                .add("value", Json.createObjectBuilder().add("type", "STRING").add("data", "r" + i)).build()).json();
                assertEquals(md.partition(), viaRest.getInt("partition_id"), key);
                JsonArray stored = http.get("/topics/keyed-kafka/partitions/" + md.partition() + "/records?offset="
                        + md.offset() + "&count=1").array();
                assertEquals(key, stored.getJsonObject(0).getString("key"));
            }
        }
    }

    @Test
    void topicsAreAutoCreatedByMetadataRequests() throws Exception {
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            RecordMetadata md = producer.send(new ProducerRecord<>("auto-created", "k", "v")).get(30, TimeUnit.SECONDS);
            assertEquals(0, md.offset());
        }
        assertEquals(200, http.get("/topics/auto-created").status());
    }

    private static void createTopic(String topic) {
        String cluster = http.clusterId();
        Http.Answer a = http.post("/v3/clusters/" + cluster + "/topics", Json.createObjectBuilder().add("topic_name", topic)
                .add("partitions_count", 1).build());
        assertEquals(201, a.status(), a.toString());
    }

    @Test
    void theIdempotentProducerWritesEachRecordExactlyOnce() throws Exception {
        String topic = "idempotent";
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5, ProducerConfig.BATCH_SIZE_CONFIG, 200))) {
            List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, "k", "v" + i)));
            }
            for (int i = 0; i < 500; i++) {
                assertEquals(i, sent.get(i).get(30, TimeUnit.SECONDS).offset());
            }
        }
        List<ConsumerRecord<String, String>> got = readAll(topic, 0, 500);
        assertEquals(500, got.size());
        for (int i = 0; i < 500; i++) {
            assertEquals("v" + i, got.get(i).value());
        }
    }

    private static org.apache.kafka.common.record.internal.MemoryRecords producerBatch(long pid, int seq, int count) {
        var builder = org.apache.kafka.common.record.internal.MemoryRecords.builder(java.nio.ByteBuffer.allocate(1024),
                org.apache.kafka.common.record.internal.RecordBatch.CURRENT_MAGIC_VALUE,
                org.apache.kafka.common.compress.Compression.NONE, org.apache.kafka.common.record.TimestampType.CREATE_TIME,
                0L, System.currentTimeMillis(), pid, (short) 0, seq);
        for (int i = 0; i < count; i++) {
            builder.append(System.currentTimeMillis(), null, ("seq-" + (seq + i)).getBytes(StandardCharsets.UTF_8));
        }
        return builder.build();
    }

    private static org.apache.kafka.common.message.ProduceRequestData produceData(String topic,
            org.apache.kafka.common.record.internal.MemoryRecords records) {
        var topicData = new org.apache.kafka.common.message.ProduceRequestData.TopicProduceData().setName(topic)
                .setPartitionData(List.of(new org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData()
                        .setIndex(0).setRecords(records)));
        return new org.apache.kafka.common.message.ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000)
                .setTopicData(new org.apache.kafka.common.message.ProduceRequestData.TopicProduceDataCollection(
                        List.of(topicData).iterator()));
    }

    private static org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse partitionResult(
            java.nio.ByteBuffer answer, RawKafkaClient raw, short version) {
        var response = (org.apache.kafka.common.requests.ProduceResponse) org.apache.kafka.common.requests.AbstractResponse
                .parseResponse(answer, new org.apache.kafka.common.requests.RequestHeader(
                        org.apache.kafka.common.protocol.ApiKeys.PRODUCE, version, "raw-test", answer.getInt(0)));
        return response.data().responses().iterator().next().partitionResponses().get(0);
    }

    @Test
    void aReplayedProduceRequestIsAnsweredWithTheOriginalOffsetsAndAGapIsRejected() throws Exception {
        String topic = "replayed";
        createTopic(topic);
        short version = 9;
        try (RawKafkaClient raw = new RawKafkaClient(server.kafkaPort())) {
            var init = (org.apache.kafka.common.requests.InitProducerIdResponse) raw.call(
                    org.apache.kafka.common.protocol.ApiKeys.INIT_PRODUCER_ID, (short) 4,
                    new org.apache.kafka.common.message.InitProducerIdRequestData().setTransactionalId(null)
                            .setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1));
            assertEquals(0, init.data().errorCode());
            long pid = init.data().producerId();

            java.nio.ByteBuffer frame = raw.frame(org.apache.kafka.common.protocol.ApiKeys.PRODUCE, version,
                    produceData(topic, producerBatch(pid, 0, 3)));
            raw.writeFully(frame.duplicate());
            var first = partitionResult(raw.readFrame(), raw, version);
            assertEquals(0, first.errorCode());
            assertEquals(0, first.baseOffset());

            raw.writeFully(frame.duplicate());
            var replayed = partitionResult(raw.readFrame(), raw, version);
            assertEquals(0, replayed.errorCode(), "a duplicate is acknowledged");
            assertEquals(0, replayed.baseOffset(), "with the offsets of the first append");

            raw.writeFully(raw.frame(org.apache.kafka.common.protocol.ApiKeys.PRODUCE, version,
                    produceData(topic, producerBatch(pid, 10, 1))));
            var gap = partitionResult(raw.readFrame(), raw, version);
            assertEquals(org.apache.kafka.common.protocol.Errors.OUT_OF_ORDER_SEQUENCE_NUMBER.code(), gap.errorCode());

            raw.writeFully(raw.frame(org.apache.kafka.common.protocol.ApiKeys.PRODUCE, version,
                    produceData(topic, producerBatch(pid, 3, 2))));
            assertEquals(3, partitionResult(raw.readFrame(), raw, version).baseOffset());
        }
        List<ConsumerRecord<String, String>> got = readAll(topic, 0, 5);
        assertEquals(List.of("seq-0", "seq-1", "seq-2", "seq-3", "seq-4"), got.stream().map(ConsumerRecord::value).toList());
        assertEquals(5, got.size());
    }

    /** Also a rough measurement: prints produce and consume rates (one broker, one partition, lz4, acks=1). */
    @Test
    void twoHundredThousandRecordsRoundTripAndTheRatesArePrinted() throws Exception {
        String topic = "throughput";
        int count = 200_000;
        String value = "x".repeat(100);
        long start = System.nanoTime();
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4", ProducerConfig.LINGER_MS_CONFIG, 10,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024))) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, value));
            }
            producer.flush();
        }
        long produceMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        start = System.nanoTime();
        int read = 0;
        try (KafkaConsumer<String, String> consumer = consumer(Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (read < count && System.nanoTime() < deadline) {
                read += consumer.poll(Duration.ofMillis(500)).count();
            }
        }
        long consumeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(count, read);
        System.out.printf("THROUGHPUT: produced %d records of 100 B in %d ms (%.0f records/s); consumed in %d ms (%.0f records/s)%n",
                count, produceMs, count * 1000.0 / Math.max(1, produceMs), consumeMs, count * 1000.0 / Math.max(1, consumeMs));
    }
}
