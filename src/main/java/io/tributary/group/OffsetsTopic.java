package io.tributary.group;

import io.tributary.broker.Partition;
import io.tributary.broker.ReplicaManager;
import io.tributary.broker.TopicService;
import io.tributary.metadata.TopicMetadata;
import io.tributary.records.ProducedRecord;
import io.tributary.records.RecordBatches;
import io.tributary.storage.LogConfig;
import io.tributary.storage.PartitionLog.LogReadInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;

/**
 * Committed offsets in the internal compacted topic {@code __consumer_offsets}, in the format of
 * {@link OffsetRecordCodec}. A group's records all go to partition
 * {@code abs(groupId.hashCode()) % partitions}, as in Kafka, so one partition holds a group's whole
 * history in order. The topic is created when a group first needs it (FindCoordinator, a join or a
 * commit) with {@code offsets.topic.num.partitions} partitions, {@code cleanup.policy=compact}, and
 * {@code offsets.topic.replication.factor} replicas, capped at the live brokers as Kafka does; once
 * created its partition count is what counts, whatever the setting says later.
 *
 * <p>Durability: a write is appended as with {@code acks=all} and returns only once every in-sync
 * replica of the partition holds it (within {@code offsets.commit.timeout.ms}), so a commit that was
 * acknowledged survives the loss of the leader's broker. The broker's {@code min.insync.replicas}
 * applies, as for any topic.
 *
 * <p>Thread-safe: appends are serialised by the partition log.
 */
public final class OffsetsTopic implements OffsetStore {

    public static final String NAME = "__consumer_offsets";
    private static final System.Logger LOG = System.getLogger(OffsetsTopic.class.getName());
    private static final int READ_BYTES = 1 << 20;

    private final TopicService topics;
    private final ReplicaManager replicas;
    private final int configuredPartitions;
    private final int segmentBytes;
    private final short replicationFactor;
    private final int commitTimeoutMs;
    private final IntSupplier liveBrokers;
    private final Clock clock;

    /** A single-replica offsets topic (one broker, tests). */
    public OffsetsTopic(TopicService topics, ReplicaManager replicas, int configuredPartitions, int segmentBytes,
                        Clock clock) {
        this(topics, replicas, configuredPartitions, segmentBytes, (short) 1, 30_000, () -> 1, clock);
    }

    /**
     * @param replicationFactor replicas wanted when the topic is created ({@code offsets.topic.replication.factor})
     * @param commitTimeoutMs   how long a write waits for the in-sync replicas ({@code offsets.commit.timeout.ms})
     * @param liveBrokers       how many brokers are live now, which caps the replication factor at creation
     */
    public OffsetsTopic(TopicService topics, ReplicaManager replicas, int configuredPartitions, int segmentBytes,
                        short replicationFactor, int commitTimeoutMs, IntSupplier liveBrokers, Clock clock) {
        this.topics = topics;
        this.replicas = replicas;
        this.configuredPartitions = configuredPartitions;
        this.segmentBytes = segmentBytes;
        this.replicationFactor = replicationFactor;
        this.commitTimeoutMs = commitTimeoutMs;
        this.liveBrokers = liveBrokers;
        this.clock = clock;
    }

    /** The partition of {@code __consumer_offsets} that holds a group's commits. */
    public static int partitionFor(String groupId, int partitions) {
        return Utils.abs(groupId.hashCode()) % partitions;
    }

    @Override
    public void append(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
        List<ProducedRecord> records = new ArrayList<>(offsets.size());
        long now = clock.millis();
        offsets.forEach((tp, offset) -> records.add(new ProducedRecord(OffsetRecordCodec.key(groupId, tp),
                OffsetRecordCodec.value(offset), now, null)));
        write(groupId, records, now);
    }

    @Override
    public void delete(String groupId, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        long now = clock.millis();
        List<ProducedRecord> records = new ArrayList<>(partitions.size());
        for (TopicPartition tp : partitions) {
            records.add(new ProducedRecord(OffsetRecordCodec.key(groupId, tp), null, now, null));
        }
        write(groupId, records, now);
    }

    private void write(String groupId, List<ProducedRecord> records, long now) {
        TopicMetadata topic = getOrCreate();
        Partition partition = replicas.partitionOrThrow(new TopicPartition(NAME,
                partitionFor(groupId, topic.partitionCount())));
        LogConfig config = partition.log().config();
        long lastOffset = -1;
        for (var batch : RecordBatches.build(records, config.compressionType(), config.maxMessageBytes(), now)) {
            lastOffset = partition.appendAsLeader(batch, (short) -1).lastOffset();
        }
        awaitInSyncReplicas(partition, lastOffset + 1);
    }

    /** Waits until every in-sync replica holds the records below {@code requiredOffset}, as acks=all does. */
    private void awaitInSyncReplicas(Partition partition, long requiredOffset) {
        CompletableFuture<Errors> replicated = partition.awaitReplication(requiredOffset);
        Errors error;
        try {
            error = replicated.get(commitTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            partition.forget(replicated);
            throw new org.apache.kafka.common.errors.TimeoutException("The in-sync replicas of "
                    + partition.topicPartition() + " did not acknowledge the write within " + commitTimeoutMs
                    + " ms (offsets.commit.timeout.ms)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            partition.forget(replicated);
            throw new org.apache.kafka.common.errors.InterruptException(e);
        } catch (ExecutionException e) {
            throw new org.apache.kafka.common.errors.UnknownServerException(e.getCause());
        }
        if (error != Errors.NONE) {
            throw error.exception("Write to " + partition.topicPartition() + " failed: " + error.message());
        }
    }

    @Override
    public int partitionCount() {
        return topics.describe(NAME).map(TopicMetadata::partitionCount).orElse(0);
    }

    @Override
    public void ensureCreated() {
        getOrCreate();
    }

    private TopicMetadata getOrCreate() {
        Optional<TopicMetadata> existing = topics.describe(NAME);
        if (existing.isPresent()) {
            return existing.get();
        }
        short rf = replicationFactor(replicationFactor, liveBrokers.getAsInt());
        try {
            if (rf < replicationFactor) {
                LOG.log(Level.WARNING, "Creating {0} with {1} partitions and replication factor {2}: "
                                + "offsets.topic.replication.factor is {3} but only {2} broker(s) are live",
                        NAME, configuredPartitions, rf, replicationFactor);
            } else {
                LOG.log(Level.INFO, "Creating {0} with {1} partitions and replication factor {2}", NAME,
                        configuredPartitions, rf);
            }
            return topics.create(NAME, Optional.of(configuredPartitions), Optional.of(rf),
                    Map.of("cleanup.policy", "compact", "segment.bytes", Integer.toString(segmentBytes)));
        } catch (TopicExistsException raced) {
            return topics.describeOrThrow(NAME);
        }
    }

    /**
     * The replication factor the offsets topic is created with: the configured one, capped at the
     * live brokers (at least one), as Kafka does so that a cluster that is still starting can
     * coordinate groups.
     */
    public static short replicationFactor(short configured, int liveBrokers) {
        return (short) Math.max(1, Math.min(configured, liveBrokers));
    }

    /**
     * Reads every partition from its start to its high watermark. A record this codec cannot read is
     * skipped with a warning: one bad record must not lose every other group's offsets.
     */
    @Override
    public void load(Visitor visitor) {
        Optional<TopicMetadata> topic = topics.describe(NAME);
        if (topic.isEmpty()) {
            return;
        }
        for (int p = 0; p < topic.get().partitionCount(); p++) {
            Partition partition = replicas.partitionOrThrow(new TopicPartition(NAME, p));
            load(partition, partition.log().highWatermark(), visitor);
        }
    }

    /**
     * Reads one partition from its start to its log end offset. A broker that has just become the
     * partition's leader may not know yet that its whole log is committed (its high watermark
     * catches up as followers fetch), but every acknowledged commit is in its log: a leader is
     * chosen from the in-sync replicas, which all hold what was acknowledged. Kafka loads to the
     * log end for the same reason.
     */
    @Override
    public void load(int partitionId, Visitor visitor) {
        if (topics.describe(NAME).isEmpty()) {
            return;
        }
        Partition partition = replicas.partitionOrThrow(new TopicPartition(NAME, partitionId));
        load(partition, partition.log().logEndOffset(), visitor);
    }

    private void load(Partition partition, long endOffset, Visitor visitor) {
        long offset = partition.log().logStartOffset();
        while (offset < endOffset) {
            LogReadInfo info = partition.log().read(offset, READ_BYTES, endOffset, true);
            long next = RecordBatches.forEach(info.records(), offset, Integer.MAX_VALUE, r -> {
                if (r.key() == null) {
                    return;
                }
                try {
                    OffsetRecordCodec.Key key = OffsetRecordCodec.decodeKey(r.key());
                    visitor.committed(key.groupId(), key.partition(),
                            r.value() == null ? null : OffsetRecordCodec.decodeValue(r.value()));
                } catch (IllegalArgumentException e) {
                    LOG.log(Level.WARNING, "Skipping unreadable record at offset {0} of {1}-{2}: {3}",
                            r.offset(), NAME, partition.topicPartition().partition(), e.getMessage());
                }
            });
            // A compacted batch can keep its offsets but none of its records: move past it anyway.
            for (var batch : info.records().batches()) {
                next = Math.max(next, batch.nextOffset());
            }
            if (next <= offset) {
                break;
            }
            offset = next;
        }
    }
}
