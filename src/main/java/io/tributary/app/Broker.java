package io.tributary.app;

import io.tributary.broker.ControlledShutdown;
import io.tributary.broker.LeaderForwarder;
import io.tributary.broker.LogDirIdentity;
import io.tributary.broker.Partition;
import io.tributary.broker.Partitioner;
import io.tributary.broker.RecordService;
import io.tributary.broker.RemotePartitionLog;
import io.tributary.broker.RemotePartitionLogs;
import io.tributary.broker.ReplicaFetcherManager;
import io.tributary.broker.ReplicaManager;
import io.tributary.broker.TopicService;
import io.tributary.broker.UnknownPartitionException;
import io.tributary.config.BrokerConfig;
import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.coordination.Controller;
import io.tributary.coordination.CuratorClients;
import io.tributary.coordination.EmbeddedZooKeeper;
import io.tributary.coordination.ZooKeeperSession;
import io.tributary.group.CoordinatorLocation;
import io.tributary.group.CoordinatorPlacement;
import io.tributary.group.GroupAdmin;
import io.tributary.group.GroupCoordinator;
import io.tributary.group.ManagedMembers;
import io.tributary.group.OffsetsLeadership;
import io.tributary.metadata.TopicMetadata;
import io.tributary.group.OffsetsTopic;
import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.metadata.PartitionState;
import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.LogManagerConfig;
import io.tributary.storage.ReadableLog;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import org.apache.curator.framework.CuratorFramework;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The broker's lifecycle: ZooKeeper (embedded or external), the log manager, and the services the
 * APIs call. Start-up runs in two steps. The synchronous step, when the application starts,
 * connects to ZooKeeper and checks the log directories belong to this cluster; a failure there
 * stops the application with a message saying why. Log recovery, which can take long after a
 * crash, then runs on managed threads while the startup probe reports progress; the broker
 * registers in ZooKeeper and serves requests only when it is done.
 *
 * <p>Thread-safe: the state moves LATENT → STARTING → RUNNING (or FAILED) → CLOSED through an
 * atomic reference; the components are published before the state says RUNNING.
 */
@ApplicationScoped
public class Broker {

    private static final System.Logger LOG = System.getLogger(Broker.class.getName());
    /** Tries of a request forwarded to a partition's leader while leadership moves, and the pause between them. */
    private static final int FORWARD_ATTEMPTS = 5;
    private static final long FORWARD_BACKOFF_MS = 400;

    /** Where the broker is in its life. */
    public enum State { LATENT, STARTING, RUNNING, FAILED, CLOSED }

    private final BrokerConfig config;
    private final BrokerExecutors executors;
    private final Clock clock;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);

    private volatile EmbeddedZooKeeper embeddedZooKeeper;
    private volatile CuratorFramework curator;
    private volatile ZooKeeperSession session;
    private volatile ClusterMetadataStore metadata;
    private volatile LogManager logManager;
    private volatile ReplicaManager replicaManager;
    private volatile ReplicaFetcherManager fetchers;
    private volatile Controller controller;
    private volatile ScheduledFuture<?> isrShrinkTask;
    private volatile TopicService topicService;
    private volatile RecordService recordService;
    private volatile LeaderForwarder forwarder;
    private volatile RemotePartitionLogs remoteLogs;
    private volatile GroupCoordinator groupCoordinator;
    private volatile OffsetsLeadership offsetsLeadership;
    private volatile ManagedMembers managedMembers;
    private volatile GroupAdmin groupAdmin;
    private volatile String clusterId;
    private volatile Throwable failure;
    private final CompletableFuture<Broker> running = new CompletableFuture<>();

    /** For the container's client proxy only. */
    protected Broker() {
        this.config = null;
        this.executors = null;
        this.clock = null;
    }

    @Inject
    public Broker(BrokerConfig config, BrokerExecutors executors, Clock clock) {
        this.config = config;
        this.executors = executors;
        this.clock = clock;
    }

    void onStartup(@Observes Startup event) {
        start();
    }

    /**
     * Starts the broker in the background. Idempotent. Nothing here waits for the work it starts:
     * Liberty runs an application's managed threads only once the application has started, and
     * ZooKeeper's client delivers its connection events on such threads.
     */
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTING)) {
            return;
        }
        LOG.log(Level.INFO, "Broker {0} starting with log.dirs {1}", config.brokerId(), config.storage().logDirs());
        CompletableFuture.runAsync(this::connectAndLoad, executors.executor())
                .exceptionally(this::fail);
    }

    private void connectAndLoad() {
        try {
            String connect = config.zooKeeper().connect().orElseGet(this::startEmbeddedZooKeeper);
            curator = CuratorClients.newClient(connect, config.zooKeeper().sessionTimeoutMs(),
                    config.zooKeeper().connectionTimeoutMs(), executors.threadFactory());
            session = new ZooKeeperSession(curator);
            curator.start();
            if (!session.awaitConnected(Duration.ofMillis(config.zooKeeper().connectionTimeoutMs()))) {
                throw new IllegalStateException("Could not connect to ZooKeeper at " + connect + " within "
                        + config.zooKeeper().connectionTimeoutMs() + " ms (zookeeper.connection.timeout.ms)");
            }
            metadata = new ClusterMetadataStore(curator, executors.threadFactory());
            metadata.start();
            clusterId = metadata.clusterId();
            for (Path dir : config.storage().logDirs()) {
                LogDirIdentity.ensure(dir, clusterId, config.brokerId());
            }

            LogConfig brokerLogConfig = LogConfig.defaults().withOverrides(config.storage().topicDefaults());
            logManager = new LogManager(
                    new LogManagerConfig(config.storage().logDirs(), config.storage().flushCheckIntervalMs(),
                            config.storage().checkpointIntervalMs(), config.storage().recoveryThreadsPerDir(),
                            config.storage().retentionCheckIntervalMs(), config.storage().fileDeleteDelayMs(),
                            config.storage().cleanerBackoffMs(), config.storage().cleanerIoMaxBytesPerSecond()),
                    brokerLogConfig, clock, executors.scheduler(), executors.executor());
            String interBrokerListener = config.kafka().advertisedListeners().isEmpty() ? "PLAINTEXT"
                    : config.kafka().advertisedListeners().get(0).name();
            ClusterMetadataStore view = metadata;
            fetchers = new ReplicaFetcherManager(config.brokerId(),
                    id -> view.broker(id).flatMap(b -> b.endpoint(interBrokerListener))
                            .map(e -> new InetSocketAddress(e.host(), e.port())),
                    executors.threadFactory(), config.replication());
            replicaManager = new ReplicaManager(config.brokerId(), logManager, brokerLogConfig, metadata, fetchers,
                    executors.executor(), clock::millis);
            topicService = new TopicService(config.brokerId(), metadata, replicaManager, config.topics(),
                    brokerLogConfig, config.storage().topicDefaults().keySet());
            forwarder = new LeaderForwarder(config.brokerId(),
                    id -> view.broker(id).flatMap(b -> b.endpoint(interBrokerListener))
                            .map(e -> new InetSocketAddress(e.host(), e.port())),
                    tp -> view.partitionState(tp).map(PartitionState::leader).orElse(PartitionState.NO_LEADER),
                    config.replication().socketTimeoutMs(), FORWARD_ATTEMPTS, FORWARD_BACKOFF_MS);
            recordService = new RecordService(topicService, replicaManager, new Partitioner(), clock, forwarder);
            ReplicaManager replicas = replicaManager;
            remoteLogs = new RemotePartitionLogs(forwarder, tp -> replicas.partition(tp).map(Partition::log),
                    executors.executor(), new RemotePartitionLog.Settings(config.replication().fetchMaxBytes(),
                    config.replication().fetchWaitMaxMs(), config.replication().fetchBackoffMs()));

            LOG.log(Level.INFO, "Broker {0} of cluster {1} connected to ZooKeeper at {2}; loading logs from {3}",
                    config.brokerId(), clusterId, connect, config.storage().logDirs());
            logManager.startup(topic -> brokerLogConfig.withOverrides(
                            metadata.topic(topic).map(t -> t.configs()).orElse(Map.of())))
                    .thenRun(this::finishStartup)
                    .exceptionally(this::fail);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while starting the broker", e);
        } catch (IOException e) {
            throw new UncheckedIOException("Broker start-up failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Broker start-up failed: " + e.getMessage(), e);
        }
    }

    private String startEmbeddedZooKeeper() {
        embeddedZooKeeper = new EmbeddedZooKeeper(config.zooKeeper().embeddedDataDir(), "127.0.0.1",
                config.zooKeeper().embeddedPort());
        embeddedZooKeeper.start();
        LOG.log(Level.INFO, "No zookeeper.connect set: started an embedded ZooKeeper at {0} with data in {1}",
                embeddedZooKeeper.connectString(), config.zooKeeper().embeddedDataDir());
        return embeddedZooKeeper.connectString();
    }

    private void finishStartup() {
        replicaManager.loadFromMetadata();
        metadata.addListener(replicaManager);
        session.addListener(replicaManager::onConnectionStateChanged);
        // Committed offsets are read back from __consumer_offsets, which log recovery has just made consistent.
        // Each broker coordinates the groups of the __consumer_offsets partitions it leads, loading them
        // from the log when it becomes leader.
        ClusterMetadataStore view = metadata;
        groupCoordinator = new GroupCoordinator(config.groups(), new OffsetsTopic(topicService, replicaManager,
                config.groups().offsetsTopicNumPartitions(), config.groups().offsetsTopicSegmentBytes(),
                config.groups().offsetsTopicReplicationFactor(), config.groups().offsetsCommitTimeoutMs(),
                () -> Math.max(1, view.liveBrokers().size()), clock),
                executors.scheduler(), clock, GroupCoordinator.Ownership.OFFSETS_PARTITION_LEADER);
        groupCoordinator.start();
        offsetsLeadership = new OffsetsLeadership(replicaManager, groupCoordinator);
        metadata.addListener(offsetsLeadership);
        offsetsLeadership.refresh();
        managedMembers = new ManagedMembers(groupCoordinator, this::locateCoordinator, executors.scheduler(), () -> {
            Map<String, Integer> counts = new HashMap<>();
            metadata.topics().forEach((name, topic) -> counts.put(name, topic.partitionCount()));
            return counts;
        });
        metadata.addListener(new ClusterMetadataStore.TopicListener() {
            @Override
            public void onTopicCreated(TopicMetadata topic) {
                managedMembers.topicsChanged();
            }

            @Override
            public void onTopicChanged(TopicMetadata topic) {
                managedMembers.topicsChanged();
            }

            @Override
            public void onTopicDeleted(String name) {
                managedMembers.topicsChanged();
                remoteLogs.forget(name);
            }
        });
        groupAdmin = new GroupAdmin(groupCoordinator, topicService, replicaManager);
        List<Endpoint> endpoints = config.kafka().advertisedListeners().stream()
                .map(l -> new Endpoint(l.name(), "PLAINTEXT", l.host(), l.port())).toList();
        // A request left by a run that was stopped in the middle of its controlled shutdown.
        metadata.cancelControlledShutdown(config.brokerId());
        registerBroker(new BrokerInfo(config.brokerId(), config.advertisedHost(), endpoints, Optional.empty(),
                Map.of("http", "http://" + config.advertisedHost() + ":" + config.httpPort())));
        long lagMs = config.replication().replicaLagTimeMaxMs();
        isrShrinkTask = executors.scheduler().scheduleWithFixedDelay(() -> replicaManager.shrinkIsrs(lagMs),
                Math.max(1, lagMs / 2), Math.max(1, lagMs / 2), TimeUnit.MILLISECONDS);
        controller = new Controller(curator, metadata, config.brokerId(), new Controller.Settings(
                config.replication().uncleanLeaderElection(), config.replication().autoLeaderRebalance(),
                TimeUnit.SECONDS.toMillis(config.replication().leaderImbalanceCheckIntervalSeconds()),
                config.replication().leaderImbalancePerBrokerPercentage()),
                executors.threadFactory(), clock);
        try {
            controller.start();
        } catch (Exception e) {
            throw new IllegalStateException("Could not join the controller election: " + e.getMessage(), e);
        }
        if (state.compareAndSet(State.STARTING, State.RUNNING)) {
            LOG.log(Level.INFO, "Broker {0} started: {1} partitions online", config.brokerId(),
                    replicaManager.partitions().size());
            running.complete(this);
        }
    }

    /**
     * Registers in ZooKeeper. After a crash the previous run's session (and its registration) lives
     * on until ZooKeeper expires it, so a broker restarted quickly waits for that, up to one and a
     * half session timeouts, instead of failing.
     */
    private void registerBroker(BrokerInfo info) {
        long deadline = System.nanoTime() + 1_500_000L * config.zooKeeper().sessionTimeoutMs();
        while (true) {
            try {
                metadata.registerBroker(info);
                return;
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline || state.get() != State.STARTING) {
                    throw e;
                }
                LOG.log(Level.INFO, "Waiting for the previous session of broker {0} to expire: {1}",
                        config.brokerId(), e.getMessage());
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while registering the broker", ie);
                }
            }
        }
    }

    private Void fail(Throwable t) {
        if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        failure = t;
        state.compareAndSet(State.STARTING, State.FAILED);
        running.completeExceptionally(t);
        LOG.log(Level.ERROR, "Broker start-up failed: " + t.getMessage(), t);
        return null;
    }

    @PreDestroy
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED || previous == State.LATENT) {
            return;
        }
        LOG.log(Level.INFO, "Broker {0} shutting down", config.brokerId());
        if (previous == State.RUNNING && config.replication().controlledShutdown() && !session.isConnected()) {
            LOG.log(Level.WARNING, "Broker {0}: no controlled shutdown, ZooKeeper is not connected", config.brokerId());
        } else if (previous == State.RUNNING && config.replication().controlledShutdown()) {
            // Before the controller steps down: if this broker is the controller, it moves its own partitions.
            closeQuietly("controlled shutdown", () -> new ControlledShutdown(config.brokerId(), replicaManager, metadata,
                    config.replication().controlledShutdownMaxRetries(),
                    config.replication().controlledShutdownRetryBackoffMs(), clock).run());
        }
        closeQuietly("controller", () -> {
            if (controller != null) {
                controller.close();
            }
        });
        closeQuietly("replica fetchers", () -> {
            if (isrShrinkTask != null) {
                isrShrinkTask.cancel(false);
            }
            if (fetchers != null) {
                fetchers.close();
            }
            if (remoteLogs != null) {
                remoteLogs.close();
            }
            if (forwarder != null) {
                forwarder.close();
            }
        });
        closeQuietly("broker registration", () -> {
            if (metadata != null) {
                metadata.removeListener(replicaManager);
                if (offsetsLeadership != null) {
                    metadata.removeListener(offsetsLeadership);
                }
                metadata.deregisterBroker();
            }
        });
        closeQuietly("group coordinator", () -> {
            if (groupCoordinator != null) {
                groupCoordinator.close();
            }
        });
        closeQuietly("log manager", () -> {
            if (logManager != null) {
                logManager.close();
            }
        });
        closeQuietly("metadata store", () -> {
            if (metadata != null) {
                metadata.close();
            }
        });
        closeQuietly("ZooKeeper session", () -> {
            if (session != null) {
                session.close();
            }
            if (curator != null) {
                curator.close();
            }
        });
        closeQuietly("embedded ZooKeeper", () -> {
            if (embeddedZooKeeper != null) {
                embeddedZooKeeper.close();
            }
        });
        LOG.log(Level.INFO, "Broker {0} stopped", config.brokerId());
    }

    private interface Step {
        void run() throws Exception;
    }

    /** Shutdown goes on past a failing step so the log manager still writes its clean-shutdown marker. */
    private static void closeQuietly(String what, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.log(Level.WARNING, "Error closing " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * Completes, on the managed thread that finished start-up, when the broker is RUNNING; fails if
     * start-up fails. Listeners start serving from here, never by waiting on it during start-up.
     */
    public CompletionStage<Broker> whenRunning() {
        return running.minimalCompletionStage();
    }

    public State state() {
        return state.get();
    }

    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    public BrokerConfig config() {
        return config;
    }

    public String clusterId() {
        return clusterId;
    }

    /** Present once ZooKeeper is connected (readiness asks it). */
    public Optional<ZooKeeperSession> zooKeeperSession() {
        return Optional.ofNullable(session);
    }

    public Optional<LogManager> logManager() {
        return Optional.ofNullable(logManager);
    }

    public ClusterMetadataStore metadata() {
        return requireRunning(metadata);
    }

    public TopicService topics() {
        return requireRunning(topicService);
    }

    public RecordService records() {
        return requireRunning(recordService);
    }

    public GroupCoordinator groups() {
        return requireRunning(groupCoordinator);
    }

    /** Where REST and WebSocket group members are created. */
    public ManagedMembers groupMembers() {
        return requireRunning(managedMembers);
    }

    /** Consumer groups as operators see them: members, lags, offset resets. */
    public GroupAdmin groupAdmin() {
        return requireRunning(groupAdmin);
    }

    /**
     * A partition's committed records for readers (WebSocket subscriptions, REST consumer
     * instances): the local replica when this broker has one, else the partition followed through
     * its leader.
     *
     * @throws UnknownTopicOrPartitionException if the topic or the partition does not exist
     */
    public ReadableLog readableLog(TopicPartition tp) {
        ReplicaManager replicas = replicas();
        Optional<Partition> local = replicas.partition(tp);
        if (local.isPresent()) {
            return local.get().log();
        }
        TopicMetadata topic = metadata.topic(tp.topic()).orElseThrow(() -> new UnknownTopicOrPartitionException(
                "Topic '" + tp.topic() + "' does not exist"));
        if (tp.partition() < 0 || tp.partition() >= topic.partitionCount()) {
            throw new UnknownPartitionException(tp.topic(), tp.partition(), topic.partitionCount());
        }
        return remoteLogs.get(tp);
    }

    public ReplicaManager replicas() {
        return requireRunning(replicaManager);
    }

    /**
     * The broker that coordinates a group now: the live leader of its {@code __consumer_offsets}
     * partition (this broker for a coordinator of every group); empty while there is none (the
     * topic is created by the first look-up).
     */
    public OptionalInt groupCoordinatorOf(String groupId) {
        GroupCoordinator coordinator = groups();
        if (coordinator.ownership() == GroupCoordinator.Ownership.EVERY_GROUP) {
            return OptionalInt.of(config.brokerId());
        }
        java.util.Set<Integer> live = new java.util.HashSet<>();
        metadata.liveBrokers().forEach(b -> live.add(b.id()));
        live.add(config.brokerId());
        return CoordinatorPlacement.coordinator(coordinator.storePartition(groupId),
                p -> metadata.partitionState(new org.apache.kafka.common.TopicPartition(OffsetsTopic.NAME, p))
                        .map(PartitionState::leader).orElse(PartitionState.NO_LEADER), live::contains);
    }

    /** Where a group's coordinator is, for the broker-managed members this broker's coordinator turns away. */
    private CoordinatorLocation locateCoordinator(String groupId) {
        OptionalInt id = groupCoordinatorOf(groupId);
        if (id.isEmpty()) {
            return CoordinatorLocation.UNKNOWN;
        }
        if (id.getAsInt() == config.brokerId()) {
            return CoordinatorLocation.HERE;
        }
        return new CoordinatorLocation.Elsewhere(id.getAsInt(), httpEndpointOf(id.getAsInt()));
    }

    /** The HTTP base address a live broker registered ({@code http://host:port}). */
    public Optional<String> httpEndpointOf(int brokerId) {
        return requireRunning(metadata).broker(brokerId).map(b -> b.extra().get("http"));
    }

    /** Present once the broker runs; says whether this broker is the controller. */
    public Optional<Controller> controller() {
        return Optional.ofNullable(controller);
    }

    private <T> T requireRunning(T component) {
        State s = state.get();
        if (s != State.RUNNING) {
            throw new BrokerNotAvailableException(switch (s) {
                case LATENT, STARTING -> "The broker is starting: log recovery is not finished yet.";
                case FAILED -> "The broker failed to start: " + (failure == null ? "unknown cause" : failure.getMessage());
                default -> "The broker is shutting down.";
            });
        }
        return component;
    }
}
