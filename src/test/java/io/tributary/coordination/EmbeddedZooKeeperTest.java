package io.tributary.coordination;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedZooKeeperTest {

    @TempDir
    Path dir;

    @Test
    void startsOnAFreePortAndServesClients() throws Exception {
        try (EmbeddedZooKeeper zk = new EmbeddedZooKeeper(dir, "127.0.0.1", 0)) {
            zk.start();
            assertTrue(zk.connectString().matches("127\\.0\\.0\\.1:\\d+"), zk.connectString());
            try (CuratorFramework client = ZooKeeperTestSupport.connectedClient(zk.connectString())) {
                client.create().forPath("/hello", "world".getBytes(StandardCharsets.UTF_8));
                assertArrayEquals("world".getBytes(StandardCharsets.UTF_8), client.getData().forPath("/hello"));
            }
        }
    }

    @Test
    void startIsIdempotentAndClosedInstanceCannotRestart() {
        EmbeddedZooKeeper zk = new EmbeddedZooKeeper(dir, "127.0.0.1", 0);
        zk.start();
        int port = zk.port();
        zk.start();
        assertEquals(port, zk.port());
        zk.close();
        zk.close();
        assertThrows(IllegalStateException.class, zk::start);
    }

    @Test
    void restartOnTheSameDataDirKeepsTheData() throws Exception {
        int port;
        try (EmbeddedZooKeeper zk = new EmbeddedZooKeeper(dir, "127.0.0.1", 0)) {
            zk.start();
            port = zk.port();
            try (CuratorFramework client = ZooKeeperTestSupport.connectedClient(zk.connectString())) {
                client.create().creatingParentsIfNeeded().forPath("/kept/across/restart", new byte[] {42});
            }
        }
        try (EmbeddedZooKeeper zk = new EmbeddedZooKeeper(dir, "127.0.0.1", port)) {
            zk.start();
            try (CuratorFramework client = ZooKeeperTestSupport.connectedClient(zk.connectString())) {
                assertArrayEquals(new byte[] {42}, client.getData().forPath("/kept/across/restart"));
            }
        }
        try (var stale = Files.newDirectoryStream(dir.resolve("conf"))) {
            int configFiles = 0;
            for (Path ignored : stale) {
                configFiles++;
            }
            assertEquals(1, configFiles, "old generated config files are cleaned up");
        }
    }

    @Test
    void closeFreesThePort() throws Exception {
        EmbeddedZooKeeper zk = new EmbeddedZooKeeper(dir, "127.0.0.1", 0);
        zk.start();
        int port = zk.port();
        zk.close();
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        }
    }
}
