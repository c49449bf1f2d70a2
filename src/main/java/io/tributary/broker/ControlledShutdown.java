package io.tributary.broker;

import io.tributary.coordination.ClusterMetadataStore;
import io.tributary.coordination.CoordinationException;
import org.apache.kafka.common.TopicPartition;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A clean stop that hands this broker's leaderships over before it goes, after Kafka's
 * ControlledShutdown: the broker stops following partitions, asks the controller (through
 * ZooKeeper, {@link ClusterMetadataStore#requestControlledShutdown}) to move every partition it
 * leads to another in-sync replica and to take it out of the ISRs, and waits until the partitions it
 * leads have no other live in-sync replica and no partition another live broker leads still counts
 * it as in sync. Clients then meet only NOT_LEADER_OR_FOLLOWER, which
 * they retry at the new leader, instead of waiting for this broker's session to time out.
 *
 * <p>Bounded: each of {@code controlled.shutdown.max.retries} attempts rewrites the request and waits
 * up to {@code controlled.shutdown.retry.backoff.ms} for the moves to show in this broker's view.
 * After the last attempt the broker stops anyway, and the controller moves what is left when its
 * registration disappears.
 *
 * <p>Not thread-safe: run once, on the thread that stops the broker.
 */
public final class ControlledShutdown {

    private static final System.Logger LOG = System.getLogger(ControlledShutdown.class.getName());
    private static final long POLL_MS = 50;

    /** How a controlled shutdown ended. */
    public record Outcome(boolean handedOver, int attempts, List<TopicPartition> remaining, long elapsedMs) {
    }

    private final int brokerId;
    private final ReplicaManager replicas;
    private final ClusterMetadataStore metadata;
    private final int maxRetries;
    private final long retryBackoffMs;
    private final Clock clock;

    public ControlledShutdown(int brokerId, ReplicaManager replicas, ClusterMetadataStore metadata, int maxRetries,
                              long retryBackoffMs, Clock clock) {
        this.brokerId = brokerId;
        this.replicas = replicas;
        this.metadata = metadata;
        this.maxRetries = Math.max(1, maxRetries);
        this.retryBackoffMs = retryBackoffMs;
        this.clock = clock;
    }

    /** Runs the hand-over; never throws for a ZooKeeper failure (the stop goes on regardless). */
    public Outcome run() throws InterruptedException {
        long start = clock.millis();
        replicas.stopFollowing();
        List<TopicPartition> remaining;
        int attempt = 0;
        do {
            attempt++;
            try {
                metadata.requestControlledShutdown(brokerId, attempt);
            } catch (CoordinationException e) {
                LOG.log(Level.WARNING, "Broker {0}: controlled shutdown request failed: {1}", brokerId, e.getMessage());
                remaining = remaining();
                break;
            }
            long deadline = clock.millis() + retryBackoffMs;
            while (!(remaining = remaining()).isEmpty() && clock.millis() < deadline) {
                Thread.sleep(POLL_MS);
            }
        } while (!remaining.isEmpty() && attempt < maxRetries);
        Outcome outcome = new Outcome(remaining.isEmpty(), attempt, remaining, clock.millis() - start);
        if (outcome.handedOver()) {
            LOG.log(Level.INFO, "Broker {0}: controlled shutdown done in {1} ms ({2} attempts): leaderships handed over, ISRs left",
                    brokerId, outcome.elapsedMs(), attempt);
        } else {
            LOG.log(Level.WARNING, "Broker {0}: controlled shutdown gave up after {1} attempts ({2} ms); still leading or in the ISR of {3}",
                    brokerId, attempt, outcome.elapsedMs(), remaining);
        }
        return outcome;
    }

    private List<TopicPartition> remaining() {
        Set<Integer> live = new HashSet<>();
        metadata.liveBrokers().forEach(b -> live.add(b.id()));
        return replicas.pendingForControlledShutdown(live);
    }
}
