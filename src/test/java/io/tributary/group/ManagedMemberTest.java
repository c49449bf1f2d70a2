package io.tributary.group;

import io.tributary.config.GroupConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class ManagedMemberTest {

    private static final int SESSION_MS = 600;

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final GroupCoordinatorTest.MemoryStore store = new GroupCoordinatorTest.MemoryStore();
    private final GroupCoordinator coordinator = new GroupCoordinator(
            new GroupConfig(1, 1 << 20, 100, 60_000, 0, 64), store, scheduler, Clock.systemUTC());
    private final Map<String, Integer> topics = new ConcurrentHashMap<>(Map.of("t", 6, "other", 2));
    private final ManagedMembers members = new ManagedMembers(coordinator, scheduler, () -> Map.copyOf(topics));
    private final List<ManagedMember> started = new ArrayList<>();

    {
        coordinator.start();
    }

    @AfterEach
    void stop() {
        started.forEach(m -> m.close(ManagedMember.Departure.LEAVE));
        coordinator.close();
        scheduler.shutdownNow();
    }

    /** Records what one member was told. */
    static final class Recorder implements ManagedMember.Listener {
        volatile Set<TopicPartition> owned = Set.of();
        final List<String> events = new CopyOnWriteArrayList<>();
        volatile Errors failed;
        volatile String failure;
        volatile ManagedMember member;
        /** Offsets to commit on revocation; the commit's answer is kept. */
        volatile Map<TopicPartition, CommittedOffset> commitOnRevoke = Map.of();
        volatile Map<TopicPartition, Errors> revokeCommit = Map.of();

        @Override
        public void onAssigned(Set<TopicPartition> partitions, int generationId) {
            owned = partitions;
            events.add("assigned " + generationId);
        }

        @Override
        public void onRevoked(Set<TopicPartition> partitions) {
            owned = Set.of();
            events.add("revoked");
            if (!commitOnRevoke.isEmpty()) {
                revokeCommit = member.commit(commitOnRevoke);
            }
        }

        @Override
        public void onFailed(Errors error, String message) {
            failed = error;
            failure = message;
        }
    }

    private ManagedMember join(Recorder recorder, ManagedMember.Kind kind, ManagedMember.Assignor assignor,
                               ManagedMember.Subscribed subscribed) {
        ManagedMember m = members.join(new ManagedMember.Settings("g", kind, List.of(assignor), "client", "/127.0.0.1",
                SESSION_MS, SESSION_MS), subscribed, recorder);
        recorder.member = m;
        started.add(m);
        return m;
    }

    private ManagedMember join(Recorder recorder) {
        return join(recorder, ManagedMember.Kind.REST, ManagedMember.Assignor.RANGE,
                ManagedMember.Subscribed.topics(List.of("t")));
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    private static boolean disjointAndCovering(Set<TopicPartition> expected, Recorder... recorders) {
        Set<TopicPartition> seen = new HashSet<>();
        for (Recorder r : recorders) {
            for (TopicPartition tp : r.owned) {
                if (!seen.add(tp)) {
                    return false;
                }
            }
        }
        return seen.equals(expected);
    }

    private static Set<TopicPartition> partitions(String topic, int n) {
        Set<TopicPartition> out = new HashSet<>();
        for (int i = 0; i < n; i++) {
            out.add(new TopicPartition(topic, i));
        }
        return out;
    }

    @Test
    void threeMembersShareTheTopicsPartitionsAndTheGroupDescribesThemAsConsumers() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        Recorder c = new Recorder();
        join(a);
        join(b);
        join(c);
        await("three members own two partitions each", () -> disjointAndCovering(partitions("t", 6), a, b, c)
                && a.owned.size() == 2 && b.owned.size() == 2 && c.owned.size() == 2);
        GroupCoordinator.GroupDescription group = coordinator.describeGroup("g").orElseThrow();
        assertEquals("consumer", group.protocolType());
        assertEquals("rest-range", group.protocolName());
        assertEquals(3, group.members().size());
    }

    @Test
    void aMemberThatStopsHeartbeatingLosesItsPartitionsAfterTheSessionTimeout() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        join(a);
        ManagedMember gone = join(b);
        await("both own partitions", () -> disjointAndCovering(partitions("t", 6), a, b) && b.owned.size() == 3);
        long stopped = System.nanoTime();
        gone.close(ManagedMember.Departure.EXPIRE).get(5, TimeUnit.SECONDS);
        Thread.sleep(SESSION_MS / 2);
        assertEquals(2, coordinator.describeGroup("g").orElseThrow().members().size(),
                "the silent member is still in the group before its session times out");
        await("the survivor owns everything", () -> a.owned.size() == 6);
        // The session runs from the member's last heartbeat, which may precede the close by up to one
        // heartbeat interval (a third of the session).
        assertTrue(System.nanoTime() - stopped >= TimeUnit.MILLISECONDS.toNanos(SESSION_MS - SESSION_MS / 3));
    }

    @Test
    void aMemberThatLeavesHandsItsPartitionsOverAtOnce() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        join(a);
        ManagedMember leaving = join(b);
        await("both own partitions", () -> b.owned.size() == 3 && a.owned.size() == 3);
        leaving.close(ManagedMember.Departure.LEAVE).get(5, TimeUnit.SECONDS);
        assertEquals(1, coordinator.describeGroup("g").orElseThrow().members().size());
        await("the other owns everything", () -> a.owned.size() == 6);
        assertTrue(leaving.isClosed());
        assertEquals(1, members.size());
    }

    @Test
    void roundRobinSpreadsSeveralTopicsOneByOne() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ManagedMember.Subscribed both = ManagedMember.Subscribed.topics(List.of("t", "other"));
        join(a, ManagedMember.Kind.WEBSOCKET, ManagedMember.Assignor.ROUNDROBIN, both);
        join(b, ManagedMember.Kind.WEBSOCKET, ManagedMember.Assignor.ROUNDROBIN, both);
        Set<TopicPartition> all = partitions("t", 6);
        all.addAll(partitions("other", 2));
        await("four partitions each", () -> disjointAndCovering(all, a, b) && a.owned.size() == 4);
        assertEquals("websocket-roundrobin", coordinator.describeGroup("g").orElseThrow().protocolName());
    }

    @Test
    void aKafkaConsumerCannotJoinAGroupOfRestMembersNorTheOtherWayRound() throws Exception {
        Recorder a = new Recorder();
        join(a);
        await("assigned", () -> a.owned.size() == 6);
        GroupCoordinator.JoinResult kafka = coordinator.join(new GroupCoordinator.JoinRequest("g", "", null, "kafka",
                "/127.0.0.1", 10_000, 10_000, "consumer",
                List.of(new GroupCoordinator.Protocol("range", new byte[0])), false)).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL, kafka.error());

        Recorder ws = new Recorder();
        ManagedMember other = join(ws, ManagedMember.Kind.WEBSOCKET, ManagedMember.Assignor.RANGE,
                ManagedMember.Subscribed.topics(List.of("t")));
        await("the WebSocket member is refused", () -> ws.failed != null);
        assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL, ws.failed);
        assertTrue(ws.failure.contains("one kind"), ws.failure);
        assertTrue(other.isClosed());
        assertEquals(6, a.owned.size(), "the existing member keeps its partitions");
    }

    @Test
    void aPatternSubscriptionPicksUpNewTopicsAndALeaderReassignsGrownOnes() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ManagedMember.Subscribed pattern = ManagedMember.Subscribed.pattern(Pattern.compile("orders-.*"));
        topics.put("orders-eu", 2);
        join(a, ManagedMember.Kind.REST, ManagedMember.Assignor.RANGE, pattern);
        join(b, ManagedMember.Kind.REST, ManagedMember.Assignor.RANGE, pattern);
        await("one partition each", () -> disjointAndCovering(partitions("orders-eu", 2), a, b));

        topics.put("orders-us", 2);
        members.topicsChanged();
        Set<TopicPartition> both = partitions("orders-eu", 2);
        both.addAll(partitions("orders-us", 2));
        await("the new topic is shared", () -> disjointAndCovering(both, a, b));

        topics.put("orders-us", 4);
        members.topicsChanged();
        both.addAll(partitions("orders-us", 4));
        await("the grown topic is shared", () -> disjointAndCovering(both, a, b));
    }

    @Test
    void commitsCountWhileOwningAndDuringRevocationButNotAfterTheMemberIsGone() throws Exception {
        Recorder a = new Recorder();
        ManagedMember first = join(a);
        await("assigned", () -> a.owned.size() == 6);
        TopicPartition tp = new TopicPartition("t", 0);
        assertEquals(Map.of(tp, Errors.NONE), first.commit(Map.of(tp, new CommittedOffset(5, -1, "", 0))));

        a.commitOnRevoke = Map.of(tp, new CommittedOffset(7, -1, "", 0));
        Recorder b = new Recorder();
        join(b);
        await("rebalanced", () -> disjointAndCovering(partitions("t", 6), a, b) && b.owned.size() == 3);
        assertEquals(Map.of(tp, Errors.NONE), a.revokeCommit, "a commit in onRevoked is accepted");
        assertEquals(7, coordinator.fetchOffsets("g", Optional.of(List.of(tp))).get(tp).offset());

        first.close(ManagedMember.Departure.LEAVE).get(5, TimeUnit.SECONDS);
        assertFalse(first.commit(Map.of(tp, new CommittedOffset(9, -1, "", 0))).containsValue(Errors.NONE));
        assertEquals(7, coordinator.fetchOffsets("g", Optional.of(List.of(tp))).get(tp).offset());
    }
}
