package io.tributary.broker;

import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.LogManagerConfig;
import io.tributary.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A leader and its followers as three {@link Partition}s on real logs in one JVM; the follower
 * fetches are made by hand, as the replica fetcher makes them, so each step can be checked.
 */
class PartitionReplicationTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);

    @TempDir
    Path tmp;

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<LogManager> managers = new ArrayList<>();
    /** ISR proposals the "ZooKeeper" accepted, in order. */
    private final List<List<Integer>> isrWrites = new ArrayList<>();

    @AfterEach
    void close() {
        managers.forEach(LogManager::close);
        scheduler.shutdownNow();
        executor.shutdownNow();
    }

    private PartitionLog log(int broker, Map<String, String> configs) {
        LogConfig config = LogConfig.defaults().withOverrides(configs);
        LogManager logs = new LogManager(new LogManagerConfig(List.of(tmp.resolve("broker-" + broker)), 60_000, 60_000, 1),
                config, Clock.systemUTC(), scheduler, executor);
        logs.startup(t -> config).join();
        managers.add(logs);
        return logs.getOrCreateLog(TP, config);
    }

    private Partition partition(int broker, Partition.ReplicaState state, Map<String, String> configs) {
        Partition.IsrChannel channel = (p, expected, isr) -> {
            isrWrites.add(isr);
            return CompletableFuture.completedFuture(new Partition.ReplicaState(expected.leader(), expected.leaderEpoch(),
                    expected.replicas(), isr, expected.controllerEpoch(), expected.zkVersion() + 1));
        };
        return new Partition(broker, log(broker, configs), state, now::get, channel);
    }

    private static Partition.ReplicaState state(int leader, int epoch, List<Integer> isr) {
        return new Partition.ReplicaState(leader, epoch, List.of(1, 2, 3), isr, 1, 0);
    }

    private static MemoryRecords batch(String... values) {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, 0L);
        for (String v : values) {
            b.append(1_000L, null, v.getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    /** What a follower's fetch carries over the wire: the leader's bytes, read into memory. */
    private static MemoryRecords copy(Records records) {
        ByteBuffer buf = ByteBuffer.allocate(records.sizeInBytes());
        for (var batch : records.batches()) {
            batch.writeTo(buf);
        }
        buf.flip();
        return MemoryRecords.readableRecords(buf);
    }

    /** One fetch round of a follower: what the leader returns lands at the same offsets. */
    private void fetch(Partition leader, Partition follower, int followerId) {
        var read = leader.fetchForFollower(followerId, follower.log().logEndOffset(), 1 << 20,
                follower.state().leaderEpoch());
        assertTrue(follower.appendAsFollower(copy(read.records()), follower.state().leaderEpoch(),
                leader.log().highWatermark()));
    }

    @Test
    void aLeaderWithoutItsZooKeeperSessionRefusesWritesAndCommitsNothingUntilItIsBack() {
        Map<String, String> cfg = Map.of("min.insync.replicas", "2");
        java.util.concurrent.atomic.AtomicBoolean session = new java.util.concurrent.atomic.AtomicBoolean(true);
        Partition.IsrChannel channel = (p, expected, isr) -> {
            isrWrites.add(isr);
            return CompletableFuture.completedFuture(null);
        };
        Partition leader = new Partition(1, log(1, cfg), new Partition.ReplicaState(1, 0, List.of(1, 2), List.of(1, 2), 1, 0),
                now::get, channel, session::get);
        Partition f2 = new Partition(2, log(2, cfg), new Partition.ReplicaState(1, 0, List.of(1, 2), List.of(1, 2), 1, 0));

        var info = leader.appendAsLeader(batch("a", "b"), (short) -1);
        CompletableFuture<Errors> waiting = leader.awaitReplication(info.lastOffset() + 1);
        session.set(false);
        leader.authorityLost();
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, waiting.getNow(null), "a waiting produce is not acknowledged");
        assertThrows(NotLeaderOrFollowerException.class, () -> leader.appendAsLeader(batch("c"), (short) -1));
        assertThrows(NotLeaderOrFollowerException.class, () -> leader.appendAsLeader(batch("c"), (short) 1));
        fetch(leader, f2, 2);
        fetch(leader, f2, 2);
        assertEquals(0, leader.log().highWatermark(), "nothing committed without the session");
        now.addAndGet(60_000);
        leader.maybeShrinkIsr(10_000);
        assertTrue(isrWrites.isEmpty(), "no ISR change without the session");

        session.set(true);
        fetch(leader, f2, 2);
        assertEquals(2, leader.log().highWatermark(), "committed again once the session is back");
        assertEquals(2, leader.appendAsLeader(batch("c"), (short) -1).firstOffset());
    }

    @Test
    void followersMoveTheirLogStartToTheLeadersAfterDeleteRecords() {
        Partition leader = partition(1, state(1, 0, List.of(1, 2)), Map.of());
        Partition f2 = partition(2, state(1, 0, List.of(1, 2)), Map.of());
        leader.appendAsLeader(batch("a", "b"), (short) 1);
        leader.appendAsLeader(batch("c", "d"), (short) 1);
        fetch(leader, f2, 2);
        fetch(leader, f2, 2);
        assertEquals(4, leader.log().highWatermark());
        assertEquals(3, leader.log().deleteRecordsBefore(3));

        var read = leader.fetchForFollower(2, f2.log().logEndOffset(), 1 << 20, f2.state().leaderEpoch());
        assertTrue(f2.appendAsFollower(copy(read.records()), f2.state().leaderEpoch(), leader.log().highWatermark(),
                leader.log().logStartOffset()));
        assertEquals(3, f2.log().logStartOffset(), "the follower no longer holds what the leader deleted");
    }

    @Test
    void theHighWatermarkWaitsForEveryInSyncReplicaAndAcksAllCompletesThen() {
        Map<String, String> cfg = Map.of("min.insync.replicas", "2");
        Partition leader = partition(1, state(1, 0, List.of(1, 2, 3)), cfg);
        Partition f2 = partition(2, state(1, 0, List.of(1, 2, 3)), cfg);
        Partition f3 = partition(3, state(1, 0, List.of(1, 2, 3)), cfg);

        var info = leader.appendAsLeader(batch("a", "b"), (short) -1);
        CompletableFuture<Errors> acked = leader.awaitReplication(info.lastOffset() + 1);
        assertEquals(0, leader.log().highWatermark());
        fetch(leader, f2, 2);
        fetch(leader, f3, 3);
        assertFalse(acked.isDone(), "followers have the records but the leader has not heard so yet");
        fetch(leader, f2, 2);
        assertEquals(0, leader.log().highWatermark(), "broker 3 has not confirmed");
        fetch(leader, f3, 3);
        assertEquals(2, leader.log().highWatermark());
        assertEquals(Errors.NONE, acked.getNow(null));
        assertEquals(List.of(0L, 1L), offsets(f3.log()));
        assertEquals(leader.log().leaderEpochs(), f3.log().leaderEpochs());
    }

    @Test
    void aLaggingFollowerLeavesTheIsrAndComesBackWhenCaughtUp() {
        Map<String, String> cfg = Map.of("min.insync.replicas", "2");
        Partition leader = partition(1, state(1, 0, List.of(1, 2, 3)), cfg);
        Partition f2 = partition(2, state(1, 0, List.of(1, 2, 3)), cfg);
        Partition f3 = partition(3, state(1, 0, List.of(1, 2, 3)), cfg);
        fetch(leader, f2, 2);
        fetch(leader, f3, 3);
        leader.appendAsLeader(batch("a"), (short) -1);
        fetch(leader, f2, 2);
        fetch(leader, f2, 2);
        now.addAndGet(10_001);
        fetch(leader, f2, 2);
        leader.maybeShrinkIsr(10_000);
        assertEquals(List.of(List.of(1, 2)), isrWrites);
        assertEquals(List.of(1, 2), leader.state().isr());
        assertEquals(1, leader.log().highWatermark(), "the smaller ISR commits at once");

        fetch(leader, f3, 3);
        fetch(leader, f3, 3);
        assertEquals(List.of(1, 2, 3), leader.state().isr());
    }

    @Test
    void acksAllNeedsMinInsyncReplicas() {
        Partition leader = partition(1, state(1, 0, List.of(1)), Map.of("min.insync.replicas", "2"));
        assertThrows(NotEnoughReplicasException.class, () -> leader.appendAsLeader(batch("a"), (short) -1));
        assertEquals(0, leader.log().logEndOffset(), "nothing appended");
        leader.appendAsLeader(batch("a"), (short) 1);
        assertEquals(1, leader.log().logEndOffset());
    }

    @Test
    void aNewLeaderFencesOldEpochsAndAFollowerTruncatesWhatTheNewLeaderNeverHad() {
        Partition leader = partition(1, state(1, 0, List.of(1, 2)), Map.of());
        Partition f2 = partition(2, state(1, 0, List.of(1, 2)), Map.of());
        leader.appendAsLeader(batch("a", "b"), (short) 1);
        fetch(leader, f2, 2);
        fetch(leader, f2, 2);
        // Broker 1 writes more that broker 2 never fetches, then broker 2 takes over in epoch 1.
        leader.appendAsLeader(batch("lost"), (short) 1);
        f2.updateState(state(2, 1, List.of(2)));
        leader.updateState(state(2, 1, List.of(2)));
        assertThrows(NotLeaderOrFollowerException.class, () -> leader.appendAsLeader(batch("x"), (short) 1));
        f2.appendAsLeader(batch("c"), (short) 1);
        assertThrows(FencedLeaderEpochException.class, () -> f2.fetchForFollower(1, 0, 1024, 0));

        // Broker 1 asks where its latest epoch (0) ends at the new leader, and truncates there.
        var end = f2.endOffsetForEpoch(0, 1);
        assertEquals(0, end.leaderEpoch());
        assertEquals(2, end.endOffset());
        long target = ReplicaFetcher.truncationOffset(leader.log(), end.leaderEpoch(), end.endOffset());
        assertEquals(2, target);
        assertTrue(leader.truncateAsFollower(target, 1));
        fetch(f2, leader, 1);
        assertEquals(List.of(0L, 1L, 2L), offsets(leader.log()));
        assertEquals(values(f2.log()), values(leader.log()));
        assertEquals(Map.of(0, 0L, 1, 2L), leader.log().leaderEpochs());
    }

    @Test
    void aFetchFromADeposedLeaderIsNotAppended() {
        Partition f2 = partition(2, state(1, 0, List.of(1, 2)), Map.of());
        f2.updateState(state(3, 1, List.of(3, 2)));
        assertFalse(f2.appendAsFollower(batch("stale"), 0, 1));
        assertEquals(0, f2.log().logEndOffset());
    }

    private static List<Long> offsets(PartitionLog log) {
        List<Long> out = new ArrayList<>();
        log.read(log.logStartOffset(), Integer.MAX_VALUE, Long.MAX_VALUE, true).records().records()
                .forEach(r -> out.add(r.offset()));
        return out;
    }

    private static List<String> values(PartitionLog log) {
        List<String> out = new ArrayList<>();
        log.read(log.logStartOffset(), Integer.MAX_VALUE, Long.MAX_VALUE, true).records().records()
                .forEach(r -> out.add(StandardCharsets.UTF_8.decode(r.value()).toString()));
        return out;
    }
}
