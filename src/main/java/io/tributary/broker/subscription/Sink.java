package io.tributary.broker.subscription;

import java.util.function.Consumer;

/**
 * Where a session's frames go: the transport's connection. Implementations must be thread-safe.
 */
public interface Sink {

    /**
     * Starts sending one text frame and returns without waiting. {@code onDone} is called once, on
     * any thread, with null when the frame has been handed to the network or with the failure
     * (including a send timeout).
     */
    void send(String frame, Consumer<Throwable> onDone);

    /**
     * Starts sending a ping (a control frame the peer answers with a pong), like {@link #send}. The
     * default sends nothing and reports success.
     */
    default void ping(Consumer<Throwable> onDone) {
        onDone.accept(null);
    }

    /** Closes the connection with a close code; idempotent. */
    void close(int code, String reason);

    /**
     * Delivery hit an error it cannot go on after (the topic was deleted, the log went offline, the
     * position was deleted). Called without the session's lock held; the transport answers with an
     * error frame through {@link SubscriptionSession#terminate}.
     */
    void deliveryFailed(RuntimeException failure);
}
