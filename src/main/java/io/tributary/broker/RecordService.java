package io.tributary.broker;

import io.tributary.metadata.TopicMetadata;
import io.tributary.records.ConsumedRecord;
import io.tributary.records.ProducedRecord;
import io.tributary.records.RecordBatches;
import io.tributary.storage.LogConfig;
import io.tributary.storage.PartitionLog.LogAppendInfo;
import io.tributary.storage.PartitionLog.LogReadInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Produces records that arrive one by one (REST, WebSocket) and reads records back by offset.
 * Records for the same partition in one call become as few batches as {@code max.message.bytes}
 * allows, appended in order, so their offsets are consecutive.
 *
 * <p>A call is validated as a whole before anything is appended: an unknown partition or a record
 * too large rejects the call and leaves every log untouched.
 *
 * <p>Thread-safe.
 */
public final class RecordService {

    /** Where one produced record landed. */
    public record ProduceResult(int partition, long offset, long timestamp) {
    }

    /** Records read from one partition, with the partition's offsets at the time of the read. */
    public record ReadResult(List<ConsumedRecord> records, long nextOffset, long logStartOffset, long highWatermark) {
    }

    /** A partition's offsets at one moment. */
    public record PartitionOffsets(long logStartOffset, long highWatermark, long logEndOffset) {
    }

    /** A record to produce and the partition it asks for ({@code -1}: let the broker choose). */
    public record ProduceRequest(ProducedRecord record, int partition) {
    }

    private final TopicService topics;
    private final ReplicaManager replicas;
    private final Partitioner partitioner;
    private final Clock clock;

    public RecordService(TopicService topics, ReplicaManager replicas, Partitioner partitioner, Clock clock) {
        this.topics = topics;
        this.replicas = replicas;
        this.partitioner = partitioner;
        this.clock = clock;
    }

    /**
     * Produces records to a topic, creating it first if auto-creation is on.
     *
     * @return one result per record, in the order given
     */
    public List<ProduceResult> produce(String topicName, List<ProduceRequest> requests) {
        TopicMetadata topic = topics.getOrAutoCreate(topicName);
        int partitionCount = topic.partitionCount();
        int unkeyedPartition = -1;

        // Choose every record's partition and check it exists before touching any log.
        int[] chosen = new int[requests.size()];
        Map<Integer, List<Integer>> indexesByPartition = new LinkedHashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            ProduceRequest r = requests.get(i);
            int p;
            if (r.partition() >= 0) {
                if (r.partition() >= partitionCount) {
                    throw new UnknownPartitionException(topicName, r.partition(), partitionCount);
                }
                p = r.partition();
            } else if (r.record().key() != null) {
                p = Partitioner.forKey(r.record().key(), partitionCount);
            } else {
                if (unkeyedPartition < 0) {
                    unkeyedPartition = partitioner.forUnkeyedRequest(topicName, partitionCount);
                }
                p = unkeyedPartition;
            }
            chosen[i] = p;
            indexesByPartition.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
        }

        long now = clock.millis();
        Map<Partition, List<MemoryRecords>> batchesByPartition = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<Integer>> e : indexesByPartition.entrySet()) {
            Partition partition = replicas.partitionOrThrow(new TopicPartition(topicName, e.getKey()));
            LogConfig config = partition.log().config();
            List<ProducedRecord> records = new ArrayList<>(e.getValue().size());
            for (int index : e.getValue()) {
                records.add(requests.get(index).record());
            }
            batchesByPartition.put(partition, RecordBatches.build(records, config.compressionType(),
                    config.maxMessageBytes(), now));
        }

        ProduceResult[] results = new ProduceResult[requests.size()];
        for (Map.Entry<Partition, List<MemoryRecords>> e : batchesByPartition.entrySet()) {
            Partition partition = e.getKey();
            boolean logAppendTime = partition.log().config().messageTimestampType() == TimestampType.LOG_APPEND_TIME;
            List<Integer> indexes = indexesByPartition.get(partition.topicPartition().partition());
            int next = 0;
            for (MemoryRecords batch : e.getValue()) {
                LogAppendInfo info = partition.appendAsLeader(batch);
                for (long offset = info.firstOffset(); offset <= info.lastOffset(); offset++) {
                    int index = indexes.get(next++);
                    long ts = requests.get(index).record().timestamp();
                    long timestamp = logAppendTime ? info.logAppendTimeMs() : ts < 0 ? now : ts;
                    results[index] = new ProduceResult(chosen[index], offset, timestamp);
                }
            }
        }
        return List.of(results);
    }

    /**
     * Reads committed records of one partition from {@code offset}, whole batches up to about
     * {@code maxBytes} (at least one record when there is one).
     */
    public ReadResult read(String topicName, int partitionId, long offset, int maxBytes, int maxRecords) {
        Partition partition = replicas.partitionOrThrow(new TopicPartition(topicName, partitionId));
        LogReadInfo info = partition.readCommitted(offset, maxBytes, true);
        List<ConsumedRecord> out = new ArrayList<>();
        long next = RecordBatches.forEach(info.records(), offset, maxRecords, out::add);
        return new ReadResult(out, next, info.logStartOffset(), info.highWatermark());
    }

    /** The partition's first offset, high watermark (the next offset a reader will see) and log end offset. */
    public PartitionOffsets offsets(String topicName, int partitionId) {
        Partition partition = replicas.partitionOrThrow(new TopicPartition(topicName, partitionId));
        return new PartitionOffsets(partition.log().logStartOffset(), partition.log().highWatermark(),
                partition.log().logEndOffset());
    }
}
