package io.tributary.broker;

import io.tributary.storage.LeaderEpochCache;
import io.tributary.storage.PartitionLog;
import io.tributary.storage.PartitionLog.LogAppendInfo;
import io.tributary.storage.PartitionLog.LogReadInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.UnknownLeaderEpochException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A partition hosted by this broker: its log plus its replication state (leader, leader epoch,
 * replicas, in-sync replicas) as last published in ZooKeeper.
 *
 * <h2>As leader</h2>
 * Appends assign offsets and stamp the leader epoch. Followers fetch with their broker id; each
 * fetch offset tells the leader how far that follower's log reaches. The high watermark is the
 * smallest log end offset among the in-sync replicas, so a record is visible to readers (and an
 * {@code acks=all} produce answered) only once every in-sync replica holds it. A follower that has
 * not caught up with the leader's log end for {@code replica.lag.time.max.ms} is dropped from the
 * ISR; one that reaches the high watermark again is added back. ISR changes are proposed through an
 * {@link IsrChannel} (a conditional ZooKeeper write) and take effect here only once written.
 *
 * <h2>As follower</h2>
 * Appends keep the leader's offsets and epochs ({@link PartitionLog#appendAsFollower}); the high
 * watermark follows the leader's. Appends and truncations name the leader epoch they were fetched
 * under and are refused once the state has moved on, so a fetch from a deposed leader cannot land.
 *
 * <h2>Without ZooKeeper</h2>
 * Leadership is only as good as the broker's ZooKeeper session: while the session is suspended or
 * lost (the {@code authority} this partition is given says so), another broker may already lead
 * in a newer epoch. The partition then refuses appends as leader (NOT_LEADER_OR_FOLLOWER), neither
 * advances the high watermark nor changes the ISR, and fails the produces waiting for
 * acknowledgements, so nothing the new leader might lack is exposed or acknowledged. Reads below
 * the high watermark go on: those records are on every in-sync replica.
 *
 * <p>Thread-safe: {@code leaderIsrLock} is taken for writing by state changes and for reading by
 * appends and fetches, so no append runs across a change of leadership.
 */
public final class Partition {

    /** Who leads and who is in sync, as last published in ZooKeeper. */
    public record ReplicaState(int leader, int leaderEpoch, List<Integer> replicas, List<Integer> isr,
                               int controllerEpoch, int zkVersion) {
        public ReplicaState {
            replicas = List.copyOf(replicas);
            isr = List.copyOf(isr);
        }

        public ReplicaState(int leader, int leaderEpoch, List<Integer> replicas, List<Integer> isr) {
            this(leader, leaderEpoch, replicas, isr, 0, -1);
        }
    }

    /** Proposes a new ISR for a partition this broker leads; completes with the state as written. */
    public interface IsrChannel {
        /** Does nothing: the ISR never changes (single-broker use and tests). */
        IsrChannel NONE = (partition, expected, isr) -> CompletableFuture.completedFuture(null);

        /**
         * @return the new state once written, or {@code null} if the write lost a race (a newer
         *         state will arrive through the metadata)
         */
        CompletableFuture<ReplicaState> propose(Partition partition, ReplicaState expected, List<Integer> newIsr);
    }

    /** What the leader knows of one follower. Guarded by its own monitor. */
    private static final class FollowerState {
        long logEndOffset = -1;
        long lastCaughtUpMs;
        long lastFetchMs;
        long lastFetchLeaderLogEnd = -1;

        FollowerState(long lastCaughtUpMs) {
            this.lastCaughtUpMs = lastCaughtUpMs;
        }
    }

    /** A produce waiting for its records to reach every in-sync replica. */
    private record DelayedAck(long requiredOffset, CompletableFuture<Errors> result) {
    }

    private final int localBrokerId;
    private final PartitionLog log;
    private final LongSupplier clock;
    private final IsrChannel isrChannel;
    /** Whether this broker's ZooKeeper session lets it act as leader now. */
    private final BooleanSupplier authority;
    private final ReentrantReadWriteLock leaderIsrLock = new ReentrantReadWriteLock();
    private final Map<Integer, FollowerState> followers = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<DelayedAck> delayedAcks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean isrChangeInFlight = new AtomicBoolean();
    private volatile ReplicaState state;
    private volatile long leaderEpochStartOffset;

    Partition(int localBrokerId, PartitionLog log, ReplicaState state) {
        this(localBrokerId, log, state, System::currentTimeMillis, IsrChannel.NONE);
    }

    Partition(int localBrokerId, PartitionLog log, ReplicaState state, LongSupplier clock, IsrChannel isrChannel) {
        this(localBrokerId, log, state, clock, isrChannel, () -> true);
    }

    /**
     * @param authority whether the broker's ZooKeeper session is connected, so that it may act as leader
     */
    Partition(int localBrokerId, PartitionLog log, ReplicaState state, LongSupplier clock, IsrChannel isrChannel,
              BooleanSupplier authority) {
        this.localBrokerId = localBrokerId;
        this.log = log;
        this.clock = clock;
        this.isrChannel = isrChannel;
        this.authority = authority;
        updateState(state);
    }

    public TopicPartition topicPartition() {
        return log.topicPartition();
    }

    public PartitionLog log() {
        return log;
    }

    public ReplicaState state() {
        return state;
    }

    public boolean isLeader() {
        return state.leader() == localBrokerId;
    }

    /**
     * Applies a newer published state. Becoming leader (or leading in a new epoch) starts the new
     * epoch at the log end and forgets what followers had; losing leadership fails the produces
     * still waiting for acknowledgements.
     *
     * @return whether leadership or the leader epoch changed
     */
    boolean updateState(ReplicaState newState) {
        boolean changed;
        leaderIsrLock.writeLock().lock();
        try {
            ReplicaState old = state;
            if (old != null && old.zkVersion() >= 0 && newState.zkVersion() >= 0 && newState.zkVersion() < old.zkVersion()
                    && newState.leaderEpoch() <= old.leaderEpoch()) {
                return false;
            }
            changed = old == null || old.leader() != newState.leader() || old.leaderEpoch() != newState.leaderEpoch();
            state = newState;
            if (old == null || old.zkVersion() != newState.zkVersion()) {
                isrChangeInFlight.set(false);
            }
            if (newState.leader() == localBrokerId) {
                if (changed) {
                    log.assignEpochStartOffset(newState.leaderEpoch());
                    leaderEpochStartOffset = log.logEndOffset();
                    followers.clear();
                }
                long now = clock.getAsLong();
                for (int r : newState.replicas()) {
                    if (r != localBrokerId) {
                        // A replica in the ISR is given a full lag period to show it is still there.
                        followers.computeIfAbsent(r, id -> new FollowerState(newState.isr().contains(id) ? now : 0));
                    }
                }
                followers.keySet().retainAll(newState.replicas());
            } else {
                followers.clear();
            }
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
        if (newState.leader() != localBrokerId) {
            failDelayedAcks(Errors.NOT_LEADER_OR_FOLLOWER);
        }
        maybeAdvanceHighWatermark();
        return changed;
    }

    /** An append as leader answered after the leader's own write ({@code acks=1}). */
    public LogAppendInfo appendAsLeader(MemoryRecords records) {
        return appendAsLeader(records, (short) 1);
    }

    /**
     * Appends a batch as the partition's leader. With {@code acks=-1} the ISR must hold at least
     * {@code min.insync.replicas} brokers or nothing is appended.
     *
     * @throws NotLeaderOrFollowerException if this broker does not lead the partition
     * @throws NotEnoughReplicasException   acks=-1 with too small an ISR
     */
    public LogAppendInfo appendAsLeader(MemoryRecords records, short requiredAcks) {
        LogAppendInfo info;
        leaderIsrLock.readLock().lock();
        try {
            ReplicaState current = state;
            if (current.leader() != localBrokerId) {
                throw new NotLeaderOrFollowerException("Broker " + localBrokerId + " does not lead " + topicPartition()
                        + "; the leader is broker " + current.leader());
            }
            if (!authority.getAsBoolean()) {
                throw notLeaderWithoutSession();
            }
            int minIsr = minInSyncReplicas();
            if (requiredAcks == -1 && current.isr().size() < minIsr) {
                throw new NotEnoughReplicasException("The in-sync replicas of " + topicPartition() + " " + current.isr()
                        + " are fewer than min.insync.replicas " + minIsr);
            }
            info = log.appendAsLeader(records, current.leaderEpoch());
        } finally {
            leaderIsrLock.readLock().unlock();
        }
        maybeAdvanceHighWatermark();
        return info;
    }

    /**
     * Completes once the high watermark reaches {@code requiredOffset} (every in-sync replica holds
     * the records below it): with {@code NONE}, or {@code NOT_ENOUGH_REPLICAS_AFTER_APPEND} if the
     * ISR shrank below {@code min.insync.replicas} meanwhile; with {@code NOT_LEADER_OR_FOLLOWER}
     * if leadership moves first. The caller times it out.
     */
    public CompletableFuture<Errors> awaitReplication(long requiredOffset) {
        DelayedAck ack = new DelayedAck(requiredOffset, new CompletableFuture<>());
        delayedAcks.add(ack);
        if (!isLeader() || !authority.getAsBoolean()) {
            failDelayedAcks(Errors.NOT_LEADER_OR_FOLLOWER);
        }
        completeDelayedAcks();
        return ack.result();
    }

    /** Reads committed records only: nothing at or above the high watermark is returned. */
    public LogReadInfo readCommitted(long offset, int maxBytes, boolean minOneMessage) {
        return log.read(offset, maxBytes, log.highWatermark(), minOneMessage);
    }

    /**
     * A consumer's read: only the leader serves it, and a client that knows a different leader
     * epoch is told so.
     */
    public LogReadInfo readAsLeader(long offset, int maxBytes, boolean minOneMessage, int currentLeaderEpoch) {
        leaderIsrLock.readLock().lock();
        try {
            checkLeader(currentLeaderEpoch);
            return readCommitted(offset, maxBytes, minOneMessage);
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /**
     * Serves a follower's fetch: records up to the log end, and notes that the follower holds
     * everything below {@code fetchOffset}, which may advance the high watermark and bring the
     * follower back into the ISR.
     */
    public LogReadInfo fetchForFollower(int replicaId, long fetchOffset, int maxBytes, int currentLeaderEpoch) {
        LogReadInfo read;
        leaderIsrLock.readLock().lock();
        try {
            checkLeader(currentLeaderEpoch);
            FollowerState follower = followers.get(replicaId);
            if (follower == null) {
                throw new NotLeaderOrFollowerException("Broker " + replicaId + " is not a replica of " + topicPartition());
            }
            long now = clock.getAsLong();
            long leaderEnd = log.logEndOffset();
            synchronized (follower) {
                if (fetchOffset >= leaderEnd) {
                    follower.lastCaughtUpMs = now;
                } else if (fetchOffset >= follower.lastFetchLeaderLogEnd && follower.lastFetchLeaderLogEnd >= 0) {
                    follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, follower.lastFetchMs);
                }
                follower.logEndOffset = Math.min(fetchOffset, leaderEnd);
                follower.lastFetchMs = now;
                follower.lastFetchLeaderLogEnd = leaderEnd;
            }
            read = log.read(fetchOffset, maxBytes, Long.MAX_VALUE, true);
        } finally {
            leaderIsrLock.readLock().unlock();
        }
        maybeExpandIsr(replicaId);
        maybeAdvanceHighWatermark();
        return read;
    }

    /** Where the given epoch ends in this leader's log (OffsetsForLeaderEpoch). */
    public LeaderEpochCache.EpochEndOffset endOffsetForEpoch(int leaderEpoch, int currentLeaderEpoch) {
        leaderIsrLock.readLock().lock();
        try {
            checkLeader(currentLeaderEpoch);
            return log.endOffsetForEpoch(leaderEpoch);
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /**
     * Appends batches fetched from the leader of {@code fetchedInEpoch}.
     *
     * @return false if the state has moved on since the fetch (nothing appended)
     */
    public boolean appendAsFollower(MemoryRecords records, int fetchedInEpoch, long leaderHighWatermark) {
        return appendAsFollower(records, fetchedInEpoch, leaderHighWatermark, -1);
    }

    /**
     * As {@link #appendAsFollower(MemoryRecords, int, long)}, and moves this replica's log start
     * offset up to the leader's (records the leader deleted with DeleteRecords), no further than
     * this replica's high watermark: a follower that later leads must not serve what was deleted.
     */
    public boolean appendAsFollower(MemoryRecords records, int fetchedInEpoch, long leaderHighWatermark,
                                    long leaderLogStartOffset) {
        leaderIsrLock.readLock().lock();
        try {
            ReplicaState current = state;
            if (current.leader() == localBrokerId || current.leaderEpoch() != fetchedInEpoch) {
                return false;
            }
            if (records.sizeInBytes() > 0) {
                log.appendAsFollower(records);
            }
            long hw = Math.min(leaderHighWatermark, log.logEndOffset());
            if (hw > log.highWatermark()) {
                log.updateHighWatermark(hw);
            }
            long start = Math.min(leaderLogStartOffset, log.highWatermark());
            if (start > log.logStartOffset()) {
                log.deleteRecordsBefore(start);
            }
            return true;
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /**
     * Truncates the follower's log to {@code offset}, as decided from its leader's answer about the
     * leader epoch {@code fetchedInEpoch}.
     *
     * @return false if the state has moved on (nothing truncated)
     */
    public boolean truncateAsFollower(long offset, int fetchedInEpoch) {
        leaderIsrLock.readLock().lock();
        try {
            ReplicaState current = state;
            if (current.leader() == localBrokerId || current.leaderEpoch() != fetchedInEpoch) {
                return false;
            }
            log.truncateTo(offset);
            return true;
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /** Restarts an empty follower log at the leader's log start. */
    public boolean restartAsFollowerAt(long offset, int fetchedInEpoch) {
        leaderIsrLock.readLock().lock();
        try {
            ReplicaState current = state;
            if (current.leader() == localBrokerId || current.leaderEpoch() != fetchedInEpoch) {
                return false;
            }
            log.truncateFullyAndStartAt(offset);
            return true;
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /** Drops from the ISR the followers that have not caught up for {@code lagMaxMs}. */
    public void maybeShrinkIsr(long lagMaxMs) {
        ReplicaState current = state;
        if (current.leader() != localBrokerId || isrChangeInFlight.get() || !authority.getAsBoolean()) {
            return;
        }
        long now = clock.getAsLong();
        List<Integer> keep = new ArrayList<>();
        for (int r : current.isr()) {
            FollowerState f = followers.get(r);
            boolean lagging;
            if (f == null) {
                lagging = r != localBrokerId;
            } else {
                synchronized (f) {
                    lagging = now - f.lastCaughtUpMs > lagMaxMs;
                }
            }
            if (!lagging) {
                keep.add(r);
            }
        }
        if (keep.size() < current.isr().size()) {
            proposeIsr(current, keep);
        }
    }

    private void maybeExpandIsr(int replicaId) {
        ReplicaState current = state;
        if (current.leader() != localBrokerId || current.isr().contains(replicaId) || isrChangeInFlight.get()
                || !authority.getAsBoolean()) {
            return;
        }
        FollowerState f = followers.get(replicaId);
        if (f == null) {
            return;
        }
        long leo;
        synchronized (f) {
            leo = f.logEndOffset;
        }
        if (leo >= log.highWatermark() && leo >= leaderEpochStartOffset) {
            List<Integer> isr = new ArrayList<>(current.isr());
            isr.add(replicaId);
            proposeIsr(current, isr);
        }
    }

    private void proposeIsr(ReplicaState expected, List<Integer> newIsr) {
        if (!isrChangeInFlight.compareAndSet(false, true)) {
            return;
        }
        isrChannel.propose(this, expected, List.copyOf(newIsr)).whenComplete((written, error) -> {
            if (written != null) {
                updateState(written);
            } else {
                isrChangeInFlight.set(false);
            }
        });
    }

    /** Advances the high watermark to what every in-sync replica holds; completes produces waiting for it. */
    void maybeAdvanceHighWatermark() {
        ReplicaState current = state;
        if (current.leader() != localBrokerId || !authority.getAsBoolean()) {
            // Without a ZooKeeper session a new leader may already exist: commit nothing more.
            return;
        }
        long hw = log.logEndOffset();
        for (int r : current.isr()) {
            if (r == localBrokerId) {
                continue;
            }
            FollowerState f = followers.get(r);
            long leo;
            if (f == null) {
                leo = -1;
            } else {
                synchronized (f) {
                    leo = f.logEndOffset;
                }
            }
            if (leo < 0) {
                // A follower not heard from since this broker became leader: wait for it (or for the ISR to drop it).
                return;
            }
            hw = Math.min(hw, leo);
        }
        if (hw > log.highWatermark()) {
            log.updateHighWatermark(hw);
        }
        completeDelayedAcks();
    }

    private void completeDelayedAcks() {
        if (delayedAcks.isEmpty()) {
            return;
        }
        long hw = log.highWatermark();
        int isrSize = state.isr().size();
        int minIsr = minInSyncReplicas();
        for (Iterator<DelayedAck> it = delayedAcks.iterator(); it.hasNext(); ) {
            DelayedAck ack = it.next();
            if (ack.result().isDone()) {
                it.remove();
            } else if (hw >= ack.requiredOffset()) {
                it.remove();
                ack.result().complete(isrSize < minIsr ? Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND : Errors.NONE);
            }
        }
    }

    /**
     * The broker's ZooKeeper session is suspended or lost: produces waiting for acknowledgements are
     * answered NOT_LEADER_OR_FOLLOWER (the client retries at whoever leads), none is acknowledged.
     */
    void authorityLost() {
        if (isLeader()) {
            failDelayedAcks(Errors.NOT_LEADER_OR_FOLLOWER);
        }
    }

    private NotLeaderOrFollowerException notLeaderWithoutSession() {
        return new NotLeaderOrFollowerException("Broker " + localBrokerId + " has lost its ZooKeeper session and may"
                + " no longer lead " + topicPartition());
    }

    private void failDelayedAcks(Errors error) {
        DelayedAck ack;
        while ((ack = delayedAcks.poll()) != null) {
            ack.result().complete(error);
        }
    }

    /** Forgets waiting produces (the caller timed them out). */
    public void forget(CompletableFuture<Errors> waiting) {
        delayedAcks.removeIf(a -> a.result() == waiting);
    }

    /**
     * Checks this broker leads the partition in the caller's leader epoch (-1: any).
     *
     * @throws NotLeaderOrFollowerException  not the leader
     * @throws FencedLeaderEpochException    the caller's epoch is older
     * @throws UnknownLeaderEpochException   the caller's epoch is newer than this broker knows
     */
    public void ensureLeader(int currentLeaderEpoch) {
        leaderIsrLock.readLock().lock();
        try {
            checkLeader(currentLeaderEpoch);
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    private void checkLeader(int currentLeaderEpoch) {
        ReplicaState current = state;
        if (currentLeaderEpoch >= 0 && currentLeaderEpoch < current.leaderEpoch()) {
            throw new FencedLeaderEpochException("Leader epoch " + currentLeaderEpoch + " of " + topicPartition()
                    + " is older than the current " + current.leaderEpoch());
        }
        if (currentLeaderEpoch > current.leaderEpoch()) {
            throw new UnknownLeaderEpochException("Leader epoch " + currentLeaderEpoch + " of " + topicPartition()
                    + " is newer than " + current.leaderEpoch() + " known to broker " + localBrokerId);
        }
        if (current.leader() != localBrokerId) {
            throw new NotLeaderOrFollowerException("Broker " + localBrokerId + " does not lead " + topicPartition()
                    + "; the leader is broker " + current.leader());
        }
    }

    int minInSyncReplicas() {
        String v = log.config().overrides().get("min.insync.replicas");
        try {
            return v == null ? 1 : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** Whether this leader has replicas outside the ISR (health reports under-replicated partitions). */
    public boolean underReplicated() {
        ReplicaState current = state;
        return current.leader() == localBrokerId && current.isr().size() < current.replicas().size();
    }
}
