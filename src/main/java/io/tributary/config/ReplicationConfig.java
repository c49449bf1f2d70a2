package io.tributary.config;

/**
 * How partitions are replicated between brokers, named as in Kafka.
 *
 * @param replicaLagTimeMaxMs     {@code replica.lag.time.max.ms}: a follower not caught up for this long leaves the ISR
 * @param fetchWaitMaxMs          {@code replica.fetch.wait.max.ms}: how long a follower's fetch waits at the leader for data
 * @param fetchMinBytes           {@code replica.fetch.min.bytes}
 * @param fetchMaxBytes           {@code replica.fetch.max.bytes}: per partition
 * @param fetchResponseMaxBytes   {@code replica.fetch.response.max.bytes}
 * @param fetchBackoffMs          {@code replica.fetch.backoff.ms}: pause after a failed fetch
 * @param socketTimeoutMs         {@code replica.socket.timeout.ms}
 * @param uncleanLeaderElection   {@code unclean.leader.election.enable}: let an out-of-sync replica lead (losing data)
 */
public record ReplicationConfig(int replicaLagTimeMaxMs, int fetchWaitMaxMs, int fetchMinBytes, int fetchMaxBytes,
                                int fetchResponseMaxBytes, int fetchBackoffMs, int socketTimeoutMs,
                                boolean uncleanLeaderElection) {

    /** Kafka's defaults. */
    public static ReplicationConfig defaults() {
        return new ReplicationConfig(30_000, 500, 1, 1_048_576, 10_485_760, 1_000, 30_000, false);
    }
}
