package io.tributary.group;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.internals.AbstractPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A group member whose partitions the broker assigns: a REST consumer instance or a WebSocket
 * group subscription. It takes part in the classic group protocol through the same
 * {@link GroupCoordinator} calls a Kafka consumer makes over the wire (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, OffsetCommit), so rebalances, session timeouts, generations and the
 * exclusive ownership of partitions are the coordinator's, for every kind of member alike.
 *
 * <p><b>Wire compatibility:</b> the protocol type is {@code consumer} and subscriptions and
 * assignments are encoded with kafka-clients' {@link ConsumerProtocol}, so Kafka's admin tools
 * describe these groups, their members and assignments like any consumer group. The assignor runs
 * in the broker: the member the coordinator makes leader computes the assignment with kafka-clients'
 * {@link RangeAssignor} or {@link RoundRobinAssignor}.
 *
 * <p><b>One kind per group:</b> protocol names are {@code <kind>-<assignor>} ({@code rest-range},
 * {@code websocket-roundrobin}). A Kafka consumer offers {@code range}, {@code cooperative-sticky}
 * and so on, so members of different kinds share no protocol and the coordinator refuses the
 * newcomer with INCONSISTENT_GROUP_PROTOCOL; here that ends the member with
 * {@link Listener#onFailed}.
 *
 * <p><b>Rebalance:</b> eager, as Kafka's range and round-robin consumers: before rejoining, the
 * member revokes its whole assignment ({@link Listener#onRevoked}), during which the owner may
 * still {@link #commit} with the ending generation; then it joins, the leader assigns, and the new
 * assignment arrives through {@link Listener#onAssigned}. The member rejoins when its subscription
 * resolves to other topics and, as leader, when a subscribed topic's partition count changes
 * ({@link #topicsChanged}).
 *
 * <p><b>Liveness</b> is the owner's: the member heartbeats until it is closed, skipping
 * heartbeats while {@link Listener#alive} says the owner is gone. Closing with
 * {@link Departure#LEAVE} leaves the group at once; {@link Departure#EXPIRE} only stops the
 * heartbeats, so the coordinator removes the member after its session timeout, as it would a
 * crashed Kafka consumer.
 *
 * <p><b>Coordinator elsewhere:</b> the member talks to this broker's {@link GroupCoordinator}, which
 * serves only the groups whose {@code __consumer_offsets} partition this broker leads. When it
 * answers NOT_COORDINATOR (on joining, or later because leadership of that partition moved) and
 * the {@link CoordinatorLocation.Locator} names another broker, the member revokes what it owns and
 * ends at once with {@link Listener#onCoordinatorElsewhere}, so its owner can send the client
 * there. While no broker is ready to coordinate (COORDINATOR_LOAD_IN_PROGRESS,
 * COORDINATOR_NOT_AVAILABLE, or NOT_COORDINATOR with no other coordinator known) it retries every
 * 200 ms for up to one session timeout, then ends with {@link Listener#onFailed}
 * (COORDINATOR_NOT_AVAILABLE).
 *
 * <p>Thread-safe. Every state change runs on a serial task queue over the scheduler, so listener
 * calls arrive one at a time and in order; coordinator answers, which complete under the group's
 * lock, are handed to that queue and never handled under it. {@link #commit} runs on the caller's
 * thread with the current generation.
 */
public final class ManagedMember {

    private static final System.Logger LOG = System.getLogger(ManagedMember.class.getName());
    private static final long RETRY_BACKOFF_MS = 200;

    /** The API a member comes from; it names the member's protocols. */
    public enum Kind {
        REST("rest"), WEBSOCKET("websocket");

        private final String prefix;

        Kind(String prefix) {
            this.prefix = prefix;
        }
    }

    /** The broker-side assignors, by the names Kafka gives them. */
    public enum Assignor {
        RANGE("range"), ROUNDROBIN("roundrobin");

        private final String assignorName;

        Assignor(String assignorName) {
            this.assignorName = assignorName;
        }

        public String assignorName() {
            return assignorName;
        }

        /** The assignor named {@code name} ({@code range} or {@code roundrobin}, any case). */
        public static Optional<Assignor> named(String name) {
            for (Assignor a : values()) {
                if (a.assignorName.equalsIgnoreCase(name)) {
                    return Optional.of(a);
                }
            }
            return Optional.empty();
        }

        AbstractPartitionAssignor create() {
            return this == RANGE ? new RangeAssignor() : new RoundRobinAssignor();
        }
    }

    /** How {@link #close} ends the membership. */
    public enum Departure {
        /** Send LeaveGroup: the partitions move at once. */
        LEAVE,
        /** Stop heartbeating: the partitions move after the session timeout. */
        EXPIRE
    }

    /** What the member subscribes to: fixed topics, or every topic whose name matches a pattern. */
    public record Subscribed(Set<String> topics, Pattern pattern) {
        public Subscribed {
            topics = topics == null ? Set.of() : Set.copyOf(topics);
            if (pattern == null && topics.isEmpty()) {
                throw new IllegalArgumentException("a subscription names topics or a pattern");
            }
        }

        public static Subscribed topics(Collection<String> topics) {
            return new Subscribed(Set.copyOf(topics), null);
        }

        public static Subscribed pattern(Pattern pattern) {
            return new Subscribed(Set.of(), pattern);
        }

        /** The subscribed topics among {@code existing}; internal topics only when named. */
        Set<String> resolve(Set<String> existing) {
            if (pattern == null) {
                return new TreeSet<>(topics);
            }
            TreeSet<String> out = new TreeSet<>();
            for (String t : existing) {
                if (!t.startsWith("__") && pattern.matcher(t).matches()) {
                    out.add(t);
                }
            }
            return out;
        }
    }

    /** The topics of the cluster and their partition counts, as the broker currently sees them. */
    @FunctionalInterface
    public interface TopicCatalog {
        Map<String, Integer> partitionCounts();
    }

    /** Hears about the member's assignment. Calls come one at a time, in order, on scheduler threads. */
    public interface Listener {
        /** The member owns these partitions until the next {@link #onRevoked}. */
        void onAssigned(Set<TopicPartition> partitions, int generationId);

        /**
         * The member is about to rejoin and gives up these partitions: stop reading them and
         * commit now if at all ({@link #commit} still accepts this generation).
         */
        void onRevoked(Set<TopicPartition> partitions);

        /** The member cannot be in the group; it is closed. */
        void onFailed(Errors error, String message);

        /**
         * The member is closed because another broker coordinates its group (it answered
         * NOT_COORDINATOR here): the client must talk to that broker. The default: {@link #onFailed}
         * with NOT_COORDINATOR.
         */
        default void onCoordinatorElsewhere(CoordinatorLocation.Elsewhere coordinator, String message) {
            onFailed(Errors.NOT_COORDINATOR, message);
        }

        /**
         * Whether the member's owner is still there (a WebSocket client heard from recently). While
         * it says no, the member skips its heartbeats, so the coordinator removes it a session
         * timeout after the last one, as it would a Kafka consumer that went silent; once it says
         * yes again, heartbeats resume. The default: always there.
         */
        default boolean alive() {
            return true;
        }
    }

    /** Settings of one member. */
    public record Settings(String groupId, Kind kind, List<Assignor> assignors, String clientId, String clientHost,
                           int sessionTimeoutMs, int rebalanceTimeoutMs) {
        public Settings {
            if (assignors.isEmpty()) {
                throw new IllegalArgumentException("at least one assignor");
            }
            assignors = List.copyOf(assignors);
        }

        /** How often the member heartbeats: a third of the session timeout, at most 3 s. */
        public int heartbeatIntervalMs() {
            return Math.max(1, Math.min(3_000, sessionTimeoutMs / 3));
        }
    }

    private enum Phase { LATENT, JOINING, SYNCING, STABLE, CLOSED }

    private final Settings settings;
    private final GroupCoordinator coordinator;
    private final CoordinatorLocation.Locator locator;
    private final ScheduledExecutorService scheduler;
    private final TopicCatalog catalog;
    private final Listener listener;
    private final Consumer<ManagedMember> onClosed;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    // Written only by tasks of the serial queue; volatile for commit() and the getters.
    private volatile Subscribed subscribed;
    private volatile String memberId = "";
    private volatile int generationId = -1;
    private volatile Phase phase = Phase.LATENT;
    private volatile Set<TopicPartition> assignment = Set.of();
    /** Changes on every join, so answers to an older join or sync are ignored. */
    private long joinEpoch;
    private Set<String> joinedTopics = Set.of();
    /** As leader: the partition counts the assignment was computed from. */
    private Map<String, Integer> assignedCounts = Map.of();
    private boolean leader;
    private ScheduledFuture<?> timer;
    /** When the coordinator was first found not ready in the current run of failures (coordinator clock), or -1. */
    private long unavailableSinceMs = -1;

    ManagedMember(Settings settings, Subscribed subscribed, GroupCoordinator coordinator,
                  CoordinatorLocation.Locator locator, ScheduledExecutorService scheduler, TopicCatalog catalog,
                  Listener listener, Consumer<ManagedMember> onClosed) {
        this.settings = settings;
        this.subscribed = subscribed;
        this.coordinator = coordinator;
        this.locator = locator;
        this.scheduler = scheduler;
        this.catalog = catalog;
        this.listener = listener;
        this.onClosed = onClosed;
    }

    public String groupId() {
        return settings.groupId();
    }

    /** The member id the coordinator gave, or empty before the first join completes. */
    public String memberId() {
        return memberId;
    }

    public int generationId() {
        return generationId;
    }

    /** The partitions currently owned (empty while rebalancing). */
    public Set<TopicPartition> assignment() {
        return assignment;
    }

    public Subscribed subscription() {
        return subscribed;
    }

    public boolean isClosed() {
        return phase == Phase.CLOSED;
    }

    /** Joins the group. */
    void start() {
        submit(() -> {
            if (phase == Phase.LATENT) {
                join();
            }
        });
    }

    /** Changes what the member subscribes to, revoking its assignment and rejoining. */
    public void resubscribe(Subscribed newSubscription) {
        submit(() -> {
            subscribed = newSubscription;
            if (phase != Phase.CLOSED && phase != Phase.LATENT) {
                revoke();
                join();
            }
        });
    }

    /** Topics were created, deleted or grew: rejoin when that changes what this member must do. */
    public void topicsChanged() {
        submit(() -> {
            if (phase != Phase.STABLE) {
                return;
            }
            Map<String, Integer> counts = catalog.partitionCounts();
            boolean mine = !subscribed.resolve(counts.keySet()).equals(joinedTopics);
            boolean asLeader = leader && !countsOf(assignedCounts.keySet(), counts).equals(assignedCounts);
            if (mine || asLeader) {
                LOG.log(Level.DEBUG, "Member {0} of group {1} rejoins: topics changed", memberId, settings.groupId());
                revoke();
                join();
            }
        });
    }

    /**
     * Commits offsets as this member, with its current generation.
     *
     * @return the coordinator's answer per partition (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION or
     *         UNKNOWN_MEMBER_ID when the member no longer owns a generation)
     */
    public Map<TopicPartition, Errors> commit(Map<TopicPartition, CommittedOffset> offsets) {
        if (offsets.isEmpty()) {
            return Map.of();
        }
        String id = memberId;
        if (id.isEmpty() || phase == Phase.CLOSED) {
            Map<TopicPartition, Errors> out = new LinkedHashMap<>();
            offsets.keySet().forEach(tp -> out.put(tp, Errors.UNKNOWN_MEMBER_ID));
            return out;
        }
        return coordinator.commitOffsets(settings.groupId(), id, null, generationId, offsets);
    }

    /**
     * Ends the membership; idempotent. The returned stage completes when the member is out of the
     * group (LEAVE) or has stopped heartbeating (EXPIRE).
     */
    public CompletableFuture<Void> close(Departure departure) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        submit(() -> {
            if (phase != Phase.CLOSED) {
                boolean joined = !memberId.isEmpty();
                phase = Phase.CLOSED;
                cancelTimer();
                assignment = Set.of();
                if (departure == Departure.LEAVE && joined) {
                    coordinator.leave(settings.groupId(), List.of(new GroupCoordinator.MemberIdentity(memberId, null)));
                }
                onClosed.accept(this);
            }
            done.complete(null);
        });
        return done;
    }

    // ---------------------------------------------------------------- the protocol, on the serial queue

    private void join() {
        cancelTimer();
        phase = Phase.JOINING;
        long epoch = ++joinEpoch;
        Map<String, Integer> counts = catalog.partitionCounts();
        joinedTopics = subscribed.resolve(counts.keySet());
        byte[] metadata = bytes(ConsumerProtocol.serializeSubscription(
                new Subscription(new ArrayList<>(joinedTopics), null, List.of())));
        List<GroupCoordinator.Protocol> protocols = new ArrayList<>();
        for (Assignor a : settings.assignors()) {
            protocols.add(new GroupCoordinator.Protocol(protocolName(settings.kind(), a), metadata));
        }
        GroupCoordinator.JoinRequest request = new GroupCoordinator.JoinRequest(settings.groupId(), memberId, null,
                settings.clientId(), settings.clientHost(), settings.sessionTimeoutMs(), settings.rebalanceTimeoutMs(),
                ConsumerProtocol.PROTOCOL_TYPE, protocols, false);
        coordinator.join(request).whenComplete((result, failure) -> submit(() -> onJoined(epoch, result, failure)));
    }

    private void onJoined(long epoch, GroupCoordinator.JoinResult result, Throwable failure) {
        if (epoch != joinEpoch || phase != Phase.JOINING) {
            return;
        }
        if (failure != null) {
            LOG.log(Level.WARNING, "Join of group " + settings.groupId() + " failed; retrying", failure);
            retryJoin();
            return;
        }
        switch (result.error()) {
            case NONE -> {
                unavailableSinceMs = -1;
                memberId = result.memberId();
                generationId = result.generationId();
                leader = memberId.equals(result.leaderId());
                Map<String, byte[]> assignments = leader ? assign(result) : Map.of();
                phase = Phase.SYNCING;
                coordinator.sync(new GroupCoordinator.SyncRequest(settings.groupId(), generationId, memberId, null,
                                ConsumerProtocol.PROTOCOL_TYPE, result.protocolName(), assignments))
                        .whenComplete((sync, f) -> submit(() -> onSynced(epoch, sync, f)));
            }
            case UNKNOWN_MEMBER_ID -> {
                memberId = "";
                join();
            }
            case INCONSISTENT_GROUP_PROTOCOL -> fail(Errors.INCONSISTENT_GROUP_PROTOCOL, "group '" + settings.groupId()
                    + "' has members of another kind (Kafka consumers, REST instances or WebSocket members):"
                    + " a group holds members of one kind at a time");
            case INVALID_SESSION_TIMEOUT -> fail(Errors.INVALID_SESSION_TIMEOUT, "session timeout "
                    + settings.sessionTimeoutMs() + " ms is outside the broker's group.min.session.timeout.ms"
                    + " and group.max.session.timeout.ms");
            case INVALID_GROUP_ID -> fail(Errors.INVALID_GROUP_ID, "invalid group id '" + settings.groupId() + "'");
            case NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE -> coordinatorNotHere(result.error());
            default -> retryJoin();
        }
    }

    private void onSynced(long epoch, GroupCoordinator.SyncResult result, Throwable failure) {
        if (epoch != joinEpoch || phase != Phase.SYNCING) {
            return;
        }
        if (failure != null || result.error() != Errors.NONE) {
            Errors error = failure == null ? result.error() : Errors.UNKNOWN_SERVER_ERROR;
            if (error == Errors.UNKNOWN_MEMBER_ID) {
                memberId = "";
            }
            if (error == Errors.REBALANCE_IN_PROGRESS || error == Errors.ILLEGAL_GENERATION
                    || error == Errors.UNKNOWN_MEMBER_ID) {
                join();
            } else if (isCoordinatorError(error)) {
                coordinatorNotHere(error);
            } else {
                retryJoin();
            }
            return;
        }
        Assignment decoded = result.assignment().length == 0 ? new Assignment(List.of())
                : ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(result.assignment()));
        assignment = Set.copyOf(decoded.partitions());
        phase = Phase.STABLE;
        LOG.log(Level.DEBUG, "Member {0} of group {1} generation {2}: {3}", memberId, settings.groupId(),
                generationId, assignment);
        try {
            listener.onAssigned(assignment, generationId);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Assignment listener failed", e);
        }
        scheduleHeartbeat();
    }

    private void heartbeat() {
        if (phase != Phase.STABLE) {
            return;
        }
        boolean alive;
        try {
            alive = listener.alive();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Liveness check failed", e);
            alive = true;
        }
        if (!alive) {
            scheduleHeartbeat();
            return;
        }
        Errors error = coordinator.heartbeat(settings.groupId(), memberId, null, generationId);
        switch (error) {
            case NONE -> scheduleHeartbeat();
            case REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION -> {
                revoke();
                join();
            }
            case UNKNOWN_MEMBER_ID -> {
                revoke();
                memberId = "";
                join();
            }
            case NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE -> {
                // The group moved (leadership of its offsets partition changed) or is being reloaded.
                revoke();
                coordinatorNotHere(error);
            }
            default -> {
                revoke();
                retryJoin();
            }
        }
    }

    /** As leader: the assignment of every member, by the selected protocol's assignor. */
    private Map<String, byte[]> assign(GroupCoordinator.JoinResult result) {
        Assignor assignor = settings.assignors().stream()
                .filter(a -> protocolName(settings.kind(), a).equals(result.protocolName()))
                .findFirst().orElse(settings.assignors().get(0));
        Map<String, Integer> counts = catalog.partitionCounts();
        Map<String, Subscription> subscriptions = new TreeMap<>();
        Set<String> union = new TreeSet<>();
        for (GroupCoordinator.JoinedMember m : result.members()) {
            Subscription s = ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(m.metadata()));
            List<String> present = s.topics().stream().filter(counts::containsKey).sorted().toList();
            union.addAll(s.topics());
            subscriptions.put(m.memberId(), new Subscription(present));
        }
        assignedCounts = countsOf(union, counts);
        Map<String, Integer> partitionsPerTopic = new HashMap<>();
        assignedCounts.forEach((t, n) -> {
            if (n > 0) {
                partitionsPerTopic.put(t, n);
            }
        });
        Map<String, List<TopicPartition>> byMember = assignor.create().assign(partitionsPerTopic, subscriptions);
        Map<String, byte[]> out = new HashMap<>();
        subscriptions.keySet().forEach(id -> out.put(id, bytes(ConsumerProtocol.serializeAssignment(
                new Assignment(byMember.getOrDefault(id, List.of()))))));
        return out;
    }

    private void revoke() {
        Set<TopicPartition> revoked = assignment;
        assignment = Set.of();
        if (!revoked.isEmpty()) {
            try {
                listener.onRevoked(revoked);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Revocation listener failed", e);
            }
        }
    }

    private void fail(Errors error, String message) {
        end(message, () -> listener.onFailed(error, message));
    }

    private void end(String message, Runnable tell) {
        phase = Phase.CLOSED;
        cancelTimer();
        assignment = Set.of();
        LOG.log(Level.INFO, "Member of group {0} stopped: {1}", settings.groupId(), message);
        onClosed.accept(this);
        tell.run();
    }

    private static boolean isCoordinatorError(Errors error) {
        return error == Errors.NOT_COORDINATOR || error == Errors.COORDINATOR_LOAD_IN_PROGRESS
                || error == Errors.COORDINATOR_NOT_AVAILABLE;
    }

    /**
     * This broker's coordinator does not serve the group now: end at once if another broker
     * coordinates it, else retry for up to a session timeout while a coordinator gets ready.
     */
    private void coordinatorNotHere(Errors error) {
        CoordinatorLocation where;
        try {
            where = locator.locate(settings.groupId());
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Locating the coordinator of group {0} failed: {1}", settings.groupId(), e);
            where = CoordinatorLocation.UNKNOWN;
        }
        if (where instanceof CoordinatorLocation.Elsewhere elsewhere) {
            String message = "group '" + settings.groupId() + "' is coordinated by broker " + elsewhere.brokerId()
                    + elsewhere.httpAddress().map(a -> " (" + a + ")").orElse("")
                    + ", not by this broker: connect to that broker";
            end(message, () -> listener.onCoordinatorElsewhere(elsewhere, message));
            return;
        }
        long now = coordinator.now();
        if (unavailableSinceMs < 0) {
            unavailableSinceMs = now;
        }
        long waited = now - unavailableSinceMs;
        if (waited >= settings.sessionTimeoutMs()) {
            fail(Errors.COORDINATOR_NOT_AVAILABLE, "group '" + settings.groupId() + "' has had no coordinator ready"
                    + " for " + waited + " ms (last answer " + error.name() + "); try again later");
            return;
        }
        retryJoin();
    }

    private void retryJoin() {
        phase = Phase.JOINING;
        long epoch = ++joinEpoch;
        schedule(() -> submit(() -> {
            if (epoch == joinEpoch && phase == Phase.JOINING) {
                join();
            }
        }), RETRY_BACKOFF_MS);
    }

    private void scheduleHeartbeat() {
        cancelTimer();
        timer = schedule(() -> submit(this::heartbeat), settings.heartbeatIntervalMs());
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        try {
            return scheduler.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- serial queue

    private void submit(Runnable task) {
        tasks.add(task);
        drain();
    }

    private void drain() {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.execute(() -> {
                try {
                    Runnable next;
                    while ((next = tasks.poll()) != null) {
                        try {
                            next.run();
                        } catch (RuntimeException e) {
                            LOG.log(Level.WARNING, "Group member task failed", e);
                        }
                    }
                } finally {
                    draining.set(false);
                    if (!tasks.isEmpty()) {
                        drain();
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // The broker is shutting down; nothing left to do.
            draining.set(false);
            tasks.clear();
        }
    }

    // ---------------------------------------------------------------- helpers

    static String protocolName(Kind kind, Assignor assignor) {
        return kind.prefix + "-" + assignor.assignorName();
    }

    private static Map<String, Integer> countsOf(Set<String> topics, Map<String, Integer> counts) {
        Map<String, Integer> out = new TreeMap<>();
        for (String t : topics) {
            out.put(t, counts.getOrDefault(t, 0));
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }
}
