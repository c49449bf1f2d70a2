package io.tributary.health;

import io.tributary.app.Broker;
import io.tributary.broker.Partition;
import io.tributary.metadata.PartitionState;
import io.tributary.metadata.TopicMetadata;
import org.apache.kafka.common.TopicPartition;
import io.tributary.coordination.ZooKeeperSession;
import io.tributary.storage.LogManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Readiness probe: UP when the broker can take writes: started, its ZooKeeper session connected,
 * and every log directory online, writable and above {@code log.dir.min.free.bytes}. Each reason
 * for DOWN is in the answer's data. It also reports, without changing the status, the partitions
 * this broker leads that have replicas outside the ISR and the partitions of the cluster without a
 * leader (counts and names).
 */
@Readiness
@ApplicationScoped
public class BrokerReadyCheck implements HealthCheck {

    private static final int MAX_NAMES = 50;

    private final Broker broker;

    /** For the container's client proxy only. */
    protected BrokerReadyCheck() {
        this(null);
    }

    @Inject
    public BrokerReadyCheck(Broker broker) {
        this.broker = broker;
    }

    @Override
    public HealthCheckResponse call() {
        List<String> problems = new ArrayList<>();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("broker-ready");
        Broker.State state = broker.state();
        b.withData("state", state.name());
        if (state != Broker.State.RUNNING) {
            problems.add("broker is " + state.name().toLowerCase(java.util.Locale.ROOT));
        } else {
            // Informational: a follower catching up is normal and must not take the broker out of service,
            // and an offline partition is a cluster problem that taking this broker out would not fix.
            b.withData("controller", broker.controller().map(c -> c.isActive()).orElse(false));
            List<String> underReplicated = broker.replicas().partitions().stream().filter(Partition::underReplicated)
                    .map(p -> p.topicPartition().toString()).sorted().toList();
            b.withData("under.replicated.partitions", underReplicated.size());
            b.withData("under.replicated.partition.names", names(underReplicated));
            List<String> offline = offlinePartitions();
            b.withData("offline.partitions", offline.size());
            b.withData("offline.partition.names", names(offline));
        }
        Optional<ZooKeeperSession> session = broker.zooKeeperSession();
        b.withData("zookeeper", session.map(ZooKeeperSession::describe).orElse("not connected"));
        if (session.isEmpty() || !session.get().isConnected()) {
            problems.add("no ZooKeeper session");
        }
        long minFree = broker.config().storage().minFreeBytes();
        Optional<LogManager> logs = broker.logManager();
        for (Path dir : broker.config().storage().logDirs()) {
            String status;
            if (logs.isPresent() && logs.get().failureChannel().offlineDirs().contains(dir)) {
                status = "offline: " + logs.get().failureChannel().reason(dir).orElse("I/O error");
                problems.add("log dir " + dir + " is offline");
            } else if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
                status = "not writable";
                problems.add("log dir " + dir + " is not writable");
            } else {
                try {
                    long free = Files.getFileStore(dir).getUsableSpace();
                    status = "ok, " + (free >> 20) + " MiB free";
                    if (free < minFree) {
                        status = "full: " + (free >> 20) + " MiB free, below log.dir.min.free.bytes";
                        problems.add("log dir " + dir + " is full");
                    }
                } catch (IOException e) {
                    status = "unreadable: " + e.getMessage();
                    problems.add("log dir " + dir + " cannot be inspected");
                }
            }
            b.withData("log.dir " + dir, status);
        }
        if (!problems.isEmpty()) {
            b.withData("reason", String.join("; ", problems));
        }
        return b.status(problems.isEmpty()).build();
    }

    /** Partitions of the whole cluster without a leader, as the controller published them. */
    private List<String> offlinePartitions() {
        List<String> out = new ArrayList<>();
        for (TopicMetadata topic : broker.metadata().topics().values()) {
            for (int p = 0; p < topic.partitionCount(); p++) {
                TopicPartition tp = new TopicPartition(topic.name(), p);
                Optional<PartitionState> state = broker.metadata().partitionState(tp);
                if (state.isPresent() && state.get().leader() < 0) {
                    out.add(tp.toString());
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** Up to {@value #MAX_NAMES} names, comma-separated, and how many more there are. */
    private static String names(List<String> names) {
        if (names.size() <= MAX_NAMES) {
            return String.join(",", names);
        }
        return String.join(",", names.subList(0, MAX_NAMES)) + " and " + (names.size() - MAX_NAMES) + " more";
    }
}
