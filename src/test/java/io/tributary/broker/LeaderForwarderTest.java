package io.tributary.broker;

import io.tributary.config.GroupConfig;
import io.tributary.group.GroupCoordinator;
import io.tributary.group.OffsetStore;
import io.tributary.protocol.BrokerContext;
import io.tributary.protocol.KafkaProtocol;
import io.tributary.protocol.KafkaServer;
import io.tributary.records.ProducedRecord;
import io.tributary.records.RecordBatches;
import io.tributary.testing.SingleBrokerStack;
import io.tributary.testing.SingleBrokerStack.ReplicaUpdates;
import io.tributary.testing.SingleBrokerStack.TopicCreation;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forwarding to a partition's leader against a real broker stack (embedded ZooKeeper, logs, the
 * Kafka listener on a real socket) playing the leader, broker 0; the forwarder is broker 1.
 */
class LeaderForwarderTest {

    private static final TopicPartition TP = new TopicPartition("fwd", 0);
    /** The one topic whose records a test deletes, so the others can read from offset 0. */
    private static final TopicPartition DELETED = new TopicPartition("fwd-deleted", 0);

    @TempDir
    static Path tmp;
    static SingleBrokerStack stack;
    static KafkaServer leader;
    static GroupCoordinator groups;

    @BeforeAll
    static void start() throws Exception {
        stack = SingleBrokerStack.start(tmp, "127.0.0.1", TopicCreation.EXPLICIT_ONLY, ReplicaUpdates.FOLLOW_METADATA);
        ScheduledExecutorService scheduler = stack.scheduler();
        ExecutorService executor = stack.executor();
        groups = new GroupCoordinator(GroupConfig.defaults(), OffsetStore.NONE, scheduler, Clock.systemUTC());
        groups.start();
        BrokerContext context = new BrokerContext(stack.self(), stack.metadata().clusterId(), "PLAINTEXT",
                stack.metadata(), stack.replicas(), stack.topics(), false, executor, scheduler, Clock.systemUTC(),
                List.of(), groups);
        leader = new KafkaServer(new InetSocketAddress("127.0.0.1", 0), 100 << 20, 1, 60_000,
                Executors.defaultThreadFactory(), executor, KafkaProtocol.apis(context));
        leader.start();
        stack.topics().create(TP.topic(), Optional.of(1), Optional.empty(), Map.of("max.message.bytes", "2000"));
        stack.topics().create(DELETED.topic(), Optional.of(1), Optional.empty(), Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        leader.close();
        groups.close();
        stack.close();
    }

    private static LeaderForwarder forwarder(int leaderId, Optional<InetSocketAddress> address) {
        return new LeaderForwarder(1, id -> id == leaderId ? address : Optional.empty(), tp -> leaderId, 5_000, 3, 20);
    }

    private static LeaderForwarder toLeader() {
        return forwarder(0, Optional.of(new InetSocketAddress("127.0.0.1", leader.port())));
    }

    private static MemoryRecords batch(int size, String... values) {
        List<ProducedRecord> records = new ArrayList<>();
        for (String v : values) {
            records.add(new ProducedRecord(null, java.nio.ByteBuffer.wrap(v.repeat(size).getBytes(StandardCharsets.UTF_8)),
                    System.currentTimeMillis(), null));
        }
        return RecordBatches.build(records, "uncompressed", Integer.MAX_VALUE, System.currentTimeMillis()).get(0);
    }

    @Test
    void aForwardedProduceLandsAtTheLeaderAndAForwardedReadReturnsItsCommittedRecords() {
        try (LeaderForwarder f = toLeader()) {
            long before = f.fetch(TP, 0, 1 << 20).highWatermark();
            LeaderForwarder.Appended first = f.produce(TP, batch(1, "a", "b"));
            LeaderForwarder.Appended second = f.produce(TP, batch(1, "c"));
            assertEquals(before, first.baseOffset());
            assertEquals(before + 2, second.baseOffset());
            assertEquals(-1, first.logAppendTimeMs(), "CreateTime topics keep the producer's timestamps");

            LeaderForwarder.Fetched fetched = f.fetch(TP, before, 1 << 20);
            assertEquals(before + 3, fetched.highWatermark());
            List<String> values = new ArrayList<>();
            RecordBatches.forEach(fetched.records(), before, 100, r -> values.add(StandardCharsets.UTF_8.decode(r.value()).toString()));
            assertEquals(List.of("a", "b", "c"), values);
        }
    }

    @Test
    void forwardedOffsetsAndDeleteRecordsAreTheLeaders() {
        try (LeaderForwarder f = toLeader()) {
            f.produce(DELETED, batch(1, "d", "e", "f"));
            long hw = f.fetch(DELETED, 0, 1 << 20).highWatermark();
            LeaderForwarder.LeaderOffsets before = f.offsets(DELETED);
            assertEquals(stack.logs().log(DELETED).orElseThrow().logStartOffset(), before.logStartOffset());
            assertEquals(hw, before.highWatermark());

            long start = f.deleteRecords(DELETED, hw - 1);
            assertEquals(hw - 1, start);
            assertEquals(hw - 1, stack.logs().log(DELETED).orElseThrow().logStartOffset(), "deleted at the leader");
            assertEquals(new LeaderForwarder.LeaderOffsets(hw - 1, hw), f.offsets(DELETED));

            assertThrows(OffsetOutOfRangeException.class, () -> f.deleteRecords(DELETED, hw + 10),
                    "beyond the high watermark, as the leader answers");
            assertThrows(OffsetOutOfRangeException.class, () -> f.deleteRecords(DELETED, -1),
                    "a negative offset is refused, not read as DeleteRecords' 'the high watermark'");
            assertEquals(hw - 1, stack.logs().log(DELETED).orElseThrow().logStartOffset());
        }
    }

    @Test
    void theLeadersErrorsAreTheAnswer() {
        try (LeaderForwarder f = toLeader()) {
            OffsetOutOfRangeException beyond = assertThrows(OffsetOutOfRangeException.class, () -> f.fetch(TP, 1_000, 1024));
            assertTrue(beyond.getMessage().contains("1000"), beyond.getMessage());
            assertThrows(RecordTooLargeException.class, () -> f.produce(TP, batch(3_000, "x")),
                    "the topic's max.message.bytes is the leader's to enforce");
        }
    }

    @Test
    void withoutAReachableLeaderItGivesUpAfterItsAttemptsWithARetriableError() throws Exception {
        try (LeaderForwarder noLeader = forwarder(-1, Optional.empty())) {
            assertThrows(LeaderNotAvailableException.class, () -> noLeader.produce(TP, batch(1, "x")));
        }
        try (LeaderForwarder unregistered = forwarder(2, Optional.empty())) {
            assertThrows(LeaderNotAvailableException.class, () -> unregistered.fetch(TP, 0, 1024));
        }
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (LeaderForwarder unreachable = forwarder(0, Optional.of(new InetSocketAddress("127.0.0.1", closedPort)))) {
            LeaderNotAvailableException e = assertThrows(LeaderNotAvailableException.class,
                    () -> unreachable.produce(TP, batch(1, "x")));
            assertTrue(e.getMessage().contains("3 attempts"), e.getMessage());
        }
    }

    @Test
    void aPartitionLedByThisBrokerIsHandedBack() {
        try (LeaderForwarder self = new LeaderForwarder(1, id -> Optional.empty(), tp -> 1, 5_000, 3, 20)) {
            assertThrows(LeaderForwarder.LeaderIsLocal.class, () -> self.fetch(TP, 0, 1024));
        }
    }
}
