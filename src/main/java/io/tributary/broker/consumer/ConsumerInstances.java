package io.tributary.broker.consumer;

import io.tributary.group.GroupCoordinator;
import io.tributary.group.ManagedMember;
import io.tributary.group.ManagedMembers;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The REST consumer instances of the broker, by group and name, and their expiry.
 *
 * <p><b>Expiry.</b> An instance that has had no request for {@code consumer.instance.timeout.ms}
 * (and has no read waiting) is closed as if deleted: with auto commit its positions are committed,
 * and it leaves its group at once (LeaveGroup), so its partitions move to the other members without
 * waiting for a session timeout. A sweep on the scheduler looks for idle instances a few times per
 * timeout; {@link #expireIdle()} runs one sweep.
 *
 * <p><b>Lifecycle:</b> LATENT → STARTED (the sweep runs) → CLOSED; start and close are idempotent.
 * Closing (the broker stopping) ends every instance without committing and stops their
 * heartbeats; their groups see them leave after the session timeout, as for a crashed client.
 *
 * <p>Thread-safe: instances live in a concurrent map; creation and removal are atomic per name.
 */
public final class ConsumerInstances implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ConsumerInstances.class.getName());

    /**
     * Settings shared by every instance.
     *
     * @param instanceTimeoutMs {@code consumer.instance.timeout.ms}: idle instances are closed after this
     * @param sessionTimeoutMs  the group session timeout of subscribed instances (their heartbeats are the broker's)
     */
    public record Settings(long instanceTimeoutMs, int sessionTimeoutMs) {
        public Settings {
            if (instanceTimeoutMs < 1 || sessionTimeoutMs < 1) {
                throw new IllegalArgumentException("timeouts must be positive");
            }
        }
    }

    private record Key(String group, String name) {
    }

    private enum Lifecycle { LATENT, STARTED, CLOSED }

    private final Settings settings;
    private final ManagedMembers members;
    private final GroupCoordinator coordinator;
    private final PartitionSource source;
    private final ScheduledExecutorService scheduler;
    private final Executor executor;
    private final LongSupplier nanoTime;
    private final Map<Key, ConsumerInstance> instances = new ConcurrentHashMap<>();
    private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.LATENT);
    private volatile ScheduledFuture<?> sweep;

    /**
     * @param scheduler runs timers (read timeouts, the expiry sweep)
     * @param executor  runs re-reads when records arrive for a waiting read
     * @param nanoTime  the clock idle times are measured with ({@code System::nanoTime} in the broker)
     */
    public ConsumerInstances(Settings settings, ManagedMembers members, GroupCoordinator coordinator,
                             PartitionSource source, ScheduledExecutorService scheduler, Executor executor,
                             LongSupplier nanoTime) {
        this.settings = settings;
        this.members = members;
        this.coordinator = coordinator;
        this.source = source;
        this.scheduler = scheduler;
        this.executor = executor;
        this.nanoTime = nanoTime;
    }

    /** Starts the expiry sweep. */
    public void start() {
        if (!lifecycle.compareAndSet(Lifecycle.LATENT, Lifecycle.STARTED)) {
            return;
        }
        long every = Math.max(50, Math.min(5_000, settings.instanceTimeoutMs() / 4));
        try {
            sweep = scheduler.scheduleWithFixedDelay(this::expireIdle, every, every, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.log(Level.WARNING, "Consumer instance expiry could not be scheduled: " + e.getMessage());
        }
    }

    /**
     * Creates an instance.
     *
     * @param clientHost where the client connects from, as group descriptions show it
     * @throws ConsumerException INSTANCE_EXISTS when the group has an instance of that name
     */
    public ConsumerInstance create(String group, ConsumerInstance.Config config, String clientHost) {
        if (lifecycle.get() == Lifecycle.CLOSED) {
            throw new IllegalStateException("The broker is shutting down");
        }
        ConsumerInstance instance = new ConsumerInstance(group, config, clientHost, settings, members, coordinator,
                source, scheduler, executor, nanoTime);
        if (instances.putIfAbsent(new Key(group, config.name()), instance) != null) {
            throw new ConsumerException(ConsumerException.Reason.INSTANCE_EXISTS, "Consumer with specified consumer ID"
                    + " already exists in the specified consumer group: '" + config.name() + "' in group '" + group + "'");
        }
        return instance;
    }

    /**
     * The instance, marked active now.
     *
     * @throws ConsumerException INSTANCE_NOT_FOUND when there is none (never created, deleted or expired)
     */
    public ConsumerInstance get(String group, String name) {
        ConsumerInstance instance = instances.get(new Key(group, name));
        if (instance == null) {
            throw notFound(group, name);
        }
        java.util.Optional<String> ended = instance.endedBecause();
        if (ended.isPresent()) {
            instances.remove(new Key(group, name), instance);
            throw new ConsumerException(ConsumerException.Reason.INSTANCE_NOT_FOUND, ended.get());
        }
        instance.touch();
        return instance;
    }

    private ConsumerException notFound(String group, String name) {
        return new ConsumerException(ConsumerException.Reason.INSTANCE_NOT_FOUND, "Consumer instance not found: no"
                + " instance '" + name + "' in group '" + group + "' (it was never created, was deleted, or expired"
                + " after " + settings.instanceTimeoutMs() + " ms without requests)");
    }

    /**
     * Deletes an instance: commits first with auto commit, then leaves the group at once.
     *
     * @throws ConsumerException INSTANCE_NOT_FOUND when there is none
     */
    public CompletionStage<Void> delete(String group, String name) {
        ConsumerInstance instance = instances.remove(new Key(group, name));
        if (instance == null) {
            throw notFound(group, name);
        }
        return instance.close(true, ManagedMember.Departure.LEAVE);
    }

    /** Closes every instance idle for longer than the instance timeout; returns how many. */
    public int expireIdle() {
        long now = nanoTime.getAsLong();
        long timeout = TimeUnit.MILLISECONDS.toNanos(settings.instanceTimeoutMs());
        int expired = 0;
        for (Map.Entry<Key, ConsumerInstance> e : instances.entrySet()) {
            ConsumerInstance instance = e.getValue();
            if (instance.endedBecause().isPresent()) {
                // Ended because its group's coordinator moved away; nothing left to close.
                instances.remove(e.getKey(), instance);
                continue;
            }
            if (instance.idleLongerThan(timeout, now) && instances.remove(e.getKey(), instance)) {
                expired++;
                LOG.log(Level.INFO, "Consumer instance {0} of group {1} expired after {2} ms without requests",
                        instance.name(), instance.group(), settings.instanceTimeoutMs());
                try {
                    instance.close(true, ManagedMember.Departure.LEAVE);
                } catch (RuntimeException ex) {
                    LOG.log(Level.WARNING, "Closing expired consumer instance " + instance.name() + " failed", ex);
                }
            }
        }
        return expired;
    }

    /** Instances that exist now. */
    public int size() {
        return instances.size();
    }

    @Override
    public void close() {
        if (lifecycle.getAndSet(Lifecycle.CLOSED) == Lifecycle.CLOSED) {
            return;
        }
        ScheduledFuture<?> s = sweep;
        if (s != null) {
            s.cancel(false);
        }
        for (Key key : List.copyOf(instances.keySet())) {
            ConsumerInstance instance = instances.remove(key);
            if (instance != null) {
                instance.close(false, ManagedMember.Departure.EXPIRE);
            }
        }
    }
}
