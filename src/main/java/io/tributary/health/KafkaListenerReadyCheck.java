package io.tributary.health;

import io.tributary.app.KafkaListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness probe: UP when the Kafka listener accepts connections (or is turned off), so a
 * client told "ready" can connect over the Kafka protocol at once.
 */
@Readiness
@ApplicationScoped
public class KafkaListenerReadyCheck implements HealthCheck {

    private final KafkaListener listener;

    /** For the container's client proxy only. */
    protected KafkaListenerReadyCheck() {
        this(null);
    }

    @Inject
    public KafkaListenerReadyCheck(KafkaListener listener) {
        this.listener = listener;
    }

    @Override
    public HealthCheckResponse call() {
        KafkaListener.Status status = listener.status();
        return HealthCheckResponse.named("kafka-listener")
                .status(status != KafkaListener.Status.STARTING && status != KafkaListener.Status.FAILED)
                .withData("state", status.name())
                .withData("port", listener.port())
                .build();
    }
}
