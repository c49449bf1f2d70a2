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
        return node(id, Controller.Settings.defaults(false));
    }

    private Node node(int id, Controller.Settings settings) throws Exception {
        CuratorFramework client = connectedClient(connectString);
        resources.add(client);
        ClusterMetadataStore store = new ClusterMetadataStore(client, ZooKeeperTestSupport.threads("store-" + id));
        resources.add(store);
        store.start();
        store.registerBroker(new BrokerInfo(id, "host" + id, List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", "host" + id, 9092)),
                Optional.empty(), Map.of()));
        Controller controller = new Controller(client, store, id, settings, ZooKeeperTestSupport.threads("controller-" + id),
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
    void everyStoreNamesTheElectedControllerNotTheLowestBrokerId() throws Exception {
        Node a = node(1);
        Node b = node(2);
        eventually(WAIT, () -> a.controller().isActive() ^ b.controller().isActive(), "exactly one controller");
        Node active = a.controller().isActive() ? a : b;
        Node standby = active == a ? b : a;
        eventually(WAIT, () -> a.store().controllerId() == active.id() && b.store().controllerId() == active.id(),
                "both stores name broker " + active.id());

        // Broker 1 stays live but gives up the election: the store names broker 2, not the lowest id.
        active.controller().close();
        eventually(WAIT, () -> standby.controller().isActive(), "the other broker takes over");
        eventually(WAIT, () -> a.store().controllerId() == standby.id() && b.store().controllerId() == standby.id(),
                "both stores name broker " + standby.id());
        assertEquals(2, a.store().liveBrokers().size());

        // A controller that retires withdraws /controller at once (it does not wait for its session to end).
        standby.controller().close();
        eventually(WAIT, () -> a.store().controllerId() == -1 && b.store().controllerId() == -1,
                "no controller once the last one retired");
        assertEquals(null, a.client().checkExists().forPath(ZkPaths.CONTROLLER));
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

    @Test
    void aControlledShutdownRequestMovesLeadershipAwayAndTakesTheBrokerOutOfEveryIsr() throws Exception {
        Node a = node(1);
        Node b = node(2);
        Node c = node(3);
        a.store().createTopic(new TopicMetadata("t", Uuid.randomUuid(),
                Map.of(0, List.of(2, 3, 1), 1, List.of(3, 2, 1), 2, List.of(2)), Map.of()));
        TopicPartition led = new TopicPartition("t", 0);
        TopicPartition followed = new TopicPartition("t", 1);
        TopicPartition alone = new TopicPartition("t", 2);
        eventually(WAIT, () -> a.controller().isActive() || b.controller().isActive() || c.controller().isActive(),
                "a controller");

        b.store().requestControlledShutdown(2, 1);
        eventually(WAIT, () -> b.store().partitionState(led).map(s -> s.leader() == 3).orElse(false),
                "broker 3 leads what broker 2 led");
        assertEquals(new PartitionState(3, 1, List.of(3, 1), b.store().partitionState(led).orElseThrow().controllerEpoch(),
                b.store().partitionState(led).orElseThrow().zkVersion()), b.store().partitionState(led).orElseThrow());
        eventually(WAIT, () -> b.store().partitionState(followed).map(s -> s.isr().equals(List.of(3, 1))).orElse(false),
                "broker 2 leaves the ISR it follows in");
        assertEquals(0, b.store().partitionState(followed).orElseThrow().leaderEpoch(), "the leader stays in its epoch");
        PartitionState single = b.store().partitionState(alone).orElseThrow();
        assertEquals(2, single.leader(), "no other replica to hand over to: broker 2 keeps leading");
        assertEquals(0, single.leaderEpoch());

        // Withdrawn (a restarted broker): broker 2 may lead again.
        b.store().cancelControlledShutdown(2);
        b.store().deregisterBroker();
        eventually(WAIT, () -> a.store().partitionState(alone).map(s -> s.leader() == PartitionState.NO_LEADER).orElse(false),
                "offline while broker 2 is away");
        b.store().registerBroker(new BrokerInfo(2, "host2", List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", "host2", 9092)),
                Optional.empty(), Map.of()));
        eventually(WAIT, () -> a.store().partitionState(alone).map(s -> s.leader() == 2).orElse(false),
                "broker 2 leads its single-replica partition again");
    }

    @Test
    void thePreferredReplicaGetsLeadershipBackOnceItIsInSync() throws Exception {
        Controller.Settings fast = new Controller.Settings(false, true, 200, 10);
        Node a = node(1, fast);
        Node b = node(2, fast);
        a.store().createTopic(new TopicMetadata("t", Uuid.randomUuid(), Map.of(0, List.of(1, 2)), Map.of()));
        TopicPartition tp = new TopicPartition("t", 0);
        eventually(WAIT, () -> a.controller().isActive() || b.controller().isActive(), "a controller");
        // As after a failover: broker 2 leads, broker 1 is not in sync yet.
        PartitionState initial = a.store().partitionState(tp).orElseThrow();
        a.store().setPartitionState(tp, new PartitionState(2, 1, List.of(2), initial.controllerEpoch(), initial.zkVersion()));
        Thread.sleep(600);
        assertEquals(2, a.store().partitionState(tp).orElseThrow().leader(), "an out-of-sync preferred replica waits");

        PartitionState failedOver = a.store().partitionState(tp).orElseThrow();
        a.store().setPartitionState(tp, new PartitionState(2, 1, List.of(2, 1), failedOver.controllerEpoch(),
                failedOver.zkVersion()));
        eventually(WAIT, () -> a.store().partitionState(tp).map(s -> s.leader() == 1).orElse(false),
                "broker 1 leads again");
        PartitionState restored = a.store().partitionState(tp).orElseThrow();
        assertEquals(2, restored.leaderEpoch());
        assertEquals(List.of(2, 1), restored.isr(), "the ISR is unchanged");
    }

    @Test
    void noRebalanceWhenDisabled() throws Exception {
        Node a = node(1, new Controller.Settings(false, false, 100, 10));
        a.store().createTopic(new TopicMetadata("t", Uuid.randomUuid(), Map.of(0, List.of(1, 2)), Map.of()));
        TopicPartition tp = new TopicPartition("t", 0);
        eventually(WAIT, () -> a.controller().isActive(), "broker 1 is controller");
        node(2, new Controller.Settings(false, false, 100, 10));
        PartitionState initial = a.store().partitionState(tp).orElseThrow();
        a.store().setPartitionState(tp, new PartitionState(2, 1, List.of(2, 1), initial.controllerEpoch(),
                initial.zkVersion()));
        Thread.sleep(500);
        assertEquals(2, a.store().partitionState(tp).orElseThrow().leader());
    }

    @Test
    void controlledShutdownAndPreferredLeaderDecisions() {
        PartitionState s = new PartitionState(1, 4, List.of(1, 2, 3), 1, 7);
        assertEquals(new PartitionState(2, 5, List.of(2, 3), 2, 7),
                Controller.decide(s, List.of(1, 2, 3), Set.of(1, 2, 3), Set.of(1), false, 2),
                "a leader shutting down hands over to the next in-sync replica and leaves the ISR");
        assertEquals(new PartitionState(1, 4, List.of(1, 3), 2, 7),
                Controller.decide(s, List.of(1, 2, 3), Set.of(1, 2, 3), Set.of(2), false, 2),
                "a follower shutting down leaves the ISR");
        PartitionState alone = new PartitionState(1, 4, List.of(1), 1, 7);
        assertNull(Controller.decide(alone, List.of(1, 2, 3), Set.of(1, 2, 3), Set.of(1), false, 2),
                "no in-sync replica to hand over to: it keeps leading");
        PartitionState orphan = new PartitionState(3, 4, List.of(3, 1, 2), 1, 7);
        assertEquals(new PartitionState(2, 5, List.of(2), 2, 7),
                Controller.decide(orphan, List.of(3, 1, 2), Set.of(1, 2), Set.of(1), false, 2),
                "a broker shutting down is never elected");
        assertEquals(new PartitionState(-1, 5, List.of(1), 2, 7),
                Controller.decide(new PartitionState(3, 4, List.of(1), 1, 7), List.of(3, 1), Set.of(1), Set.of(1), true, 2),
                "not even by an unclean election");

        PartitionState movedAway = new PartitionState(2, 5, List.of(2, 3, 1), 1, 9);
        assertEquals(new PartitionState(1, 6, List.of(2, 3, 1), 2, 9),
                Controller.preferredLeader(movedAway, List.of(1, 2, 3), Set.of(1, 2, 3), Set.of(), 2));
        assertNull(Controller.preferredLeader(new PartitionState(2, 5, List.of(2, 3), 1, 9), List.of(1, 2, 3),
                Set.of(1, 2, 3), Set.of(), 2), "not in the ISR");
        assertNull(Controller.preferredLeader(movedAway, List.of(1, 2, 3), Set.of(2, 3), Set.of(), 2), "not live");
        assertNull(Controller.preferredLeader(movedAway, List.of(1, 2, 3), Set.of(1, 2, 3), Set.of(1), 2), "shutting down");
        assertNull(Controller.preferredLeader(s, List.of(1, 2, 3), Set.of(1, 2, 3), Set.of(), 2), "leads already");

        assertTrue(Controller.imbalanced(1, 1, 10));
        assertTrue(Controller.imbalanced(2, 10, 10), "20% > 10%");
        assertTrue(!Controller.imbalanced(1, 10, 10), "10% is not above 10%");
        assertTrue(!Controller.imbalanced(0, 0, 10));
    }
}
