package io.tributary.coordination;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZooKeeperSessionTest {

    @TempDir
    Path dir;

    @Test
    void reportsConnectedWithTheSessionId() throws Exception {
        try (EmbeddedZooKeeper zk = new EmbeddedZooKeeper(dir, "127.0.0.1", 0)) {
            zk.start();
            try (CuratorFramework client = ZooKeeperTestSupport.connectedClient(zk.connectString());
                    ZooKeeperSession session = new ZooKeeperSession(client)) {
                assertTrue(session.isConnected());
                assertTrue(session.awaitConnected(Duration.ofSeconds(1)));
                String description = session.describe();
                assertTrue(description.startsWith("CONNECTED to " + zk.connectString() + ", session 0x"), description);
            }
        }
    }

    @Test
    void reportsSuspendedThenLostWhenTheServerStopsAndConnectedWhenItReturns() throws Exception {
        EmbeddedZooKeeper zk = new EmbeddedZooKeeper(dir, "127.0.0.1", 0);
        zk.start();
        int port = zk.port();
        List<ConnectionState> seen = new CopyOnWriteArrayList<>();
        try (CuratorFramework client = ZooKeeperTestSupport.connectedClient(zk.connectString(), 2_000);
                ZooKeeperSession session = new ZooKeeperSession(client)) {
            session.addListener(seen::add);
            zk.close();
            ZooKeeperTestSupport.eventually(Duration.ofSeconds(10), () -> seen.contains(ConnectionState.SUSPENDED), "SUSPENDED");
            assertFalse(session.isConnected());
            ZooKeeperTestSupport.eventually(Duration.ofSeconds(15), () -> seen.contains(ConnectionState.LOST), "LOST");
            assertTrue(session.describe().startsWith("LOST since "), session.describe());
            assertFalse(session.awaitConnected(Duration.ofMillis(100)));

            zk = new EmbeddedZooKeeper(dir, "127.0.0.1", port);
            zk.start();
            assertTrue(session.awaitConnected(Duration.ofSeconds(20)), "reconnected: " + session.describe());
            assertTrue(session.describe().contains("CONNECTED"), session.describe());
        } finally {
            zk.close();
        }
    }
}
