package io.tributary.app;

/** The broker cannot serve requests right now (starting, failed, or shutting down): HTTP 503. */
public final class BrokerNotAvailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BrokerNotAvailableException(String message) {
        super(message);
    }
}
