package io.tributary.metadata;

import java.util.List;

/**
 * Leader and in-sync replicas of one partition, as stored in
 * {@code /brokers/topics/<t>/partitions/<p>/state}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param leader          leader broker id, or -1 when the partition has no leader
 * @param leaderEpoch     bumped on every leader change
 * @param isr             in-sync replica broker ids
 * @param controllerEpoch epoch of the controller that wrote this state
 * @param zkVersion       the znode version this state was read at (not part of the JSON); writes
 *                        are conditional on it, and -1 means "the znode does not exist yet"
 */
public record PartitionState(int leader, int leaderEpoch, List<Integer> isr, int controllerEpoch, int zkVersion) {

    /** Leader id Kafka writes when a partition has no leader. */
    public static final int NO_LEADER = -1;

    public PartitionState {
        isr = List.copyOf(isr);
    }

    /** A copy carrying another znode version, e.g. the one a successful write produced. */
    public PartitionState withZkVersion(int newZkVersion) {
        return new PartitionState(leader, leaderEpoch, isr, controllerEpoch, newZkVersion);
    }
}
