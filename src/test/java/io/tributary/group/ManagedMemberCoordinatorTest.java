package io.tributary.group;

import io.tributary.config.GroupConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A managed member on a broker whose coordinator serves only the groups of the offsets partitions it
 * leads: turned away, it ends at once naming the coordinator the locator knows, and retries for at
 * most a session timeout while no coordinator is ready.
 */
class ManagedMemberCoordinatorTest {

    private static final int PARTITIONS = 4;
    private static final int SESSION_MS = 600;
    private static final String GROUP = "g";
    private static final int GROUP_PARTITION = OffsetsTopic.partitionFor(GROUP, PARTITIONS);
    private static final CoordinatorLocation.Elsewhere BROKER_2 =
            new CoordinatorLocation.Elsewhere(2, Optional.of("http://127.0.0.1:9082"));

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final CoordinatorPlacementTest.PartitionedStore store = new CoordinatorPlacementTest.PartitionedStore();
    private final GroupCoordinator coordinator = new GroupCoordinator(new GroupConfig(PARTITIONS, 1 << 20, 10, 60_000,
            0, 64), store, scheduler, Clock.systemUTC(), GroupCoordinator.Ownership.OFFSETS_PARTITION_LEADER);
    private volatile CoordinatorLocation location = CoordinatorLocation.UNKNOWN;
    private final ManagedMembers members = new ManagedMembers(coordinator, groupId -> location, scheduler,
            () -> Map.of("t", 2));

    {
        coordinator.start();
    }

    @AfterEach
    void stop() {
        coordinator.close();
        scheduler.shutdownNow();
    }

    /** What one member was told, in order. */
    static final class Recorder implements ManagedMember.Listener {
        final List<String> events = new CopyOnWriteArrayList<>();
        volatile Errors failed;
        volatile String message;
        volatile CoordinatorLocation.Elsewhere elsewhere;
        volatile long failedAtNanos;

        @Override
        public void onAssigned(Set<TopicPartition> partitions, int generationId) {
            events.add("assigned " + partitions.size());
        }

        @Override
        public void onRevoked(Set<TopicPartition> partitions) {
            events.add("revoked");
        }

        @Override
        public void onFailed(Errors error, String message) {
            failedAtNanos = System.nanoTime();
            this.message = message;
            failed = error;
            events.add("failed " + error);
        }

        @Override
        public void onCoordinatorElsewhere(CoordinatorLocation.Elsewhere coordinator, String message) {
            failedAtNanos = System.nanoTime();
            this.message = message;
            elsewhere = coordinator;
            events.add("elsewhere " + coordinator.brokerId());
        }
    }

    private ManagedMember join(Recorder recorder) {
        return members.join(new ManagedMember.Settings(GROUP, ManagedMember.Kind.WEBSOCKET,
                List.of(ManagedMember.Assignor.RANGE), "client", "/127.0.0.1", SESSION_MS, SESSION_MS),
                ManagedMember.Subscribed.topics(List.of("t")), recorder);
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

    @Test
    void aMemberJoiningOnABrokerThatIsNotTheCoordinatorEndsAtOnceNamingTheCoordinator() throws Exception {
        location = BROKER_2;
        Recorder r = new Recorder();
        long started = System.nanoTime();
        ManagedMember m = join(r);

        await("the member is told where the coordinator is", () -> r.elsewhere != null);
        assertTrue(Duration.ofNanos(r.failedAtNanos - started).toMillis() < SESSION_MS,
                "told at once, not after retrying");
        assertEquals(BROKER_2, r.elsewhere);
        assertTrue(r.message.contains("broker 2") && r.message.contains("http://127.0.0.1:9082"), r.message);
        assertEquals(List.of("elsewhere 2"), r.events);
        assertTrue(m.isClosed());
        assertEquals(0, members.size());
    }

    @Test
    void aCoordinatorStillLoadingIsWaitedFor() throws Exception {
        store.loadGate = new CountDownLatch(1);
        coordinator.elected(GROUP_PARTITION, 1);
        location = CoordinatorLocation.HERE;
        Recorder r = new Recorder();
        join(r);

        Thread.sleep(SESSION_MS / 2);
        assertTrue(r.events.isEmpty(), "no answer while the group loads: " + r.events);
        store.loadGate.countDown();
        await("the member is assigned once the group is loaded", () -> r.events.contains("assigned 2"));
        assertNull(r.failed);
    }

    @Test
    void withoutAnyCoordinatorForASessionTimeoutTheMemberFails() throws Exception {
        location = CoordinatorLocation.UNKNOWN;
        Recorder r = new Recorder();
        long started = System.nanoTime();
        ManagedMember m = join(r);

        await("the member gives up", () -> r.failed != null);
        assertEquals(Errors.COORDINATOR_NOT_AVAILABLE, r.failed);
        assertTrue(Duration.ofNanos(r.failedAtNanos - started).toMillis() >= SESSION_MS,
                "retried for a session timeout first");
        assertTrue(r.message.contains("'g'") && r.message.contains("NOT_COORDINATOR"), r.message);
        assertTrue(m.isClosed());
        assertEquals(0, members.size());
    }

    @Test
    void aCoordinatorThatAppearsWithinTheSessionTimeoutIsJoined() throws Exception {
        location = CoordinatorLocation.UNKNOWN;
        Recorder r = new Recorder();
        join(r);

        Thread.sleep(SESSION_MS / 3);
        coordinator.elected(GROUP_PARTITION, 1);
        location = CoordinatorLocation.HERE;
        await("the member is assigned", () -> r.events.contains("assigned 2"));
        assertNull(r.failed);
    }

    @Test
    void aMemberWhoseCoordinatorMovesAwayGivesUpItsPartitionsAndIsToldWhere() throws Exception {
        coordinator.elected(GROUP_PARTITION, 1);
        location = CoordinatorLocation.HERE;
        Recorder r = new Recorder();
        ManagedMember m = join(r);
        await("the member is assigned", () -> r.events.contains("assigned 2"));

        location = BROKER_2;
        coordinator.resigned(GROUP_PARTITION);
        await("the member is told where the coordinator went", () -> r.elsewhere != null);
        assertEquals(List.of("assigned 2", "revoked", "elsewhere 2"), r.events);
        assertTrue(m.assignment().isEmpty());
        assertTrue(m.isClosed());
        assertEquals(0, members.size());
    }

    @Test
    void theDefaultListenerHearsNotCoordinatorAsAFailure() throws Exception {
        location = BROKER_2;
        CopyOnWriteArrayList<Errors> failures = new CopyOnWriteArrayList<>();
        members.join(new ManagedMember.Settings(GROUP, ManagedMember.Kind.REST, List.of(ManagedMember.Assignor.RANGE),
                "client", "/127.0.0.1", SESSION_MS, SESSION_MS), ManagedMember.Subscribed.topics(List.of("t")),
                new ManagedMember.Listener() {
                    @Override
                    public void onAssigned(Set<TopicPartition> partitions, int generationId) {
                    }

                    @Override
                    public void onRevoked(Set<TopicPartition> partitions) {
                    }

                    @Override
                    public void onFailed(Errors error, String message) {
                        failures.add(error);
                    }
                });
        await("the failure arrives", () -> !failures.isEmpty());
        assertEquals(List.of(Errors.NOT_COORDINATOR), failures);
    }
}
