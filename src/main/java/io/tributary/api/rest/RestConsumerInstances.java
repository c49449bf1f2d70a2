package io.tributary.api.rest;

import io.tributary.app.Broker;
import io.tributary.app.BrokerExecutors;
import io.tributary.app.BrokerNotAvailableException;
import io.tributary.broker.RecordService;
import io.tributary.broker.consumer.ConsumerInstances;
import io.tributary.broker.consumer.PartitionSource;
import io.tributary.config.ConsumerInstancesConfig;
import io.tributary.config.GroupConfig;
import io.tributary.storage.ReadableLog;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.Config;

import java.util.Set;

/**
 * Holds the broker's REST consumer instances: creates the {@link ConsumerInstances} engine on first
 * use once the broker runs (its group coordinator and partitions exist only then) and closes it with
 * the application.
 *
 * <p>Thread-safe: creation and close are synchronized on this bean.
 */
@ApplicationScoped
public class RestConsumerInstances {

    /** Session timeout of REST members, within the broker's allowed range: their heartbeats are the broker's own. */
    private static final int SESSION_TIMEOUT_MS = 10_000;

    private final Broker broker;
    private final BrokerExecutors executors;
    private final ConsumerInstancesConfig config;
    private ConsumerInstances instances;
    private boolean closed;

    /** For the container's client proxy only. */
    protected RestConsumerInstances() {
        this.broker = null;
        this.executors = null;
        this.config = null;
    }

    @Inject
    public RestConsumerInstances(Broker broker, BrokerExecutors executors, Config mpConfig) {
        this.broker = broker;
        this.executors = executors;
        this.config = ConsumerInstancesConfig.load(name -> mpConfig.getOptionalValue(name, String.class));
    }

    public ConsumerInstancesConfig config() {
        return config;
    }

    /** The instances; 503 while the broker is not running. */
    public synchronized ConsumerInstances instances() {
        if (closed) {
            throw new BrokerNotAvailableException("The broker is shutting down.");
        }
        if (instances == null) {
            GroupConfig groups = broker.config().groups();
            int sessionTimeoutMs = Math.max(groups.minSessionTimeoutMs(),
                    Math.min(groups.maxSessionTimeoutMs(), SESSION_TIMEOUT_MS));
            instances = new ConsumerInstances(
                    new ConsumerInstances.Settings(config.instanceTimeoutMs(), sessionTimeoutMs),
                    broker.groupMembers(), broker.groups(), new BrokerPartitions(broker),
                    executors.scheduler(), executors.executor(), System::nanoTime);
            instances.start();
        }
        return instances;
    }

    @PreDestroy
    synchronized void close() {
        closed = true;
        if (instances != null) {
            instances.close();
        }
    }

    /** The broker's partitions, read through its record service. */
    private record BrokerPartitions(Broker broker) implements PartitionSource {
        @Override
        public ReadableLog log(TopicPartition tp) {
            return broker.readableLog(tp);
        }

        @Override
        public RecordService.ReadResult read(TopicPartition tp, long offset, int maxBytes) {
            return broker.records().read(tp.topic(), tp.partition(), offset, maxBytes, Integer.MAX_VALUE);
        }

        @Override
        public Set<String> topics() {
            return broker.metadata().topics().keySet();
        }
    }
}
