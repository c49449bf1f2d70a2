package io.tributary.config;

/**
 * Everything a broker is configured with, mapped once at start-up from MicroProfile Config.
 *
 * @param brokerId       {@code broker.id}
 * @param advertisedHost {@code advertised.host.name}: the host name other brokers and clients are told
 * @param httpPort       {@code http.port}: the Liberty HTTP port the REST and WebSocket APIs answer on
 * @param zooKeeper      coordination settings
 * @param storage        log settings
 * @param topics         defaults for new topics
 * @param kafka          the Kafka protocol listener
 * @param groups         the group coordinator
 * @param replication    replication between brokers
 */
public record BrokerConfig(int brokerId, String advertisedHost, int httpPort, ZooKeeperConfig zooKeeper, StorageConfig storage,
                           TopicDefaults topics, KafkaListenerConfig kafka, GroupConfig groups,
                           ReplicationConfig replication) {
}
