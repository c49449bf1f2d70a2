package io.tributary.broker.subscription;

import io.tributary.config.GroupConfig;
import io.tributary.group.CommittedOffset;
import io.tributary.group.CoordinatorLocation;
import io.tributary.group.GroupCoordinator;
import io.tributary.group.ManagedMember;
import io.tributary.group.ManagedMembers;
import io.tributary.group.OffsetStore;
import io.tributary.records.ProducedRecord;
import io.tributary.records.RecordBatches;
import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.PartitionLog;
import io.tributary.testing.LocalGroupStack;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Group subscriptions on real partition logs and a real group coordinator, with fake connections. */
class GroupSubscriptionTest {

    private static final SubscriptionLimits LIMITS = new SubscriptionLimits(1_000, 1_000_000, 1L << 30, 4_096, 64);
    private static final int SESSION_MS = 900;

    @TempDir
    Path tmp;

    private LocalGroupStack stack;
    private ScheduledExecutorService scheduler;
    private ExecutorService executor;
    private LogManager logManager;
    private GroupCoordinator coordinator;
    private ManagedMembers members;
    private Map<TopicPartition, PartitionLog> logs;
    private final PartitionWatchers watchers = new PartitionWatchers();
    private final List<GroupSubscription> started = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        stack = new LocalGroupStack(tmp);
        scheduler = stack.scheduler();
        executor = stack.executor();
        logManager = stack.logManager();
        coordinator = stack.coordinator();
        members = stack.members();
        logs = stack.logs();
        stack.createTopic("t", 4);
    }

    @AfterEach
    void tearDown() throws Exception {
        started.forEach(GroupSubscription::leave);
        coordinator.close(); // a test may have put a coordinator of its own in place of the stack's
        stack.close();
    }

    /** A subscriber: its fake connection, its notices, and the frames it got in order. */
    private class Client implements GroupSubscription.Notices {
        /** Whether the client answers pings, as a live WebSocket client does. */
        volatile boolean answersPings = true;
        final SubscriptionSessionTest.FakeSink sink = new SubscriptionSessionTest.FakeSink() {
            @Override
            public void ping(java.util.function.Consumer<Throwable> onDone) {
                onDone.accept(null);
                GroupSubscription g = group;
                if (answersPings && g != null) {
                    g.heard();
                }
            }
        };
        final SubscriptionSession session = new SubscriptionSession(sink, executor, watchers, LIMITS);
        final AtomicLong nanos = new AtomicLong();
        volatile GroupSubscription.Failure failure;
        volatile String failureMessage;
        volatile GroupSubscription group;

        Client(boolean autoCommit, GroupSubscription.OffsetReset reset, boolean fakeClock) {
            this("g", "t", autoCommit, reset, fakeClock);
        }

        Client(String groupId, String topic, boolean autoCommit, GroupSubscription.OffsetReset reset, boolean fakeClock) {
            group = new GroupSubscription(new GroupSubscription.Settings(groupId,
                    ManagedMember.Subscribed.topics(List.of(topic)), ManagedMember.Assignor.RANGE, autoCommit, reset,
                    SESSION_MS, 60_000, "client", "", SubscriptionSessionTest.ENCODER, Framing.RECORD),
                    members, coordinator, this::log, session, this, scheduler,
                    fakeClock ? nanos::get : System::nanoTime);
            started.add(group);
            group.start();
        }

        private PartitionLog log(TopicPartition tp) {
            return stack.log(tp);
        }

        @Override
        public String assigned(String g, int generation, String memberId, List<SubscriptionSession.Assigned> partitions) {
            return "assigned " + generation + " " + partitions;
        }

        @Override
        public String revoked(String g, int generation, List<TopicPartition> partitions) {
            return "revoked " + generation + " " + partitions;
        }

        @Override
        public void send(String frame) {
            session.reply(frame);
        }

        @Override
        public void failed(GroupSubscription.Failure f, String message) {
            failureMessage = message;
            failure = f;
        }

        /** Record frames of a partition ("t-0@5=v") as offsets, in arrival order. */
        List<Long> offsets(TopicPartition tp) {
            List<Long> out = new ArrayList<>();
            for (String f : sink.frames) {
                if (f.startsWith(tp + "@")) {
                    out.add(Long.parseLong(f.substring(f.indexOf('@') + 1, f.indexOf('='))));
                }
            }
            return out;
        }
    }

    private void append(int partition, int count) {
        PartitionLog log = logs.get(new TopicPartition("t", partition));
        List<ProducedRecord> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new ProducedRecord(null, ByteBuffer.wrap(("v" + i).getBytes(StandardCharsets.UTF_8)), -1, null));
        }
        for (var batch : RecordBatches.build(records, "producer", 1 << 20, System.currentTimeMillis())) {
            log.appendAsLeader(batch, 0);
        }
        log.updateHighWatermark(log.logEndOffset());
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    private long committed(TopicPartition tp) {
        CommittedOffset c = coordinator.fetchOffsets("g", Optional.of(List.of(tp))).get(tp);
        return c == null ? -1 : c.offset();
    }

    /** Every client owns some partitions, and together they own each of t's four once. */
    private static boolean disjointAndCovering(Client... clients) {
        Set<TopicPartition> seen = new HashSet<>();
        for (Client c : clients) {
            if (c.group.assignment().isEmpty()) {
                return false;
            }
            for (TopicPartition tp : c.group.assignment()) {
                if (!seen.add(tp)) {
                    return false;
                }
            }
        }
        return seen.size() == 4;
    }

    @Test
    void aMemberOnABrokerThatDoesNotCoordinateItsGroupEndsNamingTheCoordinator() throws Exception {
        // A coordinator of a cluster that leads none of its offsets partitions: it answers NOT_COORDINATOR.
        GroupCoordinator elsewhere = new GroupCoordinator(new GroupConfig(4, 1 << 20, 100, 60_000, 0, 64),
                new OffsetStore() {
                    @Override
                    public void append(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
                    }

                    @Override
                    public void delete(String groupId, java.util.Collection<TopicPartition> partitions) {
                    }

                    @Override
                    public void load(Visitor visitor) {
                    }

                    @Override
                    public int partitionCount() {
                        return 4;
                    }
                }, scheduler, Clock.systemUTC(), GroupCoordinator.Ownership.OFFSETS_PARTITION_LEADER);
        elsewhere.start();
        CoordinatorLocation.Elsewhere broker2 = new CoordinatorLocation.Elsewhere(2, Optional.of("http://h:9082"));
        members = new ManagedMembers(elsewhere, groupId -> broker2, scheduler, () -> Map.of("t", 4));
        coordinator.close();
        coordinator = elsewhere;
        List<CoordinatorLocation.Elsewhere> told = new CopyOnWriteArrayList<>();
        Client a = new Client(true, GroupSubscription.OffsetReset.EARLIEST, false) {
            @Override
            public void coordinatorElsewhere(CoordinatorLocation.Elsewhere where, String message) {
                failureMessage = message;
                told.add(where);
            }
        };
        await("the subscriber is told where the coordinator is", () -> !told.isEmpty());
        assertEquals(List.of(broker2), told);
        assertTrue(a.failureMessage.contains("broker 2"), a.failureMessage);
        assertEquals(null, a.failure, "told once, through coordinatorElsewhere only");
        assertTrue(a.group.assignment().isEmpty());
        assertEquals(0, members.size());
        assertThrows(GroupSubscription.CommitException.class, () -> a.group.commit(null));
    }

    @Test
    void theAssignedNoticeComesBeforeRecordsAndNoRecordOfARevokedPartitionFollowsItsRevokedNotice() throws Exception {
        for (int p = 0; p < 4; p++) {
            append(p, 20);
        }
        Client a = new Client(false, GroupSubscription.OffsetReset.EARLIEST, false);
        await("a owns every partition and has read them", () -> a.group.assignment().size() == 4
                && a.offsets(new TopicPartition("t", 3)).size() == 20);
        assertTrue(a.sink.frames.get(0).startsWith("assigned"), a.sink.frames.get(0));

        Client b = new Client(false, GroupSubscription.OffsetReset.EARLIEST, false);
        try {
            await("the two share the topic", () -> disjointAndCovering(a, b) && b.group.assignment().size() == 2);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " a " + a.group.assignment() + " b " + b.group.assignment() + " " + b.sink.frames + " " + coordinator.describeGroup("g"));
        }
        for (int p = 0; p < 4; p++) {
            append(p, 5);
        }
        await("b reads its partitions from the start", () -> b.group.assignment().stream()
                .allMatch(tp -> b.offsets(tp).size() == 25));
        await("a goes on reading the partitions it kept", () -> a.group.assignment().stream()
                .allMatch(tp -> a.offsets(tp).contains(24L)));
        int revokedAt = -1;
        for (int i = 0; i < a.sink.frames.size(); i++) {
            if (a.sink.frames.get(i).startsWith("revoked")) {
                revokedAt = i;
            }
        }
        assertTrue(revokedAt > 0, "a was told it lost its partitions: " + a.sink.frames);
        for (TopicPartition lost : b.group.assignment()) {
            for (int i = revokedAt + 1; i < a.sink.frames.size(); i++) {
                assertFalse(a.sink.frames.get(i).startsWith(lost + "@"), "a record of " + lost
                        + " after the revoked notice: " + a.sink.frames.get(i));
            }
        }
        for (TopicPartition kept : a.group.assignment()) {
            List<Long> offsets = a.offsets(kept);
            assertTrue(offsets.contains(24L), "a goes on reading " + kept + ": " + offsets);
        }
    }

    @Test
    void explicitCommitsNeedOwnershipAndAutoCommitCommitsWhatWasAcknowledgedOnRevocation() throws Exception {
        append(0, 10);
        append(1, 10);
        Client a = new Client(true, GroupSubscription.OffsetReset.EARLIEST, false);
        TopicPartition t0 = new TopicPartition("t", 0);
        await("a read partition 0", () -> a.offsets(t0).size() == 10);
        assertEquals(Map.of(t0, 4L), a.group.commit(Map.of(t0, 4L)));
        assertEquals(4, committed(t0));
        assertThrows(GroupSubscription.CommitException.class,
                () -> a.group.commit(Map.of(new TopicPartition("t", 9), 1L)));
        GroupSubscription.CommitException notOwned = assertThrows(GroupSubscription.CommitException.class,
                () -> a.group.commit(Map.of(new TopicPartition("other", 0), 1L)));
        assertEquals(GroupSubscription.CommitException.Reason.NOT_OWNED, notOwned.reason());

        // A credit frame acknowledges what was delivered; a second member's arrival revokes and auto commits it.
        await("a read partition 1", () -> a.offsets(new TopicPartition("t", 1)).size() == 10);
        a.group.acknowledge();
        Client b = new Client(true, GroupSubscription.OffsetReset.EARLIEST, false);
        await("the two share the topic", () -> disjointAndCovering(a, b));
        assertEquals(10, committed(t0), "the revocation committed what a acknowledged");
        assertEquals(10, committed(new TopicPartition("t", 1)));
    }

    @Test
    void aNewMemberStartsAtTheCommitsAndResetNoneWithoutACommitEndsTheSubscription() throws Exception {
        append(0, 10);
        append(1, 10);
        append(2, 10);
        append(3, 10);
        coordinator.commitOffsets("g", "", null, -1, Map.of(new TopicPartition("t", 0),
                new CommittedOffset(7, -1, "", 0), new TopicPartition("t", 1), new CommittedOffset(3, -1, "", 0),
                new TopicPartition("t", 2), new CommittedOffset(10, -1, "", 0),
                new TopicPartition("t", 3), new CommittedOffset(0, -1, "", 0)));
        Client a = new Client(false, GroupSubscription.OffsetReset.NONE, false);
        await("a reads from the commits", () -> a.offsets(new TopicPartition("t", 0)).size() == 3
                && a.offsets(new TopicPartition("t", 1)).size() == 7 && a.offsets(new TopicPartition("t", 3)).size() == 10);
        assertEquals(7L, a.offsets(new TopicPartition("t", 0)).get(0));
        assertTrue(a.sink.frames.get(0).contains("offset=7"), a.sink.frames.get(0));
        a.group.leave().toCompletableFuture().get(5, TimeUnit.SECONDS);

        TopicPartition fresh = new TopicPartition("u", 0);
        logs.put(fresh, logManager.getOrCreateLog(fresh, LogConfig.defaults()));
        Client b = new Client("h", "u", false, GroupSubscription.OffsetReset.NONE, false);
        await("b is told there is no offset", () -> b.failure != null);
        assertEquals(GroupSubscription.Failure.NO_OFFSET, b.failure);
        assertTrue(b.failureMessage.contains("no committed offset for u-0"), b.failureMessage);
        await("b left the group", () -> coordinator.describeGroup("h").map(d -> d.members().isEmpty()).orElse(true));
    }

    @Test
    void aSilentSubscriberLeavesAfterTheSessionTimeoutAndOneThatSpeaksStays() throws Exception {
        Client quiet = new Client(false, GroupSubscription.OffsetReset.LATEST, true);
        Client talker = new Client(false, GroupSubscription.OffsetReset.LATEST, false);
        await("the two share the topic", () -> disjointAndCovering(quiet, talker));
        // quiet is never heard from again.
        quiet.answersPings = false;
        quiet.nanos.addAndGet(TimeUnit.SECONDS.toNanos(60));
        long silentFrom = System.nanoTime();
        Thread.sleep(SESSION_MS / 2);
        assertEquals(2, coordinator.describeGroup("g").orElseThrow().members().size(),
                "still a member before its session times out");
        await("the talker owns everything", () -> talker.group.assignment().size() == 4);
        assertTrue(System.nanoTime() - silentFrom >= TimeUnit.MILLISECONDS.toNanos(SESSION_MS - 100),
                "not before the session timeout");
        assertEquals(1, coordinator.describeGroup("g").orElseThrow().members().size());
        assertTrue(quiet.sink.frames.get(quiet.sink.frames.size() - 1).startsWith("revoked"),
                "the silent subscriber's partitions stopped and it was told: " + quiet.sink.frames);
        assertTrue(quiet.group.assignment().isEmpty());

        // Heard again, it rejoins and the two share the topic once more.
        quiet.answersPings = true;
        quiet.group.heard();
        await("the two share the topic again", () -> disjointAndCovering(quiet, talker));
    }

    @Test
    void aClosedConnectionLeavesASessionTimeoutAfterTheClose() throws Exception {
        Client gone = new Client(true, GroupSubscription.OffsetReset.LATEST, false);
        Client stays = new Client(true, GroupSubscription.OffsetReset.LATEST, false);
        await("the two share the topic", () -> disjointAndCovering(gone, stays));
        long closedAt = System.nanoTime();
        gone.session.close();
        gone.group.connectionClosed().toCompletableFuture().get(5, TimeUnit.SECONDS);
        await("the survivor owns everything", () -> stays.group.assignment().size() == 4);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt);
        assertTrue(took >= SESSION_MS - 50, "partitions moved " + took + " ms after the close");
    }
}
