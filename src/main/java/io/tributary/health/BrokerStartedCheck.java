package io.tributary.health;

import io.tributary.app.Broker;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Startup;

/** Startup probe: UP once log recovery is done and the broker has registered in ZooKeeper. */
@Startup
@ApplicationScoped
public class BrokerStartedCheck implements HealthCheck {

    private final Broker broker;

    /** For the container's client proxy only. */
    protected BrokerStartedCheck() {
        this(null);
    }

    @Inject
    public BrokerStartedCheck(Broker broker) {
        this.broker = broker;
    }

    @Override
    public HealthCheckResponse call() {
        Broker.State state = broker.state();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("broker-started")
                .status(state == Broker.State.RUNNING)
                .withData("state", state.name());
        broker.logManager().ifPresent(m -> b.withData("recovery", m.recoveryProgress().toString()));
        broker.failure().ifPresent(f -> b.withData("reason", String.valueOf(f.getMessage())));
        return b.build();
    }
}
