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
import org.apache.kafka.common.utils.Utils;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Committed offsets in the internal compacted topic {@code __consumer_offsets}, in the format of
 * {@link OffsetRecordCodec}. A group's records all go to partition
 * {@code abs(groupId.hashCode()) % partitions}, as in Kafka, so one partition holds a group's whole
 * history in order. The topic is created on the first commit with
 * {@code offsets.topic.num.partitions} partitions and {@code cleanup.policy=compact}; once created
 * its partition count is what counts, whatever the setting says later.
 *
 * <p>Durability is the log's: a commit is acknowledged once appended, and flushed as the topic's
 * flush settings say, like any produced record.
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
    private final Clock clock;

    public OffsetsTopic(TopicService topics, ReplicaManager replicas, int configuredPartitions, int segmentBytes,
                        Clock clock) {
        this.topics = topics;
        this.replicas = replicas;
        this.configuredPartitions = configuredPartitions;
        this.segmentBytes = segmentBytes;
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
        for (var batch : RecordBatches.build(records, config.compressionType(), config.maxMessageBytes(), now)) {
            partition.appendAsLeader(batch);
        }
    }

    private TopicMetadata getOrCreate() {
        Optional<TopicMetadata> existing = topics.describe(NAME);
        if (existing.isPresent()) {
            return existing.get();
        }
        try {
            LOG.log(Level.INFO, "Creating {0} with {1} partitions", NAME, configuredPartitions);
            return topics.create(NAME, Optional.of(configuredPartitions), Optional.empty(),
                    Map.of("cleanup.policy", "compact", "segment.bytes", Integer.toString(segmentBytes)));
        } catch (TopicExistsException raced) {
            return topics.describeOrThrow(NAME);
        }
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
            long offset = partition.log().logStartOffset();
            while (offset < partition.log().highWatermark()) {
                LogReadInfo info = partition.readCommitted(offset, READ_BYTES, true);
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
}
