package io.tributary.group;

import io.tributary.config.GroupConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GroupCoordinatorTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    private final MemoryStore store = new MemoryStore();
    private GroupCoordinator coordinator = coordinator(0);

    private GroupCoordinator coordinator(int initialDelayMs) {
        GroupCoordinator c = new GroupCoordinator(new GroupConfig(1, 1 << 20, 10, 60_000, initialDelayMs, 16), store,
                scheduler, Clock.systemUTC());
        c.start();
        return c;
    }

    @AfterEach
    void stop() {
        coordinator.close();
        scheduler.shutdownNow();
    }

    /** Stored changes in order, replayed on load as a log would be. */
    static final class MemoryStore implements OffsetStore {
        final List<Object[]> log = new ArrayList<>();

        @Override
        public synchronized void append(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
            offsets.forEach((tp, o) -> log.add(new Object[] {groupId, tp, o}));
        }

        @Override
        public synchronized void delete(String groupId, Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> log.add(new Object[] {groupId, tp, null}));
        }

        @Override
        public synchronized void load(Visitor visitor) {
            log.forEach(e -> visitor.committed((String) e[0], (TopicPartition) e[1], (CommittedOffset) e[2]));
        }
    }

    private static GroupCoordinator.JoinRequest join(String memberId, int sessionTimeoutMs, boolean v4,
                                                     String... protocols) {
        List<GroupCoordinator.Protocol> ps = new ArrayList<>();
        for (String p : protocols.length == 0 ? new String[] {"range"} : protocols) {
            ps.add(new GroupCoordinator.Protocol(p, p.getBytes()));
        }
        return new GroupCoordinator.JoinRequest("g", memberId, null, "client", "/127.0.0.1", sessionTimeoutMs, 5_000,
                "consumer", ps, v4);
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aFirstJoinSinceV4GetsAMemberIdThenJoinsWithItAndLeads() throws Exception {
        GroupCoordinator.JoinResult first = await(coordinator.join(join("", 10_000, true)));
        assertEquals(Errors.MEMBER_ID_REQUIRED, first.error());
        assertTrue(first.memberId().startsWith("client-"));

        GroupCoordinator.JoinResult joined = await(coordinator.join(join(first.memberId(), 10_000, true)));
        assertEquals(Errors.NONE, joined.error());
        assertEquals(1, joined.generationId());
        assertEquals(first.memberId(), joined.leaderId());
        assertEquals("range", joined.protocolName());
        assertEquals(1, joined.members().size(), "the leader gets every member's metadata");
        assertEquals(GroupState.COMPLETING_REBALANCE, coordinator.describeGroup("g").orElseThrow().state());
    }

    @Test
    void theLeadersAssignmentReachesEveryMemberThroughSyncGroup() throws Exception {
        GroupCoordinator.JoinResult a = await(coordinator.join(join("", 10_000, false)));
        // A second member makes the group rebalance; the first rejoins, as its heartbeat would tell it to.
        CompletableFuture<GroupCoordinator.JoinResult> bJoin = coordinator.join(join("", 10_000, false)).toCompletableFuture();
        assertEquals(Errors.REBALANCE_IN_PROGRESS, coordinator.heartbeat("g", a.memberId(), null, a.generationId()));
        GroupCoordinator.JoinResult a2 = await(coordinator.join(join(a.memberId(), 10_000, false)));
        GroupCoordinator.JoinResult b = await(bJoin);
        assertEquals(2, a2.generationId());
        assertEquals(a2.generationId(), b.generationId());
        assertEquals(a.memberId(), a2.leaderId(), "the leader stays leader");
        assertEquals(2, a2.members().size());
        assertEquals(0, b.members().size(), "followers do not get the members");

        CompletableFuture<GroupCoordinator.SyncResult> bSync = coordinator.sync(new GroupCoordinator.SyncRequest("g",
                b.generationId(), b.memberId(), null, "consumer", "range", Map.of())).toCompletableFuture();
        assertFalse(bSync.isDone(), "a follower's SyncGroup waits for the leader's");
        GroupCoordinator.SyncResult aSync = await(coordinator.sync(new GroupCoordinator.SyncRequest("g", a2.generationId(),
                a.memberId(), null, "consumer", "range", Map.of(a.memberId(), new byte[] {1}, b.memberId(), new byte[] {2}))));
        assertArrayEquals(new byte[] {1}, aSync.assignment());
        assertArrayEquals(new byte[] {2}, await(bSync).assignment());
        assertEquals(GroupState.STABLE, coordinator.describeGroup("g").orElseThrow().state());
        assertEquals(Errors.NONE, coordinator.heartbeat("g", b.memberId(), null, b.generationId()));
        assertEquals(Errors.ILLEGAL_GENERATION, coordinator.heartbeat("g", b.memberId(), null, 1));
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.heartbeat("g", "nobody", null, b.generationId()));
    }

    @Test
    void aMemberThatStopsHeartbeatingIsRemovedAfterItsSessionTimeout() throws Exception {
        GroupCoordinator.JoinResult a = await(coordinator.join(join("", 300, false)));
        await(coordinator.sync(new GroupCoordinator.SyncRequest("g", a.generationId(), a.memberId(), null, null, null,
                Map.of(a.memberId(), new byte[0]))));
        assertEquals(1, coordinator.describeGroup("g").orElseThrow().members().size());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (coordinator.describeGroup("g").isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(Optional.empty(), coordinator.describeGroup("g"), "an empty group without commits is forgotten");
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.heartbeat("g", a.memberId(), null, a.generationId()));
    }

    @Test
    void leavingRebalancesTheOthersAndAnEmptyGroupCanBeDeleted() throws Exception {
        GroupCoordinator.JoinResult a = await(coordinator.join(join("", 10_000, false)));
        await(coordinator.sync(new GroupCoordinator.SyncRequest("g", a.generationId(), a.memberId(), null, null, null, Map.of())));
        coordinator.commitOffsets("g", a.memberId(), null, a.generationId(), Map.of(TP, new CommittedOffset(1, -1, "", 0)));
        assertEquals(Map.of("g", Errors.NON_EMPTY_GROUP), coordinator.deleteGroups(List.of("g")));
        GroupCoordinator.MemberIdentity self = new GroupCoordinator.MemberIdentity(a.memberId(), null);
        assertEquals(Map.of(self, Errors.NONE), coordinator.leave("g", List.of(self)));
        assertEquals(GroupState.EMPTY, coordinator.describeGroup("g").orElseThrow().state());
        assertEquals(Map.of("g", Errors.NONE), coordinator.deleteGroups(List.of("g")));
        assertEquals(Map.of("g", Errors.GROUP_ID_NOT_FOUND), coordinator.deleteGroups(List.of("g")));
        assertEquals(Optional.empty(), coordinator.describeGroup("g"));
    }

    @Test
    void aGroupWithoutMembersOrCommitsIsForgotten() throws Exception {
        GroupCoordinator.JoinResult pending = await(coordinator.join(join("", 200, true)));
        assertEquals(Errors.MEMBER_ID_REQUIRED, pending.error());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!coordinator.listGroups().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of(), coordinator.listGroups(), "a member id handed out but never used expires");

        GroupCoordinator.JoinResult a = await(coordinator.join(join("", 10_000, false)));
        coordinator.leave("g", List.of(new GroupCoordinator.MemberIdentity(a.memberId(), null)));
        assertEquals(List.of(), coordinator.listGroups());
        assertEquals(Map.of("g", Errors.GROUP_ID_NOT_FOUND), coordinator.deleteGroups(List.of("g")));
    }

    @Test
    void membersWithoutACommonProtocolCannotJoinTheSameGroup() throws Exception {
        await(coordinator.join(join("", 10_000, false, "range")));
        assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL, await(coordinator.join(join("", 10_000, false, "roundrobin"))).error());
        assertEquals(Errors.INVALID_SESSION_TIMEOUT, await(coordinator.join(join("", 1, false))).error());
    }

    @Test
    void commitsNeedTheCurrentGenerationOnceTheGroupHasMembers() throws Exception {
        CommittedOffset five = new CommittedOffset(5, -1, "m", 0);
        assertEquals(Map.of(TP, Errors.NONE), coordinator.commitOffsets("g", "", null, -1, Map.of(TP, five)),
                "a group without members takes commits from anyone (assign() consumers, admins)");
        GroupCoordinator.JoinResult a = await(coordinator.join(join("", 10_000, false)));
        assertEquals(Map.of(TP, Errors.REBALANCE_IN_PROGRESS),
                coordinator.commitOffsets("g", a.memberId(), null, a.generationId(), Map.of(TP, five)));
        await(coordinator.sync(new GroupCoordinator.SyncRequest("g", a.generationId(), a.memberId(), null, null, null, Map.of())));
        assertEquals(Map.of(TP, Errors.ILLEGAL_GENERATION),
                coordinator.commitOffsets("g", a.memberId(), null, a.generationId() + 1, Map.of(TP, five)));
        assertEquals(Map.of(TP, Errors.UNKNOWN_MEMBER_ID),
                coordinator.commitOffsets("g", "other", null, a.generationId(), Map.of(TP, five)));
        assertEquals(Map.of(TP, Errors.OFFSET_METADATA_TOO_LARGE), coordinator.commitOffsets("g", a.memberId(), null,
                a.generationId(), Map.of(TP, new CommittedOffset(6, -1, "x".repeat(17), 0))));
        assertEquals(Map.of(TP, Errors.NONE), coordinator.commitOffsets("g", a.memberId(), null, a.generationId(),
                Map.of(TP, new CommittedOffset(7, 3, "", 0))));
        assertEquals(7, coordinator.fetchOffsets("g", Optional.of(List.of(TP))).get(TP).offset());
    }

    @Test
    void offsetsSurviveARestartAndADeletedGroupsOffsetsDoNot() throws Exception {
        coordinator.commitOffsets("kept", "", null, -1, Map.of(TP, new CommittedOffset(42, 1, "meta", 0)));
        coordinator.commitOffsets("gone", "", null, -1, Map.of(TP, new CommittedOffset(9, -1, "", 0)));
        coordinator.deleteGroups(List.of("gone"));
        coordinator.close();

        coordinator = coordinator(0);
        assertEquals(new CommittedOffset(42, 1, "meta", 0), coordinator.fetchOffsets("kept", Optional.of(List.of(TP))).get(TP));
        assertEquals(-1, coordinator.fetchOffsets("gone", Optional.of(List.of(TP))).get(TP).offset(),
                "no commit reads as -1 so the client's auto.offset.reset applies");
        assertEquals(List.of("kept"), coordinator.listGroups().stream().map(GroupCoordinator.GroupOverview::groupId).toList());
    }

    @Test
    void anOffsetResetCreatesAGroupReturnsThePreviousOffsetsAndIsStored() {
        TopicPartition other = new TopicPartition("t", 1);
        assertEquals(Map.of(), coordinator.resetOffsets("reset", Map.of(TP, 3L)), "a new group has nothing before");
        assertEquals(List.of("reset"), coordinator.listGroups().stream().map(GroupCoordinator.GroupOverview::groupId).toList());

        Map<TopicPartition, CommittedOffset> previous = coordinator.resetOffsets("reset", Map.of(TP, 10L, other, 0L));
        assertEquals(Set.of(TP), previous.keySet());
        assertEquals(3, previous.get(TP).offset());
        Map<TopicPartition, CommittedOffset> now = coordinator.fetchOffsets("reset", Optional.empty());
        assertEquals(10, now.get(TP).offset());
        assertEquals(0, now.get(other).offset());
        assertEquals(-1, now.get(TP).leaderEpoch(), "the reset offset belongs to no leader epoch");

        coordinator.close();
        coordinator = coordinator(0);
        assertEquals(10, coordinator.fetchOffsets("reset", Optional.of(List.of(TP))).get(TP).offset(),
                "a reset is durable like any commit");
    }

    @Test
    void offsetsCannotBeResetWhileTheGroupHasMembers() throws Exception {
        coordinator.resetOffsets("g", Map.of(TP, 4L));
        GroupCoordinator.JoinResult a = await(coordinator.join(join("", 10_000, false)));
        GroupNotEmptyException e = assertThrows(GroupNotEmptyException.class,
                () -> coordinator.resetOffsets("g", Map.of(TP, 0L)));
        assertTrue(e.getMessage().contains("1 member(s)"), e.getMessage());
        assertEquals(4, coordinator.fetchOffsets("g", Optional.of(List.of(TP))).get(TP).offset(), "nothing changed");

        coordinator.leave("g", List.of(new GroupCoordinator.MemberIdentity(a.memberId(), null)));
        coordinator.resetOffsets("g", Map.of(TP, 0L));
        assertEquals(0, coordinator.fetchOffsets("g", Optional.of(List.of(TP))).get(TP).offset(),
                "once the last member has left, the reset goes through");
    }

    @Test
    void theFirstRebalanceOfAnEmptyGroupWaitsForMoreMembers() throws Exception {
        coordinator.close();
        coordinator = coordinator(300);
        CompletableFuture<GroupCoordinator.JoinResult> a = coordinator.join(join("", 10_000, false)).toCompletableFuture();
        Thread.sleep(50);
        CompletableFuture<GroupCoordinator.JoinResult> b = coordinator.join(join("", 10_000, false)).toCompletableFuture();
        assertFalse(a.isDone());
        assertEquals(1, await(a).generationId(), "both joined the same first generation");
        assertEquals(1, await(b).generationId());
        assertNotEquals(await(a).memberId(), await(b).memberId());
    }

    private static GroupCoordinator.JoinRequest staticJoin(String memberId, String instanceId) {
        return new GroupCoordinator.JoinRequest("g", memberId, instanceId, "client", "/127.0.0.1", 10_000, 5_000,
                "consumer", List.of(new GroupCoordinator.Protocol("range", new byte[] {1})), true);
    }

    @Test
    void aRestartedStaticFollowerGetsItsAssignmentBackWithoutARebalance() throws Exception {
        GroupCoordinator.JoinResult leader = await(coordinator.join(staticJoin("", "i-1")));
        assertEquals(Errors.NONE, leader.error(), "static members need no MEMBER_ID_REQUIRED round trip");
        CompletableFuture<GroupCoordinator.JoinResult> follower = coordinator.join(staticJoin("", "i-2")).toCompletableFuture();
        GroupCoordinator.JoinResult leader2 = await(coordinator.join(staticJoin(leader.memberId(), "i-1")));
        GroupCoordinator.JoinResult f = await(follower);
        CompletableFuture<GroupCoordinator.SyncResult> fSync = coordinator.sync(new GroupCoordinator.SyncRequest("g",
                f.generationId(), f.memberId(), "i-2", null, null, Map.of())).toCompletableFuture();
        await(coordinator.sync(new GroupCoordinator.SyncRequest("g", leader2.generationId(), leader.memberId(), "i-1", null,
                null, Map.of(leader.memberId(), new byte[] {1}, f.memberId(), new byte[] {2}))));
        await(fSync);

        GroupCoordinator.JoinResult restarted = await(coordinator.join(staticJoin("", "i-2")));
        assertEquals(Errors.NONE, restarted.error());
        assertEquals(f.generationId(), restarted.generationId(), "no new generation");
        assertNotEquals(f.memberId(), restarted.memberId());
        assertEquals(GroupState.STABLE, coordinator.describeGroup("g").orElseThrow().state());
        assertArrayEquals(new byte[] {2}, await(coordinator.sync(new GroupCoordinator.SyncRequest("g",
                restarted.generationId(), restarted.memberId(), "i-2", null, null, Map.of()))).assignment());
        assertEquals(Errors.FENCED_INSTANCE_ID, coordinator.heartbeat("g", f.memberId(), "i-2", f.generationId()),
                "the old incarnation is fenced");
    }

    @Test
    void offsetRecordsRoundTrip() {
        ByteBuffer key = OffsetRecordCodec.key("grp", new TopicPartition("topic", 7));
        assertEquals(new OffsetRecordCodec.Key("grp", new TopicPartition("topic", 7)), OffsetRecordCodec.decodeKey(key));
        CommittedOffset o = new CommittedOffset(123, 4, "héllo", 99);
        assertEquals(o, OffsetRecordCodec.decodeValue(OffsetRecordCodec.value(o)));
    }
}
