package io.tributary.api.ws;

import io.tributary.api.rest.RestException;
import io.tributary.app.Broker;
import io.tributary.app.BrokerNotAvailableException;
import io.tributary.broker.RecordService.ProduceResult;
import io.tributary.broker.subscription.AlreadySubscribedException;
import io.tributary.broker.subscription.CreditOverflowException;
import io.tributary.broker.subscription.GroupSubscription;
import io.tributary.broker.subscription.PartitionSubscription;
import io.tributary.broker.subscription.PartitionWatchers;
import io.tributary.broker.subscription.Sink;
import io.tributary.broker.subscription.StartOffsetOutOfRangeException;
import io.tributary.broker.subscription.StartPosition;
import io.tributary.broker.subscription.SubscriptionLimits;
import io.tributary.broker.subscription.SubscriptionSession;
import io.tributary.group.CoordinatorLocation;
import io.tributary.group.ManagedMember;
import io.tributary.metadata.TopicMetadata;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One WebSocket connection of {@code /ws/v1/stream}: turns client frames into subscriptions,
 * credit and produce calls, and is the {@link Sink} its {@link SubscriptionSession} delivers to.
 * Every failure becomes an error frame; a fatal one is followed by a close with its close code,
 * and touches only this connection.
 *
 * <p>In a cluster, a group subscribe at a broker that is not the group's coordinator turns the
 * connection into a {@link CoordinatorRelay} to the coordinator (unless the session was itself
 * opened by a relaying broker); from then on every client frame goes there.
 *
 * <p>Thread-safety: the container hands it one message at a time; the sink methods may be called
 * from delivery tasks and send completions at any time and only touch the container's session,
 * whose async remote is thread-safe with one send outstanding (the subscription session, or the
 * relay, ensures there is never more).
 */
final class StreamConnection implements Sink, CoordinatorRelay.Client {

    private static final System.Logger LOG = System.getLogger(StreamConnection.class.getName());

    /** What the session's subscriptions are: plain ones and a group membership exclude each other. */
    private enum Mode { NONE, PLAIN, GROUP, RELAY }

    private static final long LEAVE_TIMEOUT_MS = 10_000;

    private final Session ws;
    private final Broker broker;
    private final ScheduledExecutorService scheduler;
    private final SubscriptionSession session;
    private final Set<String> topics = ConcurrentHashMap.newKeySet();
    private final CoordinatorRelays relays;
    private final long sendTimeoutMs;
    private final String forwardedBy;
    private volatile Mode mode = Mode.NONE;
    private volatile GroupSubscription group;
    private volatile CoordinatorRelay relay;
    private volatile boolean closed;

    /**
     * @param relays        where relays to a coordinator on another broker are opened
     * @param sendTimeoutMs how long a relayed client frame may wait for the coordinator's socket
     * @param forwardedBy   the relaying broker's id if a relay opened this session, else null
     */
    StreamConnection(Session ws, Broker broker, Executor executor, ScheduledExecutorService scheduler,
                     PartitionWatchers watchers, SubscriptionLimits limits, CoordinatorRelays relays,
                     long sendTimeoutMs, String forwardedBy) {
        this.ws = ws;
        this.broker = broker;
        this.scheduler = scheduler;
        this.session = new SubscriptionSession(this, executor, watchers, limits);
        this.relays = relays;
        this.sendTimeoutMs = sendTimeoutMs;
        this.forwardedBy = forwardedBy;
    }

    void onText(String text) {
        CoordinatorRelay r = relay;
        if (r != null) {
            r.fromClient(text);
            return;
        }
        GroupSubscription g = group;
        if (g != null) {
            g.heard();
        }
        String id = null;
        try {
            ClientFrame frame = FrameParser.parse(text);
            if (frame instanceof ClientFrame.Subscribe s) {
                id = s.id();
                subscribe(s);
            } else if (frame instanceof ClientFrame.GroupSubscribe s) {
                id = s.id();
                subscribe(s, text);
            } else if (frame instanceof ClientFrame.Credit c) {
                session.grant(c.records(), c.bytes());
                if (g != null) {
                    g.acknowledge();
                }
            } else if (frame instanceof ClientFrame.Commit c) {
                id = c.id();
                commit(c);
            } else if (frame instanceof ClientFrame.Leave l) {
                id = l.id();
                leave(l);
            } else if (frame instanceof ClientFrame.Produce p) {
                id = p.id();
                produce(p);
            }
        } catch (RuntimeException e) {
            fail(toWsException(e, id));
        }
    }

    /** The client answered a ping. */
    void onPong(ByteBuffer payload) {
        CoordinatorRelay r = relay;
        if (r != null) {
            r.clientPong();
            return;
        }
        GroupSubscription g = group;
        if (g != null && countsAsHeard(forwardedBy, payload)) {
            g.heard();
        }
    }

    /**
     * Whether a pong shows the client is alive. On a session a relay opened, the relay's own client
     * answers every ping by itself; only the pongs it passes on for its client carry
     * {@link CoordinatorRelay#CLIENT_PONG}.
     */
    static boolean countsAsHeard(String forwardedBy, ByteBuffer payload) {
        return forwardedBy == null || ByteBuffer.wrap(CoordinatorRelay.CLIENT_PONG).equals(payload);
    }

    void onBinary(ByteBuffer data) {
        CoordinatorRelay r = relay;
        if (r != null) {
            r.fromClientBinary(data);
            return;
        }
        fail(new WsException(WsError.UNSUPPORTED_FRAME, "Binary messages are not supported: send JSON text frames"));
    }

    /** The container reported an error on the session: a relay closes its upstream and the client now. */
    void onError() {
        CoordinatorRelay r = relay;
        if (r != null) {
            r.clientClosed();
            close(1011, "The session failed");
        }
    }

    /** Ends the session from the broker's side (it is shutting down). */
    void terminate(int code, String reason) {
        CoordinatorRelay r = relay;
        if (r != null) {
            r.terminate(code, reason);
        }
        session.terminate(null, code, reason);
    }

    void onClosed() {
        closed = true;
        CoordinatorRelay r = relay;
        if (r != null) {
            r.clientClosed();
        }
        session.close();
        GroupSubscription g = group;
        if (g != null) {
            g.connectionClosed();
        }
    }

    private void subscribe(ClientFrame.GroupSubscribe s, String text) {
        if (mode != Mode.NONE) {
            throw new WsException(WsError.SUBSCRIPTION_CONFLICT, s.id(), mode == Mode.GROUP
                    ? "This session is already a member of group '" + group.settings().group() + "': send leave first,"
                    + " or open another session for another group"
                    : "This session has plain subscriptions: a session is either a member of one group or follows"
                    + " partitions it names; open another session for the group", Map.of());
        }
        if (forwardedBy == null && relayed(s, text)) {
            return;
        }
        for (String t : s.topics()) {
            if (broker.topics().describe(t).isEmpty()) {
                throw new WsException(WsError.UNKNOWN_TOPIC, s.id(), "Topic '" + t + "' does not exist", Map.of("topic", t));
            }
        }
        ManagedMember.Subscribed subscribed = s.pattern() != null ? ManagedMember.Subscribed.pattern(s.pattern())
                : ManagedMember.Subscribed.topics(s.topics());
        String clientId = s.clientId() != null ? s.clientId() : "websocket-" + ws.getId();
        GroupSubscription.Settings settings = new GroupSubscription.Settings(s.group(), subscribed, s.assignor(),
                s.autoCommit(), s.autoOffsetReset(), s.sessionTimeoutMs(), s.autoCommitIntervalMs(), clientId, "",
                new JsonRecordEncoder(s.format()), s.framing());
        GroupSubscription g = new GroupSubscription(settings, broker.groupMembers(), broker.groups(),
                broker::readableLog, session, new Notices(s.id()), scheduler,
                System::nanoTime);
        if (!session.reply(FrameWriter.subscribedToGroup(s.id(), s.group()))) {
            tooManyReplies();
            return;
        }
        group = g;
        mode = Mode.GROUP;
        g.start();
    }

    private void commit(ClientFrame.Commit c) {
        GroupSubscription g = group;
        if (g == null) {
            throw new WsException(WsError.NOT_A_MEMBER, c.id(), "Only a member of a group commits: subscribe with a"
                    + " 'group' first", Map.of());
        }
        Map<TopicPartition, Long> committed;
        try {
            committed = g.commit(c.offsets().orElse(null));
        } catch (GroupSubscription.CommitException e) {
            throw new WsException(e.reason() == GroupSubscription.CommitException.Reason.NOT_OWNED
                    ? WsError.PARTITION_NOT_OWNED : WsError.COMMIT_FAILED, c.id(), e.getMessage(), Map.of());
        }
        if (!session.reply(FrameWriter.committed(c.id(), g.settings().group(), committed))) {
            tooManyReplies();
        }
    }

    private void leave(ClientFrame.Leave l) {
        GroupSubscription g = group;
        if (g == null) {
            throw new WsException(WsError.NOT_A_MEMBER, l.id(), "This session is not a member of a group", Map.of());
        }
        try {
            g.leave().toCompletableFuture().get(LEAVE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.WARNING, "Leaving group " + g.settings().group() + " did not finish: " + e);
        }
        group = null;
        mode = Mode.NONE;
        if (!session.reply(FrameWriter.left(l.id(), g.settings().group()))) {
            tooManyReplies();
        }
    }

    /**
     * Relays the session to the group's coordinator if another broker is the coordinator and
     * registered an HTTP address; the subscribe frame goes there verbatim and the coordinator answers
     * it. False: the group is served here (this broker coordinates it, or no coordinator is known
     * yet, or it has no address; the group subscription then finds out and tells the client).
     *
     * @throws WsException {@code not_coordinator} if the coordinator could not be reached: the client
     *                     may still connect to it directly
     */
    private boolean relayed(ClientFrame.GroupSubscribe s, String text) {
        OptionalInt coordinator = broker.groupCoordinatorOf(s.group());
        if (coordinator.isEmpty() || coordinator.getAsInt() == broker.config().brokerId()) {
            return false;
        }
        int id = coordinator.getAsInt();
        Optional<String> http = broker.httpEndpointOf(id);
        if (http.isEmpty()) {
            return false;
        }
        CoordinatorLocation.Elsewhere where = new CoordinatorLocation.Elsewhere(id, http);
        String target = wsUrl(http.get());
        CoordinatorRelay r = new CoordinatorRelay(this, "WebSocket session " + ws.getId() + " of group '" + s.group()
                + "'", id, scheduler, sendTimeoutMs);
        String problem;
        try {
            problem = relays.open(r, URI.create(target), text);
        } catch (IllegalArgumentException e) {
            problem = "bad address " + target + ": " + e.getMessage();
        }
        if (problem != null) {
            LOG.log(Level.INFO, "WebSocket session {0} of group {1}: coordinator broker {2} at {3} could not be"
                    + " reached ({4}); the client is sent there", ws.getId(), s.group(), id, target, problem);
            throw notCoordinator(s.id(), where, "Group '" + s.group() + "' is coordinated by broker " + id + " ("
                    + http.get() + "), which this broker could not reach (" + problem + "): connect to that broker");
        }
        relay = r;
        mode = Mode.RELAY;
        LOG.log(Level.INFO, "WebSocket session {0} of group {1} is relayed to its coordinator, broker {2} ({3})",
                ws.getId(), s.group(), id, target);
        if (closed) {
            // The client went away while the relay was being opened.
            r.clientClosed();
        }
        return true;
    }

    /** The error frame that sends a group member to its coordinator. */
    private WsException notCoordinator(String subscribeId, CoordinatorLocation.Elsewhere coordinator, String message) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("coordinator_id", coordinator.brokerId());
        coordinator.httpAddress().ifPresent(http -> {
            details.put("coordinator_http", http);
            details.put("coordinator_ws_url", wsUrl(http));
        });
        return new WsException(WsError.NOT_COORDINATOR, subscribeId, message, details);
    }

    /** The stream endpoint of the broker at this HTTP base address: every broker serves it at the same path. */
    private String wsUrl(String httpAddress) {
        return httpAddress.replaceFirst("^http", "ws") + endpointPath();
    }

    /** How the group subscription talks to the client. */
    private final class Notices implements GroupSubscription.Notices {
        private final String subscribeId;

        Notices(String subscribeId) {
            this.subscribeId = subscribeId;
        }

        @Override
        public String assigned(String groupId, int generation, String memberId, List<SubscriptionSession.Assigned> partitions) {
            return FrameWriter.assigned(groupId, generation, memberId, partitions);
        }

        @Override
        public String revoked(String groupId, int generation, List<TopicPartition> partitions) {
            return FrameWriter.revoked(groupId, generation, partitions);
        }

        @Override
        public void send(String frame) {
            if (!session.reply(frame)) {
                tooManyReplies();
            }
        }

        @Override
        public void failed(GroupSubscription.Failure failure, String message) {
            WsError error = switch (failure) {
                case GROUP_KIND -> WsError.GROUP_KIND_MISMATCH;
                case INVALID_SETTING -> WsError.MALFORMED_FRAME;
                case NO_OFFSET -> WsError.NO_COMMITTED_OFFSET;
                case NOT_COORDINATOR -> WsError.NOT_COORDINATOR;
                case COORDINATOR_NOT_AVAILABLE -> WsError.COORDINATOR_NOT_AVAILABLE;
            };
            String text = failure == GroupSubscription.Failure.GROUP_KIND
                    ? message + "; use another group name for WebSocket members" : message;
            fail(new WsException(error, subscribeId, text, Map.of()));
        }

        @Override
        public void coordinatorElsewhere(CoordinatorLocation.Elsewhere coordinator, String message) {
            fail(notCoordinator(subscribeId, coordinator, message));
        }
    }

    /** The path this session connected to ({@code /ws/v1/stream} below the context root). */
    private String endpointPath() {
        java.net.URI uri = ws.getRequestURI();
        String path = uri == null ? null : uri.getRawPath();
        return path == null || path.isEmpty() ? "/ws/v1/stream" : path;
    }

    private void subscribe(ClientFrame.Subscribe s) {
        if (mode == Mode.GROUP) {
            throw new WsException(WsError.SUBSCRIPTION_CONFLICT, s.id(), "This session is a member of group '"
                    + group.settings().group() + "': a session is either a member of one group or follows partitions"
                    + " it names; send leave first, or open another session", Map.of());
        }
        JsonRecordEncoder encoder = new JsonRecordEncoder(s.format());
        List<PartitionSubscription> subscriptions = new ArrayList<>();
        for (ClientFrame.TopicRequest t : s.topics()) {
            TopicMetadata topic = broker.topics().describe(t.topic()).orElseThrow(() -> new WsException(
                    WsError.UNKNOWN_TOPIC, s.id(), "Topic '" + t.topic() + "' does not exist", Map.of("topic", t.topic())));
            List<Integer> partitions = t.partitions().orElseGet(() -> range(topic.partitionCount()));
            for (int p : partitions) {
                if (p >= topic.partitionCount()) {
                    throw new WsException(WsError.UNKNOWN_TOPIC, s.id(), "Topic '" + t.topic() + "' has no partition " + p
                            + "; it has partitions 0 to " + (topic.partitionCount() - 1),
                            Map.of("topic", t.topic(), "partition", p));
                }
                var log = broker.readableLog(new TopicPartition(t.topic(), p));
                Long offset = t.offsets().get(p);
                StartPosition from = offset != null ? new StartPosition.AtOffset(offset) : t.from();
                subscriptions.add(new PartitionSubscription(log, from, encoder, s.framing()));
            }
            topics.add(t.topic());
        }
        session.subscribe(subscriptions, assigned -> FrameWriter.subscribed(s.id(), assigned));
        mode = Mode.PLAIN;
    }

    private static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    private void produce(ClientFrame.Produce p) {
        List<ProduceResult> results;
        try {
            results = broker.records().produce(p.topic(), p.records());
        } catch (RuntimeException e) {
            fail(produceError(e, p.id()));
            return;
        }
        if (!session.reply(FrameWriter.produced(p.id(), p.topic(), results))) {
            tooManyReplies();
        }
    }

    private void fail(WsException e) {
        GroupSubscription g = group;
        if (e.error().fatal() && g != null) {
            // The broker ends this session: its partitions move at once rather than after a session timeout.
            g.leave();
        }
        if (e.error().fatal()) {
            session.terminate(FrameWriter.error(e), e.error().closeCode(), e.getMessage());
        } else if (!session.reply(FrameWriter.error(e))) {
            tooManyReplies();
        }
    }

    private void tooManyReplies() {
        WsException e = new WsException(WsError.TOO_MANY_PENDING_REPLIES,
                "More answers wait unsent than ws.session.max.pending.replies allows: the client is not reading");
        session.terminate(FrameWriter.error(e), e.error().closeCode(), e.getMessage());
    }

    private WsException toWsException(RuntimeException e, String id) {
        if (e instanceof WsException ws) {
            return ws.requestId() == null && id != null ? ws.withRequestId(id) : ws;
        } else if (e instanceof StartOffsetOutOfRangeException o) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("topic", o.topicPartition().topic());
            details.put("partition", o.topicPartition().partition());
            details.put("requested_offset", o.requested());
            details.put("valid_from", o.first());
            details.put("valid_to", o.end());
            return new WsException(WsError.OFFSET_OUT_OF_RANGE, id, o.getMessage(), details);
        } else if (e instanceof OffsetOutOfRangeException) {
            return new WsException(WsError.OFFSET_OUT_OF_RANGE, id, e.getMessage(), Map.of());
        } else if (e instanceof AlreadySubscribedException) {
            return new WsException(WsError.ALREADY_SUBSCRIBED, id, e.getMessage(), Map.of());
        } else if (e instanceof CreditOverflowException) {
            return new WsException(WsError.CREDIT_OVERFLOW, id, e.getMessage(), Map.of());
        } else if (e instanceof UnknownTopicOrPartitionException || e instanceof InvalidTopicException) {
            return new WsException(WsError.UNKNOWN_TOPIC, id, e.getMessage(), Map.of());
        } else if (e instanceof BrokerNotAvailableException) {
            return new WsException(WsError.BROKER_UNAVAILABLE, id, e.getMessage(), Map.of());
        }
        for (String topic : topics) {
            if (broker.topics().describe(topic).isEmpty()) {
                return new WsException(WsError.UNKNOWN_TOPIC, id, "Topic '" + topic + "' was deleted", Map.of("topic", topic));
            }
        }
        if (e instanceof org.apache.kafka.common.errors.KafkaStorageException) {
            return new WsException(WsError.STORAGE_ERROR, id, e.getMessage(), Map.of());
        }
        LOG.log(Level.WARNING, "Unexpected failure on WebSocket session " + ws.getId() + ": " + e, e);
        return new WsException(WsError.INTERNAL_ERROR, id, String.valueOf(e.getMessage()), Map.of());
    }

    private static WsException produceError(RuntimeException e, String id) {
        WsError error;
        if (e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException) {
            error = WsError.RECORD_TOO_LARGE;
        } else if (e instanceof io.tributary.broker.UnknownPartitionException || e instanceof RestException) {
            error = WsError.INVALID_RECORD;
        } else if (e instanceof UnknownTopicOrPartitionException || e instanceof InvalidTopicException) {
            error = WsError.PRODUCE_UNKNOWN_TOPIC;
        } else if (e instanceof BrokerNotAvailableException || e instanceof org.apache.kafka.common.errors.KafkaStorageException) {
            error = WsError.PRODUCE_FAILED;
        } else if (e instanceof ApiException) {
            error = WsError.INVALID_RECORD;
        } else {
            LOG.log(Level.WARNING, "Unexpected produce failure: " + e, e);
            error = WsError.PRODUCE_FAILED;
        }
        return new WsException(error, id, e.getMessage(), Map.of());
    }

    // Sink

    @Override
    public void send(String frame, Consumer<Throwable> onDone) {
        try {
            ws.getAsyncRemote().sendText(frame, result -> onDone.accept(result.isOK() ? null : result.getException()));
        } catch (RuntimeException e) {
            // The session closed under us.
            onDone.accept(e);
        }
    }

    @Override
    public void ping(Consumer<Throwable> onDone) {
        try {
            // The session never has another frame in flight when it pings.
            ws.getAsyncRemote().sendPing(ByteBuffer.allocate(0));
            onDone.accept(null);
        } catch (IOException | RuntimeException e) {
            onDone.accept(e);
        }
    }

    @Override
    public void ping(ByteBuffer payload, Consumer<Throwable> onDone) {
        try {
            // A relay pings only between its sends to the client.
            ws.getAsyncRemote().sendPing(payload);
            onDone.accept(null);
        } catch (IOException | RuntimeException e) {
            onDone.accept(e);
        }
    }

    @Override
    public void close(int code, String reason) {
        if (!ws.isOpen()) {
            return;
        }
        try {
            ws.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), fitReason(reason)));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "Closing WebSocket session " + ws.getId() + " failed: " + e);
        }
    }

    @Override
    public void deliveryFailed(RuntimeException failure) {
        if (group != null && dropDeletedPartitions()) {
            // A group member's topic was deleted: the group reassigns without it; the session goes on.
            return;
        }
        fail(toWsException(failure, null));
    }

    /** Stops following partitions of topics that no longer exist; whether there were any. */
    private boolean dropDeletedPartitions() {
        List<TopicPartition> gone = new ArrayList<>();
        for (TopicPartition tp : session.partitions()) {
            if (broker.topics().describe(tp.topic()).isEmpty()) {
                gone.add(tp);
            }
        }
        if (gone.isEmpty()) {
            return false;
        }
        session.unsubscribe(gone, null);
        return true;
    }

    /** A close reason may carry at most 123 bytes of UTF-8. */
    static String fitReason(String reason) {
        if (reason == null) {
            return "";
        }
        String out = reason;
        while (out.getBytes(StandardCharsets.UTF_8).length > 123) {
            out = out.substring(0, out.length() - 1);
        }
        return out;
    }

    SubscriptionSession session() {
        return session;
    }
}
