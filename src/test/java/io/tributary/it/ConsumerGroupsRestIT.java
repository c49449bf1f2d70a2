package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The v3 consumer-group API against a real Liberty with real Kafka consumers: groups, consumers
 * and assignments as the members hold them, lags that agree exactly with what was produced and
 * committed, offset resets that a consumer then resumes from, and the error answers. Also the
 * Kafka side of resets: Admin's alterConsumerGroupOffsets on an empty and on a live group.
 */
class ConsumerGroupsRestIT {

    /** Record i of every partition carries this timestamp plus i seconds. */
    private static final long BASE_TIMESTAMP = 1_700_000_000_000L;
    /** Records per partition of the three-partition topics. */
    private static final int[] SIZES = {20, 30, 40};

    private static LibertyServer server;
    private static Http http;
    private static Admin admin;
    private static String cluster;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("offsets.topic.num.partitions", "3",
                "group.initial.rebalance.delay.ms", "200", "group.min.session.timeout.ms", "1000")).start();
        http = new Http(server);
        cluster = http.clusterId();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close();
        }
        if (server != null) {
            server.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String groups() {
        return "/v3/clusters/" + cluster + "/consumer-groups";
    }

    private static void createTopic(String name, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }

    /** Writes {@code sizes[p]} records to partition p; record i has timestamp BASE_TIMESTAMP + i s. */
    private static void produce(String topic, int... sizes) {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int p = 0; p < sizes.length; p++) {
                for (int i = 0; i < sizes[p]; i++) {
                    producer.send(new ProducerRecord<>(topic, p, BASE_TIMESTAMP + i * 1_000L, null, p + "-" + i));
                }
            }
            producer.flush();
        }
    }

    private static KafkaConsumer<String, String> consumer(String group, String clientId, String instanceId) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        if (instanceId != null) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 3_000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5);
        return new KafkaConsumer<>(props);
    }

    private static void close(KafkaConsumer<?, ?> consumer) {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }

    private static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    private static void awaitEmpty(String group) throws InterruptedException {
        await(group + " is EMPTY", Duration.ofSeconds(30),
                () -> "EMPTY".equals(http.get(groups() + "/" + group).json().getString("state")));
    }

    private static Http.Answer reset(String group, String body) {
        return http.post(groups() + "/" + group + "/offsets:reset", "application/json", body);
    }

    /** Offsets a fresh member of the group starts at: its positions when it is given the partitions, before any fetch. */
    private static Map<Integer, Long> resumePositions(String group, String topic) throws InterruptedException {
        KafkaConsumer<String, String> c = consumer(group, "resumer", null);
        Map<Integer, Long> positions = new HashMap<>();
        Map<Integer, Long> firstRecords = new HashMap<>();
        try {
            c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    partitions.forEach(tp -> positions.put(tp.partition(), c.position(tp)));
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (positions.size() < SIZES.length || !positions.entrySet().stream()
                    .allMatch(e -> e.getValue() == SIZES[e.getKey()] || firstRecords.containsKey(e.getKey()))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("The resuming consumer did not get its partitions and first records: "
                            + positions + " " + firstRecords);
                }
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                    firstRecords.putIfAbsent(r.partition(), r.offset());
                }
            }
        } finally {
            close(c);
        }
        positions.forEach((p, offset) -> {
            if (offset < SIZES[p]) {
                assertEquals(offset, firstRecords.get(p), "the first record read from partition " + p + " is the one at its position");
            }
        });
        awaitEmpty(group);
        return positions;
    }

    private static Map<Integer, Long> offsetsIn(JsonObject resetAnswer) {
        Map<Integer, Long> out = new HashMap<>();
        for (JsonValue v : resetAnswer.getJsonArray("data")) {
            out.put(v.asJsonObject().getInt("partition_id"), v.asJsonObject().getJsonNumber("offset").longValue());
        }
        return out;
    }

    private static String nullable(JsonObject o, String field) {
        return o.isNull(field) ? null : o.getString(field);
    }

    private static void assertError(int status, String contains, Http.Answer answer) {
        assertEquals(status, answer.status(), answer.toString());
        assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
        assertEquals(status, answer.json().getInt("error_code"), answer.toString());
        assertTrue(answer.json().getString("message").contains(contains), answer.toString());
    }

    // ---------------------------------------------------------------- tests

    @Test
    void aLiveGroupsConsumersAssignmentsAndLagsAgreeWithWhatWasProducedAndCommitted() throws Exception {
        createTopic("orders", 3);
        createTopic("archive", 1);
        produce("orders", SIZES);
        produce("archive", 10);
        TopicPartition archive = new TopicPartition("archive", 0);

        // Admin commits to a group that has no members yet: that creates a group with only offsets.
        admin.alterConsumerGroupOffsets("readers", Map.of(archive, new OffsetAndMetadata(3)))
                .all().get(30, TimeUnit.SECONDS);
        JsonObject simple = http.get(groups() + "/readers").json();
        assertTrue(simple.getBoolean("is_simple"), simple.toString());
        assertEquals("EMPTY", simple.getString("state"));

        Map<Integer, Long> targets = Map.of(0, 7L, 1, 11L, 2, 13L);
        KafkaConsumer<String, String> a = consumer("readers", "client-a", null);
        KafkaConsumer<String, String> b = consumer("readers", "client-b", "instance-b");
        try {
            a.subscribe(List.of("orders"));
            b.subscribe(List.of("orders"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                a.poll(Duration.ofMillis(100));
                b.poll(Duration.ofMillis(100));
                Set<TopicPartition> all = new HashSet<>(a.assignment());
                all.addAll(b.assignment());
                boolean split = !a.assignment().isEmpty() && !b.assignment().isEmpty() && all.size() == 3
                        && a.assignment().size() + b.assignment().size() == 3;
                if (split && all.stream().allMatch(tp -> (a.assignment().contains(tp) ? a : b).position(tp)
                        >= targets.get(tp.partition()))) {
                    break;
                }
                assertTrue(System.nanoTime() < deadline, "two members share the partitions and read past the targets");
            }
            // Each member commits part of what it consumed.
            for (KafkaConsumer<String, String> c : List.of(a, b)) {
                Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
                c.assignment().forEach(tp -> commit.put(tp, new OffsetAndMetadata(targets.get(tp.partition()))));
                c.commitSync(commit);
            }
            Map<String, KafkaConsumer<String, String>> byMemberId = Map.of(a.groupMetadata().memberId(), a,
                    b.groupMetadata().memberId(), b);
            Map<Integer, String> owners = new HashMap<>();
            byMemberId.forEach((id, c) -> c.assignment().forEach(tp -> owners.put(tp.partition(), id)));

            // The group.
            JsonObject listed = null;
            for (JsonValue g : http.get(groups()).json().getJsonArray("data")) {
                if (g.asJsonObject().getString("consumer_group_id").equals("readers")) {
                    listed = g.asJsonObject();
                }
            }
            assertTrue(listed != null, "the group is listed");
            JsonObject group = http.get(groups() + "/readers").json();
            assertEquals(listed, group);
            assertEquals("KafkaConsumerGroup", group.getString("kind"));
            assertEquals(cluster, group.getString("cluster_id"));
            assertFalse(group.getBoolean("is_simple"));
            assertEquals("STABLE", group.getString("state"));
            assertEquals(admin.describeConsumerGroups(List.of("readers")).describedGroups().get("readers")
                    .get(30, TimeUnit.SECONDS).partitionAssignor(), group.getString("partition_assignor"));
            assertEquals("range", group.getString("partition_assignor"), "the Java client's first choice");
            assertTrue(group.getJsonObject("metadata").getString("self").endsWith(groups() + "/readers"));
            assertTrue(group.getJsonObject("coordinator").getString("related").endsWith("/v3/clusters/" + cluster + "/brokers/0"));
            assertTrue(group.getJsonObject("consumers").getString("related").endsWith(groups() + "/readers/consumers"));
            assertTrue(group.getJsonObject("lag_summary").getString("related").endsWith(groups() + "/readers/lag-summary"));

            // Its consumers and their assignments, as the members themselves hold them.
            JsonArray consumers = http.get(groups() + "/readers/consumers").json().getJsonArray("data");
            assertEquals(2, consumers.size());
            for (JsonValue v : consumers) {
                JsonObject c = v.asJsonObject();
                String id = c.getString("consumer_id");
                KafkaConsumer<String, String> member = byMemberId.get(id);
                assertTrue(member != null, "a member id the clients know: " + id);
                assertEquals(member == a ? "client-a" : "client-b", c.getString("client_id"));
                assertEquals(member == a ? null : "instance-b", nullable(c, "instance_id"));
                assertEquals(c, http.get(groups() + "/readers/consumers/" + id).json());
                String assignmentsUrl = c.getJsonObject("assignments").getString("related");
                assertTrue(assignmentsUrl.endsWith(groups() + "/readers/consumers/" + id + "/assignments"), assignmentsUrl);

                JsonArray assigned = http.get(groups() + "/readers/consumers/" + id + "/assignments").json().getJsonArray("data");
                Set<TopicPartition> seen = new HashSet<>();
                for (JsonValue av : assigned) {
                    JsonObject as = av.asJsonObject();
                    assertEquals("KafkaConsumerAssignment", as.getString("kind"));
                    assertEquals(id, as.getString("consumer_id"));
                    TopicPartition tp = new TopicPartition(as.getString("topic_name"), as.getInt("partition_id"));
                    seen.add(tp);
                    assertTrue(as.getJsonObject("partition").getString("related")
                            .endsWith("/topics/orders/partitions/" + tp.partition()));
                    assertTrue(as.getJsonObject("lag").getString("related")
                            .endsWith(groups() + "/readers/lags/orders/partitions/" + tp.partition()));
                    assertEquals(as, http.get(groups() + "/readers/consumers/" + id + "/assignments/orders/partitions/"
                            + tp.partition()).json());
                }
                assertEquals(member.assignment(), seen);
            }
            assertError(404, "not a member", http.get(groups() + "/readers/consumers/nobody"));
            String aId = a.groupMetadata().memberId();
            int notA = b.assignment().iterator().next().partition();
            assertError(404, "is not assigned", http.get(groups() + "/readers/consumers/" + aId
                    + "/assignments/orders/partitions/" + notA));

            // Lags: exactly the records produced minus the offsets committed.
            JsonArray lags = http.get(groups() + "/readers/lags").json().getJsonArray("data");
            assertEquals(4, lags.size(), lags.toString());
            JsonObject archiveLag = lags.getJsonObject(0);
            assertEquals("archive", archiveLag.getString("topic_name"));
            assertEquals(3, archiveLag.getJsonNumber("current_offset").longValue());
            assertEquals(10, archiveLag.getJsonNumber("log_end_offset").longValue());
            assertEquals(7, archiveLag.getJsonNumber("lag").longValue());
            assertTrue(archiveLag.isNull("consumer_id"), "no member owns a partition of a topic they do not read");
            long total = 7;
            for (int p = 0; p < 3; p++) {
                JsonObject lag = lags.getJsonObject(p + 1);
                assertEquals("KafkaConsumerLag", lag.getString("kind"));
                assertEquals("orders", lag.getString("topic_name"));
                assertEquals(p, lag.getInt("partition_id"));
                assertEquals(targets.get(p), lag.getJsonNumber("current_offset").longValue());
                assertEquals(SIZES[p], lag.getJsonNumber("log_end_offset").longValue());
                assertEquals(SIZES[p] - targets.get(p), lag.getJsonNumber("lag").longValue());
                assertEquals(owners.get(p), lag.getString("consumer_id"));
                KafkaConsumer<String, String> owner = byMemberId.get(owners.get(p));
                assertEquals(owner == a ? "client-a" : "client-b", lag.getString("client_id"));
                assertEquals(owner == a ? null : "instance-b", nullable(lag, "instance_id"));
                assertEquals(lag, http.get(groups() + "/readers/lags/orders/partitions/" + p).json());
                total += SIZES[p] - targets.get(p);
            }
            assertError(404, "orders-7", http.get(groups() + "/readers/lags/orders/partitions/7"));

            JsonObject summary = http.get(groups() + "/readers/lag-summary").json();
            assertEquals("KafkaConsumerGroupLagSummary", summary.getString("kind"));
            assertEquals(27, summary.getJsonNumber("max_lag").longValue(), "orders-2: 40 - 13");
            assertEquals(total, summary.getJsonNumber("total_lag").longValue());
            assertEquals(66, total);
            assertEquals("orders", summary.getString("max_lag_topic_name"));
            assertEquals(2, summary.getInt("max_lag_partition_id"));
            assertEquals(owners.get(2), summary.getString("max_lag_consumer_id"));
            assertEquals(byMemberId.get(owners.get(2)) == a ? "client-a" : "client-b", summary.getString("max_lag_client_id"));
            assertTrue(summary.getJsonObject("max_lag_consumer").getString("related")
                    .endsWith(groups() + "/readers/consumers/" + owners.get(2)));
            assertTrue(summary.getJsonObject("max_lag_partition").getString("related").endsWith("/topics/orders/partitions/2"));

            // While members are active, no one else moves the group's offsets or deletes it.
            assertError(409, "member", reset("readers", "{\"topics\": [\"orders\"], \"to\": \"earliest\"}"));
            assertError(409, "members", http.delete(groups() + "/readers"));
            ExecutionException refused = assertThrows(ExecutionException.class, () -> admin.alterConsumerGroupOffsets(
                    "readers", Map.of(archive, new OffsetAndMetadata(0))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(UnknownMemberIdException.class, refused.getCause(),
                    "Kafka refuses a commit without a member id to a group with members");
            assertEquals(lags, http.get(groups() + "/readers/lags").json().getJsonArray("data"), "nothing moved");
        } finally {
            close(a);
            close(b);
        }

        // Members gone: the offsets stay, owned by no one, and the Kafka protocol may move them again.
        awaitEmpty("readers");
        JsonObject empty = http.get(groups() + "/readers").json();
        assertFalse(empty.getBoolean("is_simple"), "the group keeps its protocol type, as in Kafka");
        assertEquals("", empty.getString("partition_assignor"));
        assertEquals(0, http.get(groups() + "/readers/consumers").json().getJsonArray("data").size());
        admin.alterConsumerGroupOffsets("readers", Map.of(archive, new OffsetAndMetadata(10))).all().get(30, TimeUnit.SECONDS);
        JsonArray lags = http.get(groups() + "/readers/lags").json().getJsonArray("data");
        assertEquals(0, lags.getJsonObject(0).getJsonNumber("lag").longValue());
        for (JsonValue v : lags) {
            assertTrue(v.asJsonObject().isNull("consumer_id"), v.toString());
        }
        JsonObject summary = http.get(groups() + "/readers/lag-summary").json();
        assertEquals(27, summary.getJsonNumber("max_lag").longValue());
        assertEquals(59, summary.getJsonNumber("total_lag").longValue());
        assertTrue(summary.isNull("max_lag_consumer_id") && summary.isNull("max_lag_consumer"), summary.toString());

        assertEquals(204, http.delete(groups() + "/readers").status());
        assertError(404, "readers", http.get(groups() + "/readers"));
    }

    @Test
    void offsetResetsMoveAnEmptyGroupExactlyWhereItsConsumersResume() throws Exception {
        createTopic("events", 3);
        produce("events", SIZES);
        KafkaConsumer<String, String> reader = consumer("replayers", "reader", null);
        try {
            reader.subscribe(List.of("events"));
            int read = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (read < 90) {
                assertTrue(System.nanoTime() < deadline, "the reader reads all 90 records");
                read += reader.poll(Duration.ofMillis(100)).count();
            }
            reader.commitSync();
        } finally {
            close(reader);
        }
        awaitEmpty("replayers");
        assertEquals(Map.of(0, 20L, 1, 30L, 2, 40L), resumePositions("replayers", "events"), "committed at the end");

        Http.Answer earliest = reset("replayers", "{\"topics\": [\"events\"], \"to\": \"earliest\"}");
        assertEquals(200, earliest.status(), earliest.toString());
        assertEquals("KafkaConsumerGroupOffsetList", earliest.json().getString("kind"));
        JsonObject first = earliest.json().getJsonArray("data").getJsonObject(0);
        assertEquals("events", first.getString("topic_name"));
        assertEquals(0, first.getInt("partition_id"));
        assertEquals(20, first.getJsonNumber("previous_offset").longValue());
        assertEquals(0, first.getJsonNumber("offset").longValue());
        assertEquals(Map.of(0, 0L, 1, 0L, 2, 0L), offsetsIn(earliest.json()));
        assertEquals(Map.of(0, 0L, 1, 0L, 2, 0L), resumePositions("replayers", "events"));

        Http.Answer latest = reset("replayers", "{\"topics\": [{\"topic_name\": \"events\", \"partitions\": [1]}], \"to\": \"latest\"}");
        assertEquals(Map.of(1, 30L), offsetsIn(latest.json()), latest.toString());
        assertEquals(Map.of(0, 0L, 1, 30L, 2, 0L), resumePositions("replayers", "events"));

        Http.Answer exact = reset("replayers",
                "{\"topics\": [{\"topic_name\": \"events\", \"partitions\": [0, 2]}], \"to\": {\"offset\": 5}}");
        assertEquals(Map.of(0, 5L, 2, 5L), offsetsIn(exact.json()), exact.toString());
        assertEquals(Map.of(0, 5L, 1, 30L, 2, 5L), resumePositions("replayers", "events"));

        // Record i has timestamp BASE + i s: the first at or after BASE + 15.5 s is record 16 everywhere.
        Http.Answer byTime = reset("replayers",
                "{\"topics\": [\"events\"], \"to\": {\"timestamp\": " + (BASE_TIMESTAMP + 15_500) + "}}");
        assertEquals(Map.of(0, 16L, 1, 16L, 2, 16L), offsetsIn(byTime.json()), byTime.toString());
        assertEquals(Map.of(0, 16L, 1, 16L, 2, 16L), resumePositions("replayers", "events"));
        JsonArray lags = http.get(groups() + "/replayers/lags").json().getJsonArray("data");
        for (int p = 0; p < 3; p++) {
            assertEquals(SIZES[p] - 16, lags.getJsonObject(p).getJsonNumber("lag").longValue());
        }

        Http.Answer afterAll = reset("replayers",
                "{\"topics\": [\"events\"], \"to\": {\"timestamp\": " + (BASE_TIMESTAMP + 3_600_000) + "}}");
        assertEquals(Map.of(0, 20L, 1, 30L, 2, 40L), offsetsIn(afterAll.json()),
                "no record that late: the end of each partition");
        assertEquals(0, http.get(groups() + "/replayers/lag-summary").json().getJsonNumber("total_lag").longValue());
    }

    @Test
    void badRequestsAndUnknownGroupsGetJsonErrors() throws Exception {
        createTopic("errs", 2);
        produce("errs", 4, 4);
        assertError(404, "ghosts", http.get(groups() + "/ghosts"));
        assertError(404, "ghosts", http.get(groups() + "/ghosts/consumers"));
        assertError(404, "ghosts", http.get(groups() + "/ghosts/lags"));
        assertError(404, "ghosts", http.get(groups() + "/ghosts/lag-summary"));
        assertError(404, "ghosts", http.delete(groups() + "/ghosts"));
        assertError(404, "not this cluster", http.get("/v3/clusters/other/consumer-groups"));

        assertError(400, "Malformed JSON", reset("fresh", "{\"topics\": "));
        assertError(400, "empty", reset("fresh", ""));
        assertError(422, "JSON object", reset("fresh", "[]"));
        assertError(422, "'topics'", reset("fresh", "{\"to\": \"earliest\"}"));
        assertError(422, "'topics'", reset("fresh", "{\"topics\": [], \"to\": \"earliest\"}"));
        assertError(422, "'topics'", reset("fresh", "{\"topics\": [7], \"to\": \"earliest\"}"));
        assertError(422, "topic_name", reset("fresh", "{\"topics\": [{\"partitions\": [0]}], \"to\": \"earliest\"}"));
        assertError(422, "partition ids", reset("fresh",
                "{\"topics\": [{\"topic_name\": \"errs\", \"partitions\": [\"0\"]}], \"to\": \"earliest\"}"));
        assertError(422, "non-empty", reset("fresh",
                "{\"topics\": [{\"topic_name\": \"errs\", \"partitions\": []}], \"to\": \"earliest\"}"));
        assertError(422, "'to'", reset("fresh", "{\"topics\": [\"errs\"]}"));
        assertError(422, "middle", reset("fresh", "{\"topics\": [\"errs\"], \"to\": \"middle\"}"));
        assertError(422, "'to'", reset("fresh", "{\"topics\": [\"errs\"], \"to\": {\"offsets\": 3}}"));
        assertError(422, "whole number", reset("fresh", "{\"topics\": [\"errs\"], \"to\": {\"offset\": \"3\"}}"));
        assertError(422, "negative", reset("fresh", "{\"topics\": [\"errs\"], \"to\": {\"offset\": -1}}"));
        assertError(422, "negative", reset("fresh", "{\"topics\": [\"errs\"], \"to\": {\"timestamp\": -5}}"));
        assertError(404, "'nope' does not exist", reset("fresh", "{\"topics\": [\"nope\"], \"to\": \"earliest\"}"));
        assertError(404, "no partition 5", reset("fresh",
                "{\"topics\": [{\"topic_name\": \"errs\", \"partitions\": [5]}], \"to\": \"earliest\"}"));
        assertError(404, "valid start offsets are 0 to 4", reset("fresh",
                "{\"topics\": [\"errs\"], \"to\": {\"offset\": 9}}"));
        assertError(404, "fresh", http.get(groups() + "/fresh"));

        // A reset of a group that does not exist creates it, holding only offsets.
        Http.Answer created = reset("fresh", Json.createObjectBuilder()
                .add("topics", Json.createArrayBuilder().add("errs")).add("to", Json.createObjectBuilder().add("offset", 1))
                .build().toString());
        assertEquals(200, created.status(), created.toString());
        JsonObject item = created.json().getJsonArray("data").getJsonObject(0);
        assertTrue(item.isNull("previous_offset"), item.toString());
        JsonObject fresh = http.get(groups() + "/fresh").json();
        assertTrue(fresh.getBoolean("is_simple"), fresh.toString());
        assertEquals("EMPTY", fresh.getString("state"));
        JsonObject summary = http.get(groups() + "/fresh/lag-summary").json();
        assertEquals(3, summary.getJsonNumber("max_lag").longValue());
        assertEquals(6, summary.getJsonNumber("total_lag").longValue());
        assertEquals("errs", summary.getString("max_lag_topic_name"));
        assertEquals(0, summary.getInt("max_lag_partition_id"), "the first partition wins a tie");
        assertEquals(204, http.delete(groups() + "/fresh").status());
        assertError(404, "fresh", http.get(groups() + "/fresh/lags"));
    }
}
