package io.tributary.app;

import io.tributary.broker.TopicService;
import io.tributary.config.KafkaListenerConfig;
import io.tributary.metadata.BrokerInfo;
import io.tributary.metadata.Endpoint;
import io.tributary.protocol.BrokerContext;
import io.tributary.protocol.KafkaApis;
import io.tributary.protocol.KafkaProtocol;
import io.tributary.protocol.KafkaServer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves the Kafka protocol on the configured {@code listeners} once the broker is RUNNING (log
 * recovery done, registered in ZooKeeper), and stops with the application. Start-up never waits
 * for it: Liberty runs the managed threads the listener needs only after the application has
 * started, so the listener starts from the broker's own "running" completion, on a managed thread.
 *
 * <p><b>Request threads:</b> requests, and the re-reads of Fetches woken by an append, run on a pool
 * of plain executor threads made by the container's managed thread factory, not on the managed
 * executor: a task submitted there captures and re-applies the application's thread context
 * (class loader, naming, metadata, a local transaction) each time, which on the produce and fetch
 * path cost a fifth of the broker's CPU and allocation. The threads carry the application's context
 * from their creation, like the listener's network threads. The pool grows with concurrent requests
 * up to {@value #MAX_REQUEST_THREADS} threads (beyond that a request runs on the managed executor,
 * as all did before) and an idle thread ends after a minute. Timeouts of waiting requests (Fetch
 * long polls, acks=all) run on one timer thread made the same way, with cancelled timers removed
 * at once, since nearly every long poll is answered before its timer fires.
 *
 * <p>Thread-safe: servers are added once and closed once; {@link #close()} is idempotent and
 * closes the server sockets so a redeploy can bind the port again, then stops the request and
 * timer threads.
 */
@ApplicationScoped
public class KafkaListener {

    private static final System.Logger LOG = System.getLogger(KafkaListener.class.getName());

    static final int MAX_REQUEST_THREADS = 64;

    private final Broker broker;
    private final BrokerExecutors executors;
    private final Clock clock;
    private final Config mpConfig;
    private final List<KafkaServer> servers = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Made on start, stopped on close; guarded by {@code this}. */
    private ThreadPoolExecutor requestThreads;
    private ScheduledThreadPoolExecutor timerThread;
    private volatile Status status = Status.STARTING;

    /** Where the listener is: readiness is DOWN while STARTING or FAILED. */
    public enum Status { OFF, STARTING, LISTENING, FAILED, CLOSED }

    /** For the container's client proxy only. */
    protected KafkaListener() {
        this.broker = null;
        this.executors = null;
        this.clock = null;
        this.mpConfig = null;
    }

    @Inject
    public KafkaListener(Broker broker, BrokerExecutors executors, Clock clock, Config mpConfig) {
        this.broker = broker;
        this.executors = executors;
        this.clock = clock;
        this.mpConfig = mpConfig;
    }

    void onStartup(@Observes Startup event) {
        KafkaListenerConfig config = broker.config().kafka();
        if (!config.enabled()) {
            LOG.log(Level.INFO, "No listeners configured: the Kafka protocol is off");
            status = Status.OFF;
            return;
        }
        broker.whenRunning().thenAccept(b -> start(config)).exceptionally(t -> {
            LOG.log(Level.ERROR, "Kafka listener not started: " + t.getMessage(), t);
            status = Status.FAILED;
            return null;
        });
    }

    private void start(KafkaListenerConfig config) {
        ExecutorService requests;
        ScheduledExecutorService timers;
        synchronized (this) {
            if (closed.get()) {
                return;
            }
            requestThreads = new ThreadPoolExecutor(0, MAX_REQUEST_THREADS, 60, TimeUnit.SECONDS,
                    new SynchronousQueue<>(), named(executors.threadFactory(), "tributary-kafka-request-"),
                    (task, pool) -> {
                        if (pool.isShutdown()) {
                            throw new RejectedExecutionException("the Kafka listener is closed");
                        }
                        executors.executor().execute(task);
                    });
            timerThread = new ScheduledThreadPoolExecutor(1, named(executors.threadFactory(), "tributary-kafka-timer-"));
            timerThread.setRemoveOnCancelPolicy(true);
            requests = requestThreads;
            timers = timerThread;
        }
        List<Endpoint> endpoints = config.advertisedListeners().stream()
                .map(l -> new Endpoint(l.name(), "PLAINTEXT", l.host(), l.port())).toList();
        BrokerInfo self = new BrokerInfo(broker.config().brokerId(), broker.config().advertisedHost(), endpoints,
                Optional.empty(), Map.of());
        List<TopicService.ConfigEntry> brokerConfigs = BrokerConfigEntries.of(broker.config(),
                name -> mpConfig.getOptionalValue(name, String.class).isPresent());
        for (KafkaListenerConfig.Listener listener : config.listeners()) {
            BrokerContext context = new BrokerContext(self, broker.clusterId(), listener.name(), broker.metadata(),
                    broker.replicas(), broker.topics(), broker.config().topics().autoCreateTopics(),
                    requests, timers, clock, brokerConfigs, broker.groups());
            KafkaApis apis = KafkaProtocol.apis(context);
            InetSocketAddress address = listener.host().isEmpty() ? new InetSocketAddress(listener.port())
                    : new InetSocketAddress(listener.host(), listener.port());
            KafkaServer server = new KafkaServer(address, config.socketRequestMaxBytes(), config.numNetworkThreads(),
                    config.connectionsMaxIdleMs(), executors.threadFactory(), requests, apis);
            servers.add(server);
            try {
                server.start();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.ERROR, "Could not start the Kafka listener " + listener + ": " + e.getMessage(), e);
                status = Status.FAILED;
                return;
            }
            if (closed.get()) {
                server.close();
            }
        }
        if (!closed.get()) {
            status = Status.LISTENING;
        }
    }

    public Status status() {
        return status;
    }

    /** The bound port of the first listener, or -1 while not serving. */
    public int port() {
        return servers.isEmpty() ? -1 : servers.get(0).port();
    }

    @PreDestroy
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        status = Status.CLOSED;
        for (KafkaServer server : servers) {
            server.close();
        }
        synchronized (this) {
            if (requestThreads != null) {
                requestThreads.shutdown();
                timerThread.shutdownNow();
            }
        }
    }

    /** Threads from the container's factory, numbered, where the container lets them be renamed. */
    private static ThreadFactory named(ThreadFactory factory, String prefix) {
        AtomicInteger next = new AtomicInteger();
        return task -> {
            Thread t = factory.newThread(task);
            try {
                t.setName(prefix + next.getAndIncrement());
            } catch (SecurityException e) {
                // Keep the container's name.
            }
            return t;
        };
    }
}
