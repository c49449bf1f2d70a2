package io.tributary.api.ws;

import jakarta.enterprise.inject.spi.CDI;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;

import java.nio.ByteBuffer;

/**
 * {@code ws://HOST:PORT/ws/v1/stream}: subscriptions, credit and produce over one WebSocket (the
 * protocol is in the README's "WebSocket API" section). Thin: the container creates one instance
 * per connection and everything is handed to {@link StreamSessions}.
 */
@ServerEndpoint(value = "/ws/v1/stream", configurator = StreamHandshake.class)
public class StreamEndpoint {

    private final StreamSessions sessions;

    /**
     * The WebSocket container, not CDI, creates one endpoint per connection and requires a public
     * no-argument constructor; Liberty 26.0.0.5 failed to inject fields of this (non-bean) class,
     * so the application-scoped registry is looked up here.
     */
    public StreamEndpoint() {
        this.sessions = CDI.current().select(StreamSessions.class).get();
    }

    @OnOpen
    public void open(Session session) {
        sessions.open(session);
    }

    @OnMessage(maxMessageSize = StreamSessions.MAX_CLIENT_FRAME_BYTES)
    public void text(Session session, String text) {
        sessions.text(session, text);
    }

    @OnMessage
    public void binary(Session session, ByteBuffer data) {
        sessions.binary(session, data);
    }

    @OnMessage
    public void pong(Session session, PongMessage pong) {
        sessions.pong(session, pong.getApplicationData());
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        sessions.closed(session);
    }

    @OnError
    public void error(Session session, Throwable failure) {
        sessions.error(session, failure);
    }
}
