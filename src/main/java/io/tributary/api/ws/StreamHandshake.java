package io.tributary.api.ws;

import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Hands the opening handshake's {@value CoordinatorRelay#FORWARDED_BY} header to the session: a
 * session a relaying broker opened must not be relayed again. Jakarta WebSocket 2.1 gives
 * {@code modifyHandshake} a per-connection copy of the endpoint's user properties and makes it the
 * session's initial user properties, which is the only way a header reaches the session.
 *
 * <p>Stateless and thread-safe.
 */
public class StreamHandshake extends ServerEndpointConfig.Configurator {

    /** Session user property: the forwarding broker's id, absent on a client's own session. */
    static final String FORWARDED_BY_PROPERTY = "io.tributary.ws.forwardedBy";

    @Override
    public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
        Optional<String> forwardedBy = forwardedBy(request.getHeaders());
        if (forwardedBy.isPresent()) {
            config.getUserProperties().put(FORWARDED_BY_PROPERTY, forwardedBy.get());
        } else {
            // Should a container share the map between connections, no mark outlives its own handshake.
            config.getUserProperties().remove(FORWARDED_BY_PROPERTY);
        }
    }

    /** The header's first value; header names are matched without regard to case, as HTTP says. */
    static Optional<String> forwardedBy(Map<String, List<String>> headers) {
        if (headers == null) {
            return Optional.empty();
        }
        for (Map.Entry<String, List<String>> h : headers.entrySet()) {
            if (h.getKey() != null && h.getKey().equalsIgnoreCase(CoordinatorRelay.FORWARDED_BY)
                    && h.getValue() != null && !h.getValue().isEmpty()) {
                return Optional.ofNullable(h.getValue().get(0));
            }
        }
        return Optional.empty();
    }
}
