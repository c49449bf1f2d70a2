package io.tributary.api.rest;

/** A request the REST layer rejects itself (bad JSON, a field of the wrong type), with its HTTP status. */
public final class RestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public RestException(int status, String message) {
        super(message);
        this.status = status;
    }

    public static RestException badRequest(String message) {
        return new RestException(400, message);
    }

    public static RestException unprocessable(String message) {
        return new RestException(422, message);
    }

    public int status() {
        return status;
    }
}
