package io.tributary.coordination;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * Builds the Curator client the broker shares between its coordination components.
 *
 * <p>A chroot in the connect string ({@code host:2181,host2:2181/tributary}) becomes a Curator
 * namespace rather than being handed to ZooKeeper: ZooKeeper requires a chroot node to exist
 * already and fails every operation with NoNode otherwise, while a Curator namespace creates its
 * node on first use, so a fresh ensemble works without a manual setup step. Either way every path
 * this code uses is relative to the chroot.
 *
 * <p>Stateless and thread-safe.
 */
public final class CuratorClients {

    /** First retry delay; doubles per attempt up to {@link #MAX_RETRY_SLEEP_MS}. */
    static final int BASE_RETRY_SLEEP_MS = 100;
    static final int MAX_RETRY_SLEEP_MS = 2_000;
    static final int MAX_RETRIES = 5;

    private CuratorClients() {
    }

    /**
     * A new, not yet started, client. The caller owns it: start it, and close it after every
     * component using it is closed.
     *
     * @param connectString       {@code host:port[,host:port...][/chroot]}
     * @param sessionTimeoutMs    ZooKeeper session timeout; the server clamps it to its own limits
     * @param connectionTimeoutMs how long an operation waits for a connection before failing
     * @param threadFactory       for Curator's background threads, e.g. a managed thread factory; the
     *                            ZooKeeper client's own two I/O threads per session are started by
     *                            ZooKeeper itself and do not go through it
     */
    public static CuratorFramework newClient(String connectString, int sessionTimeoutMs, int connectionTimeoutMs,
            ThreadFactory threadFactory) {
        Objects.requireNonNull(connectString, "connectString");
        Objects.requireNonNull(threadFactory, "threadFactory");
        ConnectString parsed = ConnectString.parse(connectString);
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(parsed.hosts())
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(connectionTimeoutMs)
                .retryPolicy(new ExponentialBackoffRetry(BASE_RETRY_SLEEP_MS, MAX_RETRIES, MAX_RETRY_SLEEP_MS))
                .threadFactory(threadFactory);
        parsed.namespace().ifPresent(builder::namespace);
        return builder.build();
    }

    /** A connect string split into its host list and optional chroot (as a Curator namespace). */
    record ConnectString(String hosts, java.util.Optional<String> namespace) {

        static ConnectString parse(String connectString) {
            String s = connectString.trim();
            int slash = s.indexOf('/');
            if (slash < 0) {
                return new ConnectString(s, java.util.Optional.empty());
            }
            String hosts = s.substring(0, slash);
            String chroot = s.substring(slash);
            // Curator namespaces have no leading or trailing slash; "/" alone means no chroot.
            String namespace = chroot.replaceAll("^/+", "").replaceAll("/+$", "");
            if (hosts.isEmpty()) {
                throw new IllegalArgumentException("connect string has no hosts: " + connectString);
            }
            return new ConnectString(hosts, namespace.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(namespace));
        }
    }
}
