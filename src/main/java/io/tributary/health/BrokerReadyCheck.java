package io.tributary.health;

import io.tributary.app.Broker;
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
 * for DOWN is in the answer's data.
 */
@Readiness
@ApplicationScoped
public class BrokerReadyCheck implements HealthCheck {

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
            // Informational: a follower catching up is normal and must not take the broker out of service.
            b.withData("controller", broker.controller().map(c -> c.isActive()).orElse(false));
            b.withData("under.replicated.partitions", broker.replicas().underReplicatedCount());
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
}
