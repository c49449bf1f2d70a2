package io.tributary.broker.subscription;

import io.tributary.storage.ReadableLog;
import io.tributary.group.CommittedOffset;
import io.tributary.group.CoordinatorLocation;
import io.tributary.group.GroupCoordinator;
import io.tributary.group.ManagedMember;
import io.tributary.group.ManagedMembers;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A subscriber's membership of a consumer group: a {@link ManagedMember} of kind WEBSOCKET whose
 * assigned partitions are followed by the subscriber's {@link SubscriptionSession}.
 *
 * <p><b>Assignment.</b> Each new assignment is followed from the group's committed offset of each
 * partition, else (no commit, or a commit outside the log) from where {@code auto.offset.reset}
 * says; the {@code assigned} notice is queued before any record of those partitions. On
 * revocation the session first stops following the partitions (records read but not yet sent are
 * dropped), then auto commit runs, then the {@code revoked} notice is queued: no record of a
 * partition reaches the subscriber after it was told it lost it.
 *
 * <p><b>Commits.</b> {@link #commit} commits the offsets given, or everything delivered. With auto
 * commit, what the subscriber has <em>acknowledged</em> is committed every
 * {@code autoCommitIntervalMs}, on revocation, on {@link #leave} and when the connection closes. A
 * credit or commit frame acknowledges every record delivered before it (as a Kafka consumer's
 * next poll commits what the previous poll returned), so a subscriber that crashes after receiving
 * records but before asking for more gets them again: at-least-once.
 *
 * <p><b>Liveness.</b> The member heartbeats while the subscriber has been heard from (any frame,
 * or the pong to the pings sent every half heartbeat interval) within one and a half heartbeat
 * intervals. A silent subscriber thus leaves the group between one session timeout and one session
 * timeout plus one and a half heartbeat intervals after it was last heard; a heartbeat interval before the group may
 * drop it, its partitions stop and it is told they are revoked, so no record reaches it once
 * another member may own them (heard again in time, it rejoins). One whose connection closes
 * without leaving is heartbeated once more at the close and leaves a session timeout after it.
 *
 * <p>Thread-safe: {@code stateLock} guards the assignment, acknowledged and committed offsets and
 * the lifecycle; it is taken before the session's lock, never after, and notices that end the
 * session are handed to the transport outside it.
 */
public final class GroupSubscription {

    private static final System.Logger LOG = System.getLogger(GroupSubscription.class.getName());

    /** Where a partition without a (valid) committed offset starts. */
    public enum OffsetReset { EARLIEST, LATEST, NONE }

    /** Why the membership ended on the broker's side. */
    public enum Failure {
        /** The group's members are of another kind (Kafka consumers, REST instances). */
        GROUP_KIND,
        /** A setting the coordinator refuses (a session timeout outside the broker's bounds, a bad group id). */
        INVALID_SETTING,
        /** An assigned partition has no committed offset and {@code auto.offset.reset} is none. */
        NO_OFFSET,
        /** Another broker coordinates the group (at joining, or since leadership of its offsets partition moved). */
        NOT_COORDINATOR,
        /** No broker was ready to coordinate the group for a session timeout. */
        COORDINATOR_NOT_AVAILABLE
    }

    /**
     * A group subscription's settings.
     *
     * @param autoCommitIntervalMs how often acknowledged offsets are committed with auto commit
     */
    public record Settings(String group, ManagedMember.Subscribed subscribed, ManagedMember.Assignor assignor,
                           boolean autoCommit, OffsetReset autoOffsetReset, int sessionTimeoutMs,
                           long autoCommitIntervalMs, String clientId, String clientHost,
                           RecordEncoder encoder, Framing framing) {
        public Settings {
            Objects.requireNonNull(group);
            Objects.requireNonNull(subscribed);
            Objects.requireNonNull(assignor);
            Objects.requireNonNull(autoOffsetReset);
            if (sessionTimeoutMs < 1 || autoCommitIntervalMs < 1) {
                throw new IllegalArgumentException("timeouts must be positive");
            }
        }
    }

    /** What the subscriber is told; the transport writes the frames. Implementations must be thread-safe. */
    public interface Notices {
        /** The {@code assigned} frame: the generation's partitions with where each starts. */
        String assigned(String group, int generation, String memberId, List<SubscriptionSession.Assigned> partitions);

        /** The {@code revoked} frame, the last about these partitions. */
        String revoked(String group, int generation, List<TopicPartition> partitions);

        /** Queues an answer frame (a revoked notice) ahead of records. */
        void send(String frame);

        /** The membership ended; the transport ends the session with an error. Called once, without locks. */
        void failed(Failure failure, String message);

        /**
         * The membership ended because another broker coordinates the group; the transport ends the
         * session with an error naming it. Called once, without locks, instead of {@link #failed}.
         */
        default void coordinatorElsewhere(CoordinatorLocation.Elsewhere coordinator, String message) {
            failed(Failure.NOT_COORDINATOR, message);
        }
    }

    /** A commit the subscriber asked for that cannot be done. */
    public static final class CommitException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** What was wrong. */
        public enum Reason { NOT_OWNED, REFUSED }

        private final Reason reason;

        CommitException(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    private final Settings settings;
    private final ManagedMembers members;
    private final GroupCoordinator coordinator;
    private final Function<TopicPartition, ReadableLog> logs;
    private final SubscriptionSession session;
    private final Notices notices;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoTime;
    private final long aliveWindowNanos;
    private final long fenceAfterNanos;
    private volatile long lastHeardNanos;
    /** Set when the subscriber was silent so long that the group may drop it at any moment. */
    private volatile boolean fenced;

    /** Guards every field below. */
    private final Object stateLock = new Object();
    private ManagedMember member;
    private int generation = -1;
    private Set<TopicPartition> owned = Set.of();
    private final Map<TopicPartition, Long> acknowledged = new HashMap<>();
    private final Map<TopicPartition, Long> lastCommitted = new HashMap<>();
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();
    private boolean closed;

    /**
     * @param logs      the log of a partition (throws {@link UnknownTopicOrPartitionException} if there is none)
     * @param scheduler runs the pings and the auto commit timer
     * @param nanoTime  the clock liveness is measured with ({@code System::nanoTime} in the broker)
     */
    public GroupSubscription(Settings settings, ManagedMembers members, GroupCoordinator coordinator,
                             Function<TopicPartition, ReadableLog> logs, SubscriptionSession session, Notices notices,
                             ScheduledExecutorService scheduler, LongSupplier nanoTime) {
        this.settings = settings;
        this.members = members;
        this.coordinator = coordinator;
        this.logs = logs;
        this.session = session;
        this.notices = notices;
        this.scheduler = scheduler;
        this.nanoTime = nanoTime;
        int heartbeatMs = memberSettings().heartbeatIntervalMs();
        // Longer than the heartbeat interval, so the first heartbeat after the client was last heard is
        // still sent despite scheduling delays, and the session timeout runs from after that moment.
        this.aliveWindowNanos = TimeUnit.MILLISECONDS.toNanos(heartbeatMs * 3L / 2);
        this.fenceAfterNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(heartbeatMs, settings.sessionTimeoutMs() - heartbeatMs));
        this.lastHeardNanos = nanoTime.getAsLong();
    }

    public Settings settings() {
        return settings;
    }

    private ManagedMember.Settings memberSettings() {
        return new ManagedMember.Settings(settings.group(), ManagedMember.Kind.WEBSOCKET, List.of(settings.assignor()),
                settings.clientId(), settings.clientHost(), settings.sessionTimeoutMs(), settings.sessionTimeoutMs());
    }

    /** Joins the group and starts the pings and the auto commit timer. */
    public void start() {
        synchronized (stateLock) {
            if (closed || member != null) {
                return;
            }
            MemberListener listener = new MemberListener();
            member = members.join(memberSettings(), settings.subscribed(), listener);
            listener.self = member;
            long pingEvery = Math.max(1, memberSettings().heartbeatIntervalMs() / 2);
            schedule(() -> {
                checkSilence();
                session.ping();
            }, pingEvery);
            if (settings.autoCommit()) {
                schedule(this::autoCommitTick, settings.autoCommitIntervalMs());
            }
        }
    }

    private void schedule(Runnable task, long everyMs) {
        try {
            timers.add(scheduler.scheduleWithFixedDelay(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "Group subscription task failed", e);
                }
            }, everyMs, everyMs, TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException e) {
            // The broker is shutting down; the connection goes with it.
        }
    }

    /** The subscriber was heard from (a frame or a pong); a fenced one rejoins. */
    public void heard() {
        lastHeardNanos = nanoTime.getAsLong();
        if (fenced) {
            synchronized (stateLock) {
                if (fenced && !closed && member != null) {
                    fenced = false;
                    LOG.log(Level.DEBUG, "Silent member of group {0} was heard again; it rejoins", settings.group());
                    member.resubscribe(settings.subscribed());
                }
            }
        }
    }

    /**
     * A subscriber silent for nearly a session timeout may be dropped by the group at any moment,
     * and its partitions given to others: stop delivering them now and tell it so, so that no record
     * reaches it after another member may own the partition.
     */
    private void checkSilence() {
        if (fenced || nanoTime.getAsLong() - lastHeardNanos < fenceAfterNanos) {
            return;
        }
        synchronized (stateLock) {
            if (fenced || closed || owned.isEmpty()) {
                return;
            }
            fenced = true;
            LOG.log(Level.DEBUG, "Member of group {0} silent for its session timeout; its partitions stop", settings.group());
            revokeLocked(owned);
        }
    }

    private void revokeLocked(Set<TopicPartition> partitions) {
        session.unsubscribe(partitions, null);
        if (settings.autoCommit()) {
            autoCommitLocked(partitions);
        }
        owned = Set.of();
        acknowledged.keySet().removeAll(partitions);
        lastCommitted.keySet().removeAll(partitions);
        notices.send(notices.revoked(settings.group(), generation, sorted(partitions)));
    }

    /** Whether the subscriber was heard from within the last one and a half heartbeat intervals. */
    public boolean alive() {
        return nanoTime.getAsLong() - lastHeardNanos < aliveWindowNanos;
    }

    /** A credit frame: every record delivered so far counts as processed, for auto commit. */
    public void acknowledge() {
        synchronized (stateLock) {
            acknowledgeLocked();
        }
    }

    private void acknowledgeLocked() {
        session.delivered().forEach((tp, offset) -> {
            if (owned.contains(tp)) {
                acknowledged.put(tp, offset);
            }
        });
    }

    /** The partitions owned now (empty while the group rebalances). */
    public Set<TopicPartition> assignment() {
        synchronized (stateLock) {
            return owned;
        }
    }

    /** The member id the coordinator gave, or empty before the first join completes. */
    public String memberId() {
        ManagedMember m;
        synchronized (stateLock) {
            m = member;
        }
        return m == null ? "" : m.memberId();
    }

    /**
     * Commits for the group: the offsets given, or (when {@code offsets} is null) the offset after
     * the last record delivered of each owned partition. Acknowledges what was delivered.
     *
     * @return the offsets committed, in partition order
     * @throws CommitException NOT_OWNED for a partition this member does not own now; REFUSED when
     *                         the coordinator refuses (the group is rebalancing, the member was removed)
     */
    public Map<TopicPartition, Long> commit(Map<TopicPartition, Long> offsets) {
        synchronized (stateLock) {
            if (closed || member == null) {
                throw new CommitException(CommitException.Reason.REFUSED, "The group subscription has ended");
            }
            Map<TopicPartition, Long> toCommit = new LinkedHashMap<>();
            if (offsets == null) {
                Map<TopicPartition, Long> delivered = session.delivered();
                for (TopicPartition tp : sorted(owned)) {
                    Long d = delivered.get(tp);
                    if (d != null) {
                        toCommit.put(tp, d);
                    }
                }
            } else {
                for (TopicPartition tp : sorted(offsets.keySet())) {
                    if (!owned.contains(tp)) {
                        throw new CommitException(CommitException.Reason.NOT_OWNED, "Partition " + tp + " is not owned"
                                + " by this member of group '" + settings.group() + "'"
                                + (owned.isEmpty() ? " (it owns no partitions now)" : "; it owns " + sorted(owned)));
                    }
                    toCommit.put(tp, offsets.get(tp));
                }
            }
            acknowledgeLocked();
            Map<TopicPartition, Errors> errors = commitLocked(toCommit);
            for (Map.Entry<TopicPartition, Errors> e : errors.entrySet()) {
                if (e.getValue() != Errors.NONE) {
                    throw new CommitException(CommitException.Reason.REFUSED, "Commit of " + e.getKey()
                            + " refused: " + explain(e.getValue()));
                }
            }
            return toCommit;
        }
    }

    private Map<TopicPartition, Errors> commitLocked(Map<TopicPartition, Long> offsets) {
        if (offsets.isEmpty() || member == null) {
            return Map.of();
        }
        long now = coordinator.now();
        Map<TopicPartition, CommittedOffset> commits = new LinkedHashMap<>();
        offsets.forEach((tp, o) -> commits.put(tp, new CommittedOffset(o, -1, "", now)));
        Map<TopicPartition, Errors> errors = member.commit(commits);
        errors.forEach((tp, e) -> {
            if (e == Errors.NONE) {
                lastCommitted.put(tp, offsets.get(tp));
            }
        });
        return errors;
    }

    /** Commits acknowledged offsets that moved since they were last committed; failures are logged. */
    private void autoCommitLocked(Collection<TopicPartition> partitions) {
        Map<TopicPartition, Long> moved = new LinkedHashMap<>();
        for (TopicPartition tp : sorted(partitions)) {
            Long a = acknowledged.get(tp);
            if (a != null && !a.equals(lastCommitted.get(tp))) {
                moved.put(tp, a);
            }
        }
        commitLocked(moved).forEach((tp, e) -> {
            if (e != Errors.NONE) {
                LOG.log(Level.DEBUG, "Auto commit of {0} for group {1} failed: {2}", tp, settings.group(), e);
            }
        });
    }

    private void autoCommitTick() {
        // A commit also counts as a heartbeat: a silent subscriber must not be kept in the group by it.
        if (!alive()) {
            return;
        }
        synchronized (stateLock) {
            if (!closed) {
                autoCommitLocked(owned);
            }
        }
    }

    private static String explain(Errors error) {
        return switch (error) {
            case REBALANCE_IN_PROGRESS -> "the group is rebalancing; commit again after the next 'assigned' frame";
            case UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION -> "this member is not in the group's current generation"
                    + " (it is rejoining or was removed)";
            default -> error.name() + ": " + error.message();
        };
    }

    /**
     * Leaves the group at once: stops following its partitions, with auto commit commits what was
     * acknowledged, and queues the {@code revoked} notice, as on a rebalance. The stage completes
     * when the member is out of the group. Idempotent.
     */
    public CompletionStage<Void> leave() {
        return end(ManagedMember.Departure.LEAVE);
    }

    /**
     * The connection is gone without leaving: with auto commit, commits what was acknowledged; the
     * member is heartbeated once more and then left to expire, so its partitions move a session
     * timeout from now. Idempotent.
     */
    public CompletionStage<Void> connectionClosed() {
        return end(ManagedMember.Departure.EXPIRE);
    }

    private CompletionStage<Void> end(ManagedMember.Departure departure) {
        ManagedMember leaving;
        synchronized (stateLock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
            timers.forEach(t -> t.cancel(false));
            timers.clear();
            leaving = member;
            try {
                if (leaving != null && departure == ManagedMember.Departure.LEAVE && !owned.isEmpty()) {
                    // The subscriber hears that it gave its partitions up, as on any other revocation.
                    revokeLocked(owned);
                } else if (leaving != null && settings.autoCommit()) {
                    autoCommitLocked(owned);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Final commit for group " + settings.group() + " failed", e);
            }
            if (leaving != null && departure == ManagedMember.Departure.EXPIRE && !leaving.memberId().isEmpty()) {
                coordinator.heartbeat(settings.group(), leaving.memberId(), null, leaving.generationId());
            }
            session.unsubscribe(owned, null);
            owned = Set.of();
            member = null;
        }
        return leaving == null ? CompletableFuture.completedFuture(null) : leaving.close(departure);
    }

    // ---------------------------------------------------------------- starting positions

    /** Where each partition starts: the committed offset if the log holds it, else {@code auto.offset.reset}. */
    private List<PartitionSubscription> startPositions(Set<TopicPartition> partitions) {
        List<TopicPartition> order = sorted(partitions);
        Map<TopicPartition, CommittedOffset> committed = order.isEmpty() ? Map.of()
                : coordinator.fetchOffsets(settings.group(), Optional.of(order));
        List<PartitionSubscription> out = new ArrayList<>(order.size());
        for (TopicPartition tp : order) {
            ReadableLog log;
            try {
                log = logs.apply(tp);
            } catch (UnknownTopicOrPartitionException e) {
                // Deleted since the assignment; the group reassigns without it.
                continue;
            }
            CommittedOffset c = committed.get(tp);
            long offset = c == null ? -1 : c.offset();
            StartPosition from;
            if (offset >= log.logStartOffset() && offset <= log.highWatermark()) {
                from = new StartPosition.AtOffset(offset);
                lastCommitted.put(tp, offset);
                acknowledged.put(tp, offset);
            } else {
                from = switch (settings.autoOffsetReset()) {
                    case EARLIEST -> new StartPosition.Earliest();
                    case LATEST -> new StartPosition.Latest();
                    case NONE -> throw new NoOffsetException("Group '" + settings.group() + "' has "
                            + (offset < 0 ? "no committed offset" : "committed offset " + offset
                            + ", outside the log's offsets " + log.logStartOffset() + " to " + log.highWatermark() + ",")
                            + " for " + tp + " and auto.offset.reset is none: commit an offset for it (REST v3"
                            + " offsets:reset) or subscribe with auto.offset.reset earliest or latest");
                };
            }
            out.add(new PartitionSubscription(log, from, settings.encoder(), settings.framing()));
        }
        return out;
    }

    private static final class NoOffsetException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NoOffsetException(String message) {
            super(message);
        }
    }

    private static List<TopicPartition> sorted(Collection<TopicPartition> partitions) {
        List<TopicPartition> out = new ArrayList<>(partitions);
        out.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        return out;
    }

    /** Group callbacks of this subscription's member. */
    private final class MemberListener implements ManagedMember.Listener {

        /** Set under stateLock right after joining, before any callback can take the lock. */
        ManagedMember self;

        private boolean mine() {
            return !closed && self != null && member == self;
        }

        @Override
        public void onAssigned(Set<TopicPartition> partitions, int generationId) {
            String failure = null;
            synchronized (stateLock) {
                if (!mine()) {
                    return;
                }
                generation = generationId;
                try {
                    List<PartitionSubscription> subscriptions = startPositions(partitions);
                    Set<TopicPartition> following = new HashSet<>();
                    subscriptions.forEach(s -> following.add(s.log().topicPartition()));
                    owned = Set.copyOf(following);
                    String memberId = self.memberId();
                    session.subscribe(subscriptions, assigned -> notices.assigned(settings.group(), generationId,
                            memberId, assigned));
                } catch (NoOffsetException e) {
                    failure = e.getMessage();
                    owned = Set.of();
                } catch (IllegalStateException e) {
                    // The session is closing.
                    owned = Set.of();
                }
            }
            if (failure != null) {
                leave();
                notices.failed(Failure.NO_OFFSET, failure);
            }
        }

        @Override
        public void onRevoked(Set<TopicPartition> partitions) {
            synchronized (stateLock) {
                // Nothing to tell when silence already stopped them.
                if (!mine() || owned.isEmpty()) {
                    return;
                }
                revokeLocked(owned);
            }
        }

        @Override
        public void onFailed(Errors error, String message) {
            if (ended()) {
                notices.failed(switch (error) {
                    case INCONSISTENT_GROUP_PROTOCOL -> Failure.GROUP_KIND;
                    case NOT_COORDINATOR -> Failure.NOT_COORDINATOR;
                    case COORDINATOR_NOT_AVAILABLE -> Failure.COORDINATOR_NOT_AVAILABLE;
                    default -> Failure.INVALID_SETTING;
                }, message);
            }
        }

        @Override
        public void onCoordinatorElsewhere(CoordinatorLocation.Elsewhere coordinator, String message) {
            if (ended()) {
                notices.coordinatorElsewhere(coordinator, message);
            }
        }

        /** The member ended on the group's side: stop everything; whether it was this subscription's member. */
        private boolean ended() {
            synchronized (stateLock) {
                if (!mine()) {
                    return false;
                }
                closed = true;
                timers.forEach(t -> t.cancel(false));
                timers.clear();
                session.unsubscribe(owned, null);
                owned = Set.of();
                member = null;
                return true;
            }
        }

        @Override
        public boolean alive() {
            return GroupSubscription.this.alive();
        }
    }
}
