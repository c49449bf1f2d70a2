package io.tributary.health;

import io.tributary.app.Broker;
import io.tributary.app.BrokerExecutors;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Liveness probe: DOWN when restarting the broker is the cure: start-up failed, or the executors
 * that run its background work no longer run a task within a few seconds (exhausted or wedged).
 */
@Liveness
@ApplicationScoped
public class BrokerLiveCheck implements HealthCheck {

    private static final long TASK_TIMEOUT_MS = 5_000;

    private final Broker broker;
    private final BrokerExecutors executors;

    /** For the container's client proxy only. */
    protected BrokerLiveCheck() {
        this(null, null);
    }

    @Inject
    public BrokerLiveCheck(Broker broker, BrokerExecutors executors) {
        this.broker = broker;
        this.executors = executors;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("broker-live").up();
        Broker.State state = broker.state();
        b.withData("state", state.name());
        if (state == Broker.State.FAILED) {
            b.down().withData("reason", "start-up failed: " + broker.failure().map(Throwable::getMessage).orElse("unknown"));
        }
        String executor = probe(executors.executor());
        String scheduler = probe(executors.scheduler());
        b.withData("executor", executor).withData("scheduler", scheduler);
        if (!executor.startsWith("ok") || !scheduler.startsWith("ok")) {
            b.down();
        }
        return b.build();
    }

    private static String probe(ExecutorService executor) {
        long start = System.nanoTime();
        try {
            Future<?> f = executor.submit(() -> { });
            f.get(TASK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            return "ok in " + TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start) + " us";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return "no task ran within " + TASK_TIMEOUT_MS + " ms: " + e;
        }
    }
}
