package io.tributary.api.ws;

import io.tributary.app.Broker;
import io.tributary.app.BrokerExecutors;
import io.tributary.broker.subscription.PartitionWatchers;
import io.tributary.broker.subscription.SubscriptionLimits;
import io.tributary.config.WebSocketConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.websocket.Session;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open WebSocket connections of the stream API and what they share: the broker, the managed
 * executor their deliveries run on, the one {@link PartitionWatchers} that turns log appends
 * into wake-ups, and the {@link CoordinatorRelays} that connect group members to a coordinator on
 * another broker. Closes every connection (1001), then the relays' HTTP client, when the
 * application stops.
 *
 * <p>Thread-safe: connections live in a concurrent map keyed by session id.
 */
@ApplicationScoped
public class StreamSessions {

    private static final System.Logger LOG = System.getLogger(StreamSessions.class.getName());

    /** Largest client frame accepted (produce frames carry records); larger ones are closed with 1009. */
    static final int MAX_CLIENT_FRAME_BYTES = 16 << 20;

    private final Broker broker;
    private final BrokerExecutors executors;
    private final WebSocketConfig config;
    private final PartitionWatchers watchers = new PartitionWatchers();
    private final Map<String, StreamConnection> connections = new ConcurrentHashMap<>();
    private final CoordinatorRelays relays;

    /** For the container's client proxy only. */
    protected StreamSessions() {
        this.broker = null;
        this.executors = null;
        this.config = null;
        this.relays = null;
    }

    @Inject
    public StreamSessions(Broker broker, BrokerExecutors executors, WebSocketConfig config) {
        this.broker = broker;
        this.executors = executors;
        this.config = config;
        this.relays = new CoordinatorRelays(() -> broker.config().brokerId(), executors.executor());
    }

    void open(Session session) {
        session.setMaxTextMessageBufferSize(MAX_CLIENT_FRAME_BYTES);
        session.getAsyncRemote().setSendTimeout(config.sendTimeoutMs());
        SubscriptionLimits limits = new SubscriptionLimits(config.defaultCreditRecords(), config.maxCreditRecords(),
                config.maxCreditBytes(), config.sessionBufferBytes(), config.maxPendingReplies());
        Object forwardedBy = session.getUserProperties().get(StreamHandshake.FORWARDED_BY_PROPERTY);
        connections.put(session.getId(), new StreamConnection(session, broker, executors.executor(),
                executors.scheduler(), watchers, limits, relays, config.sendTimeoutMs(),
                forwardedBy == null ? null : forwardedBy.toString()));
    }

    void text(Session session, String text) {
        StreamConnection c = connections.get(session.getId());
        if (c != null) {
            c.onText(text);
        }
    }

    void pong(Session session, ByteBuffer payload) {
        StreamConnection c = connections.get(session.getId());
        if (c != null) {
            c.onPong(payload);
        }
    }

    void binary(Session session, ByteBuffer data) {
        StreamConnection c = connections.get(session.getId());
        if (c != null) {
            c.onBinary(data);
        }
    }

    void closed(Session session) {
        StreamConnection c = connections.remove(session.getId());
        if (c != null) {
            c.onClosed();
        }
    }

    void error(Session session, Throwable failure) {
        // Mostly clients that went away mid-frame; the close that follows cleans up (a relay does
        // not wait for it: its upstream closes now).
        LOG.log(Level.DEBUG, "WebSocket session " + session.getId() + ": " + failure);
        StreamConnection c = connections.get(session.getId());
        if (c != null) {
            c.onError();
        }
    }

    /** Open connections (diagnostics). */
    public int openConnections() {
        return connections.size();
    }

    @PreDestroy
    void closeAll() {
        for (StreamConnection c : connections.values()) {
            c.terminate(1001, "The broker is shutting down");
        }
        connections.clear();
        relays.close();
    }
}
