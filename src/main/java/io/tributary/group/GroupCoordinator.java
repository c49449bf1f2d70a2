package io.tributary.group;

import io.tributary.config.GroupConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.InvalidGroupIdException;
import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The coordinator of Kafka's classic group protocol for every group of this broker: members join
 * (JoinGroup), the leader's client-side assignment reaches every member (SyncGroup), heartbeats
 * keep members alive, and a join, a leave or a missed session timeout starts a rebalance. It also
 * keeps the groups' committed offsets, durable through an {@link OffsetStore}.
 *
 * <p><b>Rebalance:</b> a rebalance waits for every known member to rejoin, up to the largest
 * rebalance timeout of the members; members that have not rejoined by then are removed. The first
 * rebalance of an empty group waits {@code group.initial.rebalance.delay.ms} so that members
 * starting together share one rebalance. JoinGroup and SyncGroup answers that wait complete
 * asynchronously: the futures returned here complete from a scheduler timer or from another
 * member's request, and no thread waits meanwhile.
 *
 * <p><b>Members:</b> v4+ clients joining without a member id get one with MEMBER_ID_REQUIRED
 * (KIP-394) and must join again with it; static members ({@code group.instance.id}, KIP-345) are
 * accepted without that round trip, and a new member with a known instance id replaces (fences)
 * the old one. Assignment is always the client's (the leader's); a later increment can add
 * members whose assignment the broker computes by giving the group a server-side assignor instead
 * of a leader.
 *
 * <p><b>Offsets:</b> commits are accepted from a member of the current generation (also while a
 * rebalance is preparing, so a consumer can commit in {@code onPartitionsRevoked}) or, for a
 * group without members, from anyone with generation -1 (an {@code assign()} consumer or an admin).
 * A commit is written to the store before it is acknowledged or visible to OffsetFetch. An
 * operator's offset reset ({@link #resetOffsets}) is accepted only while the group has no members.
 *
 * <p>A group with no members, no member about to join and no commits is dropped: there is nothing to
 * remember about it, and keeping it would hold every short-lived group id in memory.
 *
 * <p><b>Which groups:</b> with {@link Ownership#EVERY_GROUP} (one broker, tests) this coordinator
 * serves every group and loads the whole store at {@link #start}. With
 * {@link Ownership#OFFSETS_PARTITION_LEADER} it serves the groups whose store partition
 * ({@code abs(groupId.hashCode()) % partitions}) this broker leads, as in Kafka: {@link #elected}
 * loads a partition's groups (requests for them get COORDINATOR_LOAD_IN_PROGRESS meanwhile),
 * {@link #resigned} unloads them (their waiting requests get NOT_COORDINATOR), and every other
 * group gets NOT_COORDINATOR, so clients find the leader with FindCoordinator.
 *
 * <p>Thread-safe. Each group is guarded by its own monitor; the group map is concurrent. Futures
 * are completed while holding the group's monitor: their dependants only serialise the answer and
 * hand it to the network thread, and never take a group lock. Writes to the store happen under the
 * group's monitor too, which keeps a group's stored history in the order its commits were accepted.
 */
public final class GroupCoordinator implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(GroupCoordinator.class.getName());

    /** One protocol (assignor) a member supports, with its opaque subscription metadata. */
    public record Protocol(String name, byte[] metadata) {
    }

    /**
     * A JoinGroup.
     *
     * @param requireKnownMemberId whether a first join must come back with an assigned id (v4+)
     */
    public record JoinRequest(String groupId, String memberId, String groupInstanceId, String clientId,
                              String clientHost, int sessionTimeoutMs, int rebalanceTimeoutMs, String protocolType,
                              List<Protocol> protocols, boolean requireKnownMemberId) {
        public JoinRequest {
            memberId = memberId == null ? "" : memberId;
            protocols = List.copyOf(protocols);
        }
    }

    /** A member as the leader sees it in its JoinGroup answer. */
    public record JoinedMember(String memberId, String groupInstanceId, byte[] metadata) {
    }

    /** A JoinGroup answer; {@code members} is non-empty for the leader only. */
    public record JoinResult(Errors error, int generationId, String protocolType, String protocolName, String leaderId,
                             String memberId, List<JoinedMember> members) {
        static JoinResult error(Errors error, String memberId) {
            return new JoinResult(error, -1, null, null, "", memberId == null ? "" : memberId, List.of());
        }
    }

    /** A SyncGroup; {@code assignments} is the leader's and empty for others. */
    public record SyncRequest(String groupId, int generationId, String memberId, String groupInstanceId,
                              String protocolType, String protocolName, Map<String, byte[]> assignments) {
    }

    public record SyncResult(Errors error, String protocolType, String protocolName, byte[] assignment) {
        static SyncResult error(Errors error) {
            return new SyncResult(error, null, null, new byte[0]);
        }
    }

    /** A member named in a LeaveGroup: by member id, by instance id, or both. */
    public record MemberIdentity(String memberId, String groupInstanceId) {
    }

    public record GroupOverview(String groupId, String protocolType, GroupState state) {
    }

    public record MemberDescription(String memberId, String groupInstanceId, String clientId, String clientHost,
                                    byte[] metadata, byte[] assignment) {
    }

    public record GroupDescription(String groupId, GroupState state, String protocolType, String protocolName,
                                   List<MemberDescription> members) {
    }

    /** What {@link #fetchOffsets} answers for a partition without a commit: Kafka's "no offset". */
    public static final CommittedOffset NO_OFFSET = new CommittedOffset(-1, -1, "", -1);

    private enum Lifecycle { LATENT, STARTED, CLOSED }

    /** Which groups this coordinator serves. */
    public enum Ownership {
        /** Every group: a single broker. */
        EVERY_GROUP,
        /** The groups of the store partitions this broker leads, as announced by {@link #elected}. */
        OFFSETS_PARTITION_LEADER
    }

    /** A store partition this coordinator leads, in the leader epoch it was elected in. */
    private record Owned(int leaderEpoch, boolean loaded) {
    }

    private final GroupConfig config;
    private final OffsetStore store;
    private final ScheduledExecutorService scheduler;
    private final java.time.Clock clock;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.LATENT);
    private final Ownership ownership;
    /** Store partitions led here (OFFSETS_PARTITION_LEADER); changed only under {@code ownershipLock}. */
    private final Map<Integer, Owned> owned = new ConcurrentHashMap<>();
    /** Serialises elections, resignations and the end of loads, which must not interleave for one partition. */
    private final Object ownershipLock = new Object();

    /** A coordinator of every group (one broker). */
    public GroupCoordinator(GroupConfig config, OffsetStore store, ScheduledExecutorService scheduler,
                            java.time.Clock clock) {
        this(config, store, scheduler, clock, Ownership.EVERY_GROUP);
    }

    public GroupCoordinator(GroupConfig config, OffsetStore store, ScheduledExecutorService scheduler,
                            java.time.Clock clock, Ownership ownership) {
        this.config = config;
        this.store = store;
        this.scheduler = scheduler;
        this.clock = clock;
        this.ownership = ownership;
    }

    /**
     * Loads committed offsets from the store (after log recovery) and starts serving. Idempotent.
     * Groups come back Empty: members of the previous run rejoin and get UNKNOWN_MEMBER_ID, which
     * makes their clients join afresh, as after a coordinator move in Kafka.
     */
    public void start() {
        if (!lifecycle.compareAndSet(Lifecycle.LATENT, Lifecycle.STARTED)) {
            return;
        }
        if (ownership == Ownership.OFFSETS_PARTITION_LEADER) {
            // Partitions are loaded as this broker is elected their leader.
            return;
        }
        int[] count = new int[1];
        store.load((groupId, tp, offset) -> {
            Group group = groups.computeIfAbsent(groupId, Group::new);
            synchronized (group) {
                if (offset == null) {
                    group.offsets.remove(tp);
                } else {
                    group.offsets.put(tp, offset);
                }
            }
            count[0]++;
        });
        groups.values().removeIf(g -> g.offsets.isEmpty());
        LOG.log(Level.INFO, "Group coordinator loaded {0} offset records of {1} groups", count[0], groups.size());
    }

    // ---------------------------------------------------------------- which groups are served here

    /**
     * Whether this coordinator serves the group now: NONE, INVALID_GROUP_ID, NOT_COORDINATOR (another
     * broker leads its store partition), COORDINATOR_LOAD_IN_PROGRESS (being loaded), or
     * COORDINATOR_NOT_AVAILABLE (the store does not exist yet; it is created now, so a retry finds it).
     */
    public Errors coordinatorError(String groupId) {
        Errors invalid = validateGroupId(groupId);
        if (invalid != Errors.NONE) {
            return invalid;
        }
        if (lifecycle.get() == Lifecycle.CLOSED) {
            return Errors.NOT_COORDINATOR;
        }
        if (ownership == Ownership.EVERY_GROUP) {
            return Errors.NONE;
        }
        OptionalInt partition = storePartition(groupId);
        if (partition.isEmpty()) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        Owned o = owned.get(partition.getAsInt());
        return o == null ? Errors.NOT_COORDINATOR : o.loaded() ? Errors.NONE : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    /**
     * The store partition that holds the group, creating the store first if it does not exist yet
     * (empty then: its partitions have no leaders yet).
     */
    public OptionalInt storePartition(String groupId) {
        int partitions = store.partitionCount();
        if (partitions <= 0) {
            try {
                store.ensureCreated();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Could not create the offsets store: " + e.getMessage());
            }
            return OptionalInt.empty();
        }
        return OptionalInt.of(OffsetsTopic.partitionFor(groupId, partitions));
    }

    /**
     * This broker leads store partition {@code partition} in {@code leaderEpoch}: its groups are
     * loaded in the background and served once loaded. Idempotent for one epoch; a new epoch reloads
     * (the partition may have had another leader in between).
     */
    public void elected(int partition, int leaderEpoch) {
        if (ownership != Ownership.OFFSETS_PARTITION_LEADER || lifecycle.get() == Lifecycle.CLOSED) {
            return;
        }
        synchronized (ownershipLock) {
            Owned previous = owned.get(partition);
            if (previous != null && previous.leaderEpoch() == leaderEpoch) {
                return;
            }
            if (previous != null) {
                unloadGroups(partition);
            }
            owned.put(partition, new Owned(leaderEpoch, false));
        }
        LOG.log(Level.INFO, "Loading the groups of offsets partition {0} (leader epoch {1})", partition, leaderEpoch);
        try {
            scheduler.execute(() -> load(partition, leaderEpoch));
        } catch (RejectedExecutionException e) {
            // Shutting down.
        }
    }

    /** This broker no longer leads store partition {@code partition}: its groups are dropped. Idempotent. */
    public void resigned(int partition) {
        synchronized (ownershipLock) {
            if (owned.remove(partition) == null) {
                return;
            }
            int unloaded = unloadGroups(partition);
            LOG.log(Level.INFO, "Unloaded {0} groups of offsets partition {1}: no longer its leader", unloaded,
                    partition);
        }
    }

    public Ownership ownership() {
        return ownership;
    }

    /** The store partitions whose groups are served here, loaded or loading. */
    public Set<Integer> ownedPartitions() {
        return Set.copyOf(owned.keySet());
    }

    private void load(int partition, int leaderEpoch) {
        Map<String, Map<TopicPartition, CommittedOffset>> loaded = new HashMap<>();
        long started = clock.millis();
        try {
            store.load(partition, (groupId, tp, offset) -> {
                if (offset == null) {
                    Map<TopicPartition, CommittedOffset> g = loaded.get(groupId);
                    if (g != null) {
                        g.remove(tp);
                    }
                } else {
                    loaded.computeIfAbsent(groupId, id -> new HashMap<>()).put(tp, offset);
                }
            });
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Loading offsets partition " + partition + " failed; retrying in 1 s: "
                    + e.getMessage(), e);
            schedule(() -> {
                if (owned.get(partition) != null && owned.get(partition).equals(new Owned(leaderEpoch, false))) {
                    load(partition, leaderEpoch);
                }
            }, 1_000);
            return;
        }
        synchronized (ownershipLock) {
            if (!new Owned(leaderEpoch, false).equals(owned.get(partition))) {
                // Resigned or re-elected meanwhile: this load is stale.
                return;
            }
            int groupCount = 0;
            for (Map.Entry<String, Map<TopicPartition, CommittedOffset>> e : loaded.entrySet()) {
                if (e.getValue().isEmpty()) {
                    continue;
                }
                Group group = getOrCreate(e.getKey());
                synchronized (group) {
                    group.offsets.putAll(e.getValue());
                }
                groupCount++;
            }
            owned.put(partition, new Owned(leaderEpoch, true));
            LOG.log(Level.INFO, "Loaded {0} groups of offsets partition {1} in {2} ms", groupCount, partition,
                    clock.millis() - started);
        }
    }

    /** Drops the groups of one store partition; called under {@code ownershipLock}. */
    private int unloadGroups(int partition) {
        int partitions = store.partitionCount();
        int count = 0;
        for (Group group : groups.values()) {
            if (partitions > 0 && OffsetsTopic.partitionFor(group.groupId, partitions) == partition) {
                synchronized (group) {
                    abandon(group);
                    group.state = GroupState.DEAD;
                    groups.remove(group.groupId, group);
                }
                count++;
            }
        }
        return count;
    }

    /** Answers the group's waiting requests with NOT_COORDINATOR and cancels its timers; under the group's monitor. */
    private static void abandon(Group group) {
        cancel(group.joinTimer);
        for (Member m : group.members.values()) {
            cancel(m.expiry);
            if (m.awaitingJoin != null) {
                m.awaitingJoin.complete(JoinResult.error(Errors.NOT_COORDINATOR, m.memberId));
            }
            if (m.awaitingSync != null) {
                m.awaitingSync.complete(SyncResult.error(Errors.NOT_COORDINATOR));
            }
        }
    }

    // ---------------------------------------------------------------- JoinGroup

    public CompletionStage<JoinResult> join(JoinRequest req) {
        CompletableFuture<JoinResult> result = new CompletableFuture<>();
        Errors invalid = coordinatorError(req.groupId());
        if (invalid != Errors.NONE) {
            return CompletableFuture.completedFuture(JoinResult.error(invalid, req.memberId()));
        }
        if (req.sessionTimeoutMs() < config.minSessionTimeoutMs() || req.sessionTimeoutMs() > config.maxSessionTimeoutMs()) {
            return CompletableFuture.completedFuture(JoinResult.error(Errors.INVALID_SESSION_TIMEOUT, req.memberId()));
        }
        boolean unknownMember = req.memberId().isEmpty();
        Group group = unknownMember ? getOrCreate(req.groupId()) : groups.get(req.groupId());
        if (group == null) {
            return CompletableFuture.completedFuture(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, req.memberId()));
        }
        synchronized (group) {
            if (group.state == GroupState.DEAD) {
                // Deleted meanwhile; the client finds the coordinator again and retries.
                result.complete(JoinResult.error(Errors.COORDINATOR_NOT_AVAILABLE, req.memberId()));
            } else if (!group.supports(req.protocolType(), req.protocols())) {
                result.complete(JoinResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL, req.memberId()));
            } else if (unknownMember) {
                joinUnknownMember(group, req, result);
            } else {
                joinKnownMember(group, req, result);
            }
        }
        return result;
    }

    private void joinUnknownMember(Group group, JoinRequest req, CompletableFuture<JoinResult> result) {
        String memberId = (req.clientId() == null ? "" : req.clientId()) + "-" + UUID.randomUUID();
        if (req.groupInstanceId() != null) {
            String previous = group.staticMembers.get(req.groupInstanceId());
            Member old = previous == null ? null : group.members.get(previous);
            if (old != null && group.state == GroupState.STABLE && !previous.equals(group.leaderId)
                    && old.sameProtocols(req.protocols())) {
                // KIP-345: a restarted static follower takes its old place and assignment, no rebalance.
                replaceStaticMember(group, old, memberId, req, result);
                return;
            }
            if (old != null) {
                // Otherwise the new member id takes over the instance id, the old one is fenced, and the group rebalances.
                removeMember(group, old, Errors.FENCED_INSTANCE_ID);
            }
            addMemberAndRebalance(group, req, memberId, result);
        } else if (req.requireKnownMemberId()) {
            group.pendingMembers.add(memberId);
            schedulePendingExpiry(group, memberId, req.sessionTimeoutMs());
            result.complete(JoinResult.error(Errors.MEMBER_ID_REQUIRED, memberId));
        } else {
            addMemberAndRebalance(group, req, memberId, result);
        }
    }

    private void replaceStaticMember(Group group, Member old, String memberId, JoinRequest req,
                                     CompletableFuture<JoinResult> result) {
        removeMemberOnly(group, old, Errors.FENCED_INSTANCE_ID);
        Member member = new Member(memberId, req.groupInstanceId(), req.clientId(), req.clientHost(),
                req.sessionTimeoutMs(), req.rebalanceTimeoutMs(), req.protocols());
        member.assignment = old.assignment;
        group.members.put(memberId, member);
        group.staticMembers.put(req.groupInstanceId(), memberId);
        heartbeatReceived(group, member);
        result.complete(joinResult(group, member));
    }

    private void joinKnownMember(Group group, JoinRequest req, CompletableFuture<JoinResult> result) {
        String memberId = req.memberId();
        if (group.pendingMembers.remove(memberId)) {
            addMemberAndRebalance(group, req, memberId, result);
            return;
        }
        Member member = group.members.get(memberId);
        if (req.groupInstanceId() != null) {
            String holder = group.staticMembers.get(req.groupInstanceId());
            if (holder != null && !holder.equals(memberId)) {
                result.complete(JoinResult.error(Errors.FENCED_INSTANCE_ID, memberId));
                return;
            }
        }
        if (member == null) {
            result.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, memberId));
            return;
        }
        switch (group.state) {
            case PREPARING_REBALANCE -> updateMemberAndRebalance(group, member, req, result);
            case COMPLETING_REBALANCE -> {
                if (member.sameProtocols(req.protocols())) {
                    // The JoinGroup answer was lost; answer it again.
                    result.complete(joinResult(group, member));
                } else {
                    updateMemberAndRebalance(group, member, req, result);
                }
            }
            case STABLE -> {
                if (memberId.equals(group.leaderId) || !member.sameProtocols(req.protocols())) {
                    // The leader rejoins to reassign (e.g. its subscription's metadata changed).
                    updateMemberAndRebalance(group, member, req, result);
                } else {
                    heartbeatReceived(group, member);
                    result.complete(joinResult(group, member));
                }
            }
            default -> result.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, memberId));
        }
    }

    private void addMemberAndRebalance(Group group, JoinRequest req, String memberId,
                                       CompletableFuture<JoinResult> result) {
        Member member = new Member(memberId, req.groupInstanceId(), req.clientId(), req.clientHost(),
                req.sessionTimeoutMs(), req.rebalanceTimeoutMs(), req.protocols());
        if (group.members.isEmpty()) {
            group.protocolType = req.protocolType();
        }
        group.members.put(memberId, member);
        if (req.groupInstanceId() != null) {
            group.staticMembers.put(req.groupInstanceId(), memberId);
        }
        member.awaitingJoin = result;
        heartbeatReceived(group, member);
        maybePrepareRebalance(group, "member " + memberId + " joined");
        tryCompleteJoin(group);
    }

    private void updateMemberAndRebalance(Group group, Member member, JoinRequest req,
                                          CompletableFuture<JoinResult> result) {
        member.protocols = req.protocols();
        member.sessionTimeoutMs = req.sessionTimeoutMs();
        member.rebalanceTimeoutMs = req.rebalanceTimeoutMs();
        if (member.awaitingJoin != null) {
            // A duplicate join (the client retried): the earlier request's connection is gone or will get this answer too.
            member.awaitingJoin.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, member.memberId));
        }
        member.awaitingJoin = result;
        heartbeatReceived(group, member);
        maybePrepareRebalance(group, "member " + member.memberId + " rejoined");
        tryCompleteJoin(group);
    }

    private void maybePrepareRebalance(Group group, String reason) {
        if (group.state == GroupState.PREPARING_REBALANCE) {
            return;
        }
        if (group.state == GroupState.COMPLETING_REBALANCE) {
            // Assignments of the generation being completed are void; members must rejoin.
            for (Member m : group.members.values()) {
                if (m.awaitingSync != null) {
                    m.awaitingSync.complete(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                    m.awaitingSync = null;
                }
            }
        }
        boolean initial = group.state == GroupState.EMPTY;
        group.state = GroupState.PREPARING_REBALANCE;
        group.initialRebalance = initial;
        long id = ++group.rebalanceId;
        int delay = initial ? Math.min(config.initialRebalanceDelayMs(), Math.max(0, group.maxRebalanceTimeoutMs()))
                : group.maxRebalanceTimeoutMs();
        LOG.log(Level.DEBUG, "Group {0} rebalancing (generation {1}): {2}", group.groupId, group.generationId, reason);
        cancel(group.joinTimer);
        group.joinTimer = schedule(() -> {
            synchronized (group) {
                if (group.rebalanceId == id && group.state == GroupState.PREPARING_REBALANCE) {
                    completeJoin(group);
                }
            }
        }, delay);
    }

    private void tryCompleteJoin(Group group) {
        if (group.state == GroupState.PREPARING_REBALANCE && !group.initialRebalance && group.allMembersJoined()) {
            completeJoin(group);
        }
    }

    /** Ends the join phase: drops members that did not rejoin and answers everyone who did. */
    private void completeJoin(Group group) {
        cancel(group.joinTimer);
        group.joinTimer = null;
        for (Member m : List.copyOf(group.members.values())) {
            if (m.awaitingJoin == null) {
                removeMemberOnly(group, m, Errors.UNKNOWN_MEMBER_ID);
            }
        }
        group.generationId++;
        if (group.members.isEmpty()) {
            group.state = GroupState.EMPTY;
            group.protocolName = null;
            group.leaderId = null;
            maybeForget(group);
            return;
        }
        group.protocolName = group.selectProtocol();
        if (group.leaderId == null || !group.members.containsKey(group.leaderId)) {
            group.leaderId = group.members.keySet().iterator().next();
        }
        group.state = GroupState.COMPLETING_REBALANCE;
        for (Member m : group.members.values()) {
            m.assignment = new byte[0];
            CompletableFuture<JoinResult> waiting = m.awaitingJoin;
            m.awaitingJoin = null;
            heartbeatReceived(group, m);
            waiting.complete(joinResult(group, m));
        }
        LOG.log(Level.DEBUG, "Group {0} generation {1}: {2} members, protocol {3}, leader {4}", group.groupId,
                group.generationId, group.members.size(), group.protocolName, group.leaderId);
    }

    private JoinResult joinResult(Group group, Member member) {
        List<JoinedMember> members = new ArrayList<>();
        if (member.memberId.equals(group.leaderId)) {
            for (Member m : group.members.values()) {
                members.add(new JoinedMember(m.memberId, m.groupInstanceId, m.metadata(group.protocolName)));
            }
        }
        return new JoinResult(Errors.NONE, group.generationId, group.protocolType, group.protocolName, group.leaderId,
                member.memberId, members);
    }

    // ---------------------------------------------------------------- SyncGroup

    public CompletionStage<SyncResult> sync(SyncRequest req) {
        Errors notHere = coordinatorError(req.groupId());
        if (notHere != Errors.NONE) {
            return CompletableFuture.completedFuture(SyncResult.error(notHere));
        }
        Group group = groups.get(req.groupId());
        if (group == null) {
            return CompletableFuture.completedFuture(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
        }
        CompletableFuture<SyncResult> result = new CompletableFuture<>();
        synchronized (group) {
            Member member = group.members.get(req.memberId());
            Errors error = checkMember(group, member, req.groupInstanceId(), req.generationId());
            if (error == Errors.NONE && (req.protocolType() != null && !req.protocolType().equals(group.protocolType)
                    || req.protocolName() != null && !req.protocolName().equals(group.protocolName))) {
                error = Errors.INCONSISTENT_GROUP_PROTOCOL;
            }
            if (error != Errors.NONE) {
                result.complete(SyncResult.error(error));
                return result;
            }
            switch (group.state) {
                case PREPARING_REBALANCE -> result.complete(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                case COMPLETING_REBALANCE -> {
                    member.awaitingSync = result;
                    heartbeatReceived(group, member);
                    if (member.memberId.equals(group.leaderId)) {
                        for (Member m : group.members.values()) {
                            byte[] a = req.assignments().get(m.memberId);
                            m.assignment = a == null ? new byte[0] : a;
                        }
                        group.state = GroupState.STABLE;
                        for (Member m : group.members.values()) {
                            if (m.awaitingSync != null) {
                                m.awaitingSync.complete(syncResult(group, m));
                                m.awaitingSync = null;
                            }
                        }
                    }
                }
                case STABLE -> {
                    heartbeatReceived(group, member);
                    result.complete(syncResult(group, member));
                }
                default -> result.complete(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
            }
        }
        return result;
    }

    private static SyncResult syncResult(Group group, Member m) {
        return new SyncResult(Errors.NONE, group.protocolType, group.protocolName, m.assignment);
    }

    // ---------------------------------------------------------------- Heartbeat and LeaveGroup

    public Errors heartbeat(String groupId, String memberId, String groupInstanceId, int generationId) {
        Errors notHere = coordinatorError(groupId);
        if (notHere != Errors.NONE) {
            return notHere;
        }
        Group group = groups.get(groupId);
        if (group == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        synchronized (group) {
            Member member = group.members.get(memberId);
            Errors error = checkMember(group, member, groupInstanceId, generationId);
            if (error != Errors.NONE) {
                return error;
            }
            heartbeatReceived(group, member);
            return group.state == GroupState.PREPARING_REBALANCE ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
        }
    }

    /** Removes members; per member NONE, UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID, or one group-level error. */
    public Map<MemberIdentity, Errors> leave(String groupId, List<MemberIdentity> leaving) {
        Map<MemberIdentity, Errors> out = new LinkedHashMap<>();
        Errors notHere = coordinatorError(groupId);
        if (notHere != Errors.NONE) {
            leaving.forEach(m -> out.put(m, notHere));
            return out;
        }
        Group group = groups.get(groupId);
        if (group == null) {
            leaving.forEach(m -> out.put(m, Errors.UNKNOWN_MEMBER_ID));
            return out;
        }
        synchronized (group) {
            for (MemberIdentity identity : leaving) {
                String memberId = identity.memberId() == null ? "" : identity.memberId();
                if (identity.groupInstanceId() != null) {
                    String holder = group.staticMembers.get(identity.groupInstanceId());
                    if (holder == null) {
                        out.put(identity, Errors.UNKNOWN_MEMBER_ID);
                        continue;
                    }
                    if (!memberId.isEmpty() && !memberId.equals(holder)) {
                        out.put(identity, Errors.FENCED_INSTANCE_ID);
                        continue;
                    }
                    memberId = holder;
                }
                if (group.pendingMembers.remove(memberId)) {
                    out.put(identity, Errors.NONE);
                    tryCompleteJoin(group);
                    continue;
                }
                Member member = group.members.get(memberId);
                if (member == null) {
                    out.put(identity, Errors.UNKNOWN_MEMBER_ID);
                    continue;
                }
                removeMember(group, member, Errors.UNKNOWN_MEMBER_ID);
                out.put(identity, Errors.NONE);
            }
        }
        return out;
    }

    private Errors checkMember(Group group, Member member, String groupInstanceId, int generationId) {
        if (group.state == GroupState.DEAD) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        if (groupInstanceId != null) {
            String holder = group.staticMembers.get(groupInstanceId);
            if (holder != null && (member == null || !holder.equals(member.memberId))) {
                return Errors.FENCED_INSTANCE_ID;
            }
        }
        if (member == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (generationId != group.generationId) {
            return Errors.ILLEGAL_GENERATION;
        }
        return Errors.NONE;
    }

    /** Removes a member and rebalances the others. */
    private void removeMember(Group group, Member member, Errors answerForWaiting) {
        removeMemberOnly(group, member, answerForWaiting);
        switch (group.state) {
            case STABLE, COMPLETING_REBALANCE -> maybePrepareRebalance(group, "member " + member.memberId + " left");
            case PREPARING_REBALANCE -> tryCompleteJoin(group);
            default -> {
            }
        }
        if (group.state == GroupState.PREPARING_REBALANCE && group.members.isEmpty() && group.pendingMembers.isEmpty()) {
            // Nobody left to wait for.
            completeJoin(group);
        }
    }

    private void removeMemberOnly(Group group, Member member, Errors answerForWaiting) {
        group.members.remove(member.memberId);
        if (member.groupInstanceId != null) {
            group.staticMembers.remove(member.groupInstanceId, member.memberId);
        }
        cancel(member.expiry);
        if (member.awaitingJoin != null) {
            member.awaitingJoin.complete(JoinResult.error(answerForWaiting, member.memberId));
            member.awaitingJoin = null;
        }
        if (member.awaitingSync != null) {
            member.awaitingSync.complete(SyncResult.error(answerForWaiting));
            member.awaitingSync = null;
        }
        if (member.memberId.equals(group.leaderId)) {
            group.leaderId = group.members.isEmpty() ? null : group.members.keySet().iterator().next();
        }
    }

    /** Restarts the member's session timer. */
    private void heartbeatReceived(Group group, Member member) {
        cancel(member.expiry);
        long epoch = ++member.heartbeatEpoch;
        member.expiry = schedule(() -> {
            synchronized (group) {
                if (group.members.get(member.memberId) != member || member.heartbeatEpoch != epoch) {
                    return;
                }
                if (member.awaitingJoin != null || member.awaitingSync != null) {
                    // Waiting on the coordinator, not silent: the rebalance timeout bounds this.
                    heartbeatReceived(group, member);
                    return;
                }
                LOG.log(Level.INFO, "Member {0} of group {1} missed its session timeout ({2} ms); removing it",
                        member.memberId, group.groupId, member.sessionTimeoutMs);
                removeMember(group, member, Errors.UNKNOWN_MEMBER_ID);
            }
        }, member.sessionTimeoutMs);
    }

    private void schedulePendingExpiry(Group group, String memberId, int sessionTimeoutMs) {
        schedule(() -> {
            synchronized (group) {
                if (group.pendingMembers.remove(memberId)) {
                    tryCompleteJoin(group);
                    maybeForget(group);
                }
            }
        }, sessionTimeoutMs);
    }

    /**
     * Drops a group that has nothing left to remember: no members, none about to join, no
     * commits. Without this every short-lived group id (a console consumer's random one) would
     * stay in memory until a restart.
     */
    private void maybeForget(Group group) {
        if (group.state == GroupState.EMPTY && group.members.isEmpty() && group.pendingMembers.isEmpty()
                && group.offsets.isEmpty()) {
            group.state = GroupState.DEAD;
            cancel(group.joinTimer);
            groups.remove(group.groupId, group);
        }
    }

    // ---------------------------------------------------------------- offsets

    /**
     * Commits offsets for a group.
     *
     * @return one error per partition (all the same: a commit is validated as a whole)
     */
    public Map<TopicPartition, Errors> commitOffsets(String groupId, String memberId, String groupInstanceId,
                                                     int generationId, Map<TopicPartition, CommittedOffset> offsets) {
        Errors error = coordinatorError(groupId);
        Group group = error == Errors.NONE ? getOrCreate(groupId) : null;
        Map<TopicPartition, Errors> out = new LinkedHashMap<>();
        if (group == null) {
            offsets.keySet().forEach(tp -> out.put(tp, error));
            return out;
        }
        synchronized (group) {
            Errors check;
            if (group.state == GroupState.DEAD) {
                check = Errors.COORDINATOR_NOT_AVAILABLE;
            } else if (generationId < 0 && (memberId == null || memberId.isEmpty()) && group.members.isEmpty()) {
                check = Errors.NONE;
            } else if (group.state == GroupState.COMPLETING_REBALANCE && group.members.containsKey(memberId)
                    && generationId == group.generationId) {
                // The generation's assignment is not known yet; the member commits after SyncGroup.
                check = Errors.REBALANCE_IN_PROGRESS;
            } else {
                check = checkMember(group, group.members.get(memberId), groupInstanceId, generationId);
                if (check == Errors.NONE) {
                    heartbeatReceived(group, group.members.get(memberId));
                }
            }
            Map<TopicPartition, CommittedOffset> accepted = new LinkedHashMap<>();
            offsets.forEach((tp, offset) -> {
                if (check != Errors.NONE) {
                    out.put(tp, check);
                } else if (offset.metadata().length() > config.offsetMetadataMaxBytes()) {
                    out.put(tp, Errors.OFFSET_METADATA_TOO_LARGE);
                } else {
                    accepted.put(tp, offset);
                    out.put(tp, Errors.NONE);
                }
            });
            if (!accepted.isEmpty()) {
                Errors stored = storeCommit(groupId, accepted);
                if (stored == Errors.NONE) {
                    group.offsets.putAll(accepted);
                } else {
                    accepted.keySet().forEach(tp -> out.put(tp, stored));
                }
            }
            maybeForget(group);
        }
        return out;
    }

    /**
     * Writes a commit to the store, translating its failure as Kafka's coordinator does: the store
     * partition moved (NOT_COORDINATOR), too few in-sync replicas (COORDINATOR_NOT_AVAILABLE, so
     * the client retries), or a commit too large (INVALID_COMMIT_OFFSET_SIZE).
     */
    private Errors storeCommit(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
        try {
            store.append(groupId, offsets);
            return Errors.NONE;
        } catch (org.apache.kafka.common.errors.ApiException e) {
            Errors error = Errors.forException(e);
            LOG.log(Level.DEBUG, "Commit of group {0} failed: {1}", groupId, e.getMessage());
            return switch (error) {
                case NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR -> Errors.NOT_COORDINATOR;
                case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND ->
                        Errors.COORDINATOR_NOT_AVAILABLE;
                case MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_FETCH_SIZE -> Errors.INVALID_COMMIT_OFFSET_SIZE;
                default -> error;
            };
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Commit of group " + groupId + " failed", e);
            return Errors.UNKNOWN_SERVER_ERROR;
        }
    }

    /**
     * The group's committed offsets for the partitions asked for ({@link #NO_OFFSET} where there is
     * none), or all of them when {@code partitions} is empty.
     */
    public Map<TopicPartition, CommittedOffset> fetchOffsets(String groupId, Optional<Collection<TopicPartition>> partitions) {
        Group group = groups.get(groupId);
        Map<TopicPartition, CommittedOffset> out = new LinkedHashMap<>();
        if (group == null) {
            partitions.ifPresent(ps -> ps.forEach(tp -> out.put(tp, NO_OFFSET)));
            return out;
        }
        synchronized (group) {
            if (partitions.isPresent()) {
                for (TopicPartition tp : partitions.get()) {
                    out.put(tp, group.offsets.getOrDefault(tp, NO_OFFSET));
                }
            } else {
                out.putAll(group.offsets);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- administration

    /**
     * Sets a group's committed offsets on an operator's behalf (an offset reset), while the group
     * has no members: a live member would go on from its own position and overwrite them. A group
     * that does not exist yet is created with these offsets, as Kafka's
     * {@code kafka-consumer-groups --reset-offsets} allows.
     *
     * @param offsets the new offset of each partition
     * @return the offsets committed before, for the partitions that had one
     * @throws GroupNotEmptyException while the group has members or is rebalancing
     */
    public Map<TopicPartition, CommittedOffset> resetOffsets(String groupId, Map<TopicPartition, Long> offsets) {
        Errors notHere = coordinatorError(groupId);
        if (notHere == Errors.INVALID_GROUP_ID) {
            throw new InvalidGroupIdException("A group id must not be empty.");
        }
        if (notHere != Errors.NONE) {
            throw notHere.exception("Broker cannot change the offsets of group '" + groupId + "' now: "
                    + notHere.message());
        }
        while (true) {
            Group group = getOrCreate(groupId);
            synchronized (group) {
                if (group.state == GroupState.DEAD) {
                    // Deleted after we looked it up; it is out of the map now, so the next lookup makes a new one.
                    continue;
                }
                if (group.state != GroupState.EMPTY || !group.members.isEmpty()) {
                    throw new GroupNotEmptyException("Consumer group '" + groupId + "' has " + group.members.size()
                            + " member(s) (state " + group.state.name() + "): offsets can be reset only while it has none.");
                }
                Map<TopicPartition, CommittedOffset> previous = new LinkedHashMap<>();
                Map<TopicPartition, CommittedOffset> commits = new LinkedHashMap<>();
                long now = clock.millis();
                offsets.forEach((tp, offset) -> {
                    CommittedOffset before = group.offsets.get(tp);
                    if (before != null) {
                        previous.put(tp, before);
                    }
                    commits.put(tp, new CommittedOffset(offset, -1, "", now));
                });
                if (!commits.isEmpty()) {
                    store.append(groupId, commits);
                    group.offsets.putAll(commits);
                }
                maybeForget(group);
                return previous;
            }
        }
    }

    public List<GroupOverview> listGroups() {
        List<GroupOverview> out = new ArrayList<>();
        for (Group group : groups.values()) {
            if (coordinatorError(group.groupId) != Errors.NONE) {
                continue;
            }
            synchronized (group) {
                if (group.state != GroupState.DEAD) {
                    out.add(new GroupOverview(group.groupId, group.protocolType == null ? "" : group.protocolType,
                            group.state));
                }
            }
        }
        out.sort(java.util.Comparator.comparing(GroupOverview::groupId));
        return out;
    }

    /** The group as DescribeGroups shows it; empty when there is no such group. */
    public Optional<GroupDescription> describeGroup(String groupId) {
        Group group = groups.get(groupId);
        if (group == null) {
            return Optional.empty();
        }
        synchronized (group) {
            if (group.state == GroupState.DEAD) {
                return Optional.empty();
            }
            List<MemberDescription> members = new ArrayList<>();
            boolean stable = group.state == GroupState.STABLE;
            for (Member m : group.members.values()) {
                members.add(new MemberDescription(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                        group.protocolName == null ? new byte[0] : m.metadata(group.protocolName),
                        stable ? m.assignment : new byte[0]));
            }
            return Optional.of(new GroupDescription(group.groupId, group.state,
                    group.protocolType == null ? "" : group.protocolType,
                    group.state == GroupState.STABLE || group.state == GroupState.COMPLETING_REBALANCE
                            ? group.protocolName : "", members));
        }
    }

    /** Deletes groups without members and their committed offsets: per group NONE, GROUP_ID_NOT_FOUND or NON_EMPTY_GROUP. */
    public Map<String, Errors> deleteGroups(Collection<String> groupIds) {
        Map<String, Errors> out = new LinkedHashMap<>();
        for (String groupId : groupIds) {
            Errors invalid = coordinatorError(groupId);
            if (invalid != Errors.NONE) {
                out.put(groupId, invalid);
                continue;
            }
            Group group = groups.get(groupId);
            if (group == null) {
                out.put(groupId, Errors.GROUP_ID_NOT_FOUND);
                continue;
            }
            synchronized (group) {
                if (group.state == GroupState.DEAD) {
                    out.put(groupId, Errors.GROUP_ID_NOT_FOUND);
                } else if (group.state != GroupState.EMPTY) {
                    out.put(groupId, Errors.NON_EMPTY_GROUP);
                } else {
                    store.delete(groupId, Set.copyOf(group.offsets.keySet()));
                    group.offsets.clear();
                    group.state = GroupState.DEAD;
                    groups.remove(groupId, group);
                    out.put(groupId, Errors.NONE);
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- helpers and lifecycle

    private static Errors validateGroupId(String groupId) {
        return groupId == null || groupId.isEmpty() ? Errors.INVALID_GROUP_ID : Errors.NONE;
    }

    private Group getOrCreate(String groupId) {
        return groups.computeIfAbsent(groupId, Group::new);
    }

    private java.util.concurrent.ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        try {
            return scheduler.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "Group coordinator timer failed: " + e.getMessage(), e);
                }
            }, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Shutting down: the timer would not matter any more.
            return null;
        }
    }

    private static void cancel(java.util.concurrent.ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** Answers every waiting request with NOT_COORDINATOR and cancels the timers. Idempotent. */
    @Override
    public void close() {
        if (lifecycle.getAndSet(Lifecycle.CLOSED) == Lifecycle.CLOSED) {
            return;
        }
        for (Group group : groups.values()) {
            synchronized (group) {
                abandon(group);
            }
        }
    }

    /** Millisecond clock for commit timestamps. */
    public long now() {
        return clock.millis();
    }
}
