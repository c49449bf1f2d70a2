package io.tributary.group;

import java.util.OptionalInt;
import java.util.function.IntPredicate;
import java.util.function.IntUnaryOperator;

/**
 * Where a group is coordinated in a cluster, as in Kafka: a group's commits all go to partition
 * {@code abs(groupId.hashCode()) % partitions} of {@code __consumer_offsets}, and the broker that
 * leads that partition is the group's coordinator. While the partition has no leader (the topic was
 * just created, or its leader's broker died and no in-sync replica has taken over yet) there is no
 * coordinator, and clients are told COORDINATOR_NOT_AVAILABLE and retry.
 *
 * <p>Stateless and thread-safe.
 */
public final class CoordinatorPlacement {

    private CoordinatorPlacement() {
    }

    /**
     * The coordinator of a group whose offsets partition is {@code storePartition}.
     *
     * @param storePartition the group's partition of {@code __consumer_offsets}; empty while the topic does not exist
     * @param leaderOf       the published leader of a partition of {@code __consumer_offsets}, negative for none
     * @param live           whether a broker is registered (live) now
     * @return the coordinator's broker id, or empty when there is none now
     */
    public static OptionalInt coordinator(OptionalInt storePartition, IntUnaryOperator leaderOf, IntPredicate live) {
        if (storePartition.isEmpty()) {
            return OptionalInt.empty();
        }
        int leader = leaderOf.applyAsInt(storePartition.getAsInt());
        return leader >= 0 && live.test(leader) ? OptionalInt.of(leader) : OptionalInt.empty();
    }
}
