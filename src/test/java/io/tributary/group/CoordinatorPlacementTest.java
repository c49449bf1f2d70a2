package io.tributary.group;

import io.tributary.config.GroupConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coordinator placement: which broker coordinates a group, and a coordinator that serves only the
 * groups of the offsets partitions it leads, loading and unloading them as leadership moves.
 */
class CoordinatorPlacementTest {

    private static final int PARTITIONS = 4;
    private static final TopicPartition TP = new TopicPartition("t", 0);

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    private final PartitionedStore store = new PartitionedStore();
    private final GroupCoordinator coordinator = new GroupCoordinator(new GroupConfig(PARTITIONS, 1 << 20, 10, 60_000,
            0, 64), store, scheduler, Clock.systemUTC(), GroupCoordinator.Ownership.OFFSETS_PARTITION_LEADER);

    /** An in-memory store with partitions, whose loads can be held back and whose appends can fail. */
    static final class PartitionedStore implements OffsetStore {
        final List<Object[]> log = new ArrayList<>();
        volatile int partitions = PARTITIONS;
        final AtomicInteger creations = new AtomicInteger();
        volatile CountDownLatch loadGate = new CountDownLatch(0);
        final AtomicReference<RuntimeException> appendFailure = new AtomicReference<>();

        @Override
        public synchronized void append(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
            RuntimeException failure = appendFailure.get();
            if (failure != null) {
                throw failure;
            }
            offsets.forEach((tp, o) -> log.add(new Object[] {groupId, tp, o}));
        }

        @Override
        public synchronized void delete(String groupId, Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> log.add(new Object[] {groupId, tp, null}));
        }

        @Override
        public void load(Visitor visitor) {
            throw new AssertionError("a partitioned coordinator loads partition by partition");
        }

        @Override
        public void load(int partition, Visitor visitor) {
            try {
                assertTrue(loadGate.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            List<Object[]> copy;
            synchronized (this) {
                copy = List.copyOf(log);
            }
            for (Object[] e : copy) {
                if (OffsetsTopic.partitionFor((String) e[0], partitions) == partition) {
                    visitor.committed((String) e[0], (TopicPartition) e[1], (CommittedOffset) e[2]);
                }
            }
        }

        @Override
        public int partitionCount() {
            return partitions;
        }

        @Override
        public void ensureCreated() {
            creations.incrementAndGet();
        }
    }

    @AfterEach
    void stop() {
        coordinator.close();
        scheduler.shutdownNow();
    }

    /** A group id stored in the given partition. */
    private static String groupIn(int partition) {
        for (int i = 0; ; i++) {
            String id = "group-" + i;
            if (OffsetsTopic.partitionFor(id, PARTITIONS) == partition) {
                return id;
            }
        }
    }

    private static GroupCoordinator.JoinRequest join(String groupId) {
        return new GroupCoordinator.JoinRequest(groupId, "", null, "client", "/127.0.0.1", 10_000, 5_000, "consumer",
                List.of(new GroupCoordinator.Protocol("range", new byte[] {1})), false);
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void awaitLoaded(String groupId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (coordinator.coordinatorError(groupId) == Errors.COORDINATOR_LOAD_IN_PROGRESS) {
            assertTrue(System.nanoTime() < deadline, "partition loads");
            Thread.sleep(10);
        }
    }

    private CommittedOffset offset(long value) {
        return new CommittedOffset(value, -1, "", 0);
    }

    @Test
    void aGroupsPartitionIsKafkasAbsoluteHashModuloThePartitionCount() {
        for (String id : List.of("", "a", "console-consumer-12345", "groupé", "x".repeat(300))) {
            assertEquals(Utils.abs(id.hashCode()) % 50, OffsetsTopic.partitionFor(id, 50), id);
        }
        // Integer.MIN_VALUE's absolute value overflows; Kafka's abs maps it to 0.
        assertEquals(0, Utils.abs(Integer.MIN_VALUE));
    }

    @Test
    void theCoordinatorIsTheLiveLeaderOfTheGroupsPartitionAndThereIsNoneWithoutOne() {
        Map<Integer, Integer> leaders = Map.of(0, 2, 1, -1, 2, 7);
        Set<Integer> live = Set.of(1, 2, 3);
        assertEquals(OptionalInt.of(2), CoordinatorPlacement.coordinator(OptionalInt.of(0), leaders::get, live::contains));
        assertEquals(OptionalInt.empty(), CoordinatorPlacement.coordinator(OptionalInt.of(1), leaders::get, live::contains),
                "an offline partition has no coordinator");
        assertEquals(OptionalInt.empty(), CoordinatorPlacement.coordinator(OptionalInt.of(2), leaders::get, live::contains),
                "a leader whose broker is gone is no coordinator");
        assertEquals(OptionalInt.empty(), CoordinatorPlacement.coordinator(OptionalInt.empty(), leaders::get, live::contains),
                "no offsets topic yet, no coordinator");
    }

    @Test
    void theOffsetsTopicsReplicationFactorIsCappedAtTheLiveBrokers() {
        assertEquals(3, OffsetsTopic.replicationFactor((short) 3, 5));
        assertEquals(3, OffsetsTopic.replicationFactor((short) 3, 3));
        assertEquals(2, OffsetsTopic.replicationFactor((short) 3, 2));
        assertEquals(1, OffsetsTopic.replicationFactor((short) 3, 0));
    }

    @Test
    void withoutTheOffsetsTopicGroupsHaveNoCoordinatorAndTheTopicIsCreated() {
        store.partitions = 0;
        coordinator.start();
        assertEquals(Errors.COORDINATOR_NOT_AVAILABLE, coordinator.coordinatorError("g"));
        assertTrue(store.creations.get() >= 1, "the first look-up creates the offsets topic");
    }

    @Test
    void groupsOfPartitionsLedElsewhereAreAnsweredNotCoordinator() throws Exception {
        coordinator.start();
        coordinator.elected(0, 5);
        String other = groupIn(1);
        assertEquals(Errors.NOT_COORDINATOR, await(coordinator.join(join(other))).error());
        assertEquals(Errors.NOT_COORDINATOR, coordinator.heartbeat(other, "m", null, 1));
        assertEquals(Map.of(TP, Errors.NOT_COORDINATOR), coordinator.commitOffsets(other, "", null, -1, Map.of(TP, offset(3))));
        assertTrue(store.log.isEmpty(), "nothing is stored for a group coordinated elsewhere");
        awaitLoaded(groupIn(0));
        assertEquals(Errors.NONE, await(coordinator.join(join(groupIn(0)))).error());
    }

    @Test
    void aPartitionIsLoadInProgressUntilItsGroupsAreLoadedThenTheirOffsetsAreServed() throws Exception {
        String group = groupIn(2);
        store.append(group, Map.of(TP, offset(42)));
        store.loadGate = new CountDownLatch(1);
        coordinator.start();
        coordinator.elected(2, 1);
        assertEquals(Errors.COORDINATOR_LOAD_IN_PROGRESS, coordinator.coordinatorError(group));
        assertEquals(Errors.COORDINATOR_LOAD_IN_PROGRESS, await(coordinator.join(join(group))).error());
        store.loadGate.countDown();
        awaitLoaded(group);
        assertEquals(Errors.NONE, coordinator.coordinatorError(group));
        assertEquals(42, coordinator.fetchOffsets(group, Optional.of(List.of(TP))).get(TP).offset());
    }

    @Test
    void resigningUnloadsThePartitionsGroupsAndAnswersTheirWaitingMembers() throws Exception {
        String leaving = groupIn(3);
        String staying = groupIn(0);
        coordinator.start();
        coordinator.elected(3, 1);
        coordinator.elected(0, 1);
        awaitLoaded(leaving);
        awaitLoaded(staying);
        assertEquals(Map.of(TP, Errors.NONE), coordinator.commitOffsets(leaving, "", null, -1, Map.of(TP, offset(7))));
        assertEquals(Map.of(TP, Errors.NONE), coordinator.commitOffsets(staying, "", null, -1, Map.of(TP, offset(8))));
        // A second member's join waits for the first member to rejoin.
        GroupCoordinator.JoinResult first = await(coordinator.join(join(leaving)));
        assertEquals(Errors.NONE, first.error());
        CompletableFuture<GroupCoordinator.JoinResult> waiting = coordinator.join(join(leaving)).toCompletableFuture();
        assertFalse(waiting.isDone());

        coordinator.resigned(3);
        assertEquals(Errors.NOT_COORDINATOR, await(waiting).error());
        assertEquals(Errors.NOT_COORDINATOR, coordinator.coordinatorError(leaving));
        assertTrue(coordinator.listGroups().stream().noneMatch(g -> g.groupId().equals(leaving)));
        assertEquals(8, coordinator.fetchOffsets(staying, Optional.of(List.of(TP))).get(TP).offset(),
                "groups of other partitions stay");

        // Elected again (the offsets are in the store, as the new leader's log would hold them).
        coordinator.elected(3, 2);
        awaitLoaded(leaving);
        assertEquals(7, coordinator.fetchOffsets(leaving, Optional.of(List.of(TP))).get(TP).offset());
    }

    @Test
    void aLoadOvertakenByAResignationIsDropped() throws Exception {
        String group = groupIn(1);
        store.append(group, Map.of(TP, offset(5)));
        store.loadGate = new CountDownLatch(1);
        coordinator.start();
        coordinator.elected(1, 1);
        coordinator.resigned(1);
        store.loadGate.countDown();
        Thread.sleep(200);
        assertEquals(Errors.NOT_COORDINATOR, coordinator.coordinatorError(group));
        assertTrue(coordinator.listGroups().isEmpty());
        assertEquals(Set.of(), coordinator.ownedPartitions());
    }

    @Test
    void aCommitTheStoreCannotReplicateIsNotAcknowledgedNorVisible() throws Exception {
        String group = groupIn(0);
        coordinator.start();
        coordinator.elected(0, 1);
        awaitLoaded(group);
        store.appendFailure.set(new NotLeaderOrFollowerException("moved"));
        assertEquals(Map.of(TP, Errors.NOT_COORDINATOR), coordinator.commitOffsets(group, "", null, -1, Map.of(TP, offset(1))));
        store.appendFailure.set(new NotEnoughReplicasException("too few"));
        assertEquals(Map.of(TP, Errors.COORDINATOR_NOT_AVAILABLE),
                coordinator.commitOffsets(group, "", null, -1, Map.of(TP, offset(2))));
        assertEquals(GroupCoordinator.NO_OFFSET, coordinator.fetchOffsets(group, Optional.of(List.of(TP))).get(TP));
        store.appendFailure.set(null);
        assertEquals(Map.of(TP, Errors.NONE), coordinator.commitOffsets(group, "", null, -1, Map.of(TP, offset(3))));
        assertEquals(3, coordinator.fetchOffsets(group, Optional.of(List.of(TP))).get(TP).offset());
    }

    @Test
    void aCoordinatorOfEveryGroupServesAnyGroupWithoutElections() throws Exception {
        GroupCoordinator single = new GroupCoordinator(GroupConfig.defaults(), OffsetStore.NONE, scheduler, Clock.systemUTC());
        single.start();
        try {
            assertEquals(Errors.NONE, single.coordinatorError(groupIn(1)));
            assertEquals(Errors.INVALID_GROUP_ID, single.coordinatorError(""));
        } finally {
            single.close();
        }
    }
}
