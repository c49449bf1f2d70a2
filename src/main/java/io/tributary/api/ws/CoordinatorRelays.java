package io.tributary.api.ws;

import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;

/**
 * Opens the upstream connections of {@link CoordinatorRelay}s: one JDK {@link HttpClient} for all of
 * them, created at the first relay (a single broker never needs one) and closed with the stream
 * API. Each connection carries {@value CoordinatorRelay#FORWARDED_BY} with this broker's id, so the
 * broker it reaches never relays it again.
 *
 * <p>Thread-safe: {@code clientLock} guards the client and the closed flag.
 */
final class CoordinatorRelays implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CoordinatorRelays.class.getName());

    /** How long connecting to the coordinator may take before the client is told to go there itself. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final IntSupplier brokerId;
    private final Executor executor;
    private final Object clientLock = new Object();
    private HttpClient http;
    private boolean closed;

    /**
     * @param brokerId this broker's id, sent as the forwarding header
     * @param executor runs the HTTP client's work and the relays' listeners
     */
    CoordinatorRelays(IntSupplier brokerId, Executor executor) {
        this.brokerId = brokerId;
        this.executor = executor;
    }

    /**
     * Connects {@code relay} to {@code target} and sends the client's first frame. Blocks for at most
     * {@link #CONNECT_TIMEOUT} plus the relay's send timeout.
     *
     * @return null once relaying, else why the coordinator could not be reached (the client was not
     *         sent anything)
     */
    String open(CoordinatorRelay relay, URI target, String firstFrame) {
        HttpClient client = client();
        if (client == null) {
            return "this broker is shutting down";
        }
        CompletableFuture<WebSocket> connecting = client.newWebSocketBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .header(CoordinatorRelay.FORWARDED_BY, Integer.toString(brokerId.getAsInt()))
                .buildAsync(target, relay.listener());
        WebSocket upstream;
        try {
            // The builder's own timeout covers the handshake; this one only backs it up.
            upstream = connecting.get(CONNECT_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connecting.thenAccept(WebSocket::abort);
            return "interrupted while connecting";
        } catch (ExecutionException e) {
            return String.valueOf(e.getCause());
        } catch (TimeoutException e) {
            connecting.thenAccept(WebSocket::abort);
            return "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
        }
        if (!relay.start(upstream, firstFrame)) {
            return "the connection failed before the subscribe frame was sent";
        }
        return null;
    }

    private HttpClient client() {
        synchronized (clientLock) {
            if (closed) {
                return null;
            }
            if (http == null) {
                http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor).build();
            }
            return http;
        }
    }

    /**
     * No relay opens after this. On Java 21 and later the HTTP client is closed; on Java 17 it has no
     * close method, and its selector thread ends once the client is unreferenced and its connections
     * (closed by their sessions before this) are gone.
     */
    @Override
    public void close() {
        HttpClient toClose;
        synchronized (clientLock) {
            closed = true;
            toClose = http;
            http = null;
        }
        if (toClose instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.log(Level.DEBUG, "Closing the relays' HTTP client failed: " + e);
            }
        }
    }
}
