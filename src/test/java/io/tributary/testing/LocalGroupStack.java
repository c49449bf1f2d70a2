package io.tributary.testing;

import io.tributary.config.GroupConfig;
import io.tributary.group.GroupCoordinator;
import io.tributary.group.ManagedMembers;
import io.tributary.group.OffsetStore;
import io.tributary.storage.LogConfig;
import io.tributary.storage.LogManager;
import io.tributary.storage.LogManagerConfig;
import io.tributary.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A group coordinator (no offsets topic: commits stay in memory) and the managed members over it,
 * with real partition logs in a temp dir that stand for the broker's topics, for unit tests of
 * what joins groups on behalf of clients (WebSocket subscriptions, REST consumer instances).
 *
 * <p>Start it from {@code @BeforeEach} and close it from {@code @AfterEach}, after closing what the
 * test built on it; {@link #close()} is idempotent. The logs map is concurrent; the rest is owned
 * by one test.
 */
public final class LocalGroupStack implements AutoCloseable {

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final Map<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
    private final LogManager logManager;
    private final GroupCoordinator coordinator;
    private final ManagedMembers members;
    private boolean closed;

    /** Starts the log manager in {@code dir}, the coordinator and the members; there are no topics yet. */
    public LocalGroupStack(Path dir) {
        logManager = new LogManager(new LogManagerConfig(List.of(dir), 60_000, 60_000, 1), LogConfig.defaults(),
                Clock.systemUTC(), scheduler, executor);
        logManager.startup(t -> LogConfig.defaults()).join();
        coordinator = new GroupCoordinator(new GroupConfig(1, 1 << 20, 100, 60_000, 0, 64), OffsetStore.NONE, scheduler,
                Clock.systemUTC());
        coordinator.start();
        members = new ManagedMembers(coordinator, scheduler, () -> {
            Map<String, Integer> counts = new TreeMap<>();
            logs.keySet().forEach(tp -> counts.merge(tp.topic(), 1, Integer::sum));
            return counts;
        });
    }

    /** Creates the logs of partitions 0 to {@code partitions - 1} of {@code topic}. */
    public void createTopic(String topic, int partitions) {
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            logs.put(tp, logManager.getOrCreateLog(tp, LogConfig.defaults()));
        }
    }

    /** The log of {@code tp}, or {@link UnknownTopicOrPartitionException} as the broker answers. */
    public PartitionLog log(TopicPartition tp) {
        PartitionLog log = logs.get(tp);
        if (log == null) {
            throw new UnknownTopicOrPartitionException("no " + tp);
        }
        return log;
    }

    /** The topics' logs by partition; tests may add to it. */
    public Map<TopicPartition, PartitionLog> logs() {
        return logs;
    }

    public LogManager logManager() {
        return logManager;
    }

    public GroupCoordinator coordinator() {
        return coordinator;
    }

    public ManagedMembers members() {
        return members;
    }

    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    public ExecutorService executor() {
        return executor;
    }

    /** Closes the coordinator and the logs, then stops the executors, waiting a little for running tasks. */
    @Override
    public void close() throws InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        coordinator.close();
        logManager.close();
        executor.shutdownNow();
        scheduler.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }
}
