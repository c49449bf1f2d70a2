package io.tributary.coordination;

import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import org.apache.curator.framework.CuratorFramework;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
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
 * </ul>
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

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final CuratorFramework client;
    private final ClusterMetadataStore metadata;
    private final int brokerId;
    private final boolean uncleanLeaderElection;
    private final Clock clock;
    private final ScheduledExecutorService thread;
    private final LeaderLatch latch;
    /** Set only on the controller thread; null while not controller. */
    private volatile Term term;
    private final AtomicBoolean sweepQueued = new AtomicBoolean();

    /**
     * @param uncleanLeaderElection broker default of {@code unclean.leader.election.enable}; a topic
     *                              config overrides it
     */
    public Controller(CuratorFramework client, ClusterMetadataStore metadata, int brokerId, boolean uncleanLeaderElection,
                      ThreadFactory threadFactory, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.brokerId = brokerId;
        this.uncleanLeaderElection = uncleanLeaderElection;
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(threadFactory);
        this.latch = new LeaderLatch(client, ZkPaths.CONTROLLER_ELECTION, Integer.toString(brokerId));
    }

    /** Joins the election. Idempotent. */
    public void start() throws Exception {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
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
        Set<Integer> live = new HashSet<>();
        metadata.liveBrokers().forEach(b -> live.add(b.id()));
        boolean retry = false;
        for (TopicMetadata topic : metadata.topics().values()) {
            boolean unclean = Boolean.parseBoolean(topic.configs().getOrDefault("unclean.leader.election.enable",
                    Boolean.toString(uncleanLeaderElection)));
            for (Map.Entry<Integer, List<Integer>> p : topic.assignment().entrySet()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.getKey());
                PartitionState current = metadata.partitionState(tp).orElse(null);
                if (current == null) {
                    continue;
                }
                PartitionState next = decide(current, p.getValue(), live, unclean, t.epoch());
                if (next == null) {
                    continue;
                }
                try {
                    PartitionState written = metadata.setPartitionStateAsController(tp, next, t.epochZkVersion());
                    LOG.log(Level.INFO, "Controller {0}: {1} leader {2} -> {3} (epoch {4}), ISR {5}", brokerId, tp,
                            current.leader(), written.leader(), written.leaderEpoch(), written.isr());
                } catch (ControllerMovedException e) {
                    LOG.log(Level.WARNING, "Broker {0} was replaced as controller: {1}", brokerId, e.getMessage());
                    term = null;
                    return;
                } catch (StalePartitionStateException e) {
                    retry = true;
                } catch (UnknownTopicOrPartitionException e) {
                    // Deleted meanwhile.
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "Controller could not update " + tp + "; retrying", e);
                    retry = true;
                }
            }
        }
        if (retry) {
            // The view lagged a write by a leader (ISR change); the caches will catch up shortly.
            schedule(this::sweep);
        }
    }

    /**
     * The state a partition must move to given the live brokers, or null if it is fine as it is.
     * Package-private and pure, for tests.
     */
    static PartitionState decide(PartitionState current, List<Integer> replicas, Set<Integer> live, boolean unclean,
                                 int controllerEpoch) {
        List<Integer> liveIsr = new ArrayList<>();
        for (int r : current.isr()) {
            if (live.contains(r)) {
                liveIsr.add(r);
            }
        }
        boolean leaderLive = current.leader() >= 0 && live.contains(current.leader());
        if (leaderLive) {
            if (liveIsr.size() < current.isr().size()) {
                if (!liveIsr.contains(current.leader())) {
                    liveIsr.add(0, current.leader());
                }
                return new PartitionState(current.leader(), current.leaderEpoch(), liveIsr, controllerEpoch,
                        current.zkVersion());
            }
            return null;
        }
        for (int r : replicas) {
            if (liveIsr.contains(r)) {
                return new PartitionState(r, current.leaderEpoch() + 1, liveIsr, controllerEpoch, current.zkVersion());
            }
        }
        if (unclean) {
            for (int r : replicas) {
                if (live.contains(r)) {
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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
