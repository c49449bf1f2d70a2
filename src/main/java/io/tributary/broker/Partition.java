package io.tributary.broker;

import io.tributary.storage.PartitionLog;
import io.tributary.storage.PartitionLog.LogAppendInfo;
import io.tributary.storage.PartitionLog.LogReadInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.util.List;

/**
 * A partition hosted by this broker: its log plus its replication state (leader, leader epoch,
 * in-sync replicas). With one replica the in-sync set is this broker alone, so the high watermark
 * follows the log end offset on every append; replication will move it only when followers have
 * the records.
 *
 * <p>Thread-safe: appends are serialised by the log; the replication state is replaced as a whole
 * through a volatile reference.
 */
public final class Partition {

    /** Who leads and who is in sync, as last published in ZooKeeper. */
    public record ReplicaState(int leader, int leaderEpoch, List<Integer> replicas, List<Integer> isr) {
        public ReplicaState {
            replicas = List.copyOf(replicas);
            isr = List.copyOf(isr);
        }
    }

    private final int localBrokerId;
    private final PartitionLog log;
    private volatile ReplicaState state;

    Partition(int localBrokerId, PartitionLog log, ReplicaState state) {
        this.localBrokerId = localBrokerId;
        this.log = log;
        this.state = state;
        // A loaded log starts with its high watermark at the log start offset; a sole in-sync
        // replica has everything it holds committed.
        maybeAdvanceHighWatermark();
    }

    public TopicPartition topicPartition() {
        return log.topicPartition();
    }

    public PartitionLog log() {
        return log;
    }

    public ReplicaState state() {
        return state;
    }

    void updateState(ReplicaState newState) {
        this.state = newState;
        maybeAdvanceHighWatermark();
    }

    public boolean isLeader() {
        return state.leader() == localBrokerId;
    }

    /**
     * Appends a batch as the partition's leader and, when every in-sync replica has it, makes it
     * visible to readers by advancing the high watermark.
     */
    public LogAppendInfo appendAsLeader(MemoryRecords records) {
        ReplicaState current = state;
        if (current.leader() != localBrokerId) {
            throw new NotLeaderOrFollowerException("Broker " + localBrokerId + " does not lead " + topicPartition()
                    + "; the leader is broker " + current.leader());
        }
        LogAppendInfo info = log.appendAsLeader(records, current.leaderEpoch());
        maybeAdvanceHighWatermark();
        return info;
    }

    /** Reads committed records only: nothing at or above the high watermark is returned. */
    public LogReadInfo readCommitted(long offset, int maxBytes, boolean minOneMessage) {
        return log.read(offset, maxBytes, log.highWatermark(), minOneMessage);
    }

    private void maybeAdvanceHighWatermark() {
        ReplicaState current = state;
        if (current.leader() == localBrokerId && current.isr().size() <= 1) {
            log.updateHighWatermark(log.logEndOffset());
        }
    }
}
