package io.tributary.broker;

import io.tributary.config.ReplicationConfig;
import io.tributary.storage.LeaderEpochCache;
import io.tributary.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * Fetches, as a follower, every partition this broker follows from one leader broker, over one
 * connection with the Kafka protocol ({@code replica_id} = this broker's id).
 *
 * <p>A partition joins in the "truncating" phase: before fetching anything the fetcher asks the
 * leader (OffsetsForLeaderEpoch) where the leader's copy of this replica's latest epoch ends and
 * truncates the local log there, so records the leader does not have (written by a deposed leader
 * and never committed) are dropped before new ones arrive at the same offsets. Then it fetches from
 * the log end, appending what comes back with the leader's offsets and epochs, and carries the
 * leader's high watermark over. Fetches long-poll at the leader ({@code replica.fetch.wait.max.ms}),
 * so an idle partition costs no busy loop.
 *
 * <p>Thread-safe: {@link #follow} and {@link #unfollow} may be called from any thread; the fetch
 * loop runs on one thread of its own. A partition's appends carry the leader epoch they were
 * fetched under, so a partition handed to another fetcher meanwhile is never written by this one.
 */
final class ReplicaFetcher implements Runnable {

    private static final System.Logger LOG = System.getLogger(ReplicaFetcher.class.getName());
    private static final short FETCH_VERSION = 12;
    private static final short OFFSETS_FOR_LEADER_EPOCH_VERSION = 4;

    /** One followed partition: under which leader epoch, and whether its log is truncated for it yet. */
    private record FetchState(Partition partition, int leaderEpoch, boolean truncated) {
    }

    private final int brokerId;
    private final int leaderId;
    private final IntFunction<Optional<InetSocketAddress>> endpoints;
    private final ReplicationConfig config;
    private final Map<TopicPartition, FetchState> partitions = new ConcurrentHashMap<>();
    private final Object wakeup = new Object();
    private volatile boolean running = true;
    private volatile InterBrokerClient client;

    ReplicaFetcher(int brokerId, int leaderId, IntFunction<Optional<InetSocketAddress>> endpoints, ReplicationConfig config) {
        this.brokerId = brokerId;
        this.leaderId = leaderId;
        this.endpoints = endpoints;
        this.config = config;
    }

    int leaderId() {
        return leaderId;
    }

    void follow(Partition partition, int leaderEpoch) {
        partitions.put(partition.topicPartition(), new FetchState(partition, leaderEpoch, false));
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
    }

    void unfollow(TopicPartition tp) {
        partitions.remove(tp);
    }

    boolean isIdle() {
        return partitions.isEmpty();
    }

    void shutdown() {
        running = false;
        InterBrokerClient c = client;
        if (c != null) {
            c.close();
        }
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
    }

    @Override
    public void run() {
        while (running) {
            try {
                if (partitions.isEmpty()) {
                    synchronized (wakeup) {
                        if (partitions.isEmpty() && running) {
                            wakeup.wait(1_000);
                        }
                    }
                    continue;
                }
                InterBrokerClient c = connection();
                if (c == null) {
                    backoff();
                    continue;
                }
                boolean progress = truncatePending(c);
                progress |= fetch(c);
                if (!progress) {
                    backoff();
                }
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "Broker " + brokerId + " cannot fetch from broker " + leaderId + ": " + e.getMessage());
                closeConnection();
                backoff();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Replica fetcher of broker " + brokerId + " from broker " + leaderId + " failed", e);
                closeConnection();
                backoff();
            }
        }
        closeConnection();
    }

    private InterBrokerClient connection() {
        Optional<InetSocketAddress> address = endpoints.apply(leaderId);
        InterBrokerClient c = client;
        if (address.isEmpty()) {
            closeConnection();
            return null;
        }
        if (c == null || !c.address().equals(address.get())) {
            closeConnection();
            c = new InterBrokerClient(address.get(), "tributary-replica-fetcher-" + brokerId,
                    config.socketTimeoutMs());
            client = c;
        }
        return c;
    }

    private void closeConnection() {
        InterBrokerClient c = client;
        client = null;
        if (c != null) {
            c.close();
        }
    }

    private void backoff() {
        synchronized (wakeup) {
            try {
                if (running) {
                    wakeup.wait(config.fetchBackoffMs());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }

    /** Truncates newly followed partitions to where the leader's log agrees with theirs. */
    private boolean truncatePending(InterBrokerClient c) throws IOException, InterruptedException {
        List<FetchState> pending = new ArrayList<>();
        for (FetchState s : partitions.values()) {
            if (!s.truncated()) {
                pending.add(s);
            }
        }
        if (pending.isEmpty()) {
            return false;
        }
        OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection topics =
                new OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection();
        List<FetchState> asked = new ArrayList<>();
        for (FetchState s : pending) {
            PartitionLog log = s.partition().log();
            int latest = log.latestEpoch();
            if (latest < 0 && log.logEndOffset() == log.logStartOffset()) {
                // Nothing local that could diverge.
                markTruncated(s);
                continue;
            }
            TopicPartition tp = s.partition().topicPartition();
            OffsetForLeaderEpochRequestData.OffsetForLeaderTopic topic = topics.find(tp.topic());
            if (topic == null) {
                topic = new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(tp.topic());
                topics.add(topic);
            }
            topic.partitions().add(new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition()
                    .setPartition(tp.partition()).setCurrentLeaderEpoch(s.leaderEpoch()).setLeaderEpoch(latest));
            asked.add(s);
        }
        if (asked.isEmpty()) {
            return true;
        }
        OffsetsForLeaderEpochResponse response = (OffsetsForLeaderEpochResponse) c.send(
                OffsetsForLeaderEpochRequest.Builder.forFollower(topics, brokerId), OFFSETS_FOR_LEADER_EPOCH_VERSION);
        boolean progress = false;
        for (OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult t : response.data().topics()) {
            for (OffsetForLeaderEpochResponseData.EpochEndOffset p : t.partitions()) {
                TopicPartition tp = new TopicPartition(t.topic(), p.partition());
                FetchState s = partitions.get(tp);
                if (s == null || s.truncated()) {
                    continue;
                }
                Errors error = Errors.forCode(p.errorCode());
                if (error != Errors.NONE) {
                    LOG.log(Level.DEBUG, "Broker {0}: leader {1} answered {2} for the epochs of {3}", brokerId, leaderId,
                            error, tp);
                    continue;
                }
                long target = truncationOffset(s.partition().log(), p.leaderEpoch(), p.endOffset());
                if (s.partition().truncateAsFollower(target, s.leaderEpoch())) {
                    LOG.log(Level.INFO, "Broker {0} follows broker {1} for {2} in epoch {3} from offset {4}",
                            brokerId, leaderId, tp, s.leaderEpoch(), s.partition().log().logEndOffset());
                    markTruncated(s);
                    progress = true;
                }
            }
        }
        return progress;
    }

    /**
     * Kafka's rule: the leader said its copy of epoch E ends at {@code leaderEndOffset}. If this log
     * knows E, it keeps what lies below both its own end of E and the leader's; otherwise it keeps
     * what lies below the leader's end. An undefined answer (the leader knows no such epoch) falls
     * back to the high watermark, below which everything is committed.
     */
    static long truncationOffset(PartitionLog log, int leaderEpoch, long leaderEndOffset) {
        if (leaderEpoch == LeaderEpochCache.UNDEFINED_EPOCH || leaderEndOffset == LeaderEpochCache.UNDEFINED_OFFSET) {
            return log.highWatermark();
        }
        LeaderEpochCache.EpochEndOffset local = log.endOffsetForEpoch(leaderEpoch);
        long localEnd = local.leaderEpoch() == leaderEpoch ? local.endOffset() : log.logEndOffset();
        return Math.min(leaderEndOffset, Math.min(localEnd, log.logEndOffset()));
    }

    private void markTruncated(FetchState s) {
        partitions.replace(s.partition().topicPartition(), s, new FetchState(s.partition(), s.leaderEpoch(), true));
    }

    private boolean fetch(InterBrokerClient c) throws IOException {
        Map<TopicPartition, FetchRequest.PartitionData> data = new LinkedHashMap<>();
        Map<TopicPartition, FetchState> asked = new LinkedHashMap<>();
        for (FetchState s : partitions.values()) {
            if (!s.truncated()) {
                continue;
            }
            PartitionLog log = s.partition().log();
            TopicPartition tp = s.partition().topicPartition();
            data.put(tp, new FetchRequest.PartitionData(Uuid.ZERO_UUID, log.logEndOffset(), log.logStartOffset(),
                    config.fetchMaxBytes(), Optional.of(s.leaderEpoch()), Optional.empty()));
            asked.put(tp, s);
        }
        if (data.isEmpty()) {
            return false;
        }
        FetchRequest.Builder builder = FetchRequest.Builder.forReplica(FETCH_VERSION, brokerId, -1L,
                config.fetchWaitMaxMs(), config.fetchMinBytes(), data).setMaxBytes(config.fetchResponseMaxBytes());
        FetchResponse response = (FetchResponse) c.send(builder, FETCH_VERSION);
        if (response.error() != Errors.NONE) {
            return false;
        }
        boolean progress = false;
        boolean anyError = false;
        for (FetchResponseData.FetchableTopicResponse t : response.data().responses()) {
            for (FetchResponseData.PartitionData p : t.partitions()) {
                TopicPartition tp = new TopicPartition(t.topic(), p.partitionIndex());
                FetchState s = asked.get(tp);
                if (s == null || partitions.get(tp) != s) {
                    continue;
                }
                Errors error = Errors.forCode(p.errorCode());
                switch (error) {
                    case NONE -> {
                        MemoryRecords records = (MemoryRecords) FetchResponse.recordsOrFail(p);
                        s.partition().appendAsFollower(records, s.leaderEpoch(), p.highWatermark(), p.logStartOffset());
                        progress = true;
                    }
                    case OFFSET_OUT_OF_RANGE -> {
                        PartitionLog log = s.partition().log();
                        if (p.logStartOffset() >= 0 && log.logEndOffset() < p.logStartOffset()) {
                            s.partition().restartAsFollowerAt(p.logStartOffset(), s.leaderEpoch());
                        } else {
                            // Ahead of the leader: find where the logs agree again.
                            partitions.replace(tp, s, new FetchState(s.partition(), s.leaderEpoch(), false));
                        }
                        progress = true;
                    }
                    default -> {
                        // Mostly metadata racing ahead of (or behind) the leader's: wait for it to settle.
                        anyError = true;
                        LOG.log(Level.DEBUG, "Broker {0}: fetch of {1} from broker {2} answered {3}",
                                brokerId, tp, leaderId, error);
                    }
                }
            }
        }
        // The leader answers at once when any partition fails; backing off keeps that from spinning.
        return progress && !anyError;
    }
}
