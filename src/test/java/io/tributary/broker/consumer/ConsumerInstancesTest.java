package io.tributary.broker.consumer;

import java.util.concurrent.atomic.AtomicReference;

import io.tributary.group.CoordinatorLocation;

import io.tributary.broker.RecordService;
import io.tributary.config.GroupConfig;
import io.tributary.group.CommittedOffset;
import io.tributary.group.GroupCoordinator;
import io.tributary.group.ManagedMember;
import io.tributary.group.ManagedMembers;
import io.tributary.group.OffsetStore;
import io.tributary.records.ConsumedRecord;
import io.tributary.records.ProducedRecord;
import io.tributary.records.RecordBatches;
import io.tributary.storage.PartitionLog;
import io.tributary.testing.LocalGroupStack;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.protocol.Errors;
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
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Consumer instances on real partition logs in a temp dir and a real group coordinator, with a fake idle clock. */
class ConsumerInstancesTest {

    private static final long INSTANCE_TIMEOUT_MS = 1_000;

    @TempDir
    Path tmp;

    private LocalGroupStack stack;
    private ScheduledExecutorService scheduler;
    private ExecutorService executor;
    private GroupCoordinator coordinator;
    private ManagedMembers members;
    private ConsumerInstances instances;
    private Map<TopicPartition, PartitionLog> logs;
    private final AtomicLong nanos = new AtomicLong();

    /** The logs of the test's topics, read as the broker reads committed records. */
    private final PartitionSource source = new PartitionSource() {
        @Override
        public PartitionLog log(TopicPartition tp) {
            return stack.log(tp);
        }

        @Override
        public RecordService.ReadResult read(TopicPartition tp, long offset, int maxBytes) {
            PartitionLog log = log(tp);
            PartitionLog.LogReadInfo info = log.read(offset, maxBytes, log.highWatermark(), true);
            List<ConsumedRecord> out = new ArrayList<>();
            long next = RecordBatches.forEach(info.records(), offset, Integer.MAX_VALUE, out::add);
            return new RecordService.ReadResult(out, next, info.logStartOffset(), info.highWatermark());
        }

        @Override
        public Set<String> topics() {
            Set<String> out = new HashSet<>();
            logs.keySet().forEach(tp -> out.add(tp.topic()));
            return out;
        }
    };

    @BeforeEach
    void setUp() {
        stack = new LocalGroupStack(tmp);
        scheduler = stack.scheduler();
        executor = stack.executor();
        coordinator = stack.coordinator();
        members = stack.members();
        logs = stack.logs();
        instances = new ConsumerInstances(new ConsumerInstances.Settings(INSTANCE_TIMEOUT_MS, 1_000), members,
                coordinator, source, scheduler, executor, nanos::get);
        stack.createTopic("t", 6);
    }

    @AfterEach
    void tearDown() throws Exception {
        instances.close();
        stack.close();
    }

    /** Appends values to a partition as one batch and commits them, as a sole replica does. */
    private void append(String topic, int partition, String... values) {
        PartitionLog log = logs.get(new TopicPartition(topic, partition));
        List<ProducedRecord> records = new ArrayList<>();
        for (String v : values) {
            records.add(new ProducedRecord(null, ByteBuffer.wrap(v.getBytes(StandardCharsets.UTF_8)), -1, null));
        }
        for (var batch : RecordBatches.build(records, "producer", 1 << 20, System.currentTimeMillis())) {
            log.appendAsLeader(batch, 0);
        }
        log.updateHighWatermark(log.logEndOffset());
    }

    private ConsumerInstance create(String group, String name, boolean autoCommit, ConsumerInstance.OffsetReset reset) {
        return instances.create(group, new ConsumerInstance.Config(name, ConsumerInstance.Format.BINARY, reset,
                autoCommit, -1, 1_000), "/127.0.0.1");
    }

    private ConsumerInstance create(String name) {
        return create("g", name, false, ConsumerInstance.OffsetReset.EARLIEST);
    }

    private static List<String> values(List<ConsumerInstance.Fetched> fetched) {
        List<String> out = new ArrayList<>();
        for (ConsumerInstance.Fetched f : fetched) {
            out.add(StandardCharsets.UTF_8.decode(f.record().value().duplicate()).toString());
        }
        return out;
    }

    private static List<ConsumerInstance.Fetched> poll(ConsumerInstance instance, long timeoutMs) {
        return instance.poll(timeoutMs, 1 << 20).toCompletableFuture().join();
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

    private long committed(String group, TopicPartition tp) {
        CommittedOffset c = coordinator.fetchOffsets(group, Optional.of(List.of(tp))).get(tp);
        return c == null ? -1 : c.offset();
    }

    private static Set<TopicPartition> partitionsOf(String topic, int count) {
        Set<TopicPartition> out = new HashSet<>();
        IntStream.range(0, count).forEach(p -> out.add(new TopicPartition(topic, p)));
        return out;
    }

    private static boolean disjointAndCovering(Set<TopicPartition> all, ConsumerInstance... instances) {
        Set<TopicPartition> seen = new HashSet<>();
        for (ConsumerInstance i : instances) {
            for (TopicPartition tp : i.assignment()) {
                if (!seen.add(tp)) {
                    return false;
                }
            }
        }
        return seen.equals(all);
    }

    @Test
    void anInstanceWhoseCoordinatorMovesToAnotherBrokerEndsAndItsNextRequestSaysWhy() throws Exception {
        // A cluster's coordinator that leads the group's only offsets partition, until it moves away.
        GroupCoordinator partitioned = new GroupCoordinator(new GroupConfig(1, 1 << 20, 100, 60_000, 0, 64),
                OffsetStore.NONE, scheduler, Clock.systemUTC(), GroupCoordinator.Ownership.OFFSETS_PARTITION_LEADER);
        partitioned.start();
        partitioned.elected(0, 1);
        AtomicReference<CoordinatorLocation> location = new AtomicReference<>(CoordinatorLocation.HERE);
        ManagedMembers clusterMembers = new ManagedMembers(partitioned, groupId -> location.get(), scheduler,
                () -> Map.of("t", 6));
        try (ConsumerInstances clusterInstances = new ConsumerInstances(new ConsumerInstances.Settings(60_000, 1_000),
                clusterMembers, partitioned, source, scheduler, executor, nanos::get)) {
            ConsumerInstance instance = clusterInstances.create("g", new ConsumerInstance.Config("c1",
                    ConsumerInstance.Format.BINARY, ConsumerInstance.OffsetReset.EARLIEST, false, -1, 1_000), "/127.0.0.1");
            instance.subscribe(ManagedMember.Subscribed.topics(List.of("t")));
            await("the instance owns the topic", () -> instance.assignment().size() == 6);

            location.set(new CoordinatorLocation.Elsewhere(2, Optional.of("http://h:9082")));
            partitioned.resigned(0);
            // The member leaves the registry just before the instance hears why: wait for both.
            await("the instance's member ends", () -> clusterMembers.size() == 0 && instance.endedBecause().isPresent());

            ConsumerException first = assertThrows(ConsumerException.class, () -> clusterInstances.get("g", "c1"));
            assertEquals(ConsumerException.Reason.INSTANCE_NOT_FOUND, first.reason());
            assertTrue(first.getMessage().contains("broker 2") && first.getMessage().contains("http://h:9082")
                    && first.getMessage().contains("create a new instance"), first.getMessage());
            assertEquals(0, clusterInstances.size());
            ConsumerException later = assertThrows(ConsumerException.class, () -> clusterInstances.get("g", "c1"));
            assertEquals(ConsumerException.Reason.INSTANCE_NOT_FOUND, later.reason());
        } finally {
            partitioned.close();
        }
    }

    @Test
    void subscribedInstancesSplitTheTopicsPartitions() throws Exception {
        ConsumerInstance a = create("a");
        ConsumerInstance b = create("b");
        ConsumerInstance c = create("c");
        for (ConsumerInstance i : List.of(a, b, c)) {
            i.subscribe(ManagedMember.Subscribed.topics(List.of("t")));
        }
        await("three instances share six partitions", () -> disjointAndCovering(partitionsOf("t", 6), a, b, c)
                && a.assignment().size() == 2 && b.assignment().size() == 2);
        assertEquals(List.of("t"), a.subscription());
    }

    @Test
    void aWaitingReadIsAnsweredByAnAppendWithoutWaitingForItsTimeout() throws Exception {
        ConsumerInstance a = create("a");
        a.assign(List.of(new TopicPartition("t", 0)));
        assertTrue(poll(a, 0).isEmpty());
        long start = System.nanoTime();
        CompletableFuture<List<ConsumerInstance.Fetched>> waiting = a.poll(10_000, 1 << 20).toCompletableFuture();
        Thread.sleep(100);
        assertFalse(waiting.isDone(), "nothing to read yet");
        append("t", 0, "x", "y");
        assertEquals(List.of("x", "y"), values(waiting.get(5, TimeUnit.SECONDS)));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "woken by the append, not the timeout");
        assertTrue(poll(a, 50).isEmpty(), "the position moved past what was returned");
    }

    @Test
    void aReadTimesOutEmptyAndANewerReadSupersedesAWaitingOne() throws Exception {
        ConsumerInstance a = create("a");
        a.assign(List.of(new TopicPartition("t", 0)));
        assertTrue(poll(a, 100).isEmpty());
        CompletableFuture<List<ConsumerInstance.Fetched>> first = a.poll(10_000, 1 << 20).toCompletableFuture();
        CompletableFuture<List<ConsumerInstance.Fetched>> second = a.poll(10_000, 1 << 20).toCompletableFuture();
        assertTrue(first.get(1, TimeUnit.SECONDS).isEmpty(), "the superseded read is answered at once, empty");
        append("t", 0, "z");
        assertEquals(List.of("z"), values(second.get(5, TimeUnit.SECONDS)));
    }

    @Test
    void positionsStartAtTheCommittedOffsetElseAutoOffsetReset() {
        append("t", 0, "a", "b", "c", "d");
        ConsumerInstance latest = create("g", "l", false, ConsumerInstance.OffsetReset.LATEST);
        latest.assign(List.of(new TopicPartition("t", 0)));
        assertTrue(poll(latest, 0).isEmpty(), "latest starts at the end");

        ConsumerInstance earliest = create("g", "e", false, ConsumerInstance.OffsetReset.EARLIEST);
        earliest.assign(List.of(new TopicPartition("t", 0)));
        assertEquals(List.of("a", "b", "c", "d"), values(poll(earliest, 0)));
        earliest.commit(Map.of(new TopicPartition("t", 0), 2L));

        ConsumerInstance resumed = create("g", "r", false, ConsumerInstance.OffsetReset.LATEST);
        resumed.assign(List.of(new TopicPartition("t", 0)));
        assertEquals(List.of("c", "d"), values(poll(resumed, 0)), "the committed offset wins over the reset policy");

        ConsumerInstance none = create("other", "n", false, ConsumerInstance.OffsetReset.NONE);
        none.assign(List.of(new TopicPartition("t", 0)));
        ConsumerException e = assertThrows(ConsumerException.class, () -> none.poll(0, 1 << 20));
        assertEquals(ConsumerException.Reason.NO_OFFSET, e.reason());
        assertTrue(e.getMessage().contains("no committed offset for t-0"), e.getMessage());
    }

    @Test
    void autoCommitCommitsWhatThePreviousReadReturned() {
        append("t", 0, "a", "b", "c");
        ConsumerInstance a = create("g", "a", true, ConsumerInstance.OffsetReset.EARLIEST);
        TopicPartition tp = new TopicPartition("t", 0);
        a.assign(List.of(tp));
        assertEquals(3, poll(a, 0).size());
        assertEquals(-1, committed("g", tp), "nothing is committed before the client reads again");
        assertTrue(poll(a, 0).isEmpty());
        assertEquals(3, committed("g", tp), "the next read commits what the previous one returned");
    }

    @Test
    void explicitCommitsAndCommittedOffsets() {
        append("t", 1, "a", "b");
        ConsumerInstance a = create("a");
        TopicPartition tp = new TopicPartition("t", 1);
        a.assign(List.of(tp));
        poll(a, 0);
        a.commit(null);
        assertEquals(2, committed("g", tp), "an empty commit commits the positions reached");
        a.commit(Map.of(tp, 1L));
        assertEquals(Map.of(tp, 1L), Map.of(tp, a.committed(List.of(tp)).get(tp).offset()));
        assertTrue(a.committed(List.of(new TopicPartition("t", 2))).isEmpty(), "partitions without a commit are left out");
    }

    @Test
    void seeksMovePositionsOfOwnedPartitionsOnly() {
        append("t", 0, "a", "b", "c");
        ConsumerInstance a = create("a");
        TopicPartition tp = new TopicPartition("t", 0);
        a.assign(List.of(tp));
        a.seek(Map.of(tp, 1L));
        assertEquals(List.of("b", "c"), values(poll(a, 0)));
        a.seekToBeginning(List.of(tp));
        assertEquals(List.of("a", "b", "c"), values(poll(a, 0)));
        a.seekToEnd(List.of());
        append("t", 0, "d");
        assertEquals(List.of("d"), values(poll(a, 0)));
        ConsumerException e = assertThrows(ConsumerException.class,
                () -> a.seek(Map.of(new TopicPartition("t", 3), 0L)));
        assertEquals(ConsumerException.Reason.ILLEGAL_STATE, e.reason());
    }

    @Test
    void subscriptionAndManualAssignmentExcludeEachOther() {
        ConsumerInstance a = create("a");
        a.assign(List.of(new TopicPartition("t", 0)));
        assertEquals(ConsumerException.Reason.ILLEGAL_STATE, assertThrows(ConsumerException.class,
                () -> a.subscribe(ManagedMember.Subscribed.topics(List.of("t")))).reason());
        a.unsubscribe().toCompletableFuture().join();
        a.subscribe(ManagedMember.Subscribed.topics(List.of("t")));
        assertEquals(ConsumerException.Reason.ILLEGAL_STATE, assertThrows(ConsumerException.class,
                () -> a.assign(List.of(new TopicPartition("t", 0)))).reason());
        assertThrows(UnknownTopicOrPartitionException.class, () -> create("b").assign(List.of(new TopicPartition("t", 9))));
    }

    @Test
    void namesAreUniquePerGroupAndDeletedInstancesAreGone() {
        create("a");
        assertEquals(ConsumerException.Reason.INSTANCE_EXISTS,
                assertThrows(ConsumerException.class, () -> create("a")).reason());
        create("other", "a", false, ConsumerInstance.OffsetReset.LATEST);
        instances.delete("g", "a").toCompletableFuture().join();
        assertEquals(ConsumerException.Reason.INSTANCE_NOT_FOUND,
                assertThrows(ConsumerException.class, () -> instances.get("g", "a")).reason());
        assertEquals(ConsumerException.Reason.INSTANCE_NOT_FOUND,
                assertThrows(ConsumerException.class, () -> instances.delete("g", "a")).reason());
    }

    @Test
    void anIdleInstanceExpiresAndItsPartitionsMoveFromItsLastCommit() throws Exception {
        for (int p = 0; p < 6; p++) {
            append("t", p, "r0", "r1", "r2");
        }
        ConsumerInstance a = create("a");
        ConsumerInstance b = create("b");
        a.subscribe(ManagedMember.Subscribed.topics(List.of("t")));
        b.subscribe(ManagedMember.Subscribed.topics(List.of("t")));
        await("a and b share the topic", () -> disjointAndCovering(partitionsOf("t", 6), a, b)
                && !a.assignment().isEmpty() && !b.assignment().isEmpty());
        List<TopicPartition> ofB = b.assignment();
        // b reads one record of each partition it owns, commits, and then goes silent.
        for (TopicPartition tp : ofB) {
            b.seek(Map.of(tp, 0L));
        }
        poll(b, 0);
        Map<TopicPartition, Long> commits = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
        ofB.forEach(tp -> commits.put(tp, 1L));
        await("b commits once stable", () -> {
            try {
                b.commit(commits);
                return true;
            } catch (ConsumerException e) {
                return false;
            }
        });

        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(INSTANCE_TIMEOUT_MS / 2));
        a.poll(0, 1 << 20);
        instances.get("g", "a");
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(INSTANCE_TIMEOUT_MS / 2 + 1));
        assertEquals(1, instances.expireIdle(), "b expired; a was active");
        assertEquals(ConsumerException.Reason.INSTANCE_NOT_FOUND,
                assertThrows(ConsumerException.class, () -> instances.get("g", "b")).reason());

        await("a owns every partition", () -> a.assignment().size() == 6);
        Map<TopicPartition, List<Long>> read = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
        for (int i = 0; i < 10; i++) {
            for (ConsumerInstance.Fetched f : poll(a, 0)) {
                read.computeIfAbsent(f.partition(), k -> new ArrayList<>()).add(f.record().offset());
            }
        }
        for (TopicPartition tp : ofB) {
            assertEquals(List.of(1L, 2L), read.get(tp), "b's partition " + tp + " resumes at b's commit");
        }
    }

    @Test
    void revocationCommitsOnlyWithAutoCommit() throws Exception {
        for (int p = 0; p < 6; p++) {
            append("t", p, "v");
        }
        ConsumerInstance manual = create("m", "x", false, ConsumerInstance.OffsetReset.EARLIEST);
        manual.subscribe(ManagedMember.Subscribed.topics(List.of("t")));
        await("x owns the topic", () -> manual.assignment().size() == 6);
        assertEquals(6, poll(manual, 0).size());
        ConsumerInstance other = create("m", "y", false, ConsumerInstance.OffsetReset.EARLIEST);
        other.subscribe(ManagedMember.Subscribed.topics(List.of("t")));
        await("the group rebalanced", () -> other.assignment().size() == 3 && manual.assignment().size() == 3);
        for (int p = 0; p < 6; p++) {
            assertEquals(-1, committed("m", new TopicPartition("t", p)), "nothing committed without auto commit");
        }

        ConsumerInstance auto = create("n", "x", true, ConsumerInstance.OffsetReset.EARLIEST);
        auto.subscribe(ManagedMember.Subscribed.topics(List.of("t")));
        await("x owns the topic", () -> auto.assignment().size() == 6);
        assertEquals(6, poll(auto, 0).size());
        ConsumerInstance second = create("n", "y", true, ConsumerInstance.OffsetReset.EARLIEST);
        second.subscribe(ManagedMember.Subscribed.topics(List.of("t")));
        await("the group rebalanced", () -> second.assignment().size() == 3 && auto.assignment().size() == 3);
        for (int p = 0; p < 6; p++) {
            assertEquals(1, committed("n", new TopicPartition("t", p)), "revocation committed the positions");
        }
    }

    @Test
    void aGroupOfAnotherKindIsRefused() throws Exception {
        Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
        ManagedMember ws = members.join(new ManagedMember.Settings("mixed", ManagedMember.Kind.WEBSOCKET,
                List.of(ManagedMember.Assignor.RANGE), "ws", "/127.0.0.1", 1_000, 1_000),
                ManagedMember.Subscribed.topics(List.of("t")), new ManagedMember.Listener() {
                    @Override
                    public void onAssigned(Set<TopicPartition> partitions, int generationId) {
                        owned.addAll(partitions);
                    }

                    @Override
                    public void onRevoked(Set<TopicPartition> partitions) {
                        owned.clear();
                    }

                    @Override
                    public void onFailed(Errors error, String message) {
                    }
                });
        try {
            await("the WebSocket member owns the topic", () -> owned.size() == 6);
            ConsumerInstance rest = create("mixed", "r", false, ConsumerInstance.OffsetReset.EARLIEST);
            ConsumerException e = assertThrows(ConsumerException.class,
                    () -> rest.subscribe(ManagedMember.Subscribed.topics(List.of("t"))));
            assertEquals(ConsumerException.Reason.ILLEGAL_STATE, e.reason());
            assertTrue(e.getMessage().contains("members of another kind"), e.getMessage());
        } finally {
            ws.close(ManagedMember.Departure.LEAVE).toCompletableFuture().join();
        }
    }
}
