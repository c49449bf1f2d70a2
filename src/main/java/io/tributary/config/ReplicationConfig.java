package io.tributary.config;

/**
 * How partitions are replicated between brokers and how the controller moves their leaders, named
 * as in Kafka.
 *
 * @param replicaLagTimeMaxMs     {@code replica.lag.time.max.ms}: a follower not caught up for this long leaves the ISR
 * @param fetchWaitMaxMs          {@code replica.fetch.wait.max.ms}: how long a follower's fetch waits at the leader for data
 * @param fetchMinBytes           {@code replica.fetch.min.bytes}
 * @param fetchMaxBytes           {@code replica.fetch.max.bytes}: per partition
 * @param fetchResponseMaxBytes   {@code replica.fetch.response.max.bytes}
 * @param fetchBackoffMs          {@code replica.fetch.backoff.ms}: pause after a failed fetch
 * @param socketTimeoutMs         {@code replica.socket.timeout.ms}
 * @param uncleanLeaderElection   {@code unclean.leader.election.enable}: let an out-of-sync replica lead (losing data)
 * @param controlledShutdown      {@code controlled.shutdown.enable}: a clean stop hands leadership over first
 * @param controlledShutdownMaxRetries     {@code controlled.shutdown.max.retries}: attempts at that hand-over
 * @param controlledShutdownRetryBackoffMs {@code controlled.shutdown.retry.backoff.ms}: how long each attempt waits
 * @param autoLeaderRebalance     {@code auto.leader.rebalance.enable}: the controller gives leadership back to
 *                                preferred replicas
 * @param leaderImbalanceCheckIntervalSeconds {@code leader.imbalance.check.interval.seconds}
 * @param leaderImbalancePerBrokerPercentage  {@code leader.imbalance.per.broker.percentage}: the share of a broker's
 *                                preferred partitions led elsewhere that triggers the rebalance
 */
public record ReplicationConfig(int replicaLagTimeMaxMs, int fetchWaitMaxMs, int fetchMinBytes, int fetchMaxBytes,
                                int fetchResponseMaxBytes, int fetchBackoffMs, int socketTimeoutMs,
                                boolean uncleanLeaderElection, boolean controlledShutdown,
                                int controlledShutdownMaxRetries, int controlledShutdownRetryBackoffMs,
                                boolean autoLeaderRebalance, int leaderImbalanceCheckIntervalSeconds,
                                int leaderImbalancePerBrokerPercentage) {

    /** Replication settings with Kafka's defaults for controlled shutdown and leader rebalancing. */
    public ReplicationConfig(int replicaLagTimeMaxMs, int fetchWaitMaxMs, int fetchMinBytes, int fetchMaxBytes,
                             int fetchResponseMaxBytes, int fetchBackoffMs, int socketTimeoutMs,
                             boolean uncleanLeaderElection) {
        this(replicaLagTimeMaxMs, fetchWaitMaxMs, fetchMinBytes, fetchMaxBytes, fetchResponseMaxBytes, fetchBackoffMs,
                socketTimeoutMs, uncleanLeaderElection, true, 3, 5_000, true, 300, 10);
    }

    /** Kafka's defaults. */
    public static ReplicationConfig defaults() {
        return new ReplicationConfig(30_000, 500, 1, 1_048_576, 10_485_760, 1_000, 30_000, false);
    }
}
