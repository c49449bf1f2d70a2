package io.tributary.api.ws;

/**
 * The error codes of the WebSocket API, each with the close code that follows it when the error
 * ends the session (0: the session goes on; only produce frames have such errors).
 */
public enum WsError {
    /** Not JSON, not an object, a missing or ill-typed field, a bad value. */
    MALFORMED_FRAME("malformed_frame", 1007),
    /** A binary message or an unknown {@code type}. */
    UNSUPPORTED_FRAME("unsupported_frame", 1003),
    /** Subscribing to a topic or partition that does not exist, or a subscribed topic was deleted. */
    UNKNOWN_TOPIC("unknown_topic", 4404),
    /** A start offset outside the partition's range; the frame gives the valid range. */
    OFFSET_OUT_OF_RANGE("offset_out_of_range", 4416),
    /** Subscribing again to a partition the session already follows. */
    ALREADY_SUBSCRIBED("already_subscribed", 4409),
    /** Credit granted beyond the maximum a session may hold unspent. */
    CREDIT_OVERFLOW("credit_overflow", 1008),
    /** More answers waiting unsent than {@code ws.session.max.pending.replies}: the client does not read. */
    TOO_MANY_PENDING_REPLIES("too_many_pending_replies", 1008),
    /** The broker is starting or shutting down. */
    BROKER_UNAVAILABLE("broker_unavailable", 1013),
    /** A log directory failed while streaming. */
    STORAGE_ERROR("storage_error", 1011),
    /** Anything else the broker did not expect. */
    INTERNAL_ERROR("internal_error", 1011),

    // Produce errors: answered with the produce frame's id; the session goes on.
    /** A produce record the broker cannot take (bad field, bad base64, unknown partition). */
    INVALID_RECORD("invalid_record", 0),
    /** A produce record larger than the topic's {@code max.message.bytes}. */
    RECORD_TOO_LARGE("record_too_large", 0),
    /** Producing to a topic that does not exist while {@code auto.create.topics.enable} is false, or a bad name. */
    PRODUCE_UNKNOWN_TOPIC("unknown_topic", 0),
    /** Producing while the broker is starting or a log directory is offline. */
    PRODUCE_FAILED("produce_failed", 0);

    private final String code;
    private final int closeCode;

    WsError(String code, int closeCode) {
        this.code = code;
        this.closeCode = closeCode;
    }

    public String code() {
        return code;
    }

    /** The close code sent after the error frame, or 0 if the session goes on. */
    public int closeCode() {
        return closeCode;
    }

    public boolean fatal() {
        return closeCode != 0;
    }
}
