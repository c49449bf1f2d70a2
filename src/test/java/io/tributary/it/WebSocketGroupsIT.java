package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consumer groups over the WebSocket API against one real Liberty: members sharing a topic's
 * partitions, a closed member's partitions moving after its session timeout from its commits,
 * groups reading independently, commits surviving a restart, the v3 group endpoints agreeing with
 * what was produced and committed, groups refusing members of another kind, and bad frames.
 */
class WebSocketGroupsIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int SESSION_MS = 4_000;
    private static final String JSON_V2 = "application/vnd.kafka.json.v2+json";
    private static final String V2 = "application/vnd.kafka.v2+json";

    private static LibertyServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("offsets.topic.num.partitions", "3", "auto.create.topics.enable", "false",
                "group.initial.rebalance.delay.ms", "200", "group.min.session.timeout.ms", "1000")).start();
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            if (Boolean.getBoolean("tributary.it.dumpLog")) {
                System.out.println(LibertyServer.tail(server.messagesLog(), 200));
            }
            server.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String groups() {
        return "/v3/clusters/" + http.clusterId() + "/consumer-groups";
    }

    private static void createTopic(String name, int partitions) {
        Http.Answer a = http.post("/v3/clusters/" + http.clusterId() + "/topics", Json.createObjectBuilder()
                .add("topic_name", name).add("partitions_count", partitions).add("replication_factor", 1).build());
        assertEquals(201, a.status(), a.toString());
    }

    /** Produces values from..from+count-1 as JSON numbers, value i to partition i % partitions (offset i / partitions). */
    private static void produce(String topic, int partitions, int from, int count) {
        JsonArrayBuilder records = Json.createArrayBuilder();
        for (int i = from; i < from + count; i++) {
            records.add(Json.createObjectBuilder().add("partition", i % partitions).add("value", i));
        }
        Http.Answer a = http.post("/topics/" + topic, JSON_V2,
                Json.createObjectBuilder().add("records", records).build().toString());
        assertEquals(200, a.status(), a.toString());
    }

    private static String groupSubscribe(String group, String topic, String extra) {
        return "{\"type\":\"subscribe\",\"id\":\"g1\",\"group\":\"" + group + "\",\"topics\":[\"" + topic + "\"],"
                + "\"auto.offset.reset\":\"earliest\",\"session_timeout_ms\":" + SESSION_MS + extra + "}";
    }

    private static JsonObject expect(WsClient c, String type) {
        JsonObject f = c.next(WAIT);
        assertEquals(type, f.getString("type"), f.toString());
        return f;
    }

    private static JsonObject expectError(WsClient c, String code) {
        JsonObject f = expect(c, "error");
        assertEquals(code, f.getString("code"), f.toString());
        assertFalse(f.getString("message").isBlank(), f.toString());
        return f;
    }

    private static void awaitTrue(String what, Duration timeout, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting until " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String tp(JsonObject o) {
        return o.getString("topic") + "-" + o.getInt("partition");
    }

    /**
     * A WebSocket group member as a test client: follows its assigned and revoked notices, checks that
     * every record is of a partition it owns and that each partition's records come in offset order
     * from where its assignment said, and keeps what it read.
     */
    private static final class Member implements AutoCloseable {
        final String name;
        final WsClient ws;
        final boolean commitAfterRecords;
        volatile Set<String> owned = Set.of();
        String memberId;
        /** Next expected offset per owned partition. */
        final Map<String, Long> next = new HashMap<>();
        /** Offsets read per partition. */
        final Map<String, List<Long>> read = new TreeMap<>();
        /** Offsets read per partition once {@link #marked}. */
        final Map<String, List<Long>> readAfterMark = new TreeMap<>();
        /** When (nanoTime) each partition was first assigned after the mark. */
        final Map<String, Long> assignedAfterMark = new HashMap<>();
        final List<JsonObject> answers = new ArrayList<>();
        volatile boolean marked;

        Member(String name, String subscribe, boolean commitAfterRecords) {
            this(name, WsClient.connect(server), subscribe, commitAfterRecords);
        }

        Member(String name, WsClient ws, String subscribe, boolean commitAfterRecords) {
            this.name = name;
            this.commitAfterRecords = commitAfterRecords;
            this.ws = ws;
            ws.send(subscribe);
            JsonObject ack = expect(ws, "subscribed");
            assertEquals("g1", ack.getString("id"));
        }

        /** Handles the frames that arrive until none has come for {@code quiet}. */
        void pump(Duration quiet) {
            boolean gotRecords = false;
            JsonObject f;
            while ((f = ws.poll(quiet)) != null) {
                long now = System.nanoTime();
                switch (f.getString("type")) {
                    case "assigned" -> {
                        Set<String> now2 = new TreeSet<>();
                        for (JsonValue v : f.getJsonArray("partitions")) {
                            JsonObject p = v.asJsonObject();
                            now2.add(tp(p));
                            next.put(tp(p), p.getJsonNumber("offset").longValue());
                            if (marked) {
                                assignedAfterMark.putIfAbsent(tp(p), now);
                            }
                        }
                        assertTrue(owned.isEmpty(), name + " was assigned before its previous partitions were revoked");
                        owned = now2;
                        memberId = f.getString("member_id");
                    }
                    case "revoked" -> {
                        Set<String> lost = new TreeSet<>();
                        f.getJsonArray("partitions").forEach(v -> lost.add(tp(v.asJsonObject())));
                        assertEquals(owned, lost, name + " is told it lost what it owned");
                        owned = Set.of();
                        next.clear();
                    }
                    case "record" -> {
                        onRecord(f);
                        gotRecords = true;
                    }
                    case "records" -> {
                        f.getJsonArray("records").forEach(v -> onRecord(v.asJsonObject()));
                        gotRecords = true;
                    }
                    default -> answers.add(f);
                }
            }
            if (gotRecords && commitAfterRecords) {
                ws.send("{\"type\":\"commit\",\"id\":\"c\"}");
            }
        }

        private void onRecord(JsonObject r) {
            String tp = r.containsKey("topic") ? tp(r) : null;
            assertTrue(tp != null && owned.contains(tp), name + " got a record of a partition it does not own: " + r
                    + "; owns " + owned);
            long offset = r.getJsonNumber("offset").longValue();
            assertEquals(next.get(tp), offset, name + ": " + tp + " in offset order without gaps");
            next.put(tp, offset + 1);
            read.computeIfAbsent(tp, k -> new ArrayList<>()).add(offset);
            if (marked) {
                readAfterMark.computeIfAbsent(tp, k -> new ArrayList<>()).add(offset);
            }
        }

        @Override
        public void close() {
            ws.close();
        }
    }

    private static void pumpUntil(List<Member> members, Duration timeout, String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                StringBuilder state = new StringBuilder();
                members.forEach(m -> state.append(' ').append(m.name).append(m.owned).append(m.answers));
                throw new AssertionError("Timed out waiting until " + what + ";" + state);
            }
            members.forEach(m -> m.pump(Duration.ofMillis(50)));
        }
    }

    private static boolean disjointCover(List<Member> members, int partitions) {
        Set<String> all = new HashSet<>();
        int total = 0;
        for (Member m : members) {
            if (m.owned.isEmpty()) {
                return false;
            }
            all.addAll(m.owned);
            total += m.owned.size();
        }
        return all.size() == partitions && total == partitions;
    }

    private static Set<String> distinctRead(List<Member> members) {
        Set<String> seen = new HashSet<>();
        for (Member m : members) {
            m.read.forEach((tp, offsets) -> offsets.forEach(o -> seen.add(tp + "@" + o)));
        }
        return seen;
    }

    /** The group's lags from REST v3, by "topic-partition". */
    private static Map<String, JsonObject> lags(String group) {
        Http.Answer a = http.get(groups() + "/" + group + "/lags");
        assertEquals(200, a.status(), a.toString());
        Map<String, JsonObject> out = new TreeMap<>();
        for (JsonValue v : a.json().getJsonArray("data")) {
            JsonObject l = v.asJsonObject();
            out.put(l.getString("topic_name") + "-" + l.getInt("partition_id"), l);
        }
        return out;
    }

    private static long committedOf(Map<String, JsonObject> lags, String tp) {
        JsonObject l = lags.get(tp);
        return l == null || l.isNull("current_offset") ? -1 : l.getJsonNumber("current_offset").longValue();
    }

    // ---------------------------------------------------------------- tests

    @Test
    void threeMembersSplitATopicAndAClosedMembersPartitionsMoveAfterTheSessionTimeoutFromItsCommits() {
        createTopic("split", 6);
        produce("split", 6, 0, 60);
        Member a = new Member("a", groupSubscribe("splitters", "split", ",\"auto_commit\":false"), true);
        Member b = new Member("b", groupSubscribe("splitters", "split", ",\"auto_commit\":false"), true);
        Member c = new Member("c", groupSubscribe("splitters", "split", ",\"auto_commit\":false"), true);
        List<Member> all = List.of(a, b, c);
        try {
            pumpUntil(all, Duration.ofSeconds(60), "three members share the six partitions", () -> disjointCover(all, 6));
            assertEquals(2, c.owned.size(), "range assignment gives each of three members two partitions");
            pumpUntil(all, Duration.ofSeconds(60), "the first 60 records are read", () -> distinctRead(all).size() == 60);
            Set<String> ofC = Set.copyOf(c.owned);
            pumpUntil(all, Duration.ofSeconds(30), "c has committed the end of its partitions", () -> {
                Map<String, JsonObject> lags = lags("splitters");
                return ofC.stream().allMatch(tp -> committedOf(lags, tp) == 10);
            });

            // c's connection closes without a leave frame.
            List<Member> survivors = List.of(a, b);
            survivors.forEach(m -> m.marked = true);
            long closedAt = System.nanoTime();
            c.close();
            produce("split", 6, 60, 60);
            pumpUntil(survivors, Duration.ofSeconds(60), "a and b took c's partitions", () -> disjointCover(survivors, 6));
            for (String tp : ofC) {
                long movedAfterMs = TimeUnit.NANOSECONDS.toMillis(survivors.stream()
                        .filter(m -> m.assignedAfterMark.containsKey(tp)).mapToLong(m -> m.assignedAfterMark.get(tp))
                        .min().orElseThrow() - closedAt);
                assertTrue(movedAfterMs >= SESSION_MS, tp + " moved " + movedAfterMs + " ms after the close, before the "
                        + SESSION_MS + " ms session timeout");
            }
            pumpUntil(survivors, Duration.ofSeconds(60), "all 120 records are read", () -> distinctRead(all).size() == 120);
            for (String tp : ofC) {
                List<Long> after = new ArrayList<>();
                survivors.forEach(m -> after.addAll(m.readAfterMark.getOrDefault(tp, List.of())));
                assertEquals(10L, after.stream().mapToLong(Long::longValue).min().orElse(-1),
                        "c's partition " + tp + " resumes exactly at c's commit: " + after);
                assertEquals(10, new HashSet<>(after).size(), "every record of " + tp + " after the commit is read");
            }
        } finally {
            all.forEach(Member::close);
        }
    }

    @Test
    void aSilentMemberIsToldItsPartitionsAreRevokedAndTheyMoveAfterTheSessionTimeout() {
        createTopic("quiet", 2);
        produce("quiet", 2, 0, 4);
        FreezableProxy network = new FreezableProxy(server.httpPort());
        Member a = new Member("a", groupSubscribe("hushed", "quiet", ""), false);
        Member b = new Member("b", WsClient.connect(network.port()), groupSubscribe("hushed", "quiet", ""), false);
        List<Member> both = List.of(a, b);
        try {
            pumpUntil(both, Duration.ofSeconds(60), "the two share the topic", () -> disjointCover(both, 2));
            Set<String> ofB = Set.copyOf(b.owned);
            // b's network goes quiet: nothing reaches the broker from it, not even pongs. The broker last
            // hears from b at or after silentAt (the credit frame, or a pong just after it).
            a.marked = true;
            long silentAt = System.nanoTime();
            b.ws.credit(1);
            sleep(100);
            network.freeze();
            pumpUntil(List.of(a), Duration.ofSeconds(60), "a took b's partition", () -> a.owned.size() == 2);
            for (String tp : ofB) {
                long movedAfterMs = TimeUnit.NANOSECONDS.toMillis(a.assignedAfterMark.get(tp) - silentAt);
                assertTrue(movedAfterMs >= SESSION_MS, tp + " moved " + movedAfterMs + " ms after b went silent");
            }
            produce("quiet", 2, 4, 4);
            pumpUntil(List.of(a), Duration.ofSeconds(30), "a reads the new records", () -> distinctRead(List.of(a)).size() >= 6);

            // b's network is back: b was told it lost its partition (and gets no record of it since), then rejoins.
            network.thaw();
            pumpUntil(both, Duration.ofSeconds(60), "b rejoined and the two share the topic again",
                    () -> disjointCover(both, 2));
        } finally {
            both.forEach(Member::close);
            network.close();
        }
    }

    @Test
    void aPatternSubscriptionFollowsTopicsAsTheyAreCreatedAndDeleted() {
        createTopic("pat-a", 1);
        produce("pat-a", 1, 0, 3);
        try (Member m = new Member("m", "{\"type\":\"subscribe\",\"id\":\"g1\",\"group\":\"patterned\","
                + "\"topic_pattern\":\"pat-.*\",\"auto.offset.reset\":\"earliest\"}", false)) {
            pumpUntil(List.of(m), WAIT, "pat-a is read", () -> distinctRead(List.of(m)).size() == 3);
            createTopic("pat-b", 1);
            produce("pat-b", 1, 0, 2);
            pumpUntil(List.of(m), WAIT, "the new topic is assigned and read",
                    () -> m.owned.equals(Set.of("pat-a-0", "pat-b-0")) && distinctRead(List.of(m)).size() == 5);
            assertEquals(204, http.delete("/v3/clusters/" + http.clusterId() + "/topics/pat-a").status());
            pumpUntil(List.of(m), WAIT, "the deleted topic is revoked", () -> m.owned.equals(Set.of("pat-b-0")));
            produce("pat-b", 1, 2, 1);
            pumpUntil(List.of(m), WAIT, "the session goes on", () -> distinctRead(List.of(m)).size() == 6);
            assertFalse(m.ws.isClosed());
        }
    }

    @Test
    void twoGroupsEachReadEveryRecord() {
        createTopic("shared", 3);
        produce("shared", 3, 0, 30);
        Member first = new Member("first", groupSubscribe("first", "shared", ""), false);
        Member second = new Member("second", groupSubscribe("second", "shared", ",\"batch\":true,\"assignor\":\"roundrobin\""),
                false);
        try {
            List<Member> both = List.of(first, second);
            pumpUntil(both, Duration.ofSeconds(60), "each group reads all 30 records",
                    () -> distinctRead(List.of(first)).size() == 30 && distinctRead(List.of(second)).size() == 30);
            assertEquals(3, first.owned.size());
            assertEquals(3, second.owned.size());
            // A credit frame acknowledges what was delivered; auto commit (on by default) commits it at the leave.
            first.ws.credit(100);
            first.ws.send("{\"type\":\"leave\",\"id\":\"l1\"}");
            first.pump(Duration.ofMillis(500));
            JsonObject left = first.answers.stream().filter(f -> f.getString("type").equals("left")).findFirst().orElseThrow();
            assertEquals("l1", left.getString("id"));
            assertEquals("first", left.getString("group"));
            assertTrue(first.owned.isEmpty(), "leaving revokes the partitions first");
            assertEquals(0, http.get(groups() + "/first/consumers").json().getJsonArray("data").size(),
                    "a leave frame leaves the group at once");
            Map<String, JsonObject> lags = lags("first");
            for (int p = 0; p < 3; p++) {
                assertEquals(10, committedOf(lags, "shared-" + p), "auto commit at the leave: " + lags);
            }
            assertEquals(-1, committedOf(lags("second"), "shared-0"), "nothing acknowledged, nothing auto committed");
        } finally {
            first.close();
            second.close();
        }
    }

    @Test
    void aCommitSurvivesARestartAndANewMemberResumesExactlyThere() {
        createTopic("durable", 1);
        produce("durable", 1, 0, 10);
        try (Member before = new Member("before", groupSubscribe("keepers", "durable", ",\"auto_commit\":false"), false)) {
            pumpUntil(List.of(before), Duration.ofSeconds(60), "ten records are read",
                    () -> distinctRead(List.of(before)).size() == 10);
            before.ws.send("{\"type\":\"commit\",\"id\":\"c1\",\"offsets\":[{\"topic\":\"durable\",\"partition\":0,\"offset\":4}]}");
            before.pump(Duration.ofMillis(300));
            JsonObject committed = before.answers.get(before.answers.size() - 1);
            assertEquals("committed", committed.getString("type"), committed.toString());
            assertEquals("c1", committed.getString("id"));
            assertEquals(4, committed.getJsonArray("offsets").getJsonObject(0).getInt("offset"));
        }

        server.stop();
        server.start();

        try (Member after = new Member("after", groupSubscribe("keepers", "durable", ",\"auto_commit\":false"), false)) {
            JsonObject assigned = expect(after.ws, "assigned");
            assertEquals(4, assigned.getJsonArray("partitions").getJsonObject(0).getInt("offset"),
                    "the new member starts at the commit: " + assigned);
            JsonObject first = after.ws.records(1, WAIT).get(0);
            assertEquals(4, first.getInt("offset"));
        }
    }

    @Test
    void theV3GroupEndpointsAgreeWithWhatWasProducedAndCommitted() {
        createTopic("lagged", 2);
        produce("lagged", 2, 0, 20);
        try (Member m = new Member("m", groupSubscribe("laggers", "lagged",
                ",\"client_id\":\"lagger\",\"auto_commit\":false"), false)) {
            pumpUntil(List.of(m), Duration.ofSeconds(60), "20 records are read", () -> distinctRead(List.of(m)).size() == 20);
            m.ws.send("{\"type\":\"commit\",\"id\":\"c1\",\"offsets\":[{\"topic\":\"lagged\",\"partition\":0,\"offset\":6},"
                    + "{\"topic\":\"lagged\",\"partition\":1,\"offset\":10}]}");
            m.pump(Duration.ofMillis(300));
            JsonObject committed = m.answers.get(m.answers.size() - 1);
            assertEquals("committed", committed.getString("type"), committed.toString());
            assertEquals(2, committed.getJsonArray("offsets").size());

            JsonObject group = http.get(groups() + "/laggers").json();
            assertEquals("STABLE", group.getString("state"));
            assertEquals("websocket-range", group.getString("partition_assignor"));
            JsonArray consumers = http.get(groups() + "/laggers/consumers").json().getJsonArray("data");
            assertEquals(1, consumers.size());
            assertEquals(m.memberId, consumers.getJsonObject(0).getString("consumer_id"));
            assertEquals("lagger", consumers.getJsonObject(0).getString("client_id"));
            JsonArray assignments = http.get(groups() + "/laggers/consumers/" + m.memberId + "/assignments").json()
                    .getJsonArray("data");
            assertEquals(2, assignments.size(), assignments.toString());

            Map<String, JsonObject> lags = lags("laggers");
            assertEquals(6, committedOf(lags, "lagged-0"));
            assertEquals(10, lags.get("lagged-0").getJsonNumber("log_end_offset").longValue());
            assertEquals(4, lags.get("lagged-0").getJsonNumber("lag").longValue());
            assertEquals(0, lags.get("lagged-1").getJsonNumber("lag").longValue());
            assertEquals(m.memberId, lags.get("lagged-0").getString("consumer_id"));
            assertEquals("lagger", lags.get("lagged-1").getString("client_id"));
            JsonObject summary = http.get(groups() + "/laggers/lag-summary").json();
            assertEquals(4, summary.getJsonNumber("max_lag").longValue());
            assertEquals(4, summary.getJsonNumber("total_lag").longValue());
            assertEquals(0, summary.getInt("max_lag_partition_id"));
            assertEquals(m.memberId, summary.getString("max_lag_consumer_id"));
        }
    }

    private static KafkaConsumer<String, String> kafkaConsumer(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 3_000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
        return new KafkaConsumer<>(props);
    }

    @Test
    void aWebSocketMemberCannotJoinAGroupOfKafkaConsumersOrRestInstancesNorTheOtherWayRound() {
        createTopic("kinds", 2);
        KafkaConsumer<String, String> consumer = kafkaConsumer("kafkagroup");
        try {
            consumer.subscribe(List.of("kinds"));
            awaitTrue("the Kafka consumer owns the topic", WAIT, () -> {
                consumer.poll(Duration.ofMillis(200));
                return consumer.assignment().size() == 2;
            });
            try (WsClient ws = WsClient.connect(server)) {
                ws.send(groupSubscribe("kafkagroup", "kinds", ""));
                expect(ws, "subscribed");
                JsonObject error = expectError(ws, "group_kind_mismatch");
                assertTrue(error.getString("message").contains("members of another kind"), error.toString());
                assertEquals(4409, error.getInt("close_code"));
                assertEquals(4409, ws.awaitClose(WAIT).code());
            }
            consumer.poll(Duration.ofMillis(200));
            assertEquals(2, consumer.assignment().size(), "the Kafka consumer keeps its partitions");
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }

        // A group of REST instances.
        assertEquals(200, http.post("/consumers/restgroup", V2, "{\"name\": \"r\", \"format\": \"json\"}").status());
        assertEquals(204, http.post("/consumers/restgroup/instances/r/subscription", V2, "{\"topics\": [\"kinds\"]}").status());
        awaitTrue("the REST instance joined", WAIT, () -> {
            http.get("/consumers/restgroup/instances/r/records?timeout=100", JSON_V2);
            return http.get("/consumers/restgroup/instances/r/assignments").json().getJsonArray("partitions").size() == 2;
        });
        try (WsClient ws = WsClient.connect(server)) {
            ws.send(groupSubscribe("restgroup", "kinds", ""));
            expect(ws, "subscribed");
            expectError(ws, "group_kind_mismatch");
            assertEquals(4409, ws.awaitClose(WAIT).code());
        }
        http.delete("/consumers/restgroup/instances/r");

        // And neither a REST instance nor a Kafka consumer joins a group of WebSocket members.
        try (Member m = new Member("ws", groupSubscribe("wsgroup", "kinds", ""), false)) {
            pumpUntil(List.of(m), WAIT, "the WebSocket member owns the topic", () -> m.owned.size() == 2);
            assertEquals(200, http.post("/consumers/wsgroup", V2, "{\"name\": \"r\"}").status());
            Http.Answer refused = http.post("/consumers/wsgroup/instances/r/subscription", V2, "{\"topics\": [\"kinds\"]}");
            assertEquals(409, refused.status(), refused.toString());
            assertTrue(refused.json().getString("message").contains("members of another kind"), refused.toString());
            http.delete("/consumers/wsgroup/instances/r");
            m.pump(Duration.ofMillis(200));
            assertEquals(2, m.owned.size(), "the WebSocket member keeps its partitions");
        }
    }

    @Test
    void badFramesGetTheDocumentedErrorsAndNeverDisturbOtherSessions() {
        createTopic("errs", 2);
        produce("errs", 2, 0, 4);
        try (WsClient bystander = WsClient.connect(server);
             Member member = new Member("member", groupSubscribe("errgroup", "errs", ",\"auto_commit\":false"), false)) {
            bystander.send("{\"type\":\"subscribe\",\"id\":\"s1\",\"topics\":[{\"topic\":\"errs\",\"from\":\"earliest\"}]}");
            expect(bystander, "subscribed");
            assertEquals(4, bystander.records(4, WAIT).size());
            pumpUntil(List.of(member), WAIT, "the member owns the topic", () -> member.owned.size() == 2);

            // Non-fatal: the session goes on.
            try (WsClient plain = WsClient.connect(server)) {
                plain.send("{\"type\":\"commit\",\"id\":\"c1\"}");
                assertEquals("c1", expectError(plain, "not_a_member").getString("id"));
                plain.send("{\"type\":\"leave\",\"id\":\"l1\"}");
                JsonObject notMember = expectError(plain, "not_a_member");
                assertFalse(notMember.containsKey("close_code"), notMember.toString());
                plain.send("{\"type\":\"produce\",\"id\":\"p1\",\"topic\":\"errs\",\"records\":[{\"partition_id\":0,\"value\":{\"type\":\"JSON\",\"data\":1}}]}");
                expect(plain, "produced");
                // A plain session cannot then join a group.
                plain.send("{\"type\":\"subscribe\",\"id\":\"s1\",\"topics\":[\"errs\"]}");
                expect(plain, "subscribed");
                plain.send(groupSubscribe("errgroup2", "errs", ""));
                assertEquals(4409, expectError(plain, "subscription_conflict").getInt("close_code"));
                assertEquals(4409, plain.awaitClose(WAIT).code());
            }
            member.ws.send("{\"type\":\"commit\",\"id\":\"c2\",\"offsets\":[{\"topic\":\"errs\",\"partition\":5,\"offset\":1}]}");
            member.ws.send("{\"type\":\"commit\",\"id\":\"c3\",\"offsets\":[{\"topic\":\"errs\",\"partition\":0,\"offset\":-1}]}");
            member.pump(Duration.ofMillis(500));
            JsonObject notOwned = member.answers.get(0);
            assertEquals("partition_not_owned", notOwned.getString("code"), notOwned.toString());
            assertEquals("c2", notOwned.getString("id"));
            assertFalse(notOwned.containsKey("close_code"));
            JsonObject malformed = member.answers.get(1);
            assertEquals("malformed_frame", malformed.getString("code"), malformed.toString());
            assertEquals(1007, member.ws.awaitClose(WAIT).code());

            // Fatal: each closes only its own session.
            String[][] cases = {
                    {"{\"type\":\"subscribe\",\"group\":\"e\",\"topics\":[\"errs\"],\"assignor\":\"sticky\"}", "malformed_frame", "1007"},
                    {"{\"type\":\"subscribe\",\"group\":\"e\",\"topics\":[{\"topic\":\"errs\",\"partitions\":[0]}]}", "malformed_frame", "1007"},
                    {"{\"type\":\"subscribe\",\"group\":\"e\",\"topics\":[\"errs\"],\"topic_pattern\":\"e.*\"}", "malformed_frame", "1007"},
                    {"{\"type\":\"subscribe\",\"group\":\"e\",\"topics\":[\"nope\"]}", "unknown_topic", "4404"},
                    {"{\"type\":\"subscribe\",\"topics\":[\"errs\"],\"auto_commit\":false}", "malformed_frame", "1007"},
            };
            for (String[] c : cases) {
                try (WsClient ws = WsClient.connect(server)) {
                    ws.send(c[0]);
                    JsonObject error = expectError(ws, c[1]);
                    assertEquals(Integer.parseInt(c[2]), error.getInt("close_code"), c[0]);
                    assertEquals(Integer.parseInt(c[2]), ws.awaitClose(WAIT).code(), c[0]);
                }
            }
            try (WsClient ws = WsClient.connect(server)) {
                ws.send("{\"type\":\"subscribe\",\"id\":\"t\",\"group\":\"short\",\"topics\":[\"errs\"],\"session_timeout_ms\":500}");
                expect(ws, "subscribed");
                JsonObject error = expectError(ws, "malformed_frame");
                assertTrue(error.getString("message").contains("session timeout"), error.toString());
                assertEquals(1007, ws.awaitClose(WAIT).code());
            }
            try (WsClient ws = WsClient.connect(server)) {
                ws.send("{\"type\":\"subscribe\",\"id\":\"n\",\"group\":\"fresh\",\"topics\":[\"errs\"],\"auto.offset.reset\":\"none\"}");
                expect(ws, "subscribed");
                JsonObject error = expectError(ws, "no_committed_offset");
                assertEquals("n", error.getString("id"));
                assertEquals(4416, ws.awaitClose(WAIT).code());
            }
            try (Member twice = new Member("twice", groupSubscribe("errgroup3", "errs", ""), false)) {
                twice.ws.send("{\"type\":\"subscribe\",\"id\":\"s2\",\"topics\":[\"errs\"]}");
                twice.pump(Duration.ofMillis(500));
                JsonObject conflict = twice.answers.get(twice.answers.size() - 1);
                assertEquals("subscription_conflict", conflict.getString("code"), conflict.toString());
                assertEquals(4409, twice.ws.awaitClose(WAIT).code());
            }

            // The bystander still streams.
            produce("errs", 2, 4, 2);
            assertEquals(3, bystander.records(3, WAIT).size(), "one produced over WebSocket, two over REST");
            assertFalse(bystander.isClosed());
        }
    }
}
