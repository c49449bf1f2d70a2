package io.tributary.broker;

import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;

import java.lang.System.Logger.Level;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The partitions this broker hosts, kept in line with the topic metadata in ZooKeeper: a topic
 * created anywhere in the cluster gets its local logs here, a deleted topic loses them, a changed
 * topic config reaches its logs without a restart.
 *
 * <p>Thread-safe. Metadata changes are applied under {@code metadataLock} (they are rare and must
 * not interleave: a delete racing a create of the same name); lookups are lock-free.
 */
public final class ReplicaManager implements ClusterMetadataStore.TopicListener {

    private static final System.Logger LOG = System.getLogger(ReplicaManager.class.getName());

    private final int brokerId;
    private final LogManager logManager;
    private final LogConfig brokerDefaults;
    private final ClusterMetadataStore metadata;
    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private final Object metadataLock = new Object();

    public ReplicaManager(int brokerId, LogManager logManager, LogConfig brokerDefaults, ClusterMetadataStore metadata) {
        this.brokerId = brokerId;
        this.logManager = logManager;
        this.brokerDefaults = brokerDefaults;
        this.metadata = metadata;
    }

    /**
     * Brings local logs in line with ZooKeeper after the log manager has loaded what is on disk:
     * opens or creates every local replica, and deletes logs of topics deleted while this broker
     * was down.
     */
    public void loadFromMetadata() {
        synchronized (metadataLock) {
            Map<String, TopicMetadata> topics = metadata.topics();
            for (TopicMetadata topic : topics.values()) {
                applyTopic(topic);
            }
            for (PartitionLog log : List.copyOf(logManager.logs())) {
                TopicPartition tp = log.topicPartition();
                TopicMetadata topic = topics.get(tp.topic());
                if (topic == null || !isLocalReplica(topic, tp.partition())) {
                    LOG.log(Level.INFO, "Deleting local log of {0}: no longer assigned to broker {1}", tp, brokerId);
                    partitions.remove(tp);
                    logManager.deleteLog(tp);
                }
            }
        }
    }

    /** Opens or updates the local replicas of a topic. Idempotent. */
    public void applyTopic(TopicMetadata topic) {
        synchronized (metadataLock) {
            LogConfig config = brokerDefaults.withOverrides(topic.configs());
            boolean configChanged = false;
            for (Map.Entry<Integer, List<Integer>> entry : topic.assignment().entrySet()) {
                int partitionId = entry.getKey();
                if (!entry.getValue().contains(brokerId)) {
                    continue;
                }
                TopicPartition tp = new TopicPartition(topic.name(), partitionId);
                Partition.ReplicaState state = replicaState(tp, entry.getValue());
                Partition existing = partitions.get(tp);
                if (existing == null) {
                    PartitionLog log = logManager.getOrCreateLog(tp, config);
                    partitions.put(tp, new Partition(brokerId, log, state));
                } else {
                    existing.updateState(state);
                    configChanged |= !existing.log().config().equals(config);
                }
            }
            if (configChanged) {
                logManager.updateConfig(topic.name(), config);
            }
        }
    }

    /** Closes and deletes every local replica of a topic. Idempotent. */
    public void removeTopic(String topic) {
        synchronized (metadataLock) {
            Set<TopicPartition> doomed = new HashSet<>();
            for (TopicPartition tp : partitions.keySet()) {
                if (tp.topic().equals(topic)) {
                    doomed.add(tp);
                }
            }
            for (PartitionLog log : logManager.logs()) {
                if (log.topicPartition().topic().equals(topic)) {
                    doomed.add(log.topicPartition());
                }
            }
            for (TopicPartition tp : doomed) {
                partitions.remove(tp);
                logManager.deleteLog(tp);
            }
        }
    }

    /**
     * Moves a partition's log start offset forward (Kafka's DeleteRecords) and checkpoints it at once,
     * so the deletion holds across a crash.
     *
     * @return the log start offset afterwards
     */
    public long deleteRecordsBefore(TopicPartition tp, long offset) {
        long start = partitionOrThrow(tp).log().deleteRecordsBefore(offset);
        logManager.checkpoint();
        return start;
    }

    public Optional<Partition> partition(TopicPartition tp) {
        return Optional.ofNullable(partitions.get(tp));
    }

    public Collection<Partition> partitions() {
        return partitions.values();
    }

    /**
     * The local partition for a topic partition, opening it if the metadata has it but this broker
     * has not applied it yet (a topic created a moment ago on another broker).
     */
    public Partition partitionOrThrow(TopicPartition tp) {
        Partition partition = partitions.get(tp);
        if (partition != null) {
            return partition;
        }
        Optional<TopicMetadata> topic = metadata.topic(tp.topic());
        if (topic.isEmpty()) {
            throw new UnknownTopicException(tp.topic());
        }
        if (tp.partition() < 0 || tp.partition() >= topic.get().partitionCount()) {
            throw new UnknownPartitionException(tp.topic(), tp.partition(), topic.get().partitionCount());
        }
        applyTopic(topic.get());
        partition = partitions.get(tp);
        if (partition == null) {
            throw new UnknownPartitionException("Partition " + tp + " has no replica on broker " + brokerId + ".");
        }
        return partition;
    }

    private Partition.ReplicaState replicaState(TopicPartition tp, List<Integer> replicas) {
        Optional<PartitionState> published = metadata.partitionState(tp);
        return published
                .map(s -> new Partition.ReplicaState(s.leader(), s.leaderEpoch(), replicas, s.isr()))
                .orElseGet(() -> new Partition.ReplicaState(replicas.get(0), 0, replicas, replicas));
    }

    private boolean isLocalReplica(TopicMetadata topic, int partition) {
        List<Integer> replicas = topic.assignment().get(partition);
        return replicas != null && replicas.contains(brokerId);
    }

    @Override
    public void onTopicCreated(TopicMetadata topic) {
        applyTopic(topic);
    }

    @Override
    public void onTopicChanged(TopicMetadata topic) {
        applyTopic(topic);
    }

    @Override
    public void onTopicDeleted(String name) {
        removeTopic(name);
    }
}
