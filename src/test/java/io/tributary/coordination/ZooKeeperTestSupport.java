package io.tributary.coordination;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/** Helpers shared by the coordination tests. */
final class ZooKeeperTestSupport {

    static final int SESSION_TIMEOUT_MS = 4_000;
    static final int CONNECTION_TIMEOUT_MS = 3_000;

    private ZooKeeperTestSupport() {
    }

    static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A started client that is connected. */
    static CuratorFramework connectedClient(String connectString) throws InterruptedException {
        return connectedClient(connectString, SESSION_TIMEOUT_MS);
    }

    static CuratorFramework connectedClient(String connectString, int sessionTimeoutMs) throws InterruptedException {
        CuratorFramework client = CuratorClients.newClient(connectString, sessionTimeoutMs, CONNECTION_TIMEOUT_MS,
                threads("curator"));
        client.start();
        if (!client.blockUntilConnected(10, TimeUnit.SECONDS)) {
            client.close();
            throw new IllegalStateException("could not connect to " + connectString);
        }
        return client;
    }

    /**
     * Expires the client's session the way a real expiry happens: a second handle attaches to the
     * same session and closes it, so the server drops the session and its ephemerals, and the
     * original handle is told Expired when it next talks to the server.
     */
    static void expireSession(CuratorFramework client, String connectString) throws Exception {
        ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper twin = new ZooKeeper(connectString, SESSION_TIMEOUT_MS, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, zk.getSessionId(), zk.getSessionPasswd());
        try {
            if (!connected.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("twin handle did not connect");
            }
        } finally {
            twin.close();
        }
    }

    static void eventually(Duration timeout, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }
}
