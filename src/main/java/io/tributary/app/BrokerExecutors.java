package io.tributary.app;

import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;

/**
 * The container-managed threads the broker runs on: background work (recovery, flushes,
 * checkpoints) and long-lived threads (ZooKeeper client, listeners) all come from Liberty's
 * Jakarta Concurrency resources, so the server sees, bounds and stops them.
 */
@ApplicationScoped
public class BrokerExecutors {

    @Resource(lookup = "java:comp/DefaultManagedExecutorService")
    private ManagedExecutorService executor;

    @Resource(lookup = "concurrent/tributaryScheduler")
    private ManagedScheduledExecutorService scheduler;

    @Resource(lookup = "java:comp/DefaultManagedThreadFactory")
    private ManagedThreadFactory threadFactory;

    public ManagedExecutorService executor() {
        return executor;
    }

    public ManagedScheduledExecutorService scheduler() {
        return scheduler;
    }

    public ManagedThreadFactory threadFactory() {
        return threadFactory;
    }
}
