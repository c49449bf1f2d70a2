package io.tributary.api.ws;

import java.util.Map;

/**
 * A request the WebSocket API answers with an error frame.
 *
 * @see WsError
 */
public final class WsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final WsError error;
    private final String requestId;
    private final transient Map<String, Object> details;

    public WsException(WsError error, String requestId, String message, Map<String, Object> details) {
        super(message);
        this.error = error;
        this.requestId = requestId;
        this.details = Map.copyOf(details);
    }

    public WsException(WsError error, String message) {
        this(error, null, message, Map.of());
    }

    public static WsException malformed(String message) {
        return new WsException(WsError.MALFORMED_FRAME, message);
    }

    public WsError error() {
        return error;
    }

    /** The {@code id} of the frame that failed, or null. */
    public String requestId() {
        return requestId;
    }

    /** Extra fields of the error frame (the valid range of an offset out of range). */
    public Map<String, Object> details() {
        return details;
    }

    public WsException withRequestId(String id) {
        return new WsException(error, id, getMessage(), details);
    }
}
