package io.tributary.broker;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.UnknownLeaderEpochException;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * Serves REST and WebSocket produces and reads that reach a broker which does not lead the
 * partition, by sending them to the leader over the Kafka protocol (Produce with {@code acks=1},
 * as local REST produces are answered; Fetch as a consumer, so only committed records come back).
 * The leader's answer is the answer, its errors included.
 *
 * <p>Leadership can move while a request is on its way: a NOT_LEADER_OR_FOLLOWER answer, a
 * partition without a leader, or a connection that fails is retried against the leader the
 * metadata names then, at most {@code attempts} times {@code backoffMs} apart, and then answered
 * with a retriable {@link LeaderNotAvailableException}. The leader never forwards a Kafka request
 * itself, so a request cannot go round in circles.
 *
 * <p>Thread-safe. Connections are pooled per broker; each is used by one request at a time.
 */
public final class LeaderForwarder implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LeaderForwarder.class.getName());
    private static final short PRODUCE_VERSION = 9;
    private static final short FETCH_VERSION = 12;
    private static final short LIST_OFFSETS_VERSION = 7;
    private static final short DELETE_RECORDS_VERSION = 2;
    private static final int POOLED_PER_BROKER = 4;

    /** Where one forwarded batch landed. */
    public record Appended(long baseOffset, long logAppendTimeMs) {
    }

    /** What the leader's Fetch returned for the partition. */
    public record Fetched(MemoryRecords records, long highWatermark, long logStartOffset) {
    }

    /** The leader's earliest offset and high watermark (ListOffsets earliest and latest). */
    public record LeaderOffsets(long logStartOffset, long highWatermark) {
    }

    /** Thrown when the leader is this broker after all: the caller serves the request locally. */
    static final class LeaderIsLocal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LeaderIsLocal() {
            super(null, null, false, false);
        }
    }

    private final int brokerId;
    private final IntFunction<Optional<InetSocketAddress>> addressOf;
    private final ToIntFunction<TopicPartition> leaderOf;
    private final int timeoutMs;
    private final int attempts;
    private final long backoffMs;
    private final Map<Integer, ConcurrentLinkedQueue<InterBrokerClient>> pool = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param addressOf the Kafka endpoint of a live broker
     * @param leaderOf  the published leader of a partition, negative while it has none
     */
    public LeaderForwarder(int brokerId, IntFunction<Optional<InetSocketAddress>> addressOf,
                           ToIntFunction<TopicPartition> leaderOf, int timeoutMs, int attempts, long backoffMs) {
        this.brokerId = brokerId;
        this.addressOf = addressOf;
        this.leaderOf = leaderOf;
        this.timeoutMs = timeoutMs;
        this.attempts = attempts;
        this.backoffMs = backoffMs;
    }

    /** Appends one batch at the partition's leader. */
    Appended produce(TopicPartition tp, MemoryRecords batch) {
        return withLeader(tp, client -> {
            ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName(tp.topic())
                    .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                            .setIndex(tp.partition()).setRecords(batch)));
            ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(timeoutMs)
                    .setTopicData(new ProduceRequestData.TopicProduceDataCollection(List.of(topic).iterator()));
            ProduceResponse response = (ProduceResponse) client.send(ProduceRequest.builder(data), PRODUCE_VERSION);
            for (ProduceResponseData.TopicProduceResponse t : response.data().responses()) {
                for (ProduceResponseData.PartitionProduceResponse p : t.partitionResponses()) {
                    throwIfError(p.errorCode(), p.errorMessage());
                    return new Appended(p.baseOffset(), p.logAppendTimeMs());
                }
            }
            throw new IOException("The leader's Produce answer names no partition");
        });
    }

    /** Reads committed records of the partition at its leader, from {@code offset}, about {@code maxBytes}. */
    Fetched fetch(TopicPartition tp, long offset, int maxBytes) {
        return fetch(tp, offset, maxBytes, 0);
    }

    /**
     * Like {@link #fetch(TopicPartition, long, int)}, but the leader waits up to {@code maxWaitMs} for a
     * committed record at or after {@code offset} before it answers (a long poll: an empty answer
     * means nothing new was committed meanwhile).
     */
    Fetched fetch(TopicPartition tp, long offset, int maxBytes, int maxWaitMs) {
        return withLeader(tp, client -> {
            FetchRequest.Builder builder = FetchRequest.Builder.forConsumer(FETCH_VERSION, maxWaitMs, maxWaitMs > 0 ? 1 : 0,
                    Map.of(tp, new FetchRequest.PartitionData(Uuid.ZERO_UUID, offset, -1L, maxBytes, Optional.empty(),
                            Optional.empty()))).setMaxBytes(Math.max(maxBytes, 1));
            FetchResponse response = (FetchResponse) client.send(builder, FETCH_VERSION);
            throwIfError(response.error().code(), null);
            for (FetchResponseData.FetchableTopicResponse t : response.data().responses()) {
                for (FetchResponseData.PartitionData p : t.partitions()) {
                    if (p.errorCode() == Errors.OFFSET_OUT_OF_RANGE.code()) {
                        throw new org.apache.kafka.common.errors.OffsetOutOfRangeException("Offset " + offset
                                + " is out of range for " + tp + (p.logStartOffset() >= 0 && p.highWatermark() >= 0
                                ? ": the log holds [" + p.logStartOffset() + ", " + p.highWatermark() + "]" : ""));
                    }
                    throwIfError(p.errorCode(), null);
                    return new Fetched((MemoryRecords) FetchResponse.recordsOrFail(p), p.highWatermark(),
                            p.logStartOffset());
                }
            }
            throw new IOException("The leader's Fetch answer names no partition");
        });
    }

    /**
     * The partition's earliest offset and high watermark at its leader: two ListOffsets lookups
     * (earliest, then latest), as a consumer asks, so records deleted in between can make the
     * first lag the second's moment.
     */
    LeaderOffsets offsets(TopicPartition tp) {
        return withLeader(tp, client -> {
            long earliest = listOffset(client, tp, ListOffsetsRequest.EARLIEST_TIMESTAMP);
            long latest = listOffset(client, tp, ListOffsetsRequest.LATEST_TIMESTAMP);
            return new LeaderOffsets(earliest, latest);
        });
    }

    /** The first offset whose record's timestamp is at or after {@code timestampMs} at the leader; -1 if none. */
    long offsetForTimestamp(TopicPartition tp, long timestampMs) {
        return withLeader(tp, client -> listOffset(client, tp, timestampMs));
    }

    private long listOffset(InterBrokerClient client, TopicPartition tp, long timestamp) throws IOException {
        ListOffsetsRequestData.ListOffsetsTopic topic = new ListOffsetsRequestData.ListOffsetsTopic().setName(tp.topic());
        topic.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(tp.partition())
                .setTimestamp(timestamp));
        ListOffsetsRequest.Builder builder = ListOffsetsRequest.Builder.forConsumer(false, IsolationLevel.READ_UNCOMMITTED)
                .setTargetTimes(List.of(topic));
        ListOffsetsResponse response = (ListOffsetsResponse) client.send(builder, LIST_OFFSETS_VERSION);
        for (ListOffsetsResponseData.ListOffsetsTopicResponse t : response.data().topics()) {
            for (ListOffsetsResponseData.ListOffsetsPartitionResponse p : t.partitions()) {
                throwIfError(p.errorCode(), null);
                return p.offset();
            }
        }
        throw new IOException("The leader's ListOffsets answer names no partition");
    }

    /**
     * Deletes the partition's records before {@code before} at its leader (DeleteRecords).
     *
     * @return the leader's log start offset afterwards
     */
    long deleteRecords(TopicPartition tp, long before) {
        if (before < 0) {
            // -1 means "the high watermark" in DeleteRecords: never let a bad offset mean that.
            throw new org.apache.kafka.common.errors.OffsetOutOfRangeException("Cannot delete records before offset "
                    + before + " of " + tp + ": it must not be negative");
        }
        return withLeader(tp, client -> {
            DeleteRecordsRequestData.DeleteRecordsTopic topic = new DeleteRecordsRequestData.DeleteRecordsTopic()
                    .setName(tp.topic()).setPartitions(List.of(new DeleteRecordsRequestData.DeleteRecordsPartition()
                            .setPartitionIndex(tp.partition()).setOffset(before)));
            DeleteRecordsRequest.Builder builder = new DeleteRecordsRequest.Builder(new DeleteRecordsRequestData()
                    .setTopics(List.of(topic)).setTimeoutMs(timeoutMs));
            DeleteRecordsResponse response = (DeleteRecordsResponse) client.send(builder, DELETE_RECORDS_VERSION);
            for (DeleteRecordsResponseData.DeleteRecordsTopicResult t : response.data().topics()) {
                for (DeleteRecordsResponseData.DeleteRecordsPartitionResult p : t.partitions()) {
                    if (p.errorCode() == Errors.OFFSET_OUT_OF_RANGE.code()) {
                        // DeleteRecords carries no message: say what the leader's own answer says.
                        throw new org.apache.kafka.common.errors.OffsetOutOfRangeException("Cannot delete records before offset "
                                + before + " of " + tp + ": it must be within [0, the high watermark]");
                    }
                    throwIfError(p.errorCode(), null);
                    return p.lowWatermark();
                }
            }
            throw new IOException("The leader's DeleteRecords answer names no partition");
        });
    }

    private static void throwIfError(short code, String message) {
        Errors error = Errors.forCode(code);
        if (error != Errors.NONE) {
            throw error.exception(message == null || message.isEmpty() ? error.message() : message);
        }
    }

    private interface Call<T> {
        T on(InterBrokerClient client) throws IOException;
    }

    private <T> T withLeader(TopicPartition tp, Call<T> call) {
        String lastProblem = "no leader";
        for (int attempt = 0; attempt < attempts; attempt++) {
            if (attempt > 0) {
                pause();
            }
            int leader = leaderOf.applyAsInt(tp);
            if (leader == brokerId) {
                throw new LeaderIsLocal();
            }
            if (leader < 0) {
                lastProblem = "the partition has no leader";
                continue;
            }
            Optional<InetSocketAddress> address = addressOf.apply(leader);
            if (address.isEmpty()) {
                lastProblem = "its leader, broker " + leader + ", is not registered";
                continue;
            }
            InterBrokerClient client = borrow(leader, address.get());
            boolean healthy = false;
            try {
                T result = call.on(client);
                healthy = true;
                return result;
            } catch (IOException e) {
                lastProblem = "broker " + leader + " could not be reached: " + e.getMessage();
                LOG.log(Level.DEBUG, "Forwarding to broker {0} for {1} failed: {2}", leader, tp, e.getMessage());
            } catch (NotLeaderOrFollowerException | LeaderNotAvailableException | FencedLeaderEpochException
                     | UnknownLeaderEpochException e) {
                // Leadership moved on (or is moving): ask the metadata again.
                healthy = true;
                lastProblem = "broker " + leader + " answered " + e.getMessage();
            } catch (ApiException e) {
                healthy = true;
                throw e;
            } finally {
                giveBack(leader, client, healthy);
            }
        }
        throw new LeaderNotAvailableException("Partition " + tp + " could not be reached through its leader after "
                + attempts + " attempts (" + lastProblem + "); retry later.");
    }

    private void pause() {
        try {
            Thread.sleep(backoffMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        }
    }

    private InterBrokerClient borrow(int broker, InetSocketAddress address) {
        ConcurrentLinkedQueue<InterBrokerClient> idle = pool.computeIfAbsent(broker, b -> new ConcurrentLinkedQueue<>());
        InterBrokerClient c;
        while ((c = idle.poll()) != null) {
            if (c.address().equals(address)) {
                return c;
            }
            c.close();
        }
        return new InterBrokerClient(address, "tributary-forwarder-" + brokerId, timeoutMs);
    }

    private void giveBack(int broker, InterBrokerClient client, boolean healthy) {
        ConcurrentLinkedQueue<InterBrokerClient> idle = pool.computeIfAbsent(broker, b -> new ConcurrentLinkedQueue<>());
        if (!healthy || closed || idle.size() >= POOLED_PER_BROKER) {
            client.close();
        } else {
            idle.offer(client);
            if (closed) {
                client.close();
            }
        }
    }

    /** Closes the pooled connections. Idempotent. */
    @Override
    public void close() {
        closed = true;
        pool.values().forEach(q -> {
            InterBrokerClient c;
            while ((c = q.poll()) != null) {
                c.close();
            }
        });
    }
}
