package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test client for the stream API on the JDK's {@link WebSocket}. It takes one message at a time
 * ({@code request(1)}), so {@link #pause()} stops reading the socket altogether, as a stalled
 * browser tab would: the server's sends then back up in TCP.
 *
 * <p>Thread-safe.
 */
public final class WsClient implements AutoCloseable {

    /** A received frame with the time it arrived. */
    public record Received(JsonObject frame, long nanoTime) {
    }

    /** How the server closed the connection. */
    public record Close(int code, String reason) {
    }

    private final BlockingQueue<Received> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final AtomicLong received = new AtomicLong();
    private final WebSocket socket;
    private volatile boolean paused;
    private volatile boolean owed;

    private WsClient(HttpClient http, URI uri) {
        this(http, uri, Map.of());
    }

    private WsClient(HttpClient http, URI uri, Map<String, String> headers) {
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        headers.forEach(builder::header);
        this.socket = builder.buildAsync(uri, new Listener()).join();
    }

    public static WsClient connect(LibertyServer server) {
        return connect(server, "/ws/v1/stream");
    }

    /** Connects to the stream API on another port of 127.0.0.1 (a proxy in front of the server). */
    public static WsClient connect(int port) {
        return new WsClient(HttpClient.newHttpClient(), URI.create("ws://127.0.0.1:" + port + "/ws/v1/stream"));
    }

    /** Connects to a full {@code ws://} address (one a broker named in an error frame). */
    public static WsClient connect(URI uri) {
        return new WsClient(HttpClient.newHttpClient(), uri);
    }

    /** Connects with extra handshake headers (as a broker relaying a client would). */
    public static WsClient connect(LibertyServer server, Map<String, String> headers) {
        return new WsClient(HttpClient.newHttpClient(), URI.create("ws://127.0.0.1:" + server.httpPort() + "/ws/v1/stream"),
                headers);
    }

    public static WsClient connect(LibertyServer server, String path) {
        return new WsClient(HttpClient.newHttpClient(), URI.create("ws://127.0.0.1:" + server.httpPort() + path));
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                long now = System.nanoTime();
                String text = partial.toString();
                partial.setLength(0);
                try (JsonReader r = Json.createReader(new StringReader(text))) {
                    frames.add(new Received(r.readObject(), now));
                }
                received.incrementAndGet();
            }
            requestMore(webSocket);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Close(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Close(-1, String.valueOf(error)));
        }
    }

    private synchronized void requestMore(WebSocket webSocket) {
        if (paused) {
            owed = true;
        } else {
            webSocket.request(1);
        }
    }

    /** Stops reading the socket. */
    public synchronized void pause() {
        paused = true;
    }

    public synchronized void resume() {
        paused = false;
        if (owed) {
            owed = false;
            socket.request(1);
        }
    }

    public WsClient send(String text) {
        socket.sendText(text, true).join();
        return this;
    }

    public WsClient send(JsonObject frame) {
        return send(frame.toString());
    }

    public WsClient sendBinary(byte[] data) {
        socket.sendBinary(ByteBuffer.wrap(data), true).join();
        return this;
    }

    public WsClient credit(long records) {
        return send("{\"type\":\"credit\",\"records\":" + records + "}");
    }

    /** The next frame, failing if none comes within the timeout. */
    public JsonObject next(Duration timeout) {
        return nextReceived(timeout).frame();
    }

    public JsonObject next() {
        return next(Duration.ofSeconds(20));
    }

    public Received nextReceived(Duration timeout) {
        try {
            Received r = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (r == null) {
                throw new AssertionError("No frame within " + timeout + (closed.isDone() ? "; closed: " + closed.join() : ""));
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next frame if one comes within the timeout, else null. */
    public JsonObject poll(Duration timeout) {
        try {
            Received r = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return r == null ? null : r.frame();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next {@code count} record objects, unpacking {@code records} batches. */
    public List<JsonObject> records(int count, Duration timeout) {
        List<JsonObject> out = new ArrayList<>(count);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < count) {
            long left = deadline - System.nanoTime();
            JsonObject f = next(Duration.ofNanos(Math.max(left, 1)));
            switch (f.getString("type")) {
                case "record" -> out.add(f);
                case "records" -> f.getJsonArray("records").forEach(v -> out.add(v.asJsonObject()));
                default -> throw new AssertionError("Expected records, got " + f);
            }
        }
        return out;
    }

    public Close awaitClose(Duration timeout) {
        try {
            return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("Not closed within " + timeout + ": " + e);
        }
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    public long framesReceived() {
        return received.get();
    }

    public int queued() {
        return frames.size();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(t -> null);
        }
        socket.abort();
    }
}
