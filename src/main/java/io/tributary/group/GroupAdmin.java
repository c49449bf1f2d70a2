package io.tributary.group;

import io.tributary.broker.ReplicaManager;
import io.tributary.broker.TopicService;
import io.tributary.broker.subscription.StartPosition;
import io.tributary.metadata.TopicMetadata;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.types.SchemaException;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Consumer groups as an operator sees them: members with their decoded assignments, the lag of
 * every partition a group reads, offset resets and deletion. It joins the {@link GroupCoordinator}
 * (members, committed offsets) with the partition logs (high watermarks, offsets by time); the
 * REST API is a thin layer over it.
 *
 * <p>Assignments are opaque bytes to the coordinator. For groups of protocol type
 * {@code consumer} (Kafka's consumers, and any member that encodes its assignment the same way)
 * they are decoded with the Java client's {@link ConsumerProtocol}; other groups show none.
 *
 * <p>Thread-safe and stateless: every answer is read afresh. A group's members and its committed
 * offsets are read one after the other, so a lag answer taken during a rebalance or a commit may
 * mix the two moments; each value is one the group really had.
 */
public final class GroupAdmin {

    /** A group member, with the partitions its current assignment gives it (none while rebalancing). */
    public record Consumer(String consumerId, String instanceId, String clientId, String clientHost,
                           List<TopicPartition> assignment) {
        public Consumer {
            assignment = List.copyOf(assignment);
        }
    }

    /**
     * A group.
     *
     * @param protocolType      {@code consumer} for Kafka consumers; empty for a group that only has commits
     * @param partitionAssignor the protocol (assignor) the members chose; empty while there is none
     */
    public record ConsumerGroup(String groupId, GroupState state, String protocolType, String partitionAssignor,
                                List<Consumer> consumers) {
        public ConsumerGroup {
            consumers = List.copyOf(consumers);
        }

        /** A group used only to keep offsets (consumers with {@code assign()}, an operator's reset): Kafka's "simple" group. */
        public boolean isSimple() {
            return consumers.isEmpty() && protocolType.isEmpty();
        }

        public Optional<Consumer> consumer(String consumerId) {
            return consumers.stream().filter(c -> c.consumerId().equals(consumerId)).findFirst();
        }
    }

    /**
     * How far a group is behind on one partition.
     *
     * @param currentOffset the committed offset, null if the partition is assigned but nothing is committed
     * @param logEndOffset  the partition's high watermark, null if the topic no longer exists
     * @param owner         the member the partition is assigned to, if any
     */
    public record PartitionLag(TopicPartition partition, Long currentOffset, Long logEndOffset,
                               Optional<Consumer> owner) {
        /** Records the group has yet to read, when both offsets are known. */
        public Optional<Long> lag() {
            return currentOffset == null || logEndOffset == null ? Optional.empty()
                    : Optional.of(logEndOffset - currentOffset);
        }
    }

    /** The largest and the total lag over a group's partitions; {@code maxLagPartition} is empty when no lag is known. */
    public record LagSummary(long maxLag, long totalLag, Optional<PartitionLag> maxLagPartition) {
    }

    /** Partitions of one topic to reset: all of them, or the ones listed. */
    public record TopicSelection(String topic, Optional<List<Integer>> partitions) {
    }

    /** A reset partition: its new committed offset, and the one before if there was one. */
    public record OffsetChange(TopicPartition partition, Long previousOffset, long offset) {
    }

    private static final Comparator<TopicPartition> BY_TOPIC_AND_PARTITION =
            Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

    private final GroupCoordinator coordinator;
    private final TopicService topics;
    private final ReplicaManager replicas;

    public GroupAdmin(GroupCoordinator coordinator, TopicService topics, ReplicaManager replicas) {
        this.coordinator = coordinator;
        this.topics = topics;
        this.replicas = replicas;
    }

    /** Every group, ordered by id. */
    public List<ConsumerGroup> list() {
        List<ConsumerGroup> out = new ArrayList<>();
        for (GroupCoordinator.GroupOverview overview : coordinator.listGroups()) {
            // A group deleted between the two reads is simply not listed.
            describe(overview.groupId()).ifPresent(out::add);
        }
        return out;
    }

    public Optional<ConsumerGroup> describe(String groupId) {
        return coordinator.describeGroup(groupId).map(GroupAdmin::toConsumerGroup);
    }

    /** @throws GroupIdNotFoundException if there is no such group */
    public ConsumerGroup describeOrThrow(String groupId) {
        return describe(groupId).orElseThrow(() -> notFound(groupId));
    }

    /**
     * The lag of every partition the group has committed an offset for or has assigned to a member,
     * ordered by topic and partition.
     *
     * @throws GroupIdNotFoundException if there is no such group
     */
    public List<PartitionLag> lags(String groupId) {
        ConsumerGroup group = describeOrThrow(groupId);
        Map<TopicPartition, CommittedOffset> committed = coordinator.fetchOffsets(groupId, Optional.empty());
        Map<TopicPartition, Consumer> owners = new HashMap<>();
        for (Consumer c : group.consumers()) {
            c.assignment().forEach(tp -> owners.put(tp, c));
        }
        TreeSet<TopicPartition> partitions = new TreeSet<>(BY_TOPIC_AND_PARTITION);
        partitions.addAll(committed.keySet());
        partitions.addAll(owners.keySet());
        List<PartitionLag> out = new ArrayList<>(partitions.size());
        for (TopicPartition tp : partitions) {
            CommittedOffset offset = committed.get(tp);
            out.add(new PartitionLag(tp, offset == null ? null : offset.offset(), highWatermark(tp).orElse(null),
                    Optional.ofNullable(owners.get(tp))));
        }
        return out;
    }

    /** @throws GroupIdNotFoundException if there is no such group */
    public Optional<PartitionLag> lag(String groupId, TopicPartition tp) {
        return lags(groupId).stream().filter(l -> l.partition().equals(tp)).findFirst();
    }

    /**
     * The largest lag (the first partition in topic and partition order on a tie) and the sum of
     * all known lags.
     *
     * @throws GroupIdNotFoundException if there is no such group
     */
    public LagSummary lagSummary(String groupId) {
        long total = 0;
        PartitionLag max = null;
        for (PartitionLag l : lags(groupId)) {
            if (l.lag().isEmpty()) {
                continue;
            }
            total += l.lag().get();
            if (max == null || l.lag().get() > max.lag().get()) {
                max = l;
            }
        }
        return new LagSummary(max == null ? 0 : max.lag().get(), total, Optional.ofNullable(max));
    }

    /**
     * Moves a group's committed offsets for the partitions selected to where {@code target} points
     * in each partition's log now: the log start offset, the high watermark, an exact offset, or the
     * first record at or after a timestamp (the high watermark if there is none). The group must
     * have no members; a group that does not exist is created with these offsets.
     *
     * @return the partitions reset, in the order selected
     * @throws GroupNotEmptyException while the group has members
     * @throws UnknownTopicOrPartitionException a topic or partition that does not exist
     * @throws org.apache.kafka.common.errors.OffsetOutOfRangeException an exact offset the partition does not hold
     */
    public List<OffsetChange> resetOffsets(String groupId, List<TopicSelection> selection, StartPosition target) {
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        for (TopicSelection t : selection) {
            TopicMetadata topic = topics.describeOrThrow(t.topic());
            for (int p : t.partitions().orElseGet(() -> List.copyOf(topic.assignment().keySet()))) {
                TopicPartition tp = new TopicPartition(t.topic(), p);
                offsets.put(tp, target.resolve(replicas.partitionOrThrow(tp).log()));
            }
        }
        Map<TopicPartition, CommittedOffset> previous = coordinator.resetOffsets(groupId, offsets);
        List<OffsetChange> out = new ArrayList<>(offsets.size());
        offsets.forEach((tp, offset) -> {
            CommittedOffset before = previous.get(tp);
            out.add(new OffsetChange(tp, before == null ? null : before.offset(), offset));
        });
        return out;
    }

    /**
     * Deletes a group without members, with its committed offsets.
     *
     * @throws GroupIdNotFoundException if there is no such group
     * @throws GroupNotEmptyException while it has members
     */
    public void delete(String groupId) {
        Errors error = coordinator.deleteGroups(List.of(groupId)).get(groupId);
        switch (error) {
            case NONE -> {
            }
            case GROUP_ID_NOT_FOUND -> throw notFound(groupId);
            case NON_EMPTY_GROUP -> throw new GroupNotEmptyException("Consumer group '" + groupId
                    + "' still has members; it can be deleted once they have left.");
            default -> throw error.exception("Could not delete consumer group '" + groupId + "': " + error.message());
        }
    }

    private Optional<Long> highWatermark(TopicPartition tp) {
        try {
            return Optional.of(replicas.partitionOrThrow(tp).log().highWatermark());
        } catch (UnknownTopicOrPartitionException e) {
            // Committed offsets outlive their topic; such a partition has no end to measure against.
            return Optional.empty();
        }
    }

    private static ConsumerGroup toConsumerGroup(GroupCoordinator.GroupDescription g) {
        List<Consumer> consumers = new ArrayList<>(g.members().size());
        for (GroupCoordinator.MemberDescription m : g.members()) {
            consumers.add(new Consumer(m.memberId(), m.groupInstanceId(), m.clientId() == null ? "" : m.clientId(),
                    m.clientHost(), assignment(g.protocolType(), m.assignment())));
        }
        consumers.sort(Comparator.comparing(Consumer::consumerId));
        return new ConsumerGroup(g.groupId(), g.state(), g.protocolType(),
                g.protocolName() == null ? "" : g.protocolName(), consumers);
    }

    /** A member's partitions, decoded from its assignment when the group speaks the consumer protocol. */
    static List<TopicPartition> assignment(String protocolType, byte[] bytes) {
        if (!ConsumerProtocol.PROTOCOL_TYPE.equals(protocolType) || bytes == null || bytes.length == 0) {
            return List.of();
        }
        try {
            List<TopicPartition> partitions = new ArrayList<>(
                    ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(bytes)).partitions());
            partitions.sort(BY_TOPIC_AND_PARTITION);
            return partitions;
        } catch (SchemaException | BufferUnderflowException e) {
            // The leader's assignor wrote something else; the group works regardless, it just cannot be shown.
            return List.of();
        }
    }

    private static GroupIdNotFoundException notFound(String groupId) {
        return new GroupIdNotFoundException("Consumer group '" + groupId + "' does not exist.");
    }
}
