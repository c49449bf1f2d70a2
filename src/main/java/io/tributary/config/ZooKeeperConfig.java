package io.tributary.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How the broker reaches ZooKeeper.
 *
 * @param connect             {@code zookeeper.connect}; empty means start an embedded single-node server
 * @param sessionTimeoutMs    {@code zookeeper.session.timeout.ms}
 * @param connectionTimeoutMs {@code zookeeper.connection.timeout.ms}: how long start-up waits for a session
 * @param embeddedPort        {@code zookeeper.embedded.port}: client port of the embedded server (0 picks a free one)
 * @param embeddedDataDir     {@code zookeeper.embedded.data.dir}: where the embedded server keeps its data
 */
public record ZooKeeperConfig(Optional<String> connect, int sessionTimeoutMs, int connectionTimeoutMs,
                              int embeddedPort, Path embeddedDataDir) {

    public boolean embedded() {
        return connect.isEmpty();
    }
}
