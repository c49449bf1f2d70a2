package io.tributary.coordination;

import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import org.apache.curator.framework.CuratorFramework;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.tributary.coordination.ZooKeeperTestSupport.connectedClient;
import static io.tributary.coordination.ZooKeeperTestSupport.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The controller against a real ZooKeeper, each test in its own chroot. */
class ControllerTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

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

    /** One broker's coordination: its client, store (registered) and controller candidate. */
    private record Node(int id, CuratorFramework client, ClusterMetadataStore store, Controller controller) {
    }

    private Node node(int id) throws Exception {
        CuratorFramework client = connectedClient(connectString);
        resources.add(client);
        ClusterMetadataStore store = new ClusterMetadataStore(client, ZooKeeperTestSupport.threads("store-" + id));
        resources.add(store);
        store.start();
        store.registerBroker(new BrokerInfo(id, "host" + id, List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", "host" + id, 9092)),
                Optional.empty(), Map.of()));
        Controller controller = new Controller(client, store, id, false, ZooKeeperTestSupport.threads("controller-" + id),
                Clock.systemUTC());
        resources.add(controller);
        controller.start();
        return new Node(id, client, store, controller);
    }

    private static int epochInZooKeeper(CuratorFramework client) throws Exception {
        return Integer.parseInt(new String(client.getData().forPath(ZkPaths.CONTROLLER_EPOCH), StandardCharsets.UTF_8));
    }

    @Test
    void oneBrokerIsControllerAndEachElectionBumpsTheControllerEpoch() throws Exception {
        Node a = node(1);
        Node b = node(2);
        eventually(WAIT, () -> a.controller().isActive() ^ b.controller().isActive(), "exactly one controller");
        Node active = a.controller().isActive() ? a : b;
        Node standby = active == a ? b : a;
        int firstEpoch = active.controller().epoch();
        assertEquals(firstEpoch, epochInZooKeeper(a.client()));

        active.controller().close();
        eventually(WAIT, () -> standby.controller().isActive(), "the other broker takes over");
        assertEquals(firstEpoch + 1, standby.controller().epoch());
        assertEquals(firstEpoch + 1, epochInZooKeeper(a.client()));
    }

    @Test
    void aBrokerGoingAwayMovesLeadershipToTheNextInSyncReplicaWithANewEpoch() throws Exception {
        Node a = node(1);
        Node b = node(2);
        Node c = node(3);
        a.store().createTopic(new TopicMetadata("t", Uuid.randomUuid(), Map.of(0, List.of(2, 3, 1)), Map.of()));
        TopicPartition tp = new TopicPartition("t", 0);
        eventually(WAIT, () -> a.controller().isActive() || b.controller().isActive() || c.controller().isActive(),
                "a controller");
        assertEquals(2, a.store().partitionState(tp).orElseThrow().leader());

        b.store().deregisterBroker();
        eventually(WAIT, () -> a.store().partitionState(tp).map(s -> s.leader() == 3).orElse(false),
                "broker 3 leads after broker 2 left");
        PartitionState moved = a.store().partitionState(tp).orElseThrow();
        assertEquals(1, moved.leaderEpoch());
        assertEquals(List.of(3, 1), moved.isr());
    }

    @Test
    void aPartitionWithNoLiveInSyncReplicaGoesOfflineAndComesBackWithItsLastReplica() throws Exception {
        Node a = node(1);
        Node b = node(2);
        a.store().createTopic(new TopicMetadata("t", Uuid.randomUuid(), Map.of(0, List.of(2)), Map.of()));
        TopicPartition tp = new TopicPartition("t", 0);
        eventually(WAIT, () -> a.controller().isActive() || b.controller().isActive(), "a controller");

        b.store().deregisterBroker();
        eventually(WAIT, () -> a.store().partitionState(tp).map(s -> s.leader() == PartitionState.NO_LEADER).orElse(false),
                "the partition goes offline");
        assertEquals(List.of(2), a.store().partitionState(tp).orElseThrow().isr());

        b.store().registerBroker(new BrokerInfo(2, "host2", List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", "host2", 9092)),
                Optional.empty(), Map.of()));
        eventually(WAIT, () -> a.store().partitionState(tp).map(s -> s.leader() == 2).orElse(false),
                "broker 2 leads again");
    }

    @Test
    void aDeposedControllersWritesAreRefused() throws Exception {
        Node a = node(1);
        a.store().createTopic(new TopicMetadata("t", Uuid.randomUuid(), Map.of(0, List.of(1)), Map.of()));
        TopicPartition tp = new TopicPartition("t", 0);
        eventually(WAIT, () -> a.controller().isActive(), "broker 1 is controller");
        int staleVersion = a.client().checkExists().forPath(ZkPaths.CONTROLLER_EPOCH).getVersion();
        // A successor bumps the epoch.
        a.client().setData().forPath(ZkPaths.CONTROLLER_EPOCH, "99".getBytes(StandardCharsets.UTF_8));
        PartitionState current = a.store().partitionState(tp).orElseThrow();
        assertThrows(ControllerMovedException.class, () -> a.store().setPartitionStateAsController(tp,
                new PartitionState(-1, current.leaderEpoch() + 1, current.isr(), 1, current.zkVersion()), staleVersion));
        assertEquals(current.leader(), a.store().partitionState(tp).orElseThrow().leader());
    }

    @Test
    void decisionsFollowKafkasRules() {
        PartitionState s = new PartitionState(1, 4, List.of(1, 2, 3), 1, 7);
        assertNull(Controller.decide(s, List.of(1, 2, 3), Set.of(1, 2, 3), false, 2), "all live: nothing to do");
        PartitionState shrunk = Controller.decide(s, List.of(1, 2, 3), Set.of(1, 2), false, 2);
        assertEquals(new PartitionState(1, 4, List.of(1, 2), 2, 7), shrunk, "a dead follower leaves the ISR, same epoch");
        PartitionState moved = Controller.decide(s, List.of(1, 2, 3), Set.of(2, 3), false, 2);
        assertEquals(new PartitionState(2, 5, List.of(2, 3), 2, 7), moved, "first live ISR replica in assignment order");
        PartitionState outOfSync = new PartitionState(1, 4, List.of(1), 1, 7);
        PartitionState offline = Controller.decide(outOfSync, List.of(1, 2, 3), Set.of(2, 3), false, 2);
        assertEquals(new PartitionState(-1, 5, List.of(1), 2, 7), offline, "no clean candidate: offline, ISR kept");
        PartitionState unclean = Controller.decide(outOfSync, List.of(1, 2, 3), Set.of(2, 3), true, 2);
        assertEquals(new PartitionState(2, 5, List.of(2), 2, 7), unclean, "unclean election takes any live replica");
        assertTrue(Controller.decide(offline, List.of(1, 2, 3), Set.of(2, 3), false, 2) == null, "stays offline quietly");
    }
}
