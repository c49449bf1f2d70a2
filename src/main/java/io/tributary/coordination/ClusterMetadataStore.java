package io.tributary.coordination;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import io.tributary.metadata.Topics;
import org.apache.curator.RetryLoop;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.utils.ZKPaths;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;

/**
 * The cluster's metadata in ZooKeeper, in Kafka's ZooKeeper layout: cluster id, broker
 * registrations, topics with their assignments and configs, and partition states.
 *
 * <h2>Reads</h2>
 * Reads come from an in-memory view kept current by four {@link CuratorCache}s (broker ids,
 * topics with their partition states, topic configs, and Kafka's {@code /controller} znode, which
 * names the elected controller). A topic's assignment and configs live in
 * two znodes watched by two caches, which can see a change at different moments; so a change to
 * either only marks the topic dirty, and the topic is re-read with one ZooKeeper multi-read of
 * both znodes, which is atomic. That keeps the view from ever showing a topic that is half
 * created or half deleted. Brokers and partition states are one znode each and are taken from
 * the caches directly, stamped with zxids (see {@link Versioned}) so nothing can roll them back.
 *
 * <h2>Writes</h2>
 * Multi-znode writes are single ZooKeeper transactions. Each write method returns only after the
 * local view reflects it, so a broker reads its own writes.
 *
 * <h2>Events</h2>
 * {@link TopicListener}s hear about changes made by any broker, once per change, on a dedicated
 * listener thread (never the caller's, never Curator's). Intermediate states of a burst of changes
 * may be coalesced into one event. Listeners added before {@link #start()} also hear about every
 * topic that already exists, as creations.
 *
 * <h2>Threads</h2>
 * Thread-safe. Uses two threads from the given {@link ThreadFactory}: one applies cache events
 * and refreshes the view, one runs listeners. Lifecycle: LATENT, {@link #start()}, {@link #close()};
 * both idempotent, and a closed store cannot be restarted. Close the store before the Curator
 * client: the broker registration's {@link PersistentNode} misbehaves (recursing until the stack
 * overflows) if its client is closed under it.
 */
public final class ClusterMetadataStore implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ClusterMetadataStore.class.getName());

    /** How often a write retries after losing an optimistic-concurrency race before giving up. */
    private static final int MAX_WRITE_ATTEMPTS = 10;

    /** Paths Kafka creates at cluster start and that must exist before anyone watches or writes below them. */
    private static final List<String> BASE_PATHS = List.of(ZkPaths.BROKER_IDS, ZkPaths.TOPICS, ZkPaths.CONFIG_TOPICS,
            ZkPaths.CONFIG_BROKERS, "/config/changes", ZkPaths.DELETE_TOPICS);

    /** Hears about topic changes made by any broker. Runs on the store's listener thread. */
    public interface TopicListener {
        default void onTopicCreated(TopicMetadata topic) {
        }

        /** The topic's partitions or configs changed. */
        default void onTopicChanged(TopicMetadata topic) {
        }

        default void onTopicDeleted(String name) {
        }

        /** The partition's state znode (leader, epoch, ISR) changed; read it with {@link #partitionState}. */
        default void onPartitionStateChanged(TopicPartition tp) {
        }

        /** A broker registered, re-registered or went away. */
        default void onBrokersChanged(List<BrokerInfo> liveBrokers) {
        }
    }

    private enum State { LATENT, STARTED, CLOSED }

    private record Registration(int brokerId, PersistentNode node, Stat stat) {
    }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final CuratorFramework client;
    private final KafkaZkJson json;
    private final Clock clock;
    private final Duration timeout;
    private final ExecutorService viewThread;
    private final ExecutorService listenerThread;
    private final CuratorCache brokersCache;
    private final CuratorCache topicsCache;
    private final CuratorCache configsCache;
    private final CuratorCache controllerCache;

    // The view. Topics are written only on viewThread; the other two maps by viewThread and by
    // writers, through Versioned's zxid checks.
    private final ConcurrentHashMap<String, TopicMetadata> topics = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Versioned<BrokerInfo>> brokers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<TopicPartition, Versioned<PartitionState>> partitionStates = new ConcurrentHashMap<>();
    /** Topics with a refresh queued on viewThread, so a burst of cache events costs one re-read. */
    private final Set<String> refreshQueued = ConcurrentHashMap.newKeySet();

    private final CopyOnWriteArrayList<TopicListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicReference<String> clusterId = new AtomicReference<>();
    /** The broker {@code /controller} names, or -1 while it does not exist; written on viewThread only. */
    private volatile int controllerId = -1;
    /** Guarded by "this"; the broker this store has registered, if any. */
    private Registration registration;

    /** A store using its own daemon threads and the system clock; for tests and tools. */
    public ClusterMetadataStore(CuratorFramework client) {
        this(client, daemonThreads(), Clock.systemUTC(), Duration.ofSeconds(30));
    }

    /**
     * @param client        a started or to-be-started Curator client; the caller owns and closes it
     * @param threadFactory for the store's two threads, e.g. a managed thread factory
     */
    public ClusterMetadataStore(CuratorFramework client, ThreadFactory threadFactory) {
        this(client, threadFactory, Clock.systemUTC(), Duration.ofSeconds(30));
    }

    /**
     * @param clock   for the registration timestamp
     * @param timeout how long start() waits for the initial load and writes wait for the view
     */
    public ClusterMetadataStore(CuratorFramework client, ThreadFactory threadFactory, Clock clock, Duration timeout) {
        this.client = Objects.requireNonNull(client, "client");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.json = new KafkaZkJson();
        this.viewThread = Executors.newSingleThreadExecutor(threadFactory);
        this.listenerThread = Executors.newSingleThreadExecutor(threadFactory);
        this.brokersCache = CuratorCache.build(client, ZkPaths.BROKER_IDS);
        this.topicsCache = CuratorCache.build(client, ZkPaths.TOPICS);
        this.configsCache = CuratorCache.build(client, ZkPaths.CONFIG_TOPICS);
        this.controllerCache = CuratorCache.build(client, ZkPaths.CONTROLLER, CuratorCache.Options.SINGLE_NODE_CACHE);
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Creates the base paths, starts the caches and waits until they have loaded and the view is
     * built. Idempotent.
     *
     * @throws TimeoutException      if the initial load takes longer than the timeout
     * @throws IllegalStateException if closed
     */
    public void start() throws Exception {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            if (state.get() == State.CLOSED) {
                throw new IllegalStateException("ClusterMetadataStore is closed");
            }
            return;
        }
        for (String path : BASE_PATHS) {
            try {
                client.create().creatingParentsIfNeeded().forPath(path);
            } catch (KeeperException.NodeExistsException alreadyThere) {
                // Normal after the first broker has started.
            }
        }
        CountDownLatch loaded = new CountDownLatch(4);
        brokersCache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> onBrokerEvent(type, oldData, data))
                .forInitialized(loaded::countDown).build(), viewThread);
        topicsCache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> onTopicTreeEvent(type, oldData, data))
                .forInitialized(loaded::countDown).build(), viewThread);
        configsCache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> onConfigEvent(data != null ? data : oldData))
                .forInitialized(loaded::countDown).build(), viewThread);
        controllerCache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> onControllerEvent(type, data))
                .forInitialized(loaded::countDown).build(), viewThread);
        brokersCache.start();
        topicsCache.start();
        configsCache.start();
        controllerCache.start();
        if (!loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("ZooKeeper metadata did not load within " + timeout);
        }
        // The initial load queued one refresh per topic on viewThread; wait for them to finish.
        viewThread.submit(() -> { }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        LOG.log(Level.INFO, "Metadata loaded: {0} topics, {1} live brokers", topics.size(), liveBrokers().size());
    }

    /** Deregisters the broker (if registered here), stops the caches and the store's threads. Idempotent. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        deregisterBroker();
        brokersCache.close();
        topicsCache.close();
        configsCache.close();
        controllerCache.close();
        viewThread.shutdown();
        listenerThread.shutdown();
        try {
            if (!viewThread.awaitTermination(5, TimeUnit.SECONDS)) {
                viewThread.shutdownNow();
            }
            if (!listenerThread.awaitTermination(5, TimeUnit.SECONDS)) {
                listenerThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            viewThread.shutdownNow();
            listenerThread.shutdownNow();
        }
    }

    public void addListener(TopicListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(TopicListener listener) {
        listeners.remove(listener);
    }

    // ---------------------------------------------------------------- cluster id

    /**
     * The cluster id, created on first call if the cluster has none. Brokers racing to create it
     * all end up with the one that won, because creation is a single create-if-absent.
     */
    public String clusterId() {
        String known = clusterId.get();
        if (known != null) {
            return known;
        }
        try {
            try {
                client.create().creatingParentsIfNeeded().forPath(ZkPaths.CLUSTER_ID,
                        json.clusterId(Uuid.randomUuid().toString()));
            } catch (KeeperException.NodeExistsException lostTheRace) {
                // Someone else's id stands; read it below.
            }
            String id = json.parseClusterId(client.getData().forPath(ZkPaths.CLUSTER_ID));
            clusterId.compareAndSet(null, id);
            return clusterId.get();
        } catch (Exception e) {
            throw zkFailure("read or create the cluster id", e);
        }
    }

    // ---------------------------------------------------------------- brokers

    /**
     * Registers this broker as live: an ephemeral {@code /brokers/ids/<id>} that is re-created
     * after a session expiry for as long as the registration lasts. One broker per store.
     *
     * @throws IllegalStateException if another live session holds the id, or this store already
     *                               registered a different broker
     */
    public void registerBroker(BrokerInfo broker) {
        ensureStarted();
        String path = ZkPaths.broker(broker.id());
        byte[] data = json.broker(broker, clock.millis());
        synchronized (this) {
            if (registration != null) {
                if (registration.brokerId() != broker.id()) {
                    throw new IllegalStateException("This store already registered broker.id " + registration.brokerId());
                }
                try {
                    registration.node().setData(data);
                    Stat stat = new Stat();
                    byte[] written = client.getData().storingStatIn(stat).forPath(path);
                    Versioned.apply(brokers, broker.id(), json.parseBroker(broker.id(), written), stat);
                } catch (Exception e) {
                    throw zkFailure("update the registration of broker " + broker.id(), e);
                }
                return;
            }
            try {
                // Create it ourselves first: PersistentNode would quietly overwrite, and on close
                // delete, a node held by another live broker with the same id.
                try {
                    client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, data);
                } catch (KeeperException.NodeExistsException e) {
                    Stat existing = client.checkExists().forPath(path);
                    long ourSession = client.getZookeeperClient().getZooKeeper().getSessionId();
                    if (existing != null && existing.getEphemeralOwner() != ourSession) {
                        throw new IllegalStateException("broker.id " + broker.id()
                                + " is already registered by a live broker (ZooKeeper session 0x"
                                + Long.toHexString(existing.getEphemeralOwner())
                                + "; a crashed broker's registration lasts until its session times out)");
                    }
                }
                PersistentNode node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, data);
                node.start();
                if (!node.waitForInitialCreate(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    node.close();
                    throw new IllegalStateException("Registration of broker " + broker.id() + " not confirmed within " + timeout);
                }
                Stat stat = new Stat();
                byte[] written = client.getData().storingStatIn(stat).forPath(path);
                registration = new Registration(broker.id(), node, stat);
                Versioned.apply(brokers, broker.id(), json.parseBroker(broker.id(), written), stat);
                LOG.log(Level.INFO, "Registered broker {0} at {1}", broker.id(), path);
            } catch (IllegalStateException e) {
                throw e;
            } catch (Exception e) {
                throw zkFailure("register broker " + broker.id(), e);
            }
        }
    }

    /** Removes this store's broker registration, if any. Idempotent. */
    public void deregisterBroker() {
        Registration r;
        synchronized (this) {
            r = registration;
            registration = null;
        }
        if (r == null) {
            return;
        }
        try {
            r.node().close();
        } catch (Exception e) {
            // The node is ephemeral: at worst it lingers until our session ends.
            LOG.log(Level.WARNING, "Could not delete the registration of broker " + r.brokerId(), e);
        }
        // Our own node may have been re-created since (session expiry); its czxid is unknown here,
        // so tombstone everything up to "now" only if the view still shows the incarnation we knew.
        Versioned<BrokerInfo> current = brokers.get(r.brokerId());
        if (current != null) {
            Versioned.remove(brokers, r.brokerId(), current.czxid(), current.mzxid());
        }
        LOG.log(Level.INFO, "Deregistered broker {0}", r.brokerId());
    }

    /** Live brokers, sorted by id. */
    public List<BrokerInfo> liveBrokers() {
        List<BrokerInfo> live = new ArrayList<>();
        brokers.values().forEach(v -> {
            if (v.isLive()) {
                live.add(v.value());
            }
        });
        live.sort(Comparator.comparingInt(BrokerInfo::id));
        return List.copyOf(live);
    }

    /**
     * The elected controller as {@code /controller} names it (the broker that won the election and
     * announced itself), or -1 while no broker has (between a controller's end and its successor's
     * announcement). Kafka's Metadata and DescribeCluster answers carry this id.
     */
    public int controllerId() {
        return controllerId;
    }

    public Optional<BrokerInfo> broker(int id) {
        Versioned<BrokerInfo> v = brokers.get(id);
        return v == null ? Optional.empty() : Optional.ofNullable(v.value());
    }

    // ---------------------------------------------------------------- topics: reads

    public Optional<TopicMetadata> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    /**
     * The topic as ZooKeeper has it now, once the local view has caught up with it: for a caller
     * that learned from a write that the topic exists before the caches heard of it.
     */
    public Optional<TopicMetadata> topicAfterRefresh(String name) {
        ensureStarted();
        awaitRefresh(name, true);
        return topic(name);
    }

    /** All topics by name, sorted; an immutable snapshot. */
    public Map<String, TopicMetadata> topics() {
        return Collections.unmodifiableMap(new TreeMap<>(topics));
    }

    /** The partition's leader and ISR, if the topic and partition exist and the state znode has been written. */
    public Optional<PartitionState> partitionState(TopicPartition tp) {
        TopicMetadata topic = topics.get(tp.topic());
        if (topic == null || !topic.assignment().containsKey(tp.partition())) {
            return Optional.empty();
        }
        Versioned<PartitionState> v = partitionStates.get(tp);
        return v == null ? Optional.empty() : Optional.ofNullable(v.value());
    }

    // ---------------------------------------------------------------- topics: writes

    /**
     * Creates a topic: its config, its assignment and the initial state of every partition
     * (leader = first replica, ISR = all replicas, leader epoch 0) in one transaction.
     *
     * @throws InvalidTopicException              bad name, or it collides with an existing topic over '.' and '_'
     * @throws InvalidPartitionsException         no partitions, or ids not 0..n-1
     * @throws InvalidReplicaAssignmentException  empty or duplicate replicas
     * @throws TopicExistsException               the topic exists or is marked for deletion
     */
    public void createTopic(TopicMetadata topic) {
        ensureStarted();
        String name = topic.name();
        Topics.validateName(name);
        validateAssignment(topic.assignment(), 0);
        if (Topics.hasCollisionChars(name)) {
            List<String> colliding = topics.keySet().stream()
                    .filter(other -> !other.equals(name) && Topics.collide(other, name)).sorted().toList();
            if (!colliding.isEmpty()) {
                throw new InvalidTopicException("Topic '" + name + "' collides with existing topics: " + String.join(", ", colliding));
            }
        }
        try {
            if (client.checkExists().forPath(ZkPaths.topic(name)) != null) {
                throw new TopicExistsException("Topic '" + name + "' already exists.");
            }
            if (client.checkExists().forPath(ZkPaths.topicDeletion(name)) != null) {
                throw new TopicExistsException("Topic '" + name + "' is marked for deletion.");
            }
            int controllerEpoch = controllerEpoch();
            List<CuratorOp> ops = new ArrayList<>();
            // A config without a topic is left over from an interrupted deletion by another tool;
            // Kafka overwrites it too.
            Stat staleConfig = client.checkExists().forPath(ZkPaths.topicConfig(name));
            byte[] config = json.topicConfig(topic.configs());
            ops.add(staleConfig == null
                    ? client.transactionOp().create().forPath(ZkPaths.topicConfig(name), config)
                    : client.transactionOp().setData().withVersion(staleConfig.getVersion()).forPath(ZkPaths.topicConfig(name), config));
            ops.add(client.transactionOp().create().forPath(ZkPaths.topic(name), json.topic(topic.topicId(), topic.assignment())));
            ops.add(client.transactionOp().create().forPath(ZkPaths.partitions(name)));
            addPartitionOps(ops, name, topic.assignment(), controllerEpoch);
            try {
                client.transaction().forOperations(ops);
            } catch (KeeperException.NodeExistsException | KeeperException.BadVersionException e) {
                // Curator retries a transaction after a connection loss, so "exists" may mean our
                // own first attempt went through.
                if (!topicIdInZooKeeper(name).filter(topic.topicId()::equals).isPresent()) {
                    throw new TopicExistsException("Topic '" + name + "' already exists.");
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw zkFailure("create topic " + name, e);
        }
        LOG.log(Level.INFO, "Created topic {0} ({1}) with {2} partitions", name, topic.topicId(), topic.partitionCount());
        awaitRefresh(name, true);
    }

    /**
     * Deletes a topic, its partitions' states and its config in one transaction. Replicas' logs
     * are not touched here; brokers react to {@link TopicListener#onTopicDeleted}.
     *
     * @throws UnknownTopicOrPartitionException if the topic does not exist
     */
    public void deleteTopic(String name) {
        ensureStarted();
        try {
            for (int attempt = 1; ; attempt++) {
                Stat topicStat = client.checkExists().forPath(ZkPaths.topic(name));
                if (topicStat == null) {
                    throw unknownTopic(name);
                }
                List<CuratorOp> ops = new ArrayList<>();
                for (String child : descendantsDeepestFirst(ZkPaths.topic(name))) {
                    ops.add(client.transactionOp().delete().forPath(child));
                }
                // The version check makes a concurrent createPartitions fail one side or the other.
                ops.add(client.transactionOp().delete().withVersion(topicStat.getVersion()).forPath(ZkPaths.topic(name)));
                if (client.checkExists().forPath(ZkPaths.topicConfig(name)) != null) {
                    ops.add(client.transactionOp().delete().forPath(ZkPaths.topicConfig(name)));
                }
                if (client.checkExists().forPath(ZkPaths.topicDeletion(name)) != null) {
                    ops.add(client.transactionOp().delete().forPath(ZkPaths.topicDeletion(name)));
                }
                try {
                    client.transaction().forOperations(ops);
                    break;
                } catch (KeeperException.NoNodeException | KeeperException.NotEmptyException | KeeperException.BadVersionException e) {
                    if (attempt >= MAX_WRITE_ATTEMPTS) {
                        throw new IllegalStateException("Topic '" + name + "' kept changing while being deleted", e);
                    }
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw zkFailure("delete topic " + name, e);
        }
        LOG.log(Level.INFO, "Deleted topic {0}", name);
        awaitRefresh(name, false);
    }

    /**
     * Sets (present value) or removes (empty value) configuration overrides of a topic.
     * Validating names and values is the caller's job.
     *
     * @throws UnknownTopicOrPartitionException if the topic does not exist
     */
    public void alterTopicConfig(String name, Map<String, Optional<String>> changes) {
        ensureStarted();
        try {
            for (int attempt = 1; ; attempt++) {
                if (client.checkExists().forPath(ZkPaths.topic(name)) == null) {
                    throw unknownTopic(name);
                }
                Stat configStat = new Stat();
                Map<String, String> configs;
                boolean configExists;
                try {
                    configs = new TreeMap<>(json.parseTopicConfig(
                            client.getData().storingStatIn(configStat).forPath(ZkPaths.topicConfig(name))));
                    configExists = true;
                } catch (KeeperException.NoNodeException e) {
                    configs = new TreeMap<>();
                    configExists = false;
                }
                for (Map.Entry<String, Optional<String>> change : changes.entrySet()) {
                    if (change.getValue().isPresent()) {
                        configs.put(change.getKey(), change.getValue().get());
                    } else {
                        configs.remove(change.getKey());
                    }
                }
                byte[] data = json.topicConfig(configs);
                List<CuratorOp> ops = List.of(
                        // Fails the transaction if the topic was deleted meanwhile.
                        client.transactionOp().check().forPath(ZkPaths.topic(name)),
                        configExists
                                ? client.transactionOp().setData().withVersion(configStat.getVersion()).forPath(ZkPaths.topicConfig(name), data)
                                : client.transactionOp().create().forPath(ZkPaths.topicConfig(name), data));
                try {
                    client.transaction().forOperations(ops);
                    break;
                } catch (KeeperException.NoNodeException | KeeperException.NodeExistsException | KeeperException.BadVersionException e) {
                    if (attempt >= MAX_WRITE_ATTEMPTS) {
                        throw new IllegalStateException("Config of topic '" + name + "' kept changing", e);
                    }
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw zkFailure("alter the config of topic " + name, e);
        }
        awaitRefresh(name, false);
    }

    /**
     * Adds partitions to a topic. The new ids must continue the existing sequence: a topic with 3
     * partitions takes 3, 4, ... New partitions start with leader = first replica, ISR = all replicas.
     *
     * @throws UnknownTopicOrPartitionException  if the topic does not exist
     * @throws InvalidPartitionsException        if no partitions are given or the ids do not continue the sequence
     * @throws InvalidReplicaAssignmentException if a replica list is empty, repeats a broker or
     *                                           differs in length from the topic's replication factor
     */
    public void createPartitions(String name, Map<Integer, List<Integer>> newPartitions) {
        ensureStarted();
        if (newPartitions.isEmpty()) {
            throw new InvalidPartitionsException("No new partitions given for topic '" + name + "'.");
        }
        try {
            for (int attempt = 1; ; attempt++) {
                Stat topicStat = new Stat();
                byte[] data;
                try {
                    data = client.getData().storingStatIn(topicStat).forPath(ZkPaths.topic(name));
                } catch (KeeperException.NoNodeException e) {
                    throw unknownTopic(name);
                }
                KafkaZkJson.TopicZNode current = json.parseTopic(data);
                int existing = current.assignment().size();
                validateAssignment(newPartitions, existing);
                int replicationFactor = current.assignment().values().stream().findFirst().map(List::size).orElse(-1);
                for (Map.Entry<Integer, List<Integer>> p : newPartitions.entrySet()) {
                    if (replicationFactor > 0 && p.getValue().size() != replicationFactor) {
                        throw new InvalidReplicaAssignmentException("Inconsistent replication factor: topic '" + name
                                + "' has " + replicationFactor + " replicas per partition, new partition " + p.getKey()
                                + " has " + p.getValue().size() + ".");
                    }
                }
                Map<Integer, List<Integer>> merged = new TreeMap<>(current.assignment());
                merged.putAll(newPartitions);
                // Topics created by Kafka before 2.8 have no id; give them one, as Kafka's controller does.
                Uuid topicId = current.topicId().orElseGet(Uuid::randomUuid);
                List<CuratorOp> ops = new ArrayList<>();
                ops.add(client.transactionOp().setData().withVersion(topicStat.getVersion())
                        .forPath(ZkPaths.topic(name), json.topic(topicId, merged)));
                if (client.checkExists().forPath(ZkPaths.partitions(name)) == null) {
                    ops.add(client.transactionOp().create().forPath(ZkPaths.partitions(name)));
                }
                addPartitionOps(ops, name, newPartitions, controllerEpoch());
                try {
                    client.transaction().forOperations(ops);
                    break;
                } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException | KeeperException.NoNodeException e) {
                    // Lost a race with another writer; re-read, which re-validates the ids.
                    if (attempt >= MAX_WRITE_ATTEMPTS) {
                        throw new IllegalStateException("Topic '" + name + "' kept changing while adding partitions", e);
                    }
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw zkFailure("add partitions to topic " + name, e);
        }
        LOG.log(Level.INFO, "Added partitions {0} to topic {1}", newPartitions.keySet(), name);
        awaitRefresh(name, true);
    }

    /**
     * Writes a partition's state if the znode is still at {@code state.zkVersion()}; a zkVersion
     * of -1 creates the state znode, which must not exist yet.
     *
     * @return the state as written, carrying the znode's new version
     * @throws StalePartitionStateException      if the znode moved on since it was read
     * @throws UnknownTopicOrPartitionException  if the topic or partition does not exist
     */
    public PartitionState setPartitionState(TopicPartition tp, PartitionState state) {
        ensureStarted();
        String path = ZkPaths.partitionState(tp);
        byte[] data = json.partitionState(state);
        try {
            Stat stat;
            if (state.zkVersion() >= 0) {
                stat = client.setData().withVersion(state.zkVersion()).forPath(path, data);
            } else {
                TopicMetadata topic = topics.get(tp.topic());
                if (topic == null || !topic.assignment().containsKey(tp.partition())) {
                    throw new UnknownTopicOrPartitionException("Partition " + tp + " does not exist.");
                }
                List<CuratorOp> ops = new ArrayList<>();
                ops.add(client.transactionOp().check().forPath(ZkPaths.topic(tp.topic())));
                if (client.checkExists().forPath(ZkPaths.partitions(tp.topic())) == null) {
                    ops.add(client.transactionOp().create().forPath(ZkPaths.partitions(tp.topic())));
                }
                if (client.checkExists().forPath(ZkPaths.partition(tp.topic(), tp.partition())) == null) {
                    ops.add(client.transactionOp().create().forPath(ZkPaths.partition(tp.topic(), tp.partition())));
                }
                ops.add(client.transactionOp().create().forPath(path, data));
                client.transaction().forOperations(ops);
                stat = new Stat();
                data = client.getData().storingStatIn(stat).forPath(path);
            }
            PartitionState written = json.parsePartitionState(data, stat.getVersion());
            Versioned.apply(partitionStates, tp, written, stat);
            return written;
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException e) {
            throw new StalePartitionStateException(tp, state.zkVersion());
        } catch (KeeperException.NoNodeException e) {
            throw new UnknownTopicOrPartitionException("Partition " + tp + " does not exist.");
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw zkFailure("write the state of " + tp, e);
        }
    }

    /**
     * Writes a partition's state as the controller: in one transaction with a check that
     * {@code /controller_epoch} is still at {@code controllerEpochZkVersion}, so a controller that
     * has been replaced cannot overwrite what its successor decided.
     *
     * @return the state as written, carrying the znode's new version
     * @throws ControllerMovedException     if another controller has been elected since
     * @throws StalePartitionStateException if the state znode moved on since it was read
     */
    public PartitionState setPartitionStateAsController(TopicPartition tp, PartitionState state, int controllerEpochZkVersion) {
        ensureStarted();
        String path = ZkPaths.partitionState(tp);
        byte[] data = json.partitionState(state);
        try {
            List<CuratorOp> ops = List.of(
                    client.transactionOp().check().withVersion(controllerEpochZkVersion).forPath(ZkPaths.CONTROLLER_EPOCH),
                    client.transactionOp().setData().withVersion(state.zkVersion()).forPath(path, data));
            try {
                client.transaction().forOperations(ops);
            } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
                Stat epochStat = client.checkExists().forPath(ZkPaths.CONTROLLER_EPOCH);
                if (epochStat == null || epochStat.getVersion() != controllerEpochZkVersion) {
                    throw new ControllerMovedException("The controller epoch moved on (znode version "
                            + (epochStat == null ? "none" : epochStat.getVersion()) + ", expected "
                            + controllerEpochZkVersion + ")");
                }
                if (e instanceof KeeperException.NoNodeException) {
                    throw new UnknownTopicOrPartitionException("Partition " + tp + " does not exist.");
                }
                throw new StalePartitionStateException(tp, state.zkVersion());
            }
            Stat stat = new Stat();
            byte[] written = client.getData().storingStatIn(stat).forPath(path);
            PartitionState result = json.parsePartitionState(written, stat.getVersion());
            Versioned.apply(partitionStates, tp, result, stat);
            return result;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw zkFailure("write the state of " + tp + " as controller", e);
        }
    }

    /**
     * Reads a partition's state from ZooKeeper itself rather than the caches (which may lag after a
     * reconnection), and brings the view up to it.
     *
     * @return the state, or empty if the partition has none (deleted, or not created yet)
     */
    public Optional<PartitionState> readPartitionState(TopicPartition tp) {
        ensureStarted();
        try {
            Stat stat = new Stat();
            byte[] data = client.getData().storingStatIn(stat).forPath(ZkPaths.partitionState(tp));
            PartitionState state = json.parsePartitionState(data, stat.getVersion());
            Versioned.apply(partitionStates, tp, state, stat);
            return Optional.of(state);
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw zkFailure("read the state of " + tp, e);
        }
    }

    // ---------------------------------------------------------------- controlled shutdown

    /**
     * Asks the controller to move this broker's leaderships to other in-sync replicas and to take it
     * out of the ISRs it is in: an ephemeral {@code /tributary/controlled_shutdown/<id>} (so a
     * request dies with the session that made it), whose data is rewritten on each attempt so the
     * controller looks again.
     */
    public void requestControlledShutdown(int brokerId, int attempt) {
        ensureStarted();
        String path = ZkPaths.controlledShutdown(brokerId);
        byte[] data = ("{\"version\":1,\"attempt\":" + attempt + ",\"timestamp\":\"" + clock.millis() + "\"}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            try {
                client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, data);
            } catch (KeeperException.NodeExistsException e) {
                client.setData().forPath(path, data);
            }
        } catch (Exception e) {
            throw zkFailure("ask the controller for the controlled shutdown of broker " + brokerId, e);
        }
    }

    /** Withdraws a controlled-shutdown request (one left by an earlier run of this broker). Idempotent. */
    public void cancelControlledShutdown(int brokerId) {
        ensureStarted();
        try {
            client.delete().forPath(ZkPaths.controlledShutdown(brokerId));
        } catch (KeeperException.NoNodeException gone) {
            // Nothing to withdraw.
        } catch (Exception e) {
            throw zkFailure("withdraw the controlled shutdown of broker " + brokerId, e);
        }
    }

    // ---------------------------------------------------------------- cache events (viewThread)

    private void onBrokerEvent(CuratorCacheListener.Type type, ChildData oldData, ChildData data) {
        ChildData node = data != null ? data : oldData;
        ZkPaths.brokerIdOf(node.getPath()).ifPresent(id -> {
            if (type == CuratorCacheListener.Type.NODE_DELETED) {
                Versioned.remove(brokers, id, oldData.getStat().getCzxid(), oldData.getStat().getMzxid());
            } else {
                try {
                    Versioned.apply(brokers, id, json.parseBroker(id, data.getData()), data.getStat());
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "Ignoring unreadable registration at " + node.getPath(), e);
                }
            }
            List<BrokerInfo> live = liveBrokers();
            fire(l -> l.onBrokersChanged(live));
        });
    }

    private void onControllerEvent(CuratorCacheListener.Type type, ChildData data) {
        if (type == CuratorCacheListener.Type.NODE_DELETED || data == null) {
            controllerId = -1;
            return;
        }
        try {
            controllerId = json.parseControllerId(data.getData());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Ignoring unreadable " + ZkPaths.CONTROLLER + " znode", e);
            controllerId = -1;
        }
    }

    private void onTopicTreeEvent(CuratorCacheListener.Type type, ChildData oldData, ChildData data) {
        ChildData node = data != null ? data : oldData;
        String path = node.getPath();
        Optional<String> topic = ZkPaths.topicOf(path);
        if (topic.isPresent()) {
            queueRefresh(topic.get());
            return;
        }
        ZkPaths.partitionStateOf(path).ifPresent(tp -> {
            if (type == CuratorCacheListener.Type.NODE_DELETED) {
                Versioned.remove(partitionStates, tp, oldData.getStat().getCzxid(), oldData.getStat().getMzxid());
            } else {
                try {
                    Versioned.apply(partitionStates, tp, json.parsePartitionState(data.getData(), data.getStat().getVersion()),
                            data.getStat());
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "Ignoring unreadable partition state at " + path, e);
                }
            }
            fire(l -> l.onPartitionStateChanged(tp));
        });
    }

    private void onConfigEvent(ChildData node) {
        ZkPaths.configTopicOf(node.getPath()).ifPresent(this::queueRefresh);
    }

    private void queueRefresh(String topic) {
        if (state.get() != State.STARTED) {
            return;
        }
        if (refreshQueued.add(topic)) {
            try {
                viewThread.execute(() -> {
                    refreshQueued.remove(topic);
                    refresh(topic, false);
                });
            } catch (RejectedExecutionException closing) {
                // close() raced with a cache event; the view no longer matters.
            }
        }
    }

    /** Runs a refresh on viewThread and waits for it, so the caller's write is visible when this returns. */
    private void awaitRefresh(String topic, boolean withPartitionStates) {
        Future<?> done;
        try {
            done = viewThread.submit(() -> refresh(topic, withPartitionStates));
        } catch (RejectedExecutionException closing) {
            return;
        }
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            // The write is done; only the local view lags, and the caches will catch it up.
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.WARNING, "Local view of topic " + topic + " not yet updated after a write", e);
        }
    }

    /**
     * Re-reads one topic's assignment and config atomically and publishes the difference.
     * Runs only on viewThread, which is what makes each change fire exactly once.
     */
    private void refresh(String name, boolean withPartitionStates) {
        Optional<TopicMetadata> now;
        try {
            now = readTopic(name, withPartitionStates);
        } catch (Exception e) {
            // Without a connection, fall back to what the caches hold; they catch up on reconnect
            // and queue another refresh.
            LOG.log(Level.DEBUG, "Re-reading topic " + name + " failed, using cached data", e);
            try {
                now = topicFromCaches(name);
            } catch (RuntimeException unreadable) {
                // E.g. a znode some other tool wrote in a format we cannot parse: keep the last good view.
                LOG.log(Level.WARNING, "Cannot read topic " + name + "; keeping its last known metadata", unreadable);
                return;
            }
        }
        TopicMetadata before = topics.get(name);
        if (now.isEmpty()) {
            if (before != null) {
                topics.remove(name);
                partitionStates.forEach((tp, v) -> {
                    if (tp.topic().equals(name) && v.isLive()) {
                        Versioned.remove(partitionStates, tp, v.czxid(), v.mzxid());
                    }
                });
                fire(l -> l.onTopicDeleted(name));
            }
            return;
        }
        TopicMetadata after = now.get();
        if (after.equals(before)) {
            return;
        }
        topics.put(name, after);
        if (before == null) {
            fire(l -> l.onTopicCreated(after));
        } else if (!before.topicId().equals(after.topicId())) {
            // Deleted and re-created between two looks: report both, the replicas' logs differ.
            fire(l -> l.onTopicDeleted(name));
            fire(l -> l.onTopicCreated(after));
        } else {
            fire(l -> l.onTopicChanged(after));
        }
    }

    private Optional<TopicMetadata> readTopic(String name, boolean withPartitionStates) throws Exception {
        List<OpResult> results = multiRead(List.of(ZkPaths.topic(name), ZkPaths.topicConfig(name)));
        if (!(results.get(0) instanceof OpResult.GetDataResult topicNode)) {
            return Optional.empty();
        }
        KafkaZkJson.TopicZNode znode = json.parseTopic(topicNode.getData());
        Map<String, String> configs = results.get(1) instanceof OpResult.GetDataResult configNode
                ? json.parseTopicConfig(configNode.getData()) : Map.of();
        TopicMetadata topic = new TopicMetadata(name, znode.topicId().orElse(Uuid.ZERO_UUID), znode.assignment(), configs);
        if (withPartitionStates && !znode.assignment().isEmpty()) {
            List<Integer> partitions = List.copyOf(znode.assignment().keySet());
            List<String> paths = partitions.stream().map(p -> ZkPaths.partitionState(name, p)).toList();
            List<OpResult> states = multiRead(paths);
            for (int i = 0; i < partitions.size(); i++) {
                if (states.get(i) instanceof OpResult.GetDataResult s) {
                    Versioned.apply(partitionStates, new TopicPartition(name, partitions.get(i)),
                            json.parsePartitionState(s.getData(), s.getStat().getVersion()), s.getStat());
                }
            }
        }
        return Optional.of(topic);
    }

    private Optional<TopicMetadata> topicFromCaches(String name) {
        return topicsCache.get(ZkPaths.topic(name)).map(node -> {
            KafkaZkJson.TopicZNode znode = json.parseTopic(node.getData());
            Map<String, String> configs = configsCache.get(ZkPaths.topicConfig(name))
                    .map(c -> json.parseTopicConfig(c.getData())).orElse(Map.of());
            return new TopicMetadata(name, znode.topicId().orElse(Uuid.ZERO_UUID), znode.assignment(), configs);
        });
    }

    /**
     * Reads several znodes in one atomic ZooKeeper multi-read (3.6+). Curator has no wrapper for
     * it, so this goes to the ZooKeeper handle, adding Curator's namespace by hand. A missing
     * znode comes back as an {@link OpResult.ErrorResult} rather than failing the whole read.
     */
    private List<OpResult> multiRead(List<String> paths) throws Exception {
        String namespace = client.getNamespace();
        List<Op> ops = paths.stream().map(p -> Op.getData(ZKPaths.fixForNamespace(namespace, p))).toList();
        return RetryLoop.callWithRetry(client.getZookeeperClient(),
                () -> client.getZookeeperClient().getZooKeeper().multi(ops));
    }

    private void fire(Consumer<TopicListener> event) {
        if (listeners.isEmpty() || state.get() != State.STARTED) {
            return;
        }
        try {
            listenerThread.execute(() -> {
                for (TopicListener listener : listeners) {
                    try {
                        event.accept(listener);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "Topic listener " + listener + " failed", e);
                    }
                }
            });
        } catch (RejectedExecutionException closing) {
            // close() raced with a change; listeners are no longer owed events.
        }
    }

    // ---------------------------------------------------------------- helpers

    private void addPartitionOps(List<CuratorOp> ops, String topic, Map<Integer, List<Integer>> partitions,
            int controllerEpoch) throws Exception {
        for (Map.Entry<Integer, List<Integer>> p : new TreeMap<>(partitions).entrySet()) {
            List<Integer> replicas = p.getValue();
            PartitionState initial = new PartitionState(replicas.get(0), 0, replicas, controllerEpoch, -1);
            ops.add(client.transactionOp().create().forPath(ZkPaths.partition(topic, p.getKey())));
            ops.add(client.transactionOp().create().forPath(ZkPaths.partitionState(topic, p.getKey()),
                    json.partitionState(initial)));
        }
    }

    private static void validateAssignment(Map<Integer, List<Integer>> assignment, int firstId) {
        if (assignment.isEmpty()) {
            throw new InvalidPartitionsException("Number of partitions must be larger than 0.");
        }
        List<Integer> ids = new ArrayList<>(new TreeMap<>(assignment).keySet());
        for (int i = 0; i < ids.size(); i++) {
            if (ids.get(i) != firstId + i) {
                throw new InvalidPartitionsException("Partition ids must be consecutive starting at " + firstId
                        + ", got " + ids + ".");
            }
        }
        for (Map.Entry<Integer, List<Integer>> p : assignment.entrySet()) {
            List<Integer> replicas = p.getValue();
            if (replicas == null || replicas.isEmpty()) {
                throw new InvalidReplicaAssignmentException("Partition " + p.getKey() + " has no replicas.");
            }
            if (new HashSet<>(replicas).size() != replicas.size()) {
                throw new InvalidReplicaAssignmentException("Partition " + p.getKey() + " has duplicate replicas " + replicas + ".");
            }
            if (replicas.stream().anyMatch(r -> r < 0)) {
                throw new InvalidReplicaAssignmentException("Partition " + p.getKey() + " has a negative broker id " + replicas + ".");
            }
        }
    }

    private Optional<Uuid> topicIdInZooKeeper(String name) throws Exception {
        try {
            return json.parseTopic(client.getData().forPath(ZkPaths.topic(name))).topicId();
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        }
    }

    /** The epoch of the current controller, or 0 before any controller was elected. */
    private int controllerEpoch() throws Exception {
        try {
            return Integer.parseInt(new String(client.getData().forPath(ZkPaths.CONTROLLER_EPOCH),
                    java.nio.charset.StandardCharsets.UTF_8).trim());
        } catch (KeeperException.NoNodeException | NumberFormatException e) {
            return 0;
        }
    }

    private List<String> descendantsDeepestFirst(String path) throws Exception {
        List<String> result = new ArrayList<>();
        collectDescendants(path, result);
        return result;
    }

    private void collectDescendants(String path, List<String> into) throws Exception {
        List<String> children;
        try {
            children = client.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return;
        }
        for (String child : children) {
            String childPath = ZKPaths.makePath(path, child);
            collectDescendants(childPath, into);
            into.add(childPath);
        }
    }

    private void ensureStarted() {
        if (state.get() != State.STARTED) {
            throw new IllegalStateException("ClusterMetadataStore is " + state.get());
        }
    }

    private static UnknownTopicOrPartitionException unknownTopic(String name) {
        return new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.");
    }

    private static RuntimeException zkFailure(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new CoordinationException("Could not " + what + ": " + e.getMessage(), e);
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "tributary-metadata-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Reserves the next block of {@code size} producer ids for a broker, cluster-wide, as Kafka
     * does in {@code /latest_producer_id_block} (JSON {@code {"version":1,"broker":b,"block_start":"s","block_end":"e"}}):
     * a conditional write on the znode's version decides races between brokers.
     *
     * @return the first id of the block; the block is {@code [first, first + size)}
     */
    public long allocateProducerIdBlock(int brokerId, int size) {
        ensureStarted();
        try {
            for (int attempt = 1; ; attempt++) {
                Stat stat = new Stat();
                long next = 0;
                boolean exists = client.checkExists().forPath(ZkPaths.LATEST_PRODUCER_ID_BLOCK) != null;
                if (exists) {
                    byte[] data = client.getData().storingStatIn(stat).forPath(ZkPaths.LATEST_PRODUCER_ID_BLOCK);
                    if (data != null && data.length > 0) {
                        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"block_end\"\\s*:\\s*\"?(-?\\d+)")
                                .matcher(new String(data, java.nio.charset.StandardCharsets.UTF_8));
                        if (m.find()) {
                            next = Long.parseLong(m.group(1)) + 1;
                        }
                    }
                }
                long end = next + size - 1;
                byte[] block = ("{\"version\":1,\"broker\":" + brokerId + ",\"block_start\":\"" + next
                        + "\",\"block_end\":\"" + end + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                try {
                    if (exists) {
                        client.setData().withVersion(stat.getVersion()).forPath(ZkPaths.LATEST_PRODUCER_ID_BLOCK, block);
                    } else {
                        client.create().creatingParentsIfNeeded().forPath(ZkPaths.LATEST_PRODUCER_ID_BLOCK, block);
                    }
                    return next;
                } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException raced) {
                    if (attempt >= 20) {
                        throw zkFailure("allocate a producer id block", raced);
                    }
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw zkFailure("allocate a producer id block", e);
        }
    }
}
