package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three Liberty brokers on one ZooKeeper server, each an entry point to the whole cluster: group
 * coordinators are the leaders of the groups' offsets partitions and survive the loss of their
 * broker; REST, WebSocket and REST consumer-instance requests to a broker that does not lead a
 * partition (or coordinate a group) get the leader's (coordinator's) answer, and a WebSocket group
 * member there is relayed to its coordinator; readiness lists offline partitions.
 *
 * <p>One cluster serves the whole class. Every test but the last leaves it as it found it (its
 * own topics and groups); the last kills a broker, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterEntryIT {

    private static final int SESSION_TIMEOUT_MS = 6_000;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String V2 = "application/vnd.kafka.v2+json";
    private static final String JSON_V2 = "application/vnd.kafka.json.v2+json";

    private static ZooKeeperProcess zooKeeper;
    private static final Map<Integer, LibertyServer> brokers = new HashMap<>();
    private static String clusterId;

    @BeforeAll
    static void startCluster() {
        zooKeeper = ZooKeeperProcess.start(1_000);
        for (int id = 1; id <= 3; id++) {
            Map<String, String> props = new HashMap<>();
            props.put("broker.id", Integer.toString(id));
            props.put("zookeeper.connect", zooKeeper.connectString());
            props.put("zookeeper.session.timeout.ms", Integer.toString(SESSION_TIMEOUT_MS));
            props.put("advertised.host.name", "127.0.0.1");
            props.put("replica.lag.time.max.ms", "10000");
            props.put("replica.fetch.backoff.ms", "200");
            props.put("offsets.topic.num.partitions", "3");
            props.put("group.initial.rebalance.delay.ms", "200");
            props.put("mp.openapi.scan.disable", "true");
            brokers.put(id, new LibertyServer(props)
                    .jvmOptions(List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")));
        }
        brokers.values().forEach(LibertyServer::startNoWait);
        brokers.values().forEach(b -> b.awaitReady(Duration.ofMinutes(8)));
        try (Admin admin = admin()) {
            await("three live brokers", WAIT, () -> {
                try {
                    return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == 3 ? true : null;
                } catch (Exception e) {
                    return null;
                }
            });
        }
        clusterId = new Http(brokers.get(1)).clusterId();
    }

    @AfterAll
    static void stopCluster() {
        brokers.values().forEach(LibertyServer::close);
        if (zooKeeper != null) {
            zooKeeper.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String bootstrap() {
        return brokers.values().stream().filter(LibertyServer::isAlive).map(LibertyServer::kafkaBootstrap)
                .collect(Collectors.joining(","));
    }

    private static Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(p);
    }

    private static <T> T await(String what, Duration timeout, Supplier<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return fail("Timed out after " + timeout + " waiting for " + what);
    }

    /** Creates a topic and waits until every partition has a leader and its full ISR. */
    private static List<TopicPartitionInfo> createTopic(String name, int partitions, int replicationFactor) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) replicationFactor)))
                    .all().get(30, TimeUnit.SECONDS);
            return await(name + " led and in sync", WAIT, () -> {
                try {
                    TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get(10, TimeUnit.SECONDS)
                            .get(name);
                    boolean ready = d.partitions().stream().allMatch(p -> p.leader() != null
                            && p.isr().size() == replicationFactor);
                    return ready ? d.partitions() : null;
                } catch (Exception e) {
                    return null;
                }
            });
        }
    }

    /** A live broker other than {@code id}. */
    private static LibertyServer other(int id) {
        return brokers.entrySet().stream().filter(e -> e.getKey() != id && e.getValue().isAlive())
                .map(Map.Entry::getValue).findFirst().orElseThrow();
    }

    /** The broker FindCoordinator names for a group, once it names one. */
    private static int coordinatorOf(String group) {
        return await("a coordinator for " + group, WAIT, () -> {
            try (RawKafkaClient c = new RawKafkaClient(other(-1).kafkaPort())) {
                FindCoordinatorResponse r = (FindCoordinatorResponse) c.call(ApiKeys.FIND_COORDINATOR, (short) 3,
                        new FindCoordinatorRequestData().setKey(group).setKeyType((byte) 0));
                return r.data().errorCode() == Errors.NONE.code() ? r.data().nodeId() : null;
            } catch (Exception e) {
                return null;
            }
        });
    }

    private static JsonObject readiness(LibertyServer server) {
        Http.Answer a = new Http(server).get("/health/ready");
        JsonObject health = Json.createReader(new StringReader(a.body())).readObject();
        for (var check : health.getJsonArray("checks")) {
            JsonObject o = check.asJsonObject();
            if (o.getString("name").equals("broker-ready")) {
                return o.getJsonObject("data");
            }
        }
        return fail("no broker-ready check in " + a.body());
    }

    // ---------------------------------------------------------------- tests

    @Test
    @Order(1)
    void everyBrokerNamesTheSameCoordinatorAndTheOthersAnswerNotCoordinator() throws Exception {
        String group = "find-me";
        int coordinator = coordinatorOf(group);
        // FindCoordinator names the leader as soon as it is published; its load of the partition follows.
        await("the coordinator to load its partition", WAIT, () -> {
            try (RawKafkaClient c = new RawKafkaClient(brokers.get(coordinator).kafkaPort())) {
                OffsetFetchResponse r = (OffsetFetchResponse) c.call(ApiKeys.OFFSET_FETCH, (short) 7,
                        new OffsetFetchRequestData().setGroupId(group).setTopics(null));
                return r.data().errorCode() == Errors.NONE.code() ? true : null;
            } catch (Exception e) {
                return null;
            }
        });
        for (Map.Entry<Integer, LibertyServer> b : brokers.entrySet()) {
            try (RawKafkaClient c = new RawKafkaClient(b.getValue().kafkaPort())) {
                FindCoordinatorResponse r = (FindCoordinatorResponse) c.call(ApiKeys.FIND_COORDINATOR, (short) 3,
                        new FindCoordinatorRequestData().setKey(group).setKeyType((byte) 0));
                assertEquals(Errors.NONE.code(), r.data().errorCode(), "broker " + b.getKey());
                assertEquals(coordinator, r.data().nodeId(), "broker " + b.getKey() + " names the same coordinator");
                assertEquals(brokers.get(coordinator).kafkaPort(), r.data().port());

                OffsetFetchResponse fetched = (OffsetFetchResponse) c.call(ApiKeys.OFFSET_FETCH, (short) 7,
                        new OffsetFetchRequestData().setGroupId(group).setTopics(null));
                HeartbeatResponse beat = (HeartbeatResponse) c.call(ApiKeys.HEARTBEAT, (short) 4,
                        new HeartbeatRequestData().setGroupId(group).setMemberId("nobody").setGenerationId(1));
                if (b.getKey() == coordinator) {
                    assertEquals(Errors.NONE.code(), fetched.data().errorCode());
                    assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), beat.data().errorCode());
                } else {
                    assertEquals(Errors.NOT_COORDINATOR.code(), fetched.data().errorCode(), "broker " + b.getKey());
                    assertEquals(Errors.NOT_COORDINATOR.code(), beat.data().errorCode(), "broker " + b.getKey());
                }
            }
        }
        try (Admin admin = admin()) {
            TopicDescription offsets = admin.describeTopics(List.of("__consumer_offsets")).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get("__consumer_offsets");
            assertEquals(3, offsets.partitions().size());
            offsets.partitions().forEach(p -> assertEquals(3, p.replicas().size(),
                    "offsets.topic.replication.factor 3 with three live brokers"));
        }
    }

    @Test
    @Order(2)
    void restProducesAndReadsAtABrokerWithoutTheLeaderGetTheLeadersAnswer() throws Exception {
        TopicPartitionInfo p = createTopic("entry-rest", 1, 1).get(0);
        LibertyServer leader = brokers.get(p.leader().id());
        Http there = new Http(other(p.leader().id()));
        Http atLeader = new Http(leader);

        Http.Answer v3 = there.post("/v3/clusters/" + clusterId + "/topics/entry-rest/records", "application/json",
                "{\"partition_id\": 0, \"value\": {\"type\": \"STRING\", \"data\": \"first\"}}");
        assertEquals(200, v3.status(), v3.toString());
        assertEquals(0, v3.json().getJsonNumber("offset").longValue());

        Http.Answer v2 = there.post("/topics/entry-rest", JSON_V2,
                "{\"records\": [{\"value\": {\"n\": 1}}, {\"value\": {\"n\": 2}}]}");
        assertEquals(200, v2.status(), v2.toString());
        JsonArray offsets = v2.json().getJsonArray("offsets");
        assertEquals(1, offsets.getJsonObject(0).getJsonNumber("offset").longValue());
        assertEquals(2, offsets.getJsonObject(1).getJsonNumber("offset").longValue());

        Http.Answer read = there.get("/topics/entry-rest/partitions/0/records?offset=0");
        assertEquals(200, read.status(), read.toString());
        assertEquals(atLeader.get("/topics/entry-rest/partitions/0/records?offset=0").array(), read.array(),
                "the same records as at the leader");
        assertEquals(3, read.array().size());
        assertEquals("first", read.array().getJsonObject(0).getString("value"));

        // Errors are the leader's too.
        Http.Answer beyond = there.get("/topics/entry-rest/partitions/0/records?offset=99");
        Http.Answer beyondAtLeader = atLeader.get("/topics/entry-rest/partitions/0/records?offset=99");
        assertEquals(beyondAtLeader.status(), beyond.status(), beyond.toString());
        assertEquals(404, beyond.status());
        assertEquals(beyondAtLeader.json().getInt("error_code"), beyond.json().getInt("error_code"));
        Http.Answer tooLarge = there.post("/v3/clusters/" + clusterId + "/topics/entry-rest/records", "application/json",
                "{\"partition_id\": 0, \"value\": {\"type\": \"STRING\", \"data\": \"" + "x".repeat(1_100_000) + "\"}}");
        assertEquals(413, tooLarge.status(), tooLarge.toString());
    }

    @Test
    @Order(3)
    void aWebSocketOnABrokerThatDoesNotLeadReceivesTheRecordsAndProducesThroughTheLeader() throws Exception {
        TopicPartitionInfo replicated = createTopic("entry-ws", 1, 3).get(0);
        TopicPartitionInfo single = createTopic("entry-ws-single", 1, 1).get(0);
        LibertyServer follower = other(replicated.leader().id());
        try (WsClient ws = WsClient.connect(follower)) {
            ws.send("{\"type\":\"subscribe\",\"id\":\"s1\",\"topics\":[{\"topic\":\"entry-ws\",\"from\":\"earliest\"}]}");
            JsonObject ack = ws.next(WAIT);
            assertEquals("subscribed", ack.getString("type"), ack.toString());
            Http.Answer produced = new Http(brokers.get(replicated.leader().id())).post("/topics/entry-ws", JSON_V2,
                    "{\"records\": [{\"value\": \"a\"}, {\"value\": \"b\"}, {\"value\": \"c\"}]}");
            assertEquals(200, produced.status(), produced.toString());
            List<JsonObject> records = ws.records(3, WAIT);
            assertEquals(List.of("a", "b", "c"), records.stream().map(r -> r.getString("value")).toList());
            assertEquals(List.of(0L, 1L, 2L), records.stream().map(r -> r.getJsonNumber("offset").longValue()).toList());
        }
        try (WsClient ws = WsClient.connect(other(single.leader().id()))) {
            ws.send("{\"type\":\"produce\",\"id\":\"p1\",\"topic\":\"entry-ws-single\",\"records\":"
                    + "[{\"value\":{\"type\":\"STRING\",\"data\":\"x\"}},{\"value\":{\"type\":\"STRING\",\"data\":\"y\"}}]}");
            JsonObject answer = ws.next(WAIT);
            assertEquals("produced", answer.getString("type"), answer.toString());
            assertEquals(1, answer.getJsonArray("offsets").getJsonObject(1).getJsonNumber("offset").longValue());
        }
    }

    /** A group whose coordinator is not broker {@code id}. */
    private static String groupNotCoordinatedBy(String prefix, int id) {
        for (int i = 0; ; i++) {
            String group = prefix + "-" + i;
            if (coordinatorOf(group) != id) {
                return group;
            }
        }
    }

    @Test
    @Order(3)
    void subscriptionsAndConsumerInstancesOnABrokerWithoutAReplicaFollowTheLeader() throws Exception {
        TopicPartitionInfo p = createTopic("entry-remote", 1, 1).get(0);
        int leaderId = p.leader().id();
        Http atLeader = new Http(brokers.get(leaderId));
        LibertyServer noReplica = other(leaderId);
        assertEquals(200, atLeader.post("/topics/entry-remote", JSON_V2,
                "{\"records\": [{\"value\": \"b0\"}, {\"value\": \"b1\"}]}").status());

        // A plain subscription: what is there, then what is produced after it (woken by the leader's long poll).
        try (WsClient ws = WsClient.connect(noReplica)) {
            ws.send("{\"type\":\"subscribe\",\"id\":\"s1\",\"topics\":[{\"topic\":\"entry-remote\",\"from\":\"earliest\"}]}");
            JsonObject ack = ws.next(WAIT);
            assertEquals("subscribed", ack.getString("type"), ack.toString());
            assertEquals(0, ack.getJsonArray("partitions").getJsonObject(0).getJsonNumber("offset").longValue(), ack.toString());
            assertEquals(List.of("b0", "b1"), ws.records(2, WAIT).stream().map(r -> r.getString("value")).toList());
            long produced = System.nanoTime();
            assertEquals(200, atLeader.post("/topics/entry-remote", JSON_V2,
                    "{\"records\": [{\"value\": \"a2\"}, {\"value\": \"a3\"}, {\"value\": \"a4\"}]}").status());
            List<JsonObject> later = ws.records(3, WAIT);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - produced);
            System.out.printf("ClusterEntryIT: records produced at broker %d reached a subscriber at a broker without a"
                    + " replica after %d ms%n", leaderId, tookMs);
            assertEquals(List.of("a2", "a3", "a4"), later.stream().map(r -> r.getString("value")).toList());
            assertEquals(List.of(2L, 3L, 4L), later.stream().map(r -> r.getJsonNumber("offset").longValue()).toList());
            assertTrue(tookMs < 5_000, "delivered as the leader commits, not by polling: " + tookMs + " ms");
        }
        // A subscription from the end sees only what comes after it.
        try (WsClient ws = WsClient.connect(noReplica)) {
            ws.send("{\"type\":\"subscribe\",\"id\":\"s2\",\"topics\":[{\"topic\":\"entry-remote\",\"from\":\"latest\"}]}");
            JsonObject ack = ws.next(WAIT);
            assertEquals(5, ack.getJsonArray("partitions").getJsonObject(0).getJsonNumber("offset").longValue(), ack.toString());
            assertEquals(200, atLeader.post("/topics/entry-remote", JSON_V2, "{\"records\": [{\"value\": \"a5\"}]}").status());
            JsonObject r = ws.records(1, WAIT).get(0);
            assertEquals("a5", r.getString("value"));
            assertEquals(5, r.getJsonNumber("offset").longValue());
        }

        // A WebSocket group member at a coordinator without a replica of the partition it is assigned.
        String wsGroup = groupNotCoordinatedBy("remote-ws", leaderId);
        LibertyServer wsCoordinator = brokers.get(coordinatorOf(wsGroup));
        try (WsClient ws = WsClient.connect(wsCoordinator)) {
            ws.send("{\"type\":\"subscribe\",\"id\":\"g1\",\"group\":\"" + wsGroup + "\","
                    + "\"topics\":[\"entry-remote\"],\"auto.offset.reset\":\"earliest\"}");
            assertEquals("subscribed", ws.next(WAIT).getString("type"));
            JsonObject assigned = ws.next(WAIT);
            assertEquals("assigned", assigned.getString("type"), assigned.toString());
            List<JsonObject> all = ws.records(6, WAIT);
            assertEquals(List.of("b0", "b1", "a2", "a3", "a4", "a5"), all.stream().map(r -> r.getString("value")).toList());
            assertEquals(200, atLeader.post("/topics/entry-remote", JSON_V2, "{\"records\": [{\"value\": \"a6\"}]}").status());
            assertEquals("a6", ws.records(1, WAIT).get(0).getString("value"));
            ws.send("{\"type\":\"leave\",\"id\":\"l1\"}");
        }

        // A REST consumer instance whose coordinator has no replica: a waiting read is answered when records come.
        String restGroup = groupNotCoordinatedBy("remote-rest", leaderId);
        Http coordinator = new Http(brokers.get(coordinatorOf(restGroup)));
        String base = "/consumers/" + restGroup + "/instances/c1";
        assertEquals(200, coordinator.post("/consumers/" + restGroup, V2, "{\"name\": \"c1\", \"format\": \"json\","
                + " \"auto.offset.reset\": \"latest\", \"auto.commit.enable\": \"false\"}").status());
        assertEquals(204, coordinator.post(base + "/subscription", V2, "{\"topics\": [\"entry-remote\"]}").status());
        // The first read joins the group and places the instance at the end (7).
        Http.Answer first = coordinator.get(base + "/records?timeout=2000", JSON_V2);
        assertEquals(200, first.status(), first.toString());
        assertEquals(0, first.array().size(), first.toString());
        java.util.concurrent.CompletableFuture<Http.Answer> waiting = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> coordinator.get(base + "/records?timeout=20000&max_bytes=1000000", JSON_V2));
        Thread.sleep(1_000);
        long produced = System.nanoTime();
        assertEquals(200, atLeader.post("/topics/entry-remote", JSON_V2,
                "{\"records\": [{\"value\": \"c7\"}, {\"value\": \"c8\"}]}").status());
        Http.Answer read = waiting.get(30, TimeUnit.SECONDS);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - produced);
        assertEquals(200, read.status(), read.toString());
        List<String> values = new ArrayList<>();
        read.array().forEach(v -> values.add(v.asJsonObject().getString("value")));
        assertEquals(List.of("c7", "c8"), values.subList(0, Math.min(2, values.size())), read.toString());
        assertEquals(7, read.array().getJsonObject(0).getJsonNumber("offset").longValue(), read.toString());
        assertTrue(tookMs < 10_000, "the waiting read was woken by the records, not its timeout: " + tookMs + " ms");
        assertEquals(200, coordinator.post(base + "/offsets", V2,
                "{\"offsets\": [{\"topic\": \"entry-remote\", \"partition\": 0, \"offset\": 9}]}").status());
        // Seeking to the beginning goes by the leader's log start offset.
        assertEquals(204, coordinator.post(base + "/positions/beginning", V2,
                "{\"partitions\": [{\"topic\": \"entry-remote\", \"partition\": 0}]}").status());
        List<String> again = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (again.size() < 9 && System.nanoTime() < deadline) {
            Http.Answer r = coordinator.get(base + "/records?timeout=1000", JSON_V2);
            assertEquals(200, r.status(), r.toString());
            r.array().forEach(v -> again.add(v.asJsonObject().getString("value")));
        }
        assertEquals(List.of("b0", "b1", "a2", "a3", "a4", "a5", "a6", "c7", "c8"), again);
        assertEquals(204, coordinator.delete(base).status());
    }

    @Test
    @Order(4)
    void aRestConsumerInstanceWorksThroughABrokerThatIsNotItsGroupsCoordinator() throws Exception {
        createTopic("entry-consumers", 1, 3);
        String group = "rest-entry";
        int coordinator = coordinatorOf(group);
        Http there = new Http(other(coordinator));
        String base = "/consumers/" + group + "/instances/c1";
        Http.Answer created = there.post("/consumers/" + group, V2,
                "{\"name\": \"c1\", \"format\": \"json\", \"auto.offset.reset\": \"earliest\", \"auto.commit.enable\": \"false\"}");
        assertEquals(200, created.status(), created.toString());
        assertTrue(created.json().getString("base_uri").contains(":" + brokers.get(coordinator).httpPort() + "/"),
                "the instance lives on the coordinator: " + created);
        assertEquals(204, there.post(base + "/subscription", V2, "{\"topics\": [\"entry-consumers\"]}").status());
        assertEquals(200, there.post("/topics/entry-consumers", JSON_V2,
                "{\"records\": [{\"value\": 1}, {\"value\": 2}]}").status());

        List<JsonObject> got = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (got.size() < 2 && System.nanoTime() < deadline) {
            Http.Answer r = there.get(base + "/records?timeout=1000", JSON_V2);
            assertEquals(200, r.status(), r.toString());
            r.array().forEach(v -> got.add(v.asJsonObject()));
        }
        assertEquals(List.of(1, 2), got.stream().map(o -> o.getInt("value")).toList());
        assertEquals(200, there.post(base + "/offsets", V2,
                "{\"offsets\": [{\"topic\": \"entry-consumers\", \"partition\": 0, \"offset\": 2}]}").status());
        Http.Answer committed = there.send(java.net.http.HttpRequest.newBuilder(there.uri(base + "/offsets"))
                .header("Content-Type", V2).method("GET", java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"partitions\": [{\"topic\": \"entry-consumers\", \"partition\": 0}]}")));
        assertEquals(200, committed.status(), committed.toString());
        assertEquals(2, committed.json().getJsonArray("offsets").getJsonObject(0).getInt("offset"));
        // The v3 view of the group is the coordinator's, whichever broker is asked.
        Http.Answer v3 = there.get("/v3/clusters/" + clusterId + "/consumer-groups/" + group + "/consumers");
        assertEquals(200, v3.status(), v3.toString());
        assertEquals(1, v3.json().getJsonArray("data").size(), v3.toString());
        assertEquals(204, there.delete(base).status());
    }

    @Test
    @Order(5)
    void aWebSocketGroupMemberOnABrokerThatIsNotItsCoordinatorIsRelayedToItAndAForwardedSessionIsNotRelayedAgain()
            throws Exception {
        createTopic("entry-ws-group", 1, 3);
        String group = "ws-entry";
        TopicPartition tp = new TopicPartition("entry-ws-group", 0);
        int coordinator = coordinatorOf(group);
        LibertyServer elsewhere = other(coordinator);
        String coordinatorUrl = "ws://127.0.0.1:" + brokers.get(coordinator).httpPort() + "/ws/v1/stream";
        String subscribe = "{\"type\":\"subscribe\",\"id\":\"g1\",\"group\":\"" + group + "\","
                + "\"topics\":[\"entry-ws-group\"],\"auto.offset.reset\":\"earliest\",\"auto_commit\":false,"
                + "\"session_timeout_ms\":" + SESSION_TIMEOUT_MS + "}";

        // A session that a relaying broker opened (it carries the header) is sent on, not relayed again.
        try (WsClient ws = WsClient.connect(elsewhere, Map.of("X-Tributary-Forwarded-By", "7"))) {
            ws.send(subscribe);
            JsonObject ack = ws.next(WAIT);
            assertEquals("subscribed", ack.getString("type"), ack.toString());
            JsonObject error = ws.next(WAIT);
            assertEquals("error", error.getString("type"), error.toString());
            assertEquals("not_coordinator", error.getString("code"), error.toString());
            assertEquals("g1", error.getString("id"), error.toString());
            assertEquals(4421, error.getInt("close_code"));
            assertEquals(coordinator, error.getInt("coordinator_id"));
            assertEquals("http://127.0.0.1:" + brokers.get(coordinator).httpPort(), error.getString("coordinator_http"));
            assertEquals(coordinatorUrl, error.getString("coordinator_ws_url"));
            assertEquals(4421, ws.awaitClose(WAIT).code());
        }

        assertEquals(200, new Http(brokers.get(coordinator)).post("/topics/entry-ws-group", JSON_V2,
                "{\"records\": [{\"value\": \"r0\"}, {\"value\": \"r1\"}]}").status());
        // Resources close in reverse order: the client is closed last, just before closedAt.
        try (WsClient ws = WsClient.connect(elsewhere); Admin admin = admin()) {
            long sent = System.nanoTime();
            ws.send(subscribe);
            JsonObject ack = ws.next(WAIT);
            assertEquals("subscribed", ack.getString("type"), ack.toString());
            assertEquals(group, ack.getString("group"), ack.toString());
            JsonObject assigned = ws.next(WAIT);
            System.out.printf("ClusterEntryIT: WebSocket member at HTTP port %d relayed to coordinator %d, assigned"
                    + " after %d ms%n", elsewhere.httpPort(), coordinator,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
            assertEquals("assigned", assigned.getString("type"), assigned.toString());
            JsonArray partitions = assigned.getJsonArray("partitions");
            assertEquals(1, partitions.size(), assigned.toString());
            assertEquals("entry-ws-group", partitions.getJsonObject(0).getString("topic"));
            assertEquals(0, partitions.getJsonObject(0).getInt("offset"), assigned.toString());
            String memberId = assigned.getString("member_id");

            List<JsonObject> records = ws.records(2, WAIT);
            assertEquals(List.of("r0", "r1"), records.stream().map(r -> r.getString("value")).toList());
            assertEquals(List.of(0, 1), records.stream().map(r -> r.getInt("offset")).toList());
            // Produced while the member is connected, at the relaying broker.
            assertEquals(200, new Http(elsewhere).post("/topics/entry-ws-group", JSON_V2,
                    "{\"records\": [{\"value\": \"r2\"}]}").status());
            JsonObject r2 = ws.records(1, WAIT).get(0);
            assertEquals("r2", r2.getString("value"));
            assertEquals(2, r2.getInt("offset"));

            // Idle for longer than the session timeout: only the client's own pongs, passed on by the
            // relay, keep the member alive at the coordinator (no revocation, still the same member).
            JsonObject idle = ws.poll(Duration.ofMillis(SESSION_TIMEOUT_MS + 3_000L));
            assertNull(idle, "nothing arrives while the member is idle");
            assertEquals(200, new Http(brokers.get(coordinator)).post("/topics/entry-ws-group", JSON_V2,
                    "{\"records\": [{\"value\": \"r3\"}]}").status());
            JsonObject r3 = ws.records(1, WAIT).get(0);
            assertEquals("r3", r3.getString("value"));
            assertEquals(3, r3.getInt("offset"));

            ws.send("{\"type\":\"commit\",\"id\":\"c1\",\"offsets\":[{\"topic\":\"entry-ws-group\",\"partition\":0,"
                    + "\"offset\":4}]}");
            JsonObject committed = ws.next(WAIT);
            assertEquals("committed", committed.getString("type"), committed.toString());
            assertEquals("c1", committed.getString("id"));
            assertEquals(4, committed.getJsonArray("offsets").getJsonObject(0).getInt("offset"), committed.toString());
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            assertEquals(4, offsets.get(tp).offset(), "the commit is the coordinator's: " + offsets);
            var members = admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group).members();
            assertEquals(List.of(memberId), members.stream().map(m -> m.consumerId()).toList(), members.toString());
        }
        long closedAt = System.nanoTime();
        try (Admin admin = admin()) {
            await("no members of " + group + " once the relayed client closed", WAIT, () -> {
                try {
                    return admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group)
                            .members().isEmpty() ? true : null;
                } catch (Exception e) {
                    return null;
                }
            });
            long goneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt);
            System.out.printf("ClusterEntryIT: the relayed member left the group %d ms after its client closed%n", goneMs);
            // A closed connection is a member gone silent: it leaves one session timeout after the close.
            assertTrue(goneMs < SESSION_TIMEOUT_MS + 6_000, "gone within a session timeout of the close: " + goneMs + " ms");
        }
        // One line for the relayed session, however many frames went through it.
        String started = "of group " + group + " is relayed to its coordinator, broker " + coordinator;
        long lines = await("the relay's log line", Duration.ofSeconds(10), () -> {
            try {
                long n = java.nio.file.Files.readAllLines(elsewhere.messagesLog()).stream()
                        .filter(l -> l.contains(started)).count();
                return n > 0 ? n : null;
            } catch (java.io.IOException e) {
                return null;
            }
        });
        assertEquals(1, lines);
    }

    @Test
    @Order(6)
    void kafkaAdminNamesTheElectedControllerAsReadinessDoes() throws Exception {
        int reported;
        try (Admin admin = admin()) {
            reported = admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id();
        }
        List<Integer> saysController = brokers.entrySet().stream()
                .filter(e -> readiness(e.getValue()).getBoolean("controller"))
                .map(Map.Entry::getKey).toList();
        assertEquals(List.of(reported), saysController, "the broker Admin names is the one whose readiness says controller");
    }

    @Test
    @Order(7)
    void partitionOffsetsAndRecordDeletionAtABrokerThatDoesNotLeadAreTheLeaders() throws Exception {
        // entry-rest: one replica, three records (test 2); entry-ws: three replicas, three records (test 3).
        TopicPartitionInfo single;
        TopicPartitionInfo replicated;
        try (Admin admin = admin()) {
            Map<String, TopicDescription> d = admin.describeTopics(List.of("entry-rest", "entry-ws")).allTopicNames()
                    .get(10, TimeUnit.SECONDS);
            single = d.get("entry-rest").partitions().get(0);
            replicated = d.get("entry-ws").partitions().get(0);
        }
        Http atLeader = new Http(brokers.get(single.leader().id()));
        Http there = new Http(other(single.leader().id()));
        String offsets = "/topics/entry-rest/partitions/0/offsets";
        Http.Answer fromLeader = atLeader.get(offsets);
        assertEquals(200, fromLeader.status(), fromLeader.toString());
        assertEquals(3, fromLeader.json().getJsonNumber("end_offset").longValue());
        Http.Answer forwarded = there.get(offsets);
        assertEquals(200, forwarded.status(), forwarded.toString());
        assertEquals(fromLeader.json(), forwarded.json(), "a broker without a replica answers the leader's offsets");
        Http.Answer atFollower = new Http(other(replicated.leader().id())).get("/topics/entry-ws/partitions/0/offsets");
        assertEquals(new Http(brokers.get(replicated.leader().id())).get("/topics/entry-ws/partitions/0/offsets").json(),
                atFollower.json(), "a follower answers the leader's offsets too");
        Http.Answer unknown = there.get("/topics/entry-rest/partitions/7/offsets");
        assertEquals(atLeader.get("/topics/entry-rest/partitions/7/offsets").status(), unknown.status(), unknown.toString());
        assertEquals(404, unknown.status());

        String delete = "/topics/entry-rest/partitions/0/records?before=";
        Http.Answer deleted = there.delete(delete + "1");
        assertEquals(200, deleted.status(), deleted.toString());
        assertEquals(1, deleted.json().getJsonNumber("beginning_offset").longValue(), deleted.toString());
        assertEquals(atLeader.get(offsets).json(), deleted.json(), "deleted at the leader, which answers the same offsets");
        assertEquals(404, atLeader.get("/topics/entry-rest/partitions/0/records?offset=0").status(),
                "record 0 is gone at the leader");
        Http.Answer read = atLeader.get("/topics/entry-rest/partitions/0/records?offset=1");
        assertEquals(1, read.array().getJsonObject(0).getJsonNumber("offset").longValue(), read.toString());

        for (String before : List.of("99", "-1")) {
            Http.Answer refused = there.delete(delete + before);
            Http.Answer refusedAtLeader = atLeader.delete(delete + before);
            assertEquals(refusedAtLeader.status(), refused.status(), "before=" + before + ": " + refused);
            assertEquals(refusedAtLeader.json().getInt("error_code"), refused.json().getInt("error_code"), refused.toString());
        }
        assertEquals(1, atLeader.get(offsets).json().getJsonNumber("beginning_offset").longValue(), "nothing more deleted");
    }

    @Test
    @Order(8)
    void theConsumerGroupListOfAnyBrokerHasTheGroupsOfEveryCoordinator() throws Exception {
        // Groups whose offsets partitions (three, spread over the brokers) have different leaders.
        Map<Integer, String> groupByCoordinator = new HashMap<>();
        for (int i = 0; groupByCoordinator.size() < 3 && i < 60; i++) {
            groupByCoordinator.putIfAbsent(coordinatorOf("listed-" + i), "listed-" + i);
        }
        assertTrue(groupByCoordinator.size() >= 2, "groups on several coordinators: " + groupByCoordinator);
        try (Admin admin = admin()) {
            for (String group : groupByCoordinator.values()) {
                admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition("entry-ws", 0), new OffsetAndMetadata(1)))
                        .all().get(30, TimeUnit.SECONDS);
            }
        }
        Set<String> expected = Set.copyOf(groupByCoordinator.values());
        Set<String> first = null;
        for (Map.Entry<Integer, LibertyServer> b : brokers.entrySet()) {
            Http.Answer list = new Http(b.getValue()).get("/v3/clusters/" + clusterId + "/consumer-groups");
            assertEquals(200, list.status(), list.toString());
            Set<String> ids = list.json().getJsonArray("data").stream()
                    .map(g -> g.asJsonObject().getString("consumer_group_id")).collect(Collectors.toSet());
            assertTrue(ids.containsAll(expected), "broker " + b.getKey() + " lists " + ids + ", not all of " + expected);
            if (first == null) {
                first = ids;
            }
            assertEquals(first, ids, "every broker lists the same groups");
            assertEquals(ids.size(), list.json().getJsonArray("data").size(), "each group once: " + list);
        }
    }

    @Test
    @Order(10)
    void aGroupKeepsItsCommittedOffsetsWhenItsCoordinatorsBrokerIsKilledAndReadinessListsWhatWentOffline()
            throws Exception {
        String topic = "entry-durable";
        String group = "durable-group";
        createTopic(topic, 1, 3);
        List<TopicPartitionInfo> lonely = createTopic("entry-lonely", 3, 1);
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, "r" + i));
            }
            producer.flush();
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = consumer(group)) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> seen = new ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (seen.size() < 40 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(seen::add);
            }
            assertTrue(seen.size() >= 40, "read " + seen.size());
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(40)));
        }
        int coordinator = coordinatorOf(group);
        int survivor = brokers.keySet().stream().filter(id -> id != coordinator).findFirst().orElseThrow();
        TopicPartition offline = lonely.stream().filter(p -> p.leader().id() == coordinator)
                .map(p -> new TopicPartition("entry-lonely", p.partition())).findFirst().orElseThrow();

        long killedAt = System.nanoTime();
        brokers.get(coordinator).kill();

        int next = await("a new coordinator", WAIT, () -> {
            int c = coordinatorOf(group);
            return c != coordinator ? c : null;
        });
        assertNotEquals(coordinator, next);
        try (KafkaConsumer<String, String> consumer = consumer(group)) {
            assertEquals(40, await("the committed offset from the new coordinator", WAIT, () -> {
                try {
                    OffsetAndMetadata o = consumer.committed(Set.of(tp), Duration.ofSeconds(10)).get(tp);
                    return o == null ? null : o.offset();
                } catch (Exception e) {
                    return null;
                }
            }));
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> resumed = new ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (resumed.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(resumed::add);
            }
            assertTrue(!resumed.isEmpty(), "the group resumed");
            assertEquals(40, resumed.get(0).offset(), "resumed at the committed offset, not at auto.offset.reset");
        }
        System.out.printf("Coordinator broker %d killed; broker %d coordinates %s; resumed after %d ms%n",
                coordinator, next, group, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));

        JsonObject ready = await("readiness listing " + offline, WAIT, () -> {
            JsonObject data = readiness(brokers.get(survivor));
            return data.getString("offline.partition.names", "").contains(offline.toString()) ? data : null;
        });
        assertTrue(ready.getJsonNumber("offline.partitions").intValue() >= 1, ready.toString());

        // The killed broker is no longer registered: the survivors' group lists go on without it.
        Http.Answer list = new Http(brokers.get(survivor)).get("/v3/clusters/" + clusterId + "/consumer-groups");
        assertEquals(200, list.status(), list.toString());
        assertTrue(list.json().getJsonArray("data").stream()
                .anyMatch(g -> g.asJsonObject().getString("consumer_group_id").equals(group)), list.toString());
    }

    private static KafkaConsumer<String, String> consumer(String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10");
        return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    }
}
