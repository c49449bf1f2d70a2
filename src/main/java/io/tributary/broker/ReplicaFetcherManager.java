package io.tributary.broker;

import io.tributary.config.ReplicationConfig;
import org.apache.kafka.common.TopicPartition;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.function.IntFunction;

/**
 * The replica fetchers of this broker: one per leader broker it follows partitions of, each on a
 * thread of its own from the given factory, created when the first partition needs it and stopped
 * when the last one leaves.
 *
 * <p>Thread-safe: all methods are synchronized on the manager (they are called on leadership
 * changes, which are rare).
 */
public final class ReplicaFetcherManager implements AutoCloseable {

    private final int brokerId;
    private final IntFunction<Optional<InetSocketAddress>> endpoints;
    private final ThreadFactory threads;
    private final ReplicationConfig config;
    private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
    private final Map<TopicPartition, Integer> leaderOf = new HashMap<>();
    private boolean closed;

    /**
     * @param endpoints where to reach a broker's Kafka listener, by broker id (empty while it is not registered)
     */
    public ReplicaFetcherManager(int brokerId, IntFunction<Optional<InetSocketAddress>> endpoints, ThreadFactory threads,
                                 ReplicationConfig config) {
        this.brokerId = brokerId;
        this.endpoints = endpoints;
        this.threads = threads;
        this.config = config;
    }

    /** Starts (or restarts, truncating first) fetching a partition from its leader in the given epoch. */
    public synchronized void follow(Partition partition, int leaderId, int leaderEpoch) {
        if (closed) {
            return;
        }
        TopicPartition tp = partition.topicPartition();
        unfollow(tp);
        ReplicaFetcher fetcher = fetchers.get(leaderId);
        if (fetcher == null) {
            fetcher = new ReplicaFetcher(brokerId, leaderId, endpoints, config);
            Thread t = threads.newThread(fetcher);
            if (t == null) {
                throw new IllegalStateException("No thread for the replica fetcher from broker " + leaderId);
            }
            fetchers.put(leaderId, fetcher);
            t.start();
        }
        fetcher.follow(partition, leaderEpoch);
        leaderOf.put(tp, leaderId);
    }

    /** Stops fetching a partition (it became leader, lost its leader, or was deleted). */
    public synchronized void unfollow(TopicPartition tp) {
        Integer leader = leaderOf.remove(tp);
        if (leader == null) {
            return;
        }
        ReplicaFetcher fetcher = fetchers.get(leader);
        if (fetcher != null) {
            fetcher.unfollow(tp);
            if (fetcher.isIdle()) {
                fetchers.remove(leader);
                fetcher.shutdown();
            }
        }
    }

    /** The leader a partition is fetched from, if it is followed. */
    public synchronized Optional<Integer> leaderOf(TopicPartition tp) {
        return Optional.ofNullable(leaderOf.get(tp));
    }

    @Override
    public synchronized void close() {
        closed = true;
        fetchers.values().forEach(ReplicaFetcher::shutdown);
        fetchers.clear();
        leaderOf.clear();
    }
}
