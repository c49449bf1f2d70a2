package io.tributary.api.ws;

import io.tributary.broker.subscription.SubscriptionSession;

import java.lang.System.Logger.Level;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One client session of {@code /ws/v1/stream} relayed to its group's coordinator on another
 * broker: every text frame goes through verbatim in both directions, so the client sees exactly
 * what it would see connected to the coordinator.
 *
 * <p><b>Flow control.</b> Upstream to client: the next upstream message is requested only once the
 * send of the previous one to the client completed, so a client that does not read stops the
 * relay reading the coordinator, whose sends then back up in TCP and its own credit and send
 * timeout rules apply. Client to upstream: {@link #fromClient} returns only once the coordinator's
 * socket took the frame, and the container hands the next client frame only after it returns.
 *
 * <p><b>Liveness.</b> The relay's JDK client answers the coordinator's pings by itself, which would
 * keep a frozen client a member for ever; so a coordinator's ping is passed on to the client as a
 * ping (never as data), and each pong of the client is sent upstream as a pong carrying
 * {@link #CLIENT_PONG}, the only pongs the coordinator counts on a forwarded session.
 *
 * <p><b>Closes.</b> The coordinator's close (4421 when it is no longer the coordinator, 1001 when
 * it stops, any error close) closes the client with the same code and reason; losing the upstream
 * connection without a close closes the client with 1001; a send to the client that fails or
 * times out closes it with 4408, as the coordinator would. The client's close (or an error on its
 * session) closes the upstream with a normal closure, so the member leaves the group at the
 * coordinator as a directly connected client whose connection closed would.
 *
 * <p>Thread-safety: the JDK calls the listener one method at a time; the client side calls
 * {@link #fromClient}, {@link #fromClientBinary} and {@link #clientPong} one at a time (the container
 * delivers one message at a time); the close methods may be called from any thread, and the first
 * close wins ({@code state} is an atomic reference).
 */
final class CoordinatorRelay {

    private static final System.Logger LOG = System.getLogger(CoordinatorRelay.class.getName());

    /** The handshake header that marks a session opened by a relaying broker (its value: that broker's id). */
    static final String FORWARDED_BY = "X-Tributary-Forwarded-By";

    /** Payload of the pongs a relay sends upstream for its client's pongs. */
    static final byte[] CLIENT_PONG = "tributary-client-pong".getBytes(StandardCharsets.US_ASCII);

    /** How long a normal close waits for the coordinator's close before the connection is dropped. */
    static final long CLOSE_WAIT_MS = 5_000;

    /** The client's side of the relay: its WebSocket session. Implementations must be thread-safe. */
    interface Client {
        /** Starts sending a text frame; {@code onDone} gets null once it was sent, else the failure. */
        void send(String text, Consumer<Throwable> onDone);

        /** Sends a ping with this payload; {@code onDone} as for {@link #send}. */
        void ping(ByteBuffer payload, Consumer<Throwable> onDone);

        /** Closes the client's connection; idempotent. */
        void close(int code, String reason);
    }

    private enum State { CONNECTING, RELAYING, CLOSED }

    private final Client client;
    private final String description;
    private final int coordinatorId;
    private final ScheduledExecutorService scheduler;
    private final long sendTimeoutMs;
    private final AtomicReference<State> state = new AtomicReference<>(State.CONNECTING);
    private final Listener listener = new Listener();
    private volatile WebSocket upstream;

    /**
     * @param description   the session and group, for the log
     * @param coordinatorId the coordinator's broker id, for close reasons
     * @param scheduler     runs the timer that drops an upstream connection whose close is not answered
     * @param sendTimeoutMs how long a client frame may wait for the coordinator's socket
     */
    CoordinatorRelay(Client client, String description, int coordinatorId, ScheduledExecutorService scheduler,
                     long sendTimeoutMs) {
        this.client = client;
        this.description = description;
        this.coordinatorId = coordinatorId;
        this.scheduler = scheduler;
        this.sendTimeoutMs = sendTimeoutMs;
    }

    /** The listener to connect the upstream WebSocket with. */
    WebSocket.Listener listener() {
        return listener;
    }

    /**
     * Sends the client's first frame (its group subscribe) on the connected upstream and starts
     * relaying. Nothing reaches the client before: on false (the frame could not be sent, or the
     * upstream failed meanwhile) the upstream is dropped and the client is untouched, so the caller
     * may still answer it.
     */
    boolean start(WebSocket connected, String firstFrame) {
        upstream = connected;
        try {
            connected.sendText(firstFrame, true).get(sendTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connected.abort();
            state.set(State.CLOSED);
            return false;
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.DEBUG, "Relay of " + description + ": the subscribe frame was not sent: " + e);
            connected.abort();
            state.set(State.CLOSED);
            return false;
        }
        if (!state.compareAndSet(State.CONNECTING, State.RELAYING)) {
            // The upstream failed, or the client went away, while the frame was sent.
            connected.abort();
            return false;
        }
        // The listener asked for nothing so far: no upstream frame, close or error reaches the
        // client before this point.
        connected.request(1);
        return true;
    }

    /** Passes a client text frame upstream; returns once the coordinator's socket took it. */
    void fromClient(String text) {
        WebSocket ws = upstream;
        if (state.get() != State.RELAYING) {
            return;
        }
        await(ws.sendText(text, true));
    }

    /** Passes a client binary message upstream (the coordinator answers it as it answers any client). */
    void fromClientBinary(ByteBuffer data) {
        WebSocket ws = upstream;
        if (state.get() != State.RELAYING) {
            return;
        }
        ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data.duplicate()).flip();
        await(ws.sendBinary(copy, true));
    }

    private void await(CompletionStage<WebSocket> send) {
        try {
            send.toCompletableFuture().get(sendTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            upstreamLost("interrupted while sending to it");
        } catch (ExecutionException e) {
            upstreamLost(String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            upstreamLost("it did not take a frame within ws.send.timeout.ms (" + sendTimeoutMs + " ms)");
        }
    }

    /** The client answered a ping (or sent a pong of its own): tells the coordinator it was heard. */
    void clientPong() {
        WebSocket ws = upstream;
        if (state.get() != State.RELAYING) {
            return;
        }
        // A pong still being sent (IllegalStateException) already tells the coordinator as much.
        ws.sendPong(ByteBuffer.wrap(CLIENT_PONG)).exceptionally(t -> null);
    }

    /** The client's connection closed or failed: close the upstream normally. */
    void clientClosed() {
        State was = state.getAndSet(State.CLOSED);
        if (was == State.RELAYING) {
            closeUpstream();
        }
    }

    /** Ends the relay from this broker (it is shutting down): closes the client with the code and the upstream normally. */
    void terminate(int code, String reason) {
        if (state.getAndSet(State.CLOSED) == State.RELAYING) {
            client.close(code, reason);
            closeUpstream();
        }
    }

    boolean relaying() {
        return state.get() == State.RELAYING;
    }

    private void upstreamLost(String why) {
        if (state.compareAndSet(State.RELAYING, State.CLOSED)) {
            WebSocket ws = upstream;
            ws.abort();
            String reason = "The connection to the group's coordinator (broker " + coordinatorId + ") was lost: " + why;
            LOG.log(Level.INFO, "Relay of " + description + " ends: " + reason);
            client.close(1001, StreamConnection.fitReason(reason));
        }
    }

    private void clientSendFailed(Throwable failure) {
        if (state.compareAndSet(State.RELAYING, State.CLOSED)) {
            LOG.log(Level.DEBUG, "Relay of " + description + ": a send to the client failed: " + failure);
            client.close(SubscriptionSession.CLOSE_SEND_FAILED, "The client did not take a frame in time");
            closeUpstream();
        }
    }

    /**
     * Sends a normal close upstream and reads (and drops) whatever the coordinator still sends until its
     * close arrives, or drops the connection after {@link #CLOSE_WAIT_MS}.
     */
    private void closeUpstream() {
        WebSocket ws = upstream;
        if (ws == null) {
            return;
        }
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(t -> {
            ws.abort();
            return null;
        });
        ws.request(Long.MAX_VALUE);
        try {
            scheduler.schedule(ws::abort, CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The application is stopping: there is no timer left to wait with.
            ws.abort();
        }
    }

    /**
     * The close code the client gets for the coordinator's: the same, except codes that never go on the
     * wire (1005 no status: a normal closure; 1006, 1015: the connection was lost).
     */
    static int clientCloseCode(int upstreamCode) {
        return switch (upstreamCode) {
            case 1005 -> 1000;
            case 1006, 1015 -> 1001;
            default -> upstreamCode;
        };
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            // No request yet: start() asks for the first message once the subscribe frame went out.
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (!last) {
                webSocket.request(1);
                return null;
            }
            String text = partial.toString();
            partial.setLength(0);
            if (state.get() != State.RELAYING) {
                // Closing: the upstream is being drained (it has unbounded demand).
                return null;
            }
            client.send(text, thenNext(webSocket));
            return null;
        }

        /** Once the client took what was relayed: the next upstream message, or the end of the relay. */
        private Consumer<Throwable> thenNext(WebSocket webSocket) {
            return failure -> {
                if (failure == null) {
                    webSocket.request(1);
                } else {
                    clientSendFailed(failure);
                }
            };
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            // The coordinator sends text frames only.
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            // The JDK has answered the coordinator already; the client's own pong follows through clientPong.
            if (state.get() != State.RELAYING) {
                return null;
            }
            ByteBuffer copy = ByteBuffer.allocate(message.remaining()).put(message.duplicate()).flip();
            client.ping(copy, thenNext(webSocket));
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (state.compareAndSet(State.RELAYING, State.CLOSED)) {
                LOG.log(Level.DEBUG, "Relay of " + description + ": the coordinator closed with " + statusCode);
                client.close(clientCloseCode(statusCode), reason);
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (!state.compareAndSet(State.CONNECTING, State.CLOSED)) {
                upstreamLost(String.valueOf(error));
            }
        }
    }
}
