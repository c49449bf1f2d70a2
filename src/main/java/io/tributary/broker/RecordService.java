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
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Produces records that arrive one by one (REST, WebSocket) and reads records back by offset.
 * Records for the same partition in one call become as few batches as {@code max.message.bytes}
 * allows, appended in order, so their offsets are consecutive.
 *
 * <p>A call is validated as a whole before anything is appended: an unknown partition or a record
 * too large rejects the call and leaves every log untouched.
 *
 * <p>In a cluster, a partition this broker does not lead is produced to and read from its leader
 * through the {@link LeaderForwarder}: the caller gets the leader's answer. A call whose records go
 * to partitions led by several brokers is appended partition by partition, so if a leader fails in
 * the middle, the partitions before it keep their records.
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
    /** Null: every partition is served locally (one broker, tests). */
    private final LeaderForwarder forwarder;

    public RecordService(TopicService topics, ReplicaManager replicas, Partitioner partitioner, Clock clock) {
        this(topics, replicas, partitioner, clock, null);
    }

    public RecordService(TopicService topics, ReplicaManager replicas, Partitioner partitioner, Clock clock,
                         LeaderForwarder forwarder) {
        this.topics = topics;
        this.replicas = replicas;
        this.partitioner = partitioner;
        this.clock = clock;
        this.forwarder = forwarder;
    }

    /** The local replica if this broker should serve the partition itself: it leads it, or nothing forwards. */
    private Optional<Partition> servedHere(TopicPartition tp) {
        Optional<Partition> local;
        try {
            local = Optional.of(replicas.partitionOrThrow(tp));
        } catch (UnknownPartitionException e) {
            if (forwarder == null) {
                throw e;
            }
            // The partition exists (the caller checked) but has no replica here.
            local = Optional.empty();
        }
        if (forwarder == null || local.isPresent() && local.get().isLeader()) {
            return local;
        }
        return Optional.empty();
    }

    /**
     * Produces records to a topic, creating it first if auto-creation is on.
     *
     * @return one result per record, in the order given
     */
    public List<ProduceResult> produce(String topicName, List<ProduceRequest> requests) {
        TopicMetadata topic = topics.getOrAutoCreate(topicName);
        // Each step is a method of its own with one loop: one method holding them all was so large
        // that compiling it (and compiling its loops on stack) cost more CPU than running it for a
        // long while after start.
        int[] chosen = new int[requests.size()];
        Map<Integer, Indexes> indexesByPartition = choosePartitions(topicName, topic.partitionCount(), requests, chosen);

        long now = clock.millis();
        Map<Integer, Optional<Partition>> servedBy = new LinkedHashMap<>();
        Map<Integer, List<MemoryRecords>> batchesByPartition = new LinkedHashMap<>();
        for (Map.Entry<Integer, Indexes> e : indexesByPartition.entrySet()) {
            Optional<Partition> local = servedHere(new TopicPartition(topicName, e.getKey()));
            LogConfig config = local.map(p -> p.log().config()).orElseGet(() -> topics.logConfig(topic));
            servedBy.put(e.getKey(), local);
            batchesByPartition.put(e.getKey(), RecordBatches.build(records(requests, e.getValue()),
                    config.compressionType(), config.maxMessageBytes(), now));
        }

        ProduceResult[] results = new ProduceResult[requests.size()];
        for (Map.Entry<Integer, List<MemoryRecords>> e : batchesByPartition.entrySet()) {
            TopicPartition tp = new TopicPartition(topicName, e.getKey());
            Optional<Partition> local = servedBy.get(e.getKey());
            Indexes indexes = indexesByPartition.get(e.getKey());
            int next = 0;
            for (MemoryRecords batch : e.getValue()) {
                int count = 0;
                for (var b : batch.batches()) {
                    count += (int) (b.nextOffset() - b.baseOffset());
                }
                LeaderForwarder.Appended appended = local.isPresent() ? appendLocally(local.get(), batch)
                        : appendAtLeader(tp, batch);
                next = results(requests, indexes, next, appended.baseOffset(), count, appended.logAppendTimeMs(), now,
                        chosen, results);
            }
        }
        // Every slot is filled: the array needs no copy to become the answer.
        return Collections.unmodifiableList(Arrays.asList(results));
    }

    /**
     * Chooses every record's partition (into {@code chosen}) and checks it exists, before any log is
     * touched; the record indexes grouped by partition, in first-seen order. Records of one request
     * mostly share a partition, so consecutive ones reuse the group found last instead of a map
     * look-up each.
     */
    private Map<Integer, Indexes> choosePartitions(String topicName, int partitionCount, List<ProduceRequest> requests,
                                                   int[] chosen) {
        int n = requests.size();
        Map<Integer, Indexes> indexesByPartition = new LinkedHashMap<>();
        int unkeyedPartition = -1;
        int lastPartition = -1;
        Indexes last = null;
        for (int i = 0; i < n; i++) {
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
            if (p != lastPartition) {
                // The first group may well hold them all; others grow as needed.
                int capacity = indexesByPartition.isEmpty() ? n : 8;
                last = indexesByPartition.computeIfAbsent(p, k -> new Indexes(capacity));
                lastPartition = p;
            }
            last.add(i);
        }
        return indexesByPartition;
    }

    private static List<ProducedRecord> records(List<ProduceRequest> requests, Indexes indexes) {
        List<ProducedRecord> records = new ArrayList<>(indexes.size);
        for (int k = 0; k < indexes.size; k++) {
            records.add(requests.get(indexes.at[k]).record());
        }
        return records;
    }

    /**
     * Fills the results of the {@code count} records appended from offset {@code first}, the
     * partition's records from its {@code next}th on; returns the index of the partition's next record.
     */
    private static int results(List<ProduceRequest> requests, Indexes indexes, int next, long first, int count,
                               long appendTime, long now, int[] chosen, ProduceResult[] results) {
        for (long offset = first; offset < first + count; offset++) {
            int index = indexes.at[next++];
            long ts = requests.get(index).record().timestamp();
            long timestamp = appendTime >= 0 ? appendTime : ts < 0 ? now : ts;
            results[index] = new ProduceResult(chosen[index], offset, timestamp);
        }
        return next;
    }

    /** Indexes of a call's records that go to one partition, in order. */
    private static final class Indexes {
        int[] at;
        int size;

        Indexes(int capacity) {
            at = new int[capacity];
        }

        void add(int index) {
            if (size == at.length) {
                at = Arrays.copyOf(at, size * 2);
            }
            at[size++] = index;
        }
    }

    private LeaderForwarder.Appended appendAtLeader(TopicPartition tp, MemoryRecords batch) {
        try {
            return forwarder.produce(tp, batch);
        } catch (LeaderForwarder.LeaderIsLocal local) {
            // Leadership came here meanwhile.
            return appendLocally(replicas.partitionOrThrow(tp), batch);
        }
    }

    /** Appends at this broker, which leads the partition; the append time only for LogAppendTime topics. */
    private static LeaderForwarder.Appended appendLocally(Partition partition, MemoryRecords batch) {
        LogAppendInfo info = partition.appendAsLeader(batch);
        return new LeaderForwarder.Appended(info.firstOffset(),
                partition.log().config().messageTimestampType() == TimestampType.LOG_APPEND_TIME
                        ? info.logAppendTimeMs() : -1);
    }

    /**
     * Reads committed records of one partition from {@code offset}, whole batches up to about
     * {@code maxBytes} (at least one record when there is one).
     */
    public ReadResult read(String topicName, int partitionId, long offset, int maxBytes, int maxRecords) {
        TopicPartition tp = new TopicPartition(topicName, partitionId);
        if (forwarder != null) {
            checkPartition(topicName, partitionId);
            Optional<Partition> local = servedHere(tp);
            if (local.isEmpty()) {
                try {
                    LeaderForwarder.Fetched fetched = forwarder.fetch(tp, offset, maxBytes);
                    List<ConsumedRecord> out = new ArrayList<>();
                    long next = RecordBatches.forEach(fetched.records(), offset, maxRecords, out::add);
                    return new ReadResult(out, next, fetched.logStartOffset(), fetched.highWatermark());
                } catch (LeaderForwarder.LeaderIsLocal local2) {
                    // Leadership came here meanwhile: read locally.
                }
            }
        }
        Partition partition = replicas.partitionOrThrow(tp);
        LogReadInfo info = partition.readCommitted(offset, maxBytes, true);
        List<ConsumedRecord> out = new ArrayList<>();
        long next = RecordBatches.forEach(info.records(), offset, maxRecords, out::add);
        return new ReadResult(out, next, info.logStartOffset(), info.highWatermark());
    }

    /**
     * The partition's first offset, high watermark (the next offset a reader will see) and log end
     * offset. A partition this broker does not lead is asked of its leader (ListOffsets earliest
     * and latest); the Kafka protocol gives a consumer no log end offset, so that answer reports
     * the leader's high watermark as the log end offset too.
     */
    public PartitionOffsets offsets(String topicName, int partitionId) {
        TopicPartition tp = new TopicPartition(topicName, partitionId);
        if (forwarder != null) {
            checkPartition(topicName, partitionId);
            if (servedHere(tp).isEmpty()) {
                try {
                    LeaderForwarder.LeaderOffsets o = forwarder.offsets(tp);
                    return new PartitionOffsets(o.logStartOffset(), o.highWatermark(), o.highWatermark());
                } catch (LeaderForwarder.LeaderIsLocal local) {
                    // Leadership came here meanwhile: answer locally.
                }
            }
        }
        Partition partition = replicas.partitionOrThrow(tp);
        return new PartitionOffsets(partition.log().logStartOffset(), partition.log().highWatermark(),
                partition.log().logEndOffset());
    }

    /**
     * Deletes every record of the partition before {@code before} (at most the high watermark), at
     * its leader: a partition this broker does not lead is sent there as DeleteRecords.
     *
     * @return the partition's offsets afterwards
     */
    public PartitionOffsets deleteRecordsBefore(String topicName, int partitionId, long before) {
        TopicPartition tp = new TopicPartition(topicName, partitionId);
        if (forwarder != null) {
            checkPartition(topicName, partitionId);
            if (servedHere(tp).isEmpty()) {
                try {
                    forwarder.deleteRecords(tp, before);
                    return offsets(topicName, partitionId);
                } catch (LeaderForwarder.LeaderIsLocal local) {
                    // Leadership came here meanwhile: delete locally.
                }
            }
        }
        replicas.deleteRecordsBefore(tp, before);
        return offsets(topicName, partitionId);
    }

    private void checkPartition(String topicName, int partitionId) {
        TopicMetadata topic = topics.describeOrThrow(topicName);
        if (partitionId < 0 || partitionId >= topic.partitionCount()) {
            throw new UnknownPartitionException(topicName, partitionId, topic.partitionCount());
        }
    }
}
