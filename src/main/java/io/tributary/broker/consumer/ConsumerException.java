package io.tributary.broker.consumer;

/**
 * A request to a REST consumer instance that cannot be carried out, with the reason the API turns
 * into its status and error code.
 */
public final class ConsumerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the request failed. */
    public enum Reason {
        /** No instance of that name in that group (it was deleted or expired). */
        INSTANCE_NOT_FOUND,
        /** An instance of that name already exists in the group. */
        INSTANCE_EXISTS,
        /** The request does not fit the instance's state (subscription and assignment mixed, a group of
         *  another kind, a commit outside the current generation, a seek on a partition not owned). */
        ILLEGAL_STATE,
        /** A partition has no committed offset and {@code auto.offset.reset} is {@code none}. */
        NO_OFFSET,
        /** A bad setting when creating an instance. */
        INVALID_CONFIG,
        /** The read asks for an embedded format other than the instance's. */
        FORMAT_MISMATCH
    }

    private final Reason reason;

    public ConsumerException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
