package io.tributary.group;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GroupAdminTest {

    @Test
    void aConsumerGroupMembersAssignmentIsDecodedInTopicAndPartitionOrder() {
        byte[] bytes = Utils.toArray(ConsumerProtocol.serializeAssignment(new ConsumerPartitionAssignor.Assignment(List.of(
                new TopicPartition("b", 0), new TopicPartition("a", 2), new TopicPartition("a", 1)))));
        assertEquals(List.of(new TopicPartition("a", 1), new TopicPartition("a", 2), new TopicPartition("b", 0)),
                GroupAdmin.assignment("consumer", bytes));
    }

    @Test
    void otherProtocolsAndUnreadableAssignmentsShowNoPartitions() {
        byte[] bytes = Utils.toArray(ConsumerProtocol.serializeAssignment(
                new ConsumerPartitionAssignor.Assignment(List.of(new TopicPartition("a", 0)))));
        assertEquals(List.of(), GroupAdmin.assignment("connect", bytes), "only the consumer protocol's bytes are known");
        assertEquals(List.of(), GroupAdmin.assignment("consumer", new byte[0]), "no assignment yet (rebalancing)");
        assertEquals(List.of(), GroupAdmin.assignment("consumer", new byte[] {0, 0, 0, 0, 0, 9, 'x'}));
    }
}
