package io.tributary.coordination;

import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The cluster controller: one broker at a time, elected with a Curator {@link LeaderLatch}, elects
 * partition leaders from the in-sync replicas when brokers come and go.
 *
 * <p>On election it increments {@code /controller_epoch} (a conditional write, so two brokers can
 * never both believe they hold the same epoch) and names itself in {@code /controller} as Kafka
 * does. Every partition-state write it makes is a transaction that also checks
 * {@code /controller_epoch} is still at the version it wrote: a deposed controller, one whose
 * session lapsed while it was paused, cannot overwrite its successor's decisions.
 *
 * <p>What it decides, on election and whenever the live brokers or the topics change:
 * <ul>
 *   <li>a partition whose leader is gone gets the first replica (in assignment order) that is live
 *       and in the ISR as its new leader, a leader epoch one higher, and the live part of the ISR;</li>
 *   <li>with no live in-sync replica the partition goes offline (leader -1) and keeps its ISR, so the
 *       last in-sync replica takes over when it returns, unless {@code unclean.leader.election.enable}
 *       lets any live replica lead;</li>
 *   <li>an ISR member whose broker is gone is dropped from the ISR at once (its leader would drop it
 *       after {@code replica.lag.time.max.ms} anyway).</li>
 *   <li>a broker that asked for a controlled shutdown (a child of {@code /tributary/controlled_shutdown})
 *       hands each partition it leads to the first other live in-sync replica, with a leader epoch one
 *       higher, and leaves every ISR; it is never chosen as a leader while the request stands. A
 *       partition with no other live in-sync replica keeps its leader.</li>
 * </ul>
 *
 * <p>With {@code auto.leader.rebalance.enable}, every {@code leader.imbalance.check.interval.seconds}
 * it counts, for each broker, the partitions whose preferred replica (the first of the assignment)
 * it is but which another broker leads; when that share exceeds
 * {@code leader.imbalance.per.broker.percentage}, each of those partitions whose preferred replica is
 * live and in the ISR gets it back as leader, with a leader epoch one higher and the ISR unchanged.
 *
 * <p>Leadership follows the ZooKeeper connection: the latch reports a suspended or lost connection
 * as lost leadership. Thread-safe: every decision runs on the controller's own single thread.
 * Lifecycle LATENT, {@link #start()}, {@link #close()}; both idempotent.
 */
public final class Controller implements AutoCloseable, LeaderLatchListener, ClusterMetadataStore.TopicListener {

    private static final System.Logger LOG = System.getLogger(Controller.class.getName());
    private static final long RETRY_MS = 200;

    private enum State { LATENT, STARTED, CLOSED }

    /** This broker's term as controller. */
    private record Term(int epoch, int epochZkVersion) {
    }

    /**
     * What the controller decides by.
     *
     * @param uncleanLeaderElection         broker default of {@code unclean.leader.election.enable}; a topic
     *                                      config overrides it
     * @param autoLeaderRebalance           {@code auto.leader.rebalance.enable}
     * @param leaderImbalanceCheckIntervalMs {@code leader.imbalance.check.interval.seconds}, in milliseconds
     * @param leaderImbalancePerBrokerPercentage {@code leader.imbalance.per.broker.percentage}
     */
    public record Settings(boolean uncleanLeaderElection, boolean autoLeaderRebalance, long leaderImbalanceCheckIntervalMs,
                           int leaderImbalancePerBrokerPercentage) {
        public Settings {
            if (leaderImbalanceCheckIntervalMs <= 0) {
                throw new IllegalArgumentException("leader.imbalance.check.interval must be positive");
            }
        }

        /** Kafka's defaults, with the given unclean election default. */
        public static Settings defaults(boolean uncleanLeaderElection) {
            return new Settings(uncleanLeaderElection, true, 300_000, 10);
        }
    }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final CuratorFramework client;
    private final ClusterMetadataStore metadata;
    private final int brokerId;
    private final Settings settings;
    private final Clock clock;
    private final ScheduledExecutorService thread;
    private final LeaderLatch latch;
    /** The standing controlled-shutdown requests. */
    private final CuratorCache shutdownRequests;
    /** Set only on the controller thread; null while not controller. */
    private volatile Term term;
    private final AtomicBoolean sweepQueued = new AtomicBoolean();
    /** The periodic preferred-leader check of the current term; touched only on the controller thread. */
    private ScheduledFuture<?> rebalanceTask;

    /** A controller with Kafka's defaults for leader rebalancing. */
    public Controller(CuratorFramework client, ClusterMetadataStore metadata, int brokerId, boolean uncleanLeaderElection,
                      ThreadFactory threadFactory, Clock clock) {
        this(client, metadata, brokerId, Settings.defaults(uncleanLeaderElection), threadFactory, clock);
    }

    public Controller(CuratorFramework client, ClusterMetadataStore metadata, int brokerId, Settings settings,
                      ThreadFactory threadFactory, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.brokerId = brokerId;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(threadFactory);
        this.latch = new LeaderLatch(client, ZkPaths.CONTROLLER_ELECTION, Integer.toString(brokerId));
        this.shutdownRequests = CuratorCache.build(client, ZkPaths.CONTROLLED_SHUTDOWN);
    }

    /** Joins the election. Idempotent. */
    public void start() throws Exception {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        try {
            client.create().creatingParentsIfNeeded().forPath(ZkPaths.CONTROLLED_SHUTDOWN);
        } catch (KeeperException.NodeExistsException alreadyThere) {
            // Normal after the first broker has started.
        }
        shutdownRequests.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> queueSweep()).build(), thread);
        shutdownRequests.start();
        metadata.addListener(this);
        latch.addListener(this, thread);
        latch.start();
    }

    /** Leaves the election (handing control to another broker) and stops. Idempotent. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        metadata.removeListener(this);
        shutdownRequests.close();
        if (term != null) {
            withdrawAnnouncement();
        }
        try {
            latch.close(LeaderLatch.CloseMode.SILENT);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "Could not leave the controller election cleanly", e);
        }
        term = null;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.shutdownNow();
        }
    }

    /** Whether this broker is the controller right now. */
    public boolean isActive() {
        return term != null && latch.hasLeadership();
    }

    /** The controller epoch of this broker's term, or -1 when it is not the controller. */
    public int epoch() {
        Term t = term;
        return t == null ? -1 : t.epoch();
    }

    // ---------------------------------------------------------------- election (controller thread)

    @Override
    public void isLeader() {
        try {
            Term t = bumpEpoch();
            if (t == null) {
                return;
            }
            term = t;
            announce(t);
            LOG.log(Level.INFO, "Broker {0} is the controller (epoch {1})", brokerId, t.epoch());
            sweep();
            scheduleRebalance();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.log(Level.WARNING, "Broker " + brokerId + " won the controller election but could not take office; retrying", e);
            schedule(this::isLeader);
        }
    }

    @Override
    public void notLeader() {
        if (term != null) {
            LOG.log(Level.INFO, "Broker {0} is no longer the controller", brokerId);
        }
        term = null;
        if (rebalanceTask != null) {
            rebalanceTask.cancel(false);
            rebalanceTask = null;
        }
    }

    private void scheduleRebalance() {
        if (!settings.autoLeaderRebalance()) {
            return;
        }
        if (rebalanceTask != null) {
            rebalanceTask.cancel(false);
        }
        long interval = settings.leaderImbalanceCheckIntervalMs();
        try {
            rebalanceTask = thread.scheduleWithFixedDelay(this::rebalance, interval, interval, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            rebalanceTask = null;
        }
    }

    /** Increments /controller_epoch conditionally; null if leadership was lost meanwhile. */
    private Term bumpEpoch() throws Exception {
        while (latch.hasLeadership() && state.get() == State.STARTED) {
            Stat stat = new Stat();
            int current;
            try {
                byte[] data = client.getData().storingStatIn(stat).forPath(ZkPaths.CONTROLLER_EPOCH);
                current = Integer.parseInt(new String(data, StandardCharsets.UTF_8).trim());
            } catch (KeeperException.NoNodeException e) {
                try {
                    client.create().creatingParentsIfNeeded().forPath(ZkPaths.CONTROLLER_EPOCH, bytes("1"));
                    return new Term(1, 0);
                } catch (KeeperException.NodeExistsException raced) {
                    continue;
                }
            }
            int next = current + 1;
            try {
                Stat written = client.setData().withVersion(stat.getVersion())
                        .forPath(ZkPaths.CONTROLLER_EPOCH, bytes(Integer.toString(next)));
                return new Term(next, written.getVersion());
            } catch (KeeperException.BadVersionException raced) {
                // Another controller took office in between: read again, and check we still lead.
            }
        }
        return null;
    }

    /** Kafka's /controller znode, for tools that look there; informational only, fencing uses the epoch. */
    private void announce(Term t) throws Exception {
        byte[] data = bytes("{\"version\":1,\"brokerid\":" + brokerId + ",\"timestamp\":\"" + clock.millis() + "\"}");
        try {
            client.delete().forPath(ZkPaths.CONTROLLER);
        } catch (KeeperException.NoNodeException gone) {
            // Normal: the previous controller's session ended.
        }
        try {
            client.create().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.CONTROLLER, data);
        } catch (KeeperException.NodeExistsException e) {
            LOG.log(Level.DEBUG, "/controller re-created concurrently; epoch {0} still decides", t.epoch());
        }
    }

    /**
     * Deletes {@code /controller} while it still names this broker (a conditional delete, so a
     * successor's announcement is never removed): readers see no controller at once rather than a
     * retired one until this broker's session ends.
     */
    private void withdrawAnnouncement() {
        try {
            Stat stat = new Stat();
            byte[] data = client.getData().storingStatIn(stat).forPath(ZkPaths.CONTROLLER);
            if (new KafkaZkJson().parseControllerId(data) == brokerId) {
                client.delete().withVersion(stat.getVersion()).forPath(ZkPaths.CONTROLLER);
            }
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException gone) {
            // Already gone or already a successor's.
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.log(Level.DEBUG, "Could not withdraw /controller; it goes with the session: {0}", e.toString());
        }
    }

    // ---------------------------------------------------------------- events

    @Override
    public void onBrokersChanged(List<BrokerInfo> liveBrokers) {
        queueSweep();
    }

    @Override
    public void onTopicCreated(TopicMetadata topic) {
        queueSweep();
    }

    @Override
    public void onTopicChanged(TopicMetadata topic) {
        queueSweep();
    }

    private void queueSweep() {
        if (term == null || !sweepQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            thread.execute(() -> {
                sweepQueued.set(false);
                sweep();
            });
        } catch (RejectedExecutionException closing) {
            sweepQueued.set(false);
        }
    }

    private void schedule(Runnable r) {
        try {
            thread.schedule(r, RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // Shutting down.
        }
    }

    /** Checks every partition against the live brokers and writes the states that must change. */
    private void sweep() {
        Term t = term;
        if (t == null || !latch.hasLeadership()) {
            return;
        }
        Set<Integer> live = liveBrokerIds();
        Set<Integer> shuttingDown = shuttingDown();
        boolean retry = false;
        for (TopicMetadata topic : metadata.topics().values()) {
            boolean unclean = Boolean.parseBoolean(topic.configs().getOrDefault("unclean.leader.election.enable",
                    Boolean.toString(settings.uncleanLeaderElection())));
            for (Map.Entry<Integer, List<Integer>> p : topic.assignment().entrySet()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.getKey());
                PartitionState current = metadata.partitionState(tp).orElse(null);
                if (current == null) {
                    continue;
                }
                PartitionState next = decide(current, p.getValue(), live, shuttingDown, unclean, t.epoch());
                if (next == null) {
                    continue;
                }
                String why = shuttingDown.isEmpty() ? "live brokers " + live
                        : "live brokers " + live + ", shutting down " + shuttingDown;
                switch (write(t, tp, current, next, why)) {
                    case MOVED -> {
                        return;
                    }
                    case RETRY -> retry = true;
                    default -> {
                    }
                }
            }
        }
        if (retry) {
            // The view lagged a write by a leader (ISR change); the caches will catch up shortly.
            schedule(this::sweep);
        }
    }

    private enum WriteOutcome { WRITTEN, RETRY, SKIPPED, MOVED }

    private WriteOutcome write(Term t, TopicPartition tp, PartitionState current, PartitionState next, String why) {
        try {
            PartitionState written = metadata.setPartitionStateAsController(tp, next, t.epochZkVersion());
            LOG.log(Level.INFO, "Controller {0}: {1} leader {2} -> {3} (epoch {4}), ISR {5} ({6})", brokerId, tp,
                    current.leader(), written.leader(), written.leaderEpoch(), written.isr(), why);
            return WriteOutcome.WRITTEN;
        } catch (ControllerMovedException e) {
            LOG.log(Level.WARNING, "Broker {0} was replaced as controller: {1}", brokerId, e.getMessage());
            term = null;
            return WriteOutcome.MOVED;
        } catch (StalePartitionStateException e) {
            return WriteOutcome.RETRY;
        } catch (UnknownTopicOrPartitionException e) {
            // Deleted meanwhile.
            return WriteOutcome.SKIPPED;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Controller could not update " + tp + "; retrying", e);
            return WriteOutcome.RETRY;
        }
    }

    /**
     * The preferred-leader check: gives leadership back to the first replica of the assignment on
     * brokers whose share of preferred partitions led elsewhere exceeds the configured percentage.
     * A write that loses a race waits for the next check.
     */
    private void rebalance() {
        Term t = term;
        if (t == null || !latch.hasLeadership()) {
            return;
        }
        Set<Integer> live = liveBrokerIds();
        Set<Integer> shuttingDown = shuttingDown();
        Map<Integer, int[]> counts = new HashMap<>();
        List<Map.Entry<TopicPartition, List<Integer>>> partitions = new ArrayList<>();
        for (TopicMetadata topic : metadata.topics().values()) {
            for (Map.Entry<Integer, List<Integer>> p : topic.assignment().entrySet()) {
                if (p.getValue().isEmpty()) {
                    continue;
                }
                TopicPartition tp = new TopicPartition(topic.name(), p.getKey());
                PartitionState current = metadata.partitionState(tp).orElse(null);
                if (current == null) {
                    continue;
                }
                int[] c = counts.computeIfAbsent(p.getValue().get(0), id -> new int[2]);
                c[0]++;
                if (current.leader() != p.getValue().get(0)) {
                    c[1]++;
                }
                partitions.add(Map.entry(tp, p.getValue()));
            }
        }
        for (Map.Entry<TopicPartition, List<Integer>> p : partitions) {
            int[] c = counts.get(p.getValue().get(0));
            if (!imbalanced(c[1], c[0], settings.leaderImbalancePerBrokerPercentage())) {
                continue;
            }
            PartitionState current = metadata.partitionState(p.getKey()).orElse(null);
            PartitionState next = current == null ? null
                    : preferredLeader(current, p.getValue(), live, shuttingDown, t.epoch());
            if (next != null && write(t, p.getKey(), current, next, "preferred replica") == WriteOutcome.MOVED) {
                return;
            }
        }
    }

    private Set<Integer> liveBrokerIds() {
        Set<Integer> live = new HashSet<>();
        metadata.liveBrokers().forEach(b -> live.add(b.id()));
        return live;
    }

    /** Brokers with a standing controlled-shutdown request. */
    private Set<Integer> shuttingDown() {
        Set<Integer> ids = new HashSet<>();
        shutdownRequests.stream().map(ChildData::getPath).forEach(path ->
                ZkPaths.controlledShutdownOf(path).ifPresent(ids::add));
        return ids;
    }

    /**
     * Whether a broker leading {@code total - notLed} of the {@code total} partitions it is the
     * preferred replica of is out of balance: Kafka's {@code notLed / total > percentage / 100}.
     */
    static boolean imbalanced(int notLed, int total, int percentage) {
        return total > 0 && (long) notLed * 100 > (long) percentage * total;
    }

    /**
     * The state that gives a partition back to its preferred replica (the first of the assignment),
     * or null if it leads already or cannot: it is not live, is shutting down or is not in the ISR.
     * Package-private and pure, for tests.
     */
    static PartitionState preferredLeader(PartitionState current, List<Integer> replicas, Set<Integer> live,
                                          Set<Integer> shuttingDown, int controllerEpoch) {
        int preferred = replicas.get(0);
        if (current.leader() == preferred || !live.contains(preferred) || shuttingDown.contains(preferred)
                || !current.isr().contains(preferred)) {
            return null;
        }
        return new PartitionState(preferred, current.leaderEpoch() + 1, current.isr(), controllerEpoch,
                current.zkVersion());
    }

    /** {@link #decide(PartitionState, List, Set, Set, boolean, int)} with no broker shutting down. */
    static PartitionState decide(PartitionState current, List<Integer> replicas, Set<Integer> live, boolean unclean,
                                 int controllerEpoch) {
        return decide(current, replicas, live, Set.of(), unclean, controllerEpoch);
    }

    /**
     * The state a partition must move to given the live brokers and those shutting down, or null if
     * it is fine as it is. Package-private and pure, for tests.
     */
    static PartitionState decide(PartitionState current, List<Integer> replicas, Set<Integer> live,
                                 Set<Integer> shuttingDown, boolean unclean, int controllerEpoch) {
        List<Integer> liveIsr = new ArrayList<>();
        for (int r : current.isr()) {
            if (live.contains(r)) {
                liveIsr.add(r);
            }
        }
        List<Integer> eligibleIsr = new ArrayList<>(liveIsr);
        eligibleIsr.removeAll(shuttingDown);
        boolean leaderLive = current.leader() >= 0 && live.contains(current.leader());
        if (leaderLive && shuttingDown.contains(current.leader())) {
            // Controlled shutdown: hand over to the next in-sync replica that stays.
            for (int r : replicas) {
                if (eligibleIsr.contains(r)) {
                    return new PartitionState(r, current.leaderEpoch() + 1, eligibleIsr, controllerEpoch,
                            current.zkVersion());
                }
            }
            // No one to hand over to: it keeps leading; only the dead leave the ISR.
            return shrunk(current, liveIsr, controllerEpoch);
        }
        if (leaderLive) {
            return shrunk(current, eligibleIsr, controllerEpoch);
        }
        for (int r : replicas) {
            if (eligibleIsr.contains(r)) {
                return new PartitionState(r, current.leaderEpoch() + 1, eligibleIsr, controllerEpoch, current.zkVersion());
            }
        }
        if (unclean) {
            for (int r : replicas) {
                if (live.contains(r) && !shuttingDown.contains(r)) {
                    return new PartitionState(r, current.leaderEpoch() + 1, List.of(r), controllerEpoch,
                            current.zkVersion());
                }
            }
        }
        if (current.leader() != PartitionState.NO_LEADER) {
            // Offline: keep the ISR so its last member can lead again when it returns.
            return new PartitionState(PartitionState.NO_LEADER, current.leaderEpoch() + 1, current.isr(),
                    controllerEpoch, current.zkVersion());
        }
        return null;
    }

    /** The same leader and epoch with the ISR cut down to {@code keep} (and the leader), or null if no one leaves. */
    private static PartitionState shrunk(PartitionState current, List<Integer> keep, int controllerEpoch) {
        List<Integer> isr = new ArrayList<>(keep);
        if (!isr.contains(current.leader())) {
            isr.add(0, current.leader());
        }
        if (isr.containsAll(current.isr())) {
            return null;
        }
        return new PartitionState(current.leader(), current.leaderEpoch(), isr, controllerEpoch, current.zkVersion());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
