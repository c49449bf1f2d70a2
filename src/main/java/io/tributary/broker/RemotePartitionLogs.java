package io.tributary.broker;

import io.tributary.storage.PartitionLog;
import io.tributary.storage.ReadableLog;
import org.apache.kafka.common.TopicPartition;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The partitions read on this broker through their leaders ({@link RemotePartitionLog}), one object
 * per partition so that every reader of it shares one follower loop and its kept records.
 *
 * <p>Thread-safe. Closing stops every follower loop; a log of a deleted topic is let go with
 * {@link #forget}.
 */
public final class RemotePartitionLogs implements AutoCloseable {

    private final LeaderForwarder forwarder;
    private final Function<TopicPartition, Optional<PartitionLog>> localReplica;
    private final Executor executor;
    private final RemotePartitionLog.Settings settings;
    private final ConcurrentHashMap<TopicPartition, RemotePartitionLog> logs = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public RemotePartitionLogs(LeaderForwarder forwarder, Function<TopicPartition, Optional<PartitionLog>> localReplica,
                               Executor executor, RemotePartitionLog.Settings settings) {
        this.forwarder = forwarder;
        this.localReplica = localReplica;
        this.executor = executor;
        this.settings = settings;
    }

    /** The partition read through its leader; the caller has checked that it exists. */
    public ReadableLog get(TopicPartition tp) {
        RemotePartitionLog log = logs.computeIfAbsent(tp,
                p -> new RemotePartitionLog(p, forwarder, localReplica, executor, settings));
        if (closed) {
            log.close();
        }
        return log;
    }

    /** Stops following the partitions of a topic that was deleted. */
    public void forget(String topic) {
        logs.entrySet().removeIf(e -> {
            if (e.getKey().topic().equals(topic)) {
                e.getValue().close();
                return true;
            }
            return false;
        });
    }

    /** Partitions followed now (for tests and diagnostics). */
    public int following() {
        return (int) logs.values().stream().filter(RemotePartitionLog::following).count();
    }

    @Override
    public void close() {
        closed = true;
        logs.values().forEach(RemotePartitionLog::close);
    }
}
