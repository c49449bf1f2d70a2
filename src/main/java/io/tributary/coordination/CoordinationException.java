package io.tributary.coordination;

/**
 * ZooKeeper could not be reached or answered unexpectedly (connection loss after retries,
 * session expiry mid-operation, interruption). The operation may or may not have taken effect.
 */
public class CoordinationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CoordinationException(String message, Throwable cause) {
        super(message, cause);
    }
}
