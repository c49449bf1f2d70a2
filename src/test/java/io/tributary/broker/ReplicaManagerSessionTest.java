package io.tributary.broker;

import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.coordination.CuratorClients;
import io.tributary.coordination.EmbeddedZooKeeper;
import io.tributary.coordination.ZooKeeperSession;
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
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A leader cut off from a real ZooKeeper (through a TCP relay the test cuts) while another broker
 * takes its partition over: it stops acting as leader while disconnected, and when the connection
 * is back it re-reads the state and is a follower of the newer epoch before it has authority again.
 */
class ReplicaManagerSessionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    Path tmp;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService executor = Executors.newCachedThreadPool();

    @AfterEach
    void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        scheduler.shutdownNow();
        executor.shutdownNow();
    }

    private <T extends AutoCloseable> T closing(T resource) {
        resources.add(resource);
        return resource;
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private CuratorFramework client(int port, int sessionTimeoutMs) throws InterruptedException {
        CuratorFramework c = closing(CuratorClients.newClient("127.0.0.1:" + port, sessionTimeoutMs, 3_000, threads("curator")));
        c.start();
        assertTrue(c.blockUntilConnected(10, TimeUnit.SECONDS));
        return c;
    }

    private ClusterMetadataStore store(CuratorFramework client, int brokerId) throws Exception {
        ClusterMetadataStore store = closing(new ClusterMetadataStore(client, threads("store-" + brokerId)));
        store.start();
        store.registerBroker(new BrokerInfo(brokerId, "host" + brokerId,
                List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", "host" + brokerId, 9092)), Optional.empty(), Map.of()));
        return store;
    }

    private static MemoryRecords batch(String value) {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(256), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, 0L);
        b.append(1_000L, null, value.getBytes(StandardCharsets.UTF_8));
        return b.build();
    }

    private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aLeaderCutOffFromZooKeeperStopsLeadingAndComesBackAsFollowerOfTheNewerEpoch() throws Exception {
        EmbeddedZooKeeper zk = closing(new EmbeddedZooKeeper(tmp.resolve("zk"), "127.0.0.1", 0));
        zk.start();
        TcpProxy link = closing(new TcpProxy(zk.port()));
        // Long enough that the session survives the cut: only the connection is lost.
        CuratorFramework cutOff = client(link.port(), 15_000);
        ZooKeeperSession session = closing(new ZooKeeperSession(cutOff));
        ClusterMetadataStore view = store(cutOff, 1);
        ClusterMetadataStore other = store(client(zk.port(), 15_000), 2);

        LogConfig config = LogConfig.defaults();
        LogManager logs = new LogManager(new LogManagerConfig(List.of(tmp.resolve("logs")), 60_000, 60_000, 1),
                config, Clock.systemUTC(), scheduler, executor);
        logs.startup(t -> config).join();
        resources.add(logs::close);
        ReplicaManager replicas = new ReplicaManager(1, logs, config, view, null, executor, System::currentTimeMillis);
        view.addListener(replicas);
        session.addListener(replicas::onConnectionStateChanged);

        other.createTopic(new TopicMetadata("t", Uuid.randomUuid(), Map.of(0, List.of(1, 2)), Map.of()));
        eventually(() -> replicas.partition(TP).isPresent(), "the replica exists on broker 1");
        Partition partition = replicas.partition(TP).orElseThrow();
        assertTrue(partition.isLeader());
        // Broker 2 never fetches, so this waits for it.
        var info = partition.appendAsLeader(batch("before"), (short) -1);
        CompletableFuture<Errors> waiting = partition.awaitReplication(info.lastOffset() + 1);
        assertFalse(waiting.isDone());

        link.pause();
        eventually(() -> !replicas.hasAuthority(), "broker 1 notices it is cut off");
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, waiting.get(5, TimeUnit.SECONDS));
        assertThrows(NotLeaderOrFollowerException.class, () -> partition.appendAsLeader(batch("while cut off"), (short) -1));
        assertThrows(NotLeaderOrFollowerException.class, () -> partition.appendAsLeader(batch("while cut off"), (short) 1));
        assertEquals(0, partition.log().highWatermark());

        // Meanwhile broker 2 takes over, as the controller would after a session expiry.
        PartitionState before = other.partitionState(TP).orElseThrow();
        other.setPartitionState(TP, new PartitionState(2, before.leaderEpoch() + 1, List.of(2), before.controllerEpoch(),
                before.zkVersion()));

        link.resume();
        eventually(replicas::hasAuthority, "broker 1 has its session back");
        Partition.ReplicaState now = partition.state();
        assertEquals(2, now.leader(), "the newer state was read before authority came back");
        assertEquals(before.leaderEpoch() + 1, now.leaderEpoch());
        assertFalse(partition.isLeader());
        assertThrows(NotLeaderOrFollowerException.class, () -> partition.appendAsLeader(batch("after"), (short) 1));
        assertEquals(0, partition.log().highWatermark(), "nothing exposed as committed by the deposed leader");
        assertThrows(NotLeaderOrFollowerException.class, () -> replicas.deleteRecordsBefore(TP, 0),
                "only the leader moves the log start offset");
    }
}
