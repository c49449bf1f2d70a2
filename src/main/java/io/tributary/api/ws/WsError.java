package io.tributary.api.ws;

/**
 * The error codes of the WebSocket API, each with the close code that follows it when the error
 * ends the session (0: the session goes on; produce and commit errors, and frames a non-member
 * sends that only members may).
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
    /** A group subscription on a session with other subscriptions, or a plain subscription on a group session. */
    SUBSCRIPTION_CONFLICT("subscription_conflict", 4409),
    /** Joining a group whose members are of another kind (Kafka consumers, REST instances). */
    GROUP_KIND_MISMATCH("group_kind_mismatch", 4409),
    /** An assigned partition without a committed offset while {@code auto.offset.reset} is none. */
    NO_COMMITTED_OFFSET("no_committed_offset", 4416),
    /**
     * A group member on a broker that is not its group's coordinator (at joining, or since the
     * coordinator moved); the frame names the coordinator. 4421 after HTTP's 421 Misdirected Request.
     */
    NOT_COORDINATOR("not_coordinator", 4421),
    /** No broker was ready to coordinate the group for a session timeout. */
    COORDINATOR_NOT_AVAILABLE("coordinator_not_available", 1013),
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

    // Group errors that leave the session as it was: answered with the frame's id.
    /** A commit or leave frame on a session that is not a member of a group. */
    NOT_A_MEMBER("not_a_member", 0),
    /** A commit for a partition the member does not own now. */
    PARTITION_NOT_OWNED("partition_not_owned", 0),
    /** The coordinator refused a commit (the group is rebalancing, the member was removed). */
    COMMIT_FAILED("commit_failed", 0),

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
