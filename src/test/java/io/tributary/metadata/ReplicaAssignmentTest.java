package io.tributary.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.junit.jupiter.api.Test;

class ReplicaAssignmentTest {

    private static final List<Integer> BROKERS = List.of(0, 1, 2, 3, 4);

    @Test
    void matchesKafkasRackUnawareLayout() {
        // Kafka's AdminUtils documentation example: 5 brokers, 10 partitions, 3 replicas, start index 0.
        Map<Integer, List<Integer>> a = ReplicaAssignment.assign(10, (short) 3, BROKERS, 0);
        assertEquals(List.of(0, 1, 2), a.get(0));
        assertEquals(List.of(1, 2, 3), a.get(1));
        assertEquals(List.of(4, 0, 1), a.get(4));
        assertEquals(List.of(0, 2, 3), a.get(5));
        assertEquals(List.of(4, 1, 2), a.get(9));
    }

    @Test
    void leadersAreSpreadEvenly() {
        Map<Integer, List<Integer>> a = ReplicaAssignment.assign(20, (short) 2, BROKERS, 3);
        Map<Integer, Integer> leaders = new HashMap<>();
        a.values().forEach(r -> leaders.merge(r.get(0), 1, Integer::sum));
        assertEquals(5, leaders.size());
        leaders.values().forEach(count -> assertEquals(4, count));
    }

    @Test
    void noPartitionHasTwoReplicasOnOneBroker() {
        for (int brokers = 1; brokers <= 6; brokers++) {
            List<Integer> ids = java.util.stream.IntStream.range(0, brokers).map(i -> 100 + i).boxed().toList();
            for (short rf = 1; rf <= brokers; rf++) {
                for (int start = 0; start < brokers; start++) {
                    Map<Integer, List<Integer>> a = ReplicaAssignment.assign(3 * brokers + 1, rf, ids, start);
                    for (List<Integer> replicas : a.values()) {
                        assertEquals(rf, replicas.size());
                        assertEquals(rf, new HashSet<>(replicas).size(), "duplicate in " + replicas);
                    }
                }
            }
        }
    }

    @Test
    void newPartitionsContinueTheLeaderRoundRobin() {
        Map<Integer, List<Integer>> all = ReplicaAssignment.assign(10, (short) 3, BROKERS, 0);
        Map<Integer, List<Integer>> tail = ReplicaAssignment.assign(4, (short) 3, BROKERS, 0, 6);
        assertEquals(List.of(6, 7, 8, 9), List.copyOf(tail.keySet()));
        // As in Kafka, only the leaders line up with a fresh assignment; the follower shift
        // restarts from the start index.
        tail.forEach((p, r) -> assertEquals(all.get(p).get(0), r.get(0)));
        tail.values().forEach(r -> assertEquals(3, new HashSet<>(r).size()));
    }

    @Test
    void replicationFactorAboveBrokerCountIsRejected() {
        InvalidReplicationFactorException e = assertThrows(InvalidReplicationFactorException.class,
                () -> ReplicaAssignment.assign(1, (short) 3, List.of(1, 2), 0));
        assertEquals("Replication factor: 3 larger than available brokers: 2.", e.getMessage());
        assertThrows(InvalidReplicationFactorException.class, () -> ReplicaAssignment.assign(1, (short) 0, BROKERS, 0));
    }

    @Test
    void fewerThanOnePartitionIsRejected() {
        assertThrows(InvalidPartitionsException.class, () -> ReplicaAssignment.assign(0, (short) 1, BROKERS, 0));
    }
}
