package io.tributary.broker;

import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.coordination.Controller;
import io.tributary.coordination.CuratorClients;
import io.tributary.coordination.EmbeddedZooKeeper;
import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.LogManagerConfig;
import org.apache.curator.framework.CuratorFramework;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broker's controlled shutdown against a real ZooKeeper and a real controller: what it leads is
 * handed over and the ISRs it is in are left before it returns, and it gives up, bounded, when no
 * controller answers.
 */
class ControlledShutdownTest {

    private static final TopicPartition LED = new TopicPartition("t", 0);
    private static final TopicPartition FOLLOWED = new TopicPartition("t", 1);

    @TempDir
    static Path zkDir;
    static EmbeddedZooKeeper zk;

    @TempDir
    Path tmp;

    private String connect;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService executor = Executors.newCachedThreadPool();

    @BeforeAll
    static void startZooKeeper() {
        zk = new EmbeddedZooKeeper(zkDir, "127.0.0.1", 0);
        zk.start();
    }

    @AfterAll
    static void stopZooKeeper() {
        zk.close();
    }

    @BeforeEach
    void chroot() {
        connect = zk.connectString() + "/test-" + Uuid.randomUuid().toString().replace('-', 'x');
    }

    @AfterEach
    void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        scheduler.shutdownNow();
        executor.shutdownNow();
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private ClusterMetadataStore broker(int id, boolean withController) throws Exception {
        CuratorFramework client = CuratorClients.newClient(connect, 10_000, 3_000, threads("curator-" + id));
        resources.add(client);
        client.start();
        assertTrue(client.blockUntilConnected(10, TimeUnit.SECONDS));
        ClusterMetadataStore store = new ClusterMetadataStore(client, threads("store-" + id));
        resources.add(store);
        store.start();
        store.registerBroker(new BrokerInfo(id, "host" + id, List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", "host" + id, 9092)),
                Optional.empty(), Map.of()));
        if (withController) {
            Controller controller = new Controller(client, store, id, false, threads("controller-" + id), Clock.systemUTC());
            resources.add(controller);
            controller.start();
        }
        return store;
    }

    private ReplicaManager replicas(int id, ClusterMetadataStore store) {
        LogConfig config = LogConfig.defaults();
        LogManager logs = new LogManager(new LogManagerConfig(List.of(tmp.resolve("logs-" + id)), 60_000, 60_000, 1),
                config, Clock.systemUTC(), scheduler, executor);
        logs.startup(t -> config).join();
        resources.add(logs::close);
        ReplicaManager replicas = new ReplicaManager(id, logs, config, store, null, executor, System::currentTimeMillis);
        store.addListener(replicas);
        return replicas;
    }

    private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void leadershipIsHandedOverAndIsrsAreLeftBeforeItReturns() throws Exception {
        ClusterMetadataStore one = broker(1, true);
        ClusterMetadataStore two = broker(2, true);
        ReplicaManager replicas = replicas(1, one);
        one.createTopic(new TopicMetadata("t", Uuid.randomUuid(), Map.of(0, List.of(1, 2), 1, List.of(2, 1)), Map.of()));
        eventually(() -> replicas.partition(LED).isPresent() && replicas.partition(FOLLOWED).isPresent(), "both replicas");
        assertEquals(List.of(LED, FOLLOWED), sorted(replicas.pendingForControlledShutdown(java.util.Set.of(1, 2))));

        ControlledShutdown.Outcome outcome = new ControlledShutdown(1, replicas, one, 3, 5_000, Clock.systemUTC()).run();

        assertTrue(outcome.handedOver(), outcome.toString());
        assertEquals(1, outcome.attempts());
        PartitionState led = two.partitionState(LED).orElseThrow();
        assertEquals(2, led.leader(), "broker 2 leads what broker 1 led");
        assertEquals(1, led.leaderEpoch());
        assertEquals(List.of(2), led.isr());
        assertEquals(List.of(2), two.partitionState(FOLLOWED).orElseThrow().isr(), "broker 1 left the ISR it followed in");
        assertFalse(replicas.partition(LED).orElseThrow().isLeader());
    }

    @Test
    void withoutAControllerItGivesUpAfterItsRetries() throws Exception {
        ClusterMetadataStore one = broker(1, false);
        broker(2, false);
        ReplicaManager replicas = replicas(1, one);
        one.createTopic(new TopicMetadata("t", Uuid.randomUuid(), Map.of(0, List.of(1, 2)), Map.of()));
        eventually(() -> replicas.partition(LED).isPresent(), "the replica");

        ControlledShutdown.Outcome outcome = new ControlledShutdown(1, replicas, one, 2, 300, Clock.systemUTC()).run();

        assertFalse(outcome.handedOver());
        assertEquals(2, outcome.attempts());
        assertEquals(List.of(LED), outcome.remaining());
        assertTrue(outcome.elapsedMs() >= 600 && outcome.elapsedMs() < 5_000, outcome.toString());
        assertEquals(1, one.partitionState(LED).orElseThrow().leader(), "nothing moved");
    }

    @Test
    void aBrokerWithNothingToHandOverReturnsAtOnce() throws Exception {
        ClusterMetadataStore one = broker(1, false);
        ReplicaManager replicas = replicas(1, one);
        one.createTopic(new TopicMetadata("t", Uuid.randomUuid(), Map.of(0, List.of(1)), Map.of()));
        eventually(() -> replicas.partition(LED).isPresent(), "the replica");

        ControlledShutdown.Outcome outcome = new ControlledShutdown(1, replicas, one, 3, 5_000, Clock.systemUTC()).run();

        assertTrue(outcome.handedOver());
        assertTrue(outcome.elapsedMs() < 2_000, outcome.toString());
    }

    private static List<TopicPartition> sorted(List<TopicPartition> tps) {
        List<TopicPartition> out = new ArrayList<>(tps);
        out.sort(java.util.Comparator.comparingInt(TopicPartition::partition));
        return out;
    }
}
