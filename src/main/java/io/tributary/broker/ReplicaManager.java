package io.tributary.broker;

import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.coordination.StalePartitionStateException;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.PartitionLog;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.kafka.common.TopicPartition;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The partitions this broker hosts, kept in line with the topic metadata in ZooKeeper: a topic
 * created anywhere in the cluster gets its local logs here, a deleted topic loses them, a changed
 * topic config reaches its logs without a restart.
 *
 * <p>It also follows each partition's published state: a partition this broker now leads stops
 * fetching and starts a new leader epoch; one it follows is handed to the replica fetcher for its
 * leader (truncating first); a leader's ISR changes are written back to ZooKeeper conditionally on
 * the state's znode version, so they never overwrite a controller's newer decision.
 *
 * <p>Authority follows the ZooKeeper session: when it is suspended or lost, every partition stops
 * acting as leader (see {@link Partition}); when it is connected again, each partition's state is
 * re-read from ZooKeeper itself, so a partition whose leadership moved meanwhile becomes a follower
 * of the new leader (truncating what it wrote as a deposed leader) before anything is accepted again.
 *
 * <p>Thread-safe. Metadata changes are applied under {@code metadataLock} (they are rare and must
 * not interleave: a delete racing a create of the same name); lookups are lock-free.
 */
public final class ReplicaManager implements ClusterMetadataStore.TopicListener {

    private static final System.Logger LOG = System.getLogger(ReplicaManager.class.getName());

    private final int brokerId;
    private final LogManager logManager;
    private final LogConfig brokerDefaults;
    private final ClusterMetadataStore metadata;
    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private final Object metadataLock = new Object();
    /** Null without replication (a broker that only ever hosts single-replica partitions, and tests). */
    private final ReplicaFetcherManager fetchers;
    private final LongSupplier clock;
    private final Partition.IsrChannel isrChannel;
    /** Where the state is re-read after a reconnection (never Curator's event thread). */
    private final Executor background;
    /** Guards {@code authority} and {@code connectionGeneration} together. */
    private final Object authorityLock = new Object();
    /** Whether the ZooKeeper session lets this broker act as leader; written under authorityLock. */
    private volatile boolean authority = true;
    /** Counts connection state changes, so a late re-read cannot restore authority lost after it began. */
    private long connectionGeneration;
    /** Set once a controlled shutdown began: no partition is followed from then on. */
    private volatile boolean stoppedFollowing;

    /** A replica manager that never fetches from other brokers. */
    public ReplicaManager(int brokerId, LogManager logManager, LogConfig brokerDefaults, ClusterMetadataStore metadata) {
        this(brokerId, logManager, brokerDefaults, metadata, null, null, System::currentTimeMillis);
    }

    /**
     * @param fetchers    fetches the partitions this broker follows
     * @param isrExecutor where ISR changes are written to ZooKeeper (never the fetch-serving thread)
     */
    public ReplicaManager(int brokerId, LogManager logManager, LogConfig brokerDefaults, ClusterMetadataStore metadata,
                          ReplicaFetcherManager fetchers, Executor isrExecutor, LongSupplier clock) {
        this.brokerId = brokerId;
        this.logManager = logManager;
        this.brokerDefaults = brokerDefaults;
        this.metadata = metadata;
        this.fetchers = fetchers;
        this.clock = clock;
        this.isrChannel = isrExecutor == null ? Partition.IsrChannel.NONE
                : (partition, expected, isr) -> writeIsr(partition, expected, isr, isrExecutor);
        this.background = isrExecutor == null ? Runnable::run : isrExecutor;
    }

    public int brokerId() {
        return brokerId;
    }

    /**
     * Brings local logs in line with ZooKeeper after the log manager has loaded what is on disk:
     * opens or creates every local replica, and deletes logs of topics deleted while this broker
     * was down.
     */
    public void loadFromMetadata() {
        synchronized (metadataLock) {
            Map<String, TopicMetadata> topics = metadata.topics();
            for (TopicMetadata topic : topics.values()) {
                applyTopic(topic);
            }
            for (PartitionLog log : List.copyOf(logManager.logs())) {
                TopicPartition tp = log.topicPartition();
                TopicMetadata topic = topics.get(tp.topic());
                if (topic == null || !isLocalReplica(topic, tp.partition())) {
                    LOG.log(Level.INFO, "Deleting local log of {0}: no longer assigned to broker {1}", tp, brokerId);
                    partitions.remove(tp);
                    logManager.deleteLog(tp);
                }
            }
        }
    }

    /** Opens or updates the local replicas of a topic. Idempotent. */
    public void applyTopic(TopicMetadata topic) {
        synchronized (metadataLock) {
            LogConfig config = brokerDefaults.withOverrides(topic.configs());
            boolean configChanged = false;
            for (Map.Entry<Integer, List<Integer>> entry : topic.assignment().entrySet()) {
                int partitionId = entry.getKey();
                if (!entry.getValue().contains(brokerId)) {
                    continue;
                }
                TopicPartition tp = new TopicPartition(topic.name(), partitionId);
                Partition.ReplicaState state = replicaState(tp, entry.getValue());
                Partition existing = partitions.get(tp);
                if (existing == null) {
                    PartitionLog log = logManager.getOrCreateLog(tp, config);
                    Partition created = new Partition(brokerId, log, state, clock, isrChannel, () -> authority);
                    partitions.put(tp, created);
                    followOrLead(created, true);
                } else {
                    followOrLead(existing, existing.updateState(state));
                    configChanged |= !existing.log().config().equals(config);
                }
            }
            if (configChanged) {
                logManager.updateConfig(topic.name(), config);
            }
        }
    }

    /** Closes and deletes every local replica of a topic. Idempotent. */
    public void removeTopic(String topic) {
        synchronized (metadataLock) {
            Set<TopicPartition> doomed = new HashSet<>();
            for (TopicPartition tp : partitions.keySet()) {
                if (tp.topic().equals(topic)) {
                    doomed.add(tp);
                }
            }
            for (PartitionLog log : logManager.logs()) {
                if (log.topicPartition().topic().equals(topic)) {
                    doomed.add(log.topicPartition());
                }
            }
            for (TopicPartition tp : doomed) {
                if (fetchers != null) {
                    fetchers.unfollow(tp);
                }
                partitions.remove(tp);
                logManager.deleteLog(tp);
            }
        }
    }

    /**
     * Moves a partition's log start offset forward (Kafka's DeleteRecords) and checkpoints it at once,
     * so the deletion holds across a crash.
     *
     * Only the leader moves it; followers take the leader's log start offset from their fetches.
     *
     * @return the log start offset afterwards
     * @throws org.apache.kafka.common.errors.NotLeaderOrFollowerException if this broker does not lead it
     */
    public long deleteRecordsBefore(TopicPartition tp, long offset) {
        Partition partition = partitionOrThrow(tp);
        partition.ensureLeader(-1);
        long start = partition.log().deleteRecordsBefore(offset);
        logManager.checkpoint();
        return start;
    }

    public Optional<Partition> partition(TopicPartition tp) {
        return Optional.ofNullable(partitions.get(tp));
    }

    public Collection<Partition> partitions() {
        return partitions.values();
    }

    /**
     * The local partition for a topic partition, opening it if the metadata has it but this broker
     * has not applied it yet (a topic created a moment ago on another broker).
     */
    public Partition partitionOrThrow(TopicPartition tp) {
        Partition partition = partitions.get(tp);
        if (partition != null) {
            return partition;
        }
        Optional<TopicMetadata> topic = metadata.topic(tp.topic());
        if (topic.isEmpty()) {
            throw new UnknownTopicException(tp.topic());
        }
        if (tp.partition() < 0 || tp.partition() >= topic.get().partitionCount()) {
            throw new UnknownPartitionException(tp.topic(), tp.partition(), topic.get().partitionCount());
        }
        applyTopic(topic.get());
        partition = partitions.get(tp);
        if (partition == null) {
            throw new UnknownPartitionException("Partition " + tp + " has no replica on broker " + brokerId + ".");
        }
        return partition;
    }

    private Partition.ReplicaState replicaState(TopicPartition tp, List<Integer> replicas) {
        Optional<PartitionState> published = metadata.partitionState(tp);
        return published
                .map(s -> toReplicaState(s, replicas))
                .orElseGet(() -> new Partition.ReplicaState(replicas.get(0), 0, replicas, replicas));
    }

    private static Partition.ReplicaState toReplicaState(PartitionState s, List<Integer> replicas) {
        return new Partition.ReplicaState(s.leader(), s.leaderEpoch(), replicas, s.isr(), s.controllerEpoch(), s.zkVersion());
    }

    /** Starts or stops fetching after a partition's state changed; called under metadataLock. */
    private void followOrLead(Partition partition, boolean leadershipChanged) {
        if (fetchers == null || stoppedFollowing) {
            return;
        }
        Partition.ReplicaState state = partition.state();
        TopicPartition tp = partition.topicPartition();
        if (state.leader() == brokerId || state.leader() < 0) {
            fetchers.unfollow(tp);
        } else if (leadershipChanged || fetchers.leaderOf(tp).filter(l -> l == state.leader()).isEmpty()) {
            fetchers.follow(partition, state.leader(), state.leaderEpoch());
        }
    }

    /** A leader's ISR change, written only if the state is still the one the leader acted on. */
    private CompletableFuture<Partition.ReplicaState> writeIsr(Partition partition, Partition.ReplicaState expected,
                                                               List<Integer> isr, Executor executor) {
        TopicPartition tp = partition.topicPartition();
        return CompletableFuture.supplyAsync(() -> {
            try {
                PartitionState written = metadata.setPartitionState(tp, new PartitionState(expected.leader(),
                        expected.leaderEpoch(), isr, expected.controllerEpoch(), expected.zkVersion()));
                LOG.log(Level.INFO, "Broker {0}: ISR of {1} is now {2} (was {3})", brokerId, tp, isr, expected.isr());
                return toReplicaState(written, expected.replicas());
            } catch (StalePartitionStateException e) {
                // The controller (or an earlier write of ours) moved the state on; its event will arrive.
                return null;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Broker " + brokerId + " could not write the ISR of " + tp, e);
                return null;
            }
        }, executor);
    }

    /** Drops lagging followers from the ISRs this broker leads; run every half lag period. */
    public void shrinkIsrs(long replicaLagTimeMaxMs) {
        for (Partition p : partitions.values()) {
            if (p.isLeader()) {
                p.maybeShrinkIsr(replicaLagTimeMaxMs);
            }
        }
    }

    /** Partitions led here with replicas outside the ISR. */
    public long underReplicatedCount() {
        return partitions.values().stream().filter(Partition::underReplicated).count();
    }

    @Override
    public void onPartitionStateChanged(TopicPartition tp) {
        synchronized (metadataLock) {
            Partition partition = partitions.get(tp);
            if (partition == null) {
                return;
            }
            Optional<PartitionState> published = metadata.partitionState(tp);
            if (published.isEmpty()) {
                return;
            }
            followOrLead(partition, partition.updateState(toReplicaState(published.get(), partition.state().replicas())));
        }
    }

    // ---------------------------------------------------------------- ZooKeeper session

    /**
     * Follows the ZooKeeper connection (register it with the broker's session): SUSPENDED or LOST
     * takes authority away at once; CONNECTED or RECONNECTED gives it back once every partition's
     * state has been re-read from ZooKeeper. Returns at once; runs on Curator's event thread.
     */
    public void onConnectionStateChanged(ConnectionState newState) {
        long generation;
        synchronized (authorityLock) {
            generation = ++connectionGeneration;
            if (!newState.isConnected()) {
                boolean had = authority;
                authority = false;
                if (had) {
                    long led = 0;
                    for (Partition p : partitions.values()) {
                        if (p.isLeader()) {
                            led++;
                            p.authorityLost();
                        }
                    }
                    LOG.log(Level.WARNING, "Broker {0}: ZooKeeper connection {1}; the {2} partitions led here accept"
                            + " no writes until the session is back", brokerId, newState, led);
                }
                return;
            }
        }
        background.execute(() -> reassertAuthority(generation));
    }

    /** Re-reads every partition's state from ZooKeeper and, if the connection held meanwhile, resumes leading. */
    private void reassertAuthority(long generation) {
        try {
            synchronized (metadataLock) {
                for (Partition partition : List.copyOf(partitions.values())) {
                    TopicPartition tp = partition.topicPartition();
                    Optional<PartitionState> published = metadata.readPartitionState(tp);
                    if (published.isPresent()) {
                        followOrLead(partition, partition.updateState(
                                toReplicaState(published.get(), partition.state().replicas())));
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Broker " + brokerId + " could not re-read partition states after reconnecting;"
                    + " retrying", e);
            synchronized (authorityLock) {
                if (generation != connectionGeneration) {
                    return;
                }
            }
            CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS, background).execute(() -> reassertAuthority(generation));
            return;
        }
        long led = 0;
        synchronized (authorityLock) {
            if (generation != connectionGeneration) {
                return;
            }
            if (authority) {
                return;
            }
            authority = true;
        }
        for (Partition p : partitions.values()) {
            if (p.isLeader()) {
                led++;
                p.maybeAdvanceHighWatermark();
            }
        }
        LOG.log(Level.INFO, "Broker {0}: ZooKeeper session back; partition states re-read, {1} partitions led here",
                brokerId, led);
    }

    /** Whether the ZooKeeper session lets this broker act as leader now. */
    public boolean hasAuthority() {
        return authority;
    }

    // ---------------------------------------------------------------- controlled shutdown

    /**
     * Stops every replica fetcher and follows no partition from now on, so that a broker on its way
     * out is not added back to ISRs it is being taken out of. Idempotent.
     */
    public void stopFollowing() {
        stoppedFollowing = true;
        if (fetchers != null) {
            fetchers.close();
        }
    }

    /**
     * What a controlled shutdown still waits for: the partitions this broker leads whose ISR holds
     * another of {@code liveBrokers} (to be handed over), and those another live broker leads whose
     * ISR still holds this one (to be left, so that leader's high watermark does not wait for a
     * broker on its way out).
     */
    public List<TopicPartition> pendingForControlledShutdown(Set<Integer> liveBrokers) {
        List<TopicPartition> out = new ArrayList<>();
        for (Partition p : partitions.values()) {
            Partition.ReplicaState s = p.state();
            boolean handOver = s.leader() == brokerId
                    && s.isr().stream().anyMatch(r -> r != brokerId && liveBrokers.contains(r));
            boolean leave = s.leader() != brokerId && liveBrokers.contains(s.leader()) && s.isr().contains(brokerId);
            if (handOver || leave) {
                out.add(p.topicPartition());
            }
        }
        return out;
    }

    private boolean isLocalReplica(TopicMetadata topic, int partition) {
        List<Integer> replicas = topic.assignment().get(partition);
        return replicas != null && replicas.contains(brokerId);
    }

    @Override
    public void onTopicCreated(TopicMetadata topic) {
        applyTopic(topic);
    }

    @Override
    public void onTopicChanged(TopicMetadata topic) {
        applyTopic(topic);
    }

    @Override
    public void onTopicDeleted(String name) {
        removeTopic(name);
    }
}
