package io.tributary.metadata;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;

/**
 * Kafka's rack-unaware replica placement ({@code AdminUtils.assignReplicasToBrokersRackUnaware}
 * in ZooKeeper-era Kafka).
 *
 * <p>Leaders go round-robin over the brokers starting at {@code startIndex}; the followers of a
 * partition follow its leader at a shift that grows by one each time the leaders have gone once
 * around the brokers, so the followers of one broker's partitions spread over the others instead
 * of all landing on its neighbour. No partition gets the same broker twice.
 *
 * <p>Stateless and thread-safe.
 */
public final class ReplicaAssignment {

    private ReplicaAssignment() {
    }

    /**
     * Assigns replicas for partitions {@code 0..partitions-1}.
     *
     * @param partitions        number of partitions, at least 1
     * @param replicationFactor replicas per partition, 1 to the number of brokers
     * @param liveBrokerIds     brokers to place on, sorted so the result is deterministic
     * @param startIndex        index into {@code liveBrokerIds} of the first leader; negative picks one at random
     * @return sorted, unmodifiable map from partition id to replica broker ids, leader first
     * @throws InvalidPartitionsException        if {@code partitions < 1}
     * @throws InvalidReplicationFactorException if the replication factor is below 1 or above the broker count
     */
    public static Map<Integer, List<Integer>> assign(int partitions, short replicationFactor, List<Integer> liveBrokerIds,
            int startIndex) {
        return assign(partitions, replicationFactor, liveBrokerIds, startIndex, 0);
    }

    /**
     * As {@link #assign(int, short, List, int)}, for partitions {@code startPartitionId..startPartitionId+partitions-1},
     * which is what adding partitions to an existing topic needs: the new partitions continue the
     * round-robin where the existing ones left off.
     */
    public static Map<Integer, List<Integer>> assign(int partitions, short replicationFactor, List<Integer> liveBrokerIds,
            int startIndex, int startPartitionId) {
        if (partitions < 1) {
            throw new InvalidPartitionsException("Number of partitions must be larger than 0.");
        }
        if (replicationFactor < 1) {
            throw new InvalidReplicationFactorException("Replication factor must be larger than 0.");
        }
        int brokers = liveBrokerIds.size();
        if (replicationFactor > brokers) {
            throw new InvalidReplicationFactorException(
                    "Replication factor: " + replicationFactor + " larger than available brokers: " + brokers + ".");
        }
        if (liveBrokerIds.stream().distinct().count() != brokers) {
            throw new IllegalArgumentException("duplicate broker ids in " + liveBrokerIds);
        }
        int start = startIndex >= 0 ? startIndex % brokers : ThreadLocalRandom.current().nextInt(brokers);
        int replicaShift = startIndex >= 0 ? startIndex % brokers : ThreadLocalRandom.current().nextInt(brokers);
        SortedMap<Integer, List<Integer>> result = new TreeMap<>();
        int partitionId = Math.max(0, startPartitionId);
        for (int i = 0; i < partitions; i++, partitionId++) {
            if (partitionId > 0 && partitionId % brokers == 0) {
                replicaShift++;
            }
            int firstReplicaIndex = (partitionId + start) % brokers;
            List<Integer> replicas = new ArrayList<>(replicationFactor);
            replicas.add(liveBrokerIds.get(firstReplicaIndex));
            for (int j = 0; j < replicationFactor - 1; j++) {
                replicas.add(liveBrokerIds.get(followerIndex(firstReplicaIndex, replicaShift, j, brokers)));
            }
            result.put(partitionId, List.copyOf(replicas));
        }
        return Collections.unmodifiableSortedMap(result);
    }

    // The shift is in 1..brokers-1, never 0 or a multiple of brokers, which is what keeps a
    // follower off its own leader's broker; only called when brokers >= 2.
    private static int followerIndex(int firstReplicaIndex, int replicaShift, int replica, int brokers) {
        int shift = 1 + (replicaShift + replica) % (brokers - 1);
        return (firstReplicaIndex + shift) % brokers;
    }
}
