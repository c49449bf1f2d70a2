package io.tributary.testing;

import io.tributary.broker.ReplicaManager;
import io.tributary.broker.TopicService;
import io.tributary.config.TopicDefaults;
import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.coordination.CuratorClients;
import io.tributary.coordination.EmbeddedZooKeeper;
import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.LogManagerConfig;
import org.apache.curator.framework.CuratorFramework;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The storage and metadata half of one broker, in process, for unit tests: an embedded ZooKeeper
 * on a free port, a Curator client, the cluster metadata store with broker 0 registered, a log
 * manager on temp files, the replica manager and the topic service. Tests add what they need on
 * top (a group coordinator, the Kafka listener) and close those before closing this.
 *
 * <p>Start it from {@code @BeforeAll} (or {@code @BeforeEach}) and close it from the matching
 * after-method; {@link #close()} is idempotent and also undoes a start that failed half-way. Not
 * thread-safe: one test class owns it.
 */
public final class SingleBrokerStack implements AutoCloseable {

    /** Whether topics a client asks for but that do not exist are created on the fly. */
    public enum TopicCreation { AUTO_CREATE, EXPLICIT_ONLY }

    /**
     * Whether the replica manager follows metadata changes (as in a running broker) or only loads
     * what ZooKeeper held when the stack started and is told about new topics by the topic service.
     */
    public enum ReplicaUpdates { FOLLOW_METADATA, LOAD_ONCE }

    public static final int BROKER_ID = 0;

    private final LogConfig logDefaults = LogConfig.defaults();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final BrokerInfo self;
    private EmbeddedZooKeeper zk;
    private CuratorFramework curator;
    private ClusterMetadataStore metadata;
    private LogManager logs;
    private ReplicaManager replicas;
    private TopicService topics;
    private boolean closed;

    private SingleBrokerStack(String advertisedHost) {
        self = new BrokerInfo(BROKER_ID, advertisedHost,
                List.of(new Endpoint("PLAINTEXT", "PLAINTEXT", advertisedHost, 9092)), Optional.empty(), Map.of());
    }

    /**
     * Starts the stack under {@code dir} (ZooKeeper in {@code dir/zk}, logs in {@code dir/logs}),
     * registering broker 0 as advertising {@code advertisedHost}.
     */
    public static SingleBrokerStack start(Path dir, String advertisedHost, TopicCreation topicCreation,
                                          ReplicaUpdates replicaUpdates) throws Exception {
        SingleBrokerStack stack = new SingleBrokerStack(advertisedHost);
        try {
            stack.startAll(dir, topicCreation, replicaUpdates);
            return stack;
        } catch (Exception | Error e) {
            stack.close();
            throw e;
        }
    }

    private void startAll(Path dir, TopicCreation topicCreation, ReplicaUpdates replicaUpdates) throws Exception {
        zk = new EmbeddedZooKeeper(dir.resolve("zk"), "127.0.0.1", 0);
        zk.start();
        curator = CuratorClients.newClient(zk.connectString(), 10_000, 5_000, Executors.defaultThreadFactory());
        curator.start();
        curator.blockUntilConnected();
        metadata = new ClusterMetadataStore(curator, Executors.defaultThreadFactory());
        metadata.start();
        metadata.registerBroker(self);
        logs = new LogManager(new LogManagerConfig(List.of(dir.resolve("logs")), 60_000, 60_000, 1), logDefaults,
                Clock.systemUTC(), scheduler, executor);
        logs.startup(t -> logDefaults).join();
        replicas = new ReplicaManager(BROKER_ID, logs, logDefaults, metadata);
        replicas.loadFromMetadata();
        if (replicaUpdates == ReplicaUpdates.FOLLOW_METADATA) {
            metadata.addListener(replicas);
        }
        topics = new TopicService(BROKER_ID, metadata, replicas,
                new TopicDefaults(1, (short) 1, topicCreation == TopicCreation.AUTO_CREATE), logDefaults, Set.of());
    }

    public BrokerInfo self() {
        return self;
    }

    public LogConfig logDefaults() {
        return logDefaults;
    }

    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    public ExecutorService executor() {
        return executor;
    }

    public ClusterMetadataStore metadata() {
        return metadata;
    }

    public LogManager logs() {
        return logs;
    }

    public ReplicaManager replicas() {
        return replicas;
    }

    public TopicService topics() {
        return topics;
    }

    /** Closes logs, metadata, Curator and ZooKeeper in that order, then stops the executors. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (logs != null) {
            logs.close();
        }
        if (metadata != null) {
            metadata.close();
        }
        if (curator != null) {
            curator.close();
        }
        if (zk != null) {
            zk.close();
        }
        scheduler.shutdownNow();
        executor.shutdownNow();
    }
}
