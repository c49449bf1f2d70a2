package io.tributary.coordination;

import static io.tributary.coordination.ZooKeeperTestSupport.connectedClient;
import static io.tributary.coordination.ZooKeeperTestSupport.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.apache.curator.framework.CuratorFramework;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store against a real ZooKeeper. Each test works in its own chroot, so tests share the
 * server but never each other's data.
 */
class ClusterMetadataStoreTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dataDir;
    static EmbeddedZooKeeper zk;

    private String connectString;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeAll
    static void startZooKeeper() {
        zk = new EmbeddedZooKeeper(dataDir, "127.0.0.1", 0);
        zk.start();
    }

    @AfterAll
    static void stopZooKeeper() {
        zk.close();
    }

    @BeforeEach
    void chroot() {
        connectString = zk.connectString() + "/test-" + Uuid.randomUuid().toString().replace('-', 'x');
    }

    @AfterEach
    void closeResources() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private CuratorFramework client() throws InterruptedException {
        CuratorFramework client = connectedClient(connectString);
        resources.add(client);
        return client;
    }

    private ClusterMetadataStore store(CuratorFramework client) throws Exception {
        ClusterMetadataStore store = new ClusterMetadataStore(client, ZooKeeperTestSupport.threads("store"));
        resources.add(store);
        store.start();
        return store;
    }

    private ClusterMetadataStore store() throws Exception {
        return store(client());
    }

    private static BrokerInfo broker(int id) {
        return new BrokerInfo(id, "host" + id,
                List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", "host" + id, 9092),
                        new Endpoint("INTERNAL", "SSL", "host" + id, 9093)),
                Optional.of("rack-a"), Map.of("http", "http://host" + id + ":9080"));
    }

    private static TopicMetadata topic(String name, int partitions, Map<String, String> configs) {
        Map<Integer, List<Integer>> assignment = new java.util.TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            assignment.put(p, List.of(1 + p % 3, 1 + (p + 1) % 3));
        }
        return new TopicMetadata(name, Uuid.randomUuid(), assignment, configs);
    }

    private static JsonObject readJson(CuratorFramework client, String path) throws Exception {
        return Json.createReader(new StringReader(new String(client.getData().forPath(path), StandardCharsets.UTF_8))).readObject();
    }

    // ------------------------------------------------------------ cluster id

    @Test
    void clusterIdIsCreatedOnceInKafkasFormatAndSurvivesStoreRestarts() throws Exception {
        CuratorFramework client = client();
        String id;
        try (ClusterMetadataStore first = new ClusterMetadataStore(client)) {
            first.start();
            id = first.clusterId();
        }
        JsonObject json = readJson(client, ZkPaths.CLUSTER_ID);
        assertEquals("1", json.getString("version"));
        assertEquals(id, json.getString("id"));
        assertEquals(16, java.util.Base64.getUrlDecoder().decode(id).length);
        assertEquals(id, store().clusterId());
    }

    @Test
    void storesRacingToCreateTheClusterIdAgree() throws Exception {
        List<ClusterMetadataStore> stores = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            stores.add(store());
        }
        ExecutorService pool = Executors.newFixedThreadPool(stores.size());
        try {
            List<Callable<String>> calls = stores.stream().<Callable<String>>map(s -> s::clusterId).toList();
            Set<String> ids = new java.util.HashSet<>();
            for (Future<String> f : pool.invokeAll(calls)) {
                ids.add(f.get());
            }
            assertEquals(1, ids.size(), ids.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------ brokers

    @Test
    void registeredBrokerIsVisibleToOtherStoresInKafkasFormat() throws Exception {
        CuratorFramework clientA = client();
        ClusterMetadataStore a = store(clientA);
        ClusterMetadataStore b = store();
        a.registerBroker(broker(1));
        assertEquals(Optional.of(broker(1)), a.broker(1), "reads its own registration");
        eventually(WAIT, () -> b.broker(1).isPresent(), "broker 1 visible to b");
        assertEquals(broker(1), b.broker(1).get());
        assertEquals(List.of(broker(1)), b.liveBrokers());

        Stat stat = clientA.checkExists().forPath("/brokers/ids/1");
        assertEquals(clientA.getZookeeperClient().getZooKeeper().getSessionId(), stat.getEphemeralOwner());
        JsonObject json = readJson(clientA, "/brokers/ids/1");
        assertEquals(5, json.getInt("version"));
        assertEquals("host1", json.getString("host"));
        assertEquals(9092, json.getInt("port"));
        assertEquals(-1, json.getInt("jmx_port"));
        assertTrue(json.getString("timestamp").matches("\\d+"));
        assertEquals(List.of("PLAINTEXT://host1:9092", "INTERNAL://host1:9093"),
                json.getJsonArray("endpoints").getValuesAs(jakarta.json.JsonString::getString));
        assertEquals("SSL", json.getJsonObject("listener_security_protocol_map").getString("INTERNAL"));
        assertEquals("rack-a", json.getString("rack"));
        assertEquals("http://host1:9080", json.getJsonObject("tributary").getString("http"));
    }

    @Test
    void registrationOfACrashedBrokerDisappearsWhenItsSessionEnds() throws Exception {
        ClusterMetadataStore observer = store();
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                BrokerProcess.class.getName(), connectString, "2", "1500")
                .redirectErrorStream(true).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(
                    new java.io.InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("REGISTERED 2")) {
                // skip the child's log output
            }
            assertEquals("REGISTERED 2", line, "child registered");
            eventually(WAIT, () -> observer.broker(2).isPresent(), "broker 2 visible");
        } finally {
            // A crash: no deregistration, the session just stops heartbeating.
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        eventually(WAIT, () -> observer.broker(2).isEmpty(), "broker 2 gone once its session expired");
    }

    @Test
    void registrationIsRecreatedAfterSessionExpiry() throws Exception {
        CuratorFramework clientA = client();
        ClusterMetadataStore a = store(clientA);
        a.registerBroker(broker(3));
        long oldSession = clientA.getZookeeperClient().getZooKeeper().getSessionId();
        Stat before = clientA.checkExists().forPath("/brokers/ids/3");

        ZooKeeperTestSupport.expireSession(clientA, zk.connectString());

        CuratorFramework observer = client();
        eventually(WAIT, () -> {
            try {
                Stat now = observer.checkExists().forPath(ZkPaths.broker(3));
                return now != null && now.getEphemeralOwner() != oldSession && now.getCzxid() > before.getCzxid();
            } catch (Exception e) {
                return false;
            }
        }, "broker 3 re-registered under a new session");
        eventually(WAIT, () -> a.broker(3).isPresent(), "store sees the re-registration");
    }

    @Test
    void duplicateBrokerIdIsRejected() throws Exception {
        ClusterMetadataStore a = store();
        ClusterMetadataStore b = store();
        a.registerBroker(broker(4));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.registerBroker(broker(4)));
        assertTrue(e.getMessage().contains("broker.id 4 is already registered by a live broker"), e.getMessage());
        assertEquals(Optional.of(broker(4)), a.broker(4), "the rejected attempt left the first registration alone");
        b.close();
        assertEquals(Optional.of(broker(4)), a.broker(4));
    }

    @Test
    void deregisterRemovesTheRegistration() throws Exception {
        CuratorFramework client = client();
        ClusterMetadataStore a = store(client);
        a.registerBroker(broker(5));
        a.deregisterBroker();
        assertTrue(a.broker(5).isEmpty());
        assertNull(client.checkExists().forPath(ZkPaths.broker(5)));
        a.registerBroker(broker(5));
        assertTrue(a.broker(5).isPresent(), "can register again");
    }

    // ------------------------------------------------------------ topics

    @Test
    void createdTopicIsReadableAtOnceAndStoredInKafkasFormat() throws Exception {
        CuratorFramework client = client();
        ClusterMetadataStore store = store(client);
        TopicMetadata orders = topic("orders", 3, Map.of("retention.ms", "1000"));
        store.createTopic(orders);

        assertEquals(Optional.of(orders), store.topic("orders"));
        assertEquals(Map.of("orders", orders), store.topics());
        assertEquals(new PartitionState(2, 0, List.of(2, 3), 0, 0), store.partitionState(new TopicPartition("orders", 1)).get());

        JsonObject t = readJson(client, "/brokers/topics/orders");
        assertEquals(3, t.getInt("version"));
        assertEquals(orders.topicId().toString(), t.getString("topic_id"));
        assertEquals(List.of(1, 2), t.getJsonObject("partitions").getJsonArray("0").getValuesAs(jakarta.json.JsonNumber::intValue));
        assertTrue(t.getJsonObject("adding_replicas").isEmpty());
        assertTrue(t.getJsonObject("removing_replicas").isEmpty());
        JsonObject c = readJson(client, "/config/topics/orders");
        assertEquals(1, c.getInt("version"));
        assertEquals("1000", c.getJsonObject("config").getString("retention.ms"));
        JsonObject s = readJson(client, "/brokers/topics/orders/partitions/2/state");
        assertEquals(1, s.getInt("version"));
        assertEquals(3, s.getInt("leader"));
        assertEquals(0, s.getInt("leader_epoch"));
        assertEquals(0, s.getInt("controller_epoch"));
        assertEquals(List.of(3, 1), s.getJsonArray("isr").getValuesAs(jakarta.json.JsonNumber::intValue));
    }

    @Test
    void creatingAnExistingTopicFails() throws Exception {
        ClusterMetadataStore store = store();
        store.createTopic(topic("dup", 1, Map.of()));
        TopicExistsException e = assertThrows(TopicExistsException.class, () -> store.createTopic(topic("dup", 2, Map.of())));
        assertEquals("Topic 'dup' already exists.", e.getMessage());
        assertEquals(1, store.topic("dup").get().partitionCount());
    }

    @Test
    void topicsCollidingOnDotAndUnderscoreAreRejected() throws Exception {
        ClusterMetadataStore store = store();
        store.createTopic(topic("a.b", 1, Map.of()));
        assertThrows(InvalidTopicException.class, () -> store.createTopic(topic("a_b", 1, Map.of())));
        assertThrows(InvalidTopicException.class, () -> store.createTopic(topic("bad name", 1, Map.of())));
    }

    @Test
    void invalidAssignmentsAreRejected() throws Exception {
        ClusterMetadataStore store = store();
        assertThrows(InvalidPartitionsException.class,
                () -> store.createTopic(new TopicMetadata("gap", Uuid.randomUuid(), Map.of(0, List.of(1), 2, List.of(1)), Map.of())));
        assertThrows(InvalidReplicaAssignmentException.class,
                () -> store.createTopic(new TopicMetadata("twice", Uuid.randomUuid(), Map.of(0, List.of(1, 1)), Map.of())));
        assertTrue(store.topics().isEmpty());
    }

    @Test
    void deletingATopicRemovesEverythingInOneGo() throws Exception {
        CuratorFramework client = client();
        ClusterMetadataStore store = store(client);
        store.createTopic(topic("gone", 2, Map.of("a", "b")));
        store.deleteTopic("gone");
        assertTrue(store.topic("gone").isEmpty());
        assertTrue(store.partitionState(new TopicPartition("gone", 0)).isEmpty());
        assertNull(client.checkExists().forPath("/brokers/topics/gone"));
        assertNull(client.checkExists().forPath("/config/topics/gone"));
        store.createTopic(topic("gone", 1, Map.of()));
        assertEquals(1, store.topic("gone").get().partitionCount(), "the name can be reused");
    }

    @Test
    void deletingOrAlteringAnUnknownTopicFails() throws Exception {
        ClusterMetadataStore store = store();
        UnknownTopicOrPartitionException e = assertThrows(UnknownTopicOrPartitionException.class, () -> store.deleteTopic("nope"));
        assertEquals("Topic 'nope' does not exist.", e.getMessage());
        assertThrows(UnknownTopicOrPartitionException.class, () -> store.alterTopicConfig("nope", Map.of("a", Optional.of("b"))));
        assertThrows(UnknownTopicOrPartitionException.class, () -> store.createPartitions("nope", Map.of(0, List.of(1))));
    }

    @Test
    void alterTopicConfigSetsAndRemovesOverrides() throws Exception {
        ClusterMetadataStore store = store();
        store.createTopic(topic("cfg", 1, Map.of("keep", "1", "drop", "2")));
        store.alterTopicConfig("cfg", Map.of("drop", Optional.empty(), "add", Optional.of("3"), "keep", Optional.of("4")));
        assertEquals(Map.of("keep", "4", "add", "3"), store.topic("cfg").get().configs());
    }

    @Test
    void createPartitionsAppendsToTheSequence() throws Exception {
        ClusterMetadataStore store = store();
        TopicMetadata original = topic("grow", 2, Map.of());
        store.createTopic(original);
        store.createPartitions("grow", Map.of(2, List.of(3, 1), 3, List.of(1, 2)));
        TopicMetadata grown = store.topic("grow").get();
        assertEquals(4, grown.partitionCount());
        assertEquals(original.topicId(), grown.topicId());
        assertEquals(List.of(3, 1), grown.replicas(2));
        assertEquals(3, store.partitionState(new TopicPartition("grow", 2)).get().leader());
    }

    @Test
    void createPartitionsRejectsIdsThatDoNotContinueTheSequence() throws Exception {
        ClusterMetadataStore store = store();
        store.createTopic(topic("seq", 2, Map.of()));
        assertThrows(InvalidPartitionsException.class, () -> store.createPartitions("seq", Map.of(3, List.of(1, 2))));
        assertThrows(InvalidPartitionsException.class, () -> store.createPartitions("seq", Map.of(1, List.of(1, 2))));
        assertThrows(InvalidPartitionsException.class, () -> store.createPartitions("seq", Map.of()));
        assertThrows(InvalidReplicaAssignmentException.class, () -> store.createPartitions("seq", Map.of(2, List.of(1))));
        assertEquals(2, store.topic("seq").get().partitionCount());
    }

    @Test
    void partitionStateWritesAreConditionalOnTheZnodeVersion() throws Exception {
        ClusterMetadataStore store = store();
        store.createTopic(topic("ps", 1, Map.of()));
        TopicPartition tp = new TopicPartition("ps", 0);
        PartitionState initial = store.partitionState(tp).get();
        PartitionState written = store.setPartitionState(tp, new PartitionState(2, 1, List.of(2), 5, initial.zkVersion()));
        assertEquals(initial.zkVersion() + 1, written.zkVersion());
        assertEquals(written, store.partitionState(tp).get());
        StalePartitionStateException stale = assertThrows(StalePartitionStateException.class,
                () -> store.setPartitionState(tp, new PartitionState(1, 2, List.of(1), 5, initial.zkVersion())));
        assertEquals(tp, stale.partition());
        assertThrows(UnknownTopicOrPartitionException.class,
                () -> store.setPartitionState(new TopicPartition("ps", 7), new PartitionState(1, 0, List.of(1), 0, 0)));
    }

    @Test
    void missingPartitionStateIsCreatedWithVersionMinusOne() throws Exception {
        CuratorFramework client = client();
        ClusterMetadataStore store = store(client);
        store.createTopic(topic("nostate", 1, Map.of()));
        TopicPartition tp = new TopicPartition("nostate", 0);
        // As a topic created by Kafka's admin tools looks before its controller has run.
        client.delete().forPath(ZkPaths.partitionState(tp));
        eventually(WAIT, () -> store.partitionState(tp).isEmpty(), "state gone from the view");
        PartitionState created = store.setPartitionState(tp, new PartitionState(1, 0, List.of(1, 2), 3, -1));
        assertEquals(0, created.zkVersion());
        assertEquals(created, store.partitionState(tp).get());
        assertThrows(StalePartitionStateException.class,
                () -> store.setPartitionState(tp, new PartitionState(2, 0, List.of(2), 3, -1)));
    }

    @Test
    void otherStoresHearAboutCreatesConfigChangesAndDeletes() throws Exception {
        ClusterMetadataStore writer = store();
        ClusterMetadataStore reader = store();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        reader.addListener(new ClusterMetadataStore.TopicListener() {
            @Override
            public void onTopicCreated(TopicMetadata t) {
                events.add("created " + t.name() + " " + t.configs());
            }

            @Override
            public void onTopicChanged(TopicMetadata t) {
                events.add("changed " + t.name() + " " + t.partitionCount() + " " + t.configs());
            }

            @Override
            public void onTopicDeleted(String name) {
                events.add("deleted " + name);
            }
        });
        writer.createTopic(topic("shared", 1, Map.of("x", "1")));
        assertEquals("created shared {x=1}", events.poll(10, TimeUnit.SECONDS));
        assertEquals(Map.of("x", "1"), reader.topic("shared").get().configs());

        writer.alterTopicConfig("shared", Map.of("x", Optional.of("2")));
        assertEquals("changed shared 1 {x=2}", events.poll(10, TimeUnit.SECONDS));

        writer.createPartitions("shared", Map.of(1, List.of(2, 3)));
        assertEquals("changed shared 2 {x=2}", events.poll(10, TimeUnit.SECONDS));

        writer.deleteTopic("shared");
        assertEquals("deleted shared", events.poll(10, TimeUnit.SECONDS));
        assertTrue(reader.topic("shared").isEmpty());
        assertNull(events.poll(500, TimeUnit.MILLISECONDS), "each change is reported once");
    }

    @Test
    void storeStartedLaterLoadsExistingTopicsAndStates() throws Exception {
        ClusterMetadataStore writer = store();
        writer.createTopic(topic("early", 2, Map.of("k", "v")));
        writer.registerBroker(broker(9));
        BlockingQueue<String> created = new LinkedBlockingQueue<>();
        CuratorFramework client = client();
        ClusterMetadataStore late = new ClusterMetadataStore(client);
        resources.add(late);
        late.addListener(new ClusterMetadataStore.TopicListener() {
            @Override
            public void onTopicCreated(TopicMetadata t) {
                created.add(t.name());
            }
        });
        late.start();
        assertEquals(writer.topic("early"), late.topic("early"));
        assertTrue(late.partitionState(new TopicPartition("early", 1)).isPresent());
        assertEquals(List.of(broker(9)), late.liveBrokers());
        assertEquals("early", created.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void chrootInTheConnectStringKeepsEverythingUnderIt() throws Exception {
        String chroot = connectString.substring(connectString.indexOf('/'));
        ClusterMetadataStore store = store(client());
        store.createTopic(topic("rooted", 1, Map.of()));
        try (CuratorFramework raw = connectedClient(zk.connectString())) {
            assertNotNull(raw.checkExists().forPath(chroot + "/brokers/topics/rooted"));
            assertNotNull(raw.checkExists().forPath(chroot + "/config/topics/rooted"));
            assertNull(raw.checkExists().forPath("/brokers/topics/rooted"));
        }
    }

    @Test
    void operationsBeforeStartOrAfterCloseAreRefused() throws Exception {
        ClusterMetadataStore store = new ClusterMetadataStore(client());
        assertThrows(IllegalStateException.class, () -> store.createTopic(topic("early", 1, Map.of())));
        store.start();
        store.start();
        store.close();
        store.close();
        assertThrows(IllegalStateException.class, store::start);
        assertFalse(store.topic("early").isPresent());
    }
}
