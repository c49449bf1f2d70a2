package io.tributary.broker.consumer;

import io.tributary.storage.ReadableLog;
import io.tributary.broker.RecordService;
import io.tributary.group.CommittedOffset;
import io.tributary.group.GroupCoordinator;
import io.tributary.group.ManagedMember;
import io.tributary.group.ManagedMembers;
import io.tributary.records.ConsumedRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
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
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One REST consumer instance: a Kafka consumer kept by the broker for an HTTP client, with the
 * consumer's state (what it reads, where it is in each partition, what it committed).
 *
 * <p><b>What it reads.</b> Either a subscription, which makes it a {@link ManagedMember} of kind
 * REST whose partitions the group assigns (range assignor), or a manual assignment of partitions
 * without group membership, as Kafka's {@code assign()}; the two exclude each other.
 *
 * <p><b>Positions.</b> A partition's position starts at the group's committed offset, else where
 * {@code auto.offset.reset} says ({@code none}: the read fails); a position outside the log is
 * reset the same way. Reads advance positions; seeks move them. Positions of revoked partitions
 * are dropped, so partitions that come back start again from the committed offset.
 *
 * <p><b>Auto commit.</b> With {@code auto.commit.enable}, each read first commits the positions the
 * previous reads reached (so what a read returned is committed by the next one), and revocation,
 * unsubscribing, deletion and expiry commit them too. Without it nothing is committed but what the
 * client commits.
 *
 * <p><b>Reads</b> long-poll without holding a thread: a read that finds fewer than
 * {@code fetch.min.bytes} waits, registered on the owned partitions' logs, until a high-watermark
 * advance or a new assignment brings records (re-read on the executor) or its timeout passes. A
 * newer read supersedes a waiting one, which is answered with what it has.
 *
 * <p>Thread-safe: {@code stateLock} guards the mode, assignment, positions and the waiting read. It
 * is held for bounded work (one read of at most the request's bytes, a commit); futures are
 * completed after it is released. Group callbacks arrive on the member's serial queue and take the
 * same lock, so they are ordered with reads.
 */
public final class ConsumerInstance {

    private static final System.Logger LOG = System.getLogger(ConsumerInstance.class.getName());

    /** How keys and values are handed to the client: the consumer's deserializer. */
    public enum Format { JSON, BINARY }

    /** Where a partition without a committed offset starts. */
    public enum OffsetReset { EARLIEST, LATEST, NONE }

    /**
     * An instance's settings, as given when it was created.
     *
     * @param fetchMinBytes    a read returns once it has this many bytes (at least one record)
     * @param requestTimeoutMs how long a read waits by default when there is nothing
     */
    public record Config(String name, Format format, OffsetReset autoOffsetReset, boolean autoCommit,
                         int fetchMinBytes, long requestTimeoutMs) {
        public Config {
            Objects.requireNonNull(name);
            Objects.requireNonNull(format);
            Objects.requireNonNull(autoOffsetReset);
        }
    }

    /** A record read, with its partition. */
    public record Fetched(TopicPartition partition, ConsumedRecord record) {
    }

    private enum Mode { NONE, SUBSCRIBED, ASSIGNED }

    private final String group;
    private final Config config;
    private final String clientHost;
    private final ConsumerInstances.Settings settings;
    private final ManagedMembers members;
    private final GroupCoordinator coordinator;
    private final PartitionSource source;
    private final ScheduledExecutorService scheduler;
    private final Executor executor;
    private final LongSupplier nanoTime;
    private final ReadableLog.Listener wakeListener = new ReadableLog.Listener() {
        @Override
        public void onHighWatermark(ReadableLog log, long highWatermark) {
            wake();
        }
    };

    /** Guards everything below (the volatile fields are also read without it). */
    private final Object stateLock = new Object();
    private Mode mode = Mode.NONE;
    private ManagedMember member;
    private ManagedMember.Subscribed subscribed;
    private Set<TopicPartition> owned = Set.of();
    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private final Map<TopicPartition, Long> lastCommitted = new HashMap<>();
    /** Volatile too: wake-ups read it on appending threads without the lock. */
    private volatile Poll waiting;
    /** Why the group membership ended, told to the client once. */
    private String failure;
    private int rotation;
    private boolean closed;
    /** Set when the instance ended because another broker coordinates its group now; the 404's message. */
    private volatile String endedBecause;
    private volatile long lastActivityNanos;

    ConsumerInstance(String group, Config config, String clientHost, ConsumerInstances.Settings settings,
                     ManagedMembers members, GroupCoordinator coordinator, PartitionSource source,
                     ScheduledExecutorService scheduler, Executor executor, LongSupplier nanoTime) {
        this.group = group;
        this.config = config;
        this.clientHost = clientHost;
        this.settings = settings;
        this.members = members;
        this.coordinator = coordinator;
        this.source = source;
        this.scheduler = scheduler;
        this.executor = executor;
        this.nanoTime = nanoTime;
        this.lastActivityNanos = nanoTime.getAsLong();
    }

    public String group() {
        return group;
    }

    public String name() {
        return config.name();
    }

    public Config config() {
        return config;
    }

    // ---------------------------------------------------------------- subscription and assignment

    /**
     * Subscribes to topics or a pattern, joining the group (or changing what this member asks for).
     *
     * @throws ConsumerException ILLEGAL_STATE when the instance has a manual assignment, or when the group's
     *                           members are of another kind (Kafka consumers, WebSocket members)
     */
    public void subscribe(ManagedMember.Subscribed subscription) {
        synchronized (stateLock) {
            ensureOpen();
            failure = null;
            if (mode == Mode.ASSIGNED) {
                throw new ConsumerException(ConsumerException.Reason.ILLEGAL_STATE, "Subscription to topics, partitions"
                        + " and pattern are mutually exclusive: this instance has a manual assignment"
                        + " (DELETE its subscription to clear it first)");
            }
            checkGroupKind();
            subscribed = subscription;
            if (mode == Mode.SUBSCRIBED) {
                member.resubscribe(subscription);
                return;
            }
            mode = Mode.SUBSCRIBED;
            ManagedMember.Settings memberSettings = new ManagedMember.Settings(group, ManagedMember.Kind.REST,
                    List.of(ManagedMember.Assignor.RANGE), config.name(), clientHost, settings.sessionTimeoutMs(),
                    settings.sessionTimeoutMs());
            // The listener's first call waits for this lock, so it always sees its member set.
            MemberListener listener = new MemberListener();
            member = members.join(memberSettings, subscription, listener);
            listener.self = member;
        }
    }

    /** Leaves the group or drops the manual assignment; with auto commit, commits first. */
    public CompletionStage<Void> unsubscribe() {
        ManagedMember leaving;
        synchronized (stateLock) {
            ensureOpen();
            failure = null;
            if (config.autoCommit()) {
                autoCommit();
            }
            leaving = member;
            dropMembershipLocked();
        }
        return leaving == null ? CompletableFuture.completedFuture(null)
                : leaving.close(ManagedMember.Departure.LEAVE);
    }

    /** Forgets the group membership and everything read under it; under {@code stateLock}. */
    private void dropMembershipLocked() {
        member = null;
        subscribed = null;
        mode = Mode.NONE;
        owned = Set.of();
        positions.clear();
        lastCommitted.clear();
    }

    /** The subscribed topics (a pattern's matches among the topics now), or none. */
    public List<String> subscription() {
        synchronized (stateLock) {
            ensureOpen();
            reportFailure();
            if (subscribed == null) {
                return List.of();
            }
            if (subscribed.pattern() == null) {
                return new ArrayList<>(new TreeSet<>(subscribed.topics()));
            }
            List<String> out = new ArrayList<>();
            for (String t : new TreeSet<>(source.topics())) {
                if (!t.startsWith("__") && subscribed.pattern().matcher(t).matches()) {
                    out.add(t);
                }
            }
            return out;
        }
    }

    /**
     * Reads exactly these partitions, without group membership; an empty set clears the assignment.
     *
     * @throws ConsumerException ILLEGAL_STATE when the instance is subscribed
     * @throws UnknownTopicOrPartitionException when a partition does not exist
     */
    public void assign(Collection<TopicPartition> partitions) {
        List<Runnable> after = new ArrayList<>();
        synchronized (stateLock) {
            ensureOpen();
            if (mode == Mode.SUBSCRIBED) {
                throw new ConsumerException(ConsumerException.Reason.ILLEGAL_STATE, "Subscription to topics, partitions"
                        + " and pattern are mutually exclusive: this instance is subscribed"
                        + " (DELETE its subscription first)");
            }
            for (TopicPartition tp : partitions) {
                source.log(tp);
            }
            if (config.autoCommit()) {
                autoCommit();
            }
            Set<TopicPartition> assigned = Set.copyOf(partitions);
            mode = assigned.isEmpty() ? Mode.NONE : Mode.ASSIGNED;
            owned = assigned;
            positions.keySet().retainAll(assigned);
            lastCommitted.keySet().retainAll(assigned);
            rereadLocked(after);
        }
        after.forEach(Runnable::run);
    }

    /** The partitions the instance reads now (empty while its group rebalances). */
    public List<TopicPartition> assignment() {
        synchronized (stateLock) {
            ensureOpen();
            reportFailure();
            return sorted(owned);
        }
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads records of the owned partitions from their positions, waiting up to {@code timeoutMs}
     * for at least {@code fetch.min.bytes}, and advances the positions past what it returns.
     */
    public CompletionStage<List<Fetched>> poll(long timeoutMs, int maxBytes) {
        List<Runnable> after = new ArrayList<>();
        Poll poll;
        try {
            synchronized (stateLock) {
                ensureOpen();
                reportFailure();
                if (config.autoCommit()) {
                    autoCommit();
                }
                if (waiting != null) {
                    finishLocked(waiting, after);
                }
                poll = new Poll(maxBytes, Math.max(1, config.fetchMinBytes()));
                readLocked(poll);
                if (poll.satisfied() || timeoutMs <= 0) {
                    finishLocked(poll, after);
                } else {
                    waiting = poll;
                    watchLocked(poll);
                    try {
                        poll.timer = scheduler.schedule(() -> expirePoll(poll), timeoutMs, TimeUnit.MILLISECONDS);
                    } catch (RejectedExecutionException e) {
                        finishLocked(poll, after);
                    }
                }
            }
        } finally {
            after.forEach(Runnable::run);
        }
        return poll.result;
    }

    /** Reads what is there into the poll; advances positions. */
    private void readLocked(Poll poll) {
        List<TopicPartition> order = sorted(owned);
        if (order.isEmpty()) {
            return;
        }
        initPositionsLocked(order);
        // Start at a different partition each time so one busy partition does not starve the others.
        int start = Math.floorMod(rotation++, order.size());
        for (int i = 0; i < order.size() && poll.bytes < poll.maxBytes; i++) {
            TopicPartition tp = order.get((start + i) % order.size());
            Long position = positions.get(tp);
            if (position == null) {
                continue;
            }
            RecordService.ReadResult read;
            try {
                read = readResetting(tp, position, poll.maxBytes - poll.bytes);
            } catch (UnknownTopicOrPartitionException e) {
                // Deleted meanwhile; the group reassigns without it.
                continue;
            }
            for (ConsumedRecord r : read.records()) {
                poll.records.add(new Fetched(tp, r));
                poll.bytes += r.sizeInBytes();
            }
            positions.put(tp, read.nextOffset());
        }
    }

    private RecordService.ReadResult readResetting(TopicPartition tp, long position, int maxBytes) {
        try {
            return source.read(tp, position, maxBytes);
        } catch (OffsetOutOfRangeException e) {
            long reset = resetPosition(tp, "Offset " + position + " of " + tp + " is out of range");
            positions.put(tp, reset);
            return source.read(tp, reset, maxBytes);
        }
    }

    /** Positions for owned partitions that have none: the committed offset, else {@code auto.offset.reset}. */
    private void initPositionsLocked(Collection<TopicPartition> partitions) {
        List<TopicPartition> missing = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            if (!positions.containsKey(tp)) {
                missing.add(tp);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        Map<TopicPartition, CommittedOffset> committed = coordinator.fetchOffsets(group, Optional.of(missing));
        for (TopicPartition tp : missing) {
            CommittedOffset c = committed.get(tp);
            try {
                if (c != null && c.offset() >= 0) {
                    positions.put(tp, c.offset());
                    lastCommitted.put(tp, c.offset());
                } else {
                    positions.put(tp, resetPosition(tp, "Group '" + group + "' has no committed offset for " + tp));
                }
            } catch (UnknownTopicOrPartitionException e) {
                // Deleted meanwhile; skipped.
            }
        }
    }

    private long resetPosition(TopicPartition tp, String why) {
        ReadableLog log = source.log(tp);
        return switch (config.autoOffsetReset()) {
            case EARLIEST -> log.logStartOffset();
            case LATEST -> log.highWatermark();
            case NONE -> throw new ConsumerException(ConsumerException.Reason.NO_OFFSET, why
                    + " and the instance's auto.offset.reset is none: commit an offset for it, seek, or create the"
                    + " instance with auto.offset.reset earliest or latest");
        };
    }

    /** A high watermark advanced or the assignment changed: re-read for the waiting poll, on the executor. */
    private void wake() {
        Poll poll = waiting;
        if (poll == null || !poll.rereadQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> reread(poll));
        } catch (RejectedExecutionException e) {
            poll.rereadQueued.set(false);
            expirePoll(poll);
        }
    }

    private void reread(Poll poll) {
        List<Runnable> after = new ArrayList<>();
        synchronized (stateLock) {
            poll.rereadQueued.set(false);
            if (waiting != poll) {
                return;
            }
            try {
                readLocked(poll);
                if (poll.satisfied()) {
                    finishLocked(poll, after);
                } else {
                    watchLocked(poll);
                }
            } catch (RuntimeException e) {
                failLocked(poll, e, after);
            }
        }
        after.forEach(Runnable::run);
    }

    private void expirePoll(Poll poll) {
        List<Runnable> after = new ArrayList<>();
        synchronized (stateLock) {
            if (waiting == poll) {
                finishLocked(poll, after);
            }
        }
        after.forEach(Runnable::run);
    }

    /** Queues a re-read of the waiting poll (after an assignment change). */
    private void rereadLocked(List<Runnable> after) {
        if (waiting != null) {
            after.add(this::wake);
        }
    }

    /** Listens to the logs of the partitions owned now, and to no others. */
    private void watchLocked(Poll poll) {
        Set<ReadableLog> now = new HashSet<>();
        for (TopicPartition tp : owned) {
            try {
                now.add(source.log(tp));
            } catch (UnknownTopicOrPartitionException e) {
                // Deleted; nothing to hear.
            }
        }
        for (ReadableLog log : poll.watching) {
            if (!now.contains(log)) {
                log.removeListener(wakeListener);
            }
        }
        for (ReadableLog log : now) {
            if (!poll.watching.contains(log)) {
                log.addListener(wakeListener);
            }
        }
        poll.watching = now;
        // An append between the read and the registration above would otherwise be missed.
        for (ReadableLog log : now) {
            TopicPartition tp = log.topicPartition();
            Long position = positions.get(tp);
            if (position != null && log.highWatermark() > position) {
                wake();
                break;
            }
        }
    }

    private void finishLocked(Poll poll, List<Runnable> after) {
        endLocked(poll);
        List<Fetched> records = List.copyOf(poll.records);
        after.add(() -> poll.result.complete(records));
    }

    private void failLocked(Poll poll, RuntimeException failure, List<Runnable> after) {
        endLocked(poll);
        after.add(() -> poll.result.completeExceptionally(failure));
    }

    private void endLocked(Poll poll) {
        if (waiting == poll) {
            waiting = null;
        }
        if (poll.timer != null) {
            poll.timer.cancel(false);
        }
        for (ReadableLog log : poll.watching) {
            log.removeListener(wakeListener);
        }
        poll.watching = Set.of();
        lastActivityNanos = nanoTime.getAsLong();
    }

    // ---------------------------------------------------------------- positions

    /**
     * Moves positions; the next read of each partition starts there.
     *
     * @throws ConsumerException ILLEGAL_STATE when a partition is not owned
     */
    public void seek(Map<TopicPartition, Long> offsets) {
        synchronized (stateLock) {
            ensureOpen();
            requireOwned(offsets.keySet());
            positions.putAll(offsets);
        }
    }

    /** Moves positions to the start of each log (every owned partition when {@code partitions} is empty). */
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        seekTo(partitions, true);
    }

    /** Moves positions to the end (the high watermark) of each log (every owned one when empty). */
    public void seekToEnd(Collection<TopicPartition> partitions) {
        seekTo(partitions, false);
    }

    private void seekTo(Collection<TopicPartition> partitions, boolean beginning) {
        synchronized (stateLock) {
            ensureOpen();
            Collection<TopicPartition> targets = partitions.isEmpty() ? owned : partitions;
            requireOwned(targets);
            Map<TopicPartition, Long> moved = new HashMap<>();
            for (TopicPartition tp : targets) {
                ReadableLog log = source.log(tp);
                moved.put(tp, beginning ? log.logStartOffset() : log.highWatermark());
            }
            positions.putAll(moved);
        }
    }

    private void requireOwned(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            if (!owned.contains(tp)) {
                throw new ConsumerException(ConsumerException.Reason.ILLEGAL_STATE, "No current assignment for partition "
                        + tp + ": this instance reads " + (owned.isEmpty() ? "no partitions" : sorted(owned)));
            }
        }
    }

    // ---------------------------------------------------------------- commits

    /**
     * Commits offsets for the group: the ones given, or (when {@code offsets} is null) the positions of
     * every owned partition.
     *
     * @throws ConsumerException ILLEGAL_STATE when the coordinator refuses the commit
     */
    public void commit(Map<TopicPartition, Long> offsets) {
        synchronized (stateLock) {
            ensureOpen();
            reportFailure();
            Map<TopicPartition, Long> toCommit = offsets;
            if (toCommit == null) {
                toCommit = new LinkedHashMap<>();
                for (TopicPartition tp : sorted(owned)) {
                    Long p = positions.get(tp);
                    if (p != null) {
                        toCommit.put(tp, p);
                    }
                }
            }
            Map<TopicPartition, Errors> errors = commitLocked(toCommit);
            Map<TopicPartition, Errors> failed = new LinkedHashMap<>();
            errors.forEach((tp, e) -> {
                if (e != Errors.NONE) {
                    failed.put(tp, e);
                }
            });
            if (!failed.isEmpty()) {
                Errors first = failed.values().iterator().next();
                throw new ConsumerException(ConsumerException.Reason.ILLEGAL_STATE, "Commit failed for "
                        + failed.keySet() + ": " + explain(first));
            }
        }
    }

    /** The group's committed offsets of these partitions (the owned ones when empty); partitions without one are left out. */
    public Map<TopicPartition, CommittedOffset> committed(Collection<TopicPartition> partitions) {
        Collection<TopicPartition> targets;
        synchronized (stateLock) {
            ensureOpen();
            targets = partitions.isEmpty() ? sorted(owned) : List.copyOf(partitions);
        }
        Map<TopicPartition, CommittedOffset> out = new LinkedHashMap<>();
        if (targets.isEmpty()) {
            return out;
        }
        coordinator.fetchOffsets(group, Optional.of(targets)).forEach((tp, c) -> {
            if (c.offset() >= 0) {
                out.put(tp, c);
            }
        });
        return out;
    }

    /** Commits the positions that moved since they were last committed; failures are only logged, as Kafka's auto commit. */
    private void autoCommit() {
        Map<TopicPartition, Long> moved = new LinkedHashMap<>();
        for (TopicPartition tp : sorted(owned)) {
            Long p = positions.get(tp);
            if (p != null && !p.equals(lastCommitted.get(tp))) {
                moved.put(tp, p);
            }
        }
        if (moved.isEmpty()) {
            return;
        }
        commitLocked(moved).forEach((tp, e) -> {
            if (e != Errors.NONE) {
                LOG.log(Level.DEBUG, "Auto commit of {0} for instance {1} of group {2} failed: {3}", tp, config.name(),
                        group, e);
            }
        });
    }

    private Map<TopicPartition, Errors> commitLocked(Map<TopicPartition, Long> offsets) {
        if (offsets.isEmpty()) {
            return Map.of();
        }
        long now = coordinator.now();
        Map<TopicPartition, CommittedOffset> commits = new LinkedHashMap<>();
        offsets.forEach((tp, o) -> commits.put(tp, new CommittedOffset(o, -1, "", now)));
        Map<TopicPartition, Errors> errors = mode == Mode.SUBSCRIBED && member != null ? member.commit(commits)
                // Without membership, as Kafka's assign(): accepted while the group has no members.
                : coordinator.commitOffsets(group, "", null, -1, commits);
        errors.forEach((tp, e) -> {
            if (e == Errors.NONE) {
                lastCommitted.put(tp, offsets.get(tp));
            }
        });
        return errors;
    }

    private String explain(Errors error) {
        return switch (error) {
            case REBALANCE_IN_PROGRESS -> "the group is rebalancing; read again to take part in its next generation,"
                    + " then commit";
            case UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION -> mode == Mode.SUBSCRIBED
                    ? "the instance is not a member of the group's current generation (it is joining or was removed);"
                    + " read again, then commit"
                    : "group '" + group + "' has active members; an instance without a subscription can commit only"
                    + " to a group without members";
            default -> error.name() + ": " + error.message();
        };
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Ends the instance: answers a waiting read, commits first when asked and auto commit is on, and
     * leaves the group ({@code departure}). Idempotent.
     */
    CompletionStage<Void> close(boolean commit, ManagedMember.Departure departure) {
        List<Runnable> after = new ArrayList<>();
        ManagedMember leaving;
        synchronized (stateLock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            if (commit && config.autoCommit()) {
                try {
                    autoCommit();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "Final commit of instance " + config.name() + " of group " + group + " failed", e);
                }
            }
            closed = true;
            if (waiting != null) {
                finishLocked(waiting, after);
            }
            leaving = member;
            member = null;
            mode = Mode.NONE;
            owned = Set.of();
        }
        after.forEach(Runnable::run);
        return leaving == null ? CompletableFuture.completedFuture(null) : leaving.close(departure);
    }

    /** Marks the instance used now. */
    void touch() {
        lastActivityNanos = nanoTime.getAsLong();
    }

    /** Whether the instance has had no request for {@code timeoutNanos} and no read is waiting. */
    boolean idleLongerThan(long timeoutNanos, long nowNanos) {
        synchronized (stateLock) {
            return waiting == null && nowNanos - lastActivityNanos > timeoutNanos;
        }
    }

    /** Why the instance ended by itself (its group's coordinator moved to another broker), if it did. */
    java.util.Optional<String> endedBecause() {
        return java.util.Optional.ofNullable(endedBecause);
    }

    private void ensureOpen() {
        String ended = endedBecause;
        if (ended != null) {
            throw new ConsumerException(ConsumerException.Reason.INSTANCE_NOT_FOUND, ended);
        }
        if (closed) {
            throw new ConsumerException(ConsumerException.Reason.INSTANCE_NOT_FOUND, "Consumer instance not found: '"
                    + config.name() + "' of group '" + group + "' was deleted or expired");
        }
    }

    private void reportFailure() {
        if (failure != null) {
            String message = failure;
            failure = null;
            throw new ConsumerException(ConsumerException.Reason.ILLEGAL_STATE, message);
        }
    }

    /** A REST member can join only a group of REST members; say so before joining when the group shows it. */
    private void checkGroupKind() {
        coordinator.describeGroup(group).ifPresent(g -> {
            boolean foreignType = !g.protocolType().isEmpty() && !g.protocolType().equals("consumer");
            // ManagedMember names REST members' protocols "rest-<assignor>".
            boolean foreignProtocol = !g.protocolName().isEmpty() && !g.protocolName().startsWith("rest-");
            if (!g.members().isEmpty() && (foreignType || foreignProtocol)) {
                throw new ConsumerException(ConsumerException.Reason.ILLEGAL_STATE, groupKindMessage());
            }
        });
    }

    private String groupKindMessage() {
        return "Group '" + group + "' has members of another kind (Kafka consumers or WebSocket members): a group"
                + " holds members of one kind at a time; use another group name";
    }

    private static List<TopicPartition> sorted(Collection<TopicPartition> partitions) {
        List<TopicPartition> out = new ArrayList<>(partitions);
        out.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        return out;
    }

    /** A read in progress: what it has so far. */
    private static final class Poll {
        final CompletableFuture<List<Fetched>> result = new CompletableFuture<>();
        final List<Fetched> records = new ArrayList<>();
        final int maxBytes;
        final int minBytes;
        final AtomicBoolean rereadQueued = new AtomicBoolean();
        int bytes;
        ScheduledFuture<?> timer;
        Set<ReadableLog> watching = Set.of();

        Poll(int maxBytes, int minBytes) {
            this.maxBytes = maxBytes;
            this.minBytes = minBytes;
        }

        boolean satisfied() {
            return !records.isEmpty() && (bytes >= minBytes || bytes >= maxBytes);
        }
    }

    /** Group callbacks of the current member; those of a member this instance let go are ignored. */
    private final class MemberListener implements ManagedMember.Listener {

        @Override
        public void onAssigned(Set<TopicPartition> partitions, int generationId) {
            List<Runnable> after = new ArrayList<>();
            synchronized (stateLock) {
                if (!mine()) {
                    return;
                }
                owned = Set.copyOf(partitions);
                rereadLocked(after);
            }
            after.forEach(Runnable::run);
        }

        @Override
        public void onRevoked(Set<TopicPartition> partitions) {
            synchronized (stateLock) {
                if (!mine()) {
                    return;
                }
                if (config.autoCommit()) {
                    autoCommit();
                }
                owned = Set.of();
                positions.keySet().removeAll(partitions);
                lastCommitted.keySet().removeAll(partitions);
            }
        }

        @Override
        public void onFailed(Errors error, String message) {
            List<Runnable> after = new ArrayList<>();
            synchronized (stateLock) {
                if (!mine()) {
                    return;
                }
                String text = error == Errors.INCONSISTENT_GROUP_PROTOCOL ? groupKindMessage() : message;
                dropMembershipLocked();
                if (waiting != null) {
                    failLocked(waiting, new ConsumerException(ConsumerException.Reason.ILLEGAL_STATE, text), after);
                } else {
                    failure = text;
                }
            }
            after.forEach(Runnable::run);
        }

        @Override
        public void onCoordinatorElsewhere(io.tributary.group.CoordinatorLocation.Elsewhere coordinator, String message) {
            List<Runnable> after = new ArrayList<>();
            synchronized (stateLock) {
                if (!mine()) {
                    return;
                }
                // The instance's state lives with the coordinator; this broker no longer is, so it ends here.
                String text = "Consumer instance '" + config.name() + "' of group '" + group + "' has ended: "
                        + message + "; create a new instance (it resumes from the group's committed offsets)";
                endedBecause = text;
                closed = true;
                dropMembershipLocked();
                if (waiting != null) {
                    failLocked(waiting, new ConsumerException(ConsumerException.Reason.INSTANCE_NOT_FOUND, text), after);
                }
            }
            LOG.log(Level.INFO, "Consumer instance {0} of group {1} ended: {2}", config.name(), group, message);
            after.forEach(Runnable::run);
        }

        /** Set under stateLock right after joining, before any callback can take the lock. */
        ManagedMember self;

        private boolean mine() {
            return self != null && member == self;
        }
    }
}
