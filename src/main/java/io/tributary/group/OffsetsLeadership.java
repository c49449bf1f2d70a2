package io.tributary.group;

import io.tributary.broker.Partition;
import io.tributary.broker.ReplicaManager;
import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.metadata.TopicMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.Optional;

/**
 * Tells the group coordinator which {@code __consumer_offsets} partitions this broker leads: on
 * every change of a partition's published state, of the topic, and once at start-up. It must be
 * registered with the metadata store after the {@link ReplicaManager}, so that the local replicas
 * have applied a state change before it is read here.
 *
 * <p>Thread-safe: the coordinator's election calls are.
 */
public final class OffsetsLeadership implements ClusterMetadataStore.TopicListener {

    private final ReplicaManager replicas;
    private final GroupCoordinator coordinator;

    public OffsetsLeadership(ReplicaManager replicas, GroupCoordinator coordinator) {
        this.replicas = replicas;
        this.coordinator = coordinator;
    }

    /** Re-reads the leadership of every local offsets partition. */
    public void refresh() {
        for (Partition p : replicas.partitions()) {
            if (p.topicPartition().topic().equals(OffsetsTopic.NAME)) {
                apply(p.topicPartition());
            }
        }
        // Partitions this broker had but no longer hosts at all.
        for (int owned : coordinator.ownedPartitions()) {
            if (replicas.partition(new TopicPartition(OffsetsTopic.NAME, owned)).isEmpty()) {
                coordinator.resigned(owned);
            }
        }
    }

    private void apply(TopicPartition tp) {
        Optional<Partition> partition = replicas.partition(tp);
        if (partition.isPresent() && partition.get().isLeader()) {
            coordinator.elected(tp.partition(), partition.get().state().leaderEpoch());
        } else {
            coordinator.resigned(tp.partition());
        }
    }

    @Override
    public void onTopicCreated(TopicMetadata topic) {
        if (topic.name().equals(OffsetsTopic.NAME)) {
            refresh();
        }
    }

    @Override
    public void onTopicChanged(TopicMetadata topic) {
        if (topic.name().equals(OffsetsTopic.NAME)) {
            refresh();
        }
    }

    @Override
    public void onTopicDeleted(String name) {
        if (name.equals(OffsetsTopic.NAME)) {
            coordinator.ownedPartitions().forEach(coordinator::resigned);
        }
    }

    @Override
    public void onPartitionStateChanged(TopicPartition tp) {
        if (tp.topic().equals(OffsetsTopic.NAME)) {
            apply(tp);
        }
    }
}
